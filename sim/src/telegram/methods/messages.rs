//! sendMessage, editMessageText, editMessageReplyMarkup and deleteMessage.

use serde_json::{Value, json};

use super::PreparedText;
use crate::telegram::error::ApiError;
use crate::telegram::flood::FloodClass;
use crate::telegram::markup::inline_keyboard;
use crate::telegram::model::{SimEventKind, SimMessage};
use crate::telegram::params::Params;
use crate::telegram::state::{SimState, unix_now};

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

pub(crate) struct SendRequest {
    chat_id: i64,
    text: PreparedText,
    markup: Result<Option<Value>, ApiError>,
    reply_to: Option<i32>,
    allow_without_reply: bool,
    message_thread_id: Option<i64>,
}

fn parsed_markup(params: &Params, inline_only: bool) -> Result<Option<Value>, ApiError> {
    match params.json("reply_markup").map_err(ApiError::bad_request)? {
        Some(markup) => inline_keyboard(&markup, inline_only),
        None => Ok(None),
    }
}

impl SendRequest {
    pub fn from_params(params: &Params) -> Result<SendRequest, ApiError> {
        let chat_id = params.chat_id()?;
        let reply_parameters = params
            .json("reply_parameters")
            .map_err(ApiError::bad_request)?;
        let (reply_to, allow_without_reply) = match reply_parameters {
            Some(reply) => {
                let message_id = reply
                    .get("message_id")
                    .and_then(Value::as_i64)
                    .and_then(|id| i32::try_from(id).ok())
                    .ok_or_else(|| ApiError::bad_request("message to be replied not found"))?;
                let allow = reply
                    .get("allow_sending_without_reply")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                (Some(message_id), allow)
            }
            None => (
                params.i32("reply_to_message_id")?,
                params.bool("allow_sending_without_reply"),
            ),
        };
        Ok(SendRequest {
            chat_id,
            text: PreparedText::from_params(params),
            markup: parsed_markup(params, false),
            reply_to,
            allow_without_reply,
            message_thread_id: params.i64("message_thread_id")?,
        })
    }
}

pub(crate) struct EditRequest {
    chat_id: i64,
    message_id: i32,
    text: PreparedText,
    markup: Result<Option<Value>, ApiError>,
}

impl EditRequest {
    pub fn from_params(params: &Params) -> Result<EditRequest, ApiError> {
        if params.contains("inline_message_id") {
            // The simulator has no inline-mode messages, so no inline id can be valid.
            return Err(ApiError::bad_request("MESSAGE_ID_INVALID"));
        }
        let chat_id = params.chat_id()?;
        let message_id = params
            .i32("message_id")?
            .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))?;
        Ok(EditRequest {
            chat_id,
            message_id,
            text: PreparedText::from_params(params),
            markup: parsed_markup(params, true),
        })
    }
}

impl SimState {
    pub(super) fn send_message(&mut self, request: SendRequest) -> Result<Value, ApiError> {
        let chat_id = request.chat_id;
        let record = self.reachable_chat(chat_id)?;
        let (formatted, html) = request.text.checked("message is too long")?;
        let reply_markup = request.markup?;
        let reply_to = match request.reply_to {
            Some(id) if record.messages.contains_key(&id) => Some(id),
            Some(_) if request.allow_without_reply => None,
            Some(_) => return Err(ApiError::bad_request("message to be replied not found")),
            None => None,
        };
        self.admit(chat_id, FloodClass::Send)?;

        let bot_id = self.config.bot_id;
        let record = self.reachable_chat(chat_id)?;
        let message_id = record.take_message_id();
        // Any message the bot sends dismisses the draft preview.
        record.draft = None;
        record.messages.insert(
            message_id,
            SimMessage {
                message_id,
                chat_id,
                from_bot: true,
                from_id: bot_id,
                date: unix_now(),
                text: formatted.text.clone(),
                entities: formatted.entities,
                html,
                reply_markup,
                edits: 0,
                edit_date: None,
                reply_to,
                message_thread_id: request.message_thread_id,
                attachment: None,
            },
        );
        self.stats.sends += 1;
        self.record(
            chat_id,
            SimEventKind::Send,
            "sendMessage",
            Some(message_id),
            None,
            &formatted.text,
        );
        self.message_json_by_id(chat_id, message_id)
            .ok_or(ApiError::Internal)
    }

