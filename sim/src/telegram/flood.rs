//! Flood control: token buckets per chat, per group and bot-wide, a per-chat penalty box that
//! keeps answering 429 until `retry_after` has passed (as Telegram does), and injected 429
//! storms. Pure: every decision takes `now`, so tests can drive time explicitly.

use std::time::Duration;

use tokio::time::Instant;

use super::config::{BucketSpec, FloodLimits};

/// Which budget a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloodClass {
    Send,
    Edit,
    Draft,
}

#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn full(spec: BucketSpec, now: Instant) -> Bucket {
        Bucket {
            tokens: f64::from(spec.burst),
            updated: now,
        }
    }

    fn refill(&mut self, spec: BucketSpec, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        let per_token = spec.refill_every.as_secs_f64().max(f64::EPSILON);
        self.tokens = (self.tokens + elapsed / per_token).min(f64::from(spec.burst));
        self.updated = now;
    }

    /// Time until one whole token is available (zero if one is).
    fn wait(&self, spec: BucketSpec) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            spec.refill_every.mul_f64(1.0 - self.tokens)
        }
    }
}

/// The flood state of one chat.
#[derive(Debug, Clone)]
pub struct ChatFlood {
    messages: Bucket,
    edits: Bucket,
    group: Bucket,
    drafts: Bucket,
    penalty_until: Option<Instant>,
}

impl ChatFlood {
    pub fn new(limits: &FloodLimits, now: Instant) -> ChatFlood {
        ChatFlood {
            messages: Bucket::full(limits.per_chat, now),
            edits: Bucket::full(limits.edits_per_chat, now),
            group: Bucket::full(limits.per_group, now),
            drafts: Bucket::full(limits.drafts_per_chat, now),
            penalty_until: None,
        }
    }

    fn penalize(&mut self, retry_after: u32, now: Instant) {
        let until = now + Duration::from_secs(u64::from(retry_after));
        self.penalty_until = Some(self.penalty_until.map_or(until, |old| old.max(until)));
    }
}

/// An injected run of 429s.
#[derive(Debug, Clone)]
struct Storm {
    chat_id: Option<i64>,
    retry_after: u32,
    remaining: Option<u32>,
    until: Option<Instant>,
}

impl Storm {
    fn active(&self, now: Instant) -> bool {
        self.remaining.is_some_and(|left| left > 0) || self.until.is_some_and(|end| now < end)
    }
}

/// Bot-wide flood state.
#[derive(Debug, Clone)]
pub struct FloodGate {
    limits: FloodLimits,
    bot_wide: Bucket,
    storms: Vec<Storm>,
}

/// Seconds as Telegram reports them: rounded up, at least 1.
fn whole_seconds(wait: Duration) -> u32 {
    let seconds = wait.as_secs_f64().ceil().max(1.0);
    if seconds >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        seconds as u32
    }
}

impl FloodGate {
    pub fn new(limits: FloodLimits, now: Instant) -> FloodGate {
        FloodGate {
            bot_wide: Bucket::full(limits.bot_wide, now),
            limits,
            storms: Vec::new(),
        }
    }

    pub fn limits(&self) -> &FloodLimits {
        &self.limits
    }

    /// The next `requests` flooded requests (of `chat_id`, or of any chat) get 429.
    pub fn inject_requests(&mut self, chat_id: Option<i64>, retry_after: u32, requests: u32) {
        self.storms.push(Storm {
            chat_id,
            retry_after,
            remaining: Some(requests),
            until: None,
        });
    }

    /// Every flooded request (of `chat_id`, or of any chat) gets 429 for `duration`.
    pub fn inject_for(
        &mut self,
        chat_id: Option<i64>,
        retry_after: u32,
        duration: Duration,
        now: Instant,
    ) {
        self.storms.push(Storm {
            chat_id,
            retry_after,
            remaining: None,
            until: Some(now + duration),
        });
    }

