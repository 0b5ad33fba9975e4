//! GoPlus signed access, as the real service checks it: `POST /api/v1/token` with
//! `{app_key, time, sign}` where `sign = sha1(app_key + time + app_secret)` and `time` within
//! ±1000 s of the server clock, answered with an access token that expires; security requests
//! may then send it as the `Authorization` header.
//!
//! Requests without the header are the public tier and still served. A header with an unknown
//! or expired token is refused with code 4022, never silently served.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};

use super::fixtures::goplus_envelope;
use super::{GoPlusMode, Shared, json_response};

/// How far `time` may be from the server clock (GoPlus' documented window).
pub const CLOCK_WINDOW_SECONDS: i64 = 1000;
/// GoPlus' token lifetime unless a test changes it.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(7200);

/// Registered apps and the tokens issued to them.
#[derive(Default)]
pub struct AuthState {
    /// app_key → app_secret.
    pub apps: HashMap<String, String>,
    /// access token → when it expires.
    pub tokens: HashMap<String, Instant>,
    pub token_lifetime: Option<Duration>,
    pub token_requests: usize,
    pub authorized_calls: usize,
    pub refused_tokens: usize,
    issued: u64,
}

/// What the `Authorization` header of a security request amounts to.
pub enum Access {
    Public,
    Token,
    Refused,
}

impl AuthState {
    pub fn check(&mut self, headers: &HeaderMap) -> Access {
        let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
            return Access::Public;
        };
        let valid = value
            .to_str()
            .ok()
            .and_then(|token| self.tokens.get(token.trim()))
            .is_some_and(|expires| Instant::now() < *expires);
        if valid {
            self.authorized_calls += 1;
            Access::Token
        } else {
            self.refused_tokens += 1;
            Access::Refused
        }
    }

    /// Every issued token stops working, as after its lifetime.
    pub fn expire_all(&mut self) {
        let now = Instant::now();
        for expires in self.tokens.values_mut() {
            *expires = now;
        }
    }

    fn issue(&mut self, app_key: &str, time: i64) -> (String, Duration) {
        self.issued += 1;
        let mut hasher = Sha1::new();
        hasher.update(format!("{app_key}:{time}:{}", self.issued).as_bytes());
        let token = hex(&hasher.finalize());
        let lifetime = self.token_lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME);
        self.tokens.insert(token.clone(), Instant::now() + lifetime);
        (token, lifetime)
    }
}

/// The answer for a security request with a token GoPlus does not accept.
pub fn invalid_token() -> Response {
    json_response(
        StatusCode::OK,
        goplus_envelope(4022, "invalid access token", None),
    )
}

/// `sha1(app_key + time + app_secret)` in lowercase hex.
pub fn expected_sign(app_key: &str, time: i64, app_secret: &str) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("{app_key}{time}{app_secret}").as_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `time` arrives as a number from some SDKs and as a string from others.
fn read_time(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) async fn issue_token(State(shared): State<Shared>, body: Bytes) -> Response {
    let (mode, latency) = {
        let mut inner = shared.lock();
        inner.auth.token_requests += 1;
        (
            inner.goplus_mode.unwrap_or(GoPlusMode::Normal),
            inner.latency,
        )
    };
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
        GoPlusMode::Normal | GoPlusMode::Partial => {}
    }
    let request: Option<Map<String, Value>> = serde_json::from_slice(&body).ok();
    let fields = request.as_ref().and_then(|r| {
        Some((
            r.get("app_key")?.as_str()?.to_string(),
            read_time(r.get("time"))?,
            r.get("sign")?.as_str()?.to_ascii_lowercase(),
        ))
    });
    let Some((app_key, time, sign)) = fields else {
        return json_response(StatusCode::OK, goplus_envelope(5006, "param error", None));
    };
    let mut inner = shared.lock();
    let Some(secret) = inner.auth.apps.get(&app_key).cloned() else {
        return json_response(
            StatusCode::OK,
            goplus_envelope(4010, "app_key not exist", None),
        );
    };
    if (unix_now() - time).abs() > CLOCK_WINDOW_SECONDS {
        return json_response(
            StatusCode::OK,
            goplus_envelope(4011, "signature expiration", None),
        );
    }
    if sign != expected_sign(&app_key, time, &secret) {
        return json_response(
            StatusCode::OK,
            goplus_envelope(4012, "signature verification failure", None),
        );
    }
    let (token, lifetime) = inner.auth.issue(&app_key, time);
    let mut result = Map::new();
    result.insert("access_token".into(), json!(token));
    result.insert("expires_in".into(), json!(lifetime.as_secs()));
    json_response(StatusCode::OK, goplus_envelope(1, "OK", Some(result)))
}

