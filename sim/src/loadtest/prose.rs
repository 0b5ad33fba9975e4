//! What the load test says and what the simulated model answers: a user message tagged with
//! its chat number, and a deterministic plain-prose reply per chat.
//!
//! The reply has no Markdown or HTML-special characters, so the text Telegram shows equals the
//! text the model generated and a visible prefix can be compared byte for byte.

use crate::llm::SimRng;

/// Marks the chat number inside a user message; the model simulator only sees message text.
const CHAT_TAG: &str = "load test chat #";

const WORDS: &[&str] = &[
    "risk",
    "plan",
    "entry",
    "exit",
    "stop",
    "size",
    "patience",
    "journal",
    "breath",
    "loss",
    "gain",
    "market",
    "setup",
    "trend",
    "signal",
    "calm",
    "focus",
    "rule",
    "habit",
    "review",
    "position",
    "leverage",
    "drawdown",
    "discipline",
    "edge",
    "wait",
    "trade",
    "chart",
    "level",
    "account",
    "session",
    "mistake",
    "lesson",
    "process",
    "outcome",
    "variance",
    "probability",
];

/// What the user in chat `index` writes; group messages mention the bot so it answers.
pub fn user_message(index: usize, group: bool, bot_username: &str) -> String {
    let ask = format!("coach me through this drawdown, {CHAT_TAG}{index}");
    if group {
        format!("@{bot_username} {ask}")
    } else {
        ask
    }
}

/// The chat number tagged in a user message, if any.
pub fn chat_index(text: &str) -> Option<usize> {
    let (_, rest) = text.split_once(CHAT_TAG)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Sentences of lower-case words with commas and full stops, in paragraphs, about `chars`
/// characters long (never shorter), the same for the same `seed`.
pub fn plain_prose(chars: usize, seed: u64) -> String {
    let mut rng = SimRng::new(seed);
    let mut pick = move |bound: usize| rng.below(bound);
    let mut out = String::with_capacity(chars + 32);
    let mut sentences = 0;
    while out.len() < chars {
        let words = 6 + pick(9);
        for w in 0..words {
            let word = WORDS[pick(WORDS.len())];
            if w == 0 {
                let mut letters = word.chars();
                if let Some(first) = letters.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(letters.as_str());
                }
            } else {
                out.push_str(word);
            }
            if w + 1 < words {
                out.push_str(if pick(7) == 0 { ", " } else { " " });
            }
        }
        out.push('.');
        sentences += 1;
        if out.len() < chars {
            out.push_str(if sentences % 5 == 0 { "\n\n" } else { " " });
        }
    }
    out
}

/// The reply of chat `index`.
pub fn reply_for(index: usize, chars: usize) -> String {
    plain_prose(chars, index as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chat_number_survives_the_round_trip() {
        for (index, group) in [(0, false), (17, true), (249, false)] {
            let text = user_message(index, group, "tiltguard_bot");
            assert_eq!(chat_index(&text), Some(index));
            assert_eq!(text.starts_with("@tiltguard_bot "), group);
        }
        assert_eq!(chat_index("hello"), None);
    }

    #[test]
    fn replies_are_plain_deterministic_and_long_enough() {
        let a = reply_for(3, 1200);
        assert_eq!(a, reply_for(3, 1200));
        assert_ne!(a, reply_for(4, 1200));
        assert!((1200..1400).contains(&a.len()), "{}", a.len());
        assert!(a.contains("\n\n"), "has paragraphs");
        let special = |c: char| "*_`[]()~>#+-=|{}.!<&".contains(c) && c != '.';
        assert!(!a.chars().any(special), "{a}");
        assert!(a.is_ascii());
    }
}
