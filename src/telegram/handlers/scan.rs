//! The risk-radar room: `/scan <address> [chain]`, an address pasted in a private chat, and
//! the buttons under a report (chain pick, Rescan, All checks / Top reasons).
//!
//! A scan answers at once with "Scanning…" and edits that message into the result, so the
//! trader sees progress and the chat keeps one message per scan. Bad input is answered before
//! any guard, so a typo costs nothing; then the per-user rate limit and the daily quota apply
//! (admins are exempt), and a scan that fails upstream gives its quota unit back.

mod buttons;
mod input;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Instant;

use governor::{DefaultKeyedRateLimiter, Quota as RateQuota, RateLimiter};
use teloxide::types::{CallbackQuery, Message};

use self::buttons::{Action, ScanButton, pick_keyboard, report_keyboard, rescan_keyboard};
use self::input::{InputError, Target, input_error_html, parse_args, until_utc_midnight};
use super::{BotContext, escape, reply, send};
use crate::risk::render_telegram_html;
use crate::risk::report::short_address;
use crate::risk::service::{ScanError, ScanOutcome, not_found_message};
use crate::store::{Counter, Quota, UserRecord};
use crate::telegram::delivery::OutMessage;

pub use self::input::is_pasted_address;

/// Per-user scan pacing, in memory: a burst of `SCANS_PER_MINUTE`, then one per interval.
pub struct ScanRoom {
    limiter: DefaultKeyedRateLimiter<i64>,
    per_minute: u32,
    noticed: Mutex<HashMap<i64, Instant>>,
}

enum Admission {
    Allowed,
    /// Refused; the first refusal of a burst carries one polite notice.
    Refused {
        notice: Option<String>,
    },
}

