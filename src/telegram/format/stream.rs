//! Rendering a reply while it streams: parts that are final ("sealed") and the changing tail.
//!
//! The outbox calls [`render_stream`] on every update of a growing reply. Sealed parts can be
//! sent as real messages right away, because no later text changes them.
//!
//! Why they stay sealed:
//! 1. A finished source line (one followed by `\n`) always renders the same, whatever comes
//!    after it (see `markdown`).
//! 2. Sealed parts are cut from the rendering of the finished lines alone. Appending lines
//!    only appends visible text to it.
//! 3. A cut depends only on the text from the part's start to one character past the limit
//!    (see `split`). So every part but the last of that split is already final.
//!
//! The tail (the last of those parts plus the unfinished line) is rendered optimistically,
//! as [`markdown_to_html_partial`](super::markdown_to_html_partial) does, and may change on
//! every call. Both come from one rendering: the finished lines are a prefix of it.

use super::html::Output;
use super::markdown::{GrowingDocument, RenderedMarkdown, render_document};
use super::split::{plan_parts, render_parts};

/// Telegram's limit for a message text, in UTF-16 units after entity parsing.
pub const TELEGRAM_TEXT_LIMIT: usize = 4096;

/// A streaming reply, ready to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamRender {
    /// Final parts, in order. A later call with more text returns these same strings at the
    /// same positions, so each can be sent once, as a message of its own.
    pub sealed: Vec<String>,
    /// The part after the sealed ones, as it looks now (for a draft or the message being
    /// edited). Empty while nothing is visible yet.
    pub tail: String,
    /// Provisional parts after `tail`. Only non-empty briefly: when an unfinished line has
    /// pushed the text past the limit. They become sealed once that line ends.
    pub overflow: Vec<String>,
}

/// [`render_stream_with_limit`] at Telegram's limit.
pub fn render_stream(markdown_so_far: &str) -> StreamRender {
    render_stream_with_limit(markdown_so_far, TELEGRAM_TEXT_LIMIT)
}

/// Renders the Markdown received so far into sealed parts and a tail, each at most `limit`
/// visible UTF-16 units. One rendering of the text: linear in its length.
pub fn render_stream_with_limit(markdown_so_far: &str, limit: usize) -> StreamRender {
    split_stream(&render_document(markdown_so_far, true), limit)
}

/// [`render_stream`] for one reply called again and again as it grows: each finished line
/// is rendered once, not once per call, so a reply previewed n times costs about one
/// rendering of its text, plus the unfinished line each time. Same results as
/// [`render_stream`], whatever text it is given.
pub struct StreamRenderer {
    document: GrowingDocument,
    limit: usize,
}

impl Default for StreamRenderer {
    fn default() -> Self {
        StreamRenderer::with_limit(TELEGRAM_TEXT_LIMIT)
    }
}

impl StreamRenderer {
    /// Parts of at most `limit` visible UTF-16 units, as [`render_stream_with_limit`].
    pub fn with_limit(limit: usize) -> StreamRenderer {
        StreamRenderer {
            document: GrowingDocument::default(),
            limit,
        }
    }

    pub fn render(&mut self, markdown_so_far: &str) -> StreamRender {
        split_stream(&self.document.render(markdown_so_far), self.limit)
    }
}

fn split_stream(rendered: &RenderedMarkdown, limit: usize) -> StreamRender {
    let doc = &rendered.doc;
    let mut ranges = plan_parts(doc, limit, 0, rendered.finished_len);
    let (sealed_count, tail_start) = match ranges.split_last() {
        Some((last, sealed)) if !sealed.is_empty() => (sealed.len(), last.start),
        _ => (0, 0),
    };
    ranges.truncate(sealed_count);
    ranges.extend(plan_parts(doc, limit, tail_start, doc.visible.len()));
    let mut parts = render_parts(doc, &ranges, Output::Html).into_iter();
    StreamRender {
        sealed: parts.by_ref().take(sealed_count).collect(),
        tail: parts.next().unwrap_or_default(),
        overflow: parts.collect(),
    }
}

/// All parts of a finished reply at Telegram's limit. Its first parts are exactly the ones
/// [`render_stream`] sealed for any earlier prefix of the same reply.
pub fn render_final(markdown: &str) -> Vec<String> {
    render_final_with_limit(markdown, TELEGRAM_TEXT_LIMIT)
}

/// All parts of a finished reply, each at most `limit` visible UTF-16 units.
pub fn render_final_with_limit(markdown: &str, limit: usize) -> Vec<String> {
    let doc = render_document(markdown, false).doc;
    let parts = plan_parts(&doc, limit, 0, doc.visible.len());
    render_parts(&doc, &parts, Output::Html)
}
