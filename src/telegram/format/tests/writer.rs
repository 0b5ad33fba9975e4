//! The writer's guarantees, checked directly: whatever events it gets, its output is valid.

use super::validator::check_telegram_html;
use crate::telegram::format::html::{HtmlWriter, Kind, Output, Tag};

fn writer() -> HtmlWriter {
    HtmlWriter::resume(Vec::new(), Output::Html, 64)
}

fn finish(writer: HtmlWriter) -> String {
    let html = writer.finish();
    assert_eq!(check_telegram_html(&html), Ok(()), "{html}");
    html
}

#[test]
fn elements_without_text_are_never_written() {
    let mut w = writer();
    w.open(Tag::Bold);
    w.close(Kind::Bold);
    w.open(Tag::Italic);
    w.text("x");
    w.open(Tag::Bold);
    assert_eq!(finish(w), "<i>x</i>");
}

#[test]
fn forbidden_nestings_keep_the_text_and_drop_the_tag() {
    let mut w = writer();
    w.open(Tag::Link("https://a.io".into()));
    w.open(Tag::Link("https://b.io".into()));
    w.open(Tag::Code);
    w.text("inner");
    w.close(Kind::Code);
    w.close(Kind::Link);
    w.text(" outer");
    w.close(Kind::Link);
    assert_eq!(finish(w), "<a href=\"https://a.io\">inner outer</a>");

    let mut w = writer();
    w.open(Tag::Pre);
    w.text("x");
    w.open(Tag::CodeLang("rust".into()));
    w.open(Tag::Bold);
    w.text("y");
    w.close(Kind::Pre);
    w.open(Tag::Blockquote { expandable: false });
    w.open(Tag::Blockquote { expandable: true });
    w.text("q");
    assert_eq!(finish(w), "<pre>xy</pre><blockquote>q</blockquote>");
}

#[test]
fn a_language_code_only_opens_first_in_pre() {
    let mut w = writer();
    w.open(Tag::Pre);
    w.open(Tag::CodeLang("py".into()));
    w.text("a < b");
    w.close(Kind::Pre);
    w.open(Tag::CodeLang("py".into()));
    w.text("inline");
    assert_eq!(
        finish(w),
        "<pre><code class=\"language-py\">a &lt; b</code></pre><code>inline</code>"
    );
}

#[test]
fn line_breaks_wait_for_text_and_land_at_the_right_depth() {
    let mut w = writer();
    w.text("a");
    w.line_break(2);
    w.open(Tag::Blockquote { expandable: false });
    w.text("q");
    w.line_break(1);
    w.close(Kind::Blockquote);
    w.line_break(1);
    assert_eq!(finish(w), "a\n\n<blockquote>q</blockquote>");
}

#[test]
fn stray_closes_are_ignored_and_misnested_ones_close_inner_elements() {
    let mut w = writer();
    w.close(Kind::Bold);
    w.open(Tag::Bold);
    w.open(Tag::Italic);
    w.text("x");
    w.close(Kind::Bold);
    w.text("y");
    w.close(Kind::Italic);
    assert_eq!(finish(w), "<b><i>x</i></b>y");
}
