//! A criterion-free micro-benchmark of the calls the outbox makes on every update. Ignored by
//! default; run with `cargo test bench_formatting -- --ignored --nocapture` (a release build
//! gives the figure that matters in production).

use std::hint::black_box;
use std::time::Instant;

use super::corpus::REPLIES;
use super::long_reply::long_reply;
use crate::telegram::format::{StreamRenderer, markdown_to_html, render_final, render_stream};

/// What one reply costs the outbox to show: a preview every `preview_every` bytes as it
/// streams in, then its final parts.
fn stream_one_reply(reply: &str, preview_every: usize) {
    let mut renderer = StreamRenderer::default();
    let mut end = preview_every;
    while end < reply.len() {
        while !reply.is_char_boundary(end) {
            end += 1;
        }
        black_box(renderer.render(black_box(&reply[..end])));
        end += preview_every;
    }
    black_box(render_final(black_box(reply)));
}

fn micros_per_call(calls: u32, mut call: impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..calls {
        call();
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(calls)
}

#[test]
#[ignore]
fn bench_formatting() {
    let mut reply = long_reply();
    for extra in REPLIES.iter().cycle() {
        if reply.chars().count() >= 12_000 {
            break;
        }
        reply.push_str("\n\n");
        reply.push_str(extra);
    }
    let short: String = reply.chars().take(1_200).collect();
    let chars = reply.chars().count();
    let to_html = micros_per_call(1_000, || {
        black_box(markdown_to_html(black_box(&reply)));
    });
    let stream = micros_per_call(1_000, || {
        black_box(render_stream(black_box(&reply)));
    });
    let finish = micros_per_call(1_000, || {
        black_box(render_final(black_box(&reply)));
    });
    let short_stream = micros_per_call(1_000, || {
        black_box(render_stream(black_box(&short)));
    });
    // The load test's pace: 1,200 characters at 40 tokens/s, previewed every 300 ms.
    let short_streamed = micros_per_call(1_000, || stream_one_reply(&short, 44));
    let long_streamed = micros_per_call(20, || stream_one_reply(&reply, 44));
    println!("{chars}-char reply: markdown_to_html {to_html:.0} µs/call");
    println!(
        "{chars}-char reply: render_stream {stream:.0} µs/call, render_final {finish:.0} µs/call"
    );
    println!("1200-char reply: render_stream {short_stream:.1} µs/call");
    println!(
        "streamed with a preview every 44 bytes: 1200-char reply {short_streamed:.0} µs, \
         {chars}-char reply {long_streamed:.0} µs"
    );
}
