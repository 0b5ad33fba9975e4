//! Links in a line of Markdown: `[label](destination)` destinations, the schemes Telegram may
//! link to, `<autolinks>` and bare URLs (kept as text, out of reach of emphasis).

use std::ops::Range;

/// Longer link destinations (and titles) are not links; this bounds the scan after each `](`.
const MAX_DESTINATION_LEN: usize = 2048;

/// What follows the `]` of a label.
pub(super) enum Destination {
    Found {
        href: Range<usize>,
        end: usize,
    },
    /// The line ended inside `(…`: in a partial line the link may still complete.
    Unfinished,
    Invalid,
}

/// `close_of` for a `(` that has no `)` before the next whitespace.
const UNMATCHED_BEFORE_SPACE: usize = usize::MAX;
/// `close_of` for a `(` that has no `)` before the end of the line.
const UNMATCHED_AT_END: usize = usize::MAX - 1;

/// Where each `(` of a line is closed. A destination is scanned by jumping over balanced
/// groups, so each `](` costs only the distance to the next unbalanced parenthesis.
pub(super) struct ParenMatches {
    /// Indexed by byte offset; meaningful at `(` only.
    close_of: Vec<usize>,
}

impl ParenMatches {
    pub(super) fn new(line: &str) -> ParenMatches {
        let bytes = line.as_bytes();
        let mut close_of = vec![UNMATCHED_AT_END; bytes.len()];
        let mut open = Vec::new();
        let mut j = 0;
        while j < bytes.len() {
            match bytes[j] {
                b'\\' if bytes.get(j + 1).is_some_and(u8::is_ascii_punctuation) => j += 1,
                byte if byte.is_ascii_whitespace() || byte.is_ascii_control() => {
                    for unmatched in open.drain(..) {
                        close_of[unmatched] = UNMATCHED_BEFORE_SPACE;
                    }
                }
                b'(' => open.push(j),
                b')' => {
                    if let Some(opened) = open.pop() {
                        close_of[opened] = j;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        ParenMatches { close_of }
    }
}

/// Where the `(destination)` after a `]` at `at - 1` ends, if it is one. Parentheses in the
/// destination must balance.
pub(super) fn destination(line: &str, at: usize, parens: &ParenMatches) -> Destination {
    let bytes = line.as_bytes();
    let skip_spaces = |mut j: usize| {
        while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
            j += 1;
        }
        j
    };
    match bytes.get(at) {
        None => return Destination::Unfinished,
        Some(b'(') => {}
        Some(_) => return Destination::Invalid,
    }
    let mut j = skip_spaces(at + 1);
    let href;
    if bytes.get(j) == Some(&b'<') {
        let start = j + 1;
        let limit = bytes.len().min(start + MAX_DESTINATION_LEN);
        let Some(close) = bytes[start..limit]
            .iter()
            .position(|&b| b == b'>' || b == b'<')
        else {
            return if limit == bytes.len() {
                Destination::Unfinished
            } else {
                Destination::Invalid
            };
        };
        if bytes[start + close] == b'<' {
            return Destination::Invalid;
        }
        href = start..start + close;
        j = start + close + 1;
    } else {
        let start = j;
        while j < bytes.len() {
            match bytes[j] {
                b'\\' if bytes.get(j + 1).is_some_and(u8::is_ascii_punctuation) => j += 2,
                byte if byte.is_ascii_whitespace() || byte.is_ascii_control() => break,
                b'(' => match parens.close_of[j] {
                    UNMATCHED_BEFORE_SPACE => return Destination::Invalid,
                    UNMATCHED_AT_END => return Destination::Unfinished,
                    close => j = close + 1,
                },
                b')' => break,
                _ => j += 1,
            }
            if j - start > MAX_DESTINATION_LEN {
                return Destination::Invalid;
            }
        }
        href = start..j.min(bytes.len());
    }
    j = skip_spaces(j);
    match bytes.get(j) {
        None => Destination::Unfinished,
        Some(b')') => Destination::Found { href, end: j + 1 },
        Some(&quote @ (b'"' | b'\'')) => {
            let title_start = j + 1;
            let limit = bytes.len().min(title_start + MAX_DESTINATION_LEN);
            let Some(close) = bytes[title_start..limit].iter().position(|&b| b == quote) else {
                return if limit == bytes.len() {
                    Destination::Unfinished
                } else {
                    Destination::Invalid
                };
            };
            let after_title = skip_spaces(title_start + close + 1);
            match bytes.get(after_title) {
                None => Destination::Unfinished,
                Some(b')') => Destination::Found {
                    href,
                    end: after_title + 1,
                },
                Some(_) => Destination::Invalid,
            }
        }
        Some(_) => Destination::Invalid,
    }
}

/// The href for a link destination Telegram accepts (http, https, tg, mailto), unescaped.
pub(super) fn allowed_href(raw: &str) -> Option<String> {
    let mut href = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            return None;
        }
        href.push(c);
    }
    let lower = href.get(..8).unwrap_or(&href).to_ascii_lowercase();
    let rest_after = |scheme: &str| href.get(scheme.len()..).unwrap_or("");
    let usable = if lower.starts_with("https://") || lower.starts_with("http://") {
        let scheme_len = if lower.starts_with("https") { 8 } else { 7 };
        rest_after(&href[..scheme_len])
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '[')
    } else if lower.starts_with("tg://") {
        !rest_after("tg://").is_empty()
    } else if lower.starts_with("mailto:") {
        rest_after("mailto:").contains('@')
    } else {
        false
    };
    usable.then_some(href)
}

/// End of an autolink such as `<https://example.com>` starting at `start`.
pub(super) fn autolink_end(line: &str, start: usize) -> Option<usize> {
    let rest = &line[start + 1..];
    let lower = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
    let known = ["http://", "https://", "mailto:", "tg://"]
        .iter()
        .any(|scheme| lower.starts_with(scheme));
    if !known {
        return None;
    }
    let close = rest.find(|c: char| c == '>' || c == '<' || c.is_whitespace())?;
    (rest.as_bytes()[close] == b'>').then_some(start + 1 + close + 1)
}

pub(super) fn starts_bare_url(line: &str, at: usize) -> bool {
    let rest = &line.as_bytes()[at..];
    let scheme = |s: &[u8]| rest.len() >= s.len() && rest[..s.len()].eq_ignore_ascii_case(s);
    (scheme(b"http://") || scheme(b"https://"))
        && !line[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
}

/// Where a bare URL ends: at whitespace or markup, minus trailing punctuation and markers.
pub(super) fn bare_url_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    let (mut opened, mut closed) = (0usize, 0usize);
    while end < bytes.len() {
        match bytes[end] {
            b if b.is_ascii_whitespace() => break,
            b'<' | b'>' | b'`' | b'[' | b']' | b'"' => break,
            b'(' => opened += 1,
            b')' => closed += 1,
            _ => {}
        }
        end += 1;
    }
    while end > start {
        match bytes[end - 1] {
            b')' if closed > opened => closed -= 1,
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'*' | b'_' | b'~' => {}
            _ => break,
        }
        end -= 1;
    }
    end
}
