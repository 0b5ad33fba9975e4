//! A thin Bot API client: one `call` that speaks Telegram's envelope, plus typed wrappers.
//!
//! We use teloxide's types but our own transport, because the bot needs methods teloxide 0.17
//! does not know (`sendMessageDraft`), raw update JSON for the durable inbox, and errors that
//! can never carry the request URL (it contains the bot token).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde::de::IgnoredAny;

pub use super::wire::SentMessage;
use super::wire::{Envelope, NO_PREVIEW, ReplyTo, TextCall};
use serde_json::{Value, json};
use teloxide::types::{InlineKeyboardMarkup, User};

use crate::config::Secret;
use crate::net::{HttpClient, HttpError, Pipeline, PostRequest, Target};

mod draft;
mod error;
pub use draft::DraftCall;
pub use error::TgError;

/// A file Telegram stores for us (`getFile`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RemoteFile {
    pub file_id: String,
    pub file_size: Option<u64>,
    pub file_path: Option<String>,
}

/// Largest Bot API answer read (a full `getUpdates` batch is far below this).
const MAX_RESPONSE_BYTES: usize = 16 << 20;

#[derive(Clone)]
pub struct BotApi {
    http: reqwest::Client,
    /// Method calls over `net`'s lean client (one syscall each way per call, kept-alive
    /// connections); `None` when a proxy is configured, then reqwest carries them. The
    /// target's path holds the token: never printed.
    direct: Option<Arc<Direct>>,
    /// `{api_url}/bot{token}`: secret, never logged.
    method_base: Secret,
    file_base: Secret,
}

/// Parse mode for outgoing text: HTML from our formatter, or none for the plain fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextMode {
    Html,
    Plain,
}

impl BotApi {
    /// Calls go over `net`'s client, or reqwest when a proxy is configured.
    pub fn new(http: reqwest::Client, api_url: &str, token: &Secret) -> BotApi {
        let mut api = BotApi::through_reqwest(http, api_url, token);
        if !crate::net::proxy_configured() {
            // A URL that does not parse here was already refused by the config; the error
            // would contain the token, so it is not shown.
            let base = format!("{}/bot{}", api_url.trim_end_matches('/'), token.expose());
            api.direct = Target::parse(&base).ok().map(|base| {
                Arc::new(Direct {
                    drafts: Pipeline::new(crate::net::shared_client(), &base, SHORT),
                    draft_target: base.join(draft::METHOD),
                    client: crate::net::shared_client(),
                    base,
                    methods: Mutex::default(),
                })
            });
        }
        api
    }

    /// Every call through reqwest (which honours `HTTPS_PROXY` and friends).
    pub fn through_reqwest(http: reqwest::Client, api_url: &str, token: &Secret) -> BotApi {
        let api_url = api_url.trim_end_matches('/');
        BotApi {
            direct: None,
            http,
            method_base: Secret::new(format!("{api_url}/bot{}", token.expose())),
            file_base: Secret::new(format!("{api_url}/file/bot{}", token.expose())),
        }
    }

