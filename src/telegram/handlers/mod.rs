//! One file per user flow. `handle` is the tree: guards first, then the room for the update.

mod admin;

pub use admin::run_broadcast;
pub mod chat;
mod coach_reply;
pub mod pay;
mod persona;
pub mod scan;
mod start;
mod usage;
pub mod whale;

use std::sync::Arc;

use teloxide::types::{CallbackQuery, Message};
use tokio_util::task::TaskTracker;

use super::delivery::{OutMessage, Outbox};
use super::dispatch::UpdateFinish;
use super::update::{Incoming, parse_command};
use crate::coach::Coach;
use crate::coach::personas::PersonaBook;
use crate::config::Config;
use crate::store::Store;
use crate::store::{Allowance, Counter, SeenChat, SeenUser};

/// Everything a handler may use. Built once in `app`, shared by every update.
pub struct BotContext {
    pub outbox: Arc<Outbox>,
    pub store: Store,
    pub personas: Arc<PersonaBook>,
    pub config: Arc<Config>,
    pub bot_username: String,
    pub coach: Arc<Coach>,
    pub risk: crate::risk::RiskService,
    pub payments: Arc<crate::payments::PaymentVerifier>,
    pub chat_room: chat::ChatRoom,
    pub scan_room: scan::ScanRoom,
    pub settings: BotSettings,
    /// Every task the bot starts, so shutdown can wait for them.
    pub tasks: TaskTracker,
    /// Cancelled when the bot stops; long jobs (broadcasts) check it and pause.
    pub shutdown: tokio_util::sync::CancellationToken,
}

/// Limits the rooms apply, from config.
#[derive(Debug, Clone)]
pub struct BotSettings {
    pub max_image_bytes: u64,
    pub user_messages_per_minute: u32,
    pub free_daily_messages: i64,
}

impl BotContext {
    /// What `counter` allows a day, free and premium, from config.
    pub fn allowance(&self, counter: Counter) -> Allowance {
        let limits = &self.config.limits;
        match counter {
            Counter::Messages => Allowance {
                free: self.settings.free_daily_messages,
                premium: limits.premium_daily_messages,
            },
            Counter::Scans => Allowance {
                free: limits.free_daily_scans,
                premium: limits.premium_daily_scans,
            },
        }
    }

    /// Today's allowance of `counter` for `user_id`: the premium quota while a subscription
    /// is active, the free one otherwise. If the store cannot say, the free quota applies.
    pub async fn daily_limit(&self, user_id: i64, counter: Counter) -> i64 {
        let premium = match self
            .store
            .is_premium(user_id, crate::store::now_unix())
            .await
        {
            Ok(premium) => premium,
            Err(error) => {
                tracing::warn!(%error, "could not read the subscription; applying the free quota");
                false
            }
        };
        self.allowance(counter).limit(premium)
    }
}

/// The command menu Telegram shows; `/help` prints the same list.
pub const COMMANDS: &[(&str, &str)] = &[
    ("start", "Welcome and pick your coach"),
    ("help", "What I can do"),
    ("persona", "Choose your coaching personality"),
    ("scan", "Check a token contract for risks"),
    ("stop", "Stop the reply being written"),
    ("reset", "Start a fresh conversation"),
    ("usage", "Your messages, tokens and cost"),
    ("subscribe", "Get premium, paid in USDT or USDC"),
    ("verify", "Confirm your payment: /verify <tx hash>"),
    ("status", "Your plan, its expiry and today's quotas"),
    (
        "watch",
        "Whale alerts for a wallet: /watch <address> [name]",
    ),
    ("watches", "The wallets you watch"),
    ("unwatch", "Stop watching a wallet"),
];

pub async fn handle(ctx: Arc<BotContext>, incoming: Incoming, finish: UpdateFinish) {
    match incoming {
        Incoming::Message(message) => on_message(&ctx, &message, &finish).await,
        Incoming::Callback(query) => on_callback(&ctx, &query).await,
        Incoming::StopGeneration { chat_id, draft_id } => {
            ctx.chat_room.stop(chat_id, Some(draft_id));
        }
        Incoming::Ignored => {}
    }
}

