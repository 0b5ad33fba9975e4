//! What an explorer or RPC says about one transaction, in chain-neutral terms.
//!
//! The per-chain parsers turn each wire format into an [`Observation`]; the pure
//! [`judge`](super::verdict::judge) decides from it. Amounts here come only from
//! success logs, events or balance deltas, never from input data.

use chrono::{DateTime, Utc};

use super::amount::Amount;
use super::chain::Chain;
use super::tokens::Token;

/// The result of looking a transaction up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Observation),
    /// The explorer does not know the hash (never sent, dropped, or not indexed yet).
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub chain: Chain,
    pub tx_hash: String,
    /// Executed successfully (EVM `status == 0x1`, TRON `contractRet == SUCCESS`,
    /// Solana `meta.err == null`).
    pub success: bool,
    pub block_time: Option<DateTime<Utc>>,
    /// Block number (EVM, TRON) or slot (Solana).
    pub block: Option<u64>,
    /// How final the transaction is, in the chain's own terms.
    pub finality: Finality,
    /// Official-token payments to the expected recipient, one entry per token with the
    /// amounts of every matching transfer summed. Zero-value transfers are not here.
    pub transfers: Vec<Transfer>,
    /// Everything else that moved and matters for a precise rejection reason.
    pub near_misses: Vec<NearMiss>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub token: Token,
    pub to: String,
    pub amount: Amount,
}

/// Value movements that are not a payment to us in an official token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NearMiss {
    /// A token that is not official arrived at our address (a fake "USDT").
    UnofficialToken { contract: String },
    /// The chain's native coin (ETH, TRX, SOL) arrived at our address.
    NativeCoin,
    /// An official token transfer of zero to our address (address-poisoning style).
    ZeroValue { token: Token },
    /// An official token was paid, but to someone else.
    OtherRecipient { token: Token, to: String },
}

/// Finality in each chain's own terms; the judge decides whether it is enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finality {
    /// EVM: blocks on top of (and including) the transaction's block.
    Depth { confirmations: u64 },
    /// The network itself says the transaction is final (TRON `confirmed`, Solana
    /// `finalized`). `confirmations` is what the explorer reports, if anything.
    Final { confirmations: Option<u64> },
    /// Seen but not final yet; `status` names the stage ("unconfirmed", "confirmed").
    NotFinal {
        status: String,
        confirmations: Option<u64>,
    },
}

impl Finality {
    pub fn confirmations(&self) -> Option<u64> {
        match self {
            Finality::Depth { confirmations } => Some(*confirmations),
            Finality::Final { confirmations } | Finality::NotFinal { confirmations, .. } => {
                *confirmations
            }
        }
    }
}

/// Collects official-token payments, summing several transfers of one token.
#[derive(Debug, Default)]
pub(crate) struct TransferTally {
    transfers: Vec<Transfer>,
}

impl TransferTally {
    pub(crate) fn add(&mut self, token: Token, to: &str, amount: Amount) {
        if let Some(existing) = self
            .transfers
            .iter_mut()
            .find(|t| t.token == token && t.to == to)
        {
            // Official token amounts cannot overflow u128; saturate rather than fail.
            existing.amount = existing
                .amount
                .checked_add(amount)
                .unwrap_or(Amount::from_base_units(u128::MAX));
        } else {
            self.transfers.push(Transfer {
                token,
                to: to.to_string(),
                amount,
            });
        }
    }

    pub(crate) fn into_transfers(self) -> Vec<Transfer> {
        self.transfers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::tokens::{ETHEREUM_USDC, ETHEREUM_USDT};

    #[test]
    fn tally_sums_per_token_and_recipient() {
        let mut tally = TransferTally::default();
        tally.add(ETHEREUM_USDT, "0xA", Amount::from_base_units(5));
        tally.add(ETHEREUM_USDC, "0xA", Amount::from_base_units(7));
        tally.add(ETHEREUM_USDT, "0xA", Amount::from_base_units(6));
        let transfers = tally.into_transfers();
        assert_eq!(transfers.len(), 2);
        assert_eq!(transfers[0].amount, Amount::from_base_units(11));
        assert_eq!(transfers[1].amount, Amount::from_base_units(7));
    }

    #[test]
    fn finality_reports_confirmations_when_known() {
        assert_eq!(
            Finality::Depth { confirmations: 3 }.confirmations(),
            Some(3)
        );
        assert_eq!(
            Finality::Final {
                confirmations: None
            }
            .confirmations(),
            None
        );
    }
}
