//! Flood budgets as reservations: every send, edit or draft books the earliest moment it may
//! go out, so callers sleep exactly as long as needed instead of hitting 429 and retrying.
//!
//! Pure bookkeeping over `Instant`s (no clocks, no I/O): the outbox owns one `Pacer` behind a
//! mutex and feeds it the current time. Per-chat limits are GCRA cells (`tat` is the
//! theoretical arrival time of the next request; `burst` may run ahead of it), which suits one
//! chat's strictly ordered traffic. A group also keeps a one-minute window (at most 19 sends
//! and edits in any minute). The bot-wide limit is a calendar of slots: many chats book it at
//! different future times, and a booking three seconds ahead must not block a request that
//! could go now.

use std::collections::{BTreeSet, HashMap, VecDeque};
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

/// At most `limit` requests in any `span` (Telegram's "20 messages per minute in a group"):
/// bursts are fine while the window has room.
#[derive(Debug, Default)]
struct Window {
    booked: VecDeque<Instant>,
}

impl Window {
    fn earliest(&self, limit: usize, span: Duration, not_before: Instant) -> Instant {
        if self.booked.len() < limit {
            return not_before;
        }
        not_before.max(self.booked[self.booked.len() - limit] + span)
    }

    fn book(&mut self, limit: usize, at: Instant) {
        let position = self.booked.partition_point(|t| *t <= at);
        self.booked.insert(position, at);
        while self.booked.len() > limit {
            self.booked.pop_front();
        }
    }
}

/// Who may use a bot-wide slot. Deferrable traffic (a final message whose text the user
/// already sees in a draft) leaves every third slot free, so visible progress elsewhere never
/// queues behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Urgent,
    Deferrable,
}

/// The bot-wide budget: time is cut into slots of `interval`, each carrying one request.
#[derive(Debug, Default)]
struct Calendar {
    origin: Option<Instant>,
    taken: BTreeSet<u64>,
}

impl Calendar {
    fn slot_at_or_after(&self, interval: Duration, t: Instant) -> u64 {
        let Some(origin) = self.origin else {
            return 0;
        };
        let elapsed = t.saturating_duration_since(origin).as_nanos();
        elapsed.div_ceil(interval.as_nanos().max(1)) as u64
    }

    /// Before the first booking, slots count from `not_before`.
    fn instant_of(&self, interval: Duration, slot: u64, not_before: Instant) -> Instant {
        self.origin.unwrap_or(not_before) + interval * u32::try_from(slot).unwrap_or(u32::MAX)
    }

    fn earliest(
        &self,
        interval: Duration,
        not_before: Instant,
        priority: Priority,
    ) -> (u64, Instant) {
        let usable = |slot: u64| match priority {
            Priority::Deferrable if slot.is_multiple_of(3) => slot + 1,
            _ => slot,
        };
        let first = self.slot_at_or_after(interval, not_before);
        let mut slot = usable(first);
        // The taken slots from `first` on, in order: one walk finds the first gap, where a
        // lookup per slot would cost a tree search for each of the seconds booked ahead.
        for &taken in self.taken.range(first..) {
            if taken > slot {
                break;
            }
            if taken == slot {
                slot = usable(slot + 1);
            }
        }
        (slot, self.instant_of(interval, slot, not_before))
    }

    fn book(&mut self, interval: Duration, slot: u64, at: Instant, now: Instant) {
        if self.origin.is_none() {
            let offset = interval * u32::try_from(slot).unwrap_or(u32::MAX);
            self.origin = Some(at.checked_sub(offset).unwrap_or(at));
        }
        self.taken.insert(slot);
        let past = self.slot_at_or_after(interval, now).saturating_sub(1);
        while self.taken.first().is_some_and(|&first| first < past) {
            self.taken.pop_first();
        }
    }
}

/// The budgets the outbox keeps, chosen just inside Telegram's published limits.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    /// Sends and edits in one chat (~1/s with short bursts).
    pub per_chat: Rate,
    /// Edits in one chat (~20/min sustained).
    pub edits_per_chat: Rate,
    /// Sends and edits in one group: at most this many per minute, in any minute.
    pub per_group_per_minute: usize,
    /// Sends and edits across the bot (~30/s): one per `interval`, no burst.
    pub global: Rate,
    /// Draft animations in one private chat (`DRAFT_HZ`).
    pub drafts_per_chat: Rate,
    /// How long Telegram shows a draft after its last change (about 30 s).
    pub draft_kept_for: Duration,
}

