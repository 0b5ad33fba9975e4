//! HTTP client for any OpenAI-compatible `/chat/completions` endpoint (OpenRouter, OpenAI,
//! DeepSeek, Ollama, llama.cpp, vLLM…), always streaming.

use super::error::{LlmError, classify_http_error};
use super::parse::{CompletionParser, EventQueue};
use super::stream::ChatStream;
use super::types::{ChatMessage, ChatRequest, WireRequest};
use crate::net::{HttpClient, HttpError, PostRequest, Target};
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use std::fmt;
use std::time::{Duration, SystemTime};

/// Error bodies are small; a proxy's HTML error page is not worth reading past this.
const MAX_ERROR_BODY_BYTES: usize = 64 << 10;
/// A non-streamed reply is at most a few hundred KB of text.
const MAX_JSON_REPLY_BYTES: usize = 4 << 20;
/// Until the caller says otherwise (`ChatStream::read_every`).
const DEFAULT_READ_EVERY: Duration = Duration::from_millis(50);

/// Where and how to reach one OpenAI-compatible server.
#[derive(Clone)]
pub struct LlmEndpoint {
    /// e.g. `https://openrouter.ai/api/v1`; requests go to `{base_url}/chat/completions`.
    pub base_url: String,
    pub api_key: Option<String>,
    /// Sent as `HTTP-Referer` (OpenRouter's app attribution); empty = not sent.
    pub app_url: String,
    /// Sent as `X-Title`; empty = not sent.
    pub app_title: String,
    /// Bounds the wait for the response headers and any silence inside the stream.
    pub timeout: Duration,
}

