//! Text helpers of the LLM simulator: cutting a reply into token-sized pieces, a seeded
//! pseudo-random generator (reproducible write cuts), and filler text for load tests.

/// SplitMix64: tiny, fast, and good enough to scatter write cuts reproducibly.
#[derive(Debug, Clone)]
pub struct SimRng(u64);

impl SimRng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound.max(1) as u64) as usize
    }
}

/// Cuts text into pieces the way a tokenizer roughly does (about 4 characters per token): a
/// piece starts at a word boundary, keeping the leading space like `" capi"`, and holds at
/// most 4 characters besides that space. The pieces concatenate back to exactly `text`.
pub fn split_tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::with_capacity(text.len() / 3 + 1);
    let mut start = 0;
    let mut chars_in_token = 0;
    let mut token_is_blank = true;
    let mut leading_space = false;
    for (at, ch) in text.char_indices() {
        let limit = if leading_space { 5 } else { 4 };
        let boundary = chars_in_token > 0
            && ((ch.is_whitespace() && !token_is_blank) || chars_in_token >= limit);
        if boundary {
            tokens.push(&text[start..at]);
            start = at;
            chars_in_token = 0;
            token_is_blank = true;
        }
        if chars_in_token == 0 {
            leading_space = ch == ' ';
        }
        chars_in_token += 1;
        token_is_blank &= ch.is_whitespace();
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    tokens
}

/// Deterministic coach-like text of about `chars` characters with Markdown, a code block,
/// accented letters, CJK and emoji, so that byte-level cuts split multi-byte characters.
pub fn filler_text(chars: usize, seed: u64) -> String {
    const SENTENCES: &[&str] = &[
        "Take a breath before the next entry.",
        "Your **plan** said a 2% risk per trade, not 10%.",
        "Revenge trading after a loss is the tilt talking.",
        "Write the setup down *before* you click buy.",
        "Le marché sera encore là demain — pas de précipitation.",
        "Size down until the urge to chase fades. 📉➡️📈",
        "止损不是失败，是纪律。",
        "A `stop-loss` is a decision you make while calm.",
        "Three red trades in a row? Step away for an hour. ☕",
        "Ask: would I take this trade with a clear head?",
    ];
    let mut rng = SimRng::new(seed);
    let mut out = String::with_capacity(chars + 64);
    let mut count = 0;
    let mut paragraph = 0;
    while count < chars {
        let sentence = SENTENCES[rng.below(SENTENCES.len())];
        out.push_str(sentence);
        count += sentence.chars().count();
        paragraph += 1;
        let separator = if paragraph % 4 == 0 { "\n\n" } else { " " };
        if paragraph == 6 {
            let code =
                "\n\n```python\nrisk = balance * 0.02\nprint(f\"max loss: {risk}\")\n```\n\n";
            out.push_str(code);
            count += code.chars().count();
        } else if count < chars {
            out.push_str(separator);
            count += separator.chars().count();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_concatenate_back_to_the_text() {
        for text in [
            "The capital of France is Paris.",
            "你好，世界 👍🏽 ok",
            "",
            "  lead",
            "a\n\nb",
        ] {
            let tokens = split_tokens(text);
            assert_eq!(tokens.concat(), text);
            assert!(
                tokens
                    .iter()
                    .all(|t| !t.is_empty() && t.chars().count() <= 5)
            );
        }
    }

    #[test]
    fn tokens_start_at_words() {
        assert_eq!(split_tokens("The capital"), vec!["The", " capi", "tal"]);
    }

    #[test]
    fn filler_text_is_long_enough_reproducible_and_multibyte() {
        let a = filler_text(1200, 7);
        assert!(a.chars().count() >= 1200);
        assert_eq!(a, filler_text(1200, 7));
        assert_ne!(a, filler_text(1200, 8));
        assert!(a.len() > a.chars().count(), "has multi-byte characters");
    }
}
