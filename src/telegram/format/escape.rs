//! Escaping text for Telegram HTML.

/// Appends `text` with `&`, `<`, `>` (and `"` when `attribute`) replaced by entities.
pub(super) fn escape_into(text: &str, out: &mut String, attribute: bool) {
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    let mut escape = |i: usize, out: &mut String| {
        out.push_str(&text[plain_from..i]);
        out.push_str(entity(bytes[i]));
        plain_from = i + 1;
    };
    if attribute {
        // Attribute values are short (link addresses, language names), and memchr looks for
        // three bytes at most: one byte at a time will do.
        let quoted = |b: &u8| matches!(b, b'&' | b'<' | b'>' | b'"');
        (0..bytes.len())
            .filter(|&i| quoted(&bytes[i]))
            .for_each(|i| escape(i, out));
    } else {
        // Text is most of every message and rarely needs an entity: skipping to the next one
        // a vector at a time took a fifth off the rendering of a preview.
        memchr::memchr3_iter(b'&', b'<', b'>', bytes).for_each(|i| escape(i, out));
    }
    out.push_str(&text[plain_from..]);
}

fn entity(byte: u8) -> &'static str {
    match byte {
        b'&' => "&amp;",
        b'<' => "&lt;",
        b'>' => "&gt;",
        _ => "&quot;",
    }
}
