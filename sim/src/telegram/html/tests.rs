//! Unit tests of the Telegram-HTML parser: accepted markup, entity offsets in UTF-16 units,
//! and the exact error texts of rejected markup.

use super::*;

fn parsed(source: &str) -> FormattedText {
    match parse_html(source) {
        Ok(formatted) => formatted,
        Err(error) => panic!("{source:?} should parse, got {error}"),
    }
}

fn error(source: &str) -> String {
    match parse_html(source) {
        Ok(formatted) => panic!("{source:?} should be rejected, parsed to {formatted:?}"),
        Err(error) => error.description(),
    }
}

fn kinds(formatted: &FormattedText) -> Vec<(&'static str, usize, usize)> {
    formatted
        .entities
        .iter()
        .map(|entity| (entity.kind.type_name(), entity.offset, entity.length))
        .collect()
}

#[test]
fn plain_text_passes_through() {
    let formatted = parsed("just text > still text");
    assert_eq!(formatted.text, "just text > still text");
    assert!(formatted.entities.is_empty());
}

#[test]
fn every_simple_tag_maps_to_its_entity() {
    let formatted = parsed(
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>\
         <strike>k</strike><del>d</del><tg-spoiler>p</tg-spoiler><span class=\"tg-spoiler\">q</span>\
         <code>c</code>",
    );
    assert_eq!(formatted.text, "bsieunskdpqc");
    let names: Vec<&str> = kinds(&formatted).iter().map(|k| k.0).collect();
    assert_eq!(
        names,
        [
            "bold",
            "bold",
            "italic",
            "italic",
            "underline",
            "underline",
            "strikethrough",
            "strikethrough",
            "strikethrough",
            "spoiler",
            "spoiler",
            "code"
        ]
    );
}

#[test]
fn offsets_are_counted_in_utf16_units() {
    let formatted = parsed("😀 <b>héllo</b> 🚀<i>x</i>");
    assert_eq!(formatted.text, "😀 héllo 🚀x");
    assert_eq!(kinds(&formatted), [("bold", 3, 5), ("italic", 11, 1)]);
}

#[test]
fn nested_tags_produce_nested_entities() {
    let formatted = parsed("<b>bold <i>both</i></b>");
    assert_eq!(kinds(&formatted), [("bold", 0, 9), ("italic", 5, 4)]);
}

#[test]
fn html_entities_are_decoded() {
    let formatted = parsed("a &lt; b &gt; c &amp; &quot;q&quot; &#65;&#x42; &#128512; &lt");
    assert_eq!(formatted.text, "a < b > c & \"q\" AB 😀 <");
}

#[test]
fn links_keep_their_url_and_default_to_the_text() {
    let formatted = parsed("<a href=\"https://x.com/a?b=1&c=2\">x</a> <a>example.com</a>");
    assert_eq!(
        formatted.entities[0].kind,
        EntityKind::TextLink {
            url: "https://x.com/a?b=1&c=2".to_owned()
        }
    );
    assert_eq!(
        formatted.entities[1].kind,
        EntityKind::TextLink {
            url: "http://example.com".to_owned()
        }
    );
}

#[test]
fn unparseable_link_targets_are_dropped_silently() {
    let formatted = parsed("<a href=\"not a url\">x</a>");
    assert_eq!(formatted.text, "x");
    assert!(formatted.entities.is_empty());
}

#[test]
fn pre_with_code_language_becomes_one_pre_entity() {
    let formatted = parsed("<pre><code class=\"language-rust\">let x = 1;</code></pre>");
    assert_eq!(formatted.text, "let x = 1;");
    assert_eq!(
        formatted.entities,
        vec![Entity::new(
            EntityKind::Pre {
                language: Some("rust".to_owned())
            },
            0,
            10
        )]
    );
}

#[test]
fn pre_without_language_drops_the_inner_code() {
    let formatted = parsed("<pre><code>x</code></pre>");
    assert_eq!(
        formatted.entities,
        vec![Entity::new(EntityKind::Pre { language: None }, 0, 1)]
    );
}

#[test]
fn formatting_inside_code_is_dropped() {
    let formatted = parsed("<code>a <b>b</b></code>");
    assert_eq!(kinds(&formatted), [("code", 0, 3)]);
}

