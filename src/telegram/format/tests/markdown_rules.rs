//! One test per Markdown rule: what a trader sees for each construct LLMs write.

use super::validator::check_telegram_html;
use crate::telegram::format::{markdown_to_html, markdown_to_html_partial};

fn html(markdown: &str) -> String {
    let html = markdown_to_html(markdown);
    assert_eq!(check_telegram_html(&html), Ok(()), "{markdown:?} → {html}");
    html
}

#[test]
fn bold_and_italic_in_both_spellings() {
    assert_eq!(html("**bold** and __bold__"), "<b>bold</b> and <b>bold</b>");
    assert_eq!(
        html("*italic* and _italic_"),
        "<i>italic</i> and <i>italic</i>"
    );
    assert_eq!(html("***both***"), "<i><b>both</b></i>");
    assert_eq!(
        html("**bold with *italic* inside**"),
        "<b>bold with <i>italic</i> inside</b>"
    );
    assert_eq!(html("**Note:**text"), "<b>Note:</b>text");
}

#[test]
fn words_and_math_are_not_emphasis() {
    assert_eq!(html("snake_case_words stay"), "snake_case_words stay");
    assert_eq!(html("2*3*4 = 24"), "2*3*4 = 24");
    assert_eq!(html("a * b * c"), "a * b * c");
    assert_eq!(html("x_1 and y_2"), "x_1 and y_2");
    assert_eq!(html("about ~5% or ~10%"), "about ~5% or ~10%");
    assert_eq!(html("**unclosed bold"), "**unclosed bold");
    assert_eq!(html("****"), "———");
    assert_eq!(html("a ***** b"), "a ***** b");
}

#[test]
fn strikethrough_needs_two_tildes() {
    assert_eq!(html("~~old~~ new"), "<s>old</s> new");
    assert_eq!(html("~not struck~"), "~not struck~");
}

#[test]
fn inline_code_is_escaped_and_holds_no_formatting() {
    assert_eq!(
        html("run `a < b && **c**`"),
        "run <code>a &lt; b &amp;&amp; **c**</code>"
    );
    assert_eq!(
        html("``code with ` tick``"),
        "<code>code with ` tick</code>"
    );
    assert_eq!(html("a lone ` tick"), "a lone ` tick");
    assert_eq!(html("**`bold code`**"), "<b><code>bold code</code></b>");
}

#[test]
fn fenced_code_keeps_language_and_escapes_everything() {
    assert_eq!(
        html("```rust\nlet x = a < b && c > \"d\";\n```"),
        "<pre><code class=\"language-rust\">let x = a &lt; b &amp;&amp; c &gt; \"d\";</code></pre>"
    );
    assert_eq!(html("~~~\nplain\n~~~"), "<pre>plain</pre>");
    assert_eq!(
        html("```c++ {highlight}\nint x;\n```"),
        "<pre><code class=\"language-c++\">int x;</code></pre>"
    );
    assert_eq!(
        html("```\"><script>\nx\n```"),
        "<pre><code class=\"language-script\">x</code></pre>"
    );
    assert_eq!(
        html("```py\n**not bold** [not](https://link)\n```"),
        "<pre><code class=\"language-py\">**not bold** [not](https://link)</code></pre>"
    );
    assert_eq!(
        html("````md\n```\ninner\n```\n````"),
        "<pre><code class=\"language-md\">```\ninner\n```</code></pre>"
    );
}

#[test]
fn fences_inside_list_items_lose_their_indentation() {
    assert_eq!(
        html("1. Install:\n   ```bash\n   cargo install x\n     --locked\n   ```\n2. Run"),
        "1. Install:\n<pre><code class=\"language-bash\">cargo install x\n  --locked</code></pre>\n2. Run"
    );
}

#[test]
fn an_unterminated_fence_is_closed() {
    assert_eq!(
        html("```js\nlet a = 1;"),
        "<pre><code class=\"language-js\">let a = 1;</code></pre>"
    );
    assert_eq!(html("Intro\n\n```"), "Intro");
}

#[test]
fn links_keep_only_safe_schemes_and_escape_the_href() {
    assert_eq!(
        html("[chart](https://x.com/a?b=1&c=\"2\")"),
        "<a href=\"https://x.com/a?b=1&amp;c=&quot;2&quot;\">chart</a>"
    );
    assert_eq!(
        html("[wiki](https://en.wikipedia.org/wiki/Bubble_(economics))."),
        "<a href=\"https://en.wikipedia.org/wiki/Bubble_(economics)\">wiki</a>."
    );
    assert_eq!(
        html("[bot](tg://resolve?domain=x) [mail](mailto:a@b.io)"),
        "<a href=\"tg://resolve?domain=x\">bot</a> <a href=\"mailto:a@b.io\">mail</a>"
    );
    assert_eq!(
        html("[click](javascript:alert(1))"),
        "click (javascript:alert(1))"
    );
    assert_eq!(html("[docs](/relative/path)"), "docs (/relative/path)");
    assert_eq!(
        html("[](https://only.url)"),
        "<a href=\"https://only.url\">https://only.url</a>"
    );
}

#[test]
fn links_never_nest_and_hold_no_code() {
    assert_eq!(
        html("[**bold** `code`](https://a.io)"),
        "<a href=\"https://a.io\"><b>bold</b> code</a>"
    );
    assert_eq!(
        html("[outer [inner](https://in.io)](https://out.io)"),
        "[outer <a href=\"https://in.io\">inner</a>](https://out.io)"
    );
    assert_eq!(html("[1] and [note]"), "[1] and [note]");
}

