//! The pure text layer between the LLM and Telegram: Markdown in, Telegram HTML out.
//!
//! - [`markdown_to_html`] / [`markdown_to_html_partial`]: Telegram HTML from the Markdown LLMs
//!   write, valid for every prefix of a reply (open fences and tags are closed, every
//!   character escaped).
//! - [`utf16_len`] / [`visible_len`]: lengths as Telegram counts them.
//! - [`split_html`], [`render_final`]: parts within the 4096 limit, cut at paragraph, line,
//!   sentence, then word boundaries, with open tags (a code block's language too) reopened.
//! - [`render_stream`]: the parts of a reply that is still streaming, the sealed ones final;
//!   [`StreamRenderer`] gives the same for a growing reply, rendering each line once.
//! - [`plain_text_fallback`]: the same parts as plain text, if Telegram refuses the HTML.
//!
//! Everything here is linear in the input and never fails: any string is valid input.

mod blocks;
mod delimiters;
mod escape;
mod html;
mod inline;
mod links;
mod markdown;
mod split;
mod stream;
mod tokens;
mod utf16;

#[cfg(test)]
mod tests;

pub use markdown::{markdown_to_html, markdown_to_html_partial};

/// Escapes plain text for Telegram HTML, attribute-safe (`&`, `<`, `>`, `"`).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape::escape_into(text, &mut out, true);
    out
}
pub use split::{plain_text_fallback, split_html};
pub use stream::{
    StreamRender, StreamRenderer, StreamView, TELEGRAM_TEXT_LIMIT, render_final,
    render_final_with_limit, render_stream, render_stream_with_limit,
};
pub use utf16::{utf16_len, visible_len};
