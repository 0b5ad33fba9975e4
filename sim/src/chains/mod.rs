//! Simulators of the chain APIs tiltguard verifies payments with: Etherscan v2 (proxy
//! module and `account/tokentx`), Tronscan `transaction-info`, TronGrid's TRC-20 history and
//! Solana JSON-RPC (`getSignaturesForAddress` included), on one local port.
//!
//! They replay the recorded fixtures in their recorded wire formats, accept synthetic
//! transactions built from them (the [`Spoof`] family), and can be switched down (503) or
//! into each API's own rate-limit answer and back, so tests can drive every verdict.

mod accounts;
mod base58;
mod etherscan;
mod recorded;
mod solana;
mod solana_history;
mod spoof;
mod state;
mod synthetic;
mod trongrid;
mod tronscan;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::oneshot;

pub use recorded::{
    ETH_DOCS_RECEIPT_BLOCK, ETH_DOCS_RECEIPT_BLOCK_TIME, ETH_DOCS_RECEIPT_HASH, ETH_RECORDED_HEAD,
    SOLANA_SOL_SIGNATURE, SOLANA_USDC_SIGNATURE, TRON_TRX_HASH, TRON_USDT_HASH,
};
pub use spoof::{Spoof, SpoofedTx};
pub use state::{Api, Commitment, Mode, RecordedRequest};

pub(crate) type SharedState = Arc<Mutex<state::SimState>>;

/// A running simulator; stops when dropped.
pub struct ChainSim {
    address: SocketAddr,
    state: SharedState,
    shutdown: Option<oneshot::Sender<()>>,
}

impl ChainSim {
    /// Binds 127.0.0.1 on a free port and serves the recorded transactions.
    pub async fn start() -> io::Result<ChainSim> {
        let mut initial = state::SimState::default();
        recorded::load_into(&mut initial);
        let state: SharedState = Arc::new(Mutex::new(initial));
        let router = Router::new()
            .route("/etherscan/v2/api", get(etherscan::handle))
            .route(
                "/tronscan/api/transaction-info",
                get(tronscan::transaction_info),
            )
            .route(
                "/trongrid/v1/accounts/{address}/transactions/trc20",
                get(trongrid::trc20_history),
            )
            .route("/solana", post(solana::rpc))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let server = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = server.await {
                tracing::warn!(%error, "chain simulator stopped");
            }
        });
        Ok(ChainSim {
            address,
            state,
            shutdown: Some(shutdown),
        })
    }

    /// Value for `ETHERSCAN_API_URL`.
    pub fn etherscan_url(&self) -> String {
        format!("http://{}/etherscan/v2/api", self.address)
    }

    /// Value for `TRONSCAN_API_URL`.
    pub fn tronscan_url(&self) -> String {
        format!("http://{}/tronscan", self.address)
    }

    /// Value for `TRONGRID_API_URL`.
    pub fn trongrid_url(&self) -> String {
        format!("http://{}/trongrid", self.address)
    }

    /// Value for `SOLANA_RPC_URL`.
    pub fn solana_rpc_url(&self) -> String {
        format!("http://{}/solana", self.address)
    }

    fn state(&self) -> MutexGuard<'_, state::SimState> {
        // A panic while holding the lock is a test failure already; keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Switches one API up, down (503) or into its rate-limit answer.
    pub fn set_mode(&self, api: Api, mode: Mode) {
        self.state().modes.insert(api, mode);
    }

    /// Only this Etherscan key is accepted from now on (default: any non-empty key).
    pub fn require_etherscan_key(&self, key: &str) {
        self.state().eth.api_key = Some(key.to_string());
    }

    pub fn eth_head(&self) -> u64 {
        self.state().eth.head
    }

    /// Moves the Ethereum head; receipts in blocks above it are not visible.
    pub fn set_eth_head(&self, block: u64) {
        self.state().eth.head = block;
    }

    /// Registers a receipt (the proxy `result` object) and the time of its block.
    pub fn add_eth_receipt(&self, receipt: Value, block_time: u64) {
        let hash = receipt["transactionHash"].as_str().map(str::to_lowercase);
        let block = receipt["blockNumber"]
            .as_str()
            .and_then(|b| u64::from_str_radix(b.trim_start_matches("0x"), 16).ok());
        if let (Some(hash), Some(block)) = (hash, block) {
            let mut state = self.state();
            state.eth.block_times.insert(block, block_time);
            state.eth.receipts.insert(hash, receipt);
        }
    }

    /// Registers a Tronscan `transaction-info` body under its `hash`.
    pub fn add_tron_transaction(&self, info: Value) {
        if let Some(hash) = info["hash"].as_str().map(str::to_lowercase) {
            self.state().tron.transactions.insert(hash, info);
        }
    }

    /// Sets `confirmed` (and `confirmations`) of a known TRON transaction.
    pub fn set_tron_confirmed(&self, hash: &str, confirmed: bool, confirmations: u64) {
        if let Some(info) = self.state().tron.transactions.get_mut(&hash.to_lowercase()) {
            info["confirmed"] = Value::Bool(confirmed);
            info["confirmations"] = confirmations.into();
        }
    }

    /// Registers a `getTransaction` result (jsonParsed, legacy) under its first signature.
    pub fn add_solana_transaction(&self, result: Value, commitment: Commitment) {
        let Some(signature) = result
            .pointer("/transaction/signatures/0")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return;
        };
        let mut state = self.state();
        if let Some(slot) = result["slot"].as_u64() {
            state.solana.slot = state.solana.slot.max(slot + 64);
        }
        state.solana.transactions.insert(
            signature,
            state::SolanaTx {
                result,
                version: Value::String("legacy".into()),
                commitment,
                confirmations: if commitment == Commitment::Finalized {
                    0
                } else {
                    10
                },
            },
        );
    }

    /// Sets how final a known Solana transaction is.
    pub fn set_solana_commitment(&self, signature: &str, commitment: Commitment) {
        if let Some(tx) = self.state().solana.transactions.get_mut(signature) {
            tx.commitment = commitment;
            tx.confirmations = if commitment == Commitment::Finalized {
                0
            } else {
                10
            };
        }
    }

    /// Registers a copy of a known Ethereum payment with one thing changed.
    pub fn spoof_eth(&self, base_hash: &str, spoof: Spoof) -> Option<SpoofedTx> {
        spoof::ethereum(&mut self.state(), base_hash, spoof)
    }

    /// Registers a copy of a known TRON payment with one thing changed.
    pub fn spoof_tron(&self, base_hash: &str, spoof: Spoof) -> Option<SpoofedTx> {
        spoof::tron(&mut self.state(), base_hash, spoof)
    }

    /// Registers a copy of a known Solana payment with one thing changed.
    pub fn spoof_solana(&self, base_signature: &str, spoof: Spoof) -> Option<SpoofedTx> {
        spoof::solana(&mut self.state(), base_signature, spoof)
    }

    /// Every request received so far, without secrets.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }
}

impl Drop for ChainSim {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// What an API behind a load balancer answers when it is down.
pub(crate) fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [("content-type", "text/html")],
        "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
    )
        .into_response()
}

#[cfg(test)]
mod listing_tests;
#[cfg(test)]
mod tests;
