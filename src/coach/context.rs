//! Prompt assembly within a token budget, so a request never exceeds the model's context.
//!
//! Order: system (persona inside the safety frame) → rolling summary → the newest turns that
//! fit → the new user message, leaving `reply_tokens` free for the answer. Pure.

use super::service::CoachInput;
use crate::llm::{ChatMessage, ContentPart};
use crate::store::{ConversationKey, ConversationWindow, Turn};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptMessage {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The model's whole context window, in tokens.
    pub context_tokens: usize,
    /// Tokens kept free for the reply (`max_tokens` on the request).
    pub reply_tokens: usize,
}

impl Budget {
    /// The same budget with the window shrunk, for the one retry after a context-length error.
    pub fn shrunk(self) -> Budget {
        Budget {
            context_tokens: self.context_tokens / 2,
            ..self
        }
    }
}

/// A deliberately pessimistic token estimate: about 3 bytes per token covers English (~4 chars
/// per token) and over-counts CJK and emoji, plus a little per-message overhead.
pub fn estimate_tokens(text: &str) -> usize {
    text.len().div_ceil(3) + 4
}

/// Builds the message list. Turns are dropped oldest first; if even the user's message does not
/// fit, it is cut from the middle so its beginning and end survive.
pub fn assemble(
    system: &str,
    summary: &str,
    turns: &[Turn],
    user_message: &str,
    budget: Budget,
) -> Vec<PromptMessage> {
    let available = budget.context_tokens.saturating_sub(budget.reply_tokens);
    let mut system = system.to_string();
    if !summary.trim().is_empty() {
        system.push_str("\n\n## What you remember about this trader from earlier sessions\n");
        system.push_str(summary.trim());
    }
    let fixed = estimate_tokens(&system);
    let user_room = available.saturating_sub(fixed).max(64);
    let user_message = fit(user_message, user_room);
    let mut left = available.saturating_sub(fixed + estimate_tokens(&user_message));
    let mut kept: Vec<&Turn> = Vec::new();
    for turn in turns.iter().rev() {
        let cost = estimate_tokens(&turn.content);
        if cost > left {
            break;
        }
        left -= cost;
        kept.push(turn);
    }
    // A window must not open with an assistant turn that answers something we cut.
    while kept.last().is_some_and(|t| t.role != "user") {
        kept.pop();
    }
    let mut messages = Vec::with_capacity(kept.len() + 2);
    messages.push(PromptMessage {
        role: Role::System,
        content: system,
    });
    messages.extend(kept.into_iter().rev().map(|turn| PromptMessage {
        role: if turn.role == "assistant" {
            Role::Assistant
        } else {
            Role::User
        },
        content: turn.content.clone(),
    }));
    messages.push(PromptMessage {
        role: Role::User,
        content: user_message,
    });
    messages
}

/// Moves the prompt's texts into chat messages (the system prompt alone is several KB, and
/// hundreds of replies start together).
pub fn to_chat_messages(prompt: Vec<PromptMessage>, input: &CoachInput) -> Vec<ChatMessage> {
    let last = prompt.len().saturating_sub(1);
    prompt
        .into_iter()
        .enumerate()
        .map(|(i, message)| match (message.role, input) {
            (Role::System, _) => ChatMessage::system(message.content),
            (Role::Assistant, _) => ChatMessage::assistant(message.content),
            (Role::User, CoachInput::Chart { image, kind, .. }) if i == last => {
                ChatMessage::user_parts(vec![
                    ContentPart::text(message.content),
                    ContentPart::image(*kind, image),
                ])
            }
            (Role::User, _) => ChatMessage::user(message.content),
        })
        .collect()
}

