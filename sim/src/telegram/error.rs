//! Bot API failures as values, and their wire form
//! (`{"ok":false,"error_code":N,"description":"..."}`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A request the simulated server refuses. `Display` is the exact `description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// `detail` follows "Bad Request: ".
    #[error("Bad Request: {0}")]
    BadRequest(String),
    #[error("Unauthorized")]
    Unauthorized,
    /// `detail` follows "Forbidden: ".
    #[error("Forbidden: {0}")]
    Forbidden(String),
    #[error("Not Found")]
    NotFound,
    #[error(
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
    )]
    TerminatedByOtherGetUpdates,
    #[error("Too Many Requests: retry after {0}")]
    TooManyRequests(u32),
    #[error("Internal Server Error")]
    Internal,
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::BadRequest(detail.into())
    }

    pub fn chat_not_found() -> ApiError {
        ApiError::bad_request("chat not found")
    }

    pub fn blocked() -> ApiError {
        ApiError::Forbidden("bot was blocked by the user".to_owned())
    }

    pub fn code(&self) -> u16 {
        match self {
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthorized => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound => 404,
            ApiError::TerminatedByOtherGetUpdates => 409,
            ApiError::TooManyRequests(_) => 429,
            ApiError::Internal => 500,
        }
    }

    pub fn body(&self) -> Value {
        let mut body = json!({
            "ok": false,
            "error_code": self.code(),
            "description": self.to_string(),
        });
        if let (ApiError::TooManyRequests(retry_after), Some(map)) = (self, body.as_object_mut()) {
            map.insert("parameters".into(), json!({ "retry_after": retry_after }));
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code()).unwrap_or(StatusCode::BAD_REQUEST);
        (status, axum::Json(self.body())).into_response()
    }
}

/// The body of an injected 5xx: JSON for 500 (the Bot API's own error), the fronting proxy's
/// HTML page for the gateway errors, as clients really see them.
pub fn injected_failure(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if code == StatusCode::INTERNAL_SERVER_ERROR {
        return ApiError::Internal.into_response();
    }
    let reason = code.canonical_reason().unwrap_or("Error");
    let page = format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        status = code.as_u16()
    );
    (
        code,
        [(axum::http::header::CONTENT_TYPE, "text/html")],
        page,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_errors_carry_retry_after() {
        assert_eq!(
            ApiError::TooManyRequests(7).body(),
            json!({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7",
                   "parameters":{"retry_after":7}})
        );
    }

    #[test]
    fn descriptions_match_the_bot_api() {
        assert_eq!(
            ApiError::chat_not_found().to_string(),
            "Bad Request: chat not found"
        );
        assert_eq!(
            ApiError::blocked().to_string(),
            "Forbidden: bot was blocked by the user"
        );
        assert_eq!(
            ApiError::TerminatedByOtherGetUpdates.to_string(),
            "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
        );
    }
}
