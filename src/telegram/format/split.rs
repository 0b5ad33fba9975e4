//! Splitting a long message into parts Telegram accepts, without losing a character.
//!
//! The cut points are chosen on the visible text: a paragraph break if there is one in the
//! second half of the room left, else a line break, a sentence end, a space, and only then
//! anywhere (never inside a character, and not inside an emoji sequence). Tags open across a
//! cut are closed at the end of the part and reopened at the start of the next, so a code
//! block keeps its language in every part.
//!
//! A cut depends only on the text from the part's start to one character past the room
//! available. That is what makes the streaming splitter's sealed parts stable.

use std::ops::Range;

use super::html::{HtmlWriter, Output};
use super::markdown::render_document;
use super::tokens::{ParsedHtml, Token, parse_html};

/// Smallest usable limit: one character outside the BMP takes two UTF-16 units.
const MIN_LIMIT: usize = 2;
/// How far a hard cut may step back to keep an emoji sequence together.
const MAX_SEQUENCE_BACKTRACK: usize = 8;

/// Splits Telegram HTML into parts of at most `limit` visible UTF-16 units each.
///
/// Every part is valid HTML on its own, and no part is empty (empty or blank input gives no
/// parts). The parts' visible texts, joined, are the input's visible text minus the
/// whitespace at each cut. A `limit` below 2 is taken as 2.
pub fn split_html(html: &str, limit: usize) -> Vec<String> {
    let doc = parse_html(html);
    let parts = plan_parts(&doc, limit, 0, doc.visible.len());
    render_parts(&doc, &parts, Output::Html)
}

/// The reply as plain text (no parse mode), split the same way: for resending a reply
/// Telegram refused to parse. Markup is gone, but the text reads as formatted (bullets,
/// headings on their own line, links as their label).
pub fn plain_text_fallback(markdown: &str, limit: usize) -> Vec<String> {
    let doc = render_document(markdown);
    let parts = plan_parts(&doc, limit, 0, doc.visible.len());
    render_parts(&doc, &parts, Output::Plain)
}

/// Byte ranges of `doc.visible[..end]`, one per part, starting at `from`.
pub(super) fn plan_parts(
    doc: &ParsedHtml,
    limit: usize,
    from: usize,
    end: usize,
) -> Vec<Range<usize>> {
    let mut parts = Vec::with_capacity(end / limit.max(MIN_LIMIT) + 1);
    plan_parts_into(&mut parts, doc, limit, from, end);
    parts
}

/// [`plan_parts`], appended to `parts`.
pub(super) fn plan_parts_into(
    parts: &mut Vec<Range<usize>>,
    doc: &ParsedHtml,
    limit: usize,
    from: usize,
    end: usize,
) {
    let limit = limit.max(MIN_LIMIT);
    let text = &doc.visible[..end];
    let mut start = skip_cut_whitespace(doc, text, from.min(text.len()));
    while start < text.len() {
        let room_end = advance_utf16(text, start, limit);
        if room_end >= text.len() {
            push_trimmed(parts, text, start, text.len());
            break;
        }
        let cut = choose_cut(text, start, room_end);
        push_trimmed(parts, text, start, cut);
        start = skip_cut_whitespace(doc, text, cut);
    }
}

fn push_trimmed(parts: &mut Vec<Range<usize>>, text: &str, start: usize, end: usize) {
    let trimmed_end = start + text[start..end].trim_end().len();
    if trimmed_end > start {
        parts.push(start..trimmed_end);
    }
}

/// The next part starts after the line breaks at a cut, and after spaces too unless they
/// indent code.
fn skip_cut_whitespace(doc: &ParsedHtml, text: &str, mut pos: usize) -> usize {
    while let Some(c) = text[pos..].chars().next() {
        let skip = c == '\n' || c == '\r' || (c.is_whitespace() && !doc.in_pre(pos));
        if !skip {
            break;
        }
        pos += c.len_utf8();
    }
    pos
}

/// The furthest char boundary after `start` whose text fits in `limit` UTF-16 units.
fn advance_utf16(text: &str, start: usize, limit: usize) -> usize {
    // A character never takes more UTF-16 units than UTF-8 bytes.
    if text.len() - start <= limit {
        return text.len();
    }
    let mut units = 0;
    for (offset, c) in text[start..].char_indices() {
        units += c.len_utf16();
        if units > limit {
            return start + offset;
        }
    }
    text.len()
}

