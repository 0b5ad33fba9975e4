//! Adversarial inputs stay linear: rendering four times the input takes about four times as
//! long, not sixteen. Timing is noisy on a shared machine, so the bound is loose and each
//! figure is the best of several runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::format::{render_final_with_limit, render_stream, split_html};

fn best_of(runs: usize, mut work: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn assert_linear(name: &str, unit: &str, render: impl Fn(&str)) {
    let small = unit.repeat(2_000);
    let large = unit.repeat(8_000);
    let small_time = best_of(3, || render(black_box(&small)));
    let large_time = best_of(3, || render(black_box(&large)));
    let ratio = large_time.as_secs_f64() / small_time.as_secs_f64().max(1e-6);
    assert!(
        ratio < 9.0,
        "{name}: 4x input took {ratio:.1}x as long ({small_time:?} → {large_time:?})"
    );
}

#[test]
fn pathological_markdown_renders_in_linear_time() {
    let stream = |text: &str| {
        black_box(render_stream(text));
    };
    let finish = |text: &str| {
        black_box(render_final_with_limit(text, 500));
    };
    for unit in [
        "[", "`a``", "*a _b ", "_a* ", "**a *b ", "[a](", "<", "~~x ", "\\", "| a ",
    ] {
        assert_linear(unit, unit, stream);
        assert_linear(unit, unit, finish);
    }
    assert_linear("lines", "- **item** with `code`\n", stream);
}

#[test]
fn pathological_html_splits_in_linear_time() {
    for unit in ["<i>", "<i></b>", "<a x", "&", "&#12", "<b>x</b> "] {
        assert_linear(unit, unit, |text| {
            black_box(split_html(text, 100));
        });
    }
}
