//! Previews as native drafts (`sendMessageDraft`, private chats): posted without waiting
//! for their answers, which are read when the next preview is due.

use std::time::Instant;

use super::Driver;
use crate::telegram::api::{DraftCall, TextMode, TgError};
use crate::telegram::delivery::wait_for;
use crate::telegram::format;
use crate::telegram::pacing::Action;

impl Driver {
    /// Draft previews until the text is final. Returns the final text, or `None` if the
    /// server turned out not to support drafts (the caller continues in edit mode).
    pub(super) async fn preview_with_drafts(&mut self) -> Option<String> {
        let mut shown = String::new();
        // An empty draft shows "Thinking…" while the model has not produced a token yet.
        // Until the first token, its answer is awaited too: a server without drafts is found
        // out while there is still time to show "typing…" instead.
        let mut thinking = self.start_draft("").await;
        let first_token_came = tokio::select! {
            outcome = thinking.outcome() => {
                if self.draft_result(outcome) == DraftResult::Unsupported {
                    return None;
                }
                false
            }
            changed = self.updates.changed() => {
                if changed.is_none() {
                    return Some(self.latest().markdown);
                }
                true
            }
        };
        if first_token_came {
            self.draft_in_flight = Some(thinking);
        }
        let mut changed = first_token_came;
        loop {
            if !std::mem::take(&mut changed) && self.next_change().await.is_none() {
                return Some(self.latest().markdown);
            }
            // The last preview's answer has come by now. A flood wait it reports holds this
            // chat before the next slot is booked.
            match self.settle_draft() {
                DraftResult::Shown => {}
                DraftResult::Skipped => shown.clear(),
                DraftResult::Unsupported => return None,
            }
            let slot = self.outbox.reserve(self.chat_id, Action::Draft);
            wait_for(slot).await;
            // Rendered where the text is kept, by a renderer that keeps its buffers: a
            // preview copies the text only into `shown`, and only when it changed.
            let rendered = {
                let snapshot = self.updates.borrow_and_update();
                (!snapshot.finished).then(|| {
                    let view = self.renderer.render(&snapshot.markdown);
                    let sent = self.outcome.message_ids.len();
                    let newly_sealed = view.sealed.get(sent..).unwrap_or_default().to_vec();
                    // A sealed part sent as a message leaves the draft showing nothing.
                    let sealing = !newly_sealed.is_empty();
                    let post = (sealing || view.tail != shown) && !view.tail.trim().is_empty();
                    if sealing || post {
                        shown.clear();
                    }
                    if post {
                        shown.push_str(view.tail);
                    }
                    (newly_sealed, post)
                })
            };
            let Some((newly_sealed, post)) = rendered else {
                let markdown = self.latest().markdown;
                self.show_final_draft(&markdown, &shown).await;
                return Some(markdown);
            };
            for part in &newly_sealed {
                let _ = self.send_final_part(part).await;
                self.next_draft_id += 1;
            }
            if post {
                self.post_draft(&shown).await;
            }
        }
    }

    /// Puts the complete final text on screen at once, in the slot already waited for: drafts
    /// do not spend the bot-wide budget, so the trader reads the end of the reply without
    /// waiting for the final message's turn.
    async fn show_final_draft(&mut self, markdown: &str, shown: &str) {
        let parts = format::render_final(markdown);
        let unsent = &parts[self.outcome.message_ids.len().min(parts.len())..];
        if let [last] = unsent {
            self.final_already_visible =
                last == shown || self.try_draft(last).await == DraftResult::Shown;
        }
        // The final message sends these same parts.
        self.final_parts = Some(parts);
    }

    /// Keeps the final draft on screen while its message waits for a bot-wide slot. Telegram
    /// drops a draft some 30 s after its last change, and after a burst of several hundred
    /// replies a final message can wait longer than that; its draft is then shown again
    /// every two thirds of that time, so the trader's text never leaves the screen.
    pub(super) async fn keep_draft_shown_until(&mut self, slot: Instant, html: &str) {
        let every = self.outbox.draft_kept_for().mul_f64(2.0 / 3.0);
        loop {
            let show_again_at = Instant::now() + every;
            if slot <= show_again_at {
                return;
            }
            tokio::time::sleep_until(show_again_at.into()).await;
            wait_for(self.outbox.reserve(self.chat_id, Action::Draft)).await;
            // Whatever the answer, the final message follows in its slot.
            let _ = self.try_draft(html).await;
        }
    }

    /// Shows a draft and waits for Telegram's answer (the last of a reply: whether the whole
    /// text is on screen).
    async fn try_draft(&mut self, html: &str) -> DraftResult {
        self.draft_in_flight = None;
        let mut call = self.start_draft(html).await;
        let outcome = call.outcome().await;
        self.draft_result(outcome)
    }

    /// Posts a preview without waiting for its answer, which [`Driver::settle_draft`] reads
    /// when the next one is due: no wake-up per preview for an answer that is almost
    /// always "ok". A newer preview never waits behind an older one.
    async fn post_draft(&mut self, html: &str) {
        let call = self.start_draft(html).await;
        self.draft_in_flight = Some(call);
    }

    async fn start_draft(&mut self, html: &str) -> DraftCall {
        let draft_id = self.next_draft_id;
        if self.outcome.draft_ids.last() != Some(&draft_id) {
            self.outcome.draft_ids.push(draft_id);
        }
        self.outbox
            .api()
            .start_message_draft(self.chat_id, draft_id, html, TextMode::Html, true)
            .await
    }

    /// What became of the last posted preview. One still unanswered is given up (it is not
    /// sent if it is still queued) and counts as not shown.
    fn settle_draft(&mut self) -> DraftResult {
        let Some(mut call) = self.draft_in_flight.take() else {
            return DraftResult::Shown;
        };
        match call.try_outcome() {
            Some(outcome) => self.draft_result(outcome),
            None => DraftResult::Skipped,
        }
    }

    fn draft_result(&self, outcome: Result<(), TgError>) -> DraftResult {
        match outcome {
            Ok(()) => DraftResult::Shown,
            Err(error) if error.is_unknown_method() => {
                self.outbox.mark_drafts_unsupported();
                DraftResult::Unsupported
            }
            Err(error) => {
                self.note_preview_error(&error);
                DraftResult::Skipped
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DraftResult {
    Shown,
    Skipped,
    Unsupported,
}
