//! A criterion-free micro-benchmark of the calls the outbox makes on every update. Ignored by
//! default; run with `cargo test bench_formatting -- --ignored --nocapture` (a release build
//! gives the figure that matters in production).

use std::hint::black_box;
use std::time::Instant;

use super::corpus::REPLIES;
use super::long_reply::long_reply;
use crate::telegram::format::{markdown_to_html, render_final, render_stream};

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
    println!("{chars}-char reply: markdown_to_html {to_html:.0} µs/call");
    println!(
        "{chars}-char reply: render_stream {stream:.0} µs/call, render_final {finish:.0} µs/call"
    );
    println!("1200-char reply: render_stream {short_stream:.1} µs/call");
}
