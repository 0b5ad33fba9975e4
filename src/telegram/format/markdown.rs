//! Markdown as LLMs write it, turned into Telegram HTML one line at a time.
//!
//! Telegram shows newlines as they are, so the output keeps the reply's line structure: one
//! output line per source line, runs of blank lines folded into one. Each line is rendered
//! from itself plus a little state carried forward (inside a fence? a quote? a table?). A
//! finished line therefore never renders differently when more text arrives, which is what
//! lets the streaming splitter seal parts that stay sealed.

use super::html::{HtmlWriter, Kind, Output, Tag};
use super::inline::render_inline;
use super::tokens::ParsedHtml;

/// What a rule between sections becomes.
const RULE: &str = "———";
/// Between table cells.
const CELL_SEPARATOR: &str = " │ ";
/// Longest language name kept on a code block.
const MAX_LANGUAGE_LEN: usize = 32;

/// Telegram HTML for a complete Markdown reply.
///
/// Every character of text is escaped, only tags Telegram allows are produced, and they
/// always nest and balance, whatever the input (even a fence that never closes).
pub fn markdown_to_html(markdown: &str) -> String {
    let writer = HtmlWriter::resume(Vec::new(), Output::Html, markdown.len() + 64);
    render_into(writer, markdown, false).0.finish()
}

/// Telegram HTML for a reply that is still streaming in.
///
/// The same as [`markdown_to_html`] except on the unfinished last line: emphasis, code and
/// link labels still open there are shown closed, and markers that may still turn into
/// something else (`**` at the very end, a `[` without its `]`) are hidden until they do.
pub fn markdown_to_html_partial(markdown: &str) -> String {
    let writer = HtmlWriter::resume(Vec::new(), Output::Html, markdown.len() + 64);
    render_into(writer, markdown, true).0.finish()
}

/// A rendered reply, as a document ready for measuring and splitting.
pub(super) struct RenderedMarkdown {
    pub doc: ParsedHtml,
    /// Byte length of the visible text of the finished lines (those ending in `\n`, or all
    /// lines when the reply is complete): no later text changes this much of `doc`.
    pub finished_len: usize,
}

/// Renders `markdown`; with `partial`, its last line counts as unfinished unless it ends in
/// a newline.
pub(super) fn render_document(markdown: &str, partial: bool) -> RenderedMarkdown {
    let (writer, finished_len) =
        render_into(HtmlWriter::document(markdown.len()), markdown, partial);
    let doc = writer.finish_document();
    let finished_len = finished_len.unwrap_or(doc.visible.len());
    RenderedMarkdown { doc, finished_len }
}

/// The rendering of a reply that grows between calls, kept so that each finished line is
/// rendered once: a call renders the lines finished since the last one, then the unfinished
/// line on a copy of the state. The result is exactly [`render_document`]'s.
pub(super) struct GrowingDocument {
    renderer: Renderer,
    /// The Markdown whose lines are finished and rendered (up to and including its last
    /// `\n`), to tell a text that grew from one that was replaced.
    rendered: String,
}

impl Default for GrowingDocument {
    fn default() -> Self {
        GrowingDocument {
            renderer: Renderer::new(HtmlWriter::document(0)),
            rendered: String::new(),
        }
    }
}

impl GrowingDocument {
    /// The reply so far, its last line unfinished unless it ends in a newline. A text that
    /// does not extend the previous one is rendered from the start.
    pub(super) fn render(&mut self, markdown: &str) -> RenderedMarkdown {
        if !markdown.starts_with(self.rendered.as_str()) {
            *self = GrowingDocument::default();
        }
        let new = &markdown[self.rendered.len()..];
        if let Some(last_newline) = new.rfind('\n') {
            for line in new[..last_newline].split('\n') {
                self.renderer.line(without_cr(line), false);
            }
            self.rendered.push_str(&new[..=last_newline]);
        }
        let unfinished = &markdown[self.rendered.len()..];
        let finished_len = self.renderer.writer.document_len();
        if unfinished.is_empty() {
            let doc = self.renderer.writer.clone().finish_document();
            return RenderedMarkdown { doc, finished_len };
        }
        let mut renderer = self.renderer.clone();
        renderer.line(without_cr(unfinished), true);
        let doc = renderer.writer.finish_document();
        RenderedMarkdown { doc, finished_len }
    }
}

