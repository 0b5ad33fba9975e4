//! Markdown as LLMs write it, turned into Telegram HTML one line at a time.
//!
//! Telegram shows newlines as they are, so the output keeps the reply's line structure: one
//! output line per source line, runs of blank lines folded into one. Each line is rendered
//! from itself plus a little state carried forward (inside a fence? a quote? a table?). A
//! finished line therefore never renders differently when more text arrives, which is what
//! lets the streaming splitter seal parts that stay sealed.

use super::blocks::{
    Fence, bullet_item, heading_text, is_rule, is_rule_in_progress, is_table_delimiter_row,
    opening_fence, ordered_item, split_cells, strip_indent, strip_quote_markers,
};
use super::html::{HtmlWriter, Kind, Output, Tag, WriterMark};
use super::inline::render_inline;
use super::tokens::ParsedHtml;

/// What a rule between sections becomes.
const RULE: &str = "———";
/// Between table cells.
const CELL_SEPARATOR: &str = " │ ";

/// Telegram HTML for a complete Markdown reply.
///
/// Every character of text is escaped, only tags Telegram allows are produced, and they
/// always nest and balance, whatever the input (even a fence that never closes).
pub fn markdown_to_html(markdown: &str) -> String {
    let writer = HtmlWriter::resume(Vec::new(), Output::Html, markdown.len() + 64);
    render_into(writer, markdown, false).finish()
}

/// Telegram HTML for a reply that is still streaming in.
///
/// The same as [`markdown_to_html`] except on the unfinished last line: emphasis, code and
/// link labels still open there are shown closed, and markers that may still turn into
/// something else (`**` at the very end, a `[` without its `]`) are hidden until they do.
pub fn markdown_to_html_partial(markdown: &str) -> String {
    let writer = HtmlWriter::resume(Vec::new(), Output::Html, markdown.len() + 64);
    render_into(writer, markdown, true).finish()
}

/// Renders a complete reply as a document ready for measuring and splitting.
pub(super) fn render_document(markdown: &str) -> ParsedHtml {
    render_into(HtmlWriter::document(markdown.len()), markdown, false).finish_document()
}

/// The rendering of a reply that grows between calls, kept so that each finished line is
/// rendered once: a call renders the lines finished since the last one, then the unfinished
/// line on top, which the next call takes back. The result is exactly what rendering the
/// whole text at once gives.
#[derive(Default)]
pub(super) struct GrowingDocument {
    renderer: Renderer,
    /// The Markdown whose lines are finished and rendered (up to and including its last
    /// `\n`), to tell a text that grew from one that was replaced.
    rendered: String,
    /// Where the finished lines end, while an unfinished line is written after them.
    unfinished_from: Option<RendererMark>,
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::new(HtmlWriter::document(0))
    }
}

impl GrowingDocument {
    /// The reply so far, its last line unfinished unless it ends in a newline. A text that
    /// does not extend the previous one is rendered from the start.
    pub(super) fn render(&mut self, markdown: &str) -> GrowingView<'_> {
        if let Some(mark) = &self.unfinished_from {
            self.renderer.rewind(mark);
        }
        let restarted = !markdown.starts_with(self.rendered.as_str());
        if restarted {
            *self = GrowingDocument::default();
        }
        let new = &markdown[self.rendered.len()..];
        if let Some(last_newline) = new.rfind('\n') {
            for line in new[..last_newline].split('\n') {
                self.renderer.line(without_cr(line), false);
            }
            self.rendered.push_str(&new[..=last_newline]);
        }
        let finished_len = self.renderer.writer.document_len();
        let mark = self
            .unfinished_from
            .get_or_insert_with(RendererMark::default);
        self.renderer.mark(mark);
        let unfinished = &markdown[self.rendered.len()..];
        if !unfinished.is_empty() {
            self.renderer.line(without_cr(unfinished), true);
        }
        GrowingView {
            doc: self.renderer.writer.close_document(),
            finished_len,
            restarted,
        }
    }
}

/// [`GrowingDocument::render`]'s answer.
pub(super) struct GrowingView<'a> {
    pub doc: &'a ParsedHtml,
    /// Byte length of the visible text of the finished lines (those ending in `\n`): no
    /// later text changes this much of `doc`.
    pub finished_len: usize,
    /// The text did not extend the previous one, so nothing from before carries over.
    pub restarted: bool,
}

fn without_cr(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

/// Feeds `markdown` to `writer`; with `partial`, its last line counts as unfinished unless
/// it ends in a newline.
fn render_into(writer: HtmlWriter, markdown: &str, partial: bool) -> HtmlWriter {
    let mut renderer = Renderer::new(writer);
    let unfinished_tail = partial && !markdown.ends_with('\n');
    // A final "\n" ends the last line; it does not start an empty one.
    let body = markdown.strip_suffix('\n').unwrap_or(markdown);
    let mut lines = body.split('\n').peekable();
    while let Some(line) = lines.next() {
        let partial_line = unfinished_tail && lines.peek().is_none();
        renderer.line(without_cr(line), partial_line);
    }
    renderer.writer
}

#[derive(Debug, Clone, Copy)]
struct Quote {
    /// Visible length when the quote opened, to know whether it has content yet.
    start_len: usize,
    blank_before: bool,
}

struct Renderer {
    writer: HtmlWriter,
    fence: Option<Fence>,
    quote: Option<Quote>,
    blank_before: bool,
    /// Rows of the table the previous lines belong to; the first row is its header.
    table_rows: usize,
}

/// A [`Renderer`]'s state at some point, to come back to.
#[derive(Default)]
struct RendererMark {
    writer: WriterMark,
    fence: Option<Fence>,
    quote: Option<Quote>,
    blank_before: bool,
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

    fn mark(&self, mark: &mut RendererMark) {
        self.writer.mark(&mut mark.writer);
        mark.fence = self.fence;
        mark.quote = self.quote;
        mark.blank_before = self.blank_before;
        mark.table_rows = self.table_rows;
    }

    fn rewind(&mut self, mark: &RendererMark) {
        self.writer.rewind(&mark.writer);
        self.fence = mark.fence;
        self.quote = mark.quote;
        self.blank_before = mark.blank_before;
        self.table_rows = mark.table_rows;
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
