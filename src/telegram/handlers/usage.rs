//! /usage: a trader's own replies, tokens and cost, today and this month.

use chrono::Datelike;

use super::{BotContext, reply};
use crate::store::{UsageTotals, utc_day};

pub async fn show(ctx: &BotContext, chat_id: i64, user_id: i64) {
    let now = chrono::Utc::now();
    let today = utc_day(now.timestamp());
    let month_start = utc_day(
        now.date_naive()
            .with_day(1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(now.timestamp(), |d| d.and_utc().timestamp()),
    );
    let totals = async {
        let day = ctx.store.usage_totals(user_id, today, today).await?;
        let month = ctx.store.usage_totals(user_id, month_start, today).await?;
        Ok::<_, crate::store::StoreError>((day, month))
    }
    .await;
    let html = match totals {
        Ok((day, month)) => format!(
            "<b>Your usage</b>\n\n<b>Today</b>\n{}\n\n<b>{}</b>\n{}",
            describe(&day),
            now.format("%B %Y"),
            describe(&month)
        ),
        Err(error) => {
            tracing::error!(%error, "usage lookup failed");
            super::MEMORY_UNAVAILABLE.to_string()
        }
    };
    reply(ctx, chat_id, &html).await;
}

fn describe(totals: &UsageTotals) -> String {
    format!(
        "{} {} · {} tokens ({} in, {} out) · ${:.4}",
        totals.replies,
        if totals.replies == 1 {
            "reply"
        } else {
            "replies"
        },
        totals.prompt_tokens + totals.completion_tokens,
        totals.prompt_tokens,
        totals.completion_tokens,
        totals.cost_micros as f64 / 1e6
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_read_naturally() {
        let totals = UsageTotals {
            replies: 1,
            prompt_tokens: 1200,
            completion_tokens: 300,
            cost_micros: 1_234,
        };
        assert_eq!(
            describe(&totals),
            "1 reply · 1500 tokens (1200 in, 300 out) · $0.0012"
        );
    }
}