/// Cuts `text` to about `tokens`, keeping its head and tail.
fn fit(text: &str, tokens: usize) -> String {
    if estimate_tokens(text) <= tokens {
        return text.to_string();
    }
    let keep_bytes = tokens.saturating_sub(8) * 3 / 2;
    let head_end = floor_char_boundary(text, keep_bytes);
    let tail_start = ceil_char_boundary(text, text.len().saturating_sub(keep_bytes));
    format!(
        "{}\n[…]\n{}",
        &text[..head_end],
        &text[tail_start.max(head_end)..]
    )
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_char_boundary(text: &str, mut index: usize) -> usize {
    while index < text.len() && !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

/// Total estimated prompt size, for logs and tests.
pub fn estimated_size(messages: &[PromptMessage]) -> usize {
    messages.iter().map(|m| estimate_tokens(&m.content)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(id: i64, role: &str, content: &str) -> Turn {
        Turn {
            id,
            role: role.into(),
            content: content.into(),
            message_id: None,
        }
    }

    fn history(n: i64) -> Vec<Turn> {
        (0..n)
            .map(|i| {
                let role = if i % 2 == 0 { "user" } else { "assistant" };
                turn(i, role, &format!("turn {i} {}", "x".repeat(300)))
            })
            .collect()
    }

    #[test]
    fn only_the_newest_exchange_of_the_same_message_counts_as_its_stored_answer() {
        let answered = |mid: i64, question: &str, answer: &str| {
            [
                Turn {
                    message_id: Some(mid),
                    ..turn(2 * mid, "user", question)
                },
                Turn {
                    message_id: Some(mid),
                    ..turn(2 * mid + 1, "assistant", answer)
                },
            ]
        };
        let turns: Vec<Turn> = [answered(5, "q5", "a5"), answered(6, "q6", "a6")].concat();
        let plain = |text| StoredAnswer {
            text,
            stopped: false,
            cut_short: false,
        };
        assert_eq!(stored_answer(&turns, Some(6)), Some(plain("a6")));
        // An older message, a message never stored, and the REPL (no message) get none.
        assert_eq!(stored_answer(&turns, Some(5)), None);
        assert_eq!(stored_answer(&turns, Some(7)), None);
        assert_eq!(stored_answer(&turns, None), None);
        assert_eq!(stored_answer(&history(4), Some(0)), None);
        // Each mark comes off and is reported.
        for (mid, mark, stopped, cut_short) in [
            (8, STOPPED_MARK, true, false),
            (9, CUT_SHORT_MARK, false, true),
        ] {
            let marked = answered(mid, "q", &format!("an answer{mark}"));
            let expected = StoredAnswer {
                stopped,
                cut_short,
                ..plain("an answer")
            };
            assert_eq!(stored_answer(&marked, Some(mid)), Some(expected), "{mark}");
        }
    }

    #[test]
    fn everything_fits_in_a_roomy_window() {
        let budget = Budget {
            context_tokens: 100_000,
            reply_tokens: 1_000,
        };
        let messages = assemble("sys", "Prefers 1% risk.", &history(4), "hi", budget);
        assert_eq!(messages.len(), 6);
        assert!(messages[0].content.contains("Prefers 1% risk."));
        assert_eq!(messages[1].role, Role::User);
        assert_eq!(messages.last().unwrap().content, "hi");
    }

    #[test]
    fn old_turns_are_dropped_so_the_prompt_plus_reply_fits() {
        let budget = Budget {
            context_tokens: 1_000,
            reply_tokens: 400,
        };
        let messages = assemble("system prompt", "", &history(40), "latest question", budget);
        assert!(estimated_size(&messages) + budget.reply_tokens <= budget.context_tokens);
        // The newest turns survive, in order, starting with a user turn.
        assert_eq!(messages[1].role, Role::User);
        assert!(messages[messages.len() - 2].content.starts_with("turn 39"));
        assert!(messages.len() < 42);
    }

    #[test]
    fn a_huge_user_message_is_cut_in_the_middle_not_dropped() {
        let budget = Budget {
            context_tokens: 2_000,
            reply_tokens: 500,
        };
        let text = format!("START {} END", "é".repeat(20_000));
        let messages = assemble("sys", "", &[], &text, budget);
        let user = &messages.last().unwrap().content;
        assert!(user.starts_with("START") && user.ends_with("END") && user.contains("[…]"));
        assert!(estimated_size(&messages) + 500 <= 2_000);
    }

    #[test]
    fn shrinking_halves_the_window() {
        let budget = Budget {
            context_tokens: 8_000,
            reply_tokens: 1_000,
        };
        assert_eq!(budget.shrunk().context_tokens, 4_000);
    }
}

/// Which conversation a reply continues and, when the caller already read them, its newest
/// turns (read in the message's first round trip, while the chat's turn was held, so that no
/// other reply could change them before this one starts).
#[derive(Debug)]
pub struct Session {
    pub key: ConversationKey,
    /// `None`: not read yet; the reply reads it.
    pub window: Option<ConversationWindow>,
    /// The Telegram message being answered (none in the terminal REPL).
    pub message_id: Option<i64>,
}

impl From<ConversationKey> for Session {
    fn from(key: ConversationKey) -> Session {
        Session {
            key,
            window: None,
            message_id: None,
        }
    }
}

/// How a stored answer says the trader stopped it (the model reads it in later turns).
pub const STOPPED_MARK: &str = " [stopped by the trader]";
/// How a stored answer says it was cut at the reply length limit: the model sees where it
/// left off when asked to go on, and a replay can say so again.
pub const CUT_SHORT_MARK: &str = " [cut at the reply length limit]";

fn without_mark<'a>(text: &'a str, mark: &str) -> (&'a str, bool) {
    match text.strip_suffix(mark) {
        Some(text) => (text, true),
        None => (text, false),
    }
}

/// An answer as it was stored, its marks taken off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredAnswer<'a> {
    pub text: &'a str,
    pub stopped: bool,
    pub cut_short: bool,
}

/// The stored answer to `message_id` when the newest exchange answered that message: it is
/// being handled again (replayed after a crash that came after its exchange was stored),
/// and the answer is delivered as it was instead of being asked of the model a second time.
pub fn stored_answer(turns: &[Turn], message_id: Option<i64>) -> Option<StoredAnswer<'_>> {
    let message_id = message_id?;
    match turns {
        [.., question, answer]
            if question.role == "user"
                && answer.role == "assistant"
                && question.message_id == Some(message_id) =>
        {
            // Marks are stored in this order: cut short first, then stopped.
            let (text, stopped) = without_mark(&answer.content, STOPPED_MARK);
            let (text, cut_short) = without_mark(text, CUT_SHORT_MARK);
            Some(StoredAnswer {
                text,
                stopped,
                cut_short,
            })
        }
        _ => None,
    }
}
