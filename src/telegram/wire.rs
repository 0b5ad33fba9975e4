//! The JSON bodies of the Bot API calls the bot makes most, and of Telegram's answers.
//!
//! A preview goes out several times a second per chat, so these are serialized from
//! borrowed parts and answers are read into just what the caller needs.

use serde::{Deserialize, Serialize};
use teloxide::types::InlineKeyboardMarkup;

use super::api::TextMode;

/// What the bot reads of a message it sent; the rest of Telegram's `Message` is skipped
/// without being copied (a final reply's answer repeats its whole text).
#[derive(Debug, Clone, Deserialize)]
pub struct SentMessage {
    pub message_id: i32,
}

/// The body of a call that carries text (send, edit, draft), serialized from borrowed
/// parts: one of these goes out per preview, and building a JSON `Value` first copied the
/// text and allocated every key.
#[derive(Serialize)]
pub(super) struct TextCall<'a> {
    pub(super) chat_id: i64,
    pub(super) text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) parse_mode: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reply_markup: Option<&'a InlineKeyboardMarkup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) message_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) draft_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) can_stop: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) keep_on_stop: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) link_preview_options: Option<LinkPreview>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reply_parameters: Option<ReplyTo>,
}

impl<'a> TextCall<'a> {
    pub(super) fn new(
        chat_id: i64,
        text: &'a str,
        mode: TextMode,
        keyboard: Option<&'a InlineKeyboardMarkup>,
    ) -> Self {
        TextCall {
            chat_id,
            text,
            parse_mode: (mode == TextMode::Html).then_some("HTML"),
            reply_markup: keyboard,
            message_id: None,
            draft_id: None,
            can_stop: None,
            keep_on_stop: None,
            link_preview_options: None,
            reply_parameters: None,
        }
    }
}

#[derive(Serialize, Clone, Copy)]
pub(super) struct LinkPreview {
    pub(super) is_disabled: bool,
}

pub(super) const NO_PREVIEW: LinkPreview = LinkPreview { is_disabled: true };

#[derive(Serialize)]
pub(super) struct ReplyTo {
    pub(super) message_id: i32,
    pub(super) allow_sending_without_reply: bool,
}

/// Every answer: `result` when `ok`, the error fields otherwise.
#[derive(Deserialize)]
pub(super) struct Envelope<R> {
    pub(super) ok: bool,
    pub(super) result: Option<R>,
    pub(super) error_code: Option<u16>,
    pub(super) description: Option<String>,
    pub(super) parameters: Option<ResponseParameters>,
}

#[derive(Deserialize, Default)]
pub(super) struct ResponseParameters {
    pub(super) retry_after: Option<u64>,
    pub(super) migrate_to_chat_id: Option<i64>,
}
