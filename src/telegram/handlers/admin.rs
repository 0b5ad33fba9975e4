//! The operator's room: /stats, /ban, /unban, /grant, /broadcast, /audit.
//!
//! Only users listed in `ADMIN_USER_IDS` reach it; to anyone else these commands do not
//! exist. Every change is written to the audit log.

use std::sync::Arc;

use chrono::{Datelike, TimeZone};

use super::{BotContext, escape, reply};
use crate::store::{Broadcast, utc_day};
use crate::telegram::delivery::{DeliveryError, OutMessage};

pub const ADMIN_COMMANDS: &[&str] = &["stats", "ban", "unban", "grant", "broadcast", "audit"];

pub async fn handle(ctx: &Arc<BotContext>, chat_id: i64, admin_id: i64, name: &str, args: &str) {
    let html = match name {
        "stats" => stats(ctx).await,
        "ban" | "unban" => ban(ctx, admin_id, name == "ban", args).await,
        "grant" => grant(ctx, admin_id, args).await,
        "broadcast" => start_broadcast(ctx, admin_id, chat_id, args).await,
        "audit" => audit(ctx, args).await,
        _ => return,
    };
    reply(ctx, chat_id, &html).await;
}

async fn stats(ctx: &BotContext) -> String {
    let now = chrono::Utc::now();
    let month_start = chrono::Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .map_or(now.timestamp(), |t| t.timestamp());
    match ctx.store.bot_stats(utc_day(month_start)).await {
        Ok(s) => format!(
            "<b>tiltguard today</b>\n\
             Users: {} (active today {}, banned {}, premium {})\n\
             Coach replies: {} · Scans: {}\n\
             LLM cost: ${:.2} today, ${:.2} this month",
            s.users,
            s.active_today,
            s.banned,
            s.premium,
            s.replies_today,
            s.scans_today,
            s.cost_today_micros as f64 / 1e6,
            s.cost_month_micros as f64 / 1e6
        ),
        Err(error) => failed(&error),
    }
}

async fn ban(ctx: &BotContext, admin_id: i64, banned: bool, args: &str) -> String {
    let verb = if banned { "ban" } else { "unban" };
    let Ok(user_id) = args.trim().parse::<i64>() else {
        return format!("Usage: /{verb} &lt;user id&gt;");
    };
    if banned && ctx.config.is_admin(user_id) {
        return "Admins cannot be banned. Remove them from ADMIN_USER_IDS first.".into();
    }
    match ctx.store.set_banned(user_id, banned).await {
        Ok(true) => {
            audit_log(ctx, admin_id, verb, Some(user_id), "").await;
            if banned {
                format!("User {user_id} is banned: the bot ignores them from now on.")
            } else {
                format!("User {user_id} is no longer banned.")
            }
        }
        Ok(false) => format!("I have never seen user {user_id}."),
        Err(error) => failed(&error),
    }
}

async fn grant(ctx: &BotContext, admin_id: i64, args: &str) -> String {
    let mut parts = args.split_whitespace();
    let (Some(Ok(user_id)), Some(Ok(days)), None) = (
        parts.next().map(str::parse::<i64>),
        parts.next().map(str::parse::<i64>),
        parts.next(),
    ) else {
        return "Usage: /grant &lt;user id&gt; &lt;days&gt;".into();
    };
    if !(1..=3650).contains(&days) {
        return "Days must be between 1 and 3650.".into();
    }
    match ctx.store.grant_premium(user_id, days).await {
        Ok(until) => {
            audit_log(
                ctx,
                admin_id,
                "grant",
                Some(user_id),
                &format!("{days} days"),
            )
            .await;
            format!("User {user_id} has premium until {}.", date(until))
        }
        Err(error) => failed(&error),
    }
}