impl fmt::Debug for LlmEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmEndpoint")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("app_url", &self.app_url)
            .field("app_title", &self.app_title)
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[derive(Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    /// Streams completions with reads on the coach's schedule; `None` when an HTTP proxy is
    /// configured (reqwest honours `HTTPS_PROXY` and friends; the direct client does not).
    direct: Option<(HttpClient, Target)>,
    completions_url: String,
    models_url: String,
    headers: HeaderMap,
    api_key: Option<String>,
    timeout: Duration,
}

impl fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmClient")
            .field("completions_url", &self.completions_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    /// Fails when a header value cannot be sent (e.g. a key with a line break in it).
    pub fn new(endpoint: LlmEndpoint, http: reqwest::Client) -> Result<Self, LlmError> {
        let base = endpoint.base_url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(LlmError::InvalidConfig(format!(
                "LLM base URL must be http(s): {base:?}"
            )));
        }
        let mut headers = HeaderMap::new();
        let api_key = endpoint
            .api_key
            .filter(|k| !k.trim().is_empty())
            .map(|k| k.trim().to_owned());
        if let Some(key) = &api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                LlmError::InvalidConfig("the LLM API key contains invalid characters".into())
            })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        for (name, value) in [
            ("http-referer", &endpoint.app_url),
            ("x-title", &endpoint.app_title),
        ] {
            if value.is_empty() {
                continue;
            }
            let value = HeaderValue::from_str(value).map_err(|_| {
                LlmError::InvalidConfig(format!("{name} header value is not valid: {value:?}"))
            })?;
            headers.insert(HeaderName::from_static(name), value);
        }
        let completions_url = format!("{base}/chat/completions");
        let direct = if crate::net::proxy_configured() {
            tracing::info!("an HTTP proxy is configured: LLM streams go through reqwest");
            None
        } else {
            let target = Target::parse(&completions_url).map_err(LlmError::InvalidConfig)?;
            Some((crate::net::shared_client(), target))
        };
        Ok(Self {
            http,
            direct,
            completions_url,
            models_url: format!("{base}/models"),
            headers,
            api_key,
            timeout: endpoint.timeout,
        })
    }

    /// Starts a streamed completion. HTTP failures before the stream come back here; failures
    /// after it started come out of the stream.
    pub async fn stream_chat(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        self.stream_wire(&WireRequest::from(request)).await
    }

    /// [`LlmClient::stream_chat`] for `messages` as they are, without a request owning a copy.
    pub async fn stream_messages(
        &self,
        model: &str,
        messages: &[ChatMessage],
        max_tokens: u32,
    ) -> Result<ChatStream, LlmError> {
        self.stream_wire(&WireRequest::new(model, messages, max_tokens, None))
            .await
    }

    async fn stream_wire(&self, request: &WireRequest<'_>) -> Result<ChatStream, LlmError> {
        match &self.direct {
            Some((client, target)) => self.stream_direct(client, target, request).await,
            None => self.stream_with_reqwest(request).await,
        }
    }

    async fn stream_direct(
        &self,
        client: &HttpClient,
        target: &Target,
        request: &WireRequest<'_>,
    ) -> Result<ChatStream, LlmError> {
        let mut headers: Vec<(&str, &str)> = vec![
            ("Content-Type", "application/json"),
            ("Accept", "text/event-stream"),
            ("User-Agent", crate::net::USER_AGENT),
        ];
        // The same headers reqwest sends (authorization, attribution), checked at `new`.
        for (name, value) in &self.headers {
            headers.push((name.as_str(), value.to_str().unwrap_or_default()));
        }
        let body = PostRequest::json(target, &headers, request)
            .map_err(|e| LlmError::Protocol(format!("cannot encode the request: {e}")))?;
        let response =
            client
                .send(target, &body, self.timeout)
                .await
                .map_err(|error| match error {
                    HttpError::Timeout => LlmError::Timeout,
                    HttpError::Connect(m) | HttpError::Protocol(m) => {
                        LlmError::Connect(m).redact(self.api_key.as_deref())
                    }
                })?;
        let head = &response.head;
        if let (300..=399, Some(location)) = (head.status, &head.location) {
            // reqwest would follow it; a streamed POST should not be sent twice, and the
            // operator is better off pointing LLM_BASE_URL at the real address.
            return Err(LlmError::BadRequest {
                status: head.status,
                message: format!(
                    "the LLM server redirects to {location}: set LLM_BASE_URL (or the \
                     model's @URL) to that address"
                ),
            });
        }
        if !(200..300).contains(&head.status) {
            let (status, retry_after) = (head.status, head.retry_after.clone());
            let body = self
                .read_whole(response.body, MAX_ERROR_BODY_BYTES)
                .await
                .unwrap_or_default();
            return Err(self.http_error(request.model, status, retry_after.as_deref(), &body));
        }
        if head.json {
            let body = self.read_whole(response.body, MAX_JSON_REPLY_BYTES).await?;
            return Ok(ChatStream::from_events(events_of_whole_reply(&body)));
        }
        Ok(ChatStream::polled(
            response.body,
            DEFAULT_READ_EVERY,
            self.timeout,
        ))
    }

    async fn read_whole(&self, body: crate::net::Body, limit: usize) -> Result<Vec<u8>, LlmError> {
        match body.read_to_end(limit, self.timeout).await {
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => Err(LlmError::Timeout),
            Err(error) => Err(LlmError::Connect(error.to_string())),
            Ok(bytes) => Ok(bytes),
        }
    }

    fn http_error(
        &self,
        model: &str,
        status: u16,
        retry_after: Option<&str>,
        body: &[u8],
    ) -> LlmError {
        let error = classify_http_error(status, retry_after, body, SystemTime::now());
        let error = error.redact(self.api_key.as_deref());
        tracing::debug!(model, %error, "LLM request failed");
        error
    }

    async fn stream_with_reqwest(&self, request: &WireRequest<'_>) -> Result<ChatStream, LlmError> {
        let send = self
            .http
            .post(&self.completions_url)
            .headers(self.headers.clone())
            .json(request)
            .send();
        let response = match tokio::time::timeout(self.timeout, send).await {
            Err(_) => return Err(LlmError::Timeout),
            Ok(Err(err)) => return Err(self.transport_error(&err)),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = self
                .read_limited(response, MAX_ERROR_BODY_BYTES)
                .await
                .unwrap_or_default();
            return Err(self.http_error(
                request.model,
                status.as_u16(),
                retry_after.as_deref(),
                &body,
            ));
        }
        let content_type = response.headers().get(CONTENT_TYPE);
        if content_type
            .and_then(|v| v.to_str().ok())
            .is_some_and(crate::net::is_json_type)
        {
            // Some servers ignore `stream: true`, and some report errors with a 200 JSON body.
            let body = self.read_limited(response, MAX_JSON_REPLY_BYTES).await?;
            return Ok(ChatStream::from_events(events_of_whole_reply(&body)));
        }
        Ok(ChatStream::from_bytes(
            response.bytes_stream(),
            self.timeout,
        ))
    }

    /// Model ids the server lists at `GET {base_url}/models`.
    pub async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let send = self
            .http
            .get(&self.models_url)
            .headers(self.headers.clone())
            .send();
        let response = match tokio::time::timeout(self.timeout, send).await {
            Err(_) => return Err(LlmError::Timeout),
            Ok(Err(err)) => return Err(self.transport_error(&err)),
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        let body = self.read_limited(response, MAX_JSON_REPLY_BYTES).await?;
        if !(200..300).contains(&status) {
            return Err(classify_http_error(status, None, &body, SystemTime::now())
                .redact(self.api_key.as_deref()));
        }
        parse_model_list(&body)
    }

    async fn read_limited(
        &self,
        mut response: reqwest::Response,
        limit: usize,
    ) -> Result<Vec<u8>, LlmError> {
        let mut body = Vec::new();
        loop {
            let chunk = match tokio::time::timeout(self.timeout, response.chunk()).await {
                Err(_) => return Err(LlmError::Timeout),
                Ok(Err(err)) => return Err(self.transport_error(&err)),
                Ok(Ok(None)) => return Ok(body),
                Ok(Ok(Some(chunk))) => chunk,
            };
            let room = limit.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= limit {
                return Ok(body);
            }
        }
    }

    fn transport_error(&self, err: &reqwest::Error) -> LlmError {
        if err.is_timeout() {
            return LlmError::Timeout;
        }
        // The full source chain says what actually happened (refused, DNS, TLS…).
        let mut message = String::new();
        let mut source: Option<&dyn std::error::Error> = Some(err);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                if !message.is_empty() {
                    message.push_str(": ");
                }
                message.push_str(&text);
            }
            source = cause.source();
        }
        LlmError::Connect(message).redact(self.api_key.as_deref())
    }
}

