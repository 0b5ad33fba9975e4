//! `sendMessageDraft`: the private-chat preview of a reply being written.
//!
//! Previews are the bot's most frequent call (a few per second per streamed reply) and the
//! only one that may be lost or repeated without harm, so they travel pipelined (see
//! [`crate::net::Pipeline`]) and their callers need not wait for the answer: a stream posts
//! its preview and looks at the answer when the next one is due, by which time it has come.

use serde::de::IgnoredAny;

use super::{BotApi, JSON, SHORT, TextMode, TgError, encode, http_failure, read_envelope};
use crate::net::PendingAnswer;
use crate::telegram::wire::TextCall;

pub(super) const METHOD: &str = "sendMessageDraft";

/// A preview on its way: its answer is read when the caller asks for it.
pub struct DraftCall {
    state: DraftState,
}

enum DraftState {
    Pending(PendingAnswer),
    /// Finished before the call returned (through a proxy, or not encodable); taken once.
    Done(Option<Result<(), TgError>>),
}

impl DraftCall {
    /// The outcome if the answer has come, without waiting.
    pub fn try_outcome(&mut self) -> Option<Result<(), TgError>> {
        match &mut self.state {
            DraftState::Done(result) => result.take(),
            DraftState::Pending(pending) => pending.try_take().map(read_draft_answer),
        }
    }

    /// Waits for the outcome (at most the call timeout); to be taken once.
    pub async fn outcome(&mut self) -> Result<(), TgError> {
        match &mut self.state {
            DraftState::Done(result) => result.take().unwrap_or_else(already_taken),
            DraftState::Pending(pending) => read_draft_answer(pending.wait(SHORT).await),
        }
    }
}

fn already_taken() -> Result<(), TgError> {
    Err(TgError::Network {
        method: METHOD,
        detail: "the answer was already taken".into(),
    })
}

fn read_draft_answer(answer: crate::net::Answer) -> Result<(), TgError> {
    let (status, bytes) = answer.map_err(|error| http_failure(METHOD, error))?;
    read_envelope::<IgnoredAny>(METHOD, status, &bytes).map(drop)
}

impl BotApi {
    /// Bot API 9.3+: animates a private-chat draft (empty text shows "Thinking…") and
    /// returns without the answer, which the [`DraftCall`] picks up later.
    /// Through a proxy (reqwest, no pipelining) the call completes before this returns.
    pub async fn start_message_draft(
        &self,
        chat_id: i64,
        draft_id: i64,
        text: &str,
        mode: TextMode,
        can_stop: bool,
    ) -> DraftCall {
        let body = TextCall {
            draft_id: Some(draft_id),
            can_stop: Some(can_stop),
            keep_on_stop: Some(false),
            ..TextCall::new(chat_id, text, mode, None)
        };
        let state = match &self.direct {
            Some(direct) => match encode(METHOD, &body) {
                Ok(encoded) => {
                    let pending = direct.drafts.queue(&direct.draft_target, JSON, &encoded);
                    crate::net::spare::give_back(encoded);
                    DraftState::Pending(pending)
                }
                Err(error) => DraftState::Done(Some(Err(error))),
            },
            None => DraftState::Done(Some(
                self.call::<_, IgnoredAny>(METHOD, &body, SHORT)
                    .await
                    .map(drop),
            )),
        };
        DraftCall { state }
    }
}
