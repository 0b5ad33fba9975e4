//! The public, test-facing data of the simulator: users, chats, visible messages, the event log
//! and request statistics, plus their Bot API JSON shapes.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::entity::Entity;

/// A Telegram user (never a bot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimUser {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language_code: Option<String>,
}

impl SimUser {
    pub fn new(id: i64, first_name: &str) -> SimUser {
        SimUser {
            id,
            first_name: first_name.to_owned(),
            last_name: None,
            username: None,
            language_code: None,
        }
    }

    pub fn with_username(mut self, username: &str) -> SimUser {
        self.username = Some(username.to_owned());
        self
    }

    pub fn with_language(mut self, language_code: &str) -> SimUser {
        self.language_code = Some(language_code.to_owned());
        self
    }

    /// The Bot API `User` object.
    pub fn to_json(&self) -> Value {
        let mut user = Map::new();
        user.insert("id".into(), json!(self.id));
        user.insert("is_bot".into(), json!(false));
        user.insert("first_name".into(), json!(self.first_name));
        insert_some(&mut user, "last_name", &self.last_name);
        insert_some(&mut user, "username", &self.username);
        insert_some(&mut user, "language_code", &self.language_code);
        Value::Object(user)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimChatKind {
    Private {
        first_name: String,
        last_name: Option<String>,
        username: Option<String>,
    },
    Group {
        title: String,
    },
    Supergroup {
        title: String,
    },
}

/// A chat the bot is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimChat {
    pub id: i64,
    pub kind: SimChatKind,
}

impl SimChat {
    /// The private chat with `user` (its id is the user's id, as on Telegram).
    pub fn private(user: &SimUser) -> SimChat {
        SimChat {
            id: user.id,
            kind: SimChatKind::Private {
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
                username: user.username.clone(),
            },
        }
    }

    /// A basic group; Telegram gives groups negative ids.
    pub fn group(id: i64, title: &str) -> SimChat {
        SimChat {
            id,
            kind: SimChatKind::Group {
                title: title.to_owned(),
            },
        }
    }

    /// A supergroup; Telegram gives these ids like -100xxxxxxxxxx.
    pub fn supergroup(id: i64, title: &str) -> SimChat {
        SimChat {
            id,
            kind: SimChatKind::Supergroup {
                title: title.to_owned(),
            },
        }
    }

    pub fn is_private(&self) -> bool {
        matches!(self.kind, SimChatKind::Private { .. })
    }

    pub fn is_group(&self) -> bool {
        !self.is_private()
    }

    /// The Bot API `Chat` object.
    pub fn to_json(&self) -> Value {
        let mut chat = Map::new();
        chat.insert("id".into(), json!(self.id));
        match &self.kind {
            SimChatKind::Private {
                first_name,
                last_name,
                username,
            } => {
                chat.insert("type".into(), json!("private"));
                chat.insert("first_name".into(), json!(first_name));
                insert_some(&mut chat, "last_name", last_name);
                insert_some(&mut chat, "username", username);
            }
            SimChatKind::Group { title } => {
                chat.insert("type".into(), json!("group"));
                chat.insert("title".into(), json!(title));
            }
            SimChatKind::Supergroup { title } => {
                chat.insert("type".into(), json!("supergroup"));
                chat.insert("title".into(), json!(title));
            }
        }
        Value::Object(chat)
    }
}

/// A file attached to a user's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimFile {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_size: usize,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// Several sizes, smallest first, like Telegram's `PhotoSize` array.
    Photo(Vec<SimFile>),
    Document {
        file: SimFile,
        file_name: String,
        mime_type: String,
    },
}

/// A message as it is currently visible in a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimMessage {
    pub message_id: i32,
    pub chat_id: i64,
    pub from_bot: bool,
    pub from_id: i64,
    /// Unix seconds.
    pub date: i64,
    /// Plain text after parsing (the caption for media).
    pub text: String,
    pub entities: Vec<Entity>,
    /// The markup as the bot sent it (`parse_mode=HTML`), latest edit.
    pub html: Option<String>,
    /// Inline keyboard as stored by Telegram (None when absent or removed).
    pub reply_markup: Option<Value>,
    pub edits: u32,
    pub edit_date: Option<i64>,
    pub reply_to: Option<i32>,
    pub message_thread_id: Option<i64>,
    pub attachment: Option<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimEventKind {
    Send,
    Edit,
    Draft,
    Delete,
    ChatAction,
    CallbackAnswer,
    Rejected { code: u16, description: String },
}

/// One visible change or one rejected request, in order of occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimEvent {
    pub at: Instant,
    /// 0 when the request named no chat.
    pub chat_id: i64,
    pub kind: SimEventKind,
    /// The Bot API method that caused it.
    pub method: String,
    pub message_id: Option<i32>,
    pub draft_id: Option<i64>,
    /// Plain text after parsing (chat action name, callback answer text).
    pub text: String,
}

/// Request counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    pub requests: u64,
    pub sends: u64,
    pub edits: u64,
    pub drafts: u64,
    pub deletes: u64,
    pub chat_actions: u64,
    pub callback_answers: u64,
    pub status_400: u64,
    pub status_401: u64,
    pub status_403: u64,
    pub status_404: u64,
    pub status_409: u64,
    pub status_429: u64,
    pub status_5xx: u64,
    /// Requests per method (canonical spelling; unknown names as called).
    pub per_method: BTreeMap<String, u64>,
}

impl SimStats {
    pub fn method(&self, name: &str) -> u64 {
        self.per_method.get(name).copied().unwrap_or(0)
    }

    pub(crate) fn count_status(&mut self, status: u16) {
        match status {
            400 => self.status_400 += 1,
            401 => self.status_401 += 1,
            403 => self.status_403 += 1,
            404 => self.status_404 += 1,
            409 => self.status_409 += 1,
            429 => self.status_429 += 1,
            500..=599 => self.status_5xx += 1,
            _ => {}
        }
    }
}

fn insert_some(map: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), json!(value));
    }
}