#[test]
fn autolinks_and_bare_urls_stay_text() {
    assert_eq!(html("<https://a.io/x_y_z>"), "https://a.io/x_y_z");
    assert_eq!(
        html("see https://a.io/some_path_here_ok."),
        "see https://a.io/some_path_here_ok."
    );
    assert_eq!(html("**https://a.io**"), "<b>https://a.io</b>");
}

#[test]
fn headings_become_bold_lines() {
    assert_eq!(html("# Title"), "<b>Title</b>");
    assert_eq!(html("### Plan ###\nbody"), "<b>Plan</b>\nbody");
    assert_eq!(html("## **Already bold**"), "<b>Already bold</b>");
    assert_eq!(html("#hashtag"), "#hashtag");
    assert_eq!(html("####### seven"), "####### seven");
    assert_eq!(html("# C# tips"), "<b>C# tips</b>");
}

#[test]
fn quotes_become_one_flat_blockquote() {
    assert_eq!(
        html("> **Rule:** cut losses\n> early\n>> nested\n\nafter"),
        "<blockquote><b>Rule:</b> cut losses\nearly\nnested</blockquote>\n\nafter"
    );
    assert_eq!(
        html("> - item\n> # head"),
        "<blockquote>• item\n<b>head</b></blockquote>"
    );
    assert_eq!(html(">\n>\n"), "");
}

#[test]
fn lists_use_bullets_and_keep_numbers() {
    assert_eq!(
        html("- one\n* two\n+ three\n  - nested"),
        "• one\n• two\n• three\n  • nested"
    );
    assert_eq!(html("1. first\n2) second"), "1. first\n2) second");
    assert_eq!(html("- [ ] todo\n- [x] done"), "☐ todo\n☑ done");
    assert_eq!(html("*not a bullet*"), "<i>not a bullet</i>");
}

#[test]
fn rules_become_a_dash_line() {
    assert_eq!(html("a\n\n---\n\nb"), "a\n\n———\n\nb");
    assert_eq!(html("* * *"), "———");
    assert_eq!(html("___"), "———");
}

#[test]
fn tables_become_readable_rows() {
    assert_eq!(
        html("| Coin | Risk |\n|:-----|-----:|\n| **BTC** | 1% |\n| A\\|B | `x|y` |"),
        "<b>Coin │ Risk</b>\n<b>BTC</b> │ 1%\nA|B │ <code>x|y</code>"
    );
}

#[test]
fn every_character_of_text_is_escaped() {
    assert_eq!(
        html("<script>alert('x')</script> & AT&T &amp; 1<2>0"),
        "&lt;script&gt;alert('x')&lt;/script&gt; &amp; AT&amp;T &amp;amp; 1&lt;2&gt;0"
    );
    assert_eq!(html("<b>not a tag</b>"), "&lt;b&gt;not a tag&lt;/b&gt;");
}

#[test]
fn blank_lines_fold_and_line_breaks_stay() {
    assert_eq!(html("a\nb\n\n\n\nc\n\n"), "a\nb\n\nc");
    assert_eq!(html("\n\n  \nstart"), "start");
    assert_eq!(html("crlf\r\nline\r\n"), "crlf\nline");
    assert_eq!(html(""), "");
}

#[test]
fn backslash_escapes_show_the_character() {
    assert_eq!(html("\\*not\\* \\_x\\_ \\[y\\] a\\b"), "*not* _x_ [y] a\\b");
}

#[test]
fn cjk_and_emoji_pass_through() {
    assert_eq!(html("**注意：**不要追高 🚀"), "<b>注意：</b>不要追高 🚀");
    assert_eq!(html("这是**重要**的"), "这是<b>重要</b>的");
}

#[test]
fn partial_mode_only_changes_the_unfinished_line() {
    let text = "**open\nnext **bold";
    assert_eq!(markdown_to_html(text), "**open\nnext **bold");
    assert_eq!(markdown_to_html_partial(text), "**open\nnext <b>bold</b>");
    assert_eq!(
        markdown_to_html_partial("done **bold**\n"),
        "done <b>bold</b>"
    );
    assert_eq!(
        markdown_to_html_partial("```rust\nfn x() {}\n``"),
        "<pre><code class=\"language-rust\">fn x() {}</code></pre>"
    );
    assert_eq!(
        markdown_to_html("```rust\nfn x() {}\n``"),
        "<pre><code class=\"language-rust\">fn x() {}\n``</code></pre>"
    );
}

/// Deterministic pseudo-random Markdown soup: nothing it produces may break the HTML.
#[test]
fn random_markdown_soup_always_renders_valid_html() {
    const PIECES: [&str; 28] = [
        "*",
        "**",
        "_",
        "__",
        "~~",
        "~",
        "`",
        "```",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "&",
        "\n",
        "\n\n",
        "# ",
        "> ",
        "- ",
        "1. ",
        "|",
        "\\",
        "https://a.io/x_y",
        "](https://b.io)",
        "word",
        " ",
        "😀",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3_000 {
        let len = (next() % 40) as usize;
        let soup: String = (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        for rendered in [markdown_to_html(&soup), markdown_to_html_partial(&soup)] {
            if let Err(problem) = check_telegram_html(&rendered) {
                panic!("{soup:?} → {rendered}\n{problem}");
            }
        }
    }
}
