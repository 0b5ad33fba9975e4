//! Unique invoice amounts, so a payment can be matched without its hash.
//!
//! Every open invoice to the same address and token gets a different amount: the plan
//! price plus a sub-cent suffix (1..=9999 base units, i.e. at most $0.009999 extra). An
//! incoming transfer of exactly that amount inside the invoice window is that invoice's.

use chrono::{DateTime, Utc};

use super::amount::Amount;
use super::tokens::Token;

/// Base units in one cent of a 6-decimal stablecoin; suffixes stay below it.
pub const CENT: u128 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceAmountError {
    #[error("the price must be positive")]
    ZeroPrice,
    #[error("the price must be whole cents so the sub-cent digits stay free for matching")]
    SubCentPrice,
    #[error("all {0} sub-cent amounts for this price are taken by open invoices")]
    Exhausted(u128),
}

/// Picks `price + k` (k in 1..=9999 base units) that no open invoice in `reserved` uses.
/// `reserved` must hold the amounts of open invoices to the same address and token.
/// The smallest free suffix wins; a database uniqueness constraint on open amounts must
/// still back this up, because two invoices can be created at the same moment.
pub fn pick_unique_amount(
    price: Amount,
    reserved: impl IntoIterator<Item = Amount>,
) -> Result<Amount, InvoiceAmountError> {
    let price = price.base_units();
    if price == 0 {
        return Err(InvoiceAmountError::ZeroPrice);
    }
    if !price.is_multiple_of(CENT) {
        return Err(InvoiceAmountError::SubCentPrice);
    }
    let taken: std::collections::HashSet<u128> = reserved
        .into_iter()
        .map(Amount::base_units)
        .filter(|amount| amount / CENT == price / CENT)
        .collect();
    (1..CENT)
        .map(|suffix| price + suffix)
        .find(|candidate| !taken.contains(candidate))
        .map(Amount::from_base_units)
        .ok_or(InvoiceAmountError::Exhausted(CENT - 1))
}

/// A transfer to one of our addresses, as seen by the watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingTransfer {
    pub token: Token,
    pub to: String,
    pub amount: Amount,
    pub tx_hash: String,
    pub block_time: DateTime<Utc>,
}

/// An unpaid, unexpired invoice waiting for its exact amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice<Id> {
    pub id: Id,
    pub token: Token,
    pub recipient: String,
    pub amount: Amount,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoMatch<Id> {
    pub invoice_id: Id,
    pub tx_hash: String,
}

