//! The emission log: when each piece of a streamed answer left the simulator, so a load test
//! can measure how long a generated prefix takes to become visible downstream.
//!
//! Off by default. When on, each stream keeps its own list (no lock per write) and hands it to
//! the shared log when the stream ends, before the stream stops counting as active, so
//! `wait_until_idle` returning true means every finished stream is in the log.

use tokio::time::Instant;

/// One write of answer text: at `at`, the client had been sent `content_len` bytes of the
/// answer in total (always a UTF-8 character boundary of the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmittedWrite {
    pub at: Instant,
    pub content_len: usize,
}

/// The answer writes of one streamed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emission {
    /// 1-based, in arrival order, as in the generated reply ids.
    pub request_number: u64,
    pub model: String,
    /// The last user message of the request, to tell which conversation the stream served.
    pub last_user_text: String,
    /// When the response body started.
    pub started: Instant,
    /// Only writes that carried answer text (not comments, reasoning, usage or `[DONE]`).
    pub writes: Vec<EmittedWrite>,
}

impl Emission {
    pub(crate) fn new(request_number: u64, model: &str, last_user_text: &str) -> Self {
        Self {
            request_number,
            model: model.to_owned(),
            last_user_text: last_user_text.to_owned(),
            started: Instant::now(),
            // 1,200 characters at ~4 per token: a few hundred writes.
            writes: Vec::with_capacity(320),
        }
    }

    /// Answer bytes sent by the end of the stream.
    pub fn content_len(&self) -> usize {
        self.writes.last().map_or(0, |w| w.content_len)
    }

    pub(crate) fn note(&mut self, content_len: usize) {
        if content_len > self.content_len() {
            self.writes.push(EmittedWrite {
                at: Instant::now(),
                content_len,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_growth_is_logged() {
        let mut emission = Emission::new(1, "m", "hi");
        emission.note(0);
        emission.note(4);
        emission.note(4);
        emission.note(9);
        let lens: Vec<_> = emission.writes.iter().map(|w| w.content_len).collect();
        assert_eq!(lens, vec![4, 9]);
        assert_eq!(emission.content_len(), 9);
        assert!(emission.writes[0].at <= emission.writes[1].at);
    }
}
