//! Error bodies the LLM simulator answers with: the recorded provider bodies where a
//! recording exists, and the same `{"error":{"message","code"}}` shape where none does.

use serde_json::{Value, json};

macro_rules! recorded {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/llm/",
            $name
        ))
    };
}

const UNAUTHORIZED_NO_KEY: &str = recorded!("openrouter_error_401_no_cookie_auth.json");
const INSUFFICIENT_CREDITS: &str = recorded!("openrouter_error_402_insufficient_credits.json");
const GUARDRAIL: &str = recorded!("openrouter_error_403_guardrail_documented.json");
const NO_ENDPOINTS: &str = recorded!("openrouter_error_404_no_endpoints.json");
const IMAGE_TOO_LARGE: &str = recorded!("openrouter_error_413_image_too_large.json");
const RATE_LIMITED: &str = recorded!("openrouter_error_429_body.json");
const UNSUPPORTED_VALUE: &str = recorded!("openai_error_400_unsupported_value.json");

/// `{"error":{"message": ..., "code": status}}`, OpenRouter's shape.
pub(crate) fn error_json(status: u16, message: &str) -> String {
    json!({"error": {"message": message, "code": status}}).to_string()
}

/// The body a provider sends with `status` when it refuses a request for `model`.
pub(crate) fn status_body(status: u16, model: &str) -> String {
    match status {
        400 => UNSUPPORTED_VALUE.to_owned(),
        401 => UNAUTHORIZED_NO_KEY.to_owned(),
        402 => INSUFFICIENT_CREDITS.to_owned(),
        403 => GUARDRAIL.to_owned(),
        404 => no_endpoints_for(model),
        408 => error_json(408, "Your request timed out"),
        413 => IMAGE_TOO_LARGE.to_owned(),
        429 => RATE_LIMITED.to_owned(),
        500 => error_json(500, "Internal Server Error"),
        502 => json!({"error": {
            "message": "Provider returned error",
            "code": 502,
            "metadata": {"provider_name": "Sim", "raw": "upstream connection reset"}
        }})
        .to_string(),
        503 => error_json(
            503,
            "There is no available model provider that meets your routing requirements",
        ),
        other => error_json(other, "Simulated provider error"),
    }
}

/// The recorded "No endpoints found for <model>." body, naming the requested model.
fn no_endpoints_for(model: &str) -> String {
    let mut body: Value =
        serde_json::from_str(NO_ENDPOINTS).unwrap_or_else(|_| json!({"error": {"code": 404}}));
    body["error"]["message"] = Value::String(format!("No endpoints found for {model}."));
    body.to_string()
}

pub(crate) fn unauthorized_wrong_key() -> String {
    error_json(401, "User not found.")
}

pub(crate) fn image_input_unsupported() -> String {
    error_json(404, "No endpoints found that support image input")
}

pub(crate) fn invalid_model(model: &str) -> String {
    error_json(400, &format!("{model} is not a valid model ID"))
}

/// OpenAI's wording, which OpenRouter passes through.
pub(crate) fn context_length_exceeded(limit_tokens: usize, requested_tokens: usize) -> String {
    json!({"error": {
        "message": format!(
            "This model's maximum context length is {limit_tokens} tokens. However, your messages \
             resulted in {requested_tokens} tokens. Please reduce the length of the messages."
        ),
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded"
    }})
    .to_string()
}

pub(crate) fn body_too_large() -> String {
    IMAGE_TOO_LARGE.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_body_is_an_error_envelope() {
        for status in [400, 401, 402, 403, 404, 408, 413, 429, 500, 502, 503, 504] {
            let body: Value = serde_json::from_str(&status_body(status, "a/b")).expect("json");
            assert!(body["error"]["message"].is_string(), "{status}: {body}");
        }
    }

    #[test]
    fn no_endpoints_names_the_model() {
        let body: Value =
            serde_json::from_str(&status_body(404, "google/gemini-2.5-flash")).expect("json");
        assert_eq!(
            body["error"]["message"],
            "No endpoints found for google/gemini-2.5-flash."
        );
        assert_eq!(body["error"]["code"], 404);
    }
}