#[test]
fn blockquotes_and_custom_emoji() {
    let formatted = parsed(
        "<blockquote>q</blockquote><blockquote expandable>e</blockquote>\
         <tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>",
    );
    assert_eq!(
        kinds(&formatted),
        [
            ("blockquote", 0, 1),
            ("expandable_blockquote", 1, 1),
            ("custom_emoji", 2, 2)
        ]
    );
}

#[test]
fn tag_names_are_case_insensitive_and_end_tags_may_be_empty() {
    let formatted = parsed("<B>x</> <I >y</i >");
    assert_eq!(kinds(&formatted), [("bold", 0, 1), ("italic", 2, 1)]);
}

#[test]
fn empty_tags_make_no_entity() {
    let formatted = parsed("a<b></b>b");
    assert_eq!(formatted.text, "ab");
    assert!(formatted.entities.is_empty());
}

#[test]
fn surrounding_whitespace_is_trimmed() {
    let formatted = parsed("\n  <b> hi </b>  \n");
    assert_eq!(formatted.text, "hi");
    assert_eq!(kinds(&formatted), [("bold", 0, 2)]);
}

#[test]
fn unsupported_tags_are_named_with_their_byte_offset() {
    assert_eq!(
        error("Hello, world <foo>x</foo>"),
        "Bad Request: can't parse entities: Unsupported start tag \"foo\" at byte offset 13"
    );
    assert_eq!(
        error("é<br/>"),
        "Bad Request: can't parse entities: Unsupported start tag \"br/\" at byte offset 2"
    );
}

#[test]
fn a_bare_less_than_is_an_unsupported_start_tag() {
    assert_eq!(
        error("1 < 2"),
        "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2"
    );
    assert_eq!(
        error("x<3 y"),
        "Bad Request: can't parse entities: Unsupported start tag \"3\" at byte offset 1"
    );
    assert_eq!(
        error("trailing <"),
        "Bad Request: can't parse entities: Unclosed start tag at byte offset 9"
    );
}

#[test]
fn unclosed_tags_are_reported() {
    assert_eq!(
        error("<b>bold"),
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    );
    assert_eq!(
        error("<b><i>x</i>"),
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    );
}

#[test]
fn mismatched_end_tags_are_reported() {
    assert_eq!(
        error("<b>x<i>y</b></i>"),
        "Bad Request: can't parse entities: Unmatched end tag at byte offset 8, expected \"</i>\", found \"</b>\""
    );
    assert_eq!(
        error("x</b>"),
        "Bad Request: can't parse entities: Unexpected end tag at byte offset 1"
    );
    assert_eq!(
        error("<b>x</b"),
        "Bad Request: can't parse entities: Unclosed end tag at byte offset 4"
    );
}

#[test]
fn bare_ampersands_are_rejected() {
    assert_eq!(
        error("Tom & Jerry"),
        "Bad Request: can't parse entities: Unescaped \"&\" at byte offset 4"
    );
    assert_eq!(
        error("a&nbsp;b"),
        "Bad Request: can't parse entities: Unescaped \"&\" at byte offset 1"
    );
    assert_eq!(
        error("&#0;"),
        "Bad Request: can't parse entities: Unescaped \"&\" at byte offset 0"
    );
}

#[test]
fn attribute_grammar_errors() {
    assert_eq!(
        error("<a href=https://x.com>x</a>"),
        "Bad Request: can't parse entities: Unexpected end of name token at byte offset 8"
    );
    assert_eq!(
        error("<a href>x</a>"),
        "Bad Request: can't parse entities: Expected equal sign in declaration of an attribute of the tag \"a\" at byte offset 0"
    );
    assert_eq!(
        error("<a href=\"x>y</a>"),
        "Bad Request: can't parse entities: Unclosed start tag at byte offset 0"
    );
    assert_eq!(
        error("<a href="),
        "Bad Request: can't parse entities: Unclosed start tag \"a\" at byte offset 0"
    );
}

#[test]
fn span_needs_the_spoiler_class() {
    assert_eq!(
        error("<span>x</span>"),
        "Bad Request: can't parse entities: Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"
    );
    assert_eq!(
        error("<span class=\"bold\">x</span>"),
        "Bad Request: can't parse entities: Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"
    );
}

#[test]
fn custom_emoji_needs_a_numeric_id() {
    assert_eq!(
        error("<tg-emoji emoji-id=\"abc\">👍</tg-emoji>"),
        "Bad Request: can't parse entities: Invalid custom emoji identifier specified"
    );
}
