//! Model chains per input kind, with retries before the first token and a breaker per model.
//!
//! A chain entry is `model` (on the default endpoint) or `model@base_url` (another
//! OpenAI-compatible server, e.g. a local Ollama backing up OpenRouter).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::breaker::{Breaker, BreakerSettings, BreakerState};
use super::{ChatMessage, ChatStream, LlmClient, LlmEndpoint, LlmError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputKind {
    Text,
    Vision,
}

impl InputKind {
    pub fn label(self) -> &'static str {
        match self {
            InputKind::Text => "text",
            InputKind::Vision => "vision",
        }
    }
}

/// One model in a chain and the client that reaches it.
#[derive(Clone)]
pub struct Route {
    /// `model` or `model@host`, unique within the router; breakers and logs use it.
    pub label: String,
    pub model: String,
    client: Arc<LlmClient>,
}

/// A chain entry as configured: `model` or `model@base_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    pub model: String,
    pub base_url: Option<String>,
}

impl ModelSpec {
    pub fn parse(entry: &str) -> Option<ModelSpec> {
        let entry = entry.trim();
        if entry.is_empty() {
            return None;
        }
        match entry.split_once("@http") {
            Some((model, rest)) if !model.is_empty() => Some(ModelSpec {
                model: model.to_string(),
                base_url: Some(format!("http{rest}")),
            }),
            _ => Some(ModelSpec {
                model: entry.to_string(),
                base_url: None,
            }),
        }
    }
}

/// A chain of specs from a comma-separated setting.
pub fn parse_chain(setting: &str) -> Vec<ModelSpec> {
    setting.split(',').filter_map(ModelSpec::parse).collect()
}

/// Retry policy before the first token.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts_per_model: u32,
    pub base_backoff: Duration,
    /// Everything before the first token must fit in this budget.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts_per_model: 2,
            base_backoff: Duration::from_millis(300),
            deadline: Duration::from_secs(45),
        }
    }
}

/// A stream that is open, and which model produced it.
pub struct Opened {
    pub stream: ChatStream,
    pub route: Route,
}

pub struct Router {
    chains: HashMap<InputKind, Vec<Route>>,
    breakers: Mutex<HashMap<String, Breaker>>,
    breaker_settings: BreakerSettings,
    retry: RetryPolicy,
}

impl Router {
    /// Builds clients for each distinct endpoint. `default` is the endpoint for specs
    /// without `@base_url`; others inherit its key, headers and timeout.
    pub fn new(
        default: &LlmEndpoint,
        chains: &[(InputKind, Vec<ModelSpec>)],
        http: reqwest::Client,
        breaker_settings: BreakerSettings,
        retry: RetryPolicy,
    ) -> Result<Router, LlmError> {
        let mut clients: HashMap<String, Arc<LlmClient>> = HashMap::new();
        let mut built = HashMap::new();
        for (kind, specs) in chains {
            let mut routes = Vec::new();
            for spec in specs {
                let base = spec
                    .base_url
                    .clone()
                    .unwrap_or_else(|| default.base_url.clone());
                let client = match clients.get(&base) {
                    Some(client) => client.clone(),
                    None => {
                        let endpoint = LlmEndpoint {
                            base_url: base.clone(),
                            // A key is only sent to the endpoint it was configured for.
                            api_key: if spec.base_url.is_none() {
                                default.api_key.clone()
                            } else {
                                None
                            },
                            ..default.clone()
                        };
                        let client = Arc::new(LlmClient::new(endpoint, http.clone())?);
                        clients.insert(base.clone(), client.clone());
                        client
                    }
                };
                let label = match &spec.base_url {
                    Some(url) => format!("{}@{}", spec.model, host_of(url)),
                    None => spec.model.clone(),
                };
                routes.push(Route {
                    label,
                    model: spec.model.clone(),
                    client,
                });
            }
            if routes.is_empty() {
                return Err(LlmError::InvalidConfig(format!(
                    "the {} model chain is empty",
                    kind.label()
                )));
            }
            built.insert(*kind, routes);
        }
        Ok(Router {
            chains: built,
            breakers: Mutex::new(HashMap::new()),
            breaker_settings,
            retry,
        })
    }

