//! Checks a chat-completions request body the way OpenAI-compatible servers do, so the
//! simulator refuses what they would refuse (pure).

use super::bodies;
use base64::Engine as _;
use serde_json::Value;

/// The parts of a valid request the simulator acts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValidRequest {
    pub model: String,
    pub stream: bool,
    pub max_tokens: Option<u64>,
    pub last_user_text: String,
    pub image_count: usize,
    /// Characters of text over all messages.
    pub prompt_chars: usize,
}

/// An HTTP refusal: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rejection {
    pub status: u16,
    pub body: String,
}

impl Rejection {
    pub fn bad_request(message: &str) -> Self {
        Self {
            status: 400,
            body: bodies::error_json(400, message),
        }
    }
}

const ROLES: &[&str] = &["system", "developer", "user", "assistant", "tool"];
const IMAGE_MIMES: &[&str] = &["image/png", "image/jpeg", "image/webp", "image/gif"];

pub(crate) fn validate(body: &[u8]) -> Result<ValidRequest, Rejection> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|err| Rejection::bad_request(&format!("Invalid JSON in request body: {err}")))?;
    let Some(object) = value.as_object() else {
        return Err(Rejection::bad_request("Request body must be a JSON object"));
    };
    let model = match object.get("model") {
        Some(Value::String(model)) if !model.trim().is_empty() => model.clone(),
        _ => return Err(Rejection::bad_request("'model' must be a non-empty string")),
    };
    let stream = match object.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(stream)) => *stream,
        Some(_) => return Err(Rejection::bad_request("'stream' must be a boolean")),
    };
    if object.get("stream_options").is_some_and(|v| !v.is_null()) && !stream {
        return Err(Rejection::bad_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        ));
    }
    let max_tokens = match object
        .get("max_tokens")
        .or_else(|| object.get("max_completion_tokens"))
    {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Some(n),
            _ => {
                return Err(Rejection::bad_request(
                    "'max_tokens' must be an integer of at least 1",
                ));
            }
        },
    };
    let temperature = object.get("temperature").filter(|v| !v.is_null());
    if temperature.is_some_and(|t| !t.as_f64().is_some_and(|t| (0.0..=2.0).contains(&t))) {
        return Err(Rejection::bad_request(
            "'temperature' must be a number between 0 and 2",
        ));
    }
    let messages = match object.get("messages") {
        Some(Value::Array(messages)) if !messages.is_empty() => messages,
        _ => {
            return Err(Rejection::bad_request(
                "'messages' must be a non-empty array",
            ));
        }
    };
    let mut request = ValidRequest {
        model,
        stream,
        max_tokens,
        last_user_text: String::new(),
        image_count: 0,
        prompt_chars: 0,
    };
    for (index, message) in messages.iter().enumerate() {
        check_message(index, message, &mut request)?;
    }
    Ok(request)
}

fn check_message(
    index: usize,
    message: &Value,
    request: &mut ValidRequest,
) -> Result<(), Rejection> {
    let role = message
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !ROLES.contains(&role) {
        return Err(Rejection::bad_request(&format!(
            "messages[{index}].role: invalid role {role:?}"
        )));
    }
    let mut text = String::new();
    match message.get("content") {
        Some(Value::String(content)) => text.push_str(content),
        Some(Value::Array(parts)) => {
            for (part_index, part) in parts.iter().enumerate() {
                let at = format!("messages[{index}].content[{part_index}]");
                match part.get("type").and_then(Value::as_str) {
                    Some("text") => match part.get("text").and_then(Value::as_str) {
                        Some(part_text) => text.push_str(part_text),
                        None => {
                            return Err(Rejection::bad_request(&format!(
                                "{at}.text must be a string"
                            )));
                        }
                    },
                    Some("image_url") => {
                        if role != "user" {
                            return Err(Rejection::bad_request(&format!(
                                "{at}: images are only allowed in user messages"
                            )));
                        }
                        let url = part
                            .pointer("/image_url/url")
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        check_image_url(url).map_err(|why| {
                            Rejection::bad_request(&format!("{at}.image_url: {why}"))
                        })?;
                        request.image_count += 1;
                    }
                    other => {
                        return Err(Rejection::bad_request(&format!(
                            "{at}: unsupported part type {other:?}"
                        )));
                    }
                }
            }
        }
        Some(Value::Null) | None if role == "assistant" => {}
        _ => {
            return Err(Rejection::bad_request(&format!(
                "messages[{index}].content must be a string or an array"
            )));
        }
    }
    request.prompt_chars += text.chars().count();
    if role == "user" {
        request.last_user_text = text;
    }
    Ok(())
}

/// An `http(s)` URL, or a `data:` URL of a supported image type whose payload is valid base64.
pub(crate) fn check_image_url(url: &str) -> Result<(), String> {
    if url.starts_with("https://") || url.starts_with("http://") {
        return Ok(());
    }
    let Some(rest) = url.strip_prefix("data:") else {
        return Err("url must be an http(s) URL or a data URL".into());
    };
    let Some((meta, payload)) = rest.split_once(',') else {
        return Err("data URL without a comma".into());
    };
    let Some(mime) = meta.strip_suffix(";base64") else {
        return Err("data URL must be base64-encoded".into());
    };
    if !IMAGE_MIMES.contains(&mime) {
        return Err(format!("unsupported image type {mime:?}"));
    }
    if payload.is_empty() {
        return Err("empty image".into());
    }
    base64::engine::general_purpose::STANDARD
        .decode(payload)
        .map(|_| ())
        .map_err(|_| "Invalid base64 image data".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(body: &str) -> u16 {
        match validate(body.as_bytes()) {
            Ok(_) => 200,
            Err(rejection) => rejection.status,
        }
    }

    #[test]
    fn the_recorded_vision_request_is_valid() {
        let body = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/llm/openrouter_vision_request_claude_dataurl.request.json"
        ));
        let request = validate(body).expect("valid");
        assert_eq!(request.image_count, 1);
        assert_eq!(
            request.last_user_text,
            "What is in this image? Answer in one word."
        );
        assert!(!request.stream);
    }

    #[test]
    fn the_recorded_streaming_requests_are_valid() {
        let body = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/llm/openrouter_stream_reasoning_claude_sonnet45.request.json"
        ));
        let request = validate(body).expect("valid");
        assert!(request.stream);
        assert_eq!(request.last_user_text, "What is 2+2?");
    }

    #[test]
    fn malformed_requests_are_refused() {
        let ok = r#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#;
        assert_eq!(status_of(ok), 200);
        for bad in [
            "{",
            "[]",
            r#"{"messages":[{"role":"user","content":"hi"}]}"#,
            r#"{"model":"m","messages":[]}"#,
            r#"{"model":"m","messages":[{"role":"wizard","content":"hi"}]}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":0}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}"#,
            r#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,@@@"}}]}]}"#,
            r#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:text/html;base64,aGk="}}]}]}"#,
            r#"{"model":"m","messages":[{"role":"user","content":[{"type":"audio","audio":{}}]}]}"#,
        ] {
            assert_eq!(status_of(bad), 400, "{bad}");
        }
    }
}
