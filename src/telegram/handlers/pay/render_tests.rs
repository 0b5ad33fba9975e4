//! Every payment message is valid Telegram HTML and says what the trader needs.

use chrono::{DateTime, Duration, Utc};
use tiltguard_sim::telegram::html::parse_html;

use super::*;
use crate::payments::Amount;
use crate::payments::error::VerifyError;
use crate::payments::hash::{HashError, TxRef};
use crate::payments::plans::parse_plans;
use crate::payments::tokens::TRON_USDT;
use crate::payments::verdict::PendingReason;
use crate::store::InvoiceStatus;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn invoice() -> Invoice {
    Invoice {
        id: 42,
        user_id: 7,
        chat_id: 7,
        plan: "monthly".into(),
        days: 30,
        token: TRON_USDT,
        amount: Amount::from_base_units(9_990_017),
        recipient: "TG1YyTqihYBVjbzaoEm5gUdiZDNwHndhRg".into(),
        status: InvoiceStatus::Created,
        created_at: now(),
        expires_at: now() + Duration::minutes(60),
    }
}

/// The text a trader sees, after Telegram parsed the HTML (which must parse).
fn shown(html: &str) -> String {
    parse_html(html)
        .unwrap_or_else(|e| panic!("Telegram would refuse {html:?}: {e:?}"))
        .text
}

#[test]
fn the_invoice_names_amount_address_network_contract_expiry_and_verify() {
    let html = invoice_html(&invoice(), now());
    assert!(html.contains("<code>9.990017</code>"), "{html}");
    assert!(
        html.contains("<code>TG1YyTqihYBVjbzaoEm5gUdiZDNwHndhRg</code>"),
        "{html}"
    );
    assert!(
        html.contains("<code>TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t</code>"),
        "{html}"
    );
    let text = shown(&html);
    assert!(text.contains("Invoice #42"), "{text}");
    assert!(text.contains("Only USDT on TRON."), "{text}");
    assert!(text.contains("(…0017)"), "{text}");
    assert!(
        text.contains("Valid until 2027-01-15 09:00 UTC (60 min)"),
        "{text}"
    );
    assert!(text.contains("send /verify <tx hash>"), "{text}");
}

#[test]
fn every_verify_outcome_reads_as_one_clear_answer() {
    let credited = Credited {
        invoice: invoice(),
        tx: TxRef {
            chain: crate::payments::Chain::Tron,
            hash: "ab".repeat(32),
        },
        token: TRON_USDT,
        amount: Amount::from_base_units(9_990_017),
        premium_until: now() + Duration::days(30),
    };
    let cases: Vec<(VerifyOutcome, &str)> = vec![
        (
            VerifyOutcome::Credited(credited),
            "Payment confirmed: 9.990017 USDT received on TRON for invoice #42.\n⭐ Premium is active until 2027-02-14 08:00 UTC.",
        ),
        (
            VerifyOutcome::Pending {
                invoice: invoice(),
                reason: PendingReason::Confirmations { have: 3, need: 12 },
            },
            "(3/12 confirmations)",
        ),
        (
            VerifyOutcome::ExplorerDown {
                invoice: invoice(),
                error: VerifyError::Unavailable {
                    chain: crate::payments::Chain::Tron,
                    detail: "HTTP 503".into(),
                },
            },
            "can't reach the TRON network",
        ),
        (
            VerifyOutcome::Rejected {
                invoice: Some(invoice()),
                reason: RejectReason::Underpaid {
                    token: TRON_USDT,
                    expected: Amount::from_base_units(9_990_017),
                    received: Amount::from_base_units(9_990_016),
                },
            },
            "0.000001 USDT is missing",
        ),
        (VerifyOutcome::NoInvoice, "no open invoice"),
        (
            VerifyOutcome::BadHash(HashError::Empty),
            "/verify followed by the hash",
        ),
        (
            VerifyOutcome::AlreadyCredited {
                premium_until: None,
            },
            "already credited to you",
        ),
    ];
    for (outcome, expected) in cases {
        let text = shown(&verify_html(&outcome, now()));
        assert!(text.contains(expected), "{outcome:?}: {text}");
        assert!(
            !text.contains("&lt;") && !text.contains("&amp;"),
            "double escaped: {text}"
        );
    }
    let rejected = VerifyOutcome::Rejected {
        invoice: Some(invoice()),
        reason: RejectReason::AlreadyUsed,
    };
    let text = shown(&verify_html(&rejected, now()));
    assert!(
        text.starts_with("❌ Not accepted. This transaction has already been used"),
        "{text}"
    );
    assert!(
        text.contains("Invoice #42 is still open until 2027-01-15 09:00 UTC"),
        "{text}"
    );
}

#[test]
fn notices_go_to_the_right_chat() {
    let expired = Notice::InvoiceExpired {
        chat_id: 7,
        invoice: invoice(),
    };
    let (chat, html) = notice_html(&expired, now());
    assert_eq!(chat, 7);
    assert!(shown(&html).contains("Invoice #42 (9.990017 USDT on TRON) expired"));
    let reminder = Notice::RenewalDue {
        user_id: 9,
        plan: "yearly".into(),
        premium_until: now() + Duration::days(3),
    };
    let (chat, html) = notice_html(&reminder, now());
    assert_eq!(chat, 9, "a private chat has the user's id");
    let text = shown(&html);
    assert!(
        text.contains("Your Yearly premium ends on 2027-01-18 08:00 UTC (in 3 days)"),
        "{text}"
    );
    let rejected = Notice::Rejected {
        chat_id: 7,
        tx_hash: "0x".to_string() + &"cd".repeat(32),
        reason: RejectReason::Failed,
    };
    let text = shown(&notice_html(&rejected, now()).1);
    assert!(
        text.contains("0xcdcdcdcd…cdcdcd was not accepted"),
        "{text}"
    );
}

#[test]
fn status_shows_plan_expiry_and_quotas() {
    let until = now() + Duration::days(10);
    let text = shown(&status_html(
        Some(("monthly", until)),
        now(),
        (3, 300),
        (1, 100),
        &[invoice()],
    ));
    assert!(
        text.contains("Premium (Monthly) until 2027-01-25 08:00 UTC, 10 days left."),
        "{text}"
    );
    assert!(
        text.contains("Coach replies: 3 / 300") && text.contains("Token scans: 1 / 100"),
        "{text}"
    );
    assert!(
        text.contains("Invoice #42: 9.990017 USDT on TRON, awaiting payment"),
        "{text}"
    );
    let lapsed = shown(&status_html(
        Some(("monthly", now() - Duration::days(1))),
        now(),
        (0, 30),
        (0, 10),
        &[],
    ));
    assert!(
        lapsed.contains("Your premium ended on 2027-01-14 08:00 UTC"),
        "{lapsed}"
    );
}

#[test]
fn the_plan_picker_lists_perks_and_prices() {
    let plans = parse_plans("monthly=9.99/30,yearly=99/365").unwrap();
    let perks = Perks {
        free_messages: 30,
        premium_messages: 300,
        free_scans: 10,
        premium_scans: 100,
    };
    let text = shown(&plans_html(&perks, Some(now()), &plans));
    assert!(
        text.contains("300 coach replies a day (free: 30)"),
        "{text}"
    );
    assert!(text.contains("• Yearly — $99.00 for 365 days"), "{text}");
    assert!(
        text.contains("runs until 2027-01-15 08:00 UTC; a renewal adds to it"),
        "{text}"
    );
    assert!(shown(&networks_html(&plans[0])).contains("Monthly — $9.99 for 30 days."));
}
