//! Flood budgets as reservations: every send, edit or draft books the earliest moment it may
//! go out, so callers sleep exactly as long as needed instead of hitting 429 and retrying.
//!
//! Pure bookkeeping over `Instant`s (no clocks, no I/O): the outbox owns one `Pacer` behind a
//! mutex and feeds it the current time. Each limit is a GCRA cell: `tat` is the theoretical
//! arrival time of the next request, and a burst of `burst` requests may run ahead of it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One rate limit: `burst` requests at once, then one per `interval`.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub interval: Duration,
    pub burst: u32,
}

impl Rate {
    pub const fn new(interval: Duration, burst: u32) -> Rate {
        Rate { interval, burst }
    }

    fn tolerance(&self) -> Duration {
        self.interval * self.burst.saturating_sub(1)
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    tat: Option<Instant>,
}

impl Cell {
    /// The earliest time at or after `not_before` this cell allows.
    fn earliest(&self, rate: Rate, not_before: Instant) -> Instant {
        match self.tat {
            Some(tat) => not_before.max(tat.checked_sub(rate.tolerance()).unwrap_or(tat)),
            None => not_before,
        }
    }

    fn book(&mut self, rate: Rate, at: Instant) {
        let base = self.tat.map_or(at, |tat| tat.max(at));
        self.tat = Some(base + rate.interval);
    }
}

/// The budgets the outbox keeps, chosen just inside Telegram's published limits.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    /// Sends and edits in one chat (~1/s with short bursts).
    pub per_chat: Rate,
    /// Edits in one chat (~20/min sustained).
    pub edits_per_chat: Rate,
    /// Sends and edits in one group (20/min).
    pub per_group: Rate,
    /// Sends and edits across the bot (~30/s).
    pub global: Rate,
    /// Draft animations in one private chat (`DRAFT_HZ`).
    pub drafts_per_chat: Rate,
}

