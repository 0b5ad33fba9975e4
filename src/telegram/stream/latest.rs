//! The latest text of a streaming reply, shared by the task that writes it and the one
//! driver that shows it.
//!
//! `tokio::sync::watch` does this for any number of receivers: every change notifies all
//! eight shards of its waiter list, each behind a lock. A reply has one reader, and its
//! text changes on every read of the model's stream, so this cell wakes that one reader
//! through a single `Notify` instead.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

struct Shared<T> {
    value: Mutex<T>,
    /// Bumped on every change, under the lock.
    version: AtomicU64,
    writer_gone: AtomicBool,
    changed: Notify,
}

/// The writing half; dropping it tells the reader that no more changes will come.
pub(super) struct Writer<T> {
    shared: Arc<Shared<T>>,
}

/// The reading half.
pub(super) struct Reader<T> {
    shared: Arc<Shared<T>>,
    /// The version last looked at through [`Reader::borrow_and_update`].
    seen: u64,
}

/// The writer gave up without a last change.
#[derive(Debug)]
pub(super) struct WriterGone;

pub(super) fn cell<T>(value: T) -> (Writer<T>, Reader<T>) {
    let shared = Arc::new(Shared {
        value: Mutex::new(value),
        version: AtomicU64::new(0),
        writer_gone: AtomicBool::new(false),
        changed: Notify::new(),
    });
    let reader = Reader {
        shared: shared.clone(),
        seen: 0,
    };
    (Writer { shared }, reader)
}

fn lock<T>(shared: &Shared<T>) -> MutexGuard<'_, T> {
    shared.value.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T> Writer<T> {
    /// Changes the value and wakes the reader.
    pub(super) fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Like [`Writer::send_modify`]; the reader is woken only when `modify` says the value
    /// changed.
    pub(super) fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) {
        let mut value = lock(&self.shared);
        if !modify(&mut value) {
            return;
        }
        self.shared.version.fetch_add(1, Ordering::Release);
        drop(value);
        // A permit is kept when the reader is not waiting yet, so no change goes unseen.
        self.shared.changed.notify_one();
    }
}

impl<T> Drop for Writer<T> {
    fn drop(&mut self) {
        self.shared.writer_gone.store(true, Ordering::Release);
        self.shared.changed.notify_one();
    }
}

impl<T> Reader<T> {
    /// Waits until the value changed since it was last looked at with
    /// [`Reader::borrow_and_update`]. Fails once the writer is gone and nothing is new.
    pub(super) async fn changed(&mut self) -> Result<(), WriterGone> {
        loop {
            if self.shared.version.load(Ordering::Acquire) != self.seen {
                return Ok(());
            }
            if self.shared.writer_gone.load(Ordering::Acquire) {
                return Err(WriterGone);
            }
            self.shared.changed.notified().await;
        }
    }

    /// The value, marked as seen.
    pub(super) fn borrow_and_update(&mut self) -> MutexGuard<'_, T> {
        let value = lock(&self.shared);
        self.seen = self.shared.version.load(Ordering::Acquire);
        value
    }

    /// The value, not marked as seen.
    pub(super) fn borrow(&self) -> MutexGuard<'_, T> {
        lock(&self.shared)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn the_reader_sees_the_latest_value_once_per_change() {
        let (writer, mut reader) = cell(String::new());
        writer.send_modify(|text| text.push('a'));
        writer.send_modify(|text| text.push('b'));
        reader.changed().await.expect("changed");
        assert_eq!(*reader.borrow_and_update(), "ab");
        let nothing_new = tokio::time::timeout(Duration::from_millis(20), reader.changed()).await;
        assert!(nothing_new.is_err(), "no change since the last look");

        writer.send_if_modified(|_| false);
        let unchanged = tokio::time::timeout(Duration::from_millis(20), reader.changed()).await;
        assert!(
            unchanged.is_err(),
            "an unmodified value wakes nobody for good"
        );
    }

    #[tokio::test]
    async fn a_waiting_reader_is_woken_and_learns_when_the_writer_is_gone() {
        let (writer, mut reader) = cell(0u32);
        let waiting = tokio::spawn(async move {
            reader.changed().await.expect("a change");
            let value = *reader.borrow_and_update();
            (value, reader.changed().await.is_err(), reader)
        });
        tokio::task::yield_now().await;
        writer.send_modify(|value| *value = 7);
        tokio::task::yield_now().await;
        drop(writer);
        let (value, gone, reader) = waiting.await.expect("reader task");
        assert_eq!(value, 7);
        assert!(gone, "the writer is gone and nothing is new");
        assert_eq!(*reader.borrow(), 7, "the last value stays readable");
    }
}
