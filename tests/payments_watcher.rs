//! The payment watcher against the chain simulators: pending payments confirm by
//! themselves, an explorer outage only delays, a transfer of an invoice's exact amount is
//! credited without a hash, renewals extend and are reminded once, unpaid invoices expire.

mod payments_support;

use chrono::{Duration, Utc};
use payments_support::{OUR_SOL, OUR_TRON, at, invoice_for, ledger, our_eth};
use tiltguard::payments::ledger::{CreditResult, VerifyOutcome};
use tiltguard::payments::tokens::{ETHEREUM_USDT, SOLANA_USDC, TRON_USDT};
use tiltguard::payments::verdict::Confirmed;
use tiltguard::payments::watcher::token_account::associated_token_address;
use tiltguard::payments::watcher::{Notice, Watcher};
use tiltguard::payments::{Amount, TxRef};
use tiltguard::store::InvoiceStatus;
use tiltguard::store::testing::{each_store, fresh_sqlite};
use tiltguard_sim::chains::{Api, ChainSim, Commitment, Mode};

fn watcher(ledger: &tiltguard::payments::ledger::Ledger) -> Watcher {
    Watcher::new(ledger.clone(), reqwest::Client::new())
}

fn credited_invoices(notices: &[Notice]) -> Vec<(i64, bool)> {
    notices
        .iter()
        .filter_map(|notice| match notice {
            Notice::Credited {
                credited,
                matched_by_amount,
                ..
            } => Some((credited.invoice.id, *matched_by_amount)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_pending_payment_is_confirmed_by_the_watcher_once_deep_enough() {
    for (db, store) in each_store().await {
        // A chain of its own per database: the first run's payment would otherwise pay the
        // second run's invoice by its amount.
        let sim = ChainSim::start().await.expect("simulator");
        let ledger = ledger(&store, &sim);
        let watcher = watcher(&ledger);
        let now = Utc::now();
        let invoice = invoice_for(
            &store,
            1,
            ETHEREUM_USDT,
            &our_eth(),
            9_990_001,
            (now.timestamp() - 60, now.timestamp() + 3_600),
        )
        .await;
        let hash = sim.pay_eth(
            ETHEREUM_USDT.contract(),
            &our_eth(),
            9_990_001,
            now.timestamp() as u64,
        );
        let verdict = ledger.verify_hash(1, 1, &hash, now).await.unwrap();
        assert!(
            matches!(verdict, VerifyOutcome::Pending { .. }),
            "{db}: {verdict:?}"
        );
        // Due, but still one confirmation: rescheduled, nobody is told anything yet.
        let early = watcher.tick(now + Duration::seconds(5)).await;
        assert!(credited_invoices(&early).is_empty(), "{db}: {early:?}");
        sim.mine_eth_blocks(11);
        let notices = watcher.tick(now + Duration::seconds(60)).await;
        assert_eq!(credited_invoices(&notices), [(invoice.id, false)], "{db}");
        assert_eq!(
            store.invoice(invoice.id).await.unwrap().unwrap().status,
            InvoiceStatus::Paid
        );
        assert!(
            store
                .due_pending_checks(i64::MAX, 10)
                .await
                .unwrap()
                .is_empty(),
            "{db}"
        );
        let statuses: Vec<String> = store
            .payment_events(invoice.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.status)
            .collect();
        assert_eq!(statuses, ["created", "pending", "confirmed"], "{db}");
        // Nothing is credited twice on later rounds.
        assert!(credited_invoices(&watcher.tick(now + Duration::seconds(120)).await).is_empty());
    }
}

#[tokio::test]
async fn an_explorer_outage_keeps_the_payment_pending_until_it_recovers() {
    let sim = ChainSim::start().await.expect("simulator");
    let store = fresh_sqlite().await;
    let ledger = ledger(&store, &sim);
    let watcher = watcher(&ledger);
    let now = Utc::now();
    let invoice = invoice_for(
        &store,
        7,
        TRON_USDT,
        OUR_TRON,
        9_990_001,
        (now.timestamp() - 60, now.timestamp() + 3_600),
    )
    .await;
    let hash = sim.pay_tron(
        TRON_USDT.contract(),
        OUR_TRON,
        9_990_001,
        now.timestamp() as u64,
        true,
    );
    sim.set_mode(Api::Tronscan, Mode::Down);
    let verdict = ledger.verify_hash(7, 7, &hash, now).await.unwrap();
    let VerifyOutcome::ExplorerDown { error, .. } = &verdict else {
        panic!("expected the outage to be reported: {verdict:?}");
    };
    assert!(error.user_message().contains("TRON"), "{error}");
    // Still down on the first re-check: backed off, not forgotten.
    assert!(credited_invoices(&watcher.tick(now + Duration::seconds(5)).await).is_empty());
    let waiting = store.pending_checks_for_tx("tron", &hash).await.unwrap();
    assert_eq!(waiting[0].attempts, 1);
    assert!(
        waiting[0].last_status.starts_with("explorer_unavailable"),
        "{:?}",
        waiting[0]
    );
    sim.set_mode(Api::Tronscan, Mode::Up);
    let notices = watcher.tick(now + Duration::seconds(60)).await;
    assert_eq!(credited_invoices(&notices), [(invoice.id, false)]);
}

#[tokio::test]
async fn exact_amounts_are_credited_without_a_hash_on_every_chain() {
    let sim = ChainSim::start().await.expect("simulator");
    let store = fresh_sqlite().await;
    let ledger = ledger(&store, &sim);
    let watcher = watcher(&ledger);
    let now = Utc::now();
    let eth = ledger
        .create_invoice(1, 1, "monthly", ETHEREUM_USDT, now)
        .await
        .unwrap();
    let tron = ledger
        .create_invoice(2, 2, "yearly", TRON_USDT, now)
        .await
        .unwrap();
    let sol = ledger
        .create_invoice(3, 3, "monthly", SOLANA_USDC, now)
        .await
        .unwrap();
    // A second open invoice to the same address gets the next sub-cent amount.
    let eth_other = ledger
        .create_invoice(4, 4, "monthly", ETHEREUM_USDT, now)
        .await
        .unwrap();
    assert_eq!(eth.amount, Amount::from_base_units(9_990_001));
    assert_eq!(eth_other.amount, Amount::from_base_units(9_990_002));
    assert_eq!(tron.amount, Amount::from_base_units(99_000_001));
    let paid_at = now.timestamp() as u64 + 30;
    let units = |amount: Amount| amount.base_units();
    sim.pay_eth(
        ETHEREUM_USDT.contract(),
        &our_eth(),
        units(eth.amount),
        paid_at,
    );
    // One base unit more than the other invoice: not its exact amount, so no match.
    sim.pay_eth(
        ETHEREUM_USDT.contract(),
        &our_eth(),
        units(eth_other.amount) + 1,
        paid_at,
    );
    sim.mine_eth_blocks(11);
    sim.pay_tron(
        TRON_USDT.contract(),
        OUR_TRON,
        units(tron.amount),
        paid_at,
        true,
    );
    let ata = associated_token_address(OUR_SOL, SOLANA_USDC.contract()).unwrap();
    sim.pay_solana(
        SOLANA_USDC.contract(),
        OUR_SOL,
        &ata,
        units(sol.amount),
        paid_at,
        Commitment::Finalized,
    );

    let notices = watcher.tick(now + Duration::seconds(40)).await;
    let mut credited = credited_invoices(&notices);
    credited.sort_unstable();
    assert_eq!(
        credited,
        [(eth.id, true), (tron.id, true), (sol.id, true)],
        "{notices:?}"
    );
    assert!(
        store
            .is_premium(2, now.timestamp() + 364 * 86_400)
            .await
            .unwrap(),
        "yearly plan"
    );
    assert_eq!(
        store.invoice(eth_other.id).await.unwrap().unwrap().status,
        InvoiceStatus::Created
    );
    // The next round finds nothing new.
    assert!(credited_invoices(&watcher.tick(now + Duration::seconds(80)).await).is_empty());
}

#[tokio::test]
async fn a_matched_transfer_that_is_not_final_is_credited_when_it_is() {
    let sim = ChainSim::start().await.expect("simulator");
    let store = fresh_sqlite().await;
    let ledger = ledger(&store, &sim);
    let watcher = watcher(&ledger);
    let now = Utc::now();
    let sol = ledger
        .create_invoice(5, 5, "monthly", SOLANA_USDC, now)
        .await
        .unwrap();
    let ata = associated_token_address(OUR_SOL, SOLANA_USDC.contract()).unwrap();
    let signature = sim.pay_solana(
        SOLANA_USDC.contract(),
        OUR_SOL,
        &ata,
        sol.amount.base_units(),
        now.timestamp() as u64,
        Commitment::Confirmed,
    );
    assert!(credited_invoices(&watcher.tick(now + Duration::seconds(5)).await).is_empty());
    assert_eq!(
        store
            .pending_checks_for_tx("solana", &signature)
            .await
            .unwrap()
            .len(),
        1
    );
    sim.set_solana_commitment(&signature, Commitment::Finalized);
    let notices = watcher.tick(now + Duration::seconds(60)).await;
    assert_eq!(credited_invoices(&notices), [(sol.id, false)]);
}

#[tokio::test]
async fn renewals_extend_from_the_current_expiry_and_are_reminded_once() {
    let sim = ChainSim::start().await.expect("simulator");
    let store = fresh_sqlite().await;
    let ledger = ledger(&store, &sim);
    let watcher = watcher(&ledger);
    let start = Utc::now();
    let pay = |invoice: &tiltguard::payments::ledger::Invoice, hash: &str, when| {
        let confirmed = Confirmed {
            token: invoice.token,
            amount: invoice.amount,
            to: invoice.recipient.clone(),
            block_time: when,
            confirmations: Some(12),
        };
        let tx = TxRef {
            chain: invoice.chain(),
            hash: hash.to_string(),
        };
        let ledger = ledger.clone();
        let invoice = invoice.clone();
        async move {
            ledger
                .credit(&invoice, &tx, &confirmed, "test", when)
                .await
                .unwrap()
        }
    };
    let first = ledger
        .create_invoice(9, 9, "monthly", ETHEREUM_USDT, start)
        .await
        .unwrap();
    let CreditResult::Credited(one) = pay(&first, "0x01", start).await else {
        panic!("credited")
    };
    assert_eq!(one.premium_until, at(start.timestamp() + 30 * 86_400));
    // Renewed with 25 days left: the new month is added to the end of the current one.
    let renew_at = start + Duration::days(5);
    let second = ledger
        .create_invoice(9, 9, "monthly", ETHEREUM_USDT, renew_at)
        .await
        .unwrap();
    let CreditResult::Credited(two) = pay(&second, "0x02", renew_at).await else {
        panic!("credited")
    };
    assert_eq!(two.premium_until, at(start.timestamp() + 60 * 86_400));

    let until = two.premium_until;
    assert!(
        watcher
            .tick(until - Duration::days(4))
            .await
            .iter()
            .all(|n| !matches!(n, Notice::RenewalDue { .. }))
    );
    let due = watcher
        .tick(until - Duration::days(3) + Duration::minutes(1))
        .await;
    let reminders: Vec<_> = due
        .iter()
        .filter(|n| matches!(n, Notice::RenewalDue { .. }))
        .collect();
    assert_eq!(reminders.len(), 1, "{due:?}");
    assert!(
        matches!(reminders[0], Notice::RenewalDue { user_id: 9, premium_until, .. } if *premium_until == until)
    );
    let later = watcher.tick(until - Duration::days(1)).await;
    assert!(
        later
            .iter()
            .all(|n| !matches!(n, Notice::RenewalDue { .. })),
        "once per expiry"
    );
}

#[tokio::test]
async fn unpaid_invoices_expire_and_the_trader_is_told() {
    let sim = ChainSim::start().await.expect("simulator");
    let store = fresh_sqlite().await;
    let ledger = ledger(&store, &sim);
    let watcher = watcher(&ledger);
    let now = Utc::now();
    let invoice = ledger
        .create_invoice(11, 11, "monthly", TRON_USDT, now)
        .await
        .unwrap();
    // Open a little past its deadline, for a payment made in time but listed late.
    assert!(watcher.tick(now + Duration::minutes(61)).await.is_empty());
    let notices = watcher.tick(now + Duration::minutes(76)).await;
    assert!(
        matches!(&notices[..], [Notice::InvoiceExpired { chat_id: 11, invoice: expired }] if expired.id == invoice.id),
        "{notices:?}"
    );
    assert_eq!(
        store.invoice(invoice.id).await.unwrap().unwrap().status,
        InvoiceStatus::Expired
    );
    // Its amount is free for the next invoice.
    let next = ledger
        .create_invoice(12, 12, "monthly", TRON_USDT, now + Duration::minutes(77))
        .await
        .unwrap();
    assert_eq!(next.amount, invoice.amount);
}

#[tokio::test]
async fn a_payment_made_in_time_but_listed_after_the_deadline_still_counts() {
    let sim = ChainSim::start().await.expect("simulator");
    let store = fresh_sqlite().await;
    let ledger = ledger(&store, &sim);
    let watcher = watcher(&ledger);
    let now = Utc::now();
    // Both invoices ran out five minutes ago.
    let opened = now - Duration::minutes(65);
    let in_time = ledger
        .create_invoice(21, 21, "monthly", TRON_USDT, opened)
        .await
        .unwrap();
    let too_late = ledger
        .create_invoice(22, 22, "monthly", TRON_USDT, opened)
        .await
        .unwrap();
    let before_deadline = (now - Duration::minutes(10)).timestamp() as u64;
    let after_deadline = (now - Duration::minutes(2)).timestamp() as u64;
    sim.pay_tron(
        TRON_USDT.contract(),
        OUR_TRON,
        in_time.amount.base_units(),
        before_deadline,
        true,
    );
    sim.pay_tron(
        TRON_USDT.contract(),
        OUR_TRON,
        too_late.amount.base_units(),
        after_deadline,
        true,
    );
    let notices = watcher.tick(now).await;
    assert_eq!(
        credited_invoices(&notices),
        [(in_time.id, true)],
        "{notices:?}"
    );
    let expired = watcher.tick(now + Duration::minutes(11)).await;
    assert!(
        matches!(&expired[..], [Notice::InvoiceExpired { invoice, .. }] if invoice.id == too_late.id),
        "{expired:?}"
    );
}

#[tokio::test]
async fn a_payment_that_never_becomes_checkable_is_given_up_after_three_days() {
    let sim = ChainSim::start().await.expect("simulator");
    let store = fresh_sqlite().await;
    let ledger = ledger(&store, &sim);
    let watcher = watcher(&ledger);
    let now = Utc::now();
    let invoice = ledger
        .create_invoice(31, 31, "monthly", ETHEREUM_USDT, now)
        .await
        .unwrap();
    let hash = sim.pay_eth(
        ETHEREUM_USDT.contract(),
        &our_eth(),
        invoice.amount.base_units(),
        now.timestamp() as u64,
    );
    sim.set_mode(Api::Etherscan, Mode::Down);
    let verdict = ledger.verify_hash(31, 31, &hash, now).await.unwrap();
    assert!(
        matches!(verdict, VerifyOutcome::ExplorerDown { .. }),
        "{verdict:?}"
    );
    assert!(
        watcher
            .tick(now + Duration::days(2))
            .await
            .iter()
            .all(|n| !matches!(n, Notice::GaveUp { .. }))
    );
    let notices = watcher
        .tick(now + Duration::days(3) + Duration::hours(1))
        .await;
    assert!(
        notices
            .iter()
            .any(|n| matches!(n, Notice::GaveUp { chat_id: 31, tx_hash } if *tx_hash == hash)),
        "{notices:?}"
    );
    let events = store.payment_events(invoice.id).await.unwrap();
    let statuses: Vec<&str> = events.iter().map(|e| e.status.as_str()).collect();
    // Given up, then (long past its deadline) the invoice expires in the same round.
    assert_eq!(statuses, ["created", "pending", "abandoned", "expired"]);
    assert!(
        store
            .pending_checks_for_tx("ethereum", &hash)
            .await
            .unwrap()
            .is_empty()
    );
}
