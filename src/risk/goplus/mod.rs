//! GoPlus token-security client: `token_security/{chain_id}` for EVM chains and TRON
//! (chain id `tron`), `solana/token_security` for Solana.
//!
//! The HTTP part is a thin shell; [`parse_response`] is pure and does all the
//! interpretation of GoPlus' status codes and its `{code, message, result}` envelope.
//! With app credentials, requests carry an access token (see [`auth`]).

pub mod auth;
pub mod model;

use std::time::Duration;

use serde_json::{Map, Value};

use super::detect::{Chain, ChainFamily};
pub use auth::{AppCredentials, TokenSource};
pub use model::{Authority, DexPool, Holder, SolanaControls, TokenSecurity};

/// GoPlus asks clients to retry partial data after about this long.
pub const PARTIAL_RETRY_AFTER: Duration = Duration::from_secs(15);

/// What went wrong asking GoPlus. `Clone` so a coalesced failure can reach every waiter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GoPlusError {
    #[error("GoPlus has no data for this token")]
    TokenNotFound,
    #[error("GoPlus says this address is not a token contract")]
    NotAToken,
    #[error("GoPlus is still collecting data for this token; retry in about {} s", .retry_after.as_secs())]
    Partial { retry_after: Duration },
    #[error("GoPlus rate limit reached")]
    RateLimited,
    #[error("GoPlus is unavailable: {0}")]
    Unavailable(String),
    #[error("GoPlus rejected the access token (code {code}): {message}")]
    Unauthorized { code: i64, message: String },
    #[error("GoPlus error {code}: {message}")]
    Api { code: i64, message: String },
    #[error("GoPlus sent a response I can't read: {0}")]
    BadResponse(String),
}

impl GoPlusError {
    /// Worth pressing "Rescan" for: the same request may well succeed later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            GoPlusError::Partial { .. } | GoPlusError::RateLimited | GoPlusError::Unavailable(_)
        )
    }
}

/// GoPlus status codes (per its docs) that are not plain success.
mod code {
    pub const OK: i64 = 1;
    pub const PARTIAL: i64 = 2;
    pub const NON_CONTRACT_ADDRESS: i64 = 2020;
    pub const CONTRACT_INFO_NOT_FOUND: i64 = 2021;
    pub const APP_KEY_NOT_EXIST: i64 = 4010;
    pub const SIGNATURE_EXPIRED: i64 = 4011;
    pub const SIGNATURE_INVALID: i64 = 4012;
    pub const INVALID_TOKEN: i64 = 4022;
    pub const TOKEN_NOT_FOUND: i64 = 4023;
    pub const RATE_LIMITED: i64 = 4029;
    pub const SERVER_ERROR: i64 = 5000;
}

/// A small GoPlus client; the base URL is injectable so tests point it at the simulator.
#[derive(Debug, Clone)]
pub struct GoPlusClient {
    http: reqwest::Client,
    base_url: String,
    /// `None`: the public tier, without an `Authorization` header.
    tokens: Option<TokenSource>,
}

impl GoPlusClient {
    pub fn new(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        GoPlusClient {
            http,
            base_url: base_url.into().trim_end_matches('/').to_string(),
            tokens: None,
        }
    }

    /// Signs in with app credentials: every request then carries an access token.
    pub fn with_credentials(mut self, credentials: AppCredentials) -> Self {
        self.tokens = Some(TokenSource::new(
            self.http.clone(),
            &self.base_url,
            credentials,
        ));
        self
    }

    /// The URL for one token on one chain (without the query string).
    pub fn endpoint(&self, chain: Chain) -> String {
        match chain.family() {
            ChainFamily::Solana => format!("{}/api/v1/solana/token_security", self.base_url),
            ChainFamily::Tron => format!("{}/api/v1/token_security/tron", self.base_url),
            ChainFamily::Evm => format!(
                "{}/api/v1/token_security/{}",
                self.base_url,
                chain.evm_chain_id().unwrap_or_default()
            ),
        }
    }

    /// Fetches and parses the security entry of `address` (canonical form) on `chain`.
    pub async fn token_security(
        &self,
        chain: Chain,
        address: &str,
    ) -> Result<TokenSecurity, GoPlusError> {
        let Some(tokens) = &self.tokens else {
            return self.fetch_security(chain, address, None).await;
        };
        let token = tokens.token().await?;
        match self.fetch_security(chain, address, Some(&token)).await {
            // Revoked or expired early: one retry with a fresh token.
            Err(GoPlusError::Unauthorized { code, .. })
                if code == code::INVALID_TOKEN || code == code::TOKEN_NOT_FOUND =>
            {
                tokens.forget(&token).await;
                let fresh = tokens.token().await?;
                self.fetch_security(chain, address, Some(&fresh)).await
            }
            other => other,
        }
    }

