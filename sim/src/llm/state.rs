//! Shared state of a running LLM simulator: per-model scripts, injected failures, recorded
//! requests and counters, and the decision of how to answer one valid request.

use super::bodies;
use super::config::{
    LlmFailure, LlmSimConfig, ReplyBuilder, ReplyContext, Timing, echo_reply_builder,
};
use super::emission::Emission;
use super::plan::{ScriptBody, StreamScript};
use super::validate::{Rejection, ValidRequest};
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// Images cost a fixed number of prompt tokens (what Gemini bills per image).
const TOKENS_PER_IMAGE: u64 = 258;

#[derive(Default)]
pub(crate) struct ModelScript {
    pub queued_replies: VecDeque<String>,
    pub fixed_reply: Option<String>,
    pub reasoning: Option<String>,
    pub replay: Option<Bytes>,
    pub timing: Option<Timing>,
    pub failure: Option<FailureRule>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct FailureRule {
    pub failure: LlmFailure,
    /// `None` = every request until cleared.
    pub remaining: Option<u32>,
}

/// A request as the simulator received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn model(&self) -> Option<String> {
        self.json()?.get("model")?.as_str().map(str::to_owned)
    }

    /// Every `image_url.url` of every message part, in order.
    pub fn image_urls(&self) -> Vec<String> {
        let Some(json) = self.json() else {
            return Vec::new();
        };
        let messages = json
            .get("messages")
            .and_then(|m| m.as_array())
            .cloned()
            .unwrap_or_default();
        messages
            .iter()
            .filter_map(|m| m.get("content").and_then(|c| c.as_array()))
            .flatten()
            .filter_map(|part| {
                part.pointer("/image_url/url")
                    .and_then(|u| u.as_str())
                    .map(str::to_owned)
            })
            .collect()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub active_streams: AtomicU64,
    pub completed_streams: AtomicU64,
    pub cancelled_streams: AtomicU64,
    pub aborted_streams: AtomicU64,
    pub tokens_streamed: AtomicU64,
    pub cuts_inside_char: AtomicU64,
}

/// A snapshot of the simulator's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LlmSimStats {
    /// Chat-completion requests received (accepted or not).
    pub requests: u64,
    /// Streams being written right now.
    pub active_streams: u64,
    /// Streams whose body the simulator finished (including injected mid-stream errors).
    pub completed_streams: u64,
    /// Streams the client hung up on before their end.
    pub cancelled_streams: u64,
    /// Streams the simulator cut on purpose (`LlmFailure::DropConnection`).
    pub aborted_streams: u64,
    /// Reasoning and answer tokens written.
    pub tokens_streamed: u64,
    /// Write cuts that fell inside a multi-byte UTF-8 character.
    pub cuts_inside_char: u64,
}

pub(crate) struct Shared {
    pub config: Mutex<LlmSimConfig>,
    pub models: Mutex<HashMap<String, ModelScript>>,
    pub reply_builder: Mutex<ReplyBuilder>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub counters: Counters,
    /// Off unless a load test asks: then every stream's answer writes land in `emissions`.
    pub record_emissions: AtomicBool,
    pub emissions: Mutex<Vec<Emission>>,
}

/// A poisoned lock only means a test thread panicked; the data is still usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How to answer one request.
pub(crate) enum Decision {
    Refuse {
        rejection: Rejection,
        retry_after_secs: Option<u64>,
    },
    Answer(Box<StreamScript>),
}

impl Shared {
    pub fn new(config: LlmSimConfig) -> Self {
        Self {
            config: Mutex::new(config),
            models: Mutex::new(HashMap::new()),
            reply_builder: Mutex::new(echo_reply_builder()),
            requests: Mutex::new(Vec::new()),
            counters: Counters::default(),
            record_emissions: AtomicBool::new(false),
            emissions: Mutex::new(Vec::new()),
        }
    }

    pub fn stats(&self) -> LlmSimStats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        LlmSimStats {
            requests: get(&c.requests),
            active_streams: get(&c.active_streams),
            completed_streams: get(&c.completed_streams),
            cancelled_streams: get(&c.cancelled_streams),
            aborted_streams: get(&c.aborted_streams),
            tokens_streamed: get(&c.tokens_streamed),
            cuts_inside_char: get(&c.cuts_inside_char),
        }
    }

    /// Applies, in OpenRouter's order: model id, injected refusals, image support, context
    /// length; then builds the reply.
    pub fn decide(&self, request: &ValidRequest, request_number: u64) -> Decision {
        let config = lock(&self.config).clone();
        let model = request.model.as_str();
        if config
            .known_models
            .as_ref()
            .is_some_and(|known| !known.iter().any(|k| k == model))
        {
            return refuse(400, bodies::invalid_model(model));
        }
        let mut models = lock(&self.models);
        let script = models.entry(model.to_owned()).or_default();
        let failure = take_failure(script);
        match failure {
            Some(LlmFailure::Status(status)) => {
                let retry_after_secs = (status == 429).then_some(1);
                return Decision::Refuse {
                    rejection: Rejection {
                        status,
                        body: bodies::status_body(status, model),
                    },
                    retry_after_secs,
                };
            }
            Some(LlmFailure::RateLimited { retry_after_secs }) => {
                return Decision::Refuse {
                    rejection: Rejection {
                        status: 429,
                        body: bodies::status_body(429, model),
                    },
                    retry_after_secs: Some(retry_after_secs),
                };
            }
            _ => {}
        }
        if request.image_count > 0 && !config.vision_models.iter().any(|v| v == model) {
            return refuse(404, bodies::image_input_unsupported());
        }
        let prompt_tokens = (request.prompt_chars as u64).div_ceil(4)
            + request.image_count as u64 * TOKENS_PER_IMAGE;
        if let Some(limit) = config
            .context_limit_chars
            .filter(|limit| request.prompt_chars > *limit)
        {
            return refuse(
                400,
                bodies::context_length_exceeded(limit.div_ceil(4), prompt_tokens as usize),
            );
        }
        let body = match &script.replay {
            Some(recorded) => ScriptBody::Replay(recorded.clone()),
            None => {
                let answer = match script
                    .queued_replies
                    .pop_front()
                    .or_else(|| script.fixed_reply.clone())
                {
                    Some(answer) => answer,
                    None => {
                        let builder = lock(&self.reply_builder).clone();
                        builder(&ReplyContext {
                            model: model.to_owned(),
                            last_user_text: request.last_user_text.clone(),
                            request_number,
                        })
                    }
                };
                ScriptBody::Generate {
                    reasoning: script.reasoning.clone().unwrap_or_default(),
                    answer,
                }
            }
        };
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Decision::Answer(Box::new(StreamScript {
            id: format!("gen-{created}-sim{request_number:08}"),
            created,
            model: model.to_owned(),
            timing: script.timing.unwrap_or(config.timing),
            keepalive_comments: config.keepalive_comments,
            line_ending: config.line_ending,
            body,
            failure,
            max_tokens: request.max_tokens,
            prompt_tokens,
            price_per_million: config.price_per_million,
        }))
    }
}

fn refuse(status: u16, body: String) -> Decision {
    Decision::Refuse {
        rejection: Rejection { status, body },
        retry_after_secs: None,
    }
}

fn take_failure(script: &mut ModelScript) -> Option<LlmFailure> {
    let rule = script.failure.as_mut()?;
    let failure = rule.failure;
    match &mut rule.remaining {
        None => {}
        Some(0) => {
            script.failure = None;
            return None;
        }
        Some(n) => {
            *n -= 1;
            if *n == 0 {
                script.failure = None;
            }
        }
    }
    Some(failure)
}