#[cfg(test)]
mod tests {
    use super::super::RiskSim;
    use super::super::fixtures::WETH;
    use super::*;

    const KEY: &str = "mBOMg20QW11BbtyH4Zh0";
    const SECRET: &str = "V6aRfxlPJwN3ViJSIFSCdxPvneajuJsh";

    async fn post_token(base: &str, body: Value) -> Value {
        let response = reqwest::Client::new()
            .post(format!("{base}/api/v1/token"))
            .json(&body)
            .send()
            .await
            .expect("request");
        response.json().await.expect("json")
    }

    async fn security(base: &str, token: Option<&str>) -> Value {
        let mut request = reqwest::Client::new().get(format!(
            "{base}/api/v1/token_security/1?contract_addresses={WETH}"
        ));
        if let Some(token) = token {
            request = request.header("Authorization", token);
        }
        request
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    #[test]
    fn the_documented_signature_verifies() {
        assert_eq!(
            expected_sign(KEY, 1_647_847_498, SECRET),
            "7293d385b9225b3c3f232b76ba97255d0e21063e"
        );
    }

    #[tokio::test]
    async fn only_a_correct_fresh_signature_gets_a_token() {
        let sim = RiskSim::start().await.expect("start");
        sim.register_app(KEY, SECRET);
        let base = sim.base_url();
        let now = unix_now();
        let good = json!({"app_key": KEY, "time": now, "sign": expected_sign(KEY, now, SECRET)});
        let issued = post_token(&base, good).await;
        assert_eq!(issued["code"], 1);
        assert_eq!(issued["result"]["expires_in"], 7200);
        assert!(
            issued["result"]["access_token"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
        // `time` as a string is accepted too.
        let stringly = json!({"app_key": KEY, "time": now.to_string(), "sign": expected_sign(KEY, now, SECRET)});
        assert_eq!(post_token(&base, stringly).await["code"], 1);

        let cases = [
            (
                json!({"app_key": "nobody", "time": now, "sign": expected_sign("nobody", now, SECRET)}),
                4010,
            ),
            (
                json!({"app_key": KEY, "time": now - 1001, "sign": expected_sign(KEY, now - 1001, SECRET)}),
                4011,
            ),
            (
                json!({"app_key": KEY, "time": now, "sign": expected_sign(KEY, now, "wrong")}),
                4012,
            ),
            (
                json!({"app_key": KEY, "time": now, "sign": expected_sign(KEY, now + 1, SECRET)}),
                4012,
            ),
            (json!({"app_key": KEY, "sign": "x"}), 5006),
        ];
        for (body, code) in cases {
            let answer = post_token(&base, body.clone()).await;
            assert_eq!(answer["code"], code, "{body}");
            assert!(answer["result"].is_null());
        }
        assert_eq!(sim.token_requests(), 7);
    }

    #[tokio::test]
    async fn tokens_are_checked_on_security_requests_and_expire() {
        let sim = RiskSim::start().await.expect("start");
        sim.register_app(KEY, SECRET);
        let base = sim.base_url();
        let now = unix_now();
        let issued = post_token(
            &base,
            json!({"app_key": KEY, "time": now, "sign": expected_sign(KEY, now, SECRET)}),
        )
        .await;
        let token = issued["result"]["access_token"]
            .as_str()
            .expect("token")
            .to_string();
        assert_eq!(security(&base, Some(&token)).await["code"], 1);
        assert_eq!(security(&base, None).await["code"], 1, "public tier");
        assert_eq!(security(&base, Some("made-up")).await["code"], 4022);
        sim.expire_access_tokens();
        assert_eq!(security(&base, Some(&token)).await["code"], 4022);
        assert_eq!(sim.goplus_calls_with_token(), 1);
        assert_eq!(sim.refused_tokens(), 2);
    }
}
