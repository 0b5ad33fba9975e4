//! Telegram-flavoured HTML (`parse_mode=HTML`) → plain text + message entities.
//!
//! Follows the Bot API server's own parser: the same tag set, attribute grammar and error
//! wording (`Unsupported start tag "foo" at byte offset 12`, ...), byte offsets into the
//! original text. One deliberate difference, because the Bot API docs require `&` to be
//! escaped: an `&` in text that does not start `&lt;` `&gt;` `&amp;` `&quot;` or a numeric
//! reference is rejected as `Unescaped "&" at byte offset N` instead of being kept literally.
//! A bare `>` is kept, as the server does.

use super::entity::{Entity, EntityKind, FormattedText, normalize};

#[cfg(test)]
mod tests;

/// Why Telegram refuses the markup; `Display` is the text after `can't parse entities: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HtmlError {
    #[error("Unsupported start tag \"{tag}\" at byte offset {offset}")]
    UnsupportedStartTag { tag: String, offset: usize },
    #[error("Unclosed start tag at byte offset {offset}")]
    UnclosedStartTag { offset: usize },
    #[error("Unclosed start tag \"{tag}\" at byte offset {offset}")]
    UnclosedNamedStartTag { tag: String, offset: usize },
    #[error("Empty attribute name in the tag \"{tag}\" at byte offset {offset}")]
    EmptyAttributeName { tag: String, offset: usize },
    #[error(
        "Expected equal sign in declaration of an attribute of the tag \"{tag}\" at byte offset {offset}"
    )]
    ExpectedEqualSign { tag: String, offset: usize },
    #[error("Unexpected end of name token at byte offset {offset}")]
    UnexpectedEndOfNameToken { offset: usize },
    #[error("Tag \"span\" must have class \"tg-spoiler\" at byte offset {offset}")]
    SpanWithoutSpoilerClass { offset: usize },
    #[error("Unexpected end tag at byte offset {offset}")]
    UnexpectedEndTag { offset: usize },
    #[error("Unclosed end tag at byte offset {offset}")]
    UnclosedEndTag { offset: usize },
    #[error(
        "Unmatched end tag at byte offset {offset}, expected \"</{expected}>\", found \"</{found}>\""
    )]
    UnmatchedEndTag {
        offset: usize,
        expected: String,
        found: String,
    },
    #[error("Can't find end tag corresponding to start tag \"{tag}\"")]
    MissingEndTag { tag: String },
    #[error("Invalid custom emoji identifier specified")]
    InvalidCustomEmojiId,
    #[error("Unescaped \"&\" at byte offset {offset}")]
    UnescapedAmpersand { offset: usize },
}

impl HtmlError {
    /// The full Bot API error description.
    pub fn description(&self) -> String {
        format!("Bad Request: can't parse entities: {self}")
    }
}

const SUPPORTED_TAGS: [&str; 16] = [
    "a",
    "b",
    "strong",
    "i",
    "em",
    "s",
    "strike",
    "del",
    "u",
    "ins",
    "tg-spoiler",
    "tg-emoji",
    "span",
    "pre",
    "code",
    "blockquote",
];

/// Parses Telegram HTML into normalised plain text and entities.
pub fn parse_html(source: &str) -> Result<FormattedText, HtmlError> {
    let mut parser = Parser {
        source,
        bytes: source.as_bytes(),
        out: String::with_capacity(source.len()),
        utf16: 0,
        open: Vec::new(),
        entities: Vec::new(),
        last_code_language: None,
    };
    parser.run()?;
    Ok(normalize(FormattedText {
        text: parser.out,
        entities: parser.entities,
    }))
}

/// The server's notion of space inside tags (NUL included: its strings are NUL-terminated).
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | b'\0' | 0x0b)
}

struct OpenTag {
    name: String,
    argument: String,
    expandable: bool,
    utf16_start: usize,
    out_start: usize,
}

