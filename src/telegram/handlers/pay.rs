//! Premium: `/subscribe` (plan → token and network → invoice), `/verify <tx hash>`,
//! `/status`, and the payment watcher's messages to traders.
//!
//! The payment rules live in `payments`; this file only asks the ledger and words the
//! answers. Button data: `pay:plan:<plan>`, `pay:tok:<plan>:<chain>:<symbol>`.

mod render;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};
use tokio_util::sync::CancellationToken;

use super::{BotContext, reply, send};
use crate::payments::chain::Chain;
use crate::payments::ledger::{Invoice, Ledger};
use crate::payments::tokens::{Stablecoin, Token};
use crate::payments::watcher::{Notice, Notifier, Watcher};
use crate::store::{Counter, UserRecord};
use crate::telegram::delivery::OutMessage;

const PRIVATE_ONLY: &str = "Payments happen in our private chat: tap my name, start a chat \
                            with me and send the command there.";
const STORE_DOWN: &str = "I can't reach my records right now. Please try again in a minute.";

fn ledger(ctx: &BotContext) -> Ledger {
    Ledger::new(
        ctx.store.clone(),
        ctx.payments.clone(),
        ctx.config.billing.clone(),
    )
}

/// Starts the payment watcher on the bot's task tracker; it stops with `shutdown`.
pub fn start_watcher(ctx: &Arc<BotContext>, http: reqwest::Client, shutdown: CancellationToken) {
    let watcher = Watcher::new(ledger(ctx), http);
    let notifier = TelegramNotifier { ctx: ctx.clone() };
    ctx.tasks.spawn(watcher.run(notifier, shutdown));
}

/// Delivers the watcher's notices as chat messages.
struct TelegramNotifier {
    ctx: Arc<BotContext>,
}

impl Notifier for TelegramNotifier {
    async fn notify(&self, notice: Notice) {
        let (chat_id, html) = render::notice_html(&notice, Utc::now());
        reply(&self.ctx, chat_id, &html).await;
    }
}

pub async fn subscribe(ctx: &BotContext, message: &Message, user: &UserRecord) {
    let chat_id = message.chat.id.0;
    if !message.chat.is_private() {
        reply(ctx, chat_id, PRIVATE_ONLY).await;
        return;
    }
    let ledger = ledger(ctx);
    if ledger.payable_tokens().is_empty() {
        reply(
            ctx,
            chat_id,
            "Premium payments are not set up on this bot yet.",
        )
        .await;
        return;
    }
    let premium_until = match ctx.store.subscription(user.id).await {
        Ok(subscription) => subscription
            .and_then(|s| DateTime::from_timestamp(s.premium_until, 0))
            .filter(|until| *until > Utc::now()),
        Err(error) => {
            tracing::error!(%error, "subscription lookup failed");
            reply(ctx, chat_id, STORE_DOWN).await;
            return;
        }
    };
    let limits = &ctx.config.limits;
    let perks = render::Perks {
        free_messages: ctx.settings.free_daily_messages,
        premium_messages: limits.premium_daily_messages,
        free_scans: limits.free_daily_scans,
        premium_scans: limits.premium_daily_scans,
    };
    let plans = &ctx.config.billing.plans;
    let buttons = plans
        .iter()
        .map(|plan| {
            vec![InlineKeyboardButton::callback(
                plan.button_label(),
                format!("pay:plan:{}", plan.id),
            )]
        })
        .collect::<Vec<_>>();
    let html = render::plans_html(&perks, premium_until, plans);
    send(
        ctx,
        chat_id,
        OutMessage::html(html).with_keyboard(InlineKeyboardMarkup::new(buttons)),
    )
    .await;
}

/// `pay:…` buttons; `data` is what follows `pay:`.
pub async fn on_callback(ctx: &BotContext, query: &CallbackQuery, data: &str) {
    let parts: Vec<&str> = data.split(':').collect();
    match parts.as_slice() {
        ["plan", plan_id] => choose_plan(ctx, query, plan_id).await,
        ["tok", plan_id, chain, symbol] => choose_token(ctx, query, plan_id, chain, symbol).await,
        _ => {
            ctx.outbox
                .answer_callback(&query.id.0, Some("This button has expired."))
                .await;
        }
    }
}

fn token_label(token: Token) -> String {
    format!("{} · {}", token.symbol(), token.chain().display_name())
}

fn token_data(plan_id: &str, token: Token) -> String {
    format!(
        "pay:tok:{plan_id}:{}:{}",
        token.chain().id(),
        token.symbol().to_ascii_lowercase()
    )
}

fn parse_token(chain: &str, symbol: &str) -> Option<Token> {
    let chain: Chain = chain.parse().ok()?;
    let coin = match symbol {
        "usdt" => Stablecoin::Usdt,
        "usdc" => Stablecoin::Usdc,
        _ => return None,
    };
    Token::find(chain, coin)
}