    pub fn chain(&self, kind: InputKind) -> &[Route] {
        self.chains
            .get(&kind)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Opens a stream on the first healthy model of the chain that answers, skipping the
    /// labels in `skip` (models that already failed this reply). Returns the last error when
    /// every model failed or was skipped.
    pub async fn open(
        &self,
        kind: InputKind,
        messages: &[ChatMessage],
        max_tokens: u32,
        skip: &[String],
    ) -> Result<Opened, LlmError> {
        let started = Instant::now();
        let mut last_error = LlmError::NoEndpoints {
            message: format!("every {} model is unavailable", kind.label()),
        };
        let chain = self.chain(kind);
        for (position, route) in chain.iter().enumerate() {
            if skip.contains(&route.label) || !self.acquire(&route.label) {
                continue;
            }
            // With another model to fall back on, a failing model gets no second try: the
            // next one answers sooner. The last model left is retried with backoff.
            let is_last = chain[position + 1..]
                .iter()
                .all(|later| skip.contains(&later.label) || self.is_open(&later.label));
            let attempts = if is_last {
                self.retry.attempts_per_model
            } else {
                1
            };
            for attempt in 0..attempts {
                match route
                    .client
                    .stream_messages(&route.model, messages, max_tokens)
                    .await
                {
                    Ok(stream) => {
                        return Ok(Opened {
                            stream,
                            route: route.clone(),
                        });
                    }
                    Err(error @ LlmError::ContextLengthExceeded { .. }) => return Err(error),
                    Err(error) => {
                        tracing::debug!(model = %route.label, %error, "model failed before the first token");
                        let retryable = error.is_retryable_before_first_token();
                        last_error = error;
                        let backoff = self.backoff(attempt, last_error.retry_after());
                        if !retryable
                            || attempt + 1 == attempts
                            || started.elapsed() + backoff > self.retry.deadline
                        {
                            break;
                        }
                        tokio::time::sleep(backoff).await;
                    }
                }
            }
            tracing::warn!(model = %route.label, error = %last_error, "model unavailable; trying the next one");
            self.record_failure(&route.label);
        }
        Err(last_error)
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self.retry.base_backoff * 2u32.saturating_pow(attempt);
        let jittered = exponential.mul_f64(0.5 + fastrand::f64());
        retry_after.map_or(jittered, |r| r.max(jittered))
    }

    fn acquire(&self, label: &str) -> bool {
        let mut breakers = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        let breaker = breakers
            .entry(label.to_string())
            .or_insert_with(|| Breaker::new(self.breaker_settings));
        let before = breaker.state();
        let allowed = breaker.try_acquire(Instant::now());
        report_transition(label, before, breaker.state());
        allowed
    }

    /// The model answered to the end: close its breaker.
    pub fn record_success(&self, label: &str) {
        self.update_breaker(label, |b| b.on_success());
    }

    /// The model failed (before or during the stream).
    pub fn record_failure(&self, label: &str) {
        self.update_breaker(label, |b| b.on_failure(Instant::now()));
    }

    fn update_breaker(&self, label: &str, change: impl FnOnce(&mut Breaker)) {
        let mut breakers = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        let breaker = breakers
            .entry(label.to_string())
            .or_insert_with(|| Breaker::new(self.breaker_settings));
        let before = breaker.state();
        change(breaker);
        report_transition(label, before, breaker.state());
    }

    fn is_open(&self, label: &str) -> bool {
        matches!(self.breaker_state(label), BreakerState::Open { until } if until > Instant::now())
    }

    pub fn breaker_state(&self, label: &str) -> BreakerState {
        let breakers = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        breakers
            .get(label)
            .map_or(BreakerState::Closed, Breaker::state)
    }
}

fn report_transition(label: &str, before: BreakerState, after: BreakerState) {
    if before.label() != after.label() {
        tracing::warn!(
            model = label,
            from = before.label(),
            to = after.label(),
            "circuit breaker"
        );
        let state = match after {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen { .. } => 1.0,
            BreakerState::Open { .. } => 2.0,
        };
        metrics::gauge!("tiltguard_llm_breaker_state", "model" => label.to_string()).set(state);
        metrics::counter!("tiltguard_llm_breaker_transitions_total", "to" => after.label())
            .increment(1);
    }
}

fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_string(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_entries_may_name_another_endpoint() {
        let chain = parse_chain(
            "deepseek/deepseek-chat, qwen3:8b@http://127.0.0.1:11434/v1 ,, openai/gpt-4o-mini",
        );
        assert_eq!(chain.len(), 3);
        assert_eq!(chain[0].model, "deepseek/deepseek-chat");
        assert_eq!(chain[1].model, "qwen3:8b");
        assert_eq!(
            chain[1].base_url.as_deref(),
            Some("http://127.0.0.1:11434/v1")
        );
        assert_eq!(chain[2].base_url, None);
        assert_eq!(host_of("http://127.0.0.1:11434/v1"), "127.0.0.1:11434");
    }
}
