//! The Bot API methods the simulator implements, one file per group. Each method first reads
//! its parameters (pure, outside the lock) and then applies itself to the state, checking
//! things in the order the server does: chat, blocking, content, flood budget.

mod draft;
mod messages;
mod misc;
pub(crate) mod updates;

use serde_json::Value;

use super::entity::{FormattedText, normalize, utf16_len};
use super::error::ApiError;
use super::html::parse_html;
use super::params::Params;
use super::state::SimState;

/// Maximum message text, in UTF-16 code units after entity parsing.
pub const MAX_TEXT_UTF16: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    GetMe,
    GetUpdates,
    DeleteWebhook,
    GetWebhookInfo,
    SendMessage,
    EditMessageText,
    EditMessageReplyMarkup,
    SendMessageDraft,
    DeleteMessage,
    SendChatAction,
    AnswerCallbackQuery,
    SetMyCommands,
    GetMyCommands,
    DeleteMyCommands,
    GetFile,
}

const METHODS: [(&str, Method); 15] = [
    ("getMe", Method::GetMe),
    ("getUpdates", Method::GetUpdates),
    ("deleteWebhook", Method::DeleteWebhook),
    ("getWebhookInfo", Method::GetWebhookInfo),
    ("sendMessage", Method::SendMessage),
    ("editMessageText", Method::EditMessageText),
    ("editMessageReplyMarkup", Method::EditMessageReplyMarkup),
    ("sendMessageDraft", Method::SendMessageDraft),
    ("deleteMessage", Method::DeleteMessage),
    ("sendChatAction", Method::SendChatAction),
    ("answerCallbackQuery", Method::AnswerCallbackQuery),
    ("setMyCommands", Method::SetMyCommands),
    ("getMyCommands", Method::GetMyCommands),
    ("deleteMyCommands", Method::DeleteMyCommands),
    ("getFile", Method::GetFile),
];

impl Method {
    /// Method names are case-insensitive on the Bot API.
    pub fn parse(name: &str) -> Option<Method> {
        METHODS
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, method)| *method)
    }

    pub fn name(self) -> &'static str {
        METHODS
            .iter()
            .find(|(_, method)| *method == self)
            .map_or("unknown", |(name, _)| name)
    }
}

/// The `text` of a request as parsed per `parse_mode`, with parse errors kept for later so that
/// chat errors are reported first, as the server does.
#[derive(Debug, Clone)]
pub(crate) struct PreparedText {
    pub html: Option<String>,
    pub parsed: Result<FormattedText, ApiError>,
}

impl PreparedText {
    pub fn from_params(params: &Params) -> PreparedText {
        let raw = params.str("text").unwrap_or_default();
        let mode = params.str("parse_mode").unwrap_or_default();
        match mode.to_ascii_lowercase().as_str() {
            "" => PreparedText {
                html: None,
                parsed: Ok(normalize(FormattedText {
                    text: raw,
                    entities: Vec::new(),
                })),
            },
            "html" => PreparedText {
                parsed: parse_html(&raw).map_err(|error| {
                    ApiError::bad_request(format!("can't parse entities: {error}"))
                }),
                html: Some(raw),
            },
            // Markdown modes are real on Telegram but the bot only speaks HTML.
            _ => PreparedText {
                html: None,
                parsed: Err(ApiError::bad_request("unsupported parse_mode")),
            },
        }
    }

    /// The parsed text, which must be 1–4096 UTF-16 units; `too_long` is the method's wording.
    pub fn checked(self, too_long: &str) -> Result<(FormattedText, Option<String>), ApiError> {
        let formatted = self.parsed?;
        if formatted.text.is_empty() {
            return Err(ApiError::bad_request("message text is empty"));
        }
        if utf16_len(&formatted.text) > MAX_TEXT_UTF16 {
            return Err(ApiError::bad_request(too_long));
        }
        Ok((formatted, self.html))
    }
}

impl SimState {
    /// Runs every method except getUpdates (which waits, see `updates`).
    pub fn call(&mut self, method: Method, params: &Params) -> Result<Value, ApiError> {
        match method {
            Method::GetMe => Ok(self.get_me()),
            Method::GetUpdates => Err(ApiError::Internal),
            Method::DeleteWebhook => Ok(self.delete_webhook(params)),
            Method::GetWebhookInfo => Ok(self.webhook_info()),
            Method::SendMessage => self.send_message(messages::SendRequest::from_params(params)?),
            Method::EditMessageText => {
                self.edit_message_text(messages::EditRequest::from_params(params)?)
            }
            Method::EditMessageReplyMarkup => {
                self.edit_reply_markup(messages::EditRequest::from_params(params)?)
            }
            Method::SendMessageDraft => {
                self.send_message_draft(draft::DraftRequest::from_params(params)?)
            }
            Method::DeleteMessage => self.delete_message(params),
            Method::SendChatAction => self.send_chat_action(params),
            Method::AnswerCallbackQuery => self.answer_callback_query(params),
            Method::SetMyCommands => self.set_my_commands(params),
            Method::GetMyCommands => self.get_my_commands(params),
            Method::DeleteMyCommands => self.delete_my_commands(params),
            Method::GetFile => self.get_file(params),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_are_case_insensitive() {
        assert_eq!(Method::parse("sendmessage"), Some(Method::SendMessage));
        assert_eq!(
            Method::parse("SENDMESSAGEDRAFT"),
            Some(Method::SendMessageDraft)
        );
        assert_eq!(Method::parse("sendPhoto"), None);
        assert_eq!(Method::EditMessageText.name(), "editMessageText");
    }
}
