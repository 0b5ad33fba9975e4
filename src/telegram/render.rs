//! The stream's view of the formatter: growing Markdown → sealed HTML parts + a live tail.

/// Telegram's limit, in UTF-16 code units after entity parsing.
pub const MESSAGE_LIMIT: usize = 4096;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// Parts that are complete and will not change again.
    pub sealed: Vec<String>,
    /// The part still growing (may be empty right after a seal).
    pub tail: String,
}

/// Renders a reply that is still being generated.
pub fn render_stream(markdown: &str) -> Rendered {
    let mut parts = render_final(markdown);
    let tail = parts.pop().unwrap_or_default();
    Rendered { sealed: parts, tail }
}

/// Renders the finished reply into message-sized HTML parts.
pub fn render_final(markdown: &str) -> Vec<String> {
    let escaped = crate::telegram::handlers::escape(markdown);
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut units = 0;
    for c in escaped.chars() {
        if units + c.len_utf16() > MESSAGE_LIMIT - 16 {
            parts.push(std::mem::take(&mut current));
            units = 0;
        }
        units += c.len_utf16();
        current.push(c);
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}
