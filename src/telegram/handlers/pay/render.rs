//! The payment messages, as Telegram HTML. Pure: every dynamic text is escaped here.

use chrono::{DateTime, Utc};

use super::super::escape;
use crate::payments::ledger::{Credited, Invoice, VerifyOutcome};
use crate::payments::plans::Plan;
use crate::payments::verdict::RejectReason;
use crate::payments::watcher::Notice;

/// "2026-08-01 14:00 UTC".
pub fn utc(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What premium gives, for the plan picker.
pub struct Perks {
    pub free_messages: i64,
    pub premium_messages: i64,
    pub free_scans: i64,
    pub premium_scans: i64,
}

pub fn plans_html(perks: &Perks, premium_until: Option<DateTime<Utc>>, plans: &[Plan]) -> String {
    let mut html = format!(
        "⭐ <b>tiltguard Premium</b>\n\n\
         • {} coach replies a day (free: {})\n\
         • {} token scans a day (free: {})\n\
         • paid in USDT or USDC, checked on-chain\n\n",
        perks.premium_messages, perks.free_messages, perks.premium_scans, perks.free_scans,
    );
    if let Some(until) = premium_until {
        html.push_str(&format!(
            "Your premium runs until <b>{}</b>; a renewal adds to it.\n\n",
            utc(until)
        ));
    }
    html.push_str("<b>Choose a plan:</b>\n");
    for plan in plans {
        html.push_str(&format!(
            "• {} — {} for {} days\n",
            escape(&plan.display_name()),
            plan.price_usd(),
            plan.days
        ));
    }
    html
}

pub fn networks_html(plan: &Plan) -> String {
    format!(
        "<b>{}</b> — {} for {} days.\n\nPay with which token and network? Pick the one your \
         wallet or exchange will send on.",
        escape(&plan.display_name()),
        plan.price_usd(),
        plan.days
    )
}

pub fn invoice_html(invoice: &Invoice, now: DateTime<Utc>) -> String {
    let token = invoice.token;
    let chain = invoice.chain();
    let minutes = (invoice.expires_at - now).num_minutes().max(1);
    let suffix = invoice.amount.base_units() % 10_000;
    format!(
        "🧾 <b>Invoice #{id}</b> — {plan} premium, {days} days\n\n\
         Send exactly\n<code>{amount}</code> <b>{symbol}</b>\n\
         to this <b>{chain}</b> address:\n<code>{to}</code>\n\n\
         ⚠️ <b>Only {symbol} on {chain}.</b> Token contract:\n<code>{contract}</code>\n\
         Any other network or token (including look-alike \"{symbol}\" tokens) cannot be \
         credited and is lost.\n\n\
         The last digits (…{suffix:04}) identify your payment, so send the exact amount and \
         make sure it arrives in full (withdrawal fees on top). I'll spot it by myself.\n\n\
         ⏳ Valid until <b>{until}</b> ({minutes} min).\n\
         After paying, send <code>/verify &lt;tx hash&gt;</code> to confirm it at once.",
        id = invoice.id,
        plan = escape(&capitalized(&invoice.plan)),
        days = invoice.days,
        amount = token.format_amount(invoice.amount),
        symbol = token.symbol(),
        chain = chain.display_name(),
        to = escape(&invoice.recipient),
        contract = token.contract(),
        until = utc(invoice.expires_at),
    )
}

fn capitalized(id: &str) -> String {
    let mut chars = id.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn credited_html(credited: &Credited, how: &str) -> String {
    format!(
        "✅ <b>Payment confirmed</b>{how}: {amount} {symbol} received on {chain} for invoice \
         #{id}.\n⭐ Premium is active until <b>{until}</b>.",
        amount = credited.token.format_amount(credited.amount),
        symbol = credited.token.symbol(),
        chain = credited.tx.chain.display_name(),
        id = credited.invoice.id,
        until = utc(credited.premium_until),
    )
}

fn rejected_html(reason: &RejectReason, invoice: Option<&Invoice>, now: DateTime<Utc>) -> String {
    let mut html = format!("❌ <b>Not accepted.</b> {}", escape(&reason.user_message()));
    if let Some(invoice) = invoice.filter(|i| i.status.is_open() && i.expires_at > now) {
        html.push_str(&format!(
            "\n\nInvoice #{} is still open until {}: {} {} on {}.",
            invoice.id,
            utc(invoice.expires_at),
            invoice.token.format_amount(invoice.amount),
            invoice.token.symbol(),
            invoice.chain().display_name()
        ));
    }
    html
}

/// The reply to `/verify`.
pub fn verify_html(outcome: &VerifyOutcome, now: DateTime<Utc>) -> String {
    match outcome {
        VerifyOutcome::Credited(credited) => credited_html(credited, ""),
        VerifyOutcome::AlreadyCredited { premium_until } => {
            let mut html = "✅ This payment is already credited to you.".to_string();
            if let Some(until) = premium_until.filter(|u| *u > now) {
                html.push_str(&format!(" Premium is active until <b>{}</b>.", utc(until)));
            }
            html
        }
        VerifyOutcome::Pending { reason, .. } => format!(
            "⏳ <b>Payment seen, not final yet.</b> {}\nNothing else to do: I'll message you \
             here as soon as it's confirmed.",
            escape(&reason.user_message())
        ),
        VerifyOutcome::ExplorerDown { error, .. } => format!(
            "⏳ {} You'll get a message here when it's confirmed.",
            escape(&error.user_message())
        ),
        VerifyOutcome::Rejected { invoice, reason } => rejected_html(reason, invoice.as_ref(), now),
        VerifyOutcome::NoInvoice => "You have no open invoice. Send /subscribe to get one, pay \
                                     it, then send /verify with the transaction hash."
            .to_string(),
        VerifyOutcome::BadHash(error) => escape(error.user_message()),
    }
}

/// A message the watcher asked for; `None` for notices without a chat.
pub fn notice_html(notice: &Notice, now: DateTime<Utc>) -> (i64, String) {
    match notice {
        Notice::Credited {
            chat_id,
            credited,
            matched_by_amount,
        } => {
            let how = if *matched_by_amount {
                " (found by its exact amount)"
            } else {
                ""
            };
            (*chat_id, credited_html(credited, how))
        }
        Notice::Rejected {
            chat_id,
            tx_hash,
            reason,
        } => (
            *chat_id,
            format!(
                "❌ <b>Your payment <code>{}</code> was not accepted.</b> {}",
                escape(&short_hash(tx_hash)),
                escape(&reason.user_message())
            ),
        ),
        Notice::GaveUp { chat_id, tx_hash } => (
            *chat_id,
            format!(
                "⚠️ I still couldn't confirm transaction <code>{}</code> after three days of \
                 trying. If it paid an invoice, please contact support with this hash.",
                escape(tx_hash)
            ),
        ),
        Notice::InvoiceExpired { chat_id, invoice } => (
            *chat_id,
            format!(
                "⌛ Invoice #{} ({} {} on {}) expired without a payment. If you paid it in \
                 time, send /verify with the transaction hash; otherwise /subscribe makes a \
                 new one.",
                invoice.id,
                invoice.token.format_amount(invoice.amount),
                invoice.token.symbol(),
                invoice.chain().display_name()
            ),
        ),
        Notice::RenewalDue {
            user_id,
            plan,
            premium_until,
        } => {
            let days = days_left(*premium_until, now);
            (
                // Private chats have the user's id.
                *user_id,
                format!(
                    "🔔 Your {} premium ends on <b>{}</b> (in {days} day{}). Send /subscribe \
                     to renew: a renewal adds to your current period, so renewing early \
                     loses nothing.",
                    escape(&capitalized(plan)),
                    utc(*premium_until),
                    if days == 1 { "" } else { "s" }
                ),
            )
        }
    }
}

/// Whole days until `until`, a part day counting as one.
fn days_left(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let hours = (until - now).num_hours().max(0);
    (hours + 23) / 24
}

fn short_hash(hash: &str) -> String {
    if hash.chars().count() <= 20 {
        return hash.to_string();
    }
    let head: String = hash.chars().take(10).collect();
    let tail: String = hash
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{head}…{tail}")
}

/// Today's quota line: "3 / 300".
pub fn quota(used: i64, limit: i64) -> String {
    format!("{used} / {limit}")
}

pub fn status_html(
    plan: Option<(&str, DateTime<Utc>)>,
    now: DateTime<Utc>,
    messages: (i64, i64),
    scans: (i64, i64),
    open: &[Invoice],
) -> String {
    let mut html = String::from("<b>Your plan</b>\n");
    match plan {
        Some((plan, until)) if until > now => {
            let days = days_left(until, now);
            html.push_str(&format!(
                "⭐ Premium ({}) until <b>{}</b>, {days} day{} left.\n",
                escape(&capitalized(plan)),
                utc(until),
                if days == 1 { "" } else { "s" }
            ));
        }
        Some((_, until)) => html.push_str(&format!(
            "Free. Your premium ended on {}; /subscribe to renew.\n",
            utc(until)
        )),
        None => html.push_str("Free. /subscribe for more replies and scans.\n"),
    }
    html.push_str(&format!(
        "\n<b>Today</b> (resets 00:00 UTC)\n💬 Coach replies: {}\n🔎 Token scans: {}\n",
        quota(messages.0, messages.1),
        quota(scans.0, scans.1)
    ));
    for invoice in open {
        let state = match invoice.status {
            crate::store::InvoiceStatus::Pending => "payment being confirmed",
            _ => "awaiting payment",
        };
        html.push_str(&format!(
            "\n🧾 Invoice #{}: {} {} on {}, {state}, valid until {}.",
            invoice.id,
            invoice.token.format_amount(invoice.amount),
            invoice.token.symbol(),
            invoice.chain().display_name(),
            utc(invoice.expires_at)
        ));
    }
    html
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