    /// The bot's own message that an edit targets.
    fn editable(&mut self, chat_id: i64, message_id: i32) -> Result<&mut SimMessage, ApiError> {
        let record = self.reachable_chat(chat_id)?;
        let message = record
            .messages
            .get_mut(&message_id)
            .ok_or_else(|| ApiError::bad_request("message to edit not found"))?;
        if !message.from_bot {
            return Err(ApiError::bad_request("message can't be edited"));
        }
        Ok(message)
    }

    pub(super) fn edit_message_text(&mut self, request: EditRequest) -> Result<Value, ApiError> {
        let EditRequest {
            chat_id,
            message_id,
            text,
            markup,
        } = request;
        let current = self.editable(chat_id, message_id)?;
        let (formatted, html) = text.checked("MESSAGE_TOO_LONG")?;
        // An edit without reply_markup removes the keyboard.
        let reply_markup = markup?;
        if current.text == formatted.text
            && current.entities == formatted.entities
            && current.reply_markup == reply_markup
        {
            return Err(ApiError::bad_request(NOT_MODIFIED));
        }
        self.admit(chat_id, FloodClass::Edit)?;

        let message = self.editable(chat_id, message_id)?;
        message.text = formatted.text.clone();
        message.entities = formatted.entities;
        message.html = html;
        message.reply_markup = reply_markup;
        message.edits += 1;
        message.edit_date = Some(unix_now());
        self.stats.edits += 1;
        self.record(
            chat_id,
            SimEventKind::Edit,
            "editMessageText",
            Some(message_id),
            None,
            &formatted.text,
        );
        self.message_json_by_id(chat_id, message_id)
            .ok_or(ApiError::Internal)
    }

    pub(super) fn edit_reply_markup(&mut self, request: EditRequest) -> Result<Value, ApiError> {
        let EditRequest {
            chat_id,
            message_id,
            markup,
            ..
        } = request;
        let current = self.editable(chat_id, message_id)?;
        let reply_markup = markup?;
        if current.reply_markup == reply_markup {
            return Err(ApiError::bad_request(NOT_MODIFIED));
        }
        self.admit(chat_id, FloodClass::Edit)?;

        let message = self.editable(chat_id, message_id)?;
        message.reply_markup = reply_markup;
        message.edits += 1;
        message.edit_date = Some(unix_now());
        let text = message.text.clone();
        self.stats.edits += 1;
        self.record(
            chat_id,
            SimEventKind::Edit,
            "editMessageReplyMarkup",
            Some(message_id),
            None,
            &text,
        );
        self.message_json_by_id(chat_id, message_id)
            .ok_or(ApiError::Internal)
    }

    pub(super) fn delete_message(&mut self, params: &Params) -> Result<Value, ApiError> {
        let chat_id = params.chat_id()?;
        let message_id = params
            .i32("message_id")?
            .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))?;
        let record = self.reachable_chat(chat_id)?;
        let message = record
            .messages
            .get(&message_id)
            .ok_or_else(|| ApiError::bad_request("message to delete not found"))?;
        // The bot is no admin: in groups it may delete only its own messages.
        if !message.from_bot && record.chat.is_group() {
            return Err(ApiError::bad_request("message can't be deleted"));
        }
        let removed = record.messages.remove(&message_id);
        self.stats.deletes += 1;
        let text = removed.map(|message| message.text).unwrap_or_default();
        self.record(
            chat_id,
            SimEventKind::Delete,
            "deleteMessage",
            Some(message_id),
            None,
            &text,
        );
        Ok(json!(true))
    }

    /// Charges one request of `class` to the chat's flood budgets.
    pub(crate) fn admit(&mut self, chat_id: i64, class: FloodClass) -> Result<(), ApiError> {
        let now = tokio::time::Instant::now();
        let record = self
            .chats
            .get_mut(&chat_id)
            .ok_or_else(ApiError::chat_not_found)?;
        let is_group = record.chat.is_group();
        self.flood
            .admit(&mut record.flood, chat_id, is_group, class, now)
            .map_err(ApiError::TooManyRequests)
    }
}
