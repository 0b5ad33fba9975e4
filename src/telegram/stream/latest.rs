//! The growing text of one reply, shared by its writer (the reply task, a token at a time)
//! and its reader (the stream driver, when a preview is due).
//!
//! A `tokio::sync::watch` did this before. Its sender wakes receivers through eight
//! notifiers and takes each one's lock on every send, whether anyone waits or not. A reply has
//! one reader, which waits only when it has shown everything, so a version number and one
//! `Notify` do: a send while the reader is busy costs two atomic operations.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

#[derive(Debug, Default, Clone)]
pub(super) struct Snapshot {
    pub(super) markdown: String,
    pub(super) finished: bool,
}

#[derive(Default)]
struct Shared {
    snapshot: Mutex<Snapshot>,
    /// Bumped under the snapshot's lock by every change.
    version: AtomicU64,
    writer_gone: AtomicBool,
    changed: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Snapshot> {
        self.snapshot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The writing end; dropping it tells the reader no more text will come.
pub(super) struct TextWriter {
    shared: Arc<Shared>,
}

/// The reading end, which remembers the version it last saw.
pub(super) struct TextReader {
    shared: Arc<Shared>,
    seen: u64,
}

pub(super) fn text_channel() -> (TextWriter, TextReader) {
    let shared = Arc::new(Shared::default());
    let reader = TextReader {
        shared: shared.clone(),
        seen: 0,
    };
    (TextWriter { shared }, reader)
}

impl TextWriter {
    /// Changes the text when `change` says it changed it, and then wakes the reader.
    pub(super) fn change(&self, change: impl FnOnce(&mut Snapshot) -> bool) {
        let changed = {
            let mut snapshot = self.shared.lock();
            let changed = change(&mut snapshot);
            if changed {
                self.shared.version.fetch_add(1, Ordering::Release);
            }
            changed
        };
        if changed {
            self.shared.changed.notify_one();
        }
    }
}

impl Drop for TextWriter {
    fn drop(&mut self) {
        self.shared.writer_gone.store(true, Ordering::Release);
        self.shared.changed.notify_one();
    }
}

impl TextReader {
    /// Waits until the text changed since it was last seen, and marks it seen; `None` once
    /// the writer is gone and nothing new is left. Safe to cancel: nothing is consumed until
    /// it returns.
    pub(super) async fn changed(&mut self) -> Option<()> {
        loop {
            let version = self.shared.version.load(Ordering::Acquire);
            if version != self.seen {
                self.seen = version;
                return Some(());
            }
            if self.shared.writer_gone.load(Ordering::Acquire) {
                return None;
            }
            // A change between the check and this wait left a permit: the wait returns at
            // once and the loop sees it.
            self.shared.changed.notified().await;
        }
    }

    /// The text now, marked seen.
    pub(super) fn borrow_and_update(&mut self) -> MutexGuard<'_, Snapshot> {
        let snapshot = self.shared.lock();
        self.seen = self.shared.version.load(Ordering::Acquire);
        snapshot
    }

    /// The text now, not marked seen.
    pub(super) fn borrow(&self) -> MutexGuard<'_, Snapshot> {
        self.shared.lock()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn append(writer: &TextWriter, delta: &str) {
        writer.change(|s| {
            s.markdown.push_str(delta);
            true
        });
    }

    async fn changed_soon(reader: &mut TextReader) -> Option<Option<()>> {
        tokio::time::timeout(Duration::from_millis(50), reader.changed())
            .await
            .ok()
    }

    #[tokio::test]
    async fn many_changes_before_a_wait_are_one_change() {
        let (writer, mut reader) = text_channel();
        append(&writer, "a");
        append(&writer, "b");
        assert_eq!(changed_soon(&mut reader).await, Some(Some(())));
        assert_eq!(reader.borrow().markdown, "ab");
        assert_eq!(
            changed_soon(&mut reader).await,
            None,
            "nothing new: it waits"
        );
    }

    #[tokio::test]
    async fn a_text_read_is_not_a_change_any_more() {
        let (writer, mut reader) = text_channel();
        append(&writer, "a");
        assert_eq!(reader.borrow_and_update().markdown, "a");
        assert_eq!(changed_soon(&mut reader).await, None);
        writer.change(|_| false);
        assert_eq!(changed_soon(&mut reader).await, None, "an unchanged text");
    }

    #[tokio::test]
    async fn a_waiting_reader_wakes_on_a_change() {
        let (writer, mut reader) = text_channel();
        let waiting = tokio::spawn(async move {
            reader.changed().await?;
            Some(reader.borrow().markdown.clone())
        });
        tokio::task::yield_now().await;
        append(&writer, "token");
        assert_eq!(waiting.await.unwrap().as_deref(), Some("token"));
    }

    #[tokio::test]
    async fn the_last_change_is_seen_before_the_writer_is_gone() {
        let (writer, mut reader) = text_channel();
        append(&writer, "last words");
        drop(writer);
        assert_eq!(changed_soon(&mut reader).await, Some(Some(())));
        assert_eq!(changed_soon(&mut reader).await, Some(None));
    }
}
