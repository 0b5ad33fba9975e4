//! The payment tables on SQLite and (with TEST_DATABASE_URL) Postgres.

use super::*;
use crate::store::testing::each_store;

const USDT: &str = "0xdAC17F958D2ee523a2206206994597C13D831ec7";
const OURS: &str = "0xab6960a6511ff18Ed8B8c012cB91C7F637947Fc0";
const T0: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

fn new_invoice(user_id: i64, amount: i64) -> NewInvoice {
    NewInvoice {
        user_id,
        chat_id: user_id,
        plan: "monthly".into(),
        days: 30,
        chain: "ethereum".into(),
        token: USDT.into(),
        amount,
        recipient: OURS.into(),
        created_at: T0,
        expires_at: T0 + 3_600,
    }
}

fn credit(invoice: &InvoiceRecord, tx_hash: &str, now: i64) -> Credit {
    Credit {
        invoice_id: invoice.id,
        user_id: invoice.user_id,
        plan: invoice.plan.clone(),
        days: invoice.days,
        chain: invoice.chain.clone(),
        tx_hash: tx_hash.into(),
        token: invoice.token.clone(),
        amount: invoice.amount,
        block_time: now - 60,
        detail: "test".into(),
        now,
    }
}

fn check(invoice: &InvoiceRecord, tx_hash: &str) -> PendingCheck {
    PendingCheck {
        chain: invoice.chain.clone(),
        tx_hash: tx_hash.into(),
        invoice_id: invoice.id,
        user_id: invoice.user_id,
        chat_id: invoice.chat_id,
        attempts: 0,
        next_check_at: T0 + 30,
        last_status: "awaiting_confirmations".into(),
        created_at: T0,
    }
}

#[tokio::test]
async fn open_amounts_are_unique_per_address_and_token() {
    for (db, store) in each_store().await {
        let first = store
            .insert_invoice(&new_invoice(1, 9_990_001))
            .await
            .unwrap();
        let first = first.expect("stored");
        assert_eq!(first.status, InvoiceStatus::Created, "{db}");
        assert_eq!(
            store
                .open_invoice_amounts("ethereum", USDT, OURS)
                .await
                .unwrap(),
            vec![9_990_001]
        );
        // Another user cannot get the same open amount: the index refuses it.
        let clash = store
            .insert_invoice(&new_invoice(2, 9_990_001))
            .await
            .unwrap();
        assert_eq!(clash, None, "{db}");
        // Once paid, the amount is free again.
        store
            .credit_payment(&credit(&first, "0xaa", T0 + 60))
            .await
            .unwrap();
        assert!(
            store
                .insert_invoice(&new_invoice(2, 9_990_001))
                .await
                .unwrap()
                .is_some()
        );
        let events = store.payment_events(first.id).await.unwrap();
        let statuses: Vec<&str> = events.iter().map(|e| e.status.as_str()).collect();
        assert_eq!(statuses, ["created", "confirmed"], "{db}");
    }
}

#[tokio::test]
async fn a_transaction_credits_once_and_the_second_invoice_is_told_already_used() {
    for (db, store) in each_store().await {
        let first = store
            .insert_invoice(&new_invoice(1, 9_990_001))
            .await
            .unwrap()
            .unwrap();
        let second = store
            .insert_invoice(&new_invoice(2, 9_990_002))
            .await
            .unwrap()
            .unwrap();
        let outcome = store
            .credit_payment(&credit(&first, "0xbeef", T0 + 60))
            .await
            .unwrap();
        assert_eq!(
            outcome,
            CreditOutcome::Credited {
                premium_until: T0 + 60 + 30 * DAY
            },
            "{db}"
        );
        let again = store
            .credit_payment(&credit(&second, "0xbeef", T0 + 70))
            .await
            .unwrap();
        assert_eq!(
            again,
            CreditOutcome::AlreadyUsed {
                invoice_id: first.id
            },
            "{db}"
        );
        assert_eq!(
            store.invoice(second.id).await.unwrap().unwrap().status,
            InvoiceStatus::Created
        );
        assert!(
            store.subscription(2).await.unwrap().is_none(),
            "{db}: nothing credited"
        );
        let audit = store.payment_events(second.id).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.status == "rejected" && e.detail.starts_with("already_used")),
            "{db}: {audit:?}"
        );
        // The same hash on another chain is another transaction.
        let tron = NewInvoice {
            chain: "tron".into(),
            ..new_invoice(3, 9_990_003)
        };
        let tron = store.insert_invoice(&tron).await.unwrap().unwrap();
        let other_chain = store
            .credit_payment(&credit(&tron, "0xbeef", T0 + 80))
            .await
            .unwrap();
        assert!(
            matches!(other_chain, CreditOutcome::Credited { .. }),
            "{db}"
        );
    }
}

