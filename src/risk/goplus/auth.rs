//! GoPlus signed access: `GOPLUS_APP_KEY` and `GOPLUS_APP_SECRET` are exchanged for a
//! short-lived access token (`POST /api/v1/token` with `sign = sha1(app_key + time +
//! app_secret)`), which is cached until shortly before it expires and sent as the
//! `Authorization` header of every security request.
//!
//! Signing and response parsing are pure; [`TokenSource`] is the thin, shared HTTP part.
//! The secret itself never leaves this process: only its signature is sent.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use super::{GoPlusError, check_envelope, http_failure};

/// Used when GoPlus omits `expires_in`: short, so an unknown lifetime costs a few extra token
/// requests rather than failed scans.
const UNKNOWN_LIFETIME: Duration = Duration::from_secs(300);
/// Refresh this long before the token expires (or a tenth of its lifetime, if shorter), so a
/// request never leaves with a token that dies on the way.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The operator's GoPlus app credentials. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AppCredentials {
    pub app_key: String,
    app_secret: String,
}

impl AppCredentials {
    pub fn new(app_key: impl Into<String>, app_secret: impl Into<String>) -> AppCredentials {
        AppCredentials {
            app_key: app_key.into(),
            app_secret: app_secret.into(),
        }
    }

    /// The request body for `POST /api/v1/token` at unix time `time`.
    pub fn token_request(&self, time: i64) -> Value {
        json!({
            "app_key": self.app_key,
            "time": time,
            "sign": sign(&self.app_key, time, &self.app_secret),
        })
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_key", &self.app_key)
            .field("app_secret", &"<redacted>")
            .finish()
    }
}

/// GoPlus' signature: lowercase hex SHA-1 of `app_key`, the decimal unix time and
/// `app_secret`, concatenated.
pub fn sign(app_key: &str, time: i64, app_secret: &str) -> String {
    let mut hasher = Sha1::new();
    hasher.update(app_key.as_bytes());
    hasher.update(time.to_string().as_bytes());
    hasher.update(app_secret.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A token GoPlus issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    pub expires_in: Duration,
}

impl AccessToken {
    /// When to stop using it, counted from when it was received.
    pub fn usable_for(&self) -> Duration {
        let margin = REFRESH_MARGIN.min(self.expires_in / 10);
        self.expires_in.saturating_sub(margin)
    }
}

/// Interprets the answer of `POST /api/v1/token`. Pure.
pub fn parse_token_response(body: &str) -> Result<AccessToken, GoPlusError> {
    let envelope = check_envelope(body)?;
    let result = envelope
        .get("result")
        .and_then(Value::as_object)
        .ok_or_else(|| GoPlusError::BadResponse("token answer without a result".to_string()))?;
    let token = result
        .get("access_token")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| GoPlusError::BadResponse("token answer without access_token".to_string()))?;
    let expires_in = match result.get("expires_in") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|seconds| *seconds > 0)
    .map_or(UNKNOWN_LIFETIME, Duration::from_secs);
    Ok(AccessToken {
        token: token.to_string(),
        expires_in,
    })
}

struct Cached {
    token: String,
    refresh_at: Instant,
}

