//! The coach room: text and chart screenshots in, a streamed reply out.
//!
//! Guards run first (anti-flood, daily quota). Each reply runs as its own task so `/stop` and
//! the draft stop button are handled while it streams; replies in one chat take turns on a
//! per-chat lock, so a second message queues behind the first instead of interleaving.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::{DefaultKeyedRateLimiter, Quota as RateQuota, RateLimiter};
use teloxide::types::Message;
use tokio_util::sync::CancellationToken;

use super::coach_reply::{HeadStart, spawn_reply};
use super::{BotContext, MEMORY_UNAVAILABLE, reply};
use crate::coach::{CoachInput, WINDOW_TURNS};
use crate::llm::ImageKind;
use crate::store::{ConversationKey, Counter, Quota, UserRecord};
use crate::telegram::dispatch::UpdateFinish;
use crate::telegram::update::parse_command;

/// Replies in flight and the per-chat turn-taking.
pub struct ChatRoom {
    active: Mutex<HashMap<i64, ActiveReply>>,
    turns: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    flood: DefaultKeyedRateLimiter<i64>,
    flood_noticed: Mutex<HashMap<i64, std::time::Instant>>,
}

struct ActiveReply {
    reply_id: u64,
    cancel: CancellationToken,
    draft_ids: std::ops::Range<i64>,
}

