//! The HTTP edge shared by the explorer clients: send, classify the status, read JSON.
//!
//! Request URLs can carry an API key (Etherscan takes it as a query parameter), so
//! transport errors are stripped of their URL before they become error text.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::chain::Chain;
use super::error::VerifyError;

/// Per-request limit; a stuck explorer must turn into "unavailable", not a hung chat.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Larger bodies are not transaction lookups; refuse instead of buffering them.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Sends `request` and returns the JSON body of a successful response.
pub(crate) async fn fetch_json(
    chain: Chain,
    request: reqwest::RequestBuilder,
) -> Result<Value, VerifyError> {
    let response = request
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await
        .map_err(|e| transport_error(chain, e))?;
    let status = response.status();
    let body = read_capped(chain, response).await?;
    if status.is_success() {
        return serde_json::from_slice(&body).map_err(|e| VerifyError::Malformed {
            chain,
            detail: format!("body is not JSON ({e})"),
        });
    }
    Err(classify_failure(chain, status, &body))
}

async fn read_capped(
    chain: Chain,
    mut response: reqwest::Response,
) -> Result<Vec<u8>, VerifyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(chain, e))?
    {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(VerifyError::Malformed {
                chain,
                detail: "response body too large".into(),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn transport_error(chain: Chain, error: reqwest::Error) -> VerifyError {
    let kind = crate::net::failure_kind(&error);
    VerifyError::Unavailable {
        chain,
        detail: format!("{kind}: {}", error.without_url()),
    }
}

/// Non-2xx: overload and outages are retryable, anything else is a refusal.
fn classify_failure(chain: Chain, status: StatusCode, body: &[u8]) -> VerifyError {
    let message = error_message(body);
    let detail = match &message {
        Some(message) => format!("HTTP {} ({message})", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    };
    let throttled_text = message.as_deref().is_some_and(mentions_throttling);
    let transient = status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
        // Tronscan answers throttling with 403 "request too quickly".
        || (status == StatusCode::FORBIDDEN && throttled_text);
    if transient {
        VerifyError::Unavailable { chain, detail }
    } else {
        VerifyError::Refused { chain, detail }
    }
}

pub(crate) fn mentions_throttling(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "rate limit",
        "too many",
        "too quickly",
        "frequency limit",
        "rate exceeded",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// The human message of a JSON error body, shortened; HTML error pages give nothing.
fn error_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let text = ["message", "Error", "error", "result"]
        .iter()
        .find_map(|key| match value.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Object(inner) => inner.get("message")?.as_str().map(str::to_string),
            _ => None,
        })?;
    Some(text.chars().take(160).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overload_and_outages_are_unavailable() {
        for status in [429u16, 500, 502, 503, 504, 408] {
            let status = StatusCode::from_u16(status).unwrap();
            assert!(
                matches!(
                    classify_failure(Chain::Solana, status, b"<html>busy</html>"),
                    VerifyError::Unavailable { .. }
                ),
                "{status}"
            );
        }
    }

    #[test]
    fn tronscan_throttling_403_is_unavailable_but_a_plain_403_is_refused() {
        let throttled = br#"{"code":403,"message":"request too quickly, please retry later."}"#;
        let err = classify_failure(Chain::Tron, StatusCode::FORBIDDEN, throttled);
        assert_eq!(
            err,
            VerifyError::Unavailable {
                chain: Chain::Tron,
                detail: "HTTP 403 (request too quickly, please retry later.)".into()
            }
        );
        assert!(matches!(
            classify_failure(Chain::Tron, StatusCode::FORBIDDEN, b"<html>403</html>"),
            VerifyError::Refused { .. }
        ));
        assert!(matches!(
            classify_failure(Chain::Tron, StatusCode::UNAUTHORIZED, b"{}"),
            VerifyError::Refused { .. }
        ));
    }

    #[test]
    fn json_rpc_error_messages_are_extracted() {
        let body =
            br#"{"jsonrpc":"2.0","error":{"code":429,"message":"Too many requests"},"id":1}"#;
        assert_eq!(error_message(body).as_deref(), Some("Too many requests"));
        assert_eq!(error_message(b"not json"), None);
    }
}
