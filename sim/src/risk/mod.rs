//! GoPlus and honeypot.is simulator: one HTTP server on 127.0.0.1 serving both APIs from
//! the recorded responses, with failure modes (down, rate-limited, partial data), added
//! latency, and a count of upstream calls per (chain, address).
//!
//! Point both `GOPLUS_API_URL` and `HONEYPOT_API_URL` at [`RiskSim::base_url`].
//!
//! Signed access (`POST /api/v1/token`, `Authorization` header) is checked as GoPlus does;
//! see [`auth`].
//!
//! Faithfulness: a token is only served on the chain it was recorded on; an unknown token
//! gets what GoPlus sends for one (code 1, empty result). Status codes follow GoPlus' docs;
//! the `message` texts for error codes and honeypot.is' wording for an unknown token are not
//! recorded, so they are plausible stand-ins.

pub mod auth;
pub mod fixtures;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

use self::fixtures::{GOPLUS_EVM_CHAINS, HONEYPOT_CHAINS, SOLANA, goplus_envelope};

/// How the simulated GoPlus behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoPlusMode {
    Normal,
    /// HTTP 503, as when the service is down behind its load balancer.
    Down,
    /// Body code 4029, the free tier's rate-limit answer.
    RateLimited,
    /// Body code 2: data still being collected, retry later.
    Partial,
}

/// How the simulated honeypot.is behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoneypotMode {
    Normal,
    Down,
    RateLimited,
}

