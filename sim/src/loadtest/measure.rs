//! The measurements of one streamed reply, as pure functions over two logs: when the model
//! simulator wrote each prefix of the reply, and what the chat showed when.
//!
//! A prefix counts as visible from the first draft, send or edit whose text shows at least
//! that much of the reply (earlier parts of a split reply stay visible as sent messages).
//! Whitespace at the end of a prefix is not required: Telegram trims it from messages.

use std::time::Duration;

use tokio::time::Instant;

use crate::llm::EmittedWrite;

/// One visible state of the reply in its chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown<'a> {
    pub at: Instant,
    /// Plain text as the chat shows it (the draft, the new message or the edited message).
    pub text: &'a str,
}

/// What one reply's stream measured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamMeasurement {
    /// Per generated prefix: how long until the chat showed it.
    pub lags: Vec<Duration>,
    /// Generated prefixes the chat never showed.
    pub never_shown: usize,
    /// When the first non-empty piece of the reply became visible.
    pub first_visible: Option<Instant>,
}

/// How many bytes of `reply`, from its start, the chat shows with `text` on screen: the part
/// `text` starts at (found by its first characters) plus the length `text` agrees with the
/// reply from there. 0 for text that is not part of the reply (an error notice, "Thinking…").
pub fn coverage(reply: &str, text: &str) -> usize {
    let text = text.trim_start();
    if text.is_empty() {
        return 0;
    }
    let Some(start) = part_start(reply, text) else {
        return 0;
    };
    start + agreed_len(&reply[start..], text)
}

/// Bytes at the start of `a` that agree with `b`.
fn agreed_len(a: &str, b: &str) -> usize {
    a.chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum()
}

/// Where in `reply` the part shown as `text` starts: found by the text's first characters
/// (up to 32, down to 8 when the text ends early in something else, such as a cursor).
fn part_start(reply: &str, text: &str) -> Option<usize> {
    const LONGEST_HEAD: usize = 32;
    const SHORTEST_HEAD: usize = 8;
    let chars = text.chars().count();
    let shortest = SHORTEST_HEAD.min(chars);
    if agreed_len(reply, text) >= text.len().min(SHORTEST_HEAD) {
        return Some(0);
    }
    (shortest..=LONGEST_HEAD.min(chars)).rev().find_map(|n| {
        let end = text.char_indices().nth(n).map_or(text.len(), |(at, _)| at);
        reply.find(&text[..end])
    })
}

/// The bytes of `reply` that must be visible for its first `generated` bytes to count as
/// shown: trailing whitespace excluded.
fn needed(reply: &str, generated: usize) -> usize {
    reply
        .get(..generated.min(reply.len()))
        .map_or(generated, |prefix| prefix.trim_end().len())
}

/// Lags of every generated prefix of `reply` (from `writes`) to its first showing in `shown`
/// (any order), and when anything of the reply first became visible.
pub fn measure_stream(
    reply: &str,
    writes: &[EmittedWrite],
    shown: &[Shown<'_>],
) -> StreamMeasurement {
    let mut states: Vec<(Instant, usize)> = shown
        .iter()
        .map(|s| (s.at, coverage(reply, s.text)))
        .collect();
    states.sort_by_key(|(at, _)| *at);
    // Once shown, a prefix stays visible: keep only moments the visible part grew.
    let mut timeline: Vec<(Instant, usize)> = Vec::with_capacity(states.len());
    for (at, covered) in states {
        if covered > timeline.last().map_or(0, |(_, c)| *c) {
            timeline.push((at, covered));
        }
    }
    let mut measurement = StreamMeasurement {
        first_visible: timeline.first().map(|(at, _)| *at),
        ..StreamMeasurement::default()
    };
    for write in writes {
        let need = needed(reply, write.content_len);
        if need == 0 {
            continue;
        }
        let first = timeline.partition_point(|(_, covered)| *covered < need);
        match timeline.get(first) {
            Some((at, _)) => measurement
                .lags
                .push(at.saturating_duration_since(write.at)),
            None => measurement.never_shown += 1,
        }
    }
    measurement
}

/// True when the bot's final messages, in order, are the whole reply: one message equal to
/// it, or consecutive parts that together are the reply (whitespace at the cuts aside).
pub fn delivered_complete<S: AsRef<str>>(reply: &str, parts: &[S]) -> bool {
    if parts.is_empty() {
        return false;
    }
    let mut rest = reply;
    for part in parts {
        let part = part.as_ref().trim();
        if part.is_empty() {
            return false;
        }
        match rest.trim_start().strip_prefix(part) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_follows_the_reply_from_where_the_text_starts() {
        let reply = "Hold the plan. Wait for the level.\n\nThen size down.";
        assert_eq!(coverage(reply, ""), 0);
        assert_eq!(coverage(reply, "Hold the"), 8);
        assert_eq!(coverage(reply, "Hold the plan. Wait▌"), 19);
        assert_eq!(coverage(reply, "Sorry, the coach is busy"), 0);
        assert_eq!(coverage(reply, "Hold on, the market is open"), 0);
        assert_eq!(coverage(reply, reply), reply.len());
        assert_eq!(
            coverage(reply, "Then size"),
            reply.find("Then").unwrap() + 9
        );
    }

    #[test]
    fn delivery_accepts_the_reply_whole_or_split_and_nothing_less() {
        let reply = "One two three.\n\nFour five six.";
        assert!(delivered_complete(reply, &[reply]));
        assert!(delivered_complete(
            reply,
            &["One two three.", "Four five six."]
        ));
        assert!(!delivered_complete(reply, &["One two three."]));
        assert!(!delivered_complete(
            reply,
            &["Four five six.", "One two three."]
        ));
        assert!(!delivered_complete::<&str>(reply, &[]));
    }
}
