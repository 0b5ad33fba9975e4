//! Bot API `Message` objects built from the simulator's stored messages.

use serde_json::{Map, Value, json};

use super::entity::Entity;
use super::model::{Attachment, SimFile, SimMessage};
use super::state::{ChatRecord, SimState};

fn entities_json(entities: &[Entity]) -> Value {
    Value::Array(entities.iter().map(Entity::to_json).collect())
}

fn file_json(file: &SimFile) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("file_id".into(), json!(file.file_id));
    object.insert("file_unique_id".into(), json!(file.file_unique_id));
    object.insert("file_size".into(), json!(file.file_size));
    if let (Some(width), Some(height)) = (file.width, file.height) {
        object.insert("width".into(), json!(width));
        object.insert("height".into(), json!(height));
    }
    object
}

impl SimState {
    /// The `Message` object of `message` in `chat`; `with_reply` embeds the replied-to message
    /// one level deep, as the Bot API does.
    pub fn message_json(&self, chat: &ChatRecord, message: &SimMessage, with_reply: bool) -> Value {
        let mut object = Map::new();
        object.insert("message_id".into(), json!(message.message_id));
        if let Some(thread) = message.message_thread_id {
            object.insert("message_thread_id".into(), json!(thread));
        }
        let from = if message.from_bot {
            self.bot_user_json()
        } else {
            self.users.get(&message.from_id).map_or_else(
                || json!({"id": message.from_id, "is_bot": false, "first_name": "User"}),
                |user| user.to_json(),
            )
        };
        object.insert("from".into(), from);
        object.insert("chat".into(), chat.chat.to_json());
        object.insert("date".into(), json!(message.date));
        if let Some(replied) = message
            .reply_to
            .filter(|_| with_reply)
            .and_then(|id| chat.messages.get(&id))
        {
            object.insert(
                "reply_to_message".into(),
                self.message_json(chat, replied, false),
            );
        }
        if let Some(edit_date) = message.edit_date {
            object.insert("edit_date".into(), json!(edit_date));
        }
        let (text_key, entities_key) = match &message.attachment {
            None => ("text", "entities"),
            Some(Attachment::Photo(sizes)) => {
                let sizes: Vec<Value> = sizes.iter().map(|f| Value::Object(file_json(f))).collect();
                object.insert("photo".into(), Value::Array(sizes));
                ("caption", "caption_entities")
            }
            Some(Attachment::Document {
                file,
                file_name,
                mime_type,
            }) => {
                let mut document = file_json(file);
                document.insert("file_name".into(), json!(file_name));
                document.insert("mime_type".into(), json!(mime_type));
                object.insert("document".into(), Value::Object(document));
                ("caption", "caption_entities")
            }
        };
        if message.attachment.is_none() || !message.text.is_empty() {
            object.insert(text_key.into(), json!(message.text));
        }
        if !message.entities.is_empty() {
            object.insert(entities_key.into(), entities_json(&message.entities));
        }
        if let Some(markup) = &message.reply_markup {
            object.insert("reply_markup".into(), markup.clone());
        }
        Value::Object(object)
    }

    /// The `Message` object of a stored message, by chat and id.
    pub fn message_json_by_id(&self, chat_id: i64, message_id: i32) -> Option<Value> {
        let chat = self.chats.get(&chat_id)?;
        let message = chat.messages.get(&message_id)?;
        Some(self.message_json(chat, message, true))
    }
}
