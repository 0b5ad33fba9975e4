//! Method parameters from any of the encodings the Bot API accepts: query string,
//! `application/json`, `application/x-www-form-urlencoded` and `multipart/form-data`.
//! In the string encodings, numbers, booleans and JSON-valued fields (reply_markup,
//! allowed_updates, commands, ...) arrive as strings; the typed getters accept both forms.

use axum::extract::{FromRequest, Multipart, Query, Request};
use axum::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};

use super::error::ApiError;

/// The parameters of one request, last occurrence of a name winning.
#[derive(Debug, Clone, Default)]
pub struct Params {
    fields: Map<String, Value>,
}

impl Params {
    pub fn from_json(value: Value) -> Result<Params, ApiError> {
        match value {
            Value::Object(fields) => Ok(Params { fields }),
            Value::Null => Ok(Params::default()),
            _ => Err(ApiError::bad_request("request body must be a JSON object")),
        }
    }

    pub async fn from_request(request: Request) -> Result<Params, ApiError> {
        let mut params = Params::default();
        if let Ok(Query(pairs)) = Query::<Vec<(String, String)>>::try_from_uri(request.uri()) {
            params.extend_strings(pairs);
        }
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("application/json") {
            let body = axum::body::to_bytes(request.into_body(), 64 * 1024 * 1024)
                .await
                .map_err(|_| ApiError::bad_request("can't read request body"))?;
            if !body.iter().all(u8::is_ascii_whitespace) {
                let value: Value = serde_json::from_slice(&body)
                    .map_err(|_| ApiError::bad_request("can't parse JSON object"))?;
                let Params { fields } = Params::from_json(value)?;
                params.fields.extend(fields);
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(request, &())
                .await
                .map_err(|_| ApiError::bad_request("can't parse form body"))?;
            params.extend_strings(pairs);
        } else if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(request, &())
                .await
                .map_err(|_| ApiError::bad_request("can't parse multipart body"))?;
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|_| ApiError::bad_request("can't parse multipart body"))?
            {
                let Some(name) = field.name().map(str::to_owned) else {
                    continue;
                };
                // Uploaded files are addressed by attach:// names; no method here takes one.
                if field.file_name().is_some() {
                    continue;
                }
                let text = field
                    .text()
                    .await
                    .map_err(|_| ApiError::bad_request("can't parse multipart body"))?;
                params.fields.insert(name, Value::String(text));
            }
        }
        Ok(params)
    }

    fn extend_strings(&mut self, pairs: Vec<(String, String)>) {
        for (name, value) in pairs {
            self.fields.insert(name, Value::String(value));
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.fields.get(name).is_some_and(|value| !value.is_null())
    }

    pub fn str(&self, name: &str) -> Option<String> {
        match self.fields.get(name)? {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }

    /// An integer given as a JSON number or a decimal string.
    pub fn i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let invalid = || ApiError::bad_request(format!("invalid {name} specified"));
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => number.as_i64().map(Some).ok_or_else(invalid),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => text.trim().parse().map(Some).map_err(|_| invalid()),
            Some(_) => Err(invalid()),
        }
    }

    pub fn i32(&self, name: &str) -> Result<Option<i32>, ApiError> {
        self.i64(name)?
            .map(|value| {
                i32::try_from(value)
                    .map_err(|_| ApiError::bad_request(format!("invalid {name} specified")))
            })
            .transpose()
    }

    /// `true`, `1` or `"true"`; absent means false.
    pub fn bool(&self, name: &str) -> bool {
        match self.fields.get(name) {
            Some(Value::Bool(flag)) => *flag,
            Some(Value::Number(number)) => number.as_i64().is_some_and(|n| n != 0),
            Some(Value::String(text)) => matches!(text.trim(), "true" | "True" | "1"),
            _ => false,
        }
    }

    /// A JSON-valued field, given inline (JSON bodies) or as a JSON string (string encodings).
    pub fn json(&self, name: &str) -> Result<Option<Value>, String> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => serde_json::from_str(text)
                .map(Some)
                .map_err(|_| format!("can't parse {name} JSON object")),
            Some(value) => Ok(Some(value.clone())),
        }
    }

    /// The chat named by `chat_id`: a number, or `@username` (which the simulator never knows).
    pub fn chat_id(&self) -> Result<i64, ApiError> {
        match self.fields.get("chat_id") {
            None | Some(Value::Null) => Err(ApiError::bad_request("chat_id is empty")),
            Some(Value::String(text)) if text.trim().is_empty() => {
                Err(ApiError::bad_request("chat_id is empty"))
            }
            Some(Value::String(text)) if text.trim().starts_with('@') => {
                Err(ApiError::chat_not_found())
            }
            _ => self
                .i64("chat_id")?
                .ok_or_else(|| ApiError::bad_request("chat_id is empty")),
        }
    }

    /// `chat_id` if it is a plain number, for labelling rejected requests.
    pub fn chat_id_hint(&self) -> i64 {
        self.i64("chat_id").ok().flatten().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_getters_accept_numbers_and_strings() {
        let params = Params::from_json(json!({
            "a": 5, "b": "-1001234", "c": "true", "d": "[\"message\"]", "e": ["x"]
        }))
        .unwrap_or_default();
        assert_eq!(params.i64("a").ok().flatten(), Some(5));
        assert_eq!(params.i64("b").ok().flatten(), Some(-1_001_234));
        assert!(params.bool("c"));
        assert_eq!(params.json("d"), Ok(Some(json!(["message"]))));
        assert_eq!(params.json("e"), Ok(Some(json!(["x"]))));
        assert!(params.i64("c").is_err());
    }

    #[test]
    fn chat_id_must_be_present_and_known() {
        let missing = Params::default();
        assert_eq!(
            missing.chat_id(),
            Err(ApiError::bad_request("chat_id is empty"))
        );
        let username = Params::from_json(json!({"chat_id": "@somebody"})).unwrap_or_default();
        assert_eq!(username.chat_id(), Err(ApiError::chat_not_found()));
    }
}
