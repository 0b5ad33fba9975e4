//! Tronscan `api/transaction-info?hash=`: the recorded body for a known hash, `{}` for an
//! unknown one, 403 "request too quickly" when throttling.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::SharedState;
use super::state::{Api, Mode};

pub(crate) const API_KEY_HEADER: &str = "TRON-PRO-API-KEY";

pub(crate) async fn transaction_info(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Ok(mut state) = state.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let key_location = if headers.contains_key(API_KEY_HEADER) {
        "header"
    } else if params.contains_key("apikey") {
        "query"
    } else {
        "none"
    };
    state.record(Api::Tronscan, "api/transaction-info", key_location);
    match state.mode(Api::Tronscan) {
        Mode::Up => {}
        Mode::Down => return super::unavailable(),
        Mode::RateLimited => {
            return (
                StatusCode::FORBIDDEN,
                axum::Json(
                    json!({"code": 403, "message": "request too quickly, please retry later."}),
                ),
            )
                .into_response();
        }
    }
    let hash = params
        .get("hash")
        .map(|h| h.to_lowercase())
        .unwrap_or_default();
    let body = state
        .tron
        .transactions
        .get(&hash)
        .cloned()
        .unwrap_or_else(|| Value::Object(Default::default()));
    axum::Json(body).into_response()
}
