//! Request buffers kept for the next request on the same thread.
//!
//! A Telegram call's request and answer are a kilobyte or two: too large for glibc's
//! per-thread cache, so each went to the main allocator, which first sorted every chunk that
//! ended replies had freed. While the finals of 250 replies went out, that sorting was about a
//! quarter of the bot's CPU. Request bytes, draft bodies and API answers are handed back here
//! and taken again by the next call on the same thread.

use std::cell::RefCell;

/// Buffers kept per thread: a call holds at most three at once (its request, the answer's
/// head and its body), and calls on one thread interleave only at their awaits.
const KEPT: usize = 4;
/// A buffer larger than this (a long prompt) goes back to the allocator.
const KEPT_CAPACITY: usize = 16 * 1024;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer with room for at least `capacity` bytes.
pub fn take(capacity: usize) -> Vec<u8> {
    let kept = SPARE
        .try_with(|spare| {
            let mut spare = spare.borrow_mut();
            // One large enough if there is one: growing a small one is an allocation too.
            let index = spare
                .iter()
                .position(|buffer| buffer.capacity() >= capacity)
                .or(spare.len().checked_sub(1))?;
            Some(spare.swap_remove(index))
        })
        .ok()
        .flatten();
    match kept {
        Some(mut buffer) => {
            buffer.reserve(capacity);
            buffer
        }
        None => Vec::with_capacity(capacity),
    }
}

/// Keeps `buffer` for a later [`take`] on this thread, if it is worth keeping.
pub fn give_back(mut buffer: Vec<u8>) {
    if buffer.capacity() == 0 || buffer.capacity() > KEPT_CAPACITY {
        return;
    }
    buffer.clear();
    let _ = SPARE.try_with(|spare| {
        let mut spare = spare.borrow_mut();
        if spare.len() < KEPT {
            spare.push(buffer);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test runs on a thread of its own, so it starts with no spare buffers.

    #[test]
    fn a_buffer_given_back_is_taken_again_empty() {
        let mut buffer = take(3000);
        buffer.extend_from_slice(b"request bytes");
        let address = buffer.as_ptr();
        give_back(buffer);
        let again = take(100);
        assert_eq!(again.as_ptr(), address);
        assert!(again.is_empty());
        assert!(again.capacity() >= 3000);
    }

    #[test]
    fn a_buffer_large_enough_is_taken_first() {
        give_back(Vec::with_capacity(4096));
        give_back(Vec::with_capacity(300));
        assert!(take(2000).capacity() >= 4096);
        assert!(take(2000).capacity() >= 2000, "the small one grows");
    }

    #[test]
    fn a_prompt_sized_buffer_goes_back_to_the_allocator() {
        give_back(Vec::with_capacity(KEPT_CAPACITY + 1));
        assert_eq!(take(0).capacity(), 0, "nothing was kept");
    }

    #[test]
    fn only_a_few_buffers_are_kept() {
        for _ in 0..KEPT + 2 {
            give_back(Vec::with_capacity(2048));
        }
        let kept = (0..KEPT + 2).filter(|_| take(0).capacity() > 0).count();
        assert_eq!(kept, KEPT);
    }
}
