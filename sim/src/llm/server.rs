//! The HTTP side of the LLM simulator (axum) and the handle tests hold: start it, point a
//! client at `base_url()`, script models, inject failures, read what was received.

use super::bodies;
use super::body::paced_body;
use super::config::{LineEnding, LlmFailure, LlmSimConfig, ReplyContext, Timing};
use super::emission::Emission;
use super::plan::{ReplyFrames, completion_json};
use super::state::{Decision, FailureRule, LlmSimStats, RecordedRequest, Shared, lock};
use super::validate::validate;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use bytes::Bytes;
use serde_json::json;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Path prefix of the API, as on OpenRouter.
const API_PREFIX: &str = "/api/v1";

/// A running simulator. Dropping it stops the server.
pub struct LlmSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for LlmSim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl LlmSim {
    /// Binds 127.0.0.1 on a free port and serves until dropped.
    pub async fn start(config: LlmSimConfig) -> io::Result<Self> {
        let shared = Arc::new(Shared::new(config));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        // Without TCP_NODELAY small SSE writes wait on delayed ACKs.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let app = Router::new()
            .route(
                &format!("{API_PREFIX}/chat/completions"),
                post(chat_completions),
            )
            .route(&format!("{API_PREFIX}/models"), get(list_models))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(%err, "LLM simulator stopped");
            }
        });
        Ok(Self {
            shared,
            addr,
            server,
        })
    }

    /// `http://127.0.0.1:<port>/api/v1`: the client posts to `{base_url}/chat/completions`.
    pub fn base_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request to `model` gets this reply (after any queued ones).
    pub fn set_reply(&self, model: &str, text: impl Into<String>) {
        lock(&self.shared.models)
            .entry(model.to_owned())
            .or_default()
            .fixed_reply = Some(text.into());
    }

    /// The next request to `model` gets this reply; queued replies are used in order.
    pub fn push_reply(&self, model: &str, text: impl Into<String>) {
        lock(&self.shared.models)
            .entry(model.to_owned())
            .or_default()
            .queued_replies
            .push_back(text.into());
    }

    /// Builds the reply when none is scripted for the model (default: echo the last user text).
    pub fn set_reply_builder(
        &self,
        builder: impl Fn(&ReplyContext) -> String + Send + Sync + 'static,
    ) {
        *lock(&self.shared.reply_builder) = Arc::new(builder);
    }

    /// `model` streams this reasoning (as `reasoning` deltas) before every answer.
    pub fn set_reasoning(&self, model: &str, text: impl Into<String>) {
        lock(&self.shared.models)
            .entry(model.to_owned())
            .or_default()
            .reasoning = Some(text.into());
    }

    /// `model` answers with these recorded SSE bytes, verbatim, paced block by block.
    pub fn set_replay(&self, model: &str, recorded: impl Into<Bytes>) {
        lock(&self.shared.models)
            .entry(model.to_owned())
            .or_default()
            .replay = Some(recorded.into());
    }

    /// Forgets every script, timing and failure of `model`.
    pub fn clear_model(&self, model: &str) {
        lock(&self.shared.models).remove(model);
    }

    /// Timing of every model without its own.
    pub fn set_timing(&self, timing: Timing) {
        lock(&self.shared.config).timing = timing;
    }

    pub fn set_model_timing(&self, model: &str, timing: Timing) {
        lock(&self.shared.models)
            .entry(model.to_owned())
            .or_default()
            .timing = Some(timing);
    }

    pub fn set_keepalive_comments(&self, count: u32) {
        lock(&self.shared.config).keepalive_comments = count;
    }

    /// `Some(seed)`: cut every write at random byte offsets; `None`: whole frames.
    pub fn set_chunking(&self, seed: Option<u64>) {
        lock(&self.shared.config).chunk_seed = seed;
    }

    pub fn set_line_ending(&self, line_ending: LineEnding) {
        lock(&self.shared.config).line_ending = line_ending;
    }

    /// Every request to `model` fails this way until [`LlmSim::clear_failure`].
    pub fn fail_model(&self, model: &str, failure: LlmFailure) {
        let rule = FailureRule {
            failure,
            remaining: None,
        };
        lock(&self.shared.models)
            .entry(model.to_owned())
            .or_default()
            .failure = Some(rule);
    }

    /// The next `times` requests to `model` fail this way, then it recovers.
    pub fn fail_model_times(&self, model: &str, failure: LlmFailure, times: u32) {
        let rule = FailureRule {
            failure,
            remaining: Some(times),
        };
        lock(&self.shared.models)
            .entry(model.to_owned())
            .or_default()
            .failure = Some(rule);
    }

    pub fn clear_failure(&self, model: &str) {
        if let Some(script) = lock(&self.shared.models).get_mut(model) {
            script.failure = None;
        }
    }

    pub fn set_vision_models(&self, models: &[&str]) {
        lock(&self.shared.config).vision_models = models.iter().map(|m| (*m).to_owned()).collect();
    }

    pub fn set_known_models(&self, models: Option<&[&str]>) {
        lock(&self.shared.config).known_models =
            models.map(|ms| ms.iter().map(|m| (*m).to_owned()).collect());
    }

    pub fn set_context_limit_chars(&self, limit: Option<usize>) {
        lock(&self.shared.config).context_limit_chars = limit;
    }

    /// Every chat-completion request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    pub fn stats(&self) -> LlmSimStats {
        self.shared.stats()
    }

    /// On: every streamed response logs when its answer text was written (see
    /// [`Emission`]); a stream is logged when it ends.
    pub fn record_emissions(&self, on: bool) {
        self.shared.record_emissions.store(on, Ordering::Relaxed);
    }

    /// The emission log of every stream that ended, in the order they ended.
    pub fn emissions(&self) -> Vec<Emission> {
        lock(&self.shared.emissions).clone()
    }

    pub fn clear_emissions(&self) {
        lock(&self.shared.emissions).clear();
    }

    /// Waits until no stream is being written; false if that did not happen within `limit`.
    pub async fn wait_until_idle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if self.shared.counters.active_streams.load(Ordering::Relaxed) == 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