/// Hands out a valid access token, asking GoPlus only when the cached one is (nearly)
/// expired. Clones share the cache; concurrent callers wait for one token request.
#[derive(Clone)]
pub struct TokenSource {
    http: reqwest::Client,
    url: String,
    credentials: Arc<AppCredentials>,
    cached: Arc<tokio::sync::Mutex<Option<Cached>>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("url", &self.url)
            .field("app_key", &self.credentials.app_key)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// `base_url` is the GoPlus base URL (the token endpoint lives under it).
    pub fn new(http: reqwest::Client, base_url: &str, credentials: AppCredentials) -> TokenSource {
        TokenSource {
            http,
            url: format!("{}/api/v1/token", base_url.trim_end_matches('/')),
            credentials: Arc::new(credentials),
            cached: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// A token that is valid now.
    pub async fn token(&self) -> Result<String, GoPlusError> {
        // Held across the request on purpose: concurrent scans share one token request.
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref()
            && Instant::now() < current.refresh_at
        {
            return Ok(current.token.clone());
        }
        let issued = self.request().await?;
        let refresh_at = Instant::now() + issued.usable_for();
        *cached = Some(Cached {
            token: issued.token.clone(),
            refresh_at,
        });
        Ok(issued.token)
    }

    /// Drops `rejected` (GoPlus no longer accepts it) so the next call asks for a new one.
    pub async fn forget(&self, rejected: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.token == rejected) {
            *cached = None;
        }
    }

    async fn request(&self) -> Result<AccessToken, GoPlusError> {
        let response = self
            .http
            .post(&self.url)
            .json(&self.credentials.token_request(unix_now()))
            .send()
            .await
            .map_err(|error| http_failure(&error))?;
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
        let parsed = parse_token_response(&body);
        if let Err(GoPlusError::Unauthorized { code, .. }) = &parsed {
            // The operator must fix the credentials; name the variables, never their values.
            tracing::error!(
                code,
                "GoPlus refused GOPLUS_APP_KEY/GOPLUS_APP_SECRET; check both, and the server clock"
            );
        }
        parsed
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_documented_example() {
        // The worked example from GoPlus' API reference for `/api/v1/token`.
        assert_eq!(
            sign(
                "mBOMg20QW11BbtyH4Zh0",
                1_647_847_498,
                "V6aRfxlPJwN3ViJSIFSCdxPvneajuJsh"
            ),
            "7293d385b9225b3c3f232b76ba97255d0e21063e"
        );
    }

    #[test]
    fn the_request_carries_key_time_and_signature_but_not_the_secret() {
        let credentials =
            AppCredentials::new("mBOMg20QW11BbtyH4Zh0", "V6aRfxlPJwN3ViJSIFSCdxPvneajuJsh");
        let body = credentials.token_request(1_647_847_498);
        assert_eq!(body["app_key"], "mBOMg20QW11BbtyH4Zh0");
        assert_eq!(body["time"], 1_647_847_498);
        assert_eq!(body["sign"], "7293d385b9225b3c3f232b76ba97255d0e21063e");
        assert!(!body.to_string().contains("V6aRfx"));
        assert!(!format!("{credentials:?}").contains("V6aRfx"));
    }

    #[test]
    fn a_token_answer_parses_with_its_lifetime() {
        let body = r#"{"code":1,"message":"OK","result":{"access_token":"abc","expires_in":7200}}"#;
        let token = parse_token_response(body).expect("token");
        assert_eq!(token.token, "abc");
        assert_eq!(token.expires_in, Duration::from_secs(7200));
        assert_eq!(token.usable_for(), Duration::from_secs(7140));
        let short = AccessToken {
            token: "t".into(),
            expires_in: Duration::from_secs(20),
        };
        assert_eq!(short.usable_for(), Duration::from_secs(18));
        let stringly =
            r#"{"code":"1","message":"OK","result":{"access_token":"abc","expires_in":"60"}}"#;
        assert_eq!(
            parse_token_response(stringly).map(|t| t.expires_in),
            Ok(Duration::from_secs(60))
        );
        let no_lifetime = r#"{"code":1,"message":"OK","result":{"access_token":"abc"}}"#;
        assert_eq!(
            parse_token_response(no_lifetime).map(|t| t.expires_in),
            Ok(UNKNOWN_LIFETIME)
        );
    }

    #[test]
    fn refusals_and_garbage_are_typed_errors() {
        for code in [4010, 4011, 4012] {
            let body = format!(r#"{{"code":{code},"message":"refused","result":null}}"#);
            assert!(matches!(
                parse_token_response(&body),
                Err(GoPlusError::Unauthorized { code: c, .. }) if c == code
            ));
        }
        let limited = r#"{"code":4029,"message":"too many requests","result":null}"#;
        assert_eq!(parse_token_response(limited), Err(GoPlusError::RateLimited));
        for body in [
            "",
            r#"{"code":1,"message":"OK","result":null}"#,
            r#"{"code":1,"message":"OK","result":{"access_token":" "}}"#,
        ] {
            assert!(
                matches!(parse_token_response(body), Err(GoPlusError::BadResponse(_))),
                "{body:?}"
            );
        }
    }
}
