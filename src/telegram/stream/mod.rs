//! Streaming replies: the latest text wins, previews are paced, the final text always lands.
//!
//! A `StreamHandle` is cheap to feed (`append` per token). One driver task per reply wakes when
//! the text changed, waits for the chat's next budget slot, renders whatever the text is *then*
//! (so stale snapshots are never queued) and shows it: as a native draft in private chats, or
//! as a placeholder message plus edits in groups and on servers without drafts. Parts that grew
//! past Telegram's length limit are sealed into real messages as soon as they are complete.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::api::{DraftCall, TextMode, TgError};
use super::delivery::{OutMessage, Outbox, wait_for};
use super::format;
use super::pacing::Action;

mod drafts;
mod finish;
mod latest;

use latest::{Snapshot, TextReader, TextWriter, text_channel};

static NEXT_DRAFT_ID: AtomicI64 = AtomicI64::new(1);

/// Intermediate edits are skipped only when the bot-wide budget is booked this far ahead
/// (overload). A lower threshold makes every group skip, then rush, in lockstep, and the
/// unlucky ones show nothing for seconds; previews are already limited per chat, and
/// deferrable finals leave room for them.
const PREVIEW_BACKLOG_LIMIT: Duration = Duration::from_secs(5);
const TYPING_REFRESH: Duration = Duration::from_secs(4);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamMode {
    /// `sendMessageDraft` previews, private chats only.
    Draft,
    /// A placeholder message that is edited as the text grows.
    Edit,
}

impl StreamMode {
    /// Drafts in private chats unless this server lacks them; edits everywhere else.
    pub fn for_chat(outbox: &Outbox, is_private: bool) -> StreamMode {
        if is_private && outbox.drafts_supported() {
            StreamMode::Draft
        } else {
            StreamMode::Edit
        }
    }
}

/// What happened to a streamed reply, for the caller and for tests.
#[derive(Debug, Clone, Default)]
pub struct StreamOutcome {
    /// Ids of the final messages, in order.
    pub message_ids: Vec<i32>,
    /// True when every part of the final text reached the chat.
    pub delivered: bool,
    /// Draft ids used, so the stop button can be matched to this reply.
    pub draft_ids: Vec<i64>,
}

pub struct StreamHandle {
    state: TextWriter,
    driver: JoinHandle<StreamOutcome>,
    first_draft_id: i64,
}

impl StreamHandle {
    /// Starts a reply in `chat_id`. Returns at once; the driver runs in the background.
    pub fn start(
        outbox: Arc<Outbox>,
        chat_id: i64,
        mode: StreamMode,
        reply_to: Option<i32>,
    ) -> Self {
        let (state, updates) = text_channel();
        // Each reply reserves a block of ids: one per message part, advancing with the split.
        let first_draft_id = NEXT_DRAFT_ID.fetch_add(64, Ordering::Relaxed);
        let driver = Driver {
            outbox,
            chat_id,
            reply_to,
            updates,
            next_draft_id: first_draft_id,
            outcome: StreamOutcome::default(),
            final_already_visible: false,
            edit_slot_in_hand: false,
            edit_shown: String::new(),
            renderer: format::StreamRenderer::default(),
            final_parts: None,
            draft_in_flight: None,
        };
        let driver = tokio::spawn(driver.run(mode));
        StreamHandle {
            state,
            driver,
            first_draft_id,
        }
    }

    /// The draft ids this reply may use (for matching the stop button).
    pub fn draft_ids(&self) -> std::ops::Range<i64> {
        self.first_draft_id..self.first_draft_id + 64
    }

    /// Adds newly generated text. Cheap: no formatting or I/O happens here.
    pub fn append(&self, delta: &str) {
        if !delta.is_empty() {
            self.state.change(|s| {
                s.markdown.push_str(delta);
                true
            });
        }
    }

    /// Replaces the whole text (latest value wins).
    pub fn update(&self, markdown_so_far: &str) {
        self.state.change(|s| {
            if s.markdown == markdown_so_far {
                return false;
            }
            s.markdown.clear();
            s.markdown.push_str(markdown_so_far);
            true
        });
    }

