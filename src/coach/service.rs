//! The coach: one reply = context assembly → model chain → streamed text → memory and ledger.
//!
//! Transport-agnostic: the Telegram room and the terminal REPL both call `Coach::reply` with a
//! sink for text deltas and a cancellation token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::context::{
    Budget, CUT_SHORT_MARK, STOPPED_MARK, Session, assemble, stored_answer, to_chat_messages,
};
use super::personas::Persona;
use super::prompts::Templates;
use crate::llm::router::{InputKind, Router};
use crate::llm::{ChatMessage, FinishReason, ImageKind, LlmError, StreamEvent, TokenUsage};
use crate::store::{
    ConversationKey, ConversationWindow, LedgerEntry, Store, StoreError, Turn, now_unix,
};

#[derive(Debug, Clone)]
pub struct CoachSettings {
    pub budget: Budget,
    pub session_timeout: Duration,
    /// USD per million tokens (prompt, completion) by model id, for providers that do not
    /// report cost themselves.
    pub prices: Vec<(String, f64, f64)>,
    /// How often a streaming reply is read. Tokens gather in the socket in between, so one
    /// wake-up takes many; previews are shown only a few times a second anyway.
    pub read_every: Duration,
}

/// What the trader sent.
#[derive(Debug, Clone)]
pub enum CoachInput {
    Text(String),
    Chart {
        image: Vec<u8>,
        kind: ImageKind,
        caption: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CoachError {
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CoachError {
    /// A short, kind sentence for the trader.
    pub fn user_message(&self) -> String {
        match self {
            CoachError::Llm(error) => {
                format!("{} Please try again in a minute.", error.user_message())
            }
            CoachError::Store(_) => {
                "I can't reach my memory right now. Please try again in a minute.".into()
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReplyOutcome {
    pub text: String,
    pub stopped: bool,
    /// Models that answered, in order (more than one after a mid-stream fallback).
    pub models: Vec<String>,
    pub usage: TokenUsage,
    /// The model stopped at `max_tokens`: the answer is incomplete.
    pub cut_short: bool,
}

pub struct Coach {
    store: Store,
    router: Arc<Router>,
    templates: Arc<Templates>,
    settings: CoachSettings,
    system_prompts: Mutex<HashMap<(String, String), Arc<str>>>,
}

/// The most turns of a session read for one reply; the token budget then keeps the newest
/// that fit.
pub const WINDOW_TURNS: i64 = 200;

/// What the model is told when it must pick up a reply another model started.
const CONTINUE_INSTRUCTION: &str = "Your previous reply was interrupted. Continue it from \
    exactly where it stops, without repeating anything and without mentioning the interruption.";

impl Coach {
    pub fn new(
        store: Store,
        router: Arc<Router>,
        templates: Arc<Templates>,
        settings: CoachSettings,
    ) -> Coach {
        Coach {
            store,
            router,
            templates,
            settings,
            system_prompts: Mutex::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Produces one reply, streaming answer text into `on_delta`. Cancelling `cancel` stops
    /// the model at once (the HTTP request is dropped) and keeps what was said so far.
    pub async fn reply(
        &self,
        session: Session,
        user_id: i64,
        persona: &Persona,
        input: CoachInput,
        on_delta: &mut (dyn FnMut(&str) + Send),
        cancel: &CancellationToken,
    ) -> Result<ReplyOutcome, CoachError> {
        let (key, message_id) = (session.key, session.message_id);
        // The reply's phases before and after streaming are boxed: a task keeps room for its
        // largest state while it lives, and these three made a reply's task 9 KB, not 5 KB.
        let (summary, turns) = Box::pin(self.session_context(key, session.window)).await?;
        if let Some(stored) = stored_answer(&turns, message_id) {
            tracing::info!(
                chat_id = key.chat_id,
                "answering a replayed message from its stored exchange"
            );
            return Ok(ReplyOutcome {
                text: stored.text.to_owned(),
                stopped: stored.stopped,
                cut_short: stored.cut_short,
                ..ReplyOutcome::default()
            });
        }
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let system = self.system_prompt(persona, &today);
        let (kind, user_text, remembered) = match &input {
            CoachInput::Text(text) => (InputKind::Text, text.clone(), text.clone()),
            CoachInput::Chart { caption, .. } => {
                let prompt = self.templates.vision_prompt(persona, caption.as_deref());
                let remembered = match caption {
                    Some(c) if !c.trim().is_empty() => format!("[chart image] {c}"),
                    _ => "[chart image]".to_string(),
                };
                (InputKind::Vision, prompt, remembered)
            }
        };
        let mut budget = self.settings.budget;
        let mut outcome = ReplyOutcome::default();
        let mut failed: Vec<String> = Vec::new();
        let mut shrunk = false;
        loop {
            let prompt = assemble(&system, &summary, &turns, &user_text, budget);
            let mut messages = to_chat_messages(prompt, &input);
            if !outcome.text.is_empty() {
                messages.push(ChatMessage::assistant(outcome.text.clone()));
                messages.push(ChatMessage::user(CONTINUE_INSTRUCTION));
            }
            let max_tokens = budget.reply_tokens as u32;
            let opened = tokio::select! {
                _ = cancel.cancelled() => {
                    outcome.stopped = true;
                    break;
                }
                opened = Box::pin(self.router.open(kind, &messages, max_tokens, &failed)) => opened,
            };
            // The request is on the wire; its copy of the prompt is not needed while streaming.
            drop(messages);
            let opened = match opened {
                Ok(opened) => opened,
                Err(LlmError::ContextLengthExceeded { .. }) if !shrunk => {
                    tracing::warn!("provider reported a context overflow; retrying smaller");
                    shrunk = true;
                    budget = budget.shrunk();
                    continue;
                }
                Err(error) if outcome.text.is_empty() => return Err(error.into()),
                Err(error) => {
                    // The reply was cut and nobody can continue it: keep what we have.
                    tracing::warn!(%error, "no model could continue an interrupted reply");
                    on_delta("\n\n…");
                    outcome.text.push_str("\n\n…");
                    break;
                }
            };
            let label = opened.route.label.clone();
            let mut stream = opened.stream;
            let mut produced = false;
            // Only the first piece of a continuation may need a joining space.
            let mut continuing = !outcome.text.is_empty();
            stream.read_every(self.settings.read_every);
            let cancelled = cancel.cancelled();
            tokio::pin!(cancelled);
            // Text decoded from one read is handed on in one piece: one preview update per
            // read instead of one per token.
            let mut unshown = String::new();
            let result = loop {
                let event = if stream.has_buffered_events() {
                    // Decoded events are taken without yielding, so no stop can come between.
                    stream.next().await
                } else {
                    if !unshown.is_empty() {
                        on_delta(&unshown);
                        unshown.clear();
                    }
                    let event = tokio::select! {
                        _ = &mut cancelled => break Ok(true),
                        event = stream.next() => event,
                    };
                    // A stop and a read that came together: the stop wins.
                    if cancel.is_cancelled() {
                        break Ok(true);
                    }
                    event
                };
                match event {
                    None => break Err(LlmError::Truncated),
                    Some(Err(error)) => break Err(error),
                    Some(Ok(StreamEvent::Delta(text))) => {
                        produced = true;
                        let joint = seam(&outcome.text, &text, continuing);
                        continuing = false;
                        for piece in [joint, text.as_str()] {
                            unshown.push_str(piece);
                            outcome.text.push_str(piece);
                        }
                    }
                    Some(Ok(StreamEvent::Reasoning(_))) => {}
                    Some(Ok(StreamEvent::Usage(usage))) => {
                        outcome.usage.prompt_tokens += usage.prompt_tokens;
                        outcome.usage.completion_tokens += usage.completion_tokens;
                        outcome.usage.cost = add_cost(
                            outcome.usage.cost,
                            usage.cost,
                            &opened.route.model,
                            usage,
                            &self.settings,
                        );
                    }
                    Some(Ok(StreamEvent::Finished { finish_reason })) => {
                        outcome.cut_short = finish_reason == Some(FinishReason::Length);
                        break Ok(false);
                    }
                }
            };
            if !unshown.is_empty() {
                on_delta(&unshown);
            }
            drop(stream);
            if produced && !outcome.models.contains(&label) {
                outcome.models.push(label.clone());
            }
            match result {
                Ok(stopped) => {
                    outcome.stopped = stopped;
                    if !stopped {
                        self.router.record_success(&label);
                    }
                    break;
                }
                Err(error) => {
                    tracing::warn!(model = %label, %error, produced, "model failed; trying the next one");
                    self.router.record_failure(&label);
                    failed.push(label);
                }
            }
        }
        if outcome.text.trim().is_empty() {
            return Ok(outcome);
        }
        Box::pin(self.remember(key, message_id, user_id, kind, &remembered, &outcome)).await?;
        Ok(outcome)
    }

    async fn remember(
        &self,
        key: ConversationKey,
        message_id: Option<i64>,
        user_id: i64,
        kind: InputKind,
        user_turn: &str,
        outcome: &ReplyOutcome,
    ) -> Result<(), StoreError> {
        let mut answer = outcome.text.clone();
        if outcome.cut_short {
            answer.push_str(CUT_SHORT_MARK);
        }
        if outcome.stopped {
            answer.push_str(STOPPED_MARK);
        }
        let entry = LedgerEntry {
            user_id,
            chat_id: key.chat_id,
            model: outcome.models.join(" → "),
            kind: kind.label(),
            prompt_tokens: outcome.usage.prompt_tokens as i64,
            completion_tokens: outcome.usage.completion_tokens as i64,
            cost_micros: outcome
                .usage
                .cost
                .map_or(0, |usd| (usd * 1e6).round() as i64),
        };
        self.store
            .record_exchange(key, message_id, user_turn, &answer, &entry)
            .await
    }

    /// The system prompt for a persona on a day, built once and shared by every reply.
    fn system_prompt(&self, persona: &Persona, today: &str) -> Arc<str> {
        let mut cache = self
            .system_prompts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if cache.len() > 64 {
            cache.clear();
        }
        cache
            .entry((persona.id.clone(), today.to_string()))
            .or_insert_with(|| self.templates.system_prompt(persona, today).into())
            .clone()
    }

    /// The summary and the recent turns of the current session. After the silence timeout
    /// a new (empty) session starts, and the old one is folded into the summary in the
    /// background (a fold started here lands after this reply).
    async fn session_context(
        &self,
        key: ConversationKey,
        read: Option<ConversationWindow>,
    ) -> Result<(String, Vec<Turn>), StoreError> {
        let window = match read {
            Some(window) => window,
            None => {
                self.store
                    .conversation_with_window(key, WINDOW_TURNS)
                    .await?
            }
        };
        let Some((state, turns)) = window else {
            return Ok((String::new(), Vec::new()));
        };
        let idle = now_unix() - state.last_activity_at;
        if idle < self.settings.session_timeout.as_secs() as i64 {
            return Ok((state.summary, turns));
        }
        self.rotate_session(key).await?;
        Ok((state.summary, Vec::new()))
    }

    /// `/reset`: a new session now; the old turns become summary.
    pub async fn rotate_session(&self, key: ConversationKey) -> Result<i64, StoreError> {
        let from = self.store.start_new_session(key).await?;
        let coach = self.summarizer();
        tokio::spawn(async move {
            if let Err(error) = coach.summarize(key, from).await {
                tracing::warn!(%error, "could not fold the last session into the summary");
            }
        });
        Ok(from)
    }

    fn summarizer(&self) -> Summarizer {
        Summarizer {
            store: self.store.clone(),
            router: self.router.clone(),
            templates: self.templates.clone(),
            max_tokens: self.settings.budget.reply_tokens.min(600) as u32,
        }
    }

    /// Folds turns before `before_turn` into the summary now (tests and shutdown use this).
    pub async fn summarize_now(
        &self,
        key: ConversationKey,
        before_turn: i64,
    ) -> Result<bool, CoachError> {
        self.summarizer().summarize(key, before_turn).await
    }
}

/// The background job that turns old turns into the rolling summary.
struct Summarizer {
    store: Store,
    router: Arc<Router>,
    templates: Arc<Templates>,
    max_tokens: u32,
}

impl Summarizer {
    async fn summarize(&self, key: ConversationKey, before_turn: i64) -> Result<bool, CoachError> {
        let turns = self.store.unsummarized_turns(key, before_turn).await?;
        let Some(last) = turns.last() else {
            return Ok(false);
        };
        let previous = self
            .store
            .conversation(key)
            .await?
            .map(|s| s.summary)
            .unwrap_or_default();
        let transcript: String = turns
            .iter()
            .map(|t| {
                let who = if t.role == "assistant" {
                    "Coach"
                } else {
                    "Trader"
                };
                format!("{who}: {}\n", t.content)
            })
            .collect();
        let prompt = self.templates.summary_prompt(&previous, &transcript);
        let messages = [ChatMessage::user(prompt)];
        let opened = self
            .router
            .open(InputKind::Text, &messages, self.max_tokens, &[])
            .await?;
        let completion = opened.stream.collect().await?;
        let summary = completion.text.trim();
        if summary.is_empty() {
            return Ok(false);
        }
        let saved = self.store.save_summary(key, summary, last.id).await?;
        if let Some(usage) = completion.usage {
            let entry = LedgerEntry {
                user_id: key.user_id,
                chat_id: key.chat_id,
                model: opened.route.label,
                kind: "summary",
                prompt_tokens: usage.prompt_tokens as i64,
                completion_tokens: usage.completion_tokens as i64,
                cost_micros: usage.cost.map_or(0, |usd| (usd * 1e6).round() as i64),
            };
            self.store.record_completion(&entry).await?;
        }
        Ok(saved)
    }
}

/// What goes between a cut-off reply and its continuation: a space only where two words
/// would otherwise touch.
fn seam(before: &str, next: &str, first_piece_of_model: bool) -> &'static str {
    if first_piece_of_model
        && !before.is_empty()
        && before.ends_with(|c: char| c.is_alphanumeric() || c == '.' || c == ',')
        && next.starts_with(|c: char| c.is_alphanumeric())
    {
        " "
    } else {
        ""
    }
}

fn add_cost(
    so_far: Option<f64>,
    reported: Option<f64>,
    model: &str,
    usage: TokenUsage,
    settings: &CoachSettings,
) -> Option<f64> {
    let this = reported.or_else(|| {
        settings
            .prices
            .iter()
            .find(|(id, _, _)| id == model)
            .map(|(_, prompt, completion)| {
                (usage.prompt_tokens as f64 * prompt + usage.completion_tokens as f64 * completion)
                    / 1e6
            })
    });
    match (so_far, this) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