impl ScanRoom {
    pub fn new(scans_per_minute: u32) -> ScanRoom {
        let per_minute = NonZeroU32::new(scans_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        ScanRoom {
            limiter: RateLimiter::keyed(RateQuota::per_minute(per_minute)),
            per_minute: per_minute.get(),
            noticed: Mutex::new(HashMap::new()),
        }
    }

    fn admit(&self, user_id: i64) -> Admission {
        if self.limiter.check_key(&user_id).is_ok() {
            return Admission::Allowed;
        }
        let mut noticed = self.noticed.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if noticed.len() > 4096 {
            noticed.retain(|_, at| now.duration_since(*at).as_secs() < 60);
        }
        let notice = match noticed.get(&user_id) {
            Some(at) if now.duration_since(*at).as_secs() < 60 => None,
            _ => {
                noticed.insert(user_id, now);
                Some(format!(
                    "⏳ That's more than {} scans a minute. Give it a minute, then try again.",
                    self.per_minute
                ))
            }
        };
        Admission::Refused { notice }
    }
}

/// `/scan …`.
pub async fn on_command(ctx: &BotContext, message: &Message, user: &UserRecord, args: &str) {
    match parse_args(args) {
        Ok(target) => start(ctx, message, user, target).await,
        Err(error) => reply(ctx, message.chat.id.0, &input_error_html(&error)).await,
    }
}

/// An address pasted on its own in a private chat (see [`is_pasted_address`]).
pub async fn on_pasted(ctx: &BotContext, message: &Message, user: &UserRecord, text: &str) {
    match input::target(text.trim(), None) {
        Ok(target) => start(ctx, message, user, target).await,
        Err(error) => {
            let html = input_error_html(&InputError::Address(error));
            reply(ctx, message.chat.id.0, &html).await;
        }
    }
}

async fn start(ctx: &BotContext, message: &Message, user: &UserRecord, target: Target) {
    let chat_id = message.chat.id.0;
    if let Err(notice) = guard(ctx, user.id).await {
        if let Some(html) = notice {
            reply(ctx, chat_id, &html).await;
        }
        return;
    }
    let in_group = !message.chat.is_private();
    let placeholder = OutMessage::html(scanning_html(&target.address))
        .replying_to(in_group.then_some(message.id.0));
    let Some(message_id) = send(ctx, chat_id, placeholder).await else {
        refund(ctx, user.id).await;
        return;
    };
    let outcome = ctx.risk.scan(&target.address, target.chain).await;
    finish(ctx, chat_id, message_id, user.id, &target, outcome, false).await;
}

/// Rate limit, then daily quota. `Err` carries the notice to show, if any.
async fn guard(ctx: &BotContext, user_id: i64) -> Result<(), Option<String>> {
    if ctx.config.is_admin(user_id) {
        return Ok(());
    }
    if let Admission::Refused { notice } = ctx.scan_room.admit(user_id) {
        return Err(notice);
    }
    let allowance = ctx.allowance(Counter::Scans);
    match ctx
        .store
        .try_consume(user_id, Counter::Scans, allowance)
        .await
    {
        Ok(Quota::Allowed { .. }) => Ok(()),
        Ok(Quota::Exhausted {
            first_notice,
            limit,
        }) => Err(first_notice.then(|| quota_notice(limit))),
        Err(error) => {
            tracing::error!(%error, "scan quota check failed");
            Err(Some(super::MEMORY_UNAVAILABLE.to_string()))
        }
    }
}

fn quota_notice(limit: i64) -> String {
    format!(
        "You've used today's {limit} free scans. They reset at 00:00 UTC, {}.",
        until_utc_midnight(chrono::Utc::now().timestamp())
    )
}

async fn refund(ctx: &BotContext, user_id: i64) {
    if ctx.config.is_admin(user_id) {
        return;
    }
    if let Err(error) = ctx.store.refund(user_id, Counter::Scans).await {
        tracing::warn!(%error, "could not refund a scan");
    }
}

fn scanning_html(address: &str) -> String {
    format!("🔎 Scanning <code>{}</code>…", escape(address))
}

/// Edits the "Scanning…" message into the outcome; refunds the quota unit if upstream failed.
async fn finish(
    ctx: &BotContext,
    chat_id: i64,
    message_id: i32,
    user_id: i64,
    target: &Target,
    outcome: Result<ScanOutcome, ScanError>,
    expanded: bool,
) {
    if let Err(error) = &outcome {
        tracing::info!(%error, address = %target.address, "scan failed");
        if !matches!(error, ScanError::NotAToken) {
            refund(ctx, user_id).await;
        }
    }
    let message = outcome_message(target, &outcome, expanded);
    if let Err(error) = ctx.outbox.edit(chat_id, message_id, &message).await {
        tracing::warn!(chat_id, %error, "could not show a scan result");
    }
}

/// What the trader sees for an outcome. Pure.
fn outcome_message(
    target: &Target,
    outcome: &Result<ScanOutcome, ScanError>,
    expanded: bool,
) -> OutMessage {
    match outcome {
        Ok(ScanOutcome::Found(report)) => OutMessage::html(render_telegram_html(report, expanded))
            .with_keyboard(report_keyboard(&report.address, report.chain, expanded)),
        Ok(ScanOutcome::MultipleChains(chains)) => OutMessage::html(format!(
            "🔎 <code>{}</code> is a token on {} chains. Which one do you want to check?",
            escape(&short_address(&target.address)),
            chains.len()
        ))
        .with_keyboard(pick_keyboard(&target.address, chains)),
        Ok(ScanOutcome::NotFound(chains)) => {
            OutMessage::html(format!("🤷 {}", escape(&not_found_message(chains))))
        }
        Err(error) => {
            let html = format!("⚠️ {}", escape(&error.to_string()));
            if error.is_transient() {
                OutMessage::html(html).with_keyboard(rescan_keyboard(&target.address, target.chain))
            } else {
                OutMessage::html(html)
            }
        }
    }
}

/// A scan button (`scan:` already stripped). Every path answers the callback exactly once.
pub async fn on_callback(ctx: &BotContext, query: &CallbackQuery, data: &str) {
    let (Some(button), Some(message)) = (ScanButton::parse(data), query.message.as_ref()) else {
        ctx.outbox
            .answer_callback(
                &query.id.0,
                Some("This button has expired. Send /scan again."),
            )
            .await;
        return;
    };
    let chat_id = message.chat().id.0;
    let message_id = message.id().0;
    let user_id = query.from.id.0 as i64;
    if let Err(refusal) = remember_presser(ctx, query).await {
        ctx.outbox.answer_callback(&query.id.0, refusal).await;
        return;
    }
    let expanded = button.action == Action::AllChecks;
    if button.action != Action::Rescan
        && let Some(chain) = button.target.chain
        && let Some(report) = ctx.risk.cached_report(&button.target.address, chain).await
    {
        // Picking a chain or toggling the view is free while the report is cached.
        ctx.outbox.answer_callback(&query.id.0, None).await;
        let outcome = Ok(ScanOutcome::Found(report));
        let view = outcome_message(&button.target, &outcome, expanded);
        if let Err(error) = ctx.outbox.edit(chat_id, message_id, &view).await {
            tracing::warn!(chat_id, %error, "could not switch the report view");
        }
        return;
    }
    if let Err(notice) = guard(ctx, user_id).await {
        let text = notice.unwrap_or_else(|| "Slow down a little, then try again.".to_string());
        ctx.outbox
            .answer_callback(&query.id.0, Some(&plain(&text)))
            .await;
        return;
    }
    ctx.outbox
        .answer_callback(
            &query.id.0,
            Some(if button.action == Action::Rescan {
                "Scanning again…"
            } else {
                "That report expired; fetching fresh data…"
            }),
        )
        .await;
    let placeholder = OutMessage::html(scanning_html(&button.target.address));
    if let Err(error) = ctx.outbox.edit(chat_id, message_id, &placeholder).await {
        tracing::warn!(chat_id, %error, "could not show the rescan placeholder");
        refund(ctx, user_id).await;
        return;
    }
    let outcome = match (button.action, button.target.chain) {
        (Action::Rescan, Some(chain)) => ctx.risk.rescan(&button.target.address, chain).await,
        (_, chain) => ctx.risk.scan(&button.target.address, chain).await,
    };
    finish(
        ctx,
        chat_id,
        message_id,
        user_id,
        &button.target,
        outcome,
        expanded,
    )
    .await;
}

/// Records the presser like any other user and refuses banned ones (with no message).
async fn remember_presser(
    ctx: &BotContext,
    query: &CallbackQuery,
) -> Result<(), Option<&'static str>> {
    let user = &query.from;
    let record = ctx
        .store
        .touch_user(
            user.id.0 as i64,
            &user.first_name,
            user.username.as_deref(),
            user.language_code.as_deref(),
        )
        .await
        .map_err(|error| {
            tracing::error!(%error, "store unavailable while handling a scan button");
            Some(super::MEMORY_UNAVAILABLE)
        })?;
    if record.is_banned && !ctx.config.is_admin(record.id) {
        return Err(None);
    }
    Ok(())
}

