//! The ledger path of `/verify`: recorded transactions and the spoof family, replayed by the
//! chain simulators, get their verdicts *and* the matching database effect; one transaction
//! credits exactly once, on SQLite and Postgres.

mod payments_support;

use payments_support::{at, invoice_for, ledger};
use tiltguard::payments::ledger::VerifyOutcome;
use tiltguard::payments::tokens::{ETHEREUM_USDT, SOLANA_USDC, TRON_USDT, Token};
use tiltguard::payments::verdict::RejectReason;
use tiltguard::store::testing::{each_store, fresh_sqlite};
use tiltguard::store::{InvoiceStatus, Store};
use tiltguard_sim::chains::{
    ChainSim, ETH_DOCS_RECEIPT_BLOCK_TIME, ETH_DOCS_RECEIPT_HASH, SOLANA_SOL_SIGNATURE,
    SOLANA_USDC_SIGNATURE, Spoof, SpoofedTx, TRON_TRX_HASH, TRON_USDT_HASH,
};

/// "confirmed", "pending/<id>", "rejected/<id>": the verdict as the trader hears it.
fn outcome(outcome: &VerifyOutcome) -> String {
    match outcome {
        VerifyOutcome::Credited(_) => "confirmed".into(),
        VerifyOutcome::AlreadyCredited { .. } => "already_credited".into(),
        VerifyOutcome::Pending { reason, .. } => format!("pending/{}", reason.id()),
        VerifyOutcome::ExplorerDown { .. } => "explorer_down".into(),
        VerifyOutcome::Rejected { reason, .. } => format!("rejected/{}", reason.id()),
        VerifyOutcome::NoInvoice => "no_invoice".into(),
        VerifyOutcome::BadHash(_) => "bad_hash".into(),
    }
}

struct Recorded {
    hash: &'static str,
    payee: &'static str,
    token: Token,
    /// What the invoice asks (the amount paid, or one base unit where nothing pays).
    amount: u128,
    block_time: i64,
    expected: &'static str,
}

const RECORDED: [Recorded; 9] = [
    Recorded {
        hash: ETH_DOCS_RECEIPT_HASH,
        payee: "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0",
        token: ETHEREUM_USDT,
        amount: 20_939_174,
        block_time: ETH_DOCS_RECEIPT_BLOCK_TIME as i64,
        expected: "confirmed",
    },
    Recorded {
        hash: "0x77361870fdc3046f7c24cabafa7185a84d60f4fa12aef8363e8520fbdd003cc7",
        payee: "0x40fbc37ff0e4d3f900b867f2ca48ae6aba77c854",
        token: ETHEREUM_USDT,
        amount: 495_264_069,
        block_time: 1_671_121_931,
        expected: "pending/awaiting_confirmations",
    },
    Recorded {
        hash: "0xd3d529d0d420e38680ad9066a5d62434a04b01e94b00b81fc5fea303afbda076",
        payee: "0xf7140bb010da74a191e3c98f801e596937f177fb",
        token: ETHEREUM_USDT,
        amount: 4_496_800_000,
        block_time: 1_671_121_907,
        expected: "pending/awaiting_confirmations",
    },
    Recorded {
        hash: "0xe8c208398bd5ae8e4c237658580db56a2a94dfa0ca382c99b776fa6e7d31d5b4",
        payee: "0x4e83362442b8d1bec281594cea3050c8eb01311c",
        token: ETHEREUM_USDT,
        amount: 1,
        block_time: 1_513_240_363,
        expected: "rejected/wrong_token",
    },
    Recorded {
        hash: "0x9c82e89b7f6a4405d11c361adb6d808d27bcd9db3b04b3fb3bc05d182bbc5d6f",
        payee: "0x69076e44a9c70a67d5b79d95795aba299083c275",
        token: ETHEREUM_USDT,
        amount: 1,
        block_time: 1_513_764_636,
        expected: "rejected/wrong_token",
    },
    Recorded {
        hash: TRON_USDT_HASH,
        payee: "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H",
        token: TRON_USDT,
        amount: 100_000,
        block_time: 1_602_825_813,
        expected: "confirmed",
    },
    Recorded {
        hash: TRON_TRX_HASH,
        payee: "TAj8fiMfB1iQQshHtLGPoFWZCNVdai9fqG",
        token: TRON_USDT,
        amount: 1,
        block_time: 1_602_783_831,
        expected: "rejected/wrong_token",
    },
    Recorded {
        hash: SOLANA_USDC_SIGNATURE,
        payee: "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui",
        token: SOLANA_USDC,
        amount: 1_000,
        block_time: 1_679_899_845,
        expected: "confirmed",
    },
    Recorded {
        hash: SOLANA_SOL_SIGNATURE,
        payee: "2b7iQq3PbWwWTotRSDFNXT9DauU418aCHK4jcAzETUem",
        token: SOLANA_USDC,
        amount: 1,
        block_time: 1_680_146_043,
        expected: "rejected/wrong_token",
    },
];

