//! The HTTP face of the simulator: `{base}/bot{token}/{method}` (any HTTP method, any body
//! encoding) and `{base}/file/bot{token}/{file_path}`. Applies the test hooks that act on the
//! transport (latency, injected 5xx), counts requests and logs every rejection.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::{ApiError, injected_failure};
use super::methods::{Method, updates};
use super::model::SimEventKind;
use super::params::Params;
use super::shared::Shared;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

enum Route<'a> {
    Api { token: &'a str, method: &'a str },
    File { token: &'a str, path: &'a str },
    Unknown,
}

fn route(path: &str) -> Route<'_> {
    let path = path.trim_start_matches('/');
    if let Some(rest) = path.strip_prefix("file/bot")
        && let Some((token, file_path)) = rest.split_once('/')
    {
        return Route::File {
            token,
            path: file_path,
        };
    }
    if let Some(rest) = path.strip_prefix("bot")
        && let Some((token, method)) = rest.split_once('/')
        && !method.is_empty()
        && !method.contains('/')
    {
        return Route::Api { token, method };
    }
    Route::Unknown
}

/// `%3A` for `:` and friends: clients may percent-encode the token segment.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    match route(&path) {
        Route::Api { token, method } => {
            let token = percent_decoded(token);
            let method = method.to_owned();
            api(&shared, &token, &method, request).await
        }
        Route::File { token, path } => download(&shared, &percent_decoded(token), path),
        Route::Unknown => ApiError::NotFound.into_response(),
    }
}

fn reject(shared: &Shared, method: &str, chat_id: i64, error: ApiError) -> Response {
    shared.update(|state| {
        state.stats.count_status(error.code());
        state.record(
            chat_id,
            SimEventKind::Rejected {
                code: error.code(),
                description: error.to_string(),
            },
            method,
            None,
            None,
            "",
        );
    });
    error.into_response()
}

async fn api(shared: &Shared, token: &str, name: &str, request: Request) -> Response {
    let counted_name = Method::parse(name).map_or_else(|| name.to_owned(), |m| m.name().to_owned());
    let latency = shared.update(|state| {
        state.stats.requests += 1;
        *state
            .stats
            .per_method
            .entry(counted_name.to_owned())
            .or_default() += 1;
        state.latency
    });
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if token != shared.token {
        return reject(shared, name, 0, ApiError::Unauthorized);
    }
    let drafts_supported = shared.read(|state| state.drafts_supported);
    let Some(method) = Method::parse(name)
        .filter(|method| *method != Method::SendMessageDraft || drafts_supported)
    else {
        return reject(shared, name, 0, ApiError::NotFound);
    };
    let method_name = method.name();
    if method != Method::GetUpdates
        && let Some(status) = shared.update(|state| {
            let failure = state.failure.as_mut()?;
            failure.remaining = failure.remaining.saturating_sub(1);
            let status = failure.status;
            if failure.remaining == 0 {
                state.failure = None;
            }
            state.stats.count_status(status);
            Some(status)
        })
    {
        return injected_failure(status);
    }
    let params = match Params::from_request(request).await {
        Ok(params) => params,
        Err(error) => return reject(shared, method_name, 0, error),
    };
    let result = if method == Method::GetUpdates {
        updates::get_updates(shared, &params).await
    } else {
        shared.update(|state| state.call(method, &params))
    };
    match result {
        Ok(value) => axum::Json(json!({ "ok": true, "result": value })).into_response(),
        Err(error) => reject(shared, method_name, params.chat_id_hint(), error),
    }
}

fn download(shared: &Shared, token: &str, path: &str) -> Response {
    if token != shared.token {
        return ApiError::Unauthorized.into_response();
    }
    let path = percent_decoded(path);
    let bytes = shared.read(|state| {
        let file_id = state.file_ids_by_path.get(&path)?;
        state.files.get(file_id).map(|file| file.bytes.clone())
    });
    match bytes {
        Some(bytes) => (
            StatusCode::OK,
            [(CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response(),
        None => ApiError::NotFound.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_to_methods_and_files() {
        assert!(matches!(
            route("/bot123:abc/sendMessage"),
            Route::Api {
                token: "123:abc",
                method: "sendMessage"
            }
        ));
        assert!(matches!(
            route("/file/bot123:abc/photos/file_1.jpg"),
            Route::File {
                token: "123:abc",
                path: "photos/file_1.jpg"
            }
        ));
        assert!(matches!(route("/bot123:abc/"), Route::Unknown));
        assert!(matches!(route("/favicon.ico"), Route::Unknown));
        assert_eq!(percent_decoded("123%3Aabc"), "123:abc");
    }
}
