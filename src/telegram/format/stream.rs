//! Rendering a reply while it streams: parts that are final ("sealed") and the changing tail.
//!
//! The outbox calls [`render_stream`] on every update of a growing reply. Sealed parts can be
//! sent as real messages right away, because no later text changes them.
//!
//! Why they stay sealed:
//! 1. A finished source line (one followed by `\n`) always renders the same, whatever comes
//!    after it (see `markdown`).
//! 2. Parts are cut from the rendering of the finished lines alone. Appending lines only
//!    appends visible text to it.
//! 3. A cut depends only on the text from the part's start to one character past the limit
//!    (see `split`). So every part but the last of that split is already final.
//!
//! The tail (the last of those parts plus the unfinished line) is rendered optimistically
//! with [`markdown_to_html_partial`] and may change on every call.

use super::markdown::{markdown_to_html, markdown_to_html_partial};
use super::split::{plan_parts, render_parts};
use super::tokens::parse_html;

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
/// visible UTF-16 units. Costs two renderings of the text: linear in its length.
pub fn render_stream_with_limit(markdown_so_far: &str, limit: usize) -> StreamRender {
    let finished_lines_end = markdown_so_far.rfind('\n').map_or(0, |i| i + 1);
    let stable = parse_html(&markdown_to_html(&markdown_so_far[..finished_lines_end]));
    let stable_parts = plan_parts(&stable, limit, 0);
    let (sealed_parts, tail_start) = match stable_parts.split_last() {
        Some((last, sealed)) if !sealed.is_empty() => (sealed, last.start),
        _ => (&[][..], 0),
    };
    let sealed = render_parts(&stable, sealed_parts, false);

    let current = parse_html(&markdown_to_html_partial(markdown_so_far));
    let live_parts = plan_parts(&current, limit, tail_start);
    let mut live = render_parts(&current, &live_parts, false).into_iter();
    StreamRender {
        sealed,
        tail: live.next().unwrap_or_default(),
        overflow: live.collect(),
    }
}

/// All parts of a finished reply at Telegram's limit. Its first parts are exactly the ones
/// [`render_stream`] sealed for any earlier prefix of the same reply.
pub fn render_final(markdown: &str) -> Vec<String> {
    render_final_with_limit(markdown, TELEGRAM_TEXT_LIMIT)
}

/// All parts of a finished reply, each at most `limit` visible UTF-16 units.
pub fn render_final_with_limit(markdown: &str, limit: usize) -> Vec<String> {
    let doc = parse_html(&markdown_to_html(markdown));
    let parts = plan_parts(&doc, limit, 0);
    render_parts(&doc, &parts, false)
}