async fn on_message(ctx: &Arc<BotContext>, message: &Message, finish: &UpdateFinish) {
    let chat_id = message.chat.id.0;
    let Some(user) = message.from.as_ref() else {
        return;
    };
    // Most messages are for the coach; they take a path with one database round trip.
    if let Some(text) = chat::coach_text(ctx, message) {
        chat::on_coach_text(ctx, message, text, finish).await;
        return;
    }
    let record = match remember(ctx, message).await {
        Ok(record) => record,
        Err(error) => {
            tracing::error!(%error, "store unavailable while handling a message");
            reply(ctx, chat_id, MEMORY_UNAVAILABLE).await;
            return;
        }
    };
    if record.is_banned && !ctx.config.is_admin(user.id.0 as i64) {
        return;
    }
    let text = message.text().or(message.caption()).unwrap_or_default();
    if let Some(command) = parse_command(text, &ctx.bot_username) {
        match command.name.as_str() {
            "start" => start::welcome(ctx, chat_id, &record).await,
            "help" => start::help(ctx, chat_id).await,
            "persona" | "personality" | "coach" => {
                persona::show_picker(ctx, chat_id, &record).await
            }
            "stop" => chat::stop(ctx, chat_id).await,
            "usage" => usage::show(ctx, chat_id, record.id).await,
            name if admin::ADMIN_COMMANDS.contains(&name) && ctx.config.is_admin(record.id) => {
                admin::handle(ctx, chat_id, record.id, name, command.args).await
            }
            "reset" | "new" => chat::reset(ctx, message, &record).await,
            "scan" => scan::on_command(ctx, message, &record, command.args).await,
            "subscribe" | "premium" => pay::subscribe(ctx, message, &record).await,
            "verify" => pay::verify(ctx, message, &record, command.args).await,
            "status" => pay::status(ctx, message, &record).await,
            "watch" => whale::watch(ctx, chat_id, &record, command.args).await,
            "unwatch" => whale::unwatch(ctx, chat_id, &record, command.args).await,
            "watches" | "watchlist" => whale::list(ctx, chat_id, &record).await,
            _ => start::unknown_command(ctx, chat_id, &command.name).await,
        }
        return;
    }
    if !chat::addressed_to_bot(message, &ctx.bot_username) {
        return;
    }
    if message.photo().is_some() || is_image_document(message) {
        chat::on_chart(ctx, message, &record, finish).await;
    } else if let Some(text) = message.text() {
        if message.chat.is_private() && scan::is_pasted_address(text) {
            scan::on_pasted(ctx, message, &record, text).await;
        } else {
            // Text with more than the mention in it went to the coach above.
            chat::on_bare_mention(ctx, chat_id).await;
        }
    } else if message.chat.is_private() {
        reply(
            ctx,
            chat_id,
            "I read text and chart screenshots. Send me either, or /help for everything else.",
        )
        .await;
    }
}

fn is_image_document(message: &Message) -> bool {
    message.document().is_some_and(|doc| {
        let by_mime = doc.mime_type.as_ref().is_some_and(|m| m.type_() == "image");
        let by_name = doc.file_name.as_deref().is_some_and(|n| {
            let n = n.to_ascii_lowercase();
            [".png", ".jpg", ".jpeg", ".webp"]
                .iter()
                .any(|ext| n.ends_with(ext))
        });
        by_mime || by_name
    })
}

async fn on_callback(ctx: &BotContext, query: &CallbackQuery) {
    let data = query.data.as_deref().unwrap_or_default();
    match data.split_once(':') {
        Some(("persona", id)) => persona::choose(ctx, query, id).await,
        Some(("scan", rest)) => scan::on_callback(ctx, query, rest).await,
        Some(("pay", rest)) => pay::on_callback(ctx, query, rest).await,
        _ => {
            ctx.outbox
                .answer_callback(&query.id.0, Some("This button has expired."))
                .await
        }
    }
}

async fn remember(
    ctx: &BotContext,
    message: &Message,
) -> Result<crate::store::UserRecord, crate::store::StoreError> {
    let (chat, user) = seen(message).ok_or(sqlx::Error::RowNotFound)?;
    ctx.store.touch_chat_and_user(chat, user).await
}

/// A message's chat and sender as the store records them; `None` without a sender.
fn seen(message: &Message) -> Option<(SeenChat<'_>, SeenUser<'_>)> {
    let chat = &message.chat;
    let kind = if chat.is_private() {
        "private"
    } else if chat.is_supergroup() {
        "supergroup"
    } else if chat.is_group() {
        "group"
    } else {
        "channel"
    };
    let user = message.from.as_ref()?;
    Some((
        SeenChat {
            id: chat.id.0,
            kind,
            title: chat.title(),
        },
        SeenUser {
            id: user.id.0 as i64,
            first_name: &user.first_name,
            username: user.username.as_deref(),
            language_code: user.language_code.as_deref(),
        },
    ))
}

/// What a user is told when the database cannot be reached.
pub(crate) const MEMORY_UNAVAILABLE: &str =
    "I can't reach my memory right now. Please try again in a minute.";

/// Sends a short HTML reply, logging (not propagating) delivery failures: the user already
/// left or blocked us, and there is nobody else to tell.
pub(crate) async fn reply(ctx: &BotContext, chat_id: i64, html: &str) {
    send(ctx, chat_id, OutMessage::html(html)).await;
}

pub(crate) async fn send(ctx: &BotContext, chat_id: i64, message: OutMessage) -> Option<i32> {
    match ctx.outbox.send(chat_id, &message).await {
        Ok(id) => Some(id),
        Err(error) => {
            tracing::warn!(chat_id, %error, "could not deliver a reply");
            None
        }
    }
}

/// Escapes text for Telegram HTML (the formatter's escaper, so there is one).
pub(crate) fn escape(text: &str) -> String {
    crate::telegram::format::escape_html(text)
}