/// Callback answers are plain text: drop the tags the notices may carry.
fn plain(html: &str) -> String {
    crate::telegram::delivery::plain_from_html(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::Chain;
    use crate::risk::detect::ChainFamily;

    fn target() -> Target {
        Target {
            address: "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2".to_string(),
            chain: None,
        }
    }

    fn keyboard_data(message: &OutMessage) -> Vec<String> {
        message
            .keyboard
            .iter()
            .flat_map(|k| k.inline_keyboard.iter().flatten())
            .filter_map(|b| match &b.kind {
                teloxide::types::InlineKeyboardButtonKind::CallbackData(data) => Some(data.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_pick_lists_each_chain_as_a_button() {
        let outcome = Ok(ScanOutcome::MultipleChains(vec![
            Chain::Ethereum,
            Chain::Bsc,
        ]));
        let message = outcome_message(&target(), &outcome, false);
        assert!(message.html.contains("2 chains"), "{}", message.html);
        assert_eq!(
            keyboard_data(&message),
            vec![
                "scan:pick:1:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
                "scan:pick:56:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
            ]
        );
    }

    #[test]
    fn transient_failures_offer_rescan_and_final_ones_do_not() {
        let down = outcome_message(&target(), &Err(ScanError::RateLimited), false);
        assert!(down.html.contains("rate-limiting"), "{}", down.html);
        assert_eq!(
            keyboard_data(&down),
            vec!["scan:re:any:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"]
        );
        let wallet = outcome_message(&target(), &Err(ScanError::NotAToken), false);
        assert!(
            wallet.html.contains("wallet, not a token"),
            "{}",
            wallet.html
        );
        assert!(wallet.keyboard.is_none());
        let mismatch = ScanError::ChainMismatch {
            chain: Chain::Tron,
            address_family: ChainFamily::Evm,
        };
        assert!(
            outcome_message(&target(), &Err(mismatch), false)
                .keyboard
                .is_none()
        );
    }

    #[test]
    fn an_unknown_token_names_the_chains_searched() {
        let outcome = Ok(ScanOutcome::NotFound(vec![Chain::Ethereum, Chain::Base]));
        let message = outcome_message(&target(), &outcome, false);
        assert!(message.html.contains("Ethereum, Base"), "{}", message.html);
        assert!(message.keyboard.is_none());
    }

    #[test]
    fn the_room_admits_a_burst_then_notices_once() {
        let room = ScanRoom::new(2);
        assert!(matches!(room.admit(7), Admission::Allowed));
        assert!(matches!(room.admit(7), Admission::Allowed));
        assert!(
            matches!(room.admit(7), Admission::Refused { notice: Some(n) } if n.contains("2 scans a minute"))
        );
        assert!(matches!(room.admit(7), Admission::Refused { notice: None }));
        assert!(
            matches!(room.admit(8), Admission::Allowed),
            "other users are not affected"
        );
    }
}