#[tokio::test]
async fn fifty_concurrent_credits_of_one_transaction_credit_exactly_one() {
    for (db, store) in each_store().await {
        let mut invoices = Vec::new();
        for user in 0..50 {
            let invoice = new_invoice(100 + user, 9_990_001 + user);
            invoices.push(store.insert_invoice(&invoice).await.unwrap().unwrap());
        }
        let tasks: Vec<_> = invoices
            .iter()
            .map(|invoice| {
                let store = store.clone();
                let credit = credit(invoice, "0xdouble", T0 + 60);
                tokio::spawn(async move { store.credit_payment(&credit).await })
            })
            .collect();
        let mut credited = 0;
        let mut refused = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                CreditOutcome::Credited { .. } => credited += 1,
                CreditOutcome::AlreadyUsed { .. } => refused += 1,
            }
        }
        assert_eq!((credited, refused), (1, 49), "{db}");
        let mut premium_users = 0;
        let mut paid_invoices = 0;
        for invoice in &invoices {
            premium_users += i32::from(store.is_premium(invoice.user_id, T0 + 61).await.unwrap());
            paid_invoices += i32::from(
                store.invoice(invoice.id).await.unwrap().unwrap().status == InvoiceStatus::Paid,
            );
        }
        assert_eq!((premium_users, paid_invoices), (1, 1), "{db}");
    }
}

#[tokio::test]
async fn renewals_extend_from_the_current_expiry_and_lapsed_ones_from_now() {
    for (db, store) in each_store().await {
        let first = store
            .insert_invoice(&new_invoice(7, 9_990_001))
            .await
            .unwrap()
            .unwrap();
        let start = T0 + 100;
        store
            .credit_payment(&credit(&first, "0x01", start))
            .await
            .unwrap();
        // Renewed ten days in: the new month starts when the current one ends.
        let renewal = store
            .insert_invoice(&new_invoice(7, 9_990_002))
            .await
            .unwrap()
            .unwrap();
        let renewed = store
            .credit_payment(&credit(&renewal, "0x02", start + 10 * DAY))
            .await
            .unwrap();
        assert_eq!(
            renewed,
            CreditOutcome::Credited {
                premium_until: start + 60 * DAY
            },
            "{db}"
        );
        // Long after it lapsed: the new period counts from the payment.
        let late = store
            .insert_invoice(&new_invoice(7, 9_990_003))
            .await
            .unwrap()
            .unwrap();
        let much_later = start + 200 * DAY;
        let relapsed = store
            .credit_payment(&credit(&late, "0x03", much_later))
            .await
            .unwrap();
        assert_eq!(
            relapsed,
            CreditOutcome::Credited {
                premium_until: much_later + 30 * DAY
            },
            "{db}"
        );
        assert_eq!(store.payment_count(7).await.unwrap(), 3);
    }
}

