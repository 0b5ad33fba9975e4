//! getUpdates: long polling over the update queue. `offset` confirms everything below it,
//! `allowed_updates` is sticky, and a new call while one is waiting terminates the earlier one
//! with 409 Conflict, as Telegram does.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::telegram::error::ApiError;
use crate::telegram::params::Params;
use crate::telegram::shared::Shared;

/// Longest long poll the simulator holds (the server caps `timeout` too).
const MAX_TIMEOUT_SECS: u64 = 600;

/// Clears poll ownership if the request goes away (client gone, handler dropped).
struct PollGuard<'a> {
    shared: &'a Shared,
    poll_id: u64,
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        self.shared.update(|state| {
            if state.active_poll == Some(self.poll_id) {
                state.active_poll = None;
            }
        });
    }
}

fn allowed_updates(params: &Params) -> Result<Option<Vec<String>>, ApiError> {
    let Some(value) = params
        .json("allowed_updates")
        .map_err(ApiError::bad_request)?
    else {
        return Ok(None);
    };
    let list = value
        .as_array()
        .ok_or_else(|| ApiError::bad_request("can't parse allowed_updates JSON object"))?;
    list.iter()
        .map(|item| {
            item.as_str()
                .map(str::to_owned)
                .ok_or_else(|| ApiError::bad_request("can't parse allowed_updates JSON object"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

pub(crate) async fn get_updates(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let offset = params.i64("offset")?;
    let limit = usize::try_from(params.i64("limit")?.unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    let timeout_secs = params.i64("timeout")?.unwrap_or(0).max(0).unsigned_abs();
    let allowed = allowed_updates(params)?;

    let (poll_id, displaced_another) = shared.update(|state| {
        if let Some(offset) = offset {
            state.confirm_offset(offset);
        }
        if let Some(allowed) = allowed {
            state.allowed_updates = Some(allowed);
        }
        state.poll_sequence += 1;
        let poll_id = state.poll_sequence;
        (poll_id, state.active_poll.replace(poll_id).is_some())
    });
    if displaced_another {
        shared.updates_changed.notify_waiters();
    }
    let _guard = PollGuard { shared, poll_id };
    let deadline = Instant::now() + Duration::from_secs(timeout_secs.min(MAX_TIMEOUT_SECS));

    loop {
        let notified = shared.updates_changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let batch = shared.read(|state| {
            if state.active_poll != Some(poll_id) {
                return Err(ApiError::TerminatedByOtherGetUpdates);
            }
            Ok(state
                .updates
                .iter()
                .filter(|update| offset.is_none_or(|o| o <= 0 || update.update_id >= o))
                .take(limit)
                .map(|update| update.payload.clone())
                .collect::<Vec<_>>())
        })?;
        if !batch.is_empty() || Instant::now() >= deadline {
            return Ok(Value::Array(batch));
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}