fn json_response(status: u16, body: String, retry_after_secs: Option<u64>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(secs) = retry_after_secs {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn record(shared: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap, body: Bytes) {
    let headers = headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let request = RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        headers,
        body,
    };
    lock(&shared.requests).push(request);
}

/// `None` when the request may proceed.
fn check_auth(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let expected = lock(&shared.config).api_key.clone()?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match given.and_then(|v| v.strip_prefix("Bearer ")) {
        None => Some(json_response(401, bodies::status_body(401, ""), None)),
        Some(key) if key == expected => None,
        Some(_) => Some(json_response(401, bodies::unauthorized_wrong_key(), None)),
    }
}

async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_number = shared.counters.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let limit = lock(&shared.config).max_body_bytes;
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return json_response(413, bodies::body_too_large(), None);
    };
    record(&shared, &method, &uri, &headers, bytes.clone());
    if let Some(refusal) = check_auth(&shared, &headers) {
        return refusal;
    }
    let request = match validate(&bytes) {
        Ok(request) => request,
        Err(rejection) => return json_response(rejection.status, rejection.body, None),
    };
    let script = match shared.decide(&request, request_number) {
        Decision::Refuse {
            rejection,
            retry_after_secs,
        } => {
            return json_response(rejection.status, rejection.body, retry_after_secs);
        }
        Decision::Answer(script) => *script,
    };
    if !request.stream {
        if script.failure.is_some() {
            return json_response(502, bodies::status_body(502, &script.model), None);
        }
        return json_response(200, completion_json(&script).to_string(), None);
    }
    let chunk_seed = lock(&shared.config)
        .chunk_seed
        .map(|seed| seed ^ request_number);
    let emission = shared
        .record_emissions
        .load(Ordering::Relaxed)
        .then(|| Emission::new(request_number, &script.model, &request.last_user_text));
    let body = paced_body(
        shared.clone(),
        ReplyFrames::new(script),
        chunk_seed,
        emission,
    );
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// OpenRouter's `GET /models` shape, for the models this simulator knows of.
async fn list_models(State(shared): State<Arc<Shared>>) -> Response {
    let (mut ids, vision, prices) = {
        let config = lock(&shared.config);
        let mut ids: Vec<String> = config.known_models.clone().unwrap_or_default();
        ids.extend(config.vision_models.iter().cloned());
        (ids, config.vision_models.clone(), config.price_per_million)
    };
    ids.extend(lock(&shared.models).keys().cloned());
    ids.sort();
    ids.dedup();
    let data: Vec<_> = ids
        .iter()
        .map(|id| {
            let inputs = if vision.contains(id) {
                vec!["text", "image"]
            } else {
                vec!["text"]
            };
            json!({
                "id": id,
                "name": id,
                "context_length": 131072,
                "architecture": {"input_modalities": inputs, "output_modalities": ["text"]},
                "pricing": {
                    "prompt": format!("{:.10}", prices.0 / 1e6),
                    "completion": format!("{:.10}", prices.1 / 1e6)
                }
            })
        })
        .collect();
    json_response(200, json!({ "data": data }).to_string(), None)
}