impl Budgets {
    pub fn telegram_defaults(draft_hz: f64) -> Budgets {
        let draft_interval = Duration::from_secs_f64(1.0 / draft_hz.clamp(0.2, 20.0));
        Budgets {
            per_chat: Rate::new(Duration::from_millis(1050), 2),
            edits_per_chat: Rate::new(Duration::from_millis(3100), 1),
            per_group: Rate::new(Duration::from_millis(3100), 1),
            global: Rate::new(Duration::from_millis(36), 8),
            drafts_per_chat: Rate::new(draft_interval, 1),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Send,
    Edit,
    Draft,
}

#[derive(Debug, Default)]
struct ChatCells {
    any: Cell,
    edits: Cell,
    group: Cell,
    drafts: Cell,
    penalty_until: Option<Instant>,
    last_used: Option<Instant>,
}

pub struct Pacer {
    budgets: Budgets,
    global: Cell,
    chats: HashMap<i64, ChatCells>,
}

/// Telegram's chat ids: groups and channels are negative.
pub fn is_group_chat(chat_id: i64) -> bool {
    chat_id < 0
}

impl Pacer {
    pub fn new(budgets: Budgets) -> Pacer {
        Pacer {
            budgets,
            global: Cell::default(),
            chats: HashMap::new(),
        }
    }

    /// When `action` in `chat_id` could go out, without booking it.
    pub fn earliest(&self, chat_id: i64, action: Action, now: Instant) -> Instant {
        let b = self.budgets;
        let Some(chat) = self.chats.get(&chat_id) else {
            return match action {
                Action::Draft => now,
                _ => self.global.earliest(b.global, now),
            };
        };
        let mut at = now.max(chat.penalty_until.unwrap_or(now));
        match action {
            Action::Draft => at = chat.drafts.earliest(b.drafts_per_chat, at),
            Action::Send | Action::Edit => {
                at = chat.any.earliest(b.per_chat, at);
                if action == Action::Edit {
                    at = chat.edits.earliest(b.edits_per_chat, at);
                }
                if is_group_chat(chat_id) {
                    at = chat.group.earliest(b.per_group, at);
                }
                at = self.global.earliest(b.global, at);
            }
        }
        at
    }

    /// Books the earliest slot for `action` and returns it; the caller sleeps until then.
    pub fn reserve(&mut self, chat_id: i64, action: Action, now: Instant) -> Instant {
        let at = self.earliest(chat_id, action, now);
        let b = self.budgets;
        let chat = self.chats.entry(chat_id).or_default();
        chat.last_used = Some(at);
        match action {
            Action::Draft => chat.drafts.book(b.drafts_per_chat, at),
            Action::Send | Action::Edit => {
                chat.any.book(b.per_chat, at);
                if action == Action::Edit {
                    chat.edits.book(b.edits_per_chat, at);
                }
                if is_group_chat(chat_id) {
                    chat.group.book(b.per_group, at);
                }
                self.global.book(b.global, at);
            }
        }
        at
    }

    /// How far the bot-wide budget is booked ahead of `now`; intermediate stream updates are
    /// skipped while it is long, so final messages never queue behind previews.
    pub fn global_backlog(&self, now: Instant) -> Duration {
        self.global
            .earliest(self.budgets.global, now)
            .saturating_duration_since(now)
    }

    /// Telegram answered 429: nothing goes to this chat until `until`.
    pub fn penalize(&mut self, chat_id: i64, until: Instant) {
        let chat = self.chats.entry(chat_id).or_default();
        chat.penalty_until = Some(chat.penalty_until.map_or(until, |p| p.max(until)));
    }

    pub fn penalty_until(&self, chat_id: i64) -> Option<Instant> {
        self.chats.get(&chat_id).and_then(|c| c.penalty_until)
    }

    /// Drops chats idle for longer than `idle` so the map does not grow forever.
    pub fn forget_idle(&mut self, now: Instant, idle: Duration) {
        self.chats.retain(|_, chat| {
            let last = chat.last_used.into_iter().chain(chat.penalty_until).max();
            last.is_some_and(|t| t + idle > now)
        });
    }

    pub fn tracked_chats(&self) -> usize {
        self.chats.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacer() -> Pacer {
        Pacer::new(Budgets::telegram_defaults(4.0))
    }

    fn offsets(times: &[Instant], start: Instant) -> Vec<u128> {
        times.iter().map(|t| (*t - start).as_millis()).collect()
    }

    #[test]
    fn private_sends_allow_a_short_burst_then_one_per_second() {
        let mut p = pacer();
        let now = Instant::now();
        let slots: Vec<_> = (0..4).map(|_| p.reserve(7, Action::Send, now)).collect();
        assert_eq!(offsets(&slots, now), vec![0, 0, 1050, 2100]);
    }

    #[test]
    fn edits_are_held_to_twenty_per_minute() {
        let mut p = pacer();
        let now = Instant::now();
        let slots: Vec<_> = (0..3).map(|_| p.reserve(7, Action::Edit, now)).collect();
        assert_eq!(offsets(&slots, now), vec![0, 3100, 6200]);
    }

    #[test]
    fn groups_get_one_message_per_three_seconds() {
        let mut p = pacer();
        let now = Instant::now();
        let slots: Vec<_> = (0..3).map(|_| p.reserve(-100, Action::Send, now)).collect();
        assert_eq!(offsets(&slots, now), vec![0, 3100, 6200]);
    }

    #[test]
    fn drafts_follow_their_own_rate_and_do_not_spend_the_message_budget() {
        let mut p = pacer();
        let now = Instant::now();
        let drafts: Vec<_> = (0..3).map(|_| p.reserve(7, Action::Draft, now)).collect();
        assert_eq!(offsets(&drafts, now), vec![0, 250, 500]);
        assert_eq!(p.reserve(7, Action::Send, now), now);
    }

    #[test]
    fn the_bot_wide_budget_spreads_many_chats() {
        let mut p = pacer();
        let now = Instant::now();
        let last = (0..60)
            .map(|chat| p.reserve(chat + 1, Action::Send, now))
            .max()
            .unwrap();
        // 60 messages at ~28/s with a burst of 8 take about 1.9 s, never less.
        let spread = (last - now).as_millis();
        assert!((1800..=1900).contains(&spread), "{spread}");
        assert!(p.global_backlog(now) > Duration::from_secs(1));
    }

    #[test]
    fn a_penalty_holds_every_action_in_that_chat_only() {
        let mut p = pacer();
        let now = Instant::now();
        p.penalize(7, now + Duration::from_secs(5));
        assert_eq!(p.reserve(7, Action::Draft, now), now + Duration::from_secs(5));
        assert_eq!(p.reserve(8, Action::Send, now), now);
        p.forget_idle(now + Duration::from_secs(600), Duration::from_secs(60));
        assert_eq!(p.tracked_chats(), 0);
    }
}