struct Parser<'a> {
    source: &'a str,
    bytes: &'a [u8],
    out: String,
    utf16: usize,
    open: Vec<OpenTag>,
    entities: Vec<Entity>,
    /// Language of the `code` entity last pushed, so an enclosing `pre` can adopt it.
    last_code_language: Option<String>,
}

impl Parser<'_> {
    /// The byte at `index`, or 0 past the end, mirroring the server's NUL-terminated scan.
    fn at(&self, index: usize) -> u8 {
        self.bytes.get(index).copied().unwrap_or(0)
    }

    fn push_str(&mut self, text: &str) {
        self.out.push_str(text);
        self.utf16 += text.chars().map(char::len_utf16).sum::<usize>();
    }

    fn push_char(&mut self, ch: char) {
        self.out.push(ch);
        self.utf16 += ch.len_utf16();
    }

    fn run(&mut self) -> Result<(), HtmlError> {
        let mut i = 0;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'&' => {
                    let (ch, next) = decode_entity(self.bytes, i)
                        .ok_or(HtmlError::UnescapedAmpersand { offset: i })?;
                    self.push_char(ch);
                    i = next;
                }
                b'<' if self.at(i + 1) == b'/' => i = self.end_tag(i)?,
                b'<' => i = self.start_tag(i)?,
                _ => {
                    let run_end = self.bytes[i..]
                        .iter()
                        .position(|b| matches!(b, b'&' | b'<'))
                        .map_or(self.bytes.len(), |len| i + len);
                    self.push_str(&self.source[i..run_end]);
                    i = run_end;
                }
            }
        }
        match self.open.last() {
            Some(tag) => Err(HtmlError::MissingEndTag {
                tag: tag.name.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Parses `<name attr=value ...>` starting at `begin`; returns the index after `>`.
    fn start_tag(&mut self, begin: usize) -> Result<usize, HtmlError> {
        let mut i = begin + 1;
        let name_start = i;
        while !is_space(self.at(i)) && self.at(i) != b'>' {
            i += 1;
        }
        if self.at(i) == 0 {
            return Err(HtmlError::UnclosedStartTag { offset: begin });
        }
        let tag = self.source[name_start..i].to_ascii_lowercase();
        if !SUPPORTED_TAGS.contains(&tag.as_str()) {
            return Err(HtmlError::UnsupportedStartTag { tag, offset: begin });
        }

        let mut argument = String::new();
        let mut expandable = false;
        while self.at(i) != b'>' {
            while self.at(i) != 0 && is_space(self.at(i)) {
                i += 1;
            }
            if self.at(i) == b'>' {
                break;
            }
            let attribute_start = i;
            while !is_space(self.at(i)) && self.at(i) != b'=' && self.at(i) != b'>' {
                i += 1;
            }
            let attribute = &self.source[attribute_start..i];
            if attribute.is_empty() {
                return Err(HtmlError::EmptyAttributeName { tag, offset: begin });
            }
            while self.at(i) != 0 && is_space(self.at(i)) {
                i += 1;
            }
            if self.at(i) != b'=' {
                if tag == "blockquote" && attribute == "expandable" {
                    expandable = true;
                    continue;
                }
                return Err(HtmlError::ExpectedEqualSign { tag, offset: begin });
            }
            i += 1;
            while self.at(i) != 0 && is_space(self.at(i)) {
                i += 1;
            }
            if self.at(i) == 0 {
                return Err(HtmlError::UnclosedNamedStartTag { tag, offset: begin });
            }
            let (value, next) = self.attribute_value(i, begin)?;
            i = next;
            match (tag.as_str(), attribute) {
                ("a", "href") | ("tg-emoji", "emoji-id") => argument = value,
                ("code", "class") => {
                    if let Some(language) = value.strip_prefix("language-") {
                        argument = language.to_owned();
                    }
                }
                ("span", "class") => {
                    if let Some(class) = value.strip_prefix("tg-") {
                        argument = class.to_owned();
                    }
                }
                ("blockquote", "expandable") => expandable = true,
                _ => {}
            }
        }
        if tag == "span" && argument != "spoiler" {
            return Err(HtmlError::SpanWithoutSpoilerClass { offset: begin });
        }
        self.open.push(OpenTag {
            name: tag,
            argument,
            expandable,
            utf16_start: self.utf16,
            out_start: self.out.len(),
        });
        Ok(i + 1)
    }

    /// An attribute value: a quoted string (entities decoded, a literal `&` kept) or a name
    /// token of letters, digits, `.` and `-` (lower-cased, as HTML name tokens are).
    fn attribute_value(
        &self,
        start: usize,
        tag_begin: usize,
    ) -> Result<(String, usize), HtmlError> {
        let quote = self.at(start);
        if quote != b'\'' && quote != b'"' {
            let mut i = start;
            while self.at(i).is_ascii_alphanumeric() || matches!(self.at(i), b'.' | b'-') {
                i += 1;
            }
            if !is_space(self.at(i)) && self.at(i) != b'>' {
                return Err(HtmlError::UnexpectedEndOfNameToken { offset: start });
            }
            return Ok((self.source[start..i].to_ascii_lowercase(), i));
        }
        let mut value = String::new();
        let mut i = start + 1;
        while i < self.bytes.len() && self.bytes[i] != quote && self.bytes[i] != 0 {
            if let Some((ch, next)) = (self.bytes[i] == b'&')
                .then(|| decode_entity(self.bytes, i))
                .flatten()
            {
                value.push(ch);
                i = next;
                continue;
            }
            let Some(ch) = self.source[i..].chars().next() else {
                break;
            };
            value.push(ch);
            i += ch.len_utf8();
        }
        if self.at(i) != quote {
            return Err(HtmlError::UnclosedStartTag { offset: tag_begin });
        }
        Ok((value, i + 1))
    }

    /// Parses `</name>` starting at `begin`; returns the index after `>`.
    fn end_tag(&mut self, begin: usize) -> Result<usize, HtmlError> {
        if self.open.is_empty() {
            return Err(HtmlError::UnexpectedEndTag { offset: begin });
        }
        let mut i = begin + 2;
        while !is_space(self.at(i)) && self.at(i) != b'>' {
            i += 1;
        }
        let end_name = &self.source[begin + 2..i];
        while self.at(i) != 0 && is_space(self.at(i)) {
            i += 1;
        }
        if self.at(i) != b'>' {
            return Err(HtmlError::UnclosedEndTag { offset: begin });
        }
        let Some(tag) = self.open.pop() else {
            return Err(HtmlError::UnexpectedEndTag { offset: begin });
        };
        if !end_name.is_empty() && end_name != tag.name {
            return Err(HtmlError::UnmatchedEndTag {
                offset: begin,
                expected: tag.name,
                found: end_name.to_owned(),
            });
        }
        self.close(tag)?;
        Ok(i + 1)
    }

    fn close(&mut self, tag: OpenTag) -> Result<(), HtmlError> {
        if self.utf16 <= tag.utf16_start {
            return Ok(());
        }
        let offset = tag.utf16_start;
        let length = self.utf16 - offset;
        let same_span_as_last = |entities: &[Entity]| {
            entities
                .last()
                .is_some_and(|last| last.offset == offset && last.length == length)
        };
        let kind = match tag.name.as_str() {
            "b" | "strong" => EntityKind::Bold,
            "i" | "em" => EntityKind::Italic,
            "u" | "ins" => EntityKind::Underline,
            "s" | "strike" | "del" => EntityKind::Strikethrough,
            "tg-spoiler" | "span" => EntityKind::Spoiler,
            "blockquote" if tag.expandable => EntityKind::ExpandableBlockquote,
            "blockquote" => EntityKind::Blockquote,
            "a" => {
                let target = if tag.argument.is_empty() {
                    self.out[tag.out_start..].to_owned()
                } else {
                    tag.argument
                };
                match checked_link(&target) {
                    Some(url) => EntityKind::TextLink { url },
                    // The server silently drops links it can't parse.
                    None => return Ok(()),
                }
            }
            "tg-emoji" => match tag.argument.parse::<i64>() {
                Ok(id) if id != 0 => EntityKind::CustomEmoji {
                    custom_emoji_id: tag.argument,
                },
                _ => return Err(HtmlError::InvalidCustomEmojiId),
            },
            "pre" => {
                let language = self.last_code_language.take();
                let last_is_code = matches!(
                    self.entities.last().map(|e| &e.kind),
                    Some(EntityKind::Code)
                );
                if same_span_as_last(&self.entities) && last_is_code && language.is_some() {
                    if let Some(last) = self.entities.last_mut() {
                        last.kind = EntityKind::Pre { language };
                    }
                    return Ok(());
                }
                EntityKind::Pre { language: None }
            }
            "code" => {
                let inner_pre = same_span_as_last(&self.entities)
                    && matches!(
                        self.entities.last().map(|e| &e.kind),
                        Some(EntityKind::Pre { language: None })
                    );
                if inner_pre && !tag.argument.is_empty() {
                    if let Some(last) = self.entities.last_mut() {
                        last.kind = EntityKind::Pre {
                            language: Some(tag.argument),
                        };
                    }
                    return Ok(());
                }
                self.entities
                    .push(Entity::new(EntityKind::Code, offset, length));
                self.last_code_language = (!tag.argument.is_empty()).then_some(tag.argument);
                return Ok(());
            }
            _ => return Ok(()),
        };
        self.last_code_language = None;
        self.entities.push(Entity::new(kind, offset, length));
        Ok(())
    }
}

/// Decodes `&lt;` `&gt;` `&amp;` `&quot;` `&#NN;` `&#xHH;` at `pos` (the `;` is optional, as on
/// the server). Returns the character and the index after the reference.
fn decode_entity(bytes: &[u8], pos: usize) -> Option<(char, usize)> {
    let at = |index: usize| bytes.get(index).copied().unwrap_or(0);
    let mut end = pos + 1;
    let code_point = if at(end) == b'#' {
        end += 1;
        let radix = if at(end) == b'x' {
            end += 1;
            16
        } else {
            10
        };
        let mut value: u32 = 0;
        while let Some(digit) = char::from(at(end)).to_digit(radix) {
            value = value * radix + digit;
            end += 1;
            if value >= 0x10ffff {
                return None;
            }
        }
        if value == 0 || (0xd800..=0xdfff).contains(&value) {
            return None;
        }
        value
    } else {
        while at(end).is_ascii_alphabetic() {
            end += 1;
        }
        match &bytes[pos + 1..end] {
            b"lt" => u32::from('<'),
            b"gt" => u32::from('>'),
            b"amp" => u32::from('&'),
            b"quot" => u32::from('"'),
            _ => return None,
        }
    };
    let next = if at(end) == b';' { end + 1 } else { end };
    Some((char::from_u32(code_point)?, next))
}

/// The server accepts a link target that looks like a URL, adding `http://` when the scheme is
/// missing; anything with spaces or without a host-like part is dropped.
fn checked_link(target: &str) -> Option<String> {
    let target = target.trim();
    if target.is_empty() || target.chars().any(char::is_whitespace) {
        return None;
    }
    if let Some((scheme, rest)) = target.split_once("://") {
        let valid_scheme = !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        return (valid_scheme && !rest.is_empty()).then(|| target.to_owned());
    }
    if target.starts_with("tg:") || target.starts_with("mailto:") {
        return Some(target.to_owned());
    }
    let host = target.split(['/', '?', '#']).next().unwrap_or_default();
    host.contains('.').then(|| format!("http://{target}"))
}
