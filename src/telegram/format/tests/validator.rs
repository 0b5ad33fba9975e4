//! A strict checker of Telegram HTML, written apart from the formatter so that tests do not
//! grade the formatter with its own reader. Stricter than Telegram where that costs nothing:
//! `>` must be escaped too, and elements may not be empty.

const FORMATTING: [&str; 10] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "tg-spoiler",
];

struct Element {
    name: String,
    text_len: usize,
    children: usize,
}

/// `Ok` when Telegram's HTML parse mode accepts `html`; otherwise what is wrong and where.
pub(super) fn check_telegram_html(html: &str) -> Result<(), String> {
    let mut stack: Vec<Element> = Vec::new();
    let mut rest = html;
    let at = |rest: &str| html.len() - rest.len();
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest
                    .find('>')
                    .ok_or_else(|| format!("unterminated tag at byte {}", at(rest)))?;
                let tag = &rest[1..end];
                if tag.contains('<') {
                    return Err(format!("raw '<' at byte {}", at(rest)));
                }
                match tag.strip_prefix('/') {
                    Some(name) => close(&mut stack, name, at(rest))?,
                    None => open(&mut stack, tag, at(rest))?,
                }
                rest = &rest[end + 1..];
            }
            '>' => return Err(format!("raw '>' in text at byte {}", at(rest))),
            '&' => {
                let len = entity_len(rest)
                    .ok_or_else(|| format!("bad entity at byte {}: {:.12}", at(rest), rest))?;
                add_text(&mut stack, at(rest))?;
                rest = &rest[len..];
            }
            _ => {
                add_text(&mut stack, at(rest))?;
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    match stack.last() {
        Some(open) => Err(format!("<{}> never closed", open.name)),
        None => Ok(()),
    }
}

fn add_text(stack: &mut [Element], at: usize) -> Result<(), String> {
    if let Some(top) = stack.last()
        && top.name == "pre"
        && top.children > 0
    {
        return Err(format!("text after <code> inside <pre> at byte {at}"));
    }
    for element in stack.iter_mut() {
        element.text_len += 1;
    }
    Ok(())
}

fn open(stack: &mut Vec<Element>, tag: &str, at: usize) -> Result<(), String> {
    let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
    let inside = |wanted: &str| stack.iter().any(|e| e.name == wanted);
    if let Some(parent) = stack.last()
        && matches!(parent.name.as_str(), "code" | "tg-emoji")
    {
        return Err(format!("<{name}> inside <{}> at byte {at}", parent.name));
    }
    if let Some(parent) = stack.last()
        && parent.name == "pre"
        && (name != "code" || parent.text_len > 0 || parent.children > 0)
    {
        return Err(format!("<{name}> inside <pre> at byte {at}"));
    }
    match name {
        _ if FORMATTING.contains(&name) => no_attributes(name, attrs, at)?,
        "span" => {
            if attrs != "class=\"tg-spoiler\"" {
                return Err(format!("<span {attrs}> at byte {at}"));
            }
        }
        "code" => {
            if !attrs.is_empty() {
                let language = attrs
                    .strip_prefix("class=\"language-")
                    .and_then(|v| v.strip_suffix('"'))
                    .ok_or_else(|| format!("<code {attrs}> at byte {at}"))?;
                if language.is_empty() || stack.last().is_none_or(|p| p.name != "pre") {
                    return Err(format!("<code {attrs}> outside <pre> at byte {at}"));
                }
                check_attribute_value(language, at)?;
            }
            if inside("a") {
                return Err(format!("<code> inside <a> at byte {at}"));
            }
        }
        "pre" | "blockquote" => {
            if name == "pre" {
                no_attributes(name, attrs, at)?;
            } else if !(attrs.is_empty() || attrs == "expandable") {
                return Err(format!("<blockquote {attrs}> at byte {at}"));
            }
            if !stack.is_empty() {
                return Err(format!(
                    "<{name}> nested in <{}> at byte {at}",
                    stack[0].name
                ));
            }
        }
        "a" => {
            let href = attrs
                .strip_prefix("href=\"")
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(|| format!("<a {attrs}> at byte {at}"))?;
            check_attribute_value(href, at)?;
            let decoded = decode(href);
            let scheme_ok = ["http://", "https://", "tg://", "mailto:"]
                .iter()
                .any(|s| decoded.to_ascii_lowercase().starts_with(s));
            if !scheme_ok {
                return Err(format!("href {decoded:?} at byte {at}"));
            }
            if inside("a") {
                return Err(format!("<a> inside <a> at byte {at}"));
            }
        }
        "tg-emoji" => {
            attrs
                .strip_prefix("emoji-id=\"")
                .ok_or_else(|| format!("<tg-emoji {attrs}> at byte {at}"))?;
        }
        _ => return Err(format!("unsupported tag <{name}> at byte {at}")),
    }
    if FORMATTING.contains(&name) && inside(name) {
        return Err(format!("<{name}> inside <{name}> at byte {at}"));
    }
    if let Some(parent) = stack.last_mut() {
        parent.children += 1;
    }
    stack.push(Element {
        name: name.to_string(),
        text_len: 0,
        children: 0,
    });
    Ok(())
}