/// Events of a non-streamed `chat.completion` body (or of a 200 carrying an error object).
fn events_of_whole_reply(body: &[u8]) -> EventQueue {
    let mut events = EventQueue::new();
    let mut parser = CompletionParser::new();
    match std::str::from_utf8(body) {
        Ok(text) => {
            parser.push_data(text, &mut events);
            parser.end_of_stream(&mut events);
        }
        Err(_) => events.push_back(Err(LlmError::Protocol("reply body is not UTF-8".into()))),
    }
    events
}

fn parse_model_list(body: &[u8]) -> Result<Vec<String>, LlmError> {
    #[derive(serde::Deserialize)]
    struct ModelList {
        data: Vec<ModelEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ModelEntry {
        id: String,
    }
    let list: ModelList = serde_json::from_slice(body).map_err(|err| {
        LlmError::Protocol(format!(
            "model list is not {{\"data\":[{{\"id\"}}]}}: {err}"
        ))
    })?;
    Ok(list.data.into_iter().map(|m| m.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_streamed_replies_become_the_same_events() {
        let body = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/llm/openrouter_vision_response_claude_nonstream.json"
        ));
        let events: Vec<_> = events_of_whole_reply(body).into_iter().collect();
        use super::super::types::{FinishReason, StreamEvent, TokenUsage};
        assert_eq!(
            events,
            vec![
                Ok(StreamEvent::Delta("**Kiwi**".into())),
                Ok(StreamEvent::Usage(TokenUsage {
                    prompt_tokens: 484,
                    completion_tokens: 9,
                    cost: Some(0.001587)
                })),
                Ok(StreamEvent::Finished {
                    finish_reason: Some(FinishReason::Stop)
                }),
            ]
        );
    }

    #[test]
    fn ollama_reply_keeps_reasoning_apart_from_the_answer() {
        let body = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/llm/ollama_v1_nonstream_qwen3.json"
        ));
        let events: Vec<_> = events_of_whole_reply(body).into_iter().collect();
        use super::super::types::StreamEvent;
        assert!(
            matches!(&events[0], Ok(StreamEvent::Reasoning(r)) if r.starts_with("Okay, the user"))
        );
        assert_eq!(
            events[1],
            Ok(StreamEvent::Delta(
                "{ \"city\": \"Paris\", \"country\": \"France\" }".into()
            ))
        );
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let endpoint = LlmEndpoint {
            base_url: "http://127.0.0.1:9/v1".into(),
            api_key: Some("sk-or-v1-secret".into()),
            app_url: String::new(),
            app_title: "tiltguard".into(),
            timeout: Duration::from_secs(5),
        };
        assert!(!format!("{endpoint:?}").contains("secret"));
        let client = LlmClient::new(endpoint, reqwest::Client::new()).expect("client");
        assert!(!format!("{client:?}").contains("secret"));
    }

    #[test]
    fn model_list_reads_ids() {
        let ids = parse_model_list(
            br#"{"object":"list","data":[{"id":"a/b","object":"model"},{"id":"c"}]}"#,
        );
        assert_eq!(ids, Ok(vec!["a/b".to_owned(), "c".to_owned()]));
        assert!(matches!(
            parse_model_list(b"<html>"),
            Err(LlmError::Protocol(_))
        ));
    }
}