#[tokio::test]
async fn invoices_expire_unless_a_transaction_is_still_being_checked() {
    for (db, store) in each_store().await {
        let idle = store
            .insert_invoice(&new_invoice(1, 9_990_001))
            .await
            .unwrap()
            .unwrap();
        let waiting = store
            .insert_invoice(&new_invoice(2, 9_990_002))
            .await
            .unwrap()
            .unwrap();
        assert!(
            store
                .add_pending_check(&check(&waiting, "0xslow"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .add_pending_check(&check(&waiting, "0xslow"))
                .await
                .unwrap()
        );
        assert_eq!(
            store.invoice(waiting.id).await.unwrap().unwrap().status,
            InvoiceStatus::Pending,
            "{db}"
        );
        assert!(
            store.expire_invoices(T0 + 3_600).await.unwrap().is_empty(),
            "not yet"
        );
        let expired = store.expire_invoices(T0 + 3_601).await.unwrap();
        assert_eq!(
            expired.iter().map(|i| i.id).collect::<Vec<_>>(),
            [idle.id],
            "{db}"
        );
        // An expired invoice is still offered for /verify for a while (to say "expired").
        let listed = store.invoices_to_verify(1, T0).await.unwrap();
        assert_eq!(listed[0].status, InvoiceStatus::Expired);
        assert!(
            store
                .invoices_to_verify(1, T0 + 7_200)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn pending_checks_come_due_reschedule_and_finish() {
    for (db, store) in each_store().await {
        let invoice = store
            .insert_invoice(&new_invoice(1, 9_990_001))
            .await
            .unwrap()
            .unwrap();
        let pending = check(&invoice, "0xslow");
        store.add_pending_check(&pending).await.unwrap();
        assert!(
            store
                .due_pending_checks(T0 + 29, 10)
                .await
                .unwrap()
                .is_empty(),
            "{db}"
        );
        let due = store.due_pending_checks(T0 + 30, 10).await.unwrap();
        assert_eq!(due, vec![pending.clone()], "{db}");
        store
            .reschedule_pending_check(&pending, 1, T0 + 90, "explorer_unavailable")
            .await
            .unwrap();
        assert!(
            store
                .due_pending_checks(T0 + 60, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let later = store.due_pending_checks(T0 + 90, 10).await.unwrap();
        assert_eq!(
            (later[0].attempts, later[0].last_status.as_str()),
            (1, "explorer_unavailable")
        );
        assert_eq!(
            store
                .pending_checks_for_tx("ethereum", "0xslow")
                .await
                .unwrap()
                .len(),
            1
        );
        store
            .finish_pending_check(&pending, "rejected", "wrong_recipient", T0 + 95)
            .await
            .unwrap();
        assert!(
            store
                .due_pending_checks(T0 + 1_000, 10)
                .await
                .unwrap()
                .is_empty()
        );
        // The invoice can be paid again by a correct transaction.
        assert_eq!(
            store.invoice(invoice.id).await.unwrap().unwrap().status,
            InvoiceStatus::Created,
            "{db}"
        );
        let statuses: Vec<String> = store
            .payment_events(invoice.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.status)
            .collect();
        assert_eq!(statuses, ["created", "pending", "rejected"], "{db}");
    }
}

#[tokio::test]
async fn a_credit_clears_its_pending_check() {
    for (db, store) in each_store().await {
        let invoice = store
            .insert_invoice(&new_invoice(1, 9_990_001))
            .await
            .unwrap()
            .unwrap();
        store
            .add_pending_check(&check(&invoice, "0xslow"))
            .await
            .unwrap();
        store
            .credit_payment(&credit(&invoice, "0xslow", T0 + 300))
            .await
            .unwrap();
        assert!(
            store
                .due_pending_checks(i64::MAX, 10)
                .await
                .unwrap()
                .is_empty(),
            "{db}"
        );
        assert_eq!(
            store.payment_invoice("ethereum", "0xslow").await.unwrap(),
            Some(invoice.id)
        );
    }
}

#[tokio::test]
async fn the_renewal_reminder_is_due_once_per_expiry() {
    for (db, store) in each_store().await {
        let invoice = store
            .insert_invoice(&new_invoice(9, 9_990_001))
            .await
            .unwrap()
            .unwrap();
        store
            .credit_payment(&credit(&invoice, "0x09", T0))
            .await
            .unwrap();
        let until = T0 + 30 * DAY;
        let window = 3 * DAY;
        assert!(
            store
                .due_renewal_reminders(until - window - 1, window)
                .await
                .unwrap()
                .is_empty()
        );
        let due = store
            .due_renewal_reminders(until - window, window)
            .await
            .unwrap();
        assert_eq!(due.len(), 1, "{db}");
        assert_eq!(due[0].premium_until, until);
        assert!(store.claim_renewal_reminder(9, until).await.unwrap());
        assert!(
            !store.claim_renewal_reminder(9, until).await.unwrap(),
            "{db}: only once"
        );
        assert!(
            store
                .due_renewal_reminders(until - 60, window)
                .await
                .unwrap()
                .is_empty()
        );
        // A renewal moves the expiry, so the next one gets its own reminder.
        let renewal = store
            .insert_invoice(&new_invoice(9, 9_990_002))
            .await
            .unwrap()
            .unwrap();
        store
            .credit_payment(&credit(&renewal, "0x10", until - DAY))
            .await
            .unwrap();
        let next = store
            .due_renewal_reminders(until + 28 * DAY, window)
            .await
            .unwrap();
        assert_eq!(next.len(), 1, "{db}");
        assert_eq!(next[0].premium_until, until + 30 * DAY);
    }
}
