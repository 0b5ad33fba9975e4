//! Lengths as Telegram counts them: UTF-16 code units of the text after entity parsing.

use super::tokens::{RawPiece, RawPieces};

/// Length of `text` in UTF-16 code units; a character outside the BMP (most emoji) counts 2.
pub fn utf16_len(text: &str) -> usize {
    // Each UTF-8 lead byte starts one code unit, and a four-byte sequence (lead byte 0xF0 and
    // up) needs a surrogate pair: counting bytes is enough, no decoding needed.
    text.bytes()
        .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// The length Telegram checks against its limit for an HTML message: the visible text (tags
/// removed, entities decoded) in UTF-16 code units.
pub fn visible_len(html: &str) -> usize {
    RawPieces::new(html)
        .map(|piece| match piece {
            RawPiece::Text(text) => utf16_len(text),
            RawPiece::Char(c) => c.len_utf16(),
            RawPiece::Tag(_) => 0,
        })
        .sum()
}
