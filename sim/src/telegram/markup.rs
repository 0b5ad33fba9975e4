//! `reply_markup` validation and normalisation. Only inline keyboards are attached to a
//! message (and compared by the "message is not modified" check); reply keyboards, removal and
//! force-reply are accepted on sends but not stored on the message.

use serde_json::{Map, Value};

use super::error::ApiError;

/// Button fields that give an inline button something to do; exactly one is required.
const BUTTON_ACTIONS: [&str; 10] = [
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
];

fn markup_error() -> ApiError {
    ApiError::bad_request("can't parse reply keyboard markup JSON object")
}

/// Validates a `reply_markup` value. Returns the inline keyboard to store on the message (None
/// for other markup kinds and for an empty keyboard). `inline_only` is set for edits, which
/// accept nothing but an inline keyboard.
pub fn inline_keyboard(markup: &Value, inline_only: bool) -> Result<Option<Value>, ApiError> {
    let object = markup.as_object().ok_or_else(markup_error)?;
    let Some(rows) = object.get("inline_keyboard") else {
        let other_kind = ["keyboard", "remove_keyboard", "force_reply"]
            .iter()
            .any(|key| object.contains_key(*key));
        return if other_kind && !inline_only {
            Ok(None)
        } else {
            Err(markup_error())
        };
    };
    let rows = rows.as_array().ok_or_else(|| {
        ApiError::bad_request(
            "field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array",
        )
    })?;
    let mut normalized_rows = Vec::with_capacity(rows.len());
    for row in rows {
        let buttons = row.as_array().ok_or_else(|| {
            ApiError::bad_request("can't parse inline keyboard button: Array expected as a row")
        })?;
        let mut normalized = Vec::with_capacity(buttons.len());
        for button in buttons {
            normalized.push(checked_button(button)?);
        }
        if !normalized.is_empty() {
            normalized_rows.push(Value::Array(normalized));
        }
    }
    if normalized_rows.is_empty() {
        return Ok(None);
    }
    let mut keyboard = Map::new();
    keyboard.insert("inline_keyboard".into(), Value::Array(normalized_rows));
    Ok(Some(Value::Object(keyboard)))
}

fn checked_button(button: &Value) -> Result<Value, ApiError> {
    let object = button.as_object().ok_or_else(|| {
        ApiError::bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object",
        )
    })?;
    let text_ok = object
        .get("text")
        .and_then(Value::as_str)
        .is_some_and(|text| !text.trim().is_empty());
    if !text_ok {
        return Err(ApiError::bad_request(
            "can't parse inline keyboard button: Field \"text\" must be of type String",
        ));
    }
    let actions: Vec<&str> = BUTTON_ACTIONS
        .iter()
        .copied()
        .filter(|key| object.contains_key(*key))
        .collect();
    if actions.is_empty() {
        return Err(ApiError::bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ));
    }
    if let Some(data) = object.get("callback_data") {
        let length = data.as_str().map_or(0, str::len);
        if !(1..=64).contains(&length) {
            return Err(ApiError::bad_request("BUTTON_DATA_INVALID"));
        }
    }
    if let Some(url) = object.get("url") {
        let valid = url.as_str().is_some_and(|url| {
            let lower = url.to_ascii_lowercase();
            !url.chars().any(char::is_whitespace)
                && ["http://", "https://", "tg://"]
                    .iter()
                    .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len())
        });
        if !valid {
            return Err(ApiError::bad_request("BUTTON_URL_INVALID"));
        }
    }
    Ok(button.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inline_keyboards_are_kept_and_empty_ones_dropped() {
        let markup = json!({"inline_keyboard": [[{"text": "Stop", "callback_data": "stop"}]]});
        assert_eq!(inline_keyboard(&markup, true), Ok(Some(markup.clone())));
        assert_eq!(
            inline_keyboard(&json!({"inline_keyboard": []}), true),
            Ok(None)
        );
    }

    #[test]
    fn buttons_need_an_action_and_valid_data() {
        let no_action = json!({"inline_keyboard": [[{"text": "x"}]]});
        assert_eq!(
            inline_keyboard(&no_action, false).map_err(|e| e.to_string()),
            Err("Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard".to_owned())
        );
        let long_data =
            json!({"inline_keyboard": [[{"text": "x", "callback_data": "a".repeat(65)}]]});
        assert_eq!(
            inline_keyboard(&long_data, false),
            Err(ApiError::bad_request("BUTTON_DATA_INVALID"))
        );
        let bad_url = json!({"inline_keyboard": [[{"text": "x", "url": "not a url"}]]});
        assert_eq!(
            inline_keyboard(&bad_url, false),
            Err(ApiError::bad_request("BUTTON_URL_INVALID"))
        );
    }

    #[test]
    fn reply_keyboards_are_accepted_on_sends_only() {
        let remove = json!({"remove_keyboard": true});
        assert_eq!(inline_keyboard(&remove, false), Ok(None));
        assert!(inline_keyboard(&remove, true).is_err());
    }
}
