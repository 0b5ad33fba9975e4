//! The outbox: every message the bot sends goes through here.
//!
//! It owns the flood budgets (see `pacing`), honours `retry_after`, retries Telegram's own
//! failures with capped, jittered backoff, treats "message is not modified" as success, falls
//! back to plain text if Telegram ever rejects our HTML, and remembers chats that blocked us.

use std::borrow::Cow;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use teloxide::types::InlineKeyboardMarkup;

use super::api::{BotApi, TextMode, TgError};
use super::pacing::{Action, Budgets, Pacer, Priority};
use crate::store::Store;

/// Give up on one message after this much waiting for flood control, so a stuck chat cannot
/// hold its worker forever.
const MAX_FLOOD_WAIT: Duration = Duration::from_secs(300);
const MAX_TRANSIENT_RETRIES: u32 = 6;

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the chat is gone or blocked the bot")]
    ChatGone,
    #[error("the message no longer exists")]
    MessageGone,
    #[error("Telegram kept us waiting longer than {0:?}")]
    FloodTimeout(Duration),
    #[error(transparent)]
    Telegram(#[from] TgError),
}

/// A message ready to send: Telegram HTML, already within length limits.
#[derive(Debug, Clone, Default)]
pub struct OutMessage {
    pub html: String,
    pub keyboard: Option<InlineKeyboardMarkup>,
    pub reply_to: Option<i32>,
}

impl OutMessage {
    pub fn html(html: impl Into<String>) -> OutMessage {
        OutMessage {
            html: html.into(),
            ..OutMessage::default()
        }
    }

    pub fn with_keyboard(mut self, keyboard: InlineKeyboardMarkup) -> OutMessage {
        self.keyboard = Some(keyboard);
        self
    }

    pub fn replying_to(mut self, message_id: Option<i32>) -> OutMessage {
        self.reply_to = message_id;
        self
    }
}

/// Whether a request still needs its slot booked.
#[derive(Debug, Clone, Copy)]
enum Booking {
    Book,
    InHand,
}

pub struct Outbox {
    api: BotApi,
    store: Store,
    pacer: Mutex<Pacer>,
    /// Set once when the Bot API server turns out to lack `sendMessageDraft`.
    drafts_unsupported: AtomicBool,
    /// How long Telegram shows a draft after its last change.
    draft_kept_for: Duration,
}

impl Outbox {
    pub fn new(api: BotApi, store: Store, budgets: Budgets) -> Arc<Outbox> {
        Arc::new(Outbox {
            api,
            store,
            draft_kept_for: budgets.draft_kept_for,
            pacer: Mutex::new(Pacer::new(budgets)),
            drafts_unsupported: AtomicBool::new(false),
        })
    }

    pub fn drafts_supported(&self) -> bool {
        !self.drafts_unsupported.load(Ordering::Relaxed)
    }

    /// Switches this bot to edit-mode streaming for good, logging it once.
    pub fn mark_drafts_unsupported(&self) {
        if !self.drafts_unsupported.swap(true, Ordering::Relaxed) {
            tracing::warn!("this Bot API server has no sendMessageDraft; streaming with edits");
        }
    }

    pub fn api(&self) -> &BotApi {
        &self.api
    }

    pub async fn send(&self, chat_id: i64, message: &OutMessage) -> Result<i32, DeliveryError> {
        self.send_with(chat_id, message, Booking::Book).await
    }

    /// A message for which the caller already booked (and waited for) the slot.
    pub(crate) async fn send_in_booked_slot(
        &self,
        chat_id: i64,
        message: &OutMessage,
    ) -> Result<i32, DeliveryError> {
        self.send_with(chat_id, message, Booking::InHand).await
    }