impl ChatRoom {
    pub fn new(messages_per_minute: u32) -> ChatRoom {
        let per_minute = NonZeroU32::new(messages_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        ChatRoom {
            active: Mutex::new(HashMap::new()),
            turns: Mutex::new(HashMap::new()),
            flood: RateLimiter::keyed(RateQuota::per_minute(per_minute)),
            flood_noticed: Mutex::new(HashMap::new()),
        }
    }

    /// Cancels the reply streaming in `chat_id`; with `draft_id`, only if it is that reply's.
    pub fn stop(&self, chat_id: i64, draft_id: Option<i64>) -> bool {
        let active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        match active.get(&chat_id) {
            Some(reply) if draft_id.is_none_or(|id| reply.draft_ids.contains(&id)) => {
                reply.cancel.cancel();
                true
            }
            _ => false,
        }
    }

    /// Makes the reply now streaming in `chat_id` reachable by a stop; returns its id.
    pub(super) fn begin_reply(
        &self,
        chat_id: i64,
        cancel: CancellationToken,
        draft_ids: std::ops::Range<i64>,
    ) -> u64 {
        let reply_id = fastrand::u64(..);
        let reply = ActiveReply {
            reply_id,
            cancel,
            draft_ids,
        };
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        active.insert(chat_id, reply);
        reply_id
    }

    /// Forgets a reply that ended, unless a newer one already took its place.
    pub(super) fn end_reply(&self, chat_id: i64, reply_id: u64) {
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        if active.get(&chat_id).is_some_and(|a| a.reply_id == reply_id) {
            active.remove(&chat_id);
        }
    }

    pub(super) fn turn_lock(&self, chat_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = self.turns.lock().unwrap_or_else(|p| p.into_inner());
        // Forget locks nobody holds or waits for, so the map stays small.
        if turns.len() > 1024 {
            turns.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        turns.entry(chat_id).or_default().clone()
    }

    /// True when the user may send another message now. The first refusal of a burst asks
    /// for one polite notice; later ones in the same minute stay silent.
    fn admit(&self, user_id: i64) -> Admission {
        if self.flood.check_key(&user_id).is_ok() {
            return Admission::Allowed;
        }
        let mut noticed = self.flood_noticed.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        match noticed.get(&user_id) {
            Some(at) if now.duration_since(*at).as_secs() < 60 => Admission::Quiet,
            _ => {
                noticed.insert(user_id, now);
                Admission::Notice
            }
        }
    }
}

enum Admission {
    Allowed,
    Notice,
    Quiet,
}

/// Is this group message meant for the bot: a mention, or a reply to one of its messages?
pub fn addressed_to_bot(message: &Message, bot_username: &str) -> bool {
    if message.chat.is_private() {
        return true;
    }
    let text = message.text().or(message.caption()).unwrap_or_default();
    let mentioned = mention_at(text, bot_username).is_some();
    let replied = message
        .reply_to_message()
        .and_then(|m| m.from.as_ref())
        .is_some_and(|u| {
            u.is_bot
                && u.username
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(bot_username))
        });
    mentioned || replied
}

/// The conversation a message belongs to: per user in private, per group otherwise.
pub fn conversation_key(message: &Message, user_id: i64) -> ConversationKey {
    ConversationKey {
        chat_id: message.chat.id.0,
        user_id: if message.chat.is_private() {
            user_id
        } else {
            0
        },
    }
}

/// A text for the bot with nothing in it but the mention. (Text with something in it went
/// to [`on_coach_text`].)
pub async fn on_bare_mention(ctx: &BotContext, chat_id: i64) {
    reply(ctx, chat_id, "I'm listening. What's on your mind?").await;
}

pub async fn on_chart(
    ctx: &Arc<BotContext>,
    message: &Message,
    user: &UserRecord,
    finish: &UpdateFinish,
) {
    let chat_id = message.chat.id.0;
    let limit = ctx.settings.max_image_bytes;
    let (file_id, size, declared_mime) = if let Some(sizes) = message.photo() {
        // Telegram lists sizes smallest first; take the largest that fits the limit.
        let best = sizes
            .iter()
            .rev()
            .find(|p| u64::from(p.file.size) <= limit)
            .or(sizes.last());
        match best {
            Some(p) => (p.file.id.0.clone(), u64::from(p.file.size), None),
            None => return,
        }
    } else if let Some(doc) = message.document() {
        let mime = doc.mime_type.as_ref().map(|m| m.essence_str().to_string());
        (doc.file.id.0.clone(), u64::from(doc.file.size), mime)
    } else {
        return;
    };
    if let Some(mime) = &declared_mime
        && !matches!(mime.as_str(), "image/png" | "image/jpeg" | "image/webp")
    {
        reply(ctx, chat_id, "I can read chart screenshots as PNG, JPEG or WebP images. Could you send it as one of those?").await;
        return;
    }
    if size > limit {
        let html = format!(
            "That image is {:.1} MB; I can read up to {:.1} MB. A screenshot of just the chart works best.",
            size as f64 / 1e6,
            limit as f64 / 1e6
        );
        reply(ctx, chat_id, &html).await;
        return;
    }
    let api = ctx.outbox.api();
    let bytes = match api.get_file(&file_id).await {
        Ok(file) => match file.file_path {
            Some(path) => api.download(&path, limit).await.ok(),
            None => None,
        },
        Err(_) => None,
    };
    let Some(bytes) = bytes else {
        reply(
            ctx,
            chat_id,
            "I couldn't download that image from Telegram. Please try sending it again.",
        )
        .await;
        return;
    };
    let Some(kind) = ImageKind::sniff(&bytes).filter(|k| *k != ImageKind::Gif) else {
        reply(
            ctx,
            chat_id,
            "That file doesn't look like a PNG, JPEG or WebP image, so I can't read it.",
        )
        .await;
        return;
    };
    let caption = message
        .caption()
        .map(|c| strip_mention(c, &ctx.bot_username))
        .filter(|c| !c.trim().is_empty());
    start_reply(
        ctx,
        message,
        user,
        CoachInput::Chart {
            image: bytes,
            kind,
            caption,
        },
        finish,
    )
    .await;
}

/// The text of a message that goes to the coach, told from the message alone: not a command,
/// meant for the bot, not a token address pasted in private, and not empty once the mention
/// is taken out. Such a message's sender, chat and quota unit are stored in one round trip.
pub fn coach_text(ctx: &BotContext, message: &Message) -> Option<String> {
    let text = message.text()?;
    if parse_command(text, &ctx.bot_username).is_some()
        || !addressed_to_bot(message, &ctx.bot_username)
        || (message.chat.is_private() && super::scan::is_pasted_address(text))
    {
        return None;
    }
    let cleaned = strip_mention(text, &ctx.bot_username);
    (!cleaned.trim().is_empty()).then_some(cleaned)
}

/// A message [`coach_text`] picked out: the guards, then the reply. The flood guard needs
/// no database, so the sender is recorded and the quota unit taken together after it.
pub async fn on_coach_text(
    ctx: &Arc<BotContext>,
    message: &Message,
    text: String,
    finish: &UpdateFinish,
) {
    let chat_id = message.chat.id.0;
    let Some((chat, sender)) = super::seen(message) else {
        return;
    };
    let is_admin = ctx.config.is_admin(sender.id);
    let admission = if is_admin {
        Admission::Allowed
    } else {
        ctx.chat_room.admit(sender.id)
    };
    let mut head_start = HeadStart::default();
    let free_of_charge = is_admin || finish.is_replay();
    let recorded = if free_of_charge || !matches!(admission, Admission::Allowed) {
        // Admins are unlimited, a message replayed after a crash took its unit the first
        // time, and a message refused for flooding takes nothing.
        ctx.store
            .touch_chat_and_user(chat, sender)
            .await
            .map(|user| (user, None))
    } else {
        // With the chat's turn in hand, no other reply can change the conversation before
        // this one starts, so it is read in the same round trip.
        head_start.turn = ctx.chat_room.turn_lock(chat_id).try_lock_owned().ok();
        let read = head_start
            .turn
            .is_some()
            .then(|| (conversation_key(message, sender.id), WINDOW_TURNS));
        let allowance = ctx.allowance(Counter::Messages);
        ctx.store
            .start_coach_message(chat, sender, allowance, read)
            .await
            .map(|start| {
                head_start.window = start.window;
                (start.user, start.quota)
            })
    };
    let (user, quota) = match recorded {
        Ok(recorded) => recorded,
        Err(error) => {
            tracing::error!(%error, "store unavailable while handling a message");
            reply(ctx, chat_id, MEMORY_UNAVAILABLE).await;
            return;
        }
    };
    if (user.is_banned && !is_admin) || !admitted(ctx, chat_id, admission).await {
        return;
    }
    if let Some(quota) = quota
        && !within_quota(ctx, chat_id, Ok(quota)).await
    {
        return;
    }
    let charged = quota.is_some();
    spawn_reply(
        ctx,
        message,
        &user,
        CoachInput::Text(text),
        charged,
        head_start,
        finish.hand_over(),
    );
}

/// The guards for a chart (text goes through [`on_coach_text`]), then the reply.
async fn start_reply(
    ctx: &Arc<BotContext>,
    message: &Message,
    user: &UserRecord,
    input: CoachInput,
    finish: &UpdateFinish,
) {
    let chat_id = message.chat.id.0;
    let charged = !ctx.config.is_admin(user.id) && !finish.is_replay();
    if charged {
        if !admitted(ctx, chat_id, ctx.chat_room.admit(user.id)).await {
            return;
        }
        let allowance = ctx.allowance(Counter::Messages);
        let quota = ctx
            .store
            .try_consume(user.id, Counter::Messages, allowance)
            .await;
        if !within_quota(ctx, chat_id, quota).await {
            return;
        }
    }
    spawn_reply(
        ctx,
        message,
        user,
        input,
        charged,
        HeadStart::default(),
        finish.hand_over(),
    );
}

/// False when the flood guard refused the message (the first refusal of a burst says so).
async fn admitted(ctx: &BotContext, chat_id: i64, admission: Admission) -> bool {
    match admission {
        Admission::Allowed => true,
        Admission::Notice => {
            let html = format!(
                "You're writing faster than I can coach ({} messages a minute). Take a breath; \
                 I'll pick up your next message in a moment.",
                ctx.settings.user_messages_per_minute
            );
            reply(ctx, chat_id, &html).await;
            false
        }
        Admission::Quiet => false,
    }
}

/// False when no quota unit was taken (the day's first refusal says when it resets).
async fn within_quota(
    ctx: &BotContext,
    chat_id: i64,
    quota: Result<Quota, crate::store::StoreError>,
) -> bool {
    match quota {
        Ok(Quota::Allowed { .. }) => true,
        Ok(Quota::Exhausted {
            first_notice,
            limit,
        }) => {
            if first_notice {
                let html = format!(
                    "You've used today's {limit} coaching replies. They reset at 00:00 UTC, {}. \
                     Until then, write your plan down and sleep on it.",
                    until_utc_midnight()
                );
                reply(ctx, chat_id, &html).await;
            }
            false
        }
        Err(error) => {
            tracing::error!(%error, "quota check failed");
            reply(ctx, chat_id, MEMORY_UNAVAILABLE).await;
            false
        }
    }
}

pub async fn stop(ctx: &BotContext, chat_id: i64) {
    if !ctx.chat_room.stop(chat_id, None) {
        reply(ctx, chat_id, "Nothing is being written right now.").await;
    }
}

pub async fn reset(ctx: &BotContext, message: &Message, user: &UserRecord) {
    let key = conversation_key(message, user.id);
    let text = match ctx.coach.rotate_session(key).await {
        Ok(_) => {
            "🧹 Fresh start. I'll keep a short summary of what mattered, and we begin again from here."
        }
        Err(error) => {
            tracing::error!(%error, "reset failed");
            "I couldn't reset just now. Please try again in a minute."
        }
    };
    reply(ctx, message.chat.id.0, text).await;
}

/// Where `@bot_username` appears as a whole mention (not inside a longer name).
fn mention_at(text: &str, bot_username: &str) -> Option<usize> {
    let mention = format!("@{}", bot_username.to_ascii_lowercase());
    let lower = text.to_ascii_lowercase();
    lower.match_indices(&mention).map(|(at, _)| at).find(|at| {
        let after = lower[at + mention.len()..].chars().next();
        !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

fn strip_mention(text: &str, bot_username: &str) -> String {
    match mention_at(text, bot_username) {
        Some(at) => {
            let end = at + bot_username.len() + 1;
            format!("{} {}", &text[..at], &text[end..])
                .trim()
                .to_string()
        }
        None => text.trim().to_string(),
    }
}

fn until_utc_midnight() -> String {
    let now = chrono::Utc::now();
    let seconds_left = 86_400 - now.timestamp().rem_euclid(86_400);
    format!(
        "in {}h {:02}m",
        seconds_left / 3600,
        (seconds_left % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_whole_words_and_are_stripped() {
        assert_eq!(
            mention_at("hey @TiltGuard_Bot, help", "tiltguard_bot"),
            Some(4)
        );
        assert_eq!(mention_at("@tiltguard_bot_fan hi", "tiltguard_bot"), None);
        assert_eq!(
            strip_mention("@tiltguard_bot how do I size?", "tiltguard_bot"),
            "how do I size?"
        );
        assert_eq!(strip_mention("no mention", "tiltguard_bot"), "no mention");
    }
}