async fn audit(ctx: &BotContext, args: &str) -> String {
    let limit = args.trim().parse::<i64>().unwrap_or(10).clamp(1, 50);
    match ctx.store.admin_actions(limit).await {
        Ok(actions) if actions.is_empty() => "The audit log is empty.".into(),
        Ok(actions) => {
            let mut html = String::from("<b>Audit log</b>\n");
            for a in actions {
                html.push_str(&format!(
                    "{} · admin {} · {} {} {}\n",
                    date_time(a.at),
                    a.admin_id,
                    escape(&a.action),
                    escape(a.target.as_deref().unwrap_or("")),
                    escape(&a.detail)
                ));
            }
            html
        }
        Err(error) => failed(&error),
    }
}

async fn start_broadcast(ctx: &Arc<BotContext>, admin_id: i64, chat_id: i64, text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return "Usage: /broadcast &lt;message&gt; — sent to every private chat that has not blocked the bot.".into();
    }
    match ctx.store.create_broadcast(admin_id, text).await {
        Ok(id) => {
            audit_log(ctx, admin_id, "broadcast", None, &format!("#{id}")).await;
            let broadcast = Broadcast {
                id,
                admin_id,
                text: text.to_string(),
                last_chat: 0,
                sent: 0,
                failed: 0,
            };
            ctx.tasks.spawn(run(ctx.clone(), broadcast, Some(chat_id)));
            format!("Broadcast #{id} started. I'll report here when it is done.")
        }
        Err(error) => failed(&error),
    }
}

/// Sends a broadcast chat by chat through the outbox (so it shares the flood budgets with
/// live replies), saving progress after each chat so a restart resumes, not repeats.
pub async fn run_broadcast(ctx: Arc<BotContext>, broadcast: Broadcast) {
    run(ctx, broadcast, None).await
}

async fn run(ctx: Arc<BotContext>, mut broadcast: Broadcast, report_to: Option<i64>) {
    let message = OutMessage::html(escape(&broadcast.text));
    loop {
        if ctx.shutdown.is_cancelled() {
            return;
        }
        let targets = match ctx.store.broadcast_targets(broadcast.last_chat, 200).await {
            Ok(targets) => targets,
            Err(error) => {
                tracing::error!(%error, "broadcast paused: store unavailable");
                return;
            }
        };
        if targets.is_empty() {
            break;
        }
        for chat_id in targets {
            if ctx.shutdown.is_cancelled() {
                return;
            }
            let delivered = match ctx.outbox.send(chat_id, &message).await {
                Ok(_) => true,
                Err(DeliveryError::ChatGone) => false,
                Err(error) => {
                    tracing::warn!(chat_id, %error, "broadcast message not delivered");
                    false
                }
            };
            if delivered {
                broadcast.sent += 1;
            } else {
                broadcast.failed += 1;
            }
            broadcast.last_chat = chat_id;
            if let Err(error) = ctx
                .store
                .advance_broadcast(broadcast.id, chat_id, delivered)
                .await
            {
                tracing::error!(%error, "could not save broadcast progress");
            }
        }
    }
    if let Err(error) = ctx.store.finish_broadcast(broadcast.id).await {
        tracing::error!(%error, "could not close a broadcast");
    }
    let summary = format!(
        "Broadcast #{} done: {} delivered, {} not delivered (blocked or gone).",
        broadcast.id, broadcast.sent, broadcast.failed
    );
    tracing::info!("{summary}");
    let to = report_to.unwrap_or(broadcast.admin_id);
    reply(&ctx, to, &summary).await;
}

async fn audit_log(
    ctx: &BotContext,
    admin_id: i64,
    action: &str,
    target: Option<i64>,
    detail: &str,
) {
    let target = target.map(|t| t.to_string());
    if let Err(error) = ctx
        .store
        .record_admin_action(admin_id, action, target.as_deref(), detail)
        .await
    {
        tracing::error!(%error, action, "could not write the audit log");
    }
}

fn failed(error: &crate::store::StoreError) -> String {
    tracing::error!(%error, "admin command failed");
    "That didn't work: the database is unavailable. Try again in a minute.".into()
}

fn date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
}

fn date_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}
