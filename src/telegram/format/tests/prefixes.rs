//! Streaming safety: every prefix of every corpus reply renders to valid Telegram HTML, in both
//! modes, and a partial render never ends in a marker that the next token could swallow.

use super::corpus::REPLIES;
use super::validator::{check_telegram_html, visible_text};
use crate::telegram::format::{markdown_to_html, markdown_to_html_partial};

fn char_boundaries(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
}

#[test]
fn every_prefix_of_every_reply_is_valid_html() {
    let mut checked = 0;
    for (index, reply) in REPLIES.iter().enumerate() {
        for end in char_boundaries(reply) {
            let prefix = &reply[..end];
            for (mode, html) in [
                ("complete", markdown_to_html(prefix)),
                ("partial", markdown_to_html_partial(prefix)),
            ] {
                if let Err(problem) = check_telegram_html(&html) {
                    panic!("reply {index}, {mode} prefix {prefix:?}\n→ {html}\n{problem}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 5_000, "only {checked} renders checked");
}

/// The end of `html` without its closing tags, unless one of them closes code (whose
/// content is shown literally, markers included).
fn trailing_text_outside_code(html: &str) -> Option<&str> {
    let mut rest = html;
    while rest.ends_with('>') {
        let open = rest.rfind("</")?;
        if rest[open..].starts_with("</code>") {
            return None;
        }
        rest = &rest[..open];
    }
    Some(rest)
}

#[test]
fn partial_renders_never_end_in_a_dangling_marker() {
    for (index, reply) in REPLIES.iter().enumerate() {
        for end in char_boundaries(reply) {
            let prefix = &reply[..end];
            let html = markdown_to_html_partial(prefix);
            let Some(text) = trailing_text_outside_code(&html) else {
                continue;
            };
            let marker_run = prefix
                .trim_end()
                .trim_end_matches(['*', '_', '~', '`', '[']);
            let escaped = marker_run.ends_with('\\');
            let dangling = ["*", "_", "~~", "`", "["].iter().any(|m| text.ends_with(m));
            assert!(
                !dangling || escaped || prefix.ends_with('\n'),
                "reply {index}: prefix {prefix:?} renders {html:?}"
            );
        }
    }
}

#[test]
fn unterminated_fence_is_closed_in_every_snapshot() {
    let reply = "Try this:\n\n```rust\nfn main() {\n    let x = 1 < 2;\n";
    for end in char_boundaries(reply) {
        let html = markdown_to_html_partial(&reply[..end]);
        assert_eq!(check_telegram_html(&html), Ok(()), "{html}");
    }
    assert_eq!(
        markdown_to_html_partial(reply),
        "Try this:\n\n<pre><code class=\"language-rust\">fn main() {\n    let x = 1 &lt; 2;</code></pre>"
    );
}

#[test]
fn streaming_bold_does_not_flicker_its_markers() {
    let reply = "Risk **only 1%** per trade";
    let snapshots: Vec<String> = char_boundaries(reply)
        .map(|end| visible_text(&markdown_to_html_partial(&reply[..end])))
        .collect();
    assert!(
        snapshots.iter().all(|shown| !shown.contains('*')),
        "{snapshots:#?}"
    );
    assert_eq!(
        markdown_to_html_partial("Risk **only 1"),
        "Risk <b>only 1</b>"
    );
    assert_eq!(
        markdown_to_html_partial("Risk **only 1%*"),
        "Risk <b>only 1%</b>"
    );
    assert_eq!(
        markdown_to_html_partial("Use `cargo"),
        "Use <code>cargo</code>"
    );
    assert_eq!(
        markdown_to_html_partial("See [the guide](https://exa"),
        "See the guide"
    );
    assert_eq!(markdown_to_html_partial("## Tit"), "<b>Tit</b>");
    assert_eq!(markdown_to_html_partial("Text\n\n##"), "Text");
}

#[test]
fn a_finished_line_renders_the_same_whatever_follows() {
    for reply in REPLIES {
        let finished: Vec<usize> = reply.match_indices('\n').map(|(i, _)| i + 1).collect();
        for (&cut, &next) in finished.iter().zip(finished.iter().skip(1)) {
            let before = visible_text(&markdown_to_html(&reply[..cut]));
            let after = visible_text(&markdown_to_html(&reply[..next]));
            assert!(
                after.starts_with(&before),
                "{:?} renders {before:?}, but with the next line {after:?}",
                &reply[..cut]
            );
        }
    }
}
