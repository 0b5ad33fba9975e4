//! The coach's pure helpers.

use super::*;

#[test]
fn a_continuation_gets_a_space_only_where_words_would_touch() {
    assert_eq!(seam("Size down", "then wait", true), " ");
    assert_eq!(seam("Size down ", "then", true), "");
    assert_eq!(seam("Size down", "then", false), "");
    assert_eq!(seam("", "Hello", true), "");
}

#[test]
fn cost_comes_from_the_provider_or_the_price_table() {
    let settings = CoachSettings {
        budget: Budget {
            context_tokens: 1000,
            reply_tokens: 100,
        },
        session_timeout: Duration::from_secs(60),
        prices: vec![("m".into(), 1.0, 2.0)],
        read_every: Duration::from_millis(50),
    };
    let usage = TokenUsage {
        prompt_tokens: 1_000_000,
        completion_tokens: 500_000,
        cost: None,
    };
    assert_eq!(add_cost(None, None, "m", usage, &settings), Some(2.0));
    assert_eq!(
        add_cost(Some(1.0), Some(0.5), "m", usage, &settings),
        Some(1.5)
    );
    assert_eq!(add_cost(None, None, "other", usage, &settings), None);
}
