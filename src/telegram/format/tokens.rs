//! Reading Telegram HTML back: its visible text and the elements around it, for measuring and
//! splitting.
//!
//! The reader is forgiving on purpose. A `<` that does not start a tag and an `&` that does not
//! start an entity are taken as text, unknown tags are dropped and stray end tags ignored;
//! everything read this way is written again through the strict writer, so whatever goes in,
//! valid markup comes out.

use std::collections::HashMap;
use std::ops::Range;

use super::html::{Kind, Tag};

/// A tag longer than this is not a tag: it bounds the scan for `>` so stray `<` stay linear.
const MAX_TAG_LEN: usize = 2048;

/// One lexical piece of an HTML string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RawPiece<'a> {
    Text(&'a str),
    /// A decoded entity, or a `<` / `&` that starts nothing.
    Char(char),
    /// A whole tag, brackets included.
    Tag(&'a str),
}

pub(super) struct RawPieces<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> RawPieces<'a> {
    pub(super) fn new(src: &'a str) -> RawPieces<'a> {
        RawPieces { src, pos: 0 }
    }
}

impl<'a> Iterator for RawPieces<'a> {
    type Item = RawPiece<'a>;

    fn next(&mut self) -> Option<RawPiece<'a>> {
        let bytes = self.src.as_bytes();
        let start = self.pos;
        let first = *bytes.get(start)?;
        let (piece, end) = match first {
            b'<' => match tag_end(self.src, start) {
                Some(end) => (RawPiece::Tag(&self.src[start..end]), end),
                None => (RawPiece::Char('<'), start + 1),
            },
            b'&' => match decode_entity(&self.src[start..]) {
                Some((decoded, len)) => (RawPiece::Char(decoded), start + len),
                None => (RawPiece::Char('&'), start + 1),
            },
            _ => {
                let end = bytes[start..]
                    .iter()
                    .position(|&b| b == b'<' || b == b'&')
                    .map_or(bytes.len(), |offset| start + offset);
                (RawPiece::Text(&self.src[start..end]), end)
            }
        };
        self.pos = end;
        Some(piece)
    }
}

/// End (exclusive) of the tag starting at `start`, if `<` really starts one.
fn tag_end(src: &str, start: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let after = *bytes.get(start + 1)?;
    if !(after == b'/' || after.is_ascii_alphabetic()) {
        return None;
    }
    let mut quote: Option<u8> = None;
    let limit = bytes.len().min(start + MAX_TAG_LEN);
    for (i, &byte) in bytes.iter().enumerate().take(limit).skip(start + 1) {
        match (quote, byte) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(byte),
            (None, b'>') => return Some(i + 1),
            (None, b'<') => return None,
            (None, _) => {}
        }
    }
    None
}

/// The character an entity at the start of `text` stands for, and the entity's length.
pub(super) fn decode_entity(text: &str) -> Option<(char, usize)> {
    let semicolon = text.as_bytes().iter().take(12).position(|&b| b == b';')?;
    let body = &text[1..semicolon];
    let decoded = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let number = body.strip_prefix('#')?;
            let value = match number.strip_prefix(['x', 'X']) {
                Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    u32::from_str_radix(hex, 16).ok()?
                }
                Some(_) => return None,
                None if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => {
                    number.parse().ok()?
                }
                None => return None,
            };
            char::from_u32(value).filter(|&c| c != '\0')?
        }
    };
    Some((decoded, semicolon + 1))
}

/// What a tag means to Telegram.
enum TagMeaning {
    /// `name` as written (lowercased); `None` for an element Telegram does not know.
    Open(String, Option<Tag>),
    Close(String),
    Ignore,
}

