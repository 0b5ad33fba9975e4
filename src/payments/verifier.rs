//! One entry point for "does this hash pay us?": detects the chain, looks the transaction
//! up on the right explorer(s) and judges it.
//!
//! A bare 64-hex hash may be TRON or an Ethereum hash without its `0x`: the candidates are
//! looked up in order (the expected chain first) until one is found. A hash that can only
//! belong to another chain than the invoice's is `wrong_network`.

use chrono::{DateTime, Utc};

use super::amount::Amount;
use super::chain::{AddressError, Chain, address_chain, normalize_address};
use super::config::PaymentsConfig;
use super::error::VerifyError;
use super::ethereum::EthereumVerifier;
use super::hash::{HashError, TxRef, detect_tx_hash};
use super::observation::{Lookup, Observation};
use super::solana::SolanaVerifier;
use super::tokens::Token;
use super::tron::TronVerifier;
use super::verdict::{Expectation, RejectReason, Verdict, judge};

/// What to check a hash against.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyRequest {
    /// As pasted: hash or explorer link.
    pub tx_hash: String,
    /// The invoice's chain; `None` lets the hash decide.
    pub chain: Option<Chain>,
    /// Receiving address override; its shape also tells the chain. Default: our address.
    pub to: Option<String>,
    /// Accepted tokens; empty means every official token of the chain.
    pub tokens: Vec<Token>,
    /// Minimum amount; default one base unit (any payment).
    pub min_amount: Option<Amount>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
}

impl VerifyRequest {
    /// The request for paying one invoice.
    pub fn for_invoice(
        tx_hash: impl Into<String>,
        token: Token,
        amount: Amount,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Self {
        VerifyRequest {
            tx_hash: tx_hash.into(),
            chain: Some(token.chain()),
            to: None,
            tokens: vec![token],
            min_amount: Some(amount),
            not_before: Some(not_before),
            not_after: Some(not_after),
        }
    }
}

/// The outcome of a check: the transaction as identified, what was expected, what the
/// explorer showed (if anything) and the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub tx: TxRef,
    pub expectation: Expectation,
    pub observation: Option<Observation>,
    pub verdict: Verdict,
}

#[derive(Debug)]
pub struct PaymentVerifier {
    ethereum: EthereumVerifier,
    tron: TronVerifier,
    solana: SolanaVerifier,
    config: PaymentsConfig,
}

impl PaymentVerifier {
    pub fn new(config: PaymentsConfig, http: reqwest::Client) -> Self {
        PaymentVerifier {
            ethereum: EthereumVerifier::new(
                http.clone(),
                config.etherscan_url.clone(),
                config.etherscan_key.clone(),
            ),
            tron: TronVerifier::new(
                http.clone(),
                config.tronscan_url.clone(),
                config.tronscan_key.clone(),
            ),
            solana: SolanaVerifier::new(http, config.solana_rpc_url.clone()),
            config,
        }
    }

    pub fn config(&self) -> &PaymentsConfig {
        &self.config
    }

    /// Looks one transaction up on its chain, for payments to `recipient`.
    pub async fn lookup(&self, tx: &TxRef, recipient: &str) -> Result<Lookup, VerifyError> {
        match tx.chain {
            Chain::Ethereum => self.ethereum.lookup(&tx.hash, recipient).await,
            Chain::Tron => self.tron.lookup(&tx.hash, recipient).await,
            Chain::Solana => self.solana.lookup(&tx.hash, recipient).await,
        }
    }

