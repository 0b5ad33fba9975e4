//! The recorded error bodies map to the right [`LlmError`] variants, with the details the
//! operator needs in `Display` and none of them in `user_message()`.

use super::error::{LlmError, classify_http_error, parse_retry_after};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/llm/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn classify(status: u16, name: &str) -> LlmError {
    classify_http_error(status, None, &fixture(name), SystemTime::now())
}

#[test]
fn openrouter_bodies_map_to_their_kinds() {
    assert!(matches!(
        classify(401, "openrouter_error_401_no_cookie_auth.json"),
        LlmError::Unauthorized { message } if message == "No cookie auth credentials found"
    ));
    assert!(matches!(
        classify(402, "openrouter_error_402_insufficient_credits.json"),
        LlmError::InsufficientCredits { message } if message.contains("can only afford 10114")
    ));
    assert!(matches!(
        classify(403, "openrouter_error_403_guardrail_documented.json"),
        LlmError::Forbidden { message } if message.contains("prompt injection")
    ));
    assert!(matches!(
        classify(404, "openrouter_error_404_no_endpoints.json"),
        LlmError::NoEndpoints { message } if message == "No endpoints found for google/gemini-2.5-flash:free."
    ));
    assert!(matches!(
        classify(404, "openrouter_error_404_routing_funnel.json"),
        LlmError::NoEndpoints { message } if message.contains("output modalities")
    ));
    assert!(matches!(
        classify(413, "openrouter_error_413_image_too_large.json"),
        LlmError::PayloadTooLarge { message } if message.contains("30MB")
    ));
}

#[test]
fn openai_bodies_map_to_their_kinds() {
    assert!(matches!(
        classify(404, "openai_error_404_model_not_found.json"),
        LlmError::ModelNotFound { message } if message.contains("gpt-5.2-proo")
    ));
    assert!(matches!(
        classify(400, "openai_error_400_unsupported_value.json"),
        LlmError::BadRequest { status: 400, message } if message.contains("does not support 'system'")
    ));
}

#[test]
fn rate_limit_keeps_the_provider_words_and_the_retry_hint() {
    let err = classify_http_error(
        429,
        Some("7"),
        &fixture("openrouter_error_429_body.json"),
        SystemTime::now(),
    );
    match &err {
        LlmError::RateLimited {
            retry_after,
            message,
        } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(7)));
            assert!(message.starts_with("Provider returned error"));
            assert!(
                message.contains("temporarily rate-limited upstream"),
                "{message}"
            );
            assert!(message.contains("[provider: Google]"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable_before_first_token());
    assert_eq!(err.user_message(), "The AI service is busy right now.");
}

#[test]
fn capacity_error_without_header_takes_retry_after_from_the_body() {
    let err = classify(429, "openrouter_error_429_capacity_documented.json");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(40)));
}

#[test]
fn context_length_is_recognised_in_every_providers_wording() {
    let bodies = [
        r#"{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#,
        r#"{"error":{"message":"This endpoint's maximum context length is 163840 tokens. However, you requested about 170000 tokens.","code":400}}"#,
        r#"{"error":{"message":"prompt is too long: 208310 tokens > 200000 maximum","code":400}}"#,
        r#"{"error":{"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","code":400}}"#,
        r#"{"error":{"message":"the request exceeds the available context size, try increasing it","code":400}}"#,
        r#"{"error":{"message":"Please reduce the length of the messages or completion.","code":"invalid_request_error"}}"#,
    ];
    for body in bodies {
        let err = classify_http_error(400, None, body.as_bytes(), SystemTime::now());
        assert!(
            matches!(err, LlmError::ContextLengthExceeded { .. }),
            "{body} -> {err:?}"
        );
        assert!(!err.is_retryable_before_first_token());
    }
}

#[test]
fn invalid_model_id_on_400_is_model_not_found() {
    let body =
        br#"{"error":{"message":"deepseek/deepseek-chat-v9 is not a valid model ID","code":400}}"#;
    assert!(matches!(
        classify_http_error(400, None, body, SystemTime::now()),
        LlmError::ModelNotFound { .. }
    ));
}

#[test]
fn statuses_without_json_bodies_still_classify() {
    let now = SystemTime::now();
    assert_eq!(classify_http_error(408, None, b"", now), LlmError::Timeout);
    assert!(matches!(
        classify_http_error(502, None, b"<html>Bad Gateway</html>", now),
        LlmError::Upstream { status: 502, message } if message == "<html>Bad Gateway</html>"
    ));
    assert!(matches!(
        classify_http_error(503, None, b"", now),
        LlmError::Upstream { status: 503, .. }
    ));
    assert!(matches!(
        classify_http_error(409, None, b"conflict", now),
        LlmError::BadRequest { status: 409, .. }
    ));
}

#[test]
fn retry_after_accepts_seconds_and_http_dates() {
    let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
    assert_eq!(
        parse_retry_after("120", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("1.5", now),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("-3", now), None);
}

#[test]
fn retryability_follows_what_another_model_could_fix() {
    let retryable = [
        LlmError::Connect("refused".into()),
        LlmError::Timeout,
        LlmError::RateLimited {
            retry_after: None,
            message: String::new(),
        },
        LlmError::Upstream {
            status: 503,
            message: String::new(),
        },
        LlmError::NoEndpoints {
            message: String::new(),
        },
        LlmError::InsufficientCredits {
            message: String::new(),
        },
    ];
    let final_ = [
        LlmError::Unauthorized {
            message: String::new(),
        },
        LlmError::Forbidden {
            message: String::new(),
        },
        LlmError::PayloadTooLarge {
            message: String::new(),
        },
        LlmError::ContextLengthExceeded {
            message: String::new(),
        },
        LlmError::BadRequest {
            status: 400,
            message: String::new(),
        },
    ];
    assert!(
        retryable
            .iter()
            .all(LlmError::is_retryable_before_first_token)
    );
    assert!(!final_.iter().any(LlmError::is_retryable_before_first_token));
}

#[test]
fn an_echoed_key_is_redacted_and_user_messages_carry_no_details() {
    let body = br#"{"error":{"message":"Incorrect API key provided: sk-live-123456. You can find your API key at ...","code":"invalid_api_key"}}"#;
    let err =
        classify_http_error(401, None, body, SystemTime::now()).redact(Some("sk-live-123456"));
    assert!(!err.to_string().contains("sk-live-123456"), "{err}");
    assert!(err.to_string().contains("[redacted]"));
    assert!(!err.user_message().contains("API key provided"));
}