/// Shows `html` in place of the button's message, or as a new message if that fails.
async fn show(ctx: &BotContext, query: &CallbackQuery, message: OutMessage) {
    let user_chat = query.from.id.0 as i64;
    match &query.message {
        Some(original) => {
            let chat_id = original.chat().id.0;
            if let Err(error) = ctx.outbox.edit(chat_id, original.id().0, &message).await {
                tracing::warn!(%error, "could not edit the payment message; sending a new one");
                send(ctx, chat_id, message).await;
            }
        }
        None => {
            send(ctx, user_chat, message).await;
        }
    }
}

async fn choose_plan(ctx: &BotContext, query: &CallbackQuery, plan_id: &str) {
    let Some(plan) = ctx.config.billing.plan(plan_id) else {
        ctx.outbox
            .answer_callback(
                &query.id.0,
                Some("That plan is no longer offered. Send /subscribe."),
            )
            .await;
        return;
    };
    ctx.outbox.answer_callback(&query.id.0, None).await;
    let tokens = ledger(ctx).payable_tokens();
    let buttons: Vec<InlineKeyboardButton> = tokens
        .iter()
        .map(|token| {
            InlineKeyboardButton::callback(token_label(*token), token_data(&plan.id, *token))
        })
        .collect();
    let keyboard = InlineKeyboardMarkup::new(buttons.chunks(2).map(<[_]>::to_vec));
    show(
        ctx,
        query,
        OutMessage::html(render::networks_html(plan)).with_keyboard(keyboard),
    )
    .await;
}

async fn choose_token(
    ctx: &BotContext,
    query: &CallbackQuery,
    plan_id: &str,
    chain: &str,
    symbol: &str,
) {
    let ledger = ledger(ctx);
    let token = parse_token(chain, symbol).filter(|t| ledger.payable_tokens().contains(t));
    let (Some(token), Some(_)) = (token, ctx.config.billing.plan(plan_id)) else {
        ctx.outbox
            .answer_callback(
                &query.id.0,
                Some("That option is no longer offered. Send /subscribe."),
            )
            .await;
        return;
    };
    let user_id = query.from.id.0 as i64;
    let chat_id = query.message.as_ref().map_or(user_id, |m| m.chat().id.0);
    let now = Utc::now();
    match ledger
        .create_invoice(user_id, chat_id, plan_id, token, now)
        .await
    {
        Ok(invoice) => {
            ctx.outbox
                .answer_callback(&query.id.0, Some("Invoice ready"))
                .await;
            show(
                ctx,
                query,
                OutMessage::html(render::invoice_html(&invoice, now)),
            )
            .await;
        }
        Err(error) => {
            tracing::error!(%error, "could not create an invoice");
            ctx.outbox
                .answer_callback(
                    &query.id.0,
                    Some("I couldn't create the invoice. Please try again."),
                )
                .await;
        }
    }
}

pub async fn verify(ctx: &BotContext, message: &Message, user: &UserRecord, args: &str) {
    let chat_id = message.chat.id.0;
    if !message.chat.is_private() {
        reply(ctx, chat_id, PRIVATE_ONLY).await;
        return;
    }
    let now = Utc::now();
    let html = match ledger(ctx).verify_hash(user.id, chat_id, args, now).await {
        Ok(outcome) => render::verify_html(&outcome, now),
        Err(error) => {
            tracing::error!(%error, "payment verification could not be recorded");
            STORE_DOWN.to_string()
        }
    };
    reply(ctx, chat_id, &html).await;
}

pub async fn status(ctx: &BotContext, message: &Message, user: &UserRecord) {
    let chat_id = message.chat.id.0;
    if !message.chat.is_private() {
        reply(ctx, chat_id, PRIVATE_ONLY).await;
        return;
    }
    let now = Utc::now();
    let facts = async {
        let subscription = ctx.store.subscription(user.id).await?;
        let messages = ctx.store.used_today(user.id, Counter::Messages).await?;
        let scans = ctx.store.used_today(user.id, Counter::Scans).await?;
        Ok::<_, crate::store::StoreError>((subscription, messages, scans))
    }
    .await;
    let (subscription, messages, scans) = match facts {
        Ok(facts) => facts,
        Err(error) => {
            tracing::error!(%error, "status lookup failed");
            reply(ctx, chat_id, STORE_DOWN).await;
            return;
        }
    };
    let open: Vec<Invoice> = match ledger(ctx).open_invoices_of(user.id).await {
        Ok(open) => open.into_iter().filter(|i| i.expires_at > now).collect(),
        Err(error) => {
            tracing::warn!(%error, "open invoices could not be listed");
            Vec::new()
        }
    };
    let plan = subscription.as_ref().and_then(|s| {
        DateTime::from_timestamp(s.premium_until, 0).map(|until| (s.plan.as_str(), until))
    });
    let html = render::status_html(
        plan,
        now,
        (messages, ctx.daily_limit(user.id, Counter::Messages).await),
        (scans, ctx.daily_limit(user.id, Counter::Scans).await),
        &open,
    );
    reply(ctx, chat_id, &html).await;
}
