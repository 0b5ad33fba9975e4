//! The streaming splitter: sealed parts never change as the reply grows, the tail shows the
//! rest, and the finished reply's parts begin with everything that was sealed.

use super::corpus::REPLIES;
use super::long_reply::{assert_parts_cover, long_reply};
use crate::telegram::format::{
    StreamRender, StreamRenderer, TELEGRAM_TEXT_LIMIT, markdown_to_html_partial,
    render_final_with_limit, render_stream, render_stream_with_limit,
};

fn all_parts(render: &StreamRender) -> Vec<String> {
    let mut parts = render.sealed.clone();
    if !render.tail.is_empty() {
        parts.push(render.tail.clone());
    }
    parts.extend(render.overflow.iter().cloned());
    parts
}

/// Streams `markdown` through `render_stream_with_limit` at the given prefix ends and checks
/// every snapshot. Returns how many parts were sealed before the reply finished.
fn stream_and_check(markdown: &str, limit: usize, ends: impl Iterator<Item = usize>) -> usize {
    let finished = render_final_with_limit(markdown, limit);
    let mut sealed_so_far: Vec<String> = Vec::new();
    for end in ends {
        let prefix = &markdown[..end];
        let render = render_stream_with_limit(prefix, limit);
        assert!(
            render.sealed.starts_with(&sealed_so_far),
            "a sealed part changed at {end}: was {sealed_so_far:#?}, now {:#?}",
            render.sealed
        );
        assert!(
            finished.starts_with(&render.sealed),
            "sealed parts at {end} differ from the finished reply's"
        );
        assert!(render.overflow.is_empty() || !render.tail.is_empty());
        assert_parts_cover(
            &markdown_to_html_partial(prefix),
            &all_parts(&render),
            limit,
        );
        sealed_so_far = render.sealed;
    }
    sealed_so_far.len()
}

/// Every `step`-th char boundary plus both sides of every newline, in order.
fn boundaries_every(text: &str, step: usize) -> impl Iterator<Item = usize> {
    let mut ends: Vec<usize> = (0..=text.len())
        .step_by(step)
        .chain(text.match_indices('\n').flat_map(|(i, _)| [i, i + 1]))
        .chain([text.len()])
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    ends.sort_unstable();
    ends.dedup();
    ends.into_iter()
}

#[test]
fn long_reply_seals_parts_that_never_change() {
    let markdown = long_reply();
    let sealed = stream_and_check(
        &markdown,
        TELEGRAM_TEXT_LIMIT,
        boundaries_every(&markdown, 97),
    );
    let finished = render_final_with_limit(&markdown, TELEGRAM_TEXT_LIMIT);
    assert_eq!(
        sealed,
        finished.len() - 1,
        "all but the last part sealed while streaming"
    );
}

#[test]
fn every_prefix_of_the_corpus_streams_stably_at_a_small_limit() {
    let markdown = REPLIES.join("\n\n");
    let ends = markdown
        .char_indices()
        .map(|(i, _)| i)
        .chain([markdown.len()]);
    let sealed = stream_and_check(&markdown, 300, ends);
    assert!(sealed >= 10, "only {sealed} parts sealed");
}

#[test]
fn the_code_block_is_sealed_closed_and_continues_with_its_language() {
    let markdown = long_reply();
    let opening = "<pre><code class=\"language-rust\">";
    let code_end = markdown.find("```\n\n").expect("the code block ends");
    let render = render_stream(&markdown[..code_end]);
    let first_sealed_code = render
        .sealed
        .iter()
        .position(|part| part.contains(opening))
        .expect("the first part of the code block is sealed");
    assert!(render.sealed[first_sealed_code].ends_with("</code></pre>"));
    let continuation = render
        .sealed
        .get(first_sealed_code + 1)
        .unwrap_or(&render.tail);
    assert!(continuation.starts_with(opening), "{continuation:.80}");
    assert!(
        render.tail.ends_with("</code></pre>"),
        "the open fence is closed in the tail"
    );
}

#[test]
fn a_line_crossing_the_limit_overflows_until_it_ends() {
    let first = "The first line has exactly forty chars.\n";
    let second = "and the second line runs past the limit";
    let render = render_stream_with_limit(&format!("{first}{second}"), 50);
    assert!(render.sealed.is_empty());
    assert_eq!(render.tail, "The first line has exactly forty chars.");
    assert_eq!(render.overflow, ["and the second line runs past the limit"]);

    let render = render_stream_with_limit(&format!("{first}{second}\n"), 50);
    assert_eq!(render.sealed, ["The first line has exactly forty chars."]);
    assert_eq!(render.tail, "and the second line runs past the limit");
    assert!(render.overflow.is_empty());
}

#[test]
fn nothing_visible_yet_gives_an_empty_tail() {
    assert_eq!(render_stream(""), StreamRender::default());
    assert_eq!(render_stream("```rust\n"), StreamRender::default());
    assert_eq!(render_stream("**"), StreamRender::default());
    let render = render_stream("Thinking about **risk");
    assert_eq!(render.tail, "Thinking about <b>risk</b>");
    assert!(render.sealed.is_empty() && render.overflow.is_empty());
}

#[test]
fn an_unfinished_line_is_never_sealed() {
    // While streaming, "[note" shows as "note" (it may still become a link label). Sealing it
    // then would freeze the wrong text: the finished line shows the bracket.
    let markdown = "see [note and then many more words follow here until the limit is crossed\nok";
    let newline = markdown.find('\n').unwrap_or(markdown.len());
    for end in (0..newline).filter(|&i| markdown.is_char_boundary(i)) {
        assert!(
            render_stream_with_limit(&markdown[..end], 30)
                .sealed
                .is_empty()
        );
    }
    let ends = markdown
        .char_indices()
        .map(|(i, _)| i)
        .chain([markdown.len()]);
    stream_and_check(markdown, 30, ends);
    assert!(render_final_with_limit(markdown, 30)[0].starts_with("see [note"));
}

/// The kept rendering gives exactly what rendering each snapshot from scratch gives.
fn assert_renders_like_from_scratch(markdown: &str, limit: usize, ends: &[usize]) {
    let mut renderer = StreamRenderer::with_limit(limit);
    for &end in ends {
        let prefix = &markdown[..end];
        assert_eq!(
            renderer.render(prefix).to_render(),
            render_stream_with_limit(prefix, limit),
            "at {end} of {:.60}",
            markdown
        );
    }
}

#[test]
fn a_growing_reply_renders_as_if_from_scratch_at_every_prefix() {
    let corpus = REPLIES.join("\n\n");
    let every_char: Vec<usize> = corpus
        .char_indices()
        .map(|(i, _)| i)
        .chain([corpus.len()])
        .collect();
    assert_renders_like_from_scratch(&corpus, 300, &every_char);
    let with_crlf = corpus.replace('\n', "\r\n");
    let ends: Vec<usize> = boundaries_every(&with_crlf, 7).collect();
    assert_renders_like_from_scratch(&with_crlf, 300, &ends);
    let long = long_reply();
    let ends: Vec<usize> = boundaries_every(&long, 41).collect();
    assert_renders_like_from_scratch(&long, TELEGRAM_TEXT_LIMIT, &ends);
}

#[test]
fn a_replaced_reply_is_rendered_afresh() {
    let mut renderer = StreamRenderer::default();
    renderer.render("```rust\nlet size = 1;\n");
    // A retried request starts its text again, differently.
    for text in ["Size *down*", "", "> calm\n- one\n", "```rust\nlet"] {
        assert_eq!(
            renderer.render(text).to_render(),
            render_stream(text),
            "{text:?}"
        );
    }
}