fn without_cr(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

/// Feeds `markdown` to `writer`. Also returns, for a document writer with an unfinished last
/// line, the document length before that line.
fn render_into(writer: HtmlWriter, markdown: &str, partial: bool) -> (HtmlWriter, Option<usize>) {
    let mut renderer = Renderer::new(writer);
    let unfinished_tail = partial && !markdown.ends_with('\n');
    // A final "\n" ends the last line; it does not start an empty one.
    let body = markdown.strip_suffix('\n').unwrap_or(markdown);
    let mut lines = body.split('\n').peekable();
    let mut finished_len = None;
    while let Some(line) = lines.next() {
        let line = without_cr(line);
        if unfinished_tail && lines.peek().is_none() {
            finished_len = Some(renderer.writer.document_len());
            renderer.line(line, true);
        } else {
            renderer.line(line, false);
        }
    }
    (renderer.writer, finished_len)
}

#[derive(Debug, Clone)]
struct Fence {
    marker: u8,
    len: usize,
    indent: usize,
    lines: usize,
}

#[derive(Debug, Clone)]
struct Quote {
    /// Visible length when the quote opened, to know whether it has content yet.
    start_len: usize,
    blank_before: bool,
}

#[derive(Clone)]
struct Renderer {
    writer: HtmlWriter,
    fence: Option<Fence>,
    quote: Option<Quote>,
    blank_before: bool,
    /// Rows of the table the previous lines belong to; the first row is its header.
    table_rows: usize,
}

impl Renderer {
    fn new(writer: HtmlWriter) -> Renderer {
        Renderer {
            writer,
            fence: None,
            quote: None,
            blank_before: false,
            table_rows: 0,
        }
    }

    fn line(&mut self, line: &str, partial: bool) {
        if self.fence.is_some() {
            self.fence_line(line, partial);
            return;
        }
        if let Some(content) = strip_quote_markers(line) {
            self.quote_line(content, partial);
            return;
        }
        if self.quote.take().is_some() {
            self.writer.close(Kind::Blockquote);
        }
        if line.trim().is_empty() {
            self.blank_before = true;
            self.table_rows = 0;
            return;
        }
        if let Some((fence, language)) = opening_fence(line) {
            self.table_rows = 0;
            self.separate();
            self.writer.open(Tag::Pre);
            if let Some(language) = language {
                self.writer.open(Tag::CodeLang(language));
            }
            self.fence = Some(fence);
            return;
        }
        self.separate();
        self.block_line(line, partial);
    }

    /// Asks for the newline(s) that separate this line from the previous output.
    fn separate(&mut self) {
        if self.writer.visible_len() > 0 {
            self.writer
                .line_break(if self.blank_before { 2 } else { 1 });
        }
        self.blank_before = false;
    }

    fn fence_line(&mut self, line: &str, partial: bool) {
        let Some(fence) = &mut self.fence else {
            return;
        };
        let trimmed = line.trim();
        let marker_run = trimmed.bytes().take_while(|&b| b == fence.marker).count();
        let only_markers = !trimmed.is_empty() && marker_run == trimmed.len();
        if only_markers && marker_run >= fence.len {
            self.writer.close(Kind::Pre);
            self.fence = None;
            self.blank_before = false;
            return;
        }
        if partial && (trimmed.is_empty() || only_markers) {
            // Possibly the closing fence being typed: show it once it is a code line for sure.
            return;
        }
        let content = strip_indent(line, fence.indent);
        if fence.lines > 0 {
            self.writer.text("\n");
        }
        fence.lines += 1;
        self.writer.text(content);
    }

    fn quote_line(&mut self, content: &str, partial: bool) {
        if self.quote.is_none() {
            self.table_rows = 0;
            self.separate();
            self.writer.open(Tag::Blockquote { expandable: false });
            self.quote = Some(Quote {
                start_len: self.writer.visible_len(),
                blank_before: false,
            });
        }
        let Some(quote) = &mut self.quote else {
            return;
        };
        if content.trim().is_empty() {
            quote.blank_before = true;
            self.table_rows = 0;
            return;
        }
        let has_content = self.writer.visible_len() > quote.start_len;
        let newlines = if quote.blank_before { 2 } else { 1 };
        quote.blank_before = false;
        if has_content {
            self.writer.line_break(newlines);
        }
        self.block_line(content, partial);
    }

    /// One line that is not code: heading, rule, list item, table row or paragraph text.
    fn block_line(&mut self, line: &str, partial: bool) {
        let line = line.trim_end();
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if !trimmed.starts_with('|') {
            self.table_rows = 0;
        }
        if let Some(title) = heading_text(trimmed) {
            self.writer.open(Tag::Bold);
            render_inline(title, &mut self.writer, partial);
            self.writer.close(Kind::Bold);
        } else if is_rule(trimmed) {
            self.writer.text(RULE);
        } else if partial && is_rule_in_progress(trimmed) {
            // "-" or "--" at the very end may be a rule being typed.
        } else if let Some(item) = bullet_item(trimmed) {
            self.writer.text(indent);
            self.writer.text(item.marker);
            render_inline(item.text, &mut self.writer, partial);
        } else if let Some((number, text)) = ordered_item(trimmed) {
            self.writer.text(indent);
            self.writer.text(number);
            self.writer.text(" ");
            render_inline(text, &mut self.writer, partial);
        } else if trimmed.starts_with('|') {
            self.table_row(trimmed, partial);
        } else {
            render_inline(line, &mut self.writer, partial);
        }
    }

    /// A table row as one line of cells; the header row in bold, the `|---|` row dropped.
    fn table_row(&mut self, row: &str, partial: bool) {
        if is_table_delimiter_row(row) {
            return;
        }
        let is_header = self.table_rows == 0;
        self.table_rows += 1;
        if is_header {
            self.writer.open(Tag::Bold);
        }
        let cells = split_cells(row);
        let last = cells.len().saturating_sub(1);
        for (index, (cell, closed)) in cells.into_iter().enumerate() {
            if index > 0 {
                self.writer.text(CELL_SEPARATOR);
            }
            let cell_partial = partial && index == last && !closed;
            render_inline(cell.trim(), &mut self.writer, cell_partial);
        }
        if is_header {
            self.writer.close(Kind::Bold);
        }
    }
}

/// The content of a `>` line, every level of `>` removed (Telegram quotes do not nest).
fn strip_quote_markers(line: &str) -> Option<&str> {
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
fn opening_fence(line: &str) -> Option<(Fence, Option<String>)> {
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
fn strip_indent(line: &str, indent: usize) -> &str {
    let spaces = line.bytes().take(indent).take_while(|&b| b == b' ').count();
    &line[spaces..]
}

/// The text of an ATX heading (`# Title`, `### Title ###`).
fn heading_text(trimmed: &str) -> Option<&str> {
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
fn is_rule(trimmed: &str) -> bool {
    let Some(marker) = trimmed.chars().next() else {
        return false;
    };
    matches!(marker, '-' | '*' | '_')
        && trimmed
            .chars()
            .all(|c| c == marker || c == ' ' || c == '\t')
        && trimmed.chars().filter(|&c| c == marker).count() >= 3
}

fn is_rule_in_progress(trimmed: &str) -> bool {
    matches!(trimmed, "-" | "--" | "*" | "**" | "_" | "__")
}

struct BulletItem<'a> {
    marker: &'static str,
    text: &'a str,
}

/// `- item`, `* item`, `+ item`, with `[ ]` / `[x]` task boxes.
fn bullet_item(trimmed: &str) -> Option<BulletItem<'_>> {
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
fn ordered_item(trimmed: &str) -> Option<(&str, &str)> {
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

fn is_table_delimiter_row(row: &str) -> bool {
    row.contains('-')
        && row
            .chars()
            .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
}

/// The cells of a `| a | b |` row, and whether each was closed by a `|`. Pipes inside code
/// spans and escaped pipes do not split.
fn split_cells(row: &str) -> Vec<(&str, bool)> {
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
