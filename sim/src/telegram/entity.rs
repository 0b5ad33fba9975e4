//! Message entities (offsets in UTF-16 code units, as the Bot API counts them) and the text
//! normalisation the server applies after parsing: dropping entities nested in code, sorting, and
//! trimming surrounding whitespace.

use serde_json::{Value, json};

/// One formatting span of a message, exactly as the Bot API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub kind: EntityKind,
    /// Start in UTF-16 code units.
    pub offset: usize,
    /// Length in UTF-16 code units.
    pub length: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntityKind {
    Bold,
    Italic,
    Underline,
    Strikethrough,
    Spoiler,
    Code,
    Pre { language: Option<String> },
    TextLink { url: String },
    CustomEmoji { custom_emoji_id: String },
    Blockquote,
    ExpandableBlockquote,
    BotCommand,
}

impl EntityKind {
    /// The `type` string of the Bot API `MessageEntity` object.
    pub fn type_name(&self) -> &'static str {
        match self {
            EntityKind::Bold => "bold",
            EntityKind::Italic => "italic",
            EntityKind::Underline => "underline",
            EntityKind::Strikethrough => "strikethrough",
            EntityKind::Spoiler => "spoiler",
            EntityKind::Code => "code",
            EntityKind::Pre { .. } => "pre",
            EntityKind::TextLink { .. } => "text_link",
            EntityKind::CustomEmoji { .. } => "custom_emoji",
            EntityKind::Blockquote => "blockquote",
            EntityKind::ExpandableBlockquote => "expandable_blockquote",
            EntityKind::BotCommand => "bot_command",
        }
    }

    fn is_code_like(&self) -> bool {
        matches!(self, EntityKind::Code | EntityKind::Pre { .. })
    }
}

impl Entity {
    pub fn new(kind: EntityKind, offset: usize, length: usize) -> Entity {
        Entity {
            kind,
            offset,
            length,
        }
    }

    fn end(&self) -> usize {
        self.offset + self.length
    }

    /// The `MessageEntity` JSON object.
    pub fn to_json(&self) -> Value {
        let mut object = json!({
            "type": self.kind.type_name(),
            "offset": self.offset,
            "length": self.length,
        });
        let extra = match &self.kind {
            EntityKind::Pre {
                language: Some(language),
            } => Some(("language", language)),
            EntityKind::TextLink { url } => Some(("url", url)),
            EntityKind::CustomEmoji { custom_emoji_id } => {
                Some(("custom_emoji_id", custom_emoji_id))
            }
            _ => None,
        };
        if let (Some((key, value)), Some(map)) = (extra, object.as_object_mut()) {
            map.insert(key.to_owned(), Value::String(value.clone()));
        }
        object
    }
}

/// Plain text plus its entities: what a message really contains once markup is parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormattedText {
    pub text: String,
    pub entities: Vec<Entity>,
}

/// Length in UTF-16 code units, the unit of every Bot API text limit.
pub fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Applies the server-side clean-up every message text goes through: entities inside `code`/`pre`
/// are dropped (code can't be formatted), entities are sorted, and whitespace around the text is
/// trimmed, which also makes a whitespace-only text empty.
pub fn normalize(mut formatted: FormattedText) -> FormattedText {
    let code_spans: Vec<(usize, usize, bool)> = formatted
        .entities
        .iter()
        .filter(|entity| entity.kind.is_code_like())
        .map(|entity| {
            let is_pre = matches!(entity.kind, EntityKind::Pre { .. });
            (entity.offset, entity.end(), is_pre)
        })
        .collect();
    if !code_spans.is_empty() {
        formatted.entities.retain(|entity| {
            !code_spans.iter().any(|&(start, end, is_pre)| {
                let inside = start <= entity.offset && entity.end() <= end;
                let droppable = match entity.kind {
                    EntityKind::Pre { .. } => false,
                    EntityKind::Code => is_pre,
                    _ => true,
                };
                inside && droppable
            })
        });
    }
    formatted
        .entities
        .sort_by(|a, b| a.offset.cmp(&b.offset).then(b.length.cmp(&a.length)));
    trim(formatted)
}

