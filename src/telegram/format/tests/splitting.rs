//! Lengths as Telegram counts them, and splitting into parts that respect the limit.

use super::long_reply::{GUIDE_LINK, assert_parts_cover, long_reply};
use super::validator::visible_text;
use crate::telegram::format::{
    TELEGRAM_TEXT_LIMIT, markdown_to_html, plain_text_fallback, render_final,
    render_final_with_limit, split_html, utf16_len, visible_len,
};

fn split(html: &str, limit: usize) -> Vec<String> {
    let parts = split_html(html, limit);
    assert_parts_cover(html, &parts, limit.max(2));
    parts
}

#[test]
fn utf16_counts_astral_characters_twice() {
    assert_eq!(utf16_len(""), 0);
    assert_eq!(utf16_len("abc"), 3);
    assert_eq!(utf16_len("é≤注"), 3);
    assert_eq!(utf16_len("😀"), 2);
    assert_eq!(utf16_len("🦀🚀"), 4);
    // man, ZWJ, woman, ZWJ, girl, ZWJ, boy: four astral characters and three joiners.
    assert_eq!(utf16_len("👨‍👩‍👧‍👦"), 11);
    for sample in ["a😀b", "👍🏽", "𝔘𝔫𝔦", "mixed 注意 🇺🇸"] {
        assert_eq!(utf16_len(sample), sample.encode_utf16().count(), "{sample}");
    }
}

#[test]
fn visible_len_counts_text_after_entities() {
    assert_eq!(visible_len("<b>a&amp;b</b>"), 3);
    assert_eq!(visible_len("&lt;tag&gt; &quot;q&quot;"), 9);
    assert_eq!(visible_len("&#128512; &#x1F680;"), 5);
    assert_eq!(
        visible_len("<a href=\"https://x.io/?a=1&amp;b=2\">link</a>"),
        4
    );
    assert_eq!(
        visible_len("<pre><code class=\"language-rust\">fn</code></pre>"),
        2
    );
    let html = markdown_to_html(&long_reply());
    assert_eq!(visible_len(&html), utf16_len(&visible_text(&html)));
}

#[test]
fn prefers_a_paragraph_break() {
    let html = "First para line one.\nFirst para line two.\n\nSecond para is here.\nMore.";
    let parts = split(html, 50);
    assert_eq!(parts[0], "First para line one.\nFirst para line two.");
    assert_eq!(parts[1], "Second para is here.\nMore.");
}

#[test]
fn then_a_line_break() {
    let parts = split("Line one is here.\nLine two is here.\nLine three.", 40);
    assert_eq!(
        parts,
        ["Line one is here.\nLine two is here.", "Line three."]
    );
}

#[test]
fn then_a_sentence_end() {
    let parts = split("One sentence here. Two sentence here. Three here.", 30);
    assert_eq!(
        parts,
        ["One sentence here.", "Two sentence here. Three here."]
    );
    let parts = split("这是第一句。这是第二句。这是第三句。", 8);
    assert_eq!(parts, ["这是第一句。", "这是第二句。", "这是第三句。"]);
}

#[test]
fn then_a_space() {
    let parts = split("alpha beta gamma delta epsilon", 12);
    assert_eq!(parts, ["alpha beta", "gamma delta", "epsilon"]);
}

#[test]
fn then_anywhere_but_never_inside_a_character_or_emoji_sequence() {
    assert_eq!(split("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    assert_eq!(split("😀😀😀", 3), ["😀", "😀", "😀"]);
    assert_eq!(split("abcdefgh👍🏽xyz", 10), ["abcdefgh", "👍🏽xyz"]);
    assert_eq!(split("abcdefg👨‍👩‍👧‍👦", 12), ["abcdefg", "👨‍👩‍👧‍👦"]);
    assert_eq!(
        split("&amp;&amp;&amp;&amp;", 3),
        ["&amp;&amp;&amp;", "&amp;"]
    );
}

#[test]
fn astral_emoji_fill_exactly_the_limit() {
    let parts = render_final(&"😀".repeat(3_000));
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].chars().count(), 2_048);
    assert_eq!(visible_len(&parts[0]), TELEGRAM_TEXT_LIMIT);
    assert_eq!(parts[1].chars().count(), 952);
}

#[test]
fn open_tags_are_closed_and_reopened_across_cuts() {
    assert_eq!(
        split("<b>aaaa bbbb cccc</b>", 5),
        ["<b>aaaa</b>", "<b>bbbb</b>", "<b>cccc</b>"]
    );
    assert_eq!(
        split("<a href=\"https://x.io/?a=1&amp;b=2\">one two</a> end", 4),
        [
            "<a href=\"https://x.io/?a=1&amp;b=2\">one</a>",
            "<a href=\"https://x.io/?a=1&amp;b=2\">two</a>",
            "end"
        ]
    );
    assert_eq!(
        split("<blockquote>quoted <i>words here</i></blockquote>", 12),
        [
            "<blockquote>quoted <i>words</i></blockquote>",
            "<blockquote><i>here</i></blockquote>"
        ]
    );
}

