//! The test-facing side of `TelegramSim`: play users (messages, photos, documents, button
//! presses, the draft stop button), inspect what the bot did, and inject trouble (429 storms,
//! blocked chats, 5xx, latency, an old server without drafts).

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::TelegramSim;
use super::entity::{FormattedText, leading_command};
use super::model::{Attachment, SimChat, SimEvent, SimMessage, SimStats, SimUser};
use super::state::{CallbackRecord, InjectedFailure, SimState, unix_now};

impl SimState {
    /// Stores a message from a user and queues its `message` update; returns its id.
    fn user_message(
        &mut self,
        chat: &SimChat,
        from: &SimUser,
        text: &str,
        reply_to: Option<i32>,
        attachment: Option<Attachment>,
    ) -> i32 {
        self.users.insert(from.id, from.clone());
        let entities = if attachment.is_none() {
            leading_command(text).into_iter().collect()
        } else {
            Vec::new()
        };
        let record = self.ensure_chat(chat);
        let message_id = record.take_message_id();
        record.messages.insert(
            message_id,
            SimMessage {
                message_id,
                chat_id: chat.id,
                from_bot: false,
                from_id: from.id,
                date: unix_now(),
                text: text.to_owned(),
                entities,
                html: None,
                reply_markup: None,
                edits: 0,
                edit_date: None,
                reply_to: reply_to.filter(|id| record.messages.contains_key(id)),
                message_thread_id: None,
                attachment,
            },
        );
        if let Some(payload) = self.message_json_by_id(chat.id, message_id) {
            self.enqueue_update("message", payload);
        }
        message_id
    }
}

impl TelegramSim {
    fn queue<R>(&self, change: impl FnOnce(&mut SimState) -> R) -> R {
        let result = self.shared.update(change);
        self.shared.updates_changed.notify_waiters();
        result
    }

    /// Makes a chat known to the bot without a message (e.g. the bot was added to a group).
    pub fn add_chat(&self, chat: &SimChat) {
        self.shared.update(|state| {
            state.ensure_chat(chat);
        });
    }

    /// A user writes `text`; a leading `/command` gets its `bot_command` entity.
    pub fn send_text(&self, chat: &SimChat, from: &SimUser, text: &str) -> i32 {
        self.queue(|state| state.user_message(chat, from, text, None, None))
    }

    pub fn send_reply(
        &self,
        chat: &SimChat,
        from: &SimUser,
        text: &str,
        reply_to_message_id: i32,
    ) -> i32 {
        self.queue(|state| state.user_message(chat, from, text, Some(reply_to_message_id), None))
    }

    /// A user sends a photo; the update carries a `PhotoSize` array, every size downloadable.
    pub fn send_photo(
        &self,
        chat: &SimChat,
        from: &SimUser,
        bytes: Vec<u8>,
        caption: Option<&str>,
    ) -> i32 {
        self.queue(|state| {
            let sizes = state.store_photo(bytes);
            let caption = caption.unwrap_or_default();
            state.user_message(chat, from, caption, None, Some(Attachment::Photo(sizes)))
        })
    }

    pub fn send_document(
        &self,
        chat: &SimChat,
        from: &SimUser,
        bytes: Vec<u8>,
        file_name: &str,
        mime_type: &str,
        caption: Option<&str>,
    ) -> i32 {
        self.queue(|state| {
            let file = state.store_document(bytes, file_name);
            let attachment = Attachment::Document {
                file,
                file_name: file_name.to_owned(),
                mime_type: mime_type.to_owned(),
            };
            state.user_message(
                chat,
                from,
                caption.unwrap_or_default(),
                None,
                Some(attachment),
            )
        })
    }

    /// A user presses an inline button; returns the callback query id.
    pub fn press_button(
        &self,
        chat: &SimChat,
        from: &SimUser,
        message_id: i32,
        data: &str,
    ) -> String {
        self.queue(|state| {
            state.users.insert(from.id, from.clone());
            state.ensure_chat(chat);
            let query_id = format!("{}", 4_382_000_000_000_000_000_u64 + state.next_callback);
            state.next_callback += 1;
            let message = state
                .message_json_by_id(chat.id, message_id)
                .unwrap_or_else(|| {
                    // What the Bot API sends for a message the bot can no longer see.
                    json!({"chat": chat.to_json(), "message_id": message_id, "date": 0})
                });
            state.callbacks.insert(
                query_id.clone(),
                CallbackRecord {
                    chat_id: chat.id,
                    created: Instant::now(),
                    answered: false,
                },
            );
            let payload = json!({
                "id": query_id,
                "from": from.to_json(),
                "message": message,
                "chat_instance": format!("{}", chat.id.unsigned_abs().wrapping_mul(7_919)),
                "data": data,
            });
            state.enqueue_update("callback_query", payload);
            query_id
        })
    }

    /// The user presses the stop button of a draft (Bot API 10.3).
    pub fn press_stop(&self, chat: &SimChat, draft_id: i64) {
        self.queue(|state| {
            let record = state.ensure_chat(chat);
            let mut payload = json!({"chat": chat.to_json(), "draft_id": draft_id});
            if let Some(draft) = record.draft.as_ref().filter(|d| d.draft_id == draft_id) {
                if let (Some(thread), Some(map)) =
                    (draft.message_thread_id, payload.as_object_mut())
                {
                    map.insert("message_thread_id".into(), json!(thread));
                }
                if !draft.keep_on_stop {
                    record.draft = None;
                }
            }
            state.enqueue_update("stopped_message_generation", payload);
        });
    }

