//! sendMessageDraft (Bot API 9.3+): a streaming preview in a private chat, animated per
//! `draft_id`, visible for a limited time or until the bot sends a message. Descriptions the
//! Bot API docs don't pin down: `TEXTDRAFT_PEER_INVALID` outside private chats (as the real
//! server answers), `invalid draft_id` for a missing or zero id, and "message is too long" for
//! a draft over 4096 UTF-16 units.

use serde_json::{Value, json};
use tokio::time::Instant;

use super::{MAX_TEXT_UTF16, PreparedText};
use crate::telegram::entity::utf16_len;
use crate::telegram::error::ApiError;
use crate::telegram::flood::FloodClass;
use crate::telegram::model::SimEventKind;
use crate::telegram::params::Params;
use crate::telegram::state::{Draft, SimState};

pub(crate) struct DraftRequest {
    chat_id: i64,
    draft_id: Option<i64>,
    text: PreparedText,
    message_thread_id: Option<i64>,
    keep_on_stop: bool,
}

impl DraftRequest {
    pub fn from_params(params: &Params) -> Result<DraftRequest, ApiError> {
        Ok(DraftRequest {
            chat_id: params.chat_id()?,
            draft_id: params.i64("draft_id")?,
            text: PreparedText::from_params(params),
            message_thread_id: params.i64("message_thread_id")?,
            keep_on_stop: params.bool("keep_on_stop"),
        })
    }
}

impl SimState {
    pub(super) fn send_message_draft(&mut self, request: DraftRequest) -> Result<Value, ApiError> {
        let chat_id = request.chat_id;
        let record = self
            .chats
            .get(&chat_id)
            .ok_or_else(ApiError::chat_not_found)?;
        if !record.chat.is_private() {
            return Err(ApiError::bad_request("TEXTDRAFT_PEER_INVALID"));
        }
        self.reachable_chat(chat_id)?;
        let draft_id = request
            .draft_id
            .filter(|id| *id != 0)
            .ok_or_else(|| ApiError::bad_request("invalid draft_id"))?;
        // Empty text is allowed: the client shows "Thinking…".
        let formatted = request.text.parsed?;
        if utf16_len(&formatted.text) > MAX_TEXT_UTF16 {
            return Err(ApiError::bad_request("message is too long"));
        }
        self.admit(chat_id, FloodClass::Draft)?;

        let expires_at = Instant::now() + self.config.draft_lifetime;
        let record = self.reachable_chat(chat_id)?;
        record.draft = Some(Draft {
            draft_id,
            text: formatted.text.clone(),
            entities: formatted.entities,
            expires_at,
            message_thread_id: request.message_thread_id,
            keep_on_stop: request.keep_on_stop,
        });
        self.stats.drafts += 1;
        self.record(
            chat_id,
            SimEventKind::Draft,
            "sendMessageDraft",
            None,
            Some(draft_id),
            &formatted.text,
        );
        Ok(json!(true))
    }

    /// The draft still visible in a chat.
    pub fn visible_draft(&self, chat_id: i64) -> Option<&Draft> {
        let now = Instant::now();
        self.chats
            .get(&chat_id)?
            .draft
            .as_ref()
            .filter(|draft| now < draft.expires_at)
    }
}
