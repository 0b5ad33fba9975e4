//! Shared helpers of the Telegram simulator tests: a started simulator and a small Bot API
//! client that returns status and body as they came over the wire.

#![allow(dead_code)]

use serde_json::{Value, json};
use tiltguard_sim::{FloodLimits, SimChat, SimUser, TelegramSim, TelegramSimConfig};

pub async fn start(limits: FloodLimits) -> TelegramSim {
    start_with(TelegramSimConfig {
        limits,
        ..TelegramSimConfig::default()
    })
    .await
}

pub async fn start_with(config: TelegramSimConfig) -> TelegramSim {
    match TelegramSim::start(config).await {
        Ok(sim) => sim,
        Err(error) => panic!("simulator failed to start: {error}"),
    }
}

pub fn ann() -> SimUser {
    SimUser::new(1001, "Ann").with_username("ann_trades")
}

pub fn bob() -> SimUser {
    SimUser::new(1002, "Bob")
}

/// Ann's private chat, made known to the bot by a first message from her.
pub fn ann_chat(sim: &TelegramSim) -> SimChat {
    let chat = SimChat::private(&ann());
    sim.send_text(&chat, &ann(), "/start");
    chat
}

pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(sim: &TelegramSim) -> Api {
        Api::with_token(sim, &sim.token())
    }

    pub fn with_token(sim: &TelegramSim, token: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: format!("{}/bot{}", sim.api_url(), token),
        }
    }

    pub fn url(&self, method: &str) -> String {
        format!("{}/{}", self.base, method)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// POSTs a JSON body; returns (HTTP status, parsed body).
    pub async fn call(&self, method: &str, body: Value) -> (u16, Value) {
        let request = self.http.post(self.url(method)).json(&body);
        into_parts(request.send().await).await
    }

    /// Asserts success and returns `result`.
    pub async fn ok(&self, method: &str, body: Value) -> Value {
        let (status, reply) = self.call(method, body).await;
        assert_eq!(status, 200, "{method} failed: {reply}");
        assert_eq!(reply["ok"], json!(true), "{method}: {reply}");
        reply["result"].clone()
    }

    /// Asserts failure with `code` and returns the description.
    pub async fn fails(&self, method: &str, body: Value, code: u16) -> String {
        let (status, reply) = self.call(method, body).await;
        assert_eq!(status, code, "{method} should fail with {code}: {reply}");
        assert_eq!(reply["ok"], json!(false), "{method}: {reply}");
        assert_eq!(reply["error_code"], json!(code), "{method}: {reply}");
        reply["description"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn send(&self, chat_id: i64, text: &str) -> (u16, Value) {
        self.call("sendMessage", json!({"chat_id": chat_id, "text": text}))
            .await
    }

    pub async fn send_html(&self, chat_id: i64, html: &str) -> (u16, Value) {
        self.call(
            "sendMessage",
            json!({"chat_id": chat_id, "text": html, "parse_mode": "HTML"}),
        )
        .await
    }
}

pub async fn into_parts(response: reqwest::Result<reqwest::Response>) -> (u16, Value) {
    let response = match response {
        Ok(response) => response,
        Err(error) => panic!("request failed: {error}"),
    };
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// The `retry_after` of a 429 body, checking the envelope is exactly Telegram's.
pub fn retry_after(body: &Value) -> u64 {
    let seconds = body["parameters"]["retry_after"].as_u64().unwrap_or(0);
    assert_eq!(
        body,
        &json!({
            "ok": false,
            "error_code": 429,
            "description": format!("Too Many Requests: retry after {seconds}"),
            "parameters": {"retry_after": seconds},
        })
    );
    assert!(seconds >= 1);
    seconds
}