fn close(stack: &mut Vec<Element>, name: &str, at: usize) -> Result<(), String> {
    let element = stack
        .pop()
        .ok_or_else(|| format!("</{name}> with nothing open at byte {at}"))?;
    if element.name != name {
        return Err(format!("</{name}> closes <{}> at byte {at}", element.name));
    }
    if element.text_len == 0 {
        return Err(format!("empty <{name}> at byte {at}"));
    }
    Ok(())
}

fn no_attributes(name: &str, attrs: &str, at: usize) -> Result<(), String> {
    if attrs.is_empty() {
        Ok(())
    } else {
        Err(format!("<{name} {attrs}> at byte {at}"))
    }
}

fn check_attribute_value(value: &str, at: usize) -> Result<(), String> {
    let mut rest = value;
    while let Some(i) = rest.find(['&', '"', '<', '>']) {
        if !rest[i..].starts_with('&') {
            return Err(format!("raw {:?} in attribute at byte {at}", &rest[i..=i]));
        }
        let len = entity_len(&rest[i..])
            .ok_or_else(|| format!("bad entity in attribute at byte {at}"))?;
        rest = &rest[i + len..];
    }
    Ok(())
}

fn entity_len(text: &str) -> Option<usize> {
    for named in ["&lt;", "&gt;", "&amp;", "&quot;"] {
        if text.starts_with(named) {
            return Some(named.len());
        }
    }
    let body = text.strip_prefix("&#")?;
    let end = body.find(';')?;
    let digits = &body[..end];
    let valid = match digits.strip_prefix(['x', 'X']) {
        Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
        None => !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()),
    };
    valid.then_some(2 + end + 1)
}

/// The text Telegram shows for `html` (tags dropped, entities decoded).
pub(super) fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => in_tag = true,
            (true, '>') => in_tag = false,
            (false, _) => text.push(c),
            (true, _) => {}
        }
    }
    decode(&text)
}

fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(len) = entity_len(rest) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[..len];
        let decoded = match entity {
            "&lt;" => '<',
            "&gt;" => '>',
            "&amp;" => '&',
            "&quot;" => '"',
            _ => {
                let number = &entity[2..len - 1];
                let value = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).unwrap_or(0xFFFD),
                    None => number.parse().unwrap_or(0xFFFD),
                };
                char::from_u32(value).unwrap_or('\u{FFFD}')
            }
        };
        out.push(decoded);
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

#[test]
fn validator_rejects_what_telegram_rejects() {
    let bad = [
        "<b>x",
        "x</b>",
        "<b><i>x</b></i>",
        "<p>x</p>",
        "a < b",
        "a > b",
        "AT&T",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"https://a\"><a href=\"https://b\">x</a></a>",
        "<code><b>x</b></code>",
        "<pre>x<code class=\"language-rs\">y</code></pre>",
        "<blockquote><blockquote>x</blockquote></blockquote>",
        "<b></b>x",
        "<a href=\"https://a.b?x=1&y=2\">x</a>",
        "<code class=\"language-rust\">x</code>",
        "<b><b>x</b></b>",
    ];
    for html in bad {
        assert!(check_telegram_html(html).is_err(), "accepted {html:?}");
    }
    let good = [
        "<b>x</b> &lt;y&gt; &amp; &quot; &#128512;",
        "<pre><code class=\"language-rust\">fn main() {}</code></pre>",
        "<blockquote>q <i>it</i></blockquote>",
        "<a href=\"https://a.b?x=1&amp;y=2\"><b>x</b></a>",
        "<b><code>x</code></b>",
    ];
    for html in good {
        assert_eq!(check_telegram_html(html), Ok(()), "rejected {html:?}");
    }
    assert_eq!(visible_text("<b>a&amp;b</b> &#128512;"), "a&b 😀");
}