    /// Admits one request or returns `retry_after` seconds. A refusal puts the chat in the
    /// penalty box until that moment; an admitted request consumes from every bucket it uses.
    pub fn admit(
        &mut self,
        chat: &mut ChatFlood,
        chat_id: i64,
        is_group: bool,
        class: FloodClass,
        now: Instant,
    ) -> Result<(), u32> {
        if let Some(until) = chat.penalty_until {
            if now < until {
                return Err(whole_seconds(until - now));
            }
            chat.penalty_until = None;
        }
        self.storms.retain(|storm| storm.active(now));
        if let Some(storm) = self
            .storms
            .iter_mut()
            .find(|storm| storm.chat_id.is_none_or(|id| id == chat_id))
        {
            if let Some(left) = storm.remaining.as_mut() {
                *left -= 1;
            }
            let retry_after = storm.retry_after.max(1);
            chat.penalize(retry_after, now);
            return Err(retry_after);
        }
        if !self.limits.enabled {
            return Ok(());
        }
        let limits = &self.limits;
        let mut used: Vec<(&mut Bucket, BucketSpec)> = Vec::with_capacity(4);
        match class {
            FloodClass::Draft => used.push((&mut chat.drafts, limits.drafts_per_chat)),
            FloodClass::Send | FloodClass::Edit => {
                used.push((&mut chat.messages, limits.per_chat));
                if class == FloodClass::Edit {
                    used.push((&mut chat.edits, limits.edits_per_chat));
                }
                if is_group {
                    used.push((&mut chat.group, limits.per_group));
                }
                used.push((&mut self.bot_wide, limits.bot_wide));
            }
        }
        let mut longest_wait = Duration::ZERO;
        for (bucket, spec) in used.iter_mut() {
            bucket.refill(*spec, now);
            longest_wait = longest_wait.max(bucket.wait(*spec));
        }
        if longest_wait > Duration::ZERO {
            let retry_after = whole_seconds(longest_wait);
            chat.penalize(retry_after, now);
            return Err(retry_after);
        }
        for (bucket, _) in used {
            bucket.tokens -= 1.0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(now: Instant) -> (FloodGate, ChatFlood) {
        let limits = FloodLimits::default();
        (
            FloodGate::new(limits.clone(), now),
            ChatFlood::new(&limits, now),
        )
    }

    #[test]
    fn private_chat_allows_a_burst_of_three_then_one_per_second() {
        let now = Instant::now();
        let (mut gate, mut chat) = gate(now);
        for _ in 0..3 {
            assert_eq!(
                gate.admit(&mut chat, 1, false, FloodClass::Send, now),
                Ok(())
            );
        }
        assert_eq!(
            gate.admit(&mut chat, 1, false, FloodClass::Send, now),
            Err(1)
        );
        // Still in the penalty box half a second later, even though a token has half refilled.
        let later = now + Duration::from_millis(500);
        assert_eq!(
            gate.admit(&mut chat, 1, false, FloodClass::Send, later),
            Err(1)
        );
        let after = now + Duration::from_secs(1);
        assert_eq!(
            gate.admit(&mut chat, 1, false, FloodClass::Send, after),
            Ok(())
        );
    }

    #[test]
    fn edits_are_limited_to_one_per_three_seconds_after_the_burst() {
        let now = Instant::now();
        let (mut gate, mut chat) = gate(now);
        let mut at = now;
        for _ in 0..3 {
            assert_eq!(
                gate.admit(&mut chat, 1, false, FloodClass::Edit, at),
                Ok(())
            );
            at += Duration::from_millis(1100);
        }
        // 3.3 s in: the edit bucket has refilled only ~1.1 tokens' worth since the start.
        assert_eq!(
            gate.admit(&mut chat, 1, false, FloodClass::Edit, at),
            Ok(())
        );
        at += Duration::from_millis(1100);
        assert_eq!(
            gate.admit(&mut chat, 1, false, FloodClass::Edit, at),
            Err(2)
        );
    }

    #[test]
    fn the_bot_wide_budget_spans_chats() {
        let now = Instant::now();
        let limits = FloodLimits::default();
        let mut gate = FloodGate::new(limits.clone(), now);
        for chat_id in 0..30 {
            let mut chat = ChatFlood::new(&limits, now);
            assert_eq!(
                gate.admit(&mut chat, chat_id, false, FloodClass::Send, now),
                Ok(())
            );
        }
        let mut fresh = ChatFlood::new(&limits, now);
        assert_eq!(
            gate.admit(&mut fresh, 99, false, FloodClass::Send, now),
            Err(1)
        );
        let mut drafting = ChatFlood::new(&limits, now);
        assert_eq!(
            gate.admit(&mut drafting, 98, false, FloodClass::Draft, now),
            Ok(())
        );
        let soon = now + Duration::from_millis(40);
        let mut next = ChatFlood::new(&limits, now);
        assert_eq!(
            gate.admit(&mut next, 97, false, FloodClass::Send, soon),
            Ok(())
        );
    }

    #[test]
    fn drafts_use_their_own_bucket() {
        let now = Instant::now();
        let (mut gate, mut chat) = gate(now);
        for _ in 0..5 {
            assert_eq!(
                gate.admit(&mut chat, 1, false, FloodClass::Draft, now),
                Ok(())
            );
        }
        assert_eq!(
            gate.admit(&mut chat, 1, false, FloodClass::Draft, now),
            Err(1)
        );
    }

    #[test]
    fn a_group_gets_twenty_per_minute() {
        let now = Instant::now();
        let (mut gate, mut chat) = gate(now);
        let mut at = now;
        for _ in 0..20 {
            assert_eq!(
                gate.admit(&mut chat, -5, true, FloodClass::Send, at),
                Ok(())
            );
            at += Duration::from_millis(1000);
        }
        // One a second drains the group bucket (it refills one per 3 s) within ~30 more sends,
        // although the per-chat bucket alone would allow them all.
        let mut refused = None;
        for _ in 0..30 {
            if let Err(retry) = gate.admit(&mut chat, -5, true, FloodClass::Send, at) {
                refused = Some(retry);
                break;
            }
            at += Duration::from_millis(1000);
        }
        assert!(refused.is_some_and(|retry| (1..=3).contains(&retry)));
    }

    #[test]
    fn injected_storms_count_down_and_penalize() {
        let now = Instant::now();
        let (mut gate, mut chat) = gate(now);
        gate.inject_requests(Some(1), 4, 1);
        assert_eq!(
            gate.admit(&mut chat, 2, false, FloodClass::Send, now),
            Ok(())
        );
        assert_eq!(
            gate.admit(&mut chat, 1, false, FloodClass::Send, now),
            Err(4)
        );
        let later = now + Duration::from_secs(2);
        assert_eq!(
            gate.admit(&mut chat, 1, false, FloodClass::Send, later),
            Err(2)
        );
        let after = now + Duration::from_secs(4);
        assert_eq!(
            gate.admit(&mut chat, 1, false, FloodClass::Send, after),
            Ok(())
        );
    }
}