impl Budgets {
    pub fn telegram_defaults(draft_hz: f64) -> Budgets {
        let draft_interval = Duration::from_secs_f64(1.0 / draft_hz.clamp(0.2, 20.0));
        Budgets {
            per_chat: Rate::new(Duration::from_millis(1050), 2),
            edits_per_chat: Rate::new(Duration::from_millis(3100), 3),
            per_group_per_minute: 19,
            global: Rate::new(Duration::from_millis(36), 1),
            drafts_per_chat: Rate::new(draft_interval, 1),
            draft_kept_for: Duration::from_secs(30),
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);

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
    group: Window,
    drafts: Cell,
    penalty_until: Option<Instant>,
    last_used: Option<Instant>,
}

pub struct Pacer {
    budgets: Budgets,
    global: Calendar,
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
            global: Calendar::default(),
            chats: HashMap::new(),
        }
    }

    /// When `action` in `chat_id` could go out, without booking it.
    pub fn earliest(&self, chat_id: i64, action: Action, now: Instant) -> Instant {
        self.find(chat_id, action, Priority::Urgent, now).1
    }

    /// The chat's earliest time, then the first free bot-wide slot from there.
    fn find(
        &self,
        chat_id: i64,
        action: Action,
        priority: Priority,
        now: Instant,
    ) -> (Option<u64>, Instant) {
        let b = self.budgets;
        let mut at = now;
        if let Some(chat) = self.chats.get(&chat_id) {
            at = at.max(chat.penalty_until.unwrap_or(now));
            match action {
                Action::Draft => at = chat.drafts.earliest(b.drafts_per_chat, at),
                Action::Send | Action::Edit => {
                    at = chat.any.earliest(b.per_chat, at);
                    if action == Action::Edit {
                        at = chat.edits.earliest(b.edits_per_chat, at);
                    }
                    if is_group_chat(chat_id) {
                        at = chat.group.earliest(b.per_group_per_minute, MINUTE, at);
                    }
                }
            }
        }
        if action == Action::Draft {
            return (None, at);
        }
        let (slot, at) = self.global.earliest(b.global.interval, at, priority);
        (Some(slot), at)
    }

    /// Books the earliest slot for `action` and returns it; the caller sleeps until then.
    pub fn reserve(&mut self, chat_id: i64, action: Action, now: Instant) -> Instant {
        self.reserve_with(chat_id, action, Priority::Urgent, now)
    }

    pub fn reserve_with(
        &mut self,
        chat_id: i64,
        action: Action,
        priority: Priority,
        now: Instant,
    ) -> Instant {
        let (slot, at) = self.find(chat_id, action, priority, now);
        let b = self.budgets;
        if let Some(slot) = slot {
            self.global.book(b.global.interval, slot, at, now);
        }
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
                    chat.group.book(b.per_group_per_minute, at);
                }
            }
        }
        at
    }

    /// How far the bot-wide budget is booked ahead of `now`; intermediate stream updates are
    /// skipped while it is long, so final messages never queue behind previews.
    pub fn global_backlog(&self, now: Instant) -> Duration {
        let (_, at) = self
            .global
            .earliest(self.budgets.global.interval, now, Priority::Urgent);
        at.saturating_duration_since(now)
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

    /// Bot-wide slots are 36 ms long, so a time lands on the next slot boundary.
    fn on_slot(ms: u128) -> u128 {
        ms.div_ceil(36) * 36
    }

    #[test]
    fn private_sends_allow_a_short_burst_then_one_per_second() {
        let mut p = pacer();
        let now = Instant::now();
        let slots: Vec<_> = (0..4).map(|_| p.reserve(7, Action::Send, now)).collect();
        // Two at once share the first free slots, then one per ~second.
        assert_eq!(
            offsets(&slots, now),
            vec![0, 36, on_slot(1050), on_slot(2100)]
        );
    }

    #[test]
    fn edits_get_a_short_burst_then_twenty_per_minute() {
        let mut p = pacer();
        let now = Instant::now();
        let slots: Vec<_> = (0..25).map(|_| p.reserve(7, Action::Edit, now)).collect();
        let ms = offsets(&slots, now);
        assert!(ms[2] <= 2200, "the first three edits come quickly: {ms:?}");
        assert!(ms[24] >= 22 * 3100, "then one per 3.1 s: {ms:?}");
        let in_first_minute = ms.iter().filter(|t| **t < 60_000).count();
        assert!(in_first_minute <= 22, "{in_first_minute}");
    }

    #[test]
    fn groups_stay_under_twenty_messages_a_minute() {
        let mut p = pacer();
        let now = Instant::now();
        let slots: Vec<_> = (0..40)
            .map(|_| p.reserve(-100, Action::Send, now))
            .collect();
        let ms = offsets(&slots, now);
        for (i, start) in ms.iter().enumerate() {
            let window = ms[i..].iter().filter(|t| **t < start + 60_000).count();
            assert!(
                window <= 20,
                "{window} messages within a minute from {start} ms"
            );
        }
        assert!(ms[2] <= 2200, "{ms:?}");
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
        // 60 messages at one per 36 ms take 59 slots.
        assert_eq!((last - now).as_millis(), 59 * 36);
        assert!(p.global_backlog(now) > Duration::from_secs(2));
    }

    #[test]
    fn a_booking_far_ahead_does_not_block_a_request_that_could_go_now() {
        let mut p = pacer();
        let now = Instant::now();
        p.reserve(-100, Action::Send, now);
        // The group's next edits are seconds away and book slots there…
        let group_edit = (0..4)
            .map(|_| p.reserve(-100, Action::Edit, now))
            .max()
            .unwrap();
        assert!(group_edit - now >= Duration::from_secs(3));
        // …while another chat still goes out at once.
        let other = p.reserve(7, Action::Send, now);
        assert!(
            other - now <= Duration::from_millis(3 * 36),
            "{:?}",
            other - now
        );
    }

    #[test]
    fn deferrable_finals_leave_every_third_slot_for_urgent_traffic() {
        let mut p = pacer();
        let now = Instant::now();
        for chat in 1..=30 {
            p.reserve_with(chat, Action::Send, Priority::Deferrable, now);
        }
        // 30 deferrable sends are queued, yet an urgent one finds a slot within ~3 slots.
        let urgent = p.reserve(99, Action::Send, now);
        assert!(
            urgent - now <= Duration::from_millis(3 * 36),
            "{:?}",
            urgent - now
        );
    }

    #[test]
    fn a_penalty_holds_every_action_in_that_chat_only() {
        let mut p = pacer();
        let now = Instant::now();
        p.penalize(7, now + Duration::from_secs(5));
        assert_eq!(
            p.reserve(7, Action::Draft, now),
            now + Duration::from_secs(5)
        );
        assert_eq!(p.reserve(8, Action::Send, now), now);
        p.forget_idle(now + Duration::from_secs(600), Duration::from_secs(60));
        assert_eq!(p.tracked_chats(), 0);
    }

    #[test]
    fn no_two_requests_share_a_bot_wide_slot_and_none_waits_past_a_free_one() {
        let mut p = pacer();
        let now = Instant::now();
        let interval = p.budgets.global.interval;
        let mut booked = BTreeSet::new();
        // Urgent and deferrable requests, some from chats that must wait, in a fixed shuffle.
        for i in 0..300u64 {
            let chat = (i * 7919 % 97) as i64 + 1;
            let priority = if i % 5 < 3 {
                Priority::Deferrable
            } else {
                Priority::Urgent
            };
            let chat_ready = p.earliest(chat, Action::Send, now);
            let at = p.reserve_with(chat, Action::Send, priority, now);
            let slot = ((at - now).as_nanos() / interval.as_nanos()) as u64;
            assert!(booked.insert(slot), "slot {slot} given twice");
            // Every slot between the chat being ready and the one given is taken or, for a
            // deferrable request, kept for urgent traffic.
            let ready = (chat_ready - now).as_nanos().div_ceil(interval.as_nanos()) as u64;
            for earlier in ready..slot {
                let kept = priority == Priority::Deferrable && earlier % 3 == 0;
                assert!(booked.contains(&earlier) || kept, "slot {earlier} was free");
            }
        }
    }
}