/// The invoice window: opened a minute before the payment, an hour long.
fn window(block_time: i64) -> (i64, i64) {
    (block_time - 60, block_time + 3_600)
}

async fn last_event(store: &Store, invoice_id: i64) -> (String, String) {
    let events = store.payment_events(invoice_id).await.expect("events");
    let last = events.last().expect("an event");
    (last.status.clone(), last.detail.clone())
}

#[tokio::test]
async fn every_recorded_transaction_gets_its_verdict_and_its_effect() {
    let sim = ChainSim::start().await.expect("simulator");
    let store = fresh_sqlite().await;
    let ledger = ledger(&store, &sim);
    for (user, tx) in (1i64..).zip(RECORDED.iter()) {
        let invoice = invoice_for(
            &store,
            user,
            tx.token,
            tx.payee,
            tx.amount,
            window(tx.block_time),
        )
        .await;
        let now = at(tx.block_time + 120);
        let verdict = ledger
            .verify_hash(user, user, tx.hash, now)
            .await
            .expect("ledger");
        assert_eq!(outcome(&verdict), tx.expected, "{}", tx.hash);
        let stored = store.invoice(invoice.id).await.unwrap().unwrap();
        let (event, detail) = last_event(&store, invoice.id).await;
        match tx.expected {
            "confirmed" => {
                assert_eq!(stored.status, InvoiceStatus::Paid, "{}", tx.hash);
                assert_eq!(event, "confirmed");
                let subscription = store.subscription(user).await.unwrap().expect("premium");
                assert_eq!(subscription.premium_until, now.timestamp() + 30 * 86_400);
            }
            expected if expected.starts_with("pending") => {
                assert_eq!(stored.status, InvoiceStatus::Pending, "{}", tx.hash);
                assert_eq!(event, "pending");
                assert_eq!(
                    store
                        .pending_checks_for_tx("ethereum", tx.hash)
                        .await
                        .unwrap()
                        .len(),
                    1
                );
            }
            rejected => {
                assert_eq!(stored.status, InvoiceStatus::Created, "{}", tx.hash);
                assert_eq!(event, "rejected");
                assert!(
                    rejected.ends_with(detail.split(':').next().unwrap()),
                    "{detail}"
                );
                assert!(store.subscription(user).await.unwrap().is_none());
            }
        }
    }
    // The same hashes for second invoices of other traders: each credited one is used up.
    for (user, tx) in (100i64..).zip(RECORDED.iter().filter(|t| t.expected == "confirmed")) {
        let amount = tx.amount - 1;
        invoice_for(
            &store,
            user,
            tx.token,
            tx.payee,
            amount,
            window(tx.block_time),
        )
        .await;
        let again = ledger
            .verify_hash(user, user, tx.hash, at(tx.block_time + 240))
            .await
            .unwrap();
        assert_eq!(outcome(&again), "rejected/already_used", "{}", tx.hash);
    }
    // Its own payer asking again is told it is already credited, not refused.
    let repeat = ledger
        .verify_hash(
            1,
            1,
            ETH_DOCS_RECEIPT_HASH,
            at(ETH_DOCS_RECEIPT_BLOCK_TIME as i64 + 300),
        )
        .await;
    assert_eq!(outcome(&repeat.unwrap()), "already_credited");
}

#[derive(Clone, Copy, Debug)]
enum On {
    Ethereum,
    Tron,
    Solana,
}

fn spoof(sim: &ChainSim, on: On, kind: Spoof) -> (SpoofedTx, Token) {
    let spoofed = match on {
        On::Ethereum => sim.spoof_eth(ETH_DOCS_RECEIPT_HASH, kind),
        On::Tron => sim.spoof_tron(TRON_USDT_HASH, kind),
        On::Solana => sim.spoof_solana(SOLANA_USDC_SIGNATURE, kind),
    };
    let token = match on {
        On::Ethereum => ETHEREUM_USDT,
        On::Tron => TRON_USDT,
        On::Solana => SOLANA_USDC,
    };
    (spoofed.expect("spoofable"), token)
}

