//! Recognising the block syntax of one Markdown line: fences, quotes, headings, rules, list
//! items and table rows. Each function looks at the line alone.

/// Longest language name kept on a code block.
const MAX_LANGUAGE_LEN: usize = 32;

/// An open code fence.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fence {
    pub marker: u8,
    pub len: usize,
    pub indent: usize,
    /// Code lines written so far.
    pub lines: usize,
}

/// The content of a `>` line, every level of `>` removed (Telegram quotes do not nest).
pub(super) fn strip_quote_markers(line: &str) -> Option<&str> {
    let mut rest = line;
    let mut quoted = false;
    loop {
        let spaces = rest.len() - rest.trim_start_matches(' ').len();
        let Some(after) = rest[spaces..].strip_prefix('>') else {
            break;
        };
        if spaces > 3 {
            break;
        }
        quoted = true;
        rest = after.strip_prefix(' ').unwrap_or(after);
    }
    quoted.then_some(rest)
}

/// A ``` or ~~~ fence opening a code block, and its language.
pub(super) fn opening_fence(line: &str) -> Option<(Fence, Option<String>)> {
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    let marker = *trimmed.as_bytes().first()?;
    if marker != b'`' && marker != b'~' {
        return None;
    }
    let len = trimmed.bytes().take_while(|&b| b == marker).count();
    if len < 3 {
        return None;
    }
    let info = trimmed[len..].trim();
    if marker == b'`' && info.contains('`') {
        // "```x```" on one line is inline code, not a fence.
        return None;
    }
    let language: String = info
        .split_whitespace()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '#' | '.' | '-'))
        .take(MAX_LANGUAGE_LEN)
        .collect();
    let fence = Fence {
        marker,
        len,
        indent,
        lines: 0,
    };
    Some((fence, (!language.is_empty()).then_some(language)))
}

/// `line` without up to `indent` leading spaces (a fence's indentation inside a list).
pub(super) fn strip_indent(line: &str, indent: usize) -> &str {
    let spaces = line.bytes().take(indent).take_while(|&b| b == b' ').count();
    &line[spaces..]
}

/// The text of an ATX heading (`# Title`, `### Title ###`).
pub(super) fn heading_text(trimmed: &str) -> Option<&str> {
    let level = trimmed.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &trimmed[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim();
    let without_closing = rest.trim_end_matches('#');
    if without_closing.is_empty() || without_closing.ends_with([' ', '\t']) {
        Some(without_closing.trim_end())
    } else {
        Some(rest)
    }
}

/// `---`, `***`, `___` (spaces allowed between).
pub(super) fn is_rule(trimmed: &str) -> bool {
    let Some(marker) = trimmed.chars().next() else {
        return false;
    };
    matches!(marker, '-' | '*' | '_')
        && trimmed
            .chars()
            .all(|c| c == marker || c == ' ' || c == '\t')
        && trimmed.chars().filter(|&c| c == marker).count() >= 3
}

pub(super) fn is_rule_in_progress(trimmed: &str) -> bool {
    matches!(trimmed, "-" | "--" | "*" | "**" | "_" | "__")
}

pub(super) struct BulletItem<'a> {
    pub marker: &'static str,
    pub text: &'a str,
}

/// `- item`, `* item`, `+ item`, with `[ ]` / `[x]` task boxes.
pub(super) fn bullet_item(trimmed: &str) -> Option<BulletItem<'_>> {
    let mut chars = trimmed.chars();
    if !matches!(chars.next(), Some('-' | '*' | '+')) {
        return None;
    }
    let text = match chars.as_str() {
        "" => "",
        rest if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => return None,
    };
    let (marker, text) = if let Some(rest) = text.strip_prefix("[ ] ") {
        ("☐ ", rest)
    } else if let Some(rest) = text
        .strip_prefix("[x] ")
        .or_else(|| text.strip_prefix("[X] "))
    {
        ("☑ ", rest)
    } else {
        ("• ", text)
    };
    Some(BulletItem { marker, text })
}

/// `1. item` or `1) item`: the number with its punctuation, and the text.
pub(super) fn ordered_item(trimmed: &str) -> Option<(&str, &str)> {
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=9).contains(&digits) {
        return None;
    }
    let punct = *trimmed.as_bytes().get(digits)?;
    if punct != b'.' && punct != b')' {
        return None;
    }
    let rest = &trimmed[digits + 1..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some((&trimmed[..=digits], rest.trim_start()))
}

pub(super) fn is_table_delimiter_row(row: &str) -> bool {
    row.contains('-')
        && row
            .chars()
            .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
}

/// The cells of a `| a | b |` row, and whether each was closed by a `|`. Pipes inside code
/// spans and escaped pipes do not split.
pub(super) fn split_cells(row: &str) -> Vec<(&str, bool)> {
    let body = row.strip_prefix('|').unwrap_or(row);
    let bytes = body.as_bytes();
    let mut cells = Vec::new();
    let mut cell_start = 0;
    let mut code_run = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'`' => {
                let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
                code_run = match code_run {
                    0 => run,
                    open if open == run => 0,
                    open => open,
                };
                i += run - 1;
            }
            b'|' if code_run == 0 => {
                cells.push((&body[cell_start..i], true));
                cell_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let tail = &body[cell_start.min(body.len())..];
    if !tail.trim().is_empty() {
        cells.push((tail, false));
    }
    cells
}