fn trim(formatted: FormattedText) -> FormattedText {
    let trimmed_start = formatted.text.trim_start();
    let leading_units = utf16_len(&formatted.text[..formatted.text.len() - trimmed_start.len()]);
    let trimmed = trimmed_start.trim_end();
    let kept_units = utf16_len(trimmed);
    let entities = formatted
        .entities
        .into_iter()
        .filter_map(|entity| {
            let start = entity.offset.max(leading_units) - leading_units;
            let end = entity
                .end()
                .min(leading_units + kept_units)
                .saturating_sub(leading_units);
            (end > start).then(|| Entity::new(entity.kind, start, end - start))
        })
        .collect();
    FormattedText {
        text: trimmed.to_owned(),
        entities,
    }
}

/// The `bot_command` entity a client attaches when a message starts with `/command[@bot]`.
pub fn leading_command(text: &str) -> Option<Entity> {
    let rest = text.strip_prefix('/')?;
    let name_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if name_len == 0 || name_len > 32 {
        return None;
    }
    let mut end = 1 + name_len;
    if let Some(mention) = text[end..].strip_prefix('@') {
        let mention_len = mention
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if mention_len > 0 {
            end += 1 + mention_len;
        }
    }
    Some(Entity::new(
        EntityKind::BotCommand,
        0,
        utf16_len(&text[..end]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_counts_astral_characters_twice() {
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("é"), 1);
        assert_eq!(utf16_len("😀"), 2);
    }

    #[test]
    fn trimming_shifts_and_clips_entities() {
        let formatted = FormattedText {
            text: "  hi there \n".to_owned(),
            entities: vec![
                Entity::new(EntityKind::Bold, 0, 4),
                Entity::new(EntityKind::Italic, 5, 7),
            ],
        };
        let normalized = normalize(formatted);
        assert_eq!(normalized.text, "hi there");
        assert_eq!(
            normalized.entities,
            vec![
                Entity::new(EntityKind::Bold, 0, 2),
                Entity::new(EntityKind::Italic, 3, 5),
            ]
        );
    }

    #[test]
    fn entities_inside_code_are_dropped() {
        let formatted = FormattedText {
            text: "let x".to_owned(),
            entities: vec![
                Entity::new(EntityKind::Bold, 0, 3),
                Entity::new(EntityKind::Pre { language: None }, 0, 5),
            ],
        };
        let normalized = normalize(formatted);
        assert_eq!(
            normalized.entities,
            vec![Entity::new(EntityKind::Pre { language: None }, 0, 5)]
        );
    }

    #[test]
    fn whitespace_only_text_becomes_empty() {
        let normalized = normalize(FormattedText {
            text: " \n\t ".to_owned(),
            entities: vec![Entity::new(EntityKind::Bold, 0, 4)],
        });
        assert!(normalized.text.is_empty());
        assert!(normalized.entities.is_empty());
    }

    #[test]
    fn commands_get_an_entity_covering_the_bot_mention() {
        assert_eq!(
            leading_command("/scan 0xabc"),
            Some(Entity::new(EntityKind::BotCommand, 0, 5))
        );
        assert_eq!(
            leading_command("/start@tiltguard_bot hi"),
            Some(Entity::new(EntityKind::BotCommand, 0, 20))
        );
        assert_eq!(leading_command("hello /start"), None);
        assert_eq!(leading_command("/ start"), None);
    }

    #[test]
    fn entity_json_carries_the_type_specific_field() {
        let link = Entity::new(
            EntityKind::TextLink {
                url: "https://example.com/".to_owned(),
            },
            1,
            2,
        );
        assert_eq!(
            link.to_json(),
            json!({"type":"text_link","offset":1,"length":2,"url":"https://example.com/"})
        );
    }
}