    async fn send_with(
        &self,
        chat_id: i64,
        message: &OutMessage,
        booking: Booking,
    ) -> Result<i32, DeliveryError> {
        let sent = self
            .deliver(
                chat_id,
                Action::Send,
                booking,
                |mode, text: Cow<'_, str>| async move {
                    let keyboard = message.keyboard.as_ref();
                    (self.api)
                        .send_message(chat_id, &text, mode, keyboard, message.reply_to)
                        .await
                },
                &message.html,
            )
            .await?
            .ok_or(DeliveryError::MessageGone)?;
        Ok(sent.message_id)
    }

    pub async fn edit(
        &self,
        chat_id: i64,
        message_id: i32,
        message: &OutMessage,
    ) -> Result<(), DeliveryError> {
        self.edit_with(chat_id, message_id, message, Booking::Book)
            .await
    }

    /// An edit for which the caller already booked (and waited for) the slot.
    pub(crate) async fn edit_in_booked_slot(
        &self,
        chat_id: i64,
        message_id: i32,
        message: &OutMessage,
    ) -> Result<(), DeliveryError> {
        self.edit_with(chat_id, message_id, message, Booking::InHand)
            .await
    }

    async fn edit_with(
        &self,
        chat_id: i64,
        message_id: i32,
        message: &OutMessage,
        booking: Booking,
    ) -> Result<(), DeliveryError> {
        self.deliver(
            chat_id,
            Action::Edit,
            booking,
            |mode, text: Cow<'_, str>| async move {
                let keyboard = message.keyboard.as_ref();
                (self.api)
                    .edit_message_text(chat_id, message_id, &text, mode, keyboard)
                    .await
            },
            &message.html,
        )
        .await
        .map(drop)
    }

    /// Callback answers are not rate-limited by Telegram; a failure only leaves a spinner.
    pub async fn answer_callback(&self, callback_id: &str, text: Option<&str>) {
        if let Err(error) = self.api.answer_callback_query(callback_id, text).await {
            tracing::warn!(%error, "could not answer a callback query");
        }
    }

    /// Runs one request under the chat's budget with every recovery rule applied. `None` means
    /// Telegram already shows exactly this (an edit that changes nothing).
    async fn deliver<'t, T, F, Fut>(
        &self,
        chat_id: i64,
        action: Action,
        booking: Booking,
        request: F,
        html: &'t str,
    ) -> Result<Option<T>, DeliveryError>
    where
        F: Fn(TextMode, Cow<'t, str>) -> Fut,
        Fut: Future<Output = Result<T, TgError>>,
    {
        let started = Instant::now();
        let mut transient_failures = 0;
        let mut mode = TextMode::Html;
        // Borrowed until a plain-text fallback needs text of its own: a retry copies nothing.
        let mut text = Cow::Borrowed(html);
        let mut booking = booking;
        loop {
            if let Booking::Book = booking {
                wait_for(self.reserve(chat_id, action)).await;
            }
            // Retries always book afresh.
            booking = Booking::Book;
            let error = match request(mode, text.clone()).await {
                Ok(value) => {
                    metrics::counter!("tiltguard_telegram_requests_total", "outcome" => "ok")
                        .increment(1);
                    return Ok(Some(value));
                }
                Err(error) => error,
            };
            metrics::counter!("tiltguard_telegram_requests_total", "outcome" => "error")
                .increment(1);
            if let Some(wait) = error.retry_after() {
                metrics::counter!("tiltguard_telegram_flood_waits_total").increment(1);
                tracing::warn!(chat_id, ?wait, "Telegram flood control; holding this chat");
                if started.elapsed() + wait > MAX_FLOOD_WAIT {
                    return Err(DeliveryError::FloodTimeout(MAX_FLOOD_WAIT));
                }
                self.penalize(chat_id, Instant::now() + wait);
                continue;
            }
            if action == Action::Edit && error.is_not_modified() {
                return Ok(None);
            }
            if error.is_parse_error() && mode == TextMode::Html {
                metrics::counter!("tiltguard_telegram_html_rejected_total").increment(1);
                tracing::error!(%error, "Telegram rejected our HTML; resending as plain text");
                text = Cow::Owned(plain_from_html(html));
                mode = TextMode::Plain;
                continue;
            }
            if error.is_chat_gone() {
                if let Err(e) = self.store.mark_chat_blocked(chat_id).await {
                    tracing::warn!(error = %e, "could not record a blocked chat");
                }
                return Err(DeliveryError::ChatGone);
            }
            if error.is_message_gone() {
                return Err(DeliveryError::MessageGone);
            }
            if error.is_transient() && transient_failures < MAX_TRANSIENT_RETRIES {
                transient_failures += 1;
                let backoff = backoff_with_jitter(transient_failures);
                tracing::warn!(%error, ?backoff, "Telegram request failed; retrying");
                tokio::time::sleep(backoff).await;
                continue;
            }
            return Err(error.into());
        }
    }

    pub(crate) fn reserve(&self, chat_id: i64, action: Action) -> Instant {
        self.reserve_with(chat_id, action, Priority::Urgent)
    }

    /// Books the slot of a message whose text the user already sees (in a draft): it yields
    /// bot-wide slots to visible progress elsewhere. Wait for it with [`wait_for_deferrable`],
    /// then send with [`Outbox::send_in_booked_slot`].
    pub(crate) fn reserve_deferrable(&self, chat_id: i64) -> Instant {
        self.reserve_with(chat_id, Action::Send, Priority::Deferrable)
    }

    /// How long Telegram shows a draft after its last change.
    pub(crate) fn draft_kept_for(&self) -> Duration {
        self.draft_kept_for
    }

    fn reserve_with(&self, chat_id: i64, action: Action, priority: Priority) -> Instant {
        let mut pacer = self.pacer.lock().unwrap_or_else(|p| p.into_inner());
        pacer.reserve_with(chat_id, action, priority, Instant::now())
    }

    pub(crate) fn penalize(&self, chat_id: i64, until: Instant) {
        let mut pacer = self.pacer.lock().unwrap_or_else(|p| p.into_inner());
        pacer.penalize(chat_id, until);
    }

    /// How far ahead the bot-wide budget is booked.
    pub(crate) fn global_backlog(&self) -> Duration {
        let pacer = self.pacer.lock().unwrap_or_else(|p| p.into_inner());
        pacer.global_backlog(Instant::now())
    }

    /// Periodic housekeeping for the budget map.
    pub fn forget_idle_chats(&self) {
        let mut pacer = self.pacer.lock().unwrap_or_else(|p| p.into_inner());
        pacer.forget_idle(Instant::now(), Duration::from_secs(600));
    }
}