    /// Visible messages of a chat (bot's and users'), oldest first.
    pub fn messages(&self, chat_id: i64) -> Vec<SimMessage> {
        self.shared.read(|state| {
            state
                .chats
                .get(&chat_id)
                .map(|chat| chat.messages.values().cloned().collect())
                .unwrap_or_default()
        })
    }

    pub fn bot_messages(&self, chat_id: i64) -> Vec<SimMessage> {
        self.shared.read(|state| {
            state
                .chats
                .get(&chat_id)
                .map(|chat| {
                    chat.messages
                        .values()
                        .filter(|m| m.from_bot)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    pub fn message(&self, chat_id: i64, message_id: i32) -> Option<SimMessage> {
        self.shared.read(|state| {
            state
                .chats
                .get(&chat_id)?
                .messages
                .get(&message_id)
                .cloned()
        })
    }

    /// The bot's `Message` JSON for a stored message, as the Bot API would return it.
    pub fn message_json(&self, chat_id: i64, message_id: i32) -> Option<Value> {
        self.shared
            .read(|state| state.message_json_by_id(chat_id, message_id))
    }

    /// Every visible change and rejection so far, in order.
    pub fn events(&self) -> Vec<SimEvent> {
        self.shared.read(|state| state.events.clone())
    }

    pub fn events_for(&self, chat_id: i64) -> Vec<SimEvent> {
        self.shared.read(|state| {
            state
                .events
                .iter()
                .filter(|e| e.chat_id == chat_id)
                .cloned()
                .collect()
        })
    }

    pub fn event_count(&self) -> usize {
        self.shared.read(|state| state.events.len())
    }

    /// The draft currently shown in a chat: (draft_id, plain text).
    pub fn current_draft(&self, chat_id: i64) -> Option<(i64, String)> {
        self.shared.read(|state| {
            state
                .visible_draft(chat_id)
                .map(|draft| (draft.draft_id, draft.text.clone()))
        })
    }

    /// The visible draft with its entities.
    pub fn current_draft_formatted(&self, chat_id: i64) -> Option<(i64, FormattedText)> {
        self.shared.read(|state| {
            state.visible_draft(chat_id).map(|draft| {
                let formatted = FormattedText {
                    text: draft.text.clone(),
                    entities: draft.entities.clone(),
                };
                (draft.draft_id, formatted)
            })
        })
    }

    /// (callback query id, answer text) in answer order.
    pub fn callback_answers(&self) -> Vec<(String, Option<String>)> {
        self.shared.read(|state| state.callback_answers.clone())
    }

    /// The default-scope command list from setMyCommands.
    pub fn commands(&self) -> Vec<(String, String)> {
        self.shared
            .read(|state| state.commands.get("").cloned().unwrap_or_default())
    }

    pub fn stats(&self) -> SimStats {
        self.shared.read(|state| state.stats.clone())
    }

    /// The highest `offset` the bot passed to getUpdates.
    pub fn confirmed_offset(&self) -> i64 {
        self.shared.read(|state| state.confirmed_offset)
    }

    /// Updates queued and not yet confirmed.
    pub fn pending_updates(&self) -> usize {
        self.shared.read(|state| state.updates.len())
    }

    /// Updates never stored because `allowed_updates` excluded their type.
    pub fn dropped_updates(&self) -> u64 {
        self.shared.read(|state| state.dropped_updates)
    }

    /// Waits until `condition` holds, re-checking after every change; false on timeout.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        condition: impl Fn(&TelegramSim) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if condition(self) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return condition(self);
            }
        }
    }

    /// The next `requests` sends/edits/drafts (of `chat_id`, or of any chat) get 429 with
    /// `retry_after_secs`, each putting its chat in the penalty box for that long.
    pub fn inject_flood(&self, chat_id: Option<i64>, retry_after_secs: u32, requests: u32) {
        self.shared.update(|state| {
            state
                .flood
                .inject_requests(chat_id, retry_after_secs, requests)
        });
    }

    /// Every send/edit/draft (of `chat_id`, or of any chat) gets 429 for `duration`.
    pub fn inject_flood_for(
        &self,
        chat_id: Option<i64>,
        retry_after_secs: u32,
        duration: Duration,
    ) {
        self.shared.update(|state| {
            state
                .flood
                .inject_for(chat_id, retry_after_secs, duration, Instant::now())
        });
    }

    /// true: offsets the bot sends are not applied, as if it crashed before its confirming
    /// getUpdates arrived; a restarted bot is then handed the same updates again.
    pub fn set_confirmations_lost(&self, lost: bool) {
        self.shared.update(|state| state.confirmations_lost = lost);
    }

    /// false: behave like a server older than Bot API 9.3 (sendMessageDraft → 404).
    pub fn set_drafts_supported(&self, yes: bool) {
        self.shared.update(|state| state.drafts_supported = yes);
    }

    /// The user blocks the bot: everything sent to the chat gets 403.
    pub fn block_chat(&self, chat_id: i64) {
        self.shared
            .update(|state| state.blocked_chats.insert(chat_id));
    }

    pub fn unblock_chat(&self, chat_id: i64) {
        self.shared
            .update(|state| state.blocked_chats.remove(&chat_id));
    }

    /// The next `requests` API calls except getUpdates fail with `status` (500: JSON error;
    /// 502/503/504: the proxy's HTML page).
    pub fn fail_next(&self, requests: u32, status: u16) {
        self.shared.update(|state| {
            state.failure = (requests > 0).then_some(InjectedFailure {
                remaining: requests,
                status,
            });
        });
    }

    /// Delay added to every API request before it is handled.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.update(|state| state.latency = latency);
    }
}