/// Where to end a part that starts at `start` and must end by `room_end` (< text length).
fn choose_cut(text: &str, start: usize, room_end: usize) -> usize {
    let mut half = start + (room_end - start) / 2;
    while !text.is_char_boundary(half) {
        half -= 1;
    }
    let (mut line, mut sentence, mut word) = (None, None, None);
    let mut next = text[room_end..].chars().next();
    for (offset, prev) in text[half..room_end].char_indices().rev() {
        let cut = half + offset + prev.len_utf8();
        if let Some(after) = next
            && cut > start
        {
            if prev == '\n' && after == '\n' {
                return cut;
            }
            if line.is_none() && after == '\n' {
                line = Some(cut);
            }
            if sentence.is_none() && ends_sentence(prev, after) {
                sentence = Some(cut);
            }
            if word.is_none() && after.is_whitespace() {
                word = Some(cut);
            }
        }
        next = Some(prev);
    }
    line.or(sentence)
        .or(word)
        .unwrap_or_else(|| hard_cut(text, start, room_end))
}

fn ends_sentence(prev: char, after: char) -> bool {
    (matches!(prev, '.' | '!' | '?' | '…') && after.is_whitespace())
        || matches!(prev, '。' | '！' | '？')
}

/// A cut anywhere, moved back (a little) so it does not split an emoji sequence, a flag's
/// modifiers or a combining mark from its base.
fn hard_cut(text: &str, start: usize, room_end: usize) -> usize {
    let mut cut = room_end;
    for _ in 0..MAX_SEQUENCE_BACKTRACK {
        let after = text[cut..].chars().next();
        let Some(before) = text[..cut].chars().next_back() else {
            return room_end;
        };
        if !(after.is_some_and(continues_sequence) || before == '\u{200D}') {
            return cut;
        }
        cut -= before.len_utf8();
        if cut <= start {
            return room_end;
        }
    }
    room_end
}

/// Characters that attach to the one before them.
fn continues_sequence(c: char) -> bool {
    matches!(c,
        '\u{200D}'
        | '\u{FE0E}'
        | '\u{FE0F}'
        | '\u{0300}'..='\u{036F}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{1F3FB}'..='\u{1F3FF}'
        | '\u{E0020}'..='\u{E007F}')
}

/// Writes each planned part with the elements open at its start reopened.
pub(super) fn render_parts(
    doc: &ParsedHtml,
    parts: &[Range<usize>],
    output: Output,
) -> Vec<String> {
    let mut rendered = Vec::with_capacity(parts.len());
    render_parts_into(doc, parts, output, &mut rendered);
    rendered
}

/// [`render_parts`] into `rendered`, whose strings are written over: a preview rendered
/// again and again reuses its buffer. Parts before the first planned one are walked for
/// the elements open at its start, and not written.
pub(super) fn render_parts_into(
    doc: &ParsedHtml,
    parts: &[Range<usize>],
    output: Output,
    rendered: &mut Vec<String>,
) {
    rendered.truncate(parts.len());
    if parts.is_empty() {
        return;
    }
    let buffer_for = |index: usize, rendered: &mut Vec<String>| {
        let Some(part) = parts.get(index) else {
            return String::new();
        };
        let mut buffer = rendered
            .get_mut(index)
            .map(std::mem::take)
            .unwrap_or_default();
        buffer.clear();
        buffer.reserve(part.len() + part.len() / 4 + 64);
        buffer
    };
    let mut current = 0;
    let first = buffer_for(0, rendered);
    let mut writer = HtmlWriter::resume_into(Vec::new(), output, first);
    for token in &doc.tokens {
        match token {
            Token::Open(tag) => writer.open(tag.clone()),
            Token::Close(kind) => writer.close(*kind),
            Token::Text(range) => {
                let mut pos = range.start;
                while pos < range.end {
                    let part = &parts[current];
                    if pos < part.start {
                        pos = part.start.min(range.end);
                        continue;
                    }
                    let upto = part.end.min(range.end);
                    writer.text(&doc.visible[pos..upto]);
                    pos = upto;
                    if pos < part.end {
                        continue;
                    }
                    let next = buffer_for(current + 1, rendered);
                    let carried = HtmlWriter::resume_into(writer.open_tags(), output, next);
                    let html = std::mem::replace(&mut writer, carried).finish();
                    match rendered.get_mut(current) {
                        Some(slot) => *slot = html,
                        None => rendered.push(html),
                    }
                    current += 1;
                    if current == parts.len() {
                        return;
                    }
                }
            }
        }
    }
    rendered.truncate(current);
}