#[tokio::test]
async fn the_spoof_family_is_refused_through_the_ledger_and_never_credits() {
    let sim = ChainSim::start().await.expect("simulator");
    let store = fresh_sqlite().await;
    let ledger = ledger(&store, &sim);
    let cases = [
        (Spoof::FakeToken, "rejected/wrong_token"),
        (Spoof::WrongRecipient, "rejected/wrong_recipient"),
        (Spoof::Reverted, "rejected/failed"),
        (Spoof::NotFinal, "pending/"),
        (Spoof::Underpaid { by: 1 }, "rejected/underpaid"),
        (Spoof::ZeroValue, "rejected/zero_value"),
    ];
    let mut user = 0;
    for on in [On::Ethereum, On::Tron, On::Solana] {
        for (case, (kind, expected)) in (1u128..).zip(cases) {
            user += 1;
            let (tx, token) = spoof(&sim, on, kind);
            let block_time = tx.block_time as i64;
            // Open invoices to one address never share an amount; underpaid needs the exact one.
            let amount = match kind {
                Spoof::Underpaid { .. } => tx.original_amount,
                _ => tx.original_amount - case,
            };
            invoice_for(
                &store,
                user,
                token,
                &tx.recipient,
                amount,
                window(block_time),
            )
            .await;
            let verdict = ledger
                .verify_hash(user, user, &tx.hash, at(block_time + 60))
                .await
                .unwrap();
            let got = outcome(&verdict);
            assert!(got.starts_with(expected), "{kind:?} on {on:?}: {got}");
            if let VerifyOutcome::Rejected {
                reason:
                    RejectReason::Underpaid {
                        expected, received, ..
                    },
                ..
            } = &verdict
            {
                assert_eq!(expected.base_units() - received.base_units(), 1, "{on:?}");
            }
            assert!(
                store.subscription(user).await.unwrap().is_none(),
                "{kind:?} on {on:?} credited"
            );
        }
        // Paid before the invoice existed, and after it expired.
        let (tx, token) = spoof(&sim, on, Spoof::Underpaid { by: 0 });
        let block_time = tx.block_time as i64;
        user += 1;
        invoice_for(
            &store,
            user,
            token,
            &tx.recipient,
            tx.original_amount - 10,
            (block_time + 1, block_time + 3_600),
        )
        .await;
        let early = ledger
            .verify_hash(user, user, &tx.hash, at(block_time + 60))
            .await
            .unwrap();
        assert_eq!(outcome(&early), "rejected/before_invoice", "{on:?}");
        user += 1;
        invoice_for(
            &store,
            user,
            token,
            &tx.recipient,
            tx.original_amount - 11,
            (block_time - 3_600, block_time - 1),
        )
        .await;
        let late = ledger
            .verify_hash(user, user, &tx.hash, at(block_time + 60))
            .await
            .unwrap();
        assert_eq!(outcome(&late), "rejected/invoice_expired", "{on:?}");
    }
    // A Solana signature for a trader whose only invoice is on Ethereum.
    user += 1;
    invoice_for(
        &store,
        user,
        ETHEREUM_USDT,
        payments_support::OUR_ETH_LOWER,
        9_990_001,
        window(1_679_899_845),
    )
    .await;
    let wrong = ledger
        .verify_hash(user, user, SOLANA_USDC_SIGNATURE, at(1_679_899_900))
        .await
        .unwrap();
    assert_eq!(outcome(&wrong), "rejected/wrong_network");
    let bad = ledger
        .verify_hash(user, user, "0x1234", at(1_679_899_900))
        .await
        .unwrap();
    assert_eq!(outcome(&bad), "bad_hash");
    assert_eq!(
        outcome(
            &ledger
                .verify_hash(9_999, 9_999, TRON_USDT_HASH, at(0))
                .await
                .unwrap()
        ),
        "no_invoice"
    );
}

#[tokio::test]
async fn fifty_traders_verifying_one_transaction_at_once_credit_exactly_one() {
    let sim = ChainSim::start().await.expect("simulator");
    let payee = "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0";
    let block_time = ETH_DOCS_RECEIPT_BLOCK_TIME as i64;
    for (db, store) in each_store().await {
        let ledger = ledger(&store, &sim);
        for user in 0..50 {
            // Distinct open amounts, all covered by the 20.939174 USDT paid.
            invoice_for(
                &store,
                1_000 + user,
                ETHEREUM_USDT,
                payee,
                20_000_001 + user as u128,
                window(block_time),
            )
            .await;
        }
        let tasks: Vec<_> = (0..50)
            .map(|user| {
                let ledger = ledger.clone();
                tokio::spawn(async move {
                    ledger
                        .verify_hash(
                            1_000 + user,
                            1_000 + user,
                            ETH_DOCS_RECEIPT_HASH,
                            at(block_time + 60),
                        )
                        .await
                })
            })
            .collect();
        let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
        for task in tasks {
            *outcomes
                .entry(outcome(&task.await.unwrap().unwrap()))
                .or_default() += 1;
        }
        let expected: std::collections::BTreeMap<String, usize> = [
            ("confirmed".to_string(), 1),
            ("rejected/already_used".to_string(), 49),
        ]
        .into();
        assert_eq!(outcomes, expected, "{db}");
        let mut premium = 0;
        for user in 0..50 {
            premium += usize::from(
                store
                    .is_premium(1_000 + user, block_time + 61)
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(premium, 1, "{db}: exactly one trader has premium");
        eprintln!("{db}: 50 concurrent verifies -> {outcomes:?}");
    }
}