#[derive(Default)]
struct Inner {
    goplus_mode: Option<GoPlusMode>,
    honeypot_mode: Option<HoneypotMode>,
    latency: Duration,
    /// (GoPlus chain id or "solana", address key) → token entry.
    goplus: HashMap<(String, String), Value>,
    /// (chain id, lowercase address) → response body.
    honeypot: HashMap<(String, String), Value>,
    goplus_calls: HashMap<(String, String), usize>,
    honeypot_calls: HashMap<(String, String), usize>,
    auth: auth::AuthState,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not take the simulator down with it.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running simulator; stops when dropped.
pub struct RiskSim {
    addr: SocketAddr,
    shared: Shared,
    shutdown: Option<oneshot::Sender<()>>,
}

impl RiskSim {
    /// Starts the simulator on an ephemeral port with every recording loaded.
    pub async fn start() -> std::io::Result<RiskSim> {
        let shared = Shared::default();
        {
            let mut inner = shared.lock();
            for record in fixtures::goplus_records() {
                inner.goplus.insert(
                    (record.chain.into(), key(record.chain, record.address)),
                    record.entry,
                );
            }
            for record in fixtures::honeypot_records() {
                inner.honeypot.insert(
                    (record.chain.into(), record.address.to_ascii_lowercase()),
                    record.body,
                );
            }
        }
        let router = Router::new()
            .route("/api/v1/token_security/{chain_id}", get(goplus_evm))
            .route("/api/v1/solana/token_security", get(goplus_solana))
            .route("/api/v1/token", post(auth::issue_token))
            .route("/v2/IsHoneypot", get(honeypot))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let server = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(error) = server.await {
                tracing::warn!(%error, "risk simulator stopped");
            }
        });
        Ok(RiskSim {
            addr,
            shared,
            shutdown: Some(tx),
        })
    }

    /// Base URL for both the GoPlus and the honeypot.is client.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_goplus_mode(&self, mode: GoPlusMode) {
        self.shared.lock().goplus_mode = Some(mode);
    }

    pub fn set_honeypot_mode(&self, mode: HoneypotMode) {
        self.shared.lock().honeypot_mode = Some(mode);
    }

    /// Delay added before every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// Serves a recorded GoPlus entry on another chain as well, for tokens deployed at the
    /// same address on several chains. Returns false if nothing is recorded for `address`.
    pub fn serve_goplus_also_on(&self, chain_id: &str, address: &str) -> bool {
        let mut inner = self.shared.lock();
        let wanted = address.to_ascii_lowercase();
        let found = inner
            .goplus
            .iter()
            .find(|((_, recorded), _)| recorded.to_ascii_lowercase() == wanted)
            .map(|(_, entry)| entry.clone());
        match found {
            Some(entry) => {
                inner
                    .goplus
                    .insert((chain_id.to_string(), key(chain_id, address)), entry);
                true
            }
            None => false,
        }
    }

    /// Registers GoPlus app credentials that `POST /api/v1/token` accepts.
    pub fn register_app(&self, app_key: &str, app_secret: &str) {
        self.shared
            .lock()
            .auth
            .apps
            .insert(app_key.to_string(), app_secret.to_string());
    }

    /// Lifetime of the access tokens issued from now on (default 7200 s, as GoPlus).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.lock().auth.token_lifetime = Some(lifetime);
    }

    /// Makes every access token issued so far expire now.
    pub fn expire_access_tokens(&self) {
        self.shared.lock().auth.expire_all();
    }

    /// `POST /api/v1/token` requests seen (accepted or not).
    pub fn token_requests(&self) -> usize {
        self.shared.lock().auth.token_requests
    }

    /// Security requests that carried a valid access token.
    pub fn goplus_calls_with_token(&self) -> usize {
        self.shared.lock().auth.authorized_calls
    }

    /// Security requests refused for an unknown or expired access token.
    pub fn refused_tokens(&self) -> usize {
        self.shared.lock().auth.refused_tokens
    }

    /// GoPlus requests seen for `address` on `chain_id` (GoPlus id, or "solana").
    pub fn goplus_calls(&self, chain_id: &str, address: &str) -> usize {
        let inner = self.shared.lock();
        let wanted = (chain_id.to_string(), key(chain_id, address));
        inner.goplus_calls.get(&wanted).copied().unwrap_or(0)
    }

    /// All GoPlus requests seen.
    pub fn total_goplus_calls(&self) -> usize {
        self.shared.lock().goplus_calls.values().sum()
    }

    /// honeypot.is requests seen for `address` on `chain_id`.
    pub fn honeypot_calls(&self, chain_id: &str, address: &str) -> usize {
        let inner = self.shared.lock();
        let wanted = (chain_id.to_string(), address.to_ascii_lowercase());
        inner.honeypot_calls.get(&wanted).copied().unwrap_or(0)
    }

    /// All honeypot.is requests seen.
    pub fn total_honeypot_calls(&self) -> usize {
        self.shared.lock().honeypot_calls.values().sum()
    }
}

impl Drop for RiskSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A base URL nobody listens on, for "connection refused" tests.
pub async fn refused_base_url() -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(listener);
    Ok(format!("http://{addr}"))
}

/// EVM and TRON hex addresses are case-insensitive; base58 is not.
fn key(chain: &str, address: &str) -> String {
    if chain == SOLANA || chain == "tron" {
        address.to_string()
    } else {
        address.to_ascii_lowercase()
    }
}