    /// Sets the final text and waits until it is delivered (or cannot be).
    pub async fn finish(self, final_markdown: &str) -> StreamOutcome {
        self.state.change(|s| {
            s.markdown.clear();
            s.markdown.push_str(final_markdown);
            s.finished = true;
            true
        });
        match self.driver.await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::error!(%error, "a stream driver crashed");
                StreamOutcome::default()
            }
        }
    }
}

struct Driver {
    outbox: Arc<Outbox>,
    chat_id: i64,
    reply_to: Option<i32>,
    updates: TextReader,
    next_draft_id: i64,
    outcome: StreamOutcome,
    /// The whole final text is already on screen as a draft, so the final message may yield
    /// bot-wide slots to visible progress in other chats.
    final_already_visible: bool,
    /// What the message being edited shows now, so no edit ever repeats it.
    edit_shown: String,
    /// A paced edit slot was booked and waited for when the text became final: the final
    /// edit uses it instead of booking another one three seconds later.
    edit_slot_in_hand: bool,
    /// Keeps the rendering of the finished lines between previews.
    renderer: format::StreamRenderer,
    /// The final text's parts, when the last draft already rendered them.
    final_parts: Option<Vec<String>>,
    /// The last preview posted, whose answer is looked at when the next one is due.
    draft_in_flight: Option<DraftCall>,
}

impl Driver {
    async fn run(mut self, mode: StreamMode) -> StreamOutcome {
        let finished_text = match mode {
            StreamMode::Draft => self.preview_with_drafts().await,
            StreamMode::Edit => None,
        };
        let mut sealed_sent = self.outcome.message_ids.len();
        let mut current_message = None;
        let finished_text = match finished_text {
            Some(text) => text,
            None => {
                let (text, sealed, current) = self.preview_with_edits(sealed_sent).await;
                sealed_sent = sealed;
                current_message = current;
                text
            }
        };
        self.deliver_final(&finished_text, sealed_sent, current_message)
            .await;
        self.outcome
    }

    /// Waits for the next change; `None` when the handle is gone. Callers read the text only
    /// when their slot comes, so nothing is copied here.
    async fn next_change(&mut self) -> Option<()> {
        self.updates.changed().await
    }

    fn latest(&mut self) -> Snapshot {
        self.updates.borrow_and_update().clone()
    }

