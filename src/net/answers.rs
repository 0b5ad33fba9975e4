//! Reading the answers of pipelined requests: in order, each parsed off the bytes one read
//! brought, collected at the grid points; and the handle a caller keeps to pick its answer
//! up later.

use std::time::Duration;

use tokio::sync::oneshot;

use super::head::parse_response_head;
use super::pipeline::Answer;
use super::socket::{Pulled, Socket};
use super::{BodyDecoder, BodyState, Framing, HttpError};

/// Largest answer body accepted (these are API answers of a few hundred bytes).
const MAX_BODY: usize = 1 << 20;

/// The answer to a queued request, to be picked up when the caller is ready for it.
pub struct PendingAnswer {
    /// `None` once the answer was taken.
    answer: Option<oneshot::Receiver<Answer>>,
}

impl PendingAnswer {
    pub(super) fn new(answer: oneshot::Receiver<Answer>) -> PendingAnswer {
        PendingAnswer {
            answer: Some(answer),
        }
    }

    /// The answer if it has come, without waiting.
    pub fn try_take(&mut self) -> Option<Answer> {
        let receiver = self.answer.as_mut()?;
        let answer = match receiver.try_recv() {
            Ok(answer) => answer,
            Err(oneshot::error::TryRecvError::Empty) => return None,
            Err(oneshot::error::TryRecvError::Closed) => Err(stopped()),
        };
        self.answer = None;
        Some(answer)
    }

    /// Waits at most `timeout` for the answer. Taken once: asked again, it says the pipeline
    /// stopped rather than wait for nothing.
    pub async fn wait(&mut self, timeout: Duration) -> Answer {
        let Some(receiver) = self.answer.as_mut() else {
            return Err(stopped());
        };
        let answer = match tokio::time::timeout(timeout, receiver).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(stopped()),
            Err(_) => return Err(HttpError::Timeout),
        };
        self.answer = None;
        answer
    }
}

pub(super) fn stopped() -> HttpError {
    HttpError::Connect("the pipeline stopped".into())
}

/// Reads one answer starting at `received[*at..]`, pulling more bytes as needed, and moves
/// `at` past it. Also says whether the server closes the connection after it.
pub(super) async fn read_answer(
    socket: &mut Socket,
    received: &mut Vec<u8>,
    at: &mut usize,
    deadline: tokio::time::Instant,
) -> Result<((u16, Vec<u8>), bool), HttpError> {
    let head = loop {
        match parse_response_head(&received[*at..]).map_err(HttpError::Protocol)? {
            Some((head, len)) if (100..200).contains(&head.status) => *at += len,
            Some((head, len)) => {
                *at += len;
                break head;
            }
            None => {
                if pull(socket, received, deadline).await? == Pulled::Closed {
                    return Err(closed_early());
                }
            }
        }
    };
    let mut decoder = BodyDecoder::new(head.framing);
    let mut body = Vec::new();
    loop {
        *at += decoder
            .decode(&received[*at..], &mut body)
            .map_err(|e| HttpError::Protocol(e.to_string()))?;
        if body.len() > MAX_BODY {
            return Err(HttpError::Protocol("answer too large".into()));
        }
        if decoder.state() == BodyState::Complete {
            return Ok(((head.status, body), head.closes));
        }
        if pull(socket, received, deadline).await? == Pulled::Closed {
            if head.framing == Framing::UntilClose {
                return Ok(((head.status, body), true));
            }
            return Err(closed_early());
        }
    }
}

/// Waits until more bytes arrive or the server closes, at most until `deadline`. Answers are
/// collected at the grid points (see [`super::on_grid`]), not as they arrive: a preview's
/// answer matters to nobody within the next grid interval, and one read then takes the whole
/// batch's answers in the wake-up the process has anyway, instead of a wake-up and a read
/// each.
async fn pull(
    socket: &mut Socket,
    received: &mut Vec<u8>,
    deadline: tokio::time::Instant,
) -> Result<Pulled, HttpError> {
    loop {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Err(HttpError::Timeout);
        }
        tokio::time::sleep_until(super::on_grid(now).min(deadline)).await;
        match socket.pull(received) {
            Ok(Pulled::Nothing) => {}
            Ok(pulled) => return Ok(pulled),
            Err(error) => return Err(HttpError::Connect(error.to_string())),
        }
    }
}

fn closed_early() -> HttpError {
    HttpError::Connect("the server closed the connection without answering".into())
}