/// Matches incoming transfers to open invoices: same token (hence chain), same recipient,
/// exactly the invoice amount, block time inside the invoice window. Ambiguity is never
/// guessed: an amount shared by two open invoices matches neither. Each invoice and each
/// transaction is matched at most once, earliest transfer first. A match still has to be
/// verified for finality (and credited exactly once) by the ledger.
pub fn match_incoming<Id: Clone + PartialEq>(
    transfers: &[IncomingTransfer],
    invoices: &[OpenInvoice<Id>],
) -> Vec<AutoMatch<Id>> {
    let mut ordered: Vec<&IncomingTransfer> = transfers.iter().collect();
    ordered.sort_by(|a, b| {
        a.block_time
            .cmp(&b.block_time)
            .then(a.tx_hash.cmp(&b.tx_hash))
    });

    let mut matches: Vec<AutoMatch<Id>> = Vec::new();
    for transfer in ordered {
        if matches.iter().any(|m| m.tx_hash == transfer.tx_hash) {
            continue;
        }
        let mut fitting = invoices.iter().filter(|invoice| {
            invoice.token == transfer.token
                && invoice.recipient == transfer.to
                && invoice.amount == transfer.amount
                && invoice.not_before <= transfer.block_time
                && transfer.block_time <= invoice.not_after
        });
        let (Some(invoice), None) = (fitting.next(), fitting.next()) else {
            continue;
        };
        if matches.iter().any(|m| m.invoice_id == invoice.id) {
            continue;
        }
        matches.push(AutoMatch {
            invoice_id: invoice.id.clone(),
            tx_hash: transfer.tx_hash.clone(),
        });
    }
    matches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::tokens::{ETHEREUM_USDC, ETHEREUM_USDT, TRON_USDT};
    use chrono::Duration;

    const US: &str = "0xab6960a6511ff18Ed8B8c012cB91C7F637947Fc0";

    fn units(n: u128) -> Amount {
        Amount::from_base_units(n)
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn picks_the_smallest_free_sub_cent_suffix() {
        let price = units(9_990_000); // $9.99
        assert_eq!(pick_unique_amount(price, []).unwrap(), units(9_990_001));
        let reserved = [units(9_990_001), units(9_990_002), units(9_990_004)];
        assert_eq!(
            pick_unique_amount(price, reserved).unwrap(),
            units(9_990_003)
        );
        // Reservations for other prices do not block this one.
        assert_eq!(
            pick_unique_amount(price, [units(19_990_001)]).unwrap(),
            units(9_990_001)
        );
    }

    #[test]
    fn the_suffix_never_reaches_a_cent() {
        let price = units(10_000_000);
        let all_but_last: Vec<Amount> = (1..9_999).map(|k| units(10_000_000 + k)).collect();
        assert_eq!(
            pick_unique_amount(price, all_but_last.clone()).unwrap(),
            units(10_009_999)
        );
        let mut all = all_but_last;
        all.push(units(10_009_999));
        assert_eq!(
            pick_unique_amount(price, all),
            Err(InvoiceAmountError::Exhausted(9_999))
        );
    }

    #[test]
    fn refuses_prices_that_would_collide_with_suffixes() {
        assert_eq!(
            pick_unique_amount(units(9_990_001), []),
            Err(InvoiceAmountError::SubCentPrice)
        );
        assert_eq!(
            pick_unique_amount(Amount::ZERO, []),
            Err(InvoiceAmountError::ZeroPrice)
        );
    }

    fn invoice(id: u32, amount: u128) -> OpenInvoice<u32> {
        OpenInvoice {
            id,
            token: ETHEREUM_USDT,
            recipient: US.into(),
            amount: units(amount),
            not_before: at(0),
            not_after: at(0) + Duration::minutes(60),
        }
    }

    fn incoming(hash: &str, amount: u128, secs: i64) -> IncomingTransfer {
        IncomingTransfer {
            token: ETHEREUM_USDT,
            to: US.into(),
            amount: units(amount),
            tx_hash: hash.into(),
            block_time: at(secs),
        }
    }

    #[test]
    fn exact_amount_inside_the_window_matches_its_invoice() {
        let invoices = [invoice(1, 9_990_001), invoice(2, 9_990_002)];
        let matches = match_incoming(&[incoming("0xb", 9_990_002, 60)], &invoices);
        assert_eq!(
            matches,
            [AutoMatch {
                invoice_id: 2,
                tx_hash: "0xb".into()
            }]
        );
    }

    #[test]
    fn near_misses_do_not_match() {
        let invoices = [invoice(1, 9_990_001)];
        let mut wrong_token = incoming("0x1", 9_990_001, 60);
        wrong_token.token = ETHEREUM_USDC;
        let mut wrong_chain = incoming("0x2", 9_990_001, 60);
        wrong_chain.token = TRON_USDT;
        let mut wrong_to = incoming("0x3", 9_990_001, 60);
        wrong_to.to = "0x292f04a44506c2fd49bac032e1ca148c35a478c8".into();
        let transfers = [
            incoming("0x4", 9_990_000, 60),   // the plain price, no suffix
            incoming("0x5", 9_990_002, 60),   // one unit off
            incoming("0x6", 9_990_001, -1),   // before the invoice
            incoming("0x7", 9_990_001, 3601), // after expiry
            wrong_token,
            wrong_chain,
            wrong_to,
        ];
        assert!(match_incoming(&transfers, &invoices).is_empty());
    }

    #[test]
    fn each_invoice_and_each_transaction_match_once() {
        let invoices = [invoice(1, 9_990_001)];
        let transfers = [
            incoming("0xlate", 9_990_001, 120),
            incoming("0xearly", 9_990_001, 30),
        ];
        assert_eq!(
            match_incoming(&transfers, &invoices),
            [AutoMatch {
                invoice_id: 1,
                tx_hash: "0xearly".into()
            }]
        );
    }

    #[test]
    fn an_amount_shared_by_two_invoices_is_never_guessed() {
        let invoices = [invoice(1, 9_990_001), invoice(2, 9_990_001)];
        assert!(match_incoming(&[incoming("0xa", 9_990_001, 60)], &invoices).is_empty());
    }
}
