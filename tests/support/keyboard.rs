//! Inline keyboards in the simulated chat: reading a message's buttons, pressing one, and
//! waiting for the edit it causes.

use serde_json::Value;
use tiltguard_sim::{SimChat, SimMessage, SimUser};

use super::{Harness, WAIT};

/// Waits until `message_id` satisfies `condition` and returns it.
pub async fn edited_until(
    h: &Harness,
    chat_id: i64,
    message_id: i32,
    condition: impl Fn(&SimMessage) -> bool,
) -> SimMessage {
    let reached = h
        .telegram
        .wait_until(WAIT, |sim| {
            sim.message(chat_id, message_id)
                .is_some_and(|m| condition(&m))
        })
        .await;
    let message = h.telegram.message(chat_id, message_id).expect("message");
    assert!(reached, "not edited as expected: {}", message.text);
    message
}

/// Every button as (label, callback data), row by row.
pub fn buttons(message: &SimMessage) -> Vec<(String, String)> {
    message
        .reply_markup
        .as_ref()
        .and_then(|m| m["inline_keyboard"].as_array())
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .map(|b| {
            (
                b["text"].as_str().unwrap_or_default().to_string(),
                b["callback_data"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The callback data of the first button whose label contains `label`.
pub fn button_data(message: &SimMessage, label: &str) -> String {
    buttons(message)
        .into_iter()
        .find(|(text, _)| text.contains(label))
        .map(|(_, data)| data)
        .unwrap_or_else(|| panic!("no {label} button on: {}", message.text))
}

/// Presses a button and waits until Telegram has the answer to that callback.
pub async fn press(
    h: &Harness,
    chat: &SimChat,
    user: &SimUser,
    message_id: i32,
    data: &str,
) -> Option<String> {
    let id = h.telegram.press_button(chat, user, message_id, data);
    let answered = h
        .telegram
        .wait_until(WAIT, |sim| {
            sim.callback_answers().iter().any(|(a, _)| *a == id)
        })
        .await;
    assert!(answered, "callback {data} was not answered");
    h.telegram
        .callback_answers()
        .into_iter()
        .find(|(a, _)| *a == id)
        .and_then(|(_, text)| text)
}
