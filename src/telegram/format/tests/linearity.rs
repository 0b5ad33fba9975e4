//! Adversarial inputs stay linear: rendering an input eight times as long takes about as long
//! as rendering the short one eight times, where quadratic work would take eight times
//! longer. Both timings do the same amount of linear work, so a busy machine slows them
//! alike; the bound sits well between 1 and 8 (5: a ratio of 4 was seen once while a build
//! ran beside the tests), and each figure is the best of several runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::telegram::format::{render_final_with_limit, render_stream, split_html};

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
    let small = unit.repeat(1_000);
    let large = unit.repeat(8_000);
    let eight_small = best_of(7, || {
        for _ in 0..8 {
            render(black_box(&small));
        }
    });
    let one_large = best_of(7, || render(black_box(&large)));
    let ratio = one_large.as_secs_f64() / eight_small.as_secs_f64().max(1e-6);
    assert!(
        ratio < 5.0,
        "{name}: 8x the input took {ratio:.1}x the time of 8 short runs \
         ({eight_small:?} vs {one_large:?}; quadratic work would be 8x)"
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