    /// Detects, looks up and judges. `Err` only when no verdict could be reached.
    pub async fn verify(&self, request: &VerifyRequest) -> Result<Checked, VerifyError> {
        let detected = detect_tx_hash(&request.tx_hash)?;
        let to_chain = match request.to.as_deref() {
            Some(to) => Some(override_chain(to, request.chain)?),
            None => None,
        };
        let target = request.chain.or(to_chain);

        let mut candidates = detected.candidates();
        if let Some(target) = target {
            candidates.sort_by_key(|tx| tx.chain != target);
        }
        // Detection always yields at least one candidate.
        let first = candidates
            .first()
            .cloned()
            .ok_or(VerifyError::InvalidHash(HashError::Unrecognized))?;
        if let Some(target) = target
            && first.chain != target
        {
            // The hash's format rules the expected chain out without any lookup.
            return Ok(Checked {
                verdict: Verdict::Rejected(RejectReason::WrongNetwork {
                    expected: target,
                    found: first.chain,
                }),
                expectation: self.expectation(target, request)?,
                observation: None,
                tx: first,
            });
        }

        let mut deferred_error: Option<VerifyError> = None;
        let mut first_searched: Option<(TxRef, Expectation)> = None;
        for tx in &candidates {
            let expectation = match self.expectation(tx.chain, request) {
                Ok(expectation) => expectation,
                // Without our address on a fallback chain there is nothing to look for.
                Err(VerifyError::NoRecipient(_))
                    if Some(tx.chain) != target && candidates.len() > 1 =>
                {
                    continue;
                }
                Err(e) => return Err(e),
            };
            let lookup = self.lookup(tx, &expectation.recipient).await;
            first_searched.get_or_insert_with(|| (tx.clone(), expectation.clone()));
            match lookup {
                Ok(Lookup::Found(observation)) => {
                    let expectation = match target {
                        Some(target) if target != tx.chain => self.expectation(target, request)?,
                        _ => expectation,
                    };
                    return Ok(Checked {
                        verdict: judge(&observation, &expectation),
                        tx: tx.clone(),
                        expectation,
                        observation: Some(observation),
                    });
                }
                Ok(Lookup::NotFound) => {}
                Err(e) => {
                    deferred_error.get_or_insert(e);
                }
            }
        }
        // Not found anywhere we could look; if a lookup failed, "not found" is unproven.
        if let Some(error) = deferred_error {
            return Err(error);
        }
        let (tx, expectation) = first_searched.ok_or(VerifyError::NoRecipient(first.chain))?;
        Ok(Checked {
            tx,
            expectation,
            observation: None,
            verdict: Verdict::Rejected(RejectReason::NotFound),
        })
    }

    fn expectation(
        &self,
        chain: Chain,
        request: &VerifyRequest,
    ) -> Result<Expectation, VerifyError> {
        let raw = match request.to.as_deref() {
            Some(to) if address_chain(to) == Some(chain) => to,
            _ => self
                .config
                .receiving_address(chain)
                .ok_or(VerifyError::NoRecipient(chain))?,
        };
        // Normalized here too: a config built by hand must compare like one from env.
        let recipient = normalize_address(chain, raw).map_err(VerifyError::InvalidAddress)?;
        let tokens: Vec<Token> = if request.tokens.is_empty() {
            Token::on_chain(chain).collect()
        } else {
            request
                .tokens
                .iter()
                .copied()
                .filter(|t| t.chain() == chain)
                .collect()
        };
        Ok(Expectation {
            chain,
            recipient,
            tokens,
            min_amount: request.min_amount.unwrap_or(Amount::from_base_units(1)),
            not_before: request.not_before,
            not_after: request.not_after,
            min_confirmations: match chain {
                Chain::Ethereum => self.config.eth_min_confirmations,
                // TRON and Solana use the network's own finality flag instead.
                Chain::Tron | Chain::Solana => 0,
            },
        })
    }
}

/// The chain a `--to` override belongs to: checked against the requested chain when one
/// is given, otherwise recognised from its shape.
fn override_chain(to: &str, requested: Option<Chain>) -> Result<Chain, VerifyError> {
    match requested {
        Some(chain) => normalize_address(chain, to)
            .map(|_| chain)
            .map_err(VerifyError::InvalidAddress),
        None => address_chain(to).ok_or(VerifyError::InvalidAddress(AddressError::UnknownFormat)),
    }
}