fn interpret_tag(raw: &str) -> TagMeaning {
    let inner = &raw[1..raw.len() - 1];
    if let Some(name) = inner.strip_prefix('/') {
        return TagMeaning::Close(name.trim().to_ascii_lowercase());
    }
    if inner.ends_with('/') {
        return TagMeaning::Ignore;
    }
    let name_len = inner
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'-'))
        .unwrap_or(inner.len());
    let name = inner[..name_len].to_ascii_lowercase();
    let attrs = Attributes(&inner[name_len..]);
    let tag = match name.as_str() {
        "b" | "strong" => Some(Tag::Bold),
        "i" | "em" => Some(Tag::Italic),
        "u" | "ins" => Some(Tag::Underline),
        "s" | "strike" | "del" => Some(Tag::Strike),
        "tg-spoiler" => Some(Tag::Spoiler),
        "span" => (attrs.get("class").as_deref() == Some("tg-spoiler")).then_some(Tag::Spoiler),
        "code" => match attrs.get("class") {
            Some(class) => match class.strip_prefix("language-") {
                Some(lang) => Some(Tag::CodeLang(lang.to_string())),
                None => Some(Tag::Code),
            },
            None => Some(Tag::Code),
        },
        "pre" => Some(Tag::Pre),
        "a" => Some(Tag::Link(attrs.get("href").unwrap_or_default())),
        "blockquote" => Some(Tag::Blockquote {
            expandable: attrs.has("expandable"),
        }),
        "tg-emoji" => Some(Tag::CustomEmoji(attrs.get("emoji-id").unwrap_or_default())),
        _ => None,
    };
    TagMeaning::Open(name, tag)
}

/// The attribute part of a start tag.
struct Attributes<'a>(&'a str);

impl Attributes<'_> {
    fn has(&self, wanted: &str) -> bool {
        self.iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(wanted))
    }

    /// The value of an attribute, entities decoded.
    fn get(&self, wanted: &str) -> Option<String> {
        let (_, value) = self
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))?;
        let mut decoded = String::with_capacity(value.len());
        for piece in RawPieces::new(value) {
            match piece {
                RawPiece::Text(text) | RawPiece::Tag(text) => decoded.push_str(text),
                RawPiece::Char(c) => decoded.push(c),
            }
        }
        Some(decoded)
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            rest = rest.trim_start();
            if rest.is_empty() {
                return None;
            }
            let name_end = rest
                .find(|c: char| c == '=' || c.is_whitespace())
                .unwrap_or(rest.len());
            let name = &rest[..name_end];
            rest = rest[name_end..].trim_start();
            let Some(after_equals) = rest.strip_prefix('=') else {
                if name.is_empty() {
                    rest = "";
                    return None;
                }
                return Some((name, ""));
            };
            let after_equals = after_equals.trim_start();
            let (value, remaining) = match after_equals.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let body = &after_equals[1..];
                    let end = body.find(quote).unwrap_or(body.len());
                    (&body[..end], body.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after_equals
                        .find(char::is_whitespace)
                        .unwrap_or(after_equals.len());
                    (&after_equals[..end], &after_equals[end..])
                }
            };
            rest = remaining;
            Some((name, value))
        })
    }
}

/// A piece of a parsed document: text is a range of [`ParsedHtml::visible`].
#[derive(Debug, Clone)]
pub(super) enum Token {
    Text(Range<usize>),
    Open(Tag),
    Close(Kind),
}

/// A point of a [`ParsedHtml`] to come back to.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct DocumentMark {
    visible: usize,
    tokens: usize,
    last_text_end: Option<usize>,
    pre_spans: usize,
    last_pre_end: Option<usize>,
}

/// An HTML document as visible text plus the elements around it.
#[derive(Debug, Clone, Default)]
pub(super) struct ParsedHtml {
    /// The text Telegram shows, entities decoded.
    pub visible: String,
    pub tokens: Vec<Token>,
    /// Ranges of `visible` inside `<pre>`, where leading whitespace is indentation.
    pub pre_spans: Vec<Range<usize>>,
}

impl ParsedHtml {
    pub(super) const fn new() -> ParsedHtml {
        ParsedHtml {
            visible: String::new(),
            tokens: Vec::new(),
            pre_spans: Vec::new(),
        }
    }

