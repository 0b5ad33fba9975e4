//! Shared, mutable state of the chain simulators: the transactions each explorer knows,
//! the chain heads, and whether each API is up, down or throttling.

use std::collections::HashMap;

use serde_json::Value;

/// One simulated upstream API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    Etherscan,
    Tronscan,
    TronGrid,
    SolanaRpc,
}

/// How an API currently behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Up,
    /// Every request gets HTTP 503.
    Down,
    /// Every request gets the API's own throttling answer.
    RateLimited,
}

/// Solana commitment levels, lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Commitment {
    Processed,
    Confirmed,
    Finalized,
}

impl Commitment {
    pub fn as_str(self) -> &'static str {
        match self {
            Commitment::Processed => "processed",
            Commitment::Confirmed => "confirmed",
            Commitment::Finalized => "finalized",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Commitment> {
        match text {
            "processed" => Some(Commitment::Processed),
            "confirmed" => Some(Commitment::Confirmed),
            "finalized" => Some(Commitment::Finalized),
            _ => None,
        }
    }
}

/// A request as the simulator saw it, secrets removed, for tests to assert on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub api: Api,
    /// Etherscan `action`, Solana `method`, or the Tronscan path.
    pub operation: String,
    /// Whether an API key arrived, and where ("query", "header" or "none").
    pub key_location: &'static str,
}

#[derive(Debug, Default)]
pub(crate) struct EthState {
    /// Lowercase tx hash → receipt object (the proxy `result`).
    pub receipts: HashMap<String, Value>,
    /// Block number → unix timestamp.
    pub block_times: HashMap<u64, u64>,
    pub head: u64,
    /// When set, only this key is accepted.
    pub api_key: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct TronState {
    /// Lowercase tx hash → `transaction-info` body.
    pub transactions: HashMap<String, Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct SolanaTx {
    /// The `getTransaction` result (jsonParsed) without `version`.
    pub result: Value,
    /// "legacy" or 0, added to responses when the client sets maxSupportedTransactionVersion.
    pub version: Value,
    pub commitment: Commitment,
    /// Reported while not finalized.
    pub confirmations: u64,
}

#[derive(Debug, Default)]
pub(crate) struct SolanaState {
    pub transactions: HashMap<String, SolanaTx>,
    pub slot: u64,
}

#[derive(Debug, Default)]
pub(crate) struct SimState {
    pub modes: HashMap<Api, Mode>,
    pub eth: EthState,
    pub tron: TronState,
    pub solana: SolanaState,
    pub requests: Vec<RecordedRequest>,
    pub next_synthetic_id: u64,
}

impl SimState {
    pub fn mode(&self, api: Api) -> Mode {
        self.modes.get(&api).copied().unwrap_or_default()
    }

    pub fn record(&mut self, api: Api, operation: &str, key_location: &'static str) {
        self.requests.push(RecordedRequest {
            api,
            operation: operation.to_string(),
            key_location,
        });
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_synthetic_id += 1;
        self.next_synthetic_id
    }
}