    async fn fetch_security(
        &self,
        chain: Chain,
        address: &str,
        access_token: Option<&str>,
    ) -> Result<TokenSecurity, GoPlusError> {
        let mut request = self
            .http
            .get(self.endpoint(chain))
            .query(&[("contract_addresses", address)]);
        if let Some(token) = access_token {
            request = request.header(reqwest::header::AUTHORIZATION, token);
        }
        let response = request.send().await.map_err(|error| http_failure(&error))?;
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(GoPlusError::RateLimited);
        }
        if status.is_server_error() {
            return Err(GoPlusError::Unavailable(format!(
                "HTTP {}",
                status.as_u16()
            )));
        }
        let body = response
            .text()
            .await
            .map_err(|_| GoPlusError::Unavailable("the response was cut off".to_string()))?;
        if !status.is_success() && serde_json::from_str::<Value>(&body).is_err() {
            return Err(GoPlusError::Api {
                code: i64::from(status.as_u16()),
                message: format!("HTTP {}", status.as_u16()),
            });
        }
        parse_response(chain, address, &body)
    }
}

/// A request that got no answer at all.
fn http_failure(error: &reqwest::Error) -> GoPlusError {
    GoPlusError::Unavailable(if error.is_timeout() {
        "request timed out".to_string()
    } else {
        "could not connect".to_string()
    })
}

/// Interprets a GoPlus response body for `address` on `chain`. Pure.
pub fn parse_response(
    chain: Chain,
    address: &str,
    body: &str,
) -> Result<TokenSecurity, GoPlusError> {
    let envelope = check_envelope(body)?;
    let result = match envelope.get("result") {
        Some(Value::Object(result)) => result,
        Some(Value::Null) | None => return Err(GoPlusError::TokenNotFound),
        Some(_) => {
            return Err(GoPlusError::BadResponse(
                "result is not an object".to_string(),
            ));
        }
    };
    let entry = find_entry(result, address).ok_or(GoPlusError::TokenNotFound)?;
    let entry = entry
        .as_object()
        .ok_or_else(|| GoPlusError::BadResponse("token entry is not an object".to_string()))?;
    if !TokenSecurity::entry_describes_a_token(entry) {
        return Err(GoPlusError::NotAToken);
    }
    Ok(match chain.family() {
        ChainFamily::Solana => TokenSecurity::from_solana_entry(entry),
        ChainFamily::Evm | ChainFamily::Tron => TokenSecurity::from_evm_entry(entry),
    })
}

/// Reads the `{code, message, result}` envelope every GoPlus endpoint answers with and turns
/// any status but success into its typed error. Pure.
fn check_envelope(body: &str) -> Result<Map<String, Value>, GoPlusError> {
    let envelope: Value = serde_json::from_str(body)
        .map_err(|error| GoPlusError::BadResponse(format!("not JSON ({error})")))?;
    let Value::Object(envelope) = envelope else {
        return Err(GoPlusError::BadResponse("not a JSON object".to_string()));
    };
    let status = status_code(&envelope)
        .ok_or_else(|| GoPlusError::BadResponse("no status code".to_string()))?;
    let message = envelope
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match status {
        code::OK => {}
        code::PARTIAL => {
            return Err(GoPlusError::Partial {
                retry_after: PARTIAL_RETRY_AFTER,
            });
        }
        code::RATE_LIMITED => return Err(GoPlusError::RateLimited),
        code::NON_CONTRACT_ADDRESS => return Err(GoPlusError::NotAToken),
        code::CONTRACT_INFO_NOT_FOUND => return Err(GoPlusError::TokenNotFound),
        code::APP_KEY_NOT_EXIST
        | code::SIGNATURE_EXPIRED
        | code::SIGNATURE_INVALID
        | code::INVALID_TOKEN
        | code::TOKEN_NOT_FOUND => {
            return Err(GoPlusError::Unauthorized {
                code: status,
                message,
            });
        }
        code::SERVER_ERROR => return Err(GoPlusError::Unavailable(message)),
        other => {
            return Err(GoPlusError::Api {
                code: other,
                message,
            });
        }
    }
    Ok(envelope)
}

fn status_code(envelope: &Map<String, Value>) -> Option<i64> {
    match envelope.get("code")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// GoPlus keys EVM results by the lowercased address; match exactly first, then ignoring
/// case, so a differently-cased echo is still found.
fn find_entry<'a>(result: &'a Map<String, Value>, address: &str) -> Option<&'a Value> {
    result.get(address).or_else(|| {
        result
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(address))
            .map(|(_, value)| value)
    })
}

#[cfg(test)]
mod tests;
