//! A circuit breaker per model: stop calling a model that keeps failing, then probe it.
//!
//! Closed → (N failures within the window) → Open for the cool-down → HalfOpen, which lets one
//! trial through: success closes it, failure opens it again. Time comes from tokio's clock so
//! tests can drive it with paused time instead of sleeping.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    pub failures: u32,
    pub window: Duration,
    pub cooldown: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failures: 3,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open { until: Instant },
    HalfOpen { trial_in_flight: bool },
}

impl BreakerState {
    pub fn label(&self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen { .. } => "half_open",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Breaker {
    settings: BreakerSettings,
    state: BreakerState,
    recent_failures: VecDeque<Instant>,
}

impl Breaker {
    pub fn new(settings: BreakerSettings) -> Breaker {
        Breaker {
            settings,
            state: BreakerState::Closed,
            recent_failures: VecDeque::new(),
        }
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Whether a request may go to this model now. In half-open state only one trial may be
    /// in flight, and asking for it claims it.
    pub fn try_acquire(&mut self, now: Instant) -> bool {
        match self.state {
            BreakerState::Closed => true,
            BreakerState::Open { until } if now >= until => {
                self.state = BreakerState::HalfOpen {
                    trial_in_flight: true,
                };
                true
            }
            BreakerState::Open { .. } => false,
            BreakerState::HalfOpen { trial_in_flight } => {
                if trial_in_flight {
                    false
                } else {
                    self.state = BreakerState::HalfOpen {
                        trial_in_flight: true,
                    };
                    true
                }
            }
        }
    }

    pub fn on_success(&mut self) {
        self.state = BreakerState::Closed;
        self.recent_failures.clear();
    }

    pub fn on_failure(&mut self, now: Instant) {
        if matches!(self.state, BreakerState::HalfOpen { .. }) {
            self.open(now);
            return;
        }
        self.recent_failures.push_back(now);
        while self
            .recent_failures
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.settings.window)
        {
            self.recent_failures.pop_front();
        }
        if self.recent_failures.len() >= self.settings.failures as usize {
            self.open(now);
        }
    }

    fn open(&mut self, now: Instant) {
        self.state = BreakerState::Open {
            until: now + self.settings.cooldown,
        };
        self.recent_failures.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker::new(BreakerSettings {
            failures: 3,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(30),
        })
    }

    #[test]
    fn opens_after_three_failures_inside_the_window() {
        let mut b = breaker();
        let t0 = Instant::now();
        b.on_failure(t0);
        b.on_failure(t0 + Duration::from_secs(10));
        assert!(b.try_acquire(t0 + Duration::from_secs(11)));
        b.on_failure(t0 + Duration::from_secs(20));
        assert_eq!(b.state().label(), "open");
        assert!(!b.try_acquire(t0 + Duration::from_secs(21)));
    }

    #[test]
    fn failures_spread_wider_than_the_window_do_not_open_it() {
        let mut b = breaker();
        let t0 = Instant::now();
        for i in 0..5 {
            b.on_failure(t0 + Duration::from_secs(61 * i));
        }
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn half_open_lets_one_trial_through_and_its_result_decides() {
        let mut b = breaker();
        let t0 = Instant::now();
        for _ in 0..3 {
            b.on_failure(t0);
        }
        let later = t0 + Duration::from_secs(31);
        assert!(b.try_acquire(later));
        assert!(!b.try_acquire(later), "only one trial at a time");
        b.on_failure(later);
        assert_eq!(b.state().label(), "open");
        let even_later = later + Duration::from_secs(31);
        assert!(b.try_acquire(even_later));
        b.on_success();
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.try_acquire(even_later));
    }
}