/// Waits for a booked slot. Most slots have already come when they are booked (a preview
/// booked as its text arrives, a chat that has been quiet): those cost no timer. tokio would
/// register one anyway and, since its deadline is before the driver's next wake-up, wake the
/// driver through its event fd to fire it: a system call and an extra turn of the event loop
/// per preview, about a quarter of all previews at 250 streams.
///
/// A slot still to come is kept at the grid point after it (see [`crate::net::on_grid`]):
/// a paced request then leaves together with everything else due at that point (previews,
/// reads of the models' streams, group commits) instead of waking the bot on its own. A
/// request leaves at most one grid interval (100 ms) after its slot (a deferrable one at most
/// 300 ms, see [`wait_for_deferrable`]), and lateness never adds up, so every rate the pacer
/// books holds. Two requests of a chat can come up to that much closer together than their
/// slots (an edit 0.95 s after the one before, against the booked 1.05 s): the short burst
/// Telegram tolerates, and what the pacer's margins are for.
pub(crate) async fn wait_for(slot: Instant) {
    if slot > Instant::now() {
        tokio::time::sleep_until(crate::net::on_grid(slot.into())).await;
    }
}

/// Like [`wait_for`], for a deferrable slot (its text is on screen already): it waits for
/// the slow grid, so the finals queued behind the bot-wide budget leave in groups.
pub(crate) async fn wait_for_deferrable(slot: Instant) {
    if slot > Instant::now() {
        tokio::time::sleep_until(crate::net::on_slow_grid(slot.into())).await;
    }
}

/// 0.5 s, 1 s, 2 s … capped at 30 s, each scaled by a random factor in [0.5, 1.5).
fn backoff_with_jitter(attempt: u32) -> Duration {
    let base = Duration::from_millis(500) * 2u32.saturating_pow(attempt.saturating_sub(1));
    base.min(Duration::from_secs(30))
        .mul_f64(0.5 + fastrand::f64())
}

/// What a reader should see if our HTML is refused: tags dropped, entities decoded.
pub fn plain_from_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find(['<', '&']) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        if rest.starts_with('<') {
            match rest.find('>') {
                Some(end) => rest = &rest[end + 1..],
                None => {
                    out.push_str(rest);
                    rest = "";
                }
            }
        } else {
            let (decoded, used) = decode_entity(rest);
            out.push_str(decoded);
            rest = &rest[used..];
        }
    }
    out.push_str(rest);
    out
}

fn decode_entity(text: &str) -> (&'static str, usize) {
    for (entity, decoded) in [
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&amp;", "&"),
        ("&quot;", "\""),
    ] {
        if text.starts_with(entity) {
            return (decoded, entity.len());
        }
    }
    ("&", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fallback_keeps_every_visible_character() {
        let html = "<b>Risk</b> &lt;5% &amp; <a href=\"https://x.org?a=1&amp;b=2\">size</a> AT&T";
        assert_eq!(plain_from_html(html), "Risk <5% & size AT&T");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff_with_jitter(1) < Duration::from_millis(750));
        assert!(backoff_with_jitter(20) <= Duration::from_secs(45));
        assert!(backoff_with_jitter(3) >= Duration::from_secs(1));
    }
}