    /// Calls `method` with a JSON body and decodes `result`.
    pub async fn call<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: &'static str,
        body: &B,
        timeout: Duration,
    ) -> Result<R, TgError> {
        let (status, bytes) = match &self.direct {
            Some(direct) => {
                let target = direct.target(method);
                call_direct(&direct.client, &target, method, body, timeout).await?
            }
            None => {
                let url = format!("{}/{method}", self.method_base.expose());
                let response = self
                    .http
                    .post(url)
                    .json(body)
                    .timeout(timeout)
                    .send()
                    .await
                    .map_err(|e| network(method, e))?;
                let status = response.status().as_u16();
                let bytes = response.bytes().await.map_err(|e| network(method, e))?;
                (status, bytes.to_vec())
            }
        };
        let answer = read_envelope(method, status, &bytes);
        crate::net::spare::give_back(bytes);
        answer
    }

    pub async fn get_me(&self) -> Result<User, TgError> {
        self.call("getMe", &json!({}), SHORT).await
    }

    /// One long poll. Updates come back raw so the inbox can store them verbatim, including
    /// kinds teloxide does not model (`stopped_message_generation`).
    pub async fn get_updates(
        &self,
        offset: i64,
        timeout: Duration,
        allowed_updates: &[&str],
    ) -> Result<Vec<Value>, TgError> {
        let body = json!({
            "offset": offset,
            "timeout": timeout.as_secs(),
            "allowed_updates": allowed_updates,
        });
        self.call("getUpdates", &body, timeout + Duration::from_secs(10))
            .await
    }

    /// Confirms every update below `offset` without waiting for new ones.
    pub async fn get_updates_confirm_only(&self, offset: i64) -> Result<(), TgError> {
        let body = json!({"offset": offset, "timeout": 0, "limit": 1});
        self.call::<_, IgnoredAny>("getUpdates", &body, SHORT)
            .await
            .map(drop)
    }

    pub async fn send_message(
        &self,
        chat_id: i64,
        text: &str,
        mode: TextMode,
        keyboard: Option<&InlineKeyboardMarkup>,
        reply_to: Option<i32>,
    ) -> Result<SentMessage, TgError> {
        let body = TextCall {
            link_preview_options: Some(NO_PREVIEW),
            reply_parameters: reply_to.map(|message_id| ReplyTo {
                message_id,
                allow_sending_without_reply: true,
            }),
            ..TextCall::new(chat_id, text, mode, keyboard)
        };
        self.call("sendMessage", &body, SHORT).await
    }

    pub async fn edit_message_text(
        &self,
        chat_id: i64,
        message_id: i32,
        text: &str,
        mode: TextMode,
        keyboard: Option<&InlineKeyboardMarkup>,
    ) -> Result<(), TgError> {
        let body = TextCall {
            message_id: Some(message_id),
            link_preview_options: Some(NO_PREVIEW),
            ..TextCall::new(chat_id, text, mode, keyboard)
        };
        // The result is the edited Message (or `true` for inline messages); we need neither.
        self.call::<_, IgnoredAny>("editMessageText", &body, SHORT)
            .await
            .map(drop)
    }

    pub async fn delete_message(&self, chat_id: i64, message_id: i32) -> Result<(), TgError> {
        let body = json!({"chat_id": chat_id, "message_id": message_id});
        self.call::<_, IgnoredAny>("deleteMessage", &body, SHORT)
            .await
            .map(drop)
    }

    pub async fn send_chat_action(&self, chat_id: i64, action: &str) -> Result<(), TgError> {
        let body = json!({"chat_id": chat_id, "action": action});
        self.call::<_, IgnoredAny>("sendChatAction", &body, SHORT)
            .await
            .map(drop)
    }

    pub async fn answer_callback_query(
        &self,
        callback_id: &str,
        text: Option<&str>,
    ) -> Result<(), TgError> {
        let mut body = json!({"callback_query_id": callback_id});
        if let Some(text) = text {
            body["text"] = json!(text);
        }
        self.call::<_, IgnoredAny>("answerCallbackQuery", &body, SHORT)
            .await
            .map(drop)
    }

    pub async fn set_my_commands(&self, commands: &[(&str, &str)]) -> Result<(), TgError> {
        let commands: Vec<Value> = commands
            .iter()
            .map(|(command, description)| json!({"command": command, "description": description}))
            .collect();
        self.call::<_, IgnoredAny>("setMyCommands", &json!({"commands": commands}), SHORT)
            .await
            .map(drop)
    }

    pub async fn get_file(&self, file_id: &str) -> Result<RemoteFile, TgError> {
        self.call("getFile", &json!({"file_id": file_id}), SHORT)
            .await
    }

    /// Downloads a file, refusing anything larger than `max_bytes` before reading it all.
    pub async fn download(&self, file_path: &str, max_bytes: u64) -> Result<Vec<u8>, TgError> {
        const METHOD: &str = "file download";
        let url = format!("{}/{file_path}", self.file_base.expose());
        let mut response = self
            .http
            .get(url)
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .map_err(|e| network(METHOD, e))?;
        if !response.status().is_success() {
            return Err(TgError::Api {
                method: METHOD,
                code: response.status().as_u16(),
                description: "file download failed".into(),
                retry_after: None,
                migrate_to_chat_id: None,
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| network(METHOD, e))? {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(TgError::Decode {
                    method: METHOD,
                    detail: format!("file is larger than {max_bytes} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

const SHORT: Duration = Duration::from_secs(30);

/// The lean client and where its calls go.
struct Direct {
    client: HttpClient,
    /// Previews, queued and written together with the others due at the same moment.
    drafts: Pipeline,
    /// `…/sendMessageDraft`, the most frequent call.
    draft_target: Target,
    /// `…/bot<token>`.
    base: Target,
    /// Each method's URL, built once: a call is too cheap to pay for building it.
    methods: Mutex<HashMap<&'static str, Arc<Target>>>,
}

impl Direct {
    fn target(&self, method: &'static str) -> Arc<Target> {
        let mut methods = self.methods.lock().unwrap_or_else(|e| e.into_inner());
        methods
            .entry(method)
            .or_insert_with(|| Arc::new(self.base.join(method)))
            .clone()
    }
}

/// Reads the Bot API envelope straight into `R`: going through a `Value` first cost more
/// than the call (drafts and edits ask for `IgnoredAny`, sends for a `SentMessage`).
fn read_envelope<R: DeserializeOwned>(
    method: &'static str,
    status: u16,
    bytes: &[u8],
) -> Result<R, TgError> {
    let envelope: Envelope<R> = match serde_json::from_slice(bytes) {
        Ok(envelope) => envelope,
        // A proxy in front of the Bot API (or the API itself, under load) answers errors
        // with an HTML page; keep the status so 5xx stays retryable.
        Err(_) if status >= 400 => {
            return Err(TgError::Api {
                method,
                code: status,
                description: format!("HTTP {status} without a Bot API body"),
                retry_after: None,
                migrate_to_chat_id: None,
            });
        }
        Err(e) => {
            return Err(TgError::Decode {
                method,
                detail: format!("HTTP {status}, body is not a Bot API envelope: {e}"),
            });
        }
    };
    if envelope.ok {
        match envelope.result {
            Some(result) => Ok(result),
            None => serde_json::from_value(Value::Null).map_err(|e| TgError::Decode {
                method,
                detail: e.to_string(),
            }),
        }
    } else {
        let parameters = envelope.parameters.unwrap_or_default();
        Err(TgError::Api {
            method,
            code: envelope.error_code.unwrap_or(status),
            description: envelope.description.unwrap_or_default(),
            retry_after: parameters.retry_after,
            migrate_to_chat_id: parameters.migrate_to_chat_id,
        })
    }
}

/// The content type of every Bot API call made here.
const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];

fn encode<B: Serialize + ?Sized>(method: &'static str, body: &B) -> Result<Vec<u8>, TgError> {
    // Room for a preview's text at once; the buffer grows only for longer ones.
    let mut encoded = crate::net::spare::take(1024);
    serde_json::to_writer(&mut encoded, body).map_err(|e| TgError::Decode {
        method,
        detail: format!("cannot encode the request: {e}"),
    })?;
    Ok(encoded)
}

fn http_failure(method: &'static str, error: HttpError) -> TgError {
    let detail = match error {
        HttpError::Timeout => "timed out: no answer".to_owned(),
        HttpError::Connect(detail) => format!("connection failed: {detail}"),
        HttpError::Protocol(detail) => format!("request failed: {detail}"),
    };
    TgError::Network { method, detail }
}

/// One method call over the lean client: status and body.
async fn call_direct<B: Serialize + ?Sized>(
    client: &HttpClient,
    target: &Target,
    method: &'static str,
    body: &B,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), TgError> {
    let request = PostRequest::json(target, JSON, body).map_err(|e| TgError::Decode {
        method,
        detail: format!("cannot encode the request: {e}"),
    })?;
    // The head within `timeout`, then the rest of the body (usually already here) too.
    let response = client
        .send(target, &request, timeout)
        .await
        .map_err(|error| http_failure(method, error))?;
    let status = response.head.status;
    let bytes = response
        .body
        .read_to_end(MAX_RESPONSE_BYTES, timeout)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::TimedOut => http_failure(method, HttpError::Timeout),
            _ => http_failure(method, HttpError::Protocol(e.to_string())),
        })?;
    Ok((status, bytes))
}

/// reqwest puts the URL (and so the token) into its errors; strip it before anything else
/// sees the error.
fn network(method: &'static str, error: reqwest::Error) -> TgError {
    let kind = crate::net::failure_kind(&error);
    let error = error.without_url();
    let mut detail = format!("{kind}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        detail.push_str(": ");
        detail.push_str(&inner.to_string());
        source = inner.source();
    }
    TgError::Network { method, detail }
}
