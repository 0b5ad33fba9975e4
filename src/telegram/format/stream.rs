//! Rendering a reply while it streams: parts that are final ("sealed") and the changing tail.
//!
//! The stream driver renders a growing reply with a [`StreamRenderer`] on every preview.
//! Sealed parts can be sent as real messages right away, because no later text changes them.
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

use std::ops::Range;

use super::html::Output;
use super::markdown::{GrowingDocument, render_document};
use super::split::{plan_parts, plan_parts_into, render_parts, render_parts_into};

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
/// visible UTF-16 units: a [`StreamRenderer`]'s first call. Linear in the text's length.
pub fn render_stream_with_limit(markdown_so_far: &str, limit: usize) -> StreamRender {
    StreamRenderer::with_limit(limit)
        .render(markdown_so_far)
        .to_render()
}

/// [`render_stream`] for one reply called again and again as it grows: each finished line
/// is rendered to Markdown's document once, and each sealed part to HTML once, so a call
/// costs the unfinished line plus the HTML of the tail. Same results as [`render_stream`],
/// whatever text it is given, without allocating once its buffers have grown.
pub struct StreamRenderer {
    document: GrowingDocument,
    limit: usize,
    sealed: Vec<String>,
    /// Where the part after the sealed ones starts in the document's visible text.
    tail_start: usize,
    /// The tail and the overflow parts of the last call; their strings are written over.
    unsealed: Vec<String>,
    ranges: Vec<Range<usize>>,
}

/// What [`StreamRenderer::render`] shows: [`StreamRender`], borrowed from the renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamView<'a> {
    pub sealed: &'a [String],
    pub tail: &'a str,
    pub overflow: &'a [String],
}

impl StreamView<'_> {
    pub fn to_render(&self) -> StreamRender {
        StreamRender {
            sealed: self.sealed.to_vec(),
            tail: self.tail.to_owned(),
            overflow: self.overflow.to_vec(),
        }
    }
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
            sealed: Vec::new(),
            tail_start: 0,
            unsealed: Vec::new(),
            ranges: Vec::new(),
        }
    }

    pub fn render(&mut self, markdown_so_far: &str) -> StreamView<'_> {
        let view = self.document.render(markdown_so_far);
        let doc = view.doc;
        if view.restarted {
            self.sealed.clear();
            self.tail_start = 0;
        }
        let limit = self.limit;
        let plan = |ranges: &mut Vec<Range<usize>>, from: usize, end: usize| {
            ranges.clear();
            plan_parts_into(ranges, doc, limit, from, end);
        };
        // Parts sealed before stay sealed (see the module docs), so planning resumes at the
        // first part that was not.
        plan(&mut self.ranges, self.tail_start, view.finished_len);
        if let Some((last, newly_sealed)) = self.ranges.split_last()
            && !newly_sealed.is_empty()
        {
            self.sealed
                .extend(render_parts(doc, newly_sealed, Output::Html));
            self.tail_start = last.start;
        }
        plan(&mut self.ranges, self.tail_start, doc.visible.len());
        render_parts_into(doc, &self.ranges, Output::Html, &mut self.unsealed);
        StreamView {
            sealed: &self.sealed,
            tail: self.unsealed.first().map_or("", String::as_str),
            overflow: self.unsealed.get(1..).unwrap_or_default(),
        }
    }
}

/// All parts of a finished reply at Telegram's limit. Its first parts are exactly the ones
/// [`render_stream`] sealed for any earlier prefix of the same reply.
pub fn render_final(markdown: &str) -> Vec<String> {
    render_final_with_limit(markdown, TELEGRAM_TEXT_LIMIT)
}

/// All parts of a finished reply, each at most `limit` visible UTF-16 units.
pub fn render_final_with_limit(markdown: &str, limit: usize) -> Vec<String> {
    let doc = render_document(markdown);
    let parts = plan_parts(&doc, limit, 0, doc.visible.len());
    render_parts(&doc, &parts, Output::Html)
}
