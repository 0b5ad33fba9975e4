//! The state shared by the HTTP server and the test-facing handle: one mutex around the world
//! and two wake-up signals (any change; update queue or poll ownership changed).

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::config::TelegramSimConfig;
use super::state::SimState;

pub(crate) struct Shared {
    pub token: String,
    state: Mutex<SimState>,
    /// Woken after every mutation (drives `TelegramSim::wait_until`).
    pub changed: Notify,
    /// Woken when updates are queued or a new getUpdates takes over from a running one.
    pub updates_changed: Notify,
}

impl Shared {
    pub fn new(config: TelegramSimConfig) -> Shared {
        Shared {
            token: config.token.clone(),
            state: Mutex::new(SimState::new(config)),
            changed: Notify::new(),
            updates_changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        // A panic elsewhere must not take the simulator down with it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn read<R>(&self, read: impl FnOnce(&SimState) -> R) -> R {
        read(&self.lock())
    }

    pub fn update<R>(&self, update: impl FnOnce(&mut SimState) -> R) -> R {
        let result = update(&mut self.lock());
        self.changed.notify_waiters();
        result
    }
}