    /// Placeholder + edits. Returns the final text, how many sealed parts are delivered, and
    /// the message currently being edited.
    async fn preview_with_edits(&mut self, mut sealed_sent: usize) -> (String, usize, Option<i32>) {
        let mut current: Option<i32> = None;
        let mut typing_sent_at: Option<Instant> = None;
        loop {
            let (finished, blank) = {
                let now = self.updates.borrow_and_update();
                (now.finished, now.markdown.trim().is_empty())
            };
            if finished {
                return (self.latest().markdown, sealed_sent, current);
            }
            if blank {
                // Nothing to show yet: keep "typing…" visible while the model thinks.
                if typing_sent_at.is_none_or(|t| t.elapsed() >= TYPING_REFRESH) {
                    typing_sent_at = Some(Instant::now());
                    let _ = self
                        .outbox
                        .api()
                        .send_chat_action(self.chat_id, "typing")
                        .await;
                }
                let wait = tokio::time::timeout(TYPING_REFRESH, self.updates.changed()).await;
                if matches!(wait, Ok(None)) {
                    return (self.latest().markdown, sealed_sent, current);
                }
                continue;
            }
            // With a message to edit, the edit's slot comes first and the text is rendered
            // when it has come: once per edit, not once per read of the model's stream.
            let mut edit_slot = false;
            let snapshot = match current {
                None => self.latest(),
                Some(_) if self.outbox.global_backlog() > PREVIEW_BACKLOG_LIMIT => {
                    // Overload: no preview goes out, so none is rendered. Parts that filled
                    // up meanwhile go out with the final text, or with a later preview.
                    if self.next_change().await.is_none() {
                        return (self.latest().markdown, sealed_sent, current);
                    }
                    continue;
                }
                Some(_) => {
                    let slot = self.outbox.reserve(self.chat_id, Action::Edit);
                    wait_for(slot).await;
                    let latest = self.latest();
                    if latest.finished {
                        // The final edit uses this slot instead of booking another.
                        self.edit_slot_in_hand = true;
                        return (latest.markdown, sealed_sent, current);
                    }
                    edit_slot = true;
                    latest
                }
            };
            let (newly_sealed, tail) = {
                let view = self.renderer.render(&snapshot.markdown);
                let newly_sealed = view.sealed.get(sealed_sent..).unwrap_or_default();
                (newly_sealed.to_vec(), view.tail.to_owned())
            };
            for part in &newly_sealed {
                // A part that fails to land is logged and counted; the reply goes on.
                let _ = match current.take() {
                    Some(id) => {
                        let shown = std::mem::take(&mut self.edit_shown);
                        let in_slot = std::mem::take(&mut edit_slot);
                        self.edit_final_part(id, part, &shown, in_slot).await
                    }
                    None => self.send_final_part(part).await,
                };
                sealed_sent += 1;
                self.edit_shown.clear();
            }
            if tail != self.edit_shown && !tail.trim().is_empty() {
                match current {
                    None => {
                        if let Some((id, text)) = self.send_placeholder(sealed_sent).await {
                            current = Some(id);
                            self.edit_shown = text;
                        }
                    }
                    Some(id) if edit_slot => {
                        self.edit_preview(id, tail).await;
                    }
                    // The slot went to a sealed part; the next round books another.
                    Some(_) => {}
                }
            }
            // The wait for a slot may have taken in newer text; only wait for a change when
            // nothing newer than what was rendered is pending.
            let caught_up = {
                let now = self.updates.borrow();
                !now.finished && now.markdown.len() == snapshot.markdown.len()
            };
            if caught_up && self.next_change().await.is_none() {
                return (self.latest().markdown, sealed_sent, current);
            }
        }
    }

    /// Starts the message that will be edited, with the text as it is when its slot comes
    /// (not as it was when the slot was booked).
    async fn send_placeholder(&mut self, sealed_sent: usize) -> Option<(i32, String)> {
        let slot = self.outbox.reserve(self.chat_id, Action::Send);
        wait_for(slot).await;
        let tail = {
            let snapshot = self.updates.borrow();
            let view = self.renderer.render(&snapshot.markdown);
            let ready = view.sealed.len() == sealed_sent && !view.tail.trim().is_empty();
            ready.then(|| view.tail.to_owned())
        }?;
        let message = OutMessage::html(tail.clone()).replying_to(self.reply_to);
        match self
            .outbox
            .send_in_booked_slot(self.chat_id, &message)
            .await
        {
            Ok(id) => Some((id, tail)),
            Err(error) => {
                tracing::warn!(chat_id = self.chat_id, %error, "could not start a streamed reply");
                None
            }
        }
    }

    /// One best-effort edit of the growing message, in a slot already waited for.
    async fn edit_preview(&mut self, message_id: i32, html: String) {
        let result = self
            .outbox
            .api()
            .edit_message_text(self.chat_id, message_id, &html, TextMode::Html, None)
            .await;
        if let Err(error) = result
            && !error.is_not_modified()
        {
            self.note_preview_error(&error);
            return;
        }
        self.edit_shown = html;
    }

    fn note_preview_error(&self, error: &TgError) {
        if let Some(wait) = error.retry_after() {
            metrics::counter!("tiltguard_telegram_flood_waits_total").increment(1);
            self.outbox.penalize(self.chat_id, Instant::now() + wait);
        } else if error.is_parse_error() {
            metrics::counter!("tiltguard_telegram_html_rejected_total").increment(1);
            tracing::error!(%error, "Telegram rejected a preview's HTML");
        } else {
            tracing::debug!(%error, "a preview was not shown");
        }
    }
}
