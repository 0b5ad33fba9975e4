//! Raw update JSON → what the bot cares about. Pure, so every shape is unit-tested.

use serde_json::Value;
use teloxide::types::{CallbackQuery, Message};

#[derive(Debug, Clone)]
pub enum Incoming {
    Message(Box<Message>),
    Callback(Box<CallbackQuery>),
    /// The stop button on a streaming draft (Bot API 10.3; unknown to teloxide 0.17).
    StopGeneration {
        chat_id: i64,
        draft_id: i64,
    },
    /// Kinds the bot does not handle (edits, member changes, …).
    Ignored,
}

impl Incoming {
    /// Updates of one chat are handled in order; this is the ordering key.
    pub fn chat_id(&self) -> Option<i64> {
        match self {
            Incoming::Message(m) => Some(m.chat.id.0),
            Incoming::Callback(q) => q.message.as_ref().map(|m| m.chat().id.0),
            Incoming::StopGeneration { chat_id, .. } => Some(*chat_id),
            Incoming::Ignored => None,
        }
    }
}

/// Decodes one raw update. Returns `None` only when there is no `update_id` at all.
pub fn parse_update(raw: &Value) -> Option<(i64, Incoming)> {
    let update_id = raw.get("update_id")?.as_i64()?;
    if let Some(stop) = raw.get("stopped_message_generation") {
        let chat_id = stop.pointer("/chat/id").and_then(Value::as_i64);
        let draft_id = stop.get("draft_id").and_then(Value::as_i64);
        let incoming = match (chat_id, draft_id) {
            (Some(chat_id), Some(draft_id)) => Incoming::StopGeneration { chat_id, draft_id },
            _ => Incoming::Ignored,
        };
        return Some((update_id, incoming));
    }
    // Decode only the part we use: cheaper than a whole `Update`, and teloxide's `Update`
    // deserializer does not accept a `serde_json::Value` input.
    let incoming = if let Some(message) = raw.get("message") {
        decode::<Message>(update_id, message).map(|m| Incoming::Message(Box::new(m)))
    } else if let Some(query) = raw.get("callback_query") {
        decode::<CallbackQuery>(update_id, query).map(|q| Incoming::Callback(Box::new(q)))
    } else {
        None
    };
    let incoming = incoming.unwrap_or(Incoming::Ignored);
    Some((update_id, incoming))
}

fn decode<T: serde::de::DeserializeOwned>(update_id: i64, value: &Value) -> Option<T> {
    match T::deserialize(value) {
        Ok(decoded) => Some(decoded),
        Err(error) => {
            tracing::warn!(update_id, %error, "skipping an update teloxide cannot decode");
            None
        }
    }
}

/// A command addressed to this bot: `/name@bot args` → ("name", "args").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command<'a> {
    pub name: String,
    pub args: &'a str,
}

/// Parses a leading bot command. A command addressed to another bot (`/start@other_bot`)
/// is not ours and yields `None`.
pub fn parse_command<'a>(text: &'a str, bot_username: &str) -> Option<Command<'a>> {
    let rest = text.strip_prefix('/')?;
    let (head, args) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let (name, addressee) = match head.split_once('@') {
        Some((name, to)) => (name, Some(to)),
        None => (head, None),
    };
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    if addressee.is_some_and(|to| !to.eq_ignore_ascii_case(bot_username)) {
        return None;
    }
    Some(Command {
        name: name.to_ascii_lowercase(),
        args,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message_update(id: i64, chat: Value, text: &str) -> Value {
        json!({"update_id": id, "message": {
            "message_id": 5, "date": 1_700_000_000, "chat": chat, "text": text,
            "from": {"id": 42, "is_bot": false, "first_name": "Ann"}
        }})
    }

    #[test]
    fn messages_and_their_chat_are_decoded() {
        let raw = message_update(
            7,
            json!({"id": 42, "type": "private", "first_name": "Ann"}),
            "hi",
        );
        let (id, incoming) = parse_update(&raw).unwrap();
        assert_eq!(id, 7);
        assert_eq!(incoming.chat_id(), Some(42));
        assert!(matches!(incoming, Incoming::Message(m) if m.text() == Some("hi")));
    }

    #[test]
    fn the_stop_button_update_is_read_from_raw_json() {
        let raw = json!({"update_id": 991, "stopped_message_generation": {
            "chat": {"id": 123, "type": "private", "first_name": "Ann"}, "draft_id": 7}});
        let (_, incoming) = parse_update(&raw).unwrap();
        assert!(matches!(
            incoming,
            Incoming::StopGeneration {
                chat_id: 123,
                draft_id: 7
            }
        ));
    }

    #[test]
    fn unknown_kinds_are_ignored_not_fatal() {
        let raw = json!({"update_id": 3, "message_reaction_count": {"whatever": 1}});
        let (id, incoming) = parse_update(&raw).unwrap();
        assert_eq!(id, 3);
        assert!(matches!(incoming, Incoming::Ignored));
        assert!(parse_update(&json!({"message": {}})).is_none());
    }

    #[test]
    fn commands_are_parsed_and_foreign_ones_skipped() {
        let cmd = parse_command("/Scan@TiltGuard_Bot  0xabc eth ", "tiltguard_bot").unwrap();
        assert_eq!(cmd.name, "scan");
        assert_eq!(cmd.args, "0xabc eth");
        assert_eq!(parse_command("/help", "b").unwrap().args, "");
        assert!(parse_command("/start@other_bot", "tiltguard_bot").is_none());
        assert!(parse_command("not a command", "b").is_none());
        assert!(parse_command("/ spaced", "b").is_none());
    }
}