#[test]
fn code_blocks_keep_their_language_and_indentation_across_cuts() {
    let html = "<pre><code class=\"language-rust\">fn a() {\n    body();\n}</code></pre>";
    assert_eq!(
        split(html, 14),
        [
            "<pre><code class=\"language-rust\">fn a() {</code></pre>",
            "<pre><code class=\"language-rust\">    body();\n}</code></pre>"
        ]
    );
}

#[test]
fn never_emits_an_empty_part() {
    assert!(split_html("", 10).is_empty());
    assert!(split_html("\n\n  \n", 10).is_empty());
    assert!(split_html("<b> </b><i></i>", 10).is_empty());
    assert_eq!(split("a\n\n\n\nb", 1), ["a", "b"]);
    assert_eq!(
        split("<b>ab</b>\n\n<i>cd</i>", 3),
        ["<b>ab</b>", "<i>cd</i>"]
    );
}

#[test]
fn repairs_html_it_is_given() {
    assert_eq!(
        split_html("a < b & c <b>bold <p>para</p>", 100),
        ["a &lt; b &amp; c <b>bold para</b>"]
    );
    assert_eq!(split_html("<i>x</b>y</i>", 100), ["<i>xy</i>"]);
    assert_eq!(
        split_html("<strong>s</strong> <em>e</em> <del>d</del>", 100),
        ["<b>s</b> <i>e</i> <s>d</s>"]
    );
}

#[test]
fn long_reply_splits_at_4096_and_reopens_the_rust_block() {
    let markdown = long_reply();
    assert!(
        markdown.chars().count() > 9_000,
        "{}",
        markdown.chars().count()
    );
    let whole = markdown_to_html(&markdown);
    let parts = render_final(&markdown);
    assert_parts_cover(&whole, &parts, TELEGRAM_TEXT_LIMIT);
    assert!(parts.len() >= 3, "{} parts", parts.len());

    let opening = "<pre><code class=\"language-rust\">";
    let crossing = (0..parts.len() - 1)
        .find(|&i| parts[i].contains(opening) && parts[i + 1].starts_with(opening))
        .expect("the code block continues in the next part with its language");
    assert!(parts[crossing].ends_with("</code></pre>"));
    // The cut fell between two code lines, and the continuation keeps their indentation.
    let continued = visible_text(&parts[crossing + 1]);
    assert!(continued.starts_with("    let size_"), "{continued:.60}");
    assert!(visible_text(&parts[crossing]).ends_with("// <= cap"));

    assert!(parts[0].starts_with("<b>Building a risk dashboard in Rust 🦀</b>\n\n"));
    let escaped_link = GUIDE_LINK.replace('&', "&amp;");
    assert!(parts[0].contains(&format!("<a href=\"{escaped_link}\">the GoPlus guide</a>")));
    assert!(parts[0].contains("size &lt;= 1% &amp; review"));
    assert!(
        parts
            .concat()
            .contains("<blockquote>Cut losses early; let winners run.</blockquote>")
    );
    assert!(
        parts
            .last()
            .is_some_and(|p| p.ends_with("Stay disciplined! 💪"))
    );
}

#[test]
fn small_limits_split_the_long_reply_losslessly() {
    let markdown = long_reply();
    let whole = markdown_to_html(&markdown);
    for limit in [2, 7, 64, 333, 1000] {
        let parts = render_final_with_limit(&markdown, limit);
        assert_parts_cover(&whole, &parts, limit);
    }
}

#[test]
fn plain_text_fallback_has_no_markup_and_respects_the_limit() {
    let parts = plain_text_fallback("## Risk\n**Bold** <tag> & `a < b`\n- item", 100);
    assert_eq!(parts, ["Risk\nBold <tag> & a < b\n• item"]);

    let markdown = long_reply();
    let parts = plain_text_fallback(&markdown, TELEGRAM_TEXT_LIMIT);
    let html_parts = render_final(&markdown);
    assert_eq!(parts.len(), html_parts.len());
    for (plain, html) in parts.iter().zip(&html_parts) {
        assert!(utf16_len(plain) <= TELEGRAM_TEXT_LIMIT);
        assert_eq!(plain, &visible_text(html));
        assert!(!plain.contains("&amp;") && !plain.contains("<b>"));
    }
}

#[test]
fn a_reply_that_fits_is_one_part_equal_to_its_html() {
    for reply in super::corpus::REPLIES
        .iter()
        .copied()
        .chain([long_reply().as_str()])
    {
        let parts = render_final_with_limit(reply, usize::MAX);
        assert_eq!(parts, [markdown_to_html(reply)]);
    }
}