fn is_evm_address(text: &str) -> bool {
    text.strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .is_some_and(|hex| hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_base58(text: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    const ALPHABET: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    lengths.contains(&text.len()) && text.chars().all(|c| ALPHABET.contains(c))
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn goplus_evm(
    State(shared): State<Shared>,
    Path(chain_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    goplus_answer(
        &shared,
        &chain_id,
        query.get("contract_addresses"),
        &headers,
    )
    .await
}

async fn goplus_solana(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    goplus_answer(&shared, SOLANA, query.get("contract_addresses"), &headers).await
}

async fn goplus_answer(
    shared: &Shared,
    chain: &str,
    addresses: Option<&String>,
    headers: &HeaderMap,
) -> Response {
    let (mode, latency) = {
        let inner = shared.lock();
        (
            inner.goplus_mode.unwrap_or(GoPlusMode::Normal),
            inner.latency,
        )
    };
    let addresses: Vec<&str> = addresses
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .collect()
        })
        .unwrap_or_default();
    {
        let mut inner = shared.lock();
        for address in &addresses {
            *inner
                .goplus_calls
                .entry((chain.to_string(), key(chain, address)))
                .or_default() += 1;
        }
    }
    tokio::time::sleep(latency).await;
    match mode {
        GoPlusMode::Down => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Temporarily Unavailable",
            )
                .into_response();
        }
        GoPlusMode::RateLimited => {
            return json_response(
                StatusCode::OK,
                goplus_envelope(4029, "too many requests", None),
            );
        }
        GoPlusMode::Partial => {
            return json_response(
                StatusCode::OK,
                goplus_envelope(2, "data is being prepared, retry later", Some(Map::new())),
            );
        }
        GoPlusMode::Normal => {}
    }
    if matches!(shared.lock().auth.check(headers), auth::Access::Refused) {
        return auth::invalid_token();
    }
    if chain != SOLANA && !GOPLUS_EVM_CHAINS.contains(&chain) {
        return json_response(
            StatusCode::OK,
            goplus_envelope(2018, "chain not supported", None),
        );
    }
    if addresses.is_empty() {
        return json_response(StatusCode::OK, goplus_envelope(5006, "param error", None));
    }
    let valid = |a: &&str| match chain {
        SOLANA => is_base58(a, 32..=44),
        "tron" => a.starts_with('T') && is_base58(a, 34..=34),
        _ => is_evm_address(a),
    };
    if !addresses.iter().all(valid) {
        return json_response(
            StatusCode::OK,
            goplus_envelope(2004, "address format error", None),
        );
    }
    let inner = shared.lock();
    let mut result = Map::new();
    for address in addresses {
        let address_key = key(chain, address);
        if let Some(entry) = inner.goplus.get(&(chain.to_string(), address_key.clone())) {
            result.insert(address_key, entry.clone());
        }
    }
    json_response(StatusCode::OK, goplus_envelope(1, "OK", Some(result)))
}

async fn honeypot(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let address = query
        .get("address")
        .map(|a| a.trim().to_string())
        .unwrap_or_default();
    let chain = query.get("chainID").cloned();
    let (mode, latency) = {
        let mut inner = shared.lock();
        let counted = (
            chain.clone().unwrap_or_else(|| "auto".to_string()),
            address.to_ascii_lowercase(),
        );
        *inner.honeypot_calls.entry(counted).or_default() += 1;
        (
            inner.honeypot_mode.unwrap_or(HoneypotMode::Normal),
            inner.latency,
        )
    };
    tokio::time::sleep(latency).await;
    match mode {
        HoneypotMode::Down => {
            return (StatusCode::BAD_GATEWAY, "Bad Gateway").into_response();
        }
        HoneypotMode::RateLimited => {
            return json_response(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"code": 429, "error": "rate limit exceeded"}),
            );
        }
        HoneypotMode::Normal => {}
    }
    if !is_evm_address(&address) {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"code": 400, "error": "invalid token address"}),
        );
    }
    if let Some(chain) = &chain
        && !HONEYPOT_CHAINS.contains(&chain.as_str())
    {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"code": 400, "error": "unsupported chain"}),
        );
    }
    let inner = shared.lock();
    let lower = address.to_ascii_lowercase();
    // Without chainID honeypot.is picks the chain itself; here that is the recorded one.
    let found = inner
        .honeypot
        .iter()
        .find(|((recorded_chain, recorded), _)| {
            *recorded == lower && chain.as_ref().is_none_or(|c| c == recorded_chain)
        });
    match found {
        Some((_, body)) => json_response(StatusCode::OK, body.clone()),
        None => json_response(
            StatusCode::NOT_FOUND,
            json!({"code": 404, "error": "no pairs found for this token"}),
        ),
    }
}

#[cfg(test)]
mod tests;
