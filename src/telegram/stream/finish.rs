//! The end of a streamed reply: every part of the final text delivered, into the message
//! already being edited where there is one, through the outbox's retries.

use super::Driver;
use crate::telegram::delivery::{DeliveryError, OutMessage, wait_for_deferrable};
use crate::telegram::format;

impl Driver {
    pub(super) async fn deliver_final(
        &mut self,
        markdown: &str,
        sealed_sent: usize,
        current: Option<i32>,
    ) {
        let parts = self
            .final_parts
            .take()
            .unwrap_or_else(|| format::render_final(markdown));
        let mut current = current;
        let mut delivered = true;
        for part in parts.iter().skip(sealed_sent) {
            let ok = match current.take() {
                Some(id) => {
                    let shown = std::mem::take(&mut self.edit_shown);
                    let in_slot = std::mem::take(&mut self.edit_slot_in_hand);
                    self.edit_final_part(id, part, &shown, in_slot).await
                }
                None => self.send_final_part(part).await,
            };
            delivered &= ok;
        }
        self.outcome.delivered = delivered && self.outcome.message_ids.len() >= parts.len();
    }

    pub(super) async fn send_final_part(&mut self, html: &str) -> bool {
        let reply_to = if self.outcome.message_ids.is_empty() {
            self.reply_to
        } else {
            None
        };
        let message = OutMessage::html(html).replying_to(reply_to);
        let sent = if self.final_already_visible {
            let slot = self.outbox.reserve_deferrable(self.chat_id);
            self.keep_draft_shown_until(slot, html).await;
            wait_for_deferrable(slot).await;
            self.outbox
                .send_in_booked_slot(self.chat_id, &message)
                .await
        } else {
            self.outbox.send(self.chat_id, &message).await
        };
        match sent {
            Ok(id) => {
                self.outcome.message_ids.push(id);
                true
            }
            Err(error) => {
                log_final_failure(self.chat_id, &error);
                false
            }
        }
    }

    /// Puts a final part into the message being edited; `in_slot` when a paced edit slot was
    /// already waited for (a part that needs no edit leaves it unused).
    pub(super) async fn edit_final_part(
        &mut self,
        message_id: i32,
        html: &str,
        shown: &str,
        in_slot: bool,
    ) -> bool {
        if html == shown {
            self.outcome.message_ids.push(message_id);
            return true;
        }
        let message = OutMessage::html(html);
        let edited = if in_slot {
            self.outbox
                .edit_in_booked_slot(self.chat_id, message_id, &message)
                .await
        } else {
            self.outbox.edit(self.chat_id, message_id, &message).await
        };
        match edited {
            Ok(()) => {
                self.outcome.message_ids.push(message_id);
                true
            }
            // The placeholder was deleted under us: send the part as a new message instead.
            Err(DeliveryError::MessageGone) => self.send_final_part(html).await,
            Err(error) => {
                log_final_failure(self.chat_id, &error);
                false
            }
        }
    }
}

fn log_final_failure(chat_id: i64, error: &DeliveryError) {
    metrics::counter!("tiltguard_replies_undelivered_total").increment(1);
    tracing::error!(chat_id, %error, "a final reply could not be delivered");
}
