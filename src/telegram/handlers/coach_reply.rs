//! The reply task of a coach message: it takes the chat's turn, streams the coach's answer
//! and ends with the final text (or a kind word about what went wrong).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use teloxide::types::Message;
use tokio::sync::OwnedMutexGuard;
use tokio_util::sync::CancellationToken;

use super::BotContext;
use super::chat::conversation_key;
use crate::coach::{CoachInput, Session};
use crate::store::{ConversationWindow, Counter, UserRecord};
use crate::telegram::delivery::OutMessage;
use crate::telegram::dispatch::{FinishLater, contained};
use crate::telegram::stream::{StreamHandle, StreamMode};

/// What a text message's first round trip already did for its reply: the chat's turn, taken
/// before the store was asked, and the conversation read under it.
#[derive(Default)]
pub(super) struct HeadStart {
    pub(super) turn: Option<OwnedMutexGuard<()>>,
    pub(super) window: Option<ConversationWindow>,
}

/// Starts the reply as a task of its own, taking its turn in the chat. The message counts as
/// handled when the reply has ended, so a crash before then replays it.
pub(super) fn spawn_reply(
    ctx: &Arc<BotContext>,
    message: &Message,
    user: &UserRecord,
    input: CoachInput,
    charged: bool,
    head_start: HeadStart,
    finish: FinishLater,
) {
    let chat_id = message.chat.id.0;
    // The persona is looked up inside the task: a copy of its prompts per reply was a few
    // kilobytes for the allocator to take back as the reply ended.
    let chosen_persona = user.persona.clone();
    let session = Session {
        key: conversation_key(message, user.id),
        window: head_start.window,
        message_id: Some(i64::from(message.id.0)),
    };
    let reply_to = (!message.chat.is_private()).then_some(message.id.0);
    let mode = StreamMode::for_chat(&ctx.outbox, message.chat.is_private());
    let ctx = ctx.clone();
    let user_id = user.id;
    let turn = ctx.chat_room.turn_lock(chat_id);
    let tasks = ctx.tasks.clone();
    let answered = Arc::new(AtomicBool::new(false));
    // Shared with the crash path, so a reply that failed, was refunded and then crashed is
    // not refunded twice.
    let charged = Arc::new(AtomicBool::new(charged));
    let after_crash = {
        let ctx = ctx.clone();
        let answered = answered.clone();
        let charged = charged.clone();
        move || async move {
            if answered.load(Ordering::Acquire) {
                return;
            }
            refund(&ctx, user_id, &charged).await;
            let apology = OutMessage::html(CRASH_APOLOGY).replying_to(reply_to);
            super::send(&ctx, chat_id, apology).await;
        }
    };
    let reply = async move {
        let _my_turn = match head_start.turn {
            Some(turn) => turn,
            None => turn.lock_owned().await,
        };
        let persona = ctx.personas.resolve(chosen_persona.as_deref());
        let cancel = CancellationToken::new();
        let stream = StreamHandle::start(ctx.outbox.clone(), chat_id, mode, reply_to);
        let reply_id = ctx
            .chat_room
            .begin_reply(chat_id, cancel.clone(), stream.draft_ids());
        let result = ctx
            .coach
            .reply(
                session,
                user_id,
                persona,
                input,
                &mut |delta| stream.append(delta),
                &cancel,
            )
            .await;
        let final_text = match result {
            Ok(outcome) if outcome.stopped && outcome.text.trim().is_empty() => {
                "⏹ _Stopped before I said anything._".to_string()
            }
            Ok(outcome) if outcome.stopped => {
                format!("{}\n\n⏹ _Stopped._", outcome.text.trim_end())
            }
            Ok(outcome) if outcome.text.trim().is_empty() => {
                refund(&ctx, user_id, &charged).await;
                "I came up empty on that one. Could you say it another way?".to_string()
            }
            Ok(outcome) if outcome.cut_short => format!(
                "{}\n\n_(That's as long as I can write in one reply. Say \"go on\" and I'll continue.)_",
                outcome.text.trim_end()
            ),
            Ok(outcome) => outcome.text,
            Err(error) => {
                tracing::warn!(%error, chat_id, "coach reply failed");
                refund(&ctx, user_id, &charged).await;
                error.user_message()
            }
        };
        stream.finish(&final_text).await;
        answered.store(true, Ordering::Release);
        ctx.chat_room.end_reply(chat_id, reply_id);
    };
    tasks.spawn(async move {
        // A reply that panicked is finished too: replaying its message would panic again.
        if !contained(reply, after_crash).await {
            tracing::error!(chat_id, "a coach reply crashed");
        }
        finish.done();
    });
}

/// What a trader is told when their reply crashed before its final text went out. Whatever
/// had streamed until then is delivered by the stream's driver; this says why it stops.
const CRASH_APOLOGY: &str = "Something broke on my side before I could finish that reply. \
     It didn't count against today's messages. Please send it again.";

/// Gives back the unit of the day's quota a failed reply took, if it took one and has not
/// had it back yet.
async fn refund(ctx: &BotContext, user_id: i64, charged: &AtomicBool) {
    if charged.swap(false, Ordering::AcqRel)
        && let Err(error) = ctx.store.refund(user_id, Counter::Messages).await
    {
        tracing::warn!(%error, "could not refund a quota unit");
    }
}