    pub(super) fn in_pre(&self, pos: usize) -> bool {
        let index = self.pre_spans.partition_point(|span| span.end <= pos);
        self.pre_spans
            .get(index)
            .is_some_and(|span| span.start <= pos)
    }

    /// How far the document goes now, for [`ParsedHtml::rewind`].
    pub(super) fn mark(&self) -> DocumentMark {
        DocumentMark {
            visible: self.visible.len(),
            tokens: self.tokens.len(),
            last_text_end: match self.tokens.last() {
                Some(Token::Text(range)) => Some(range.end),
                _ => None,
            },
            pre_spans: self.pre_spans.len(),
            last_pre_end: self.pre_spans.last().map(|span| span.end),
        }
    }

    /// Drops everything written after `mark` was taken. Text written since may have extended
    /// the last text token or pre span in place, so their ends are put back too.
    pub(super) fn rewind(&mut self, mark: DocumentMark) {
        self.visible.truncate(mark.visible);
        self.tokens.truncate(mark.tokens);
        if let (Some(end), Some(Token::Text(range))) = (mark.last_text_end, self.tokens.last_mut())
        {
            range.end = end;
        }
        self.pre_spans.truncate(mark.pre_spans);
        if let (Some(end), Some(span)) = (mark.last_pre_end, self.pre_spans.last_mut()) {
            span.end = end;
        }
    }

    pub(super) fn push_text(&mut self, text: &str, in_pre: bool) {
        let start = self.visible.len();
        self.visible.push_str(text);
        let end = self.visible.len();
        match self.tokens.last_mut() {
            Some(Token::Text(range)) if range.end == start => range.end = end,
            _ => self.tokens.push(Token::Text(start..end)),
        }
        if in_pre {
            match self.pre_spans.last_mut() {
                Some(span) if span.end == start => span.end = end,
                _ => self.pre_spans.push(start..end),
            }
        }
    }
}

pub(super) fn parse_html(html: &str) -> ParsedHtml {
    let mut doc = ParsedHtml {
        visible: String::with_capacity(html.len()),
        ..ParsedHtml::default()
    };
    // Elements as written, so an end tag closes what its name opened, known to Telegram or
    // not. The counts let a stray end tag be dropped without searching the stack.
    let mut open: Vec<(String, Option<Kind>)> = Vec::new();
    let mut open_count: HashMap<String, usize> = HashMap::new();
    let mut pre_depth = 0usize;
    let mut char_buf = [0u8; 4];
    for piece in RawPieces::new(html) {
        match piece {
            RawPiece::Text(text) => doc.push_text(text, pre_depth > 0),
            RawPiece::Char(c) => doc.push_text(c.encode_utf8(&mut char_buf), pre_depth > 0),
            RawPiece::Tag(raw) => match interpret_tag(raw) {
                TagMeaning::Open(name, tag) => {
                    let kind = tag.as_ref().map(Tag::kind);
                    if kind == Some(Kind::Pre) {
                        pre_depth += 1;
                    }
                    *open_count.entry(name.clone()).or_default() += 1;
                    open.push((name, kind));
                    if let Some(tag) = tag {
                        doc.tokens.push(Token::Open(tag));
                    }
                }
                TagMeaning::Close(name) => {
                    if open_count.get(&name).is_none_or(|&count| count == 0) {
                        continue;
                    }
                    let Some(index) = open.iter().rposition(|(open_name, _)| *open_name == name)
                    else {
                        continue;
                    };
                    for (open_name, kind) in open.drain(index..).rev() {
                        if let Some(count) = open_count.get_mut(&open_name) {
                            *count -= 1;
                        }
                        if kind == Some(Kind::Pre) {
                            pre_depth = pre_depth.saturating_sub(1);
                        }
                        if let Some(kind) = kind {
                            doc.tokens.push(Token::Close(kind));
                        }
                    }
                }
                TagMeaning::Ignore => {}
            },
        }
    }
    doc
}
