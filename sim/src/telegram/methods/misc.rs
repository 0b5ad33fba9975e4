//! getMe, webhook housekeeping, sendChatAction, answerCallbackQuery, bot commands and getFile.
//! Chosen descriptions where the docs give none: `wrong parameter action in request`,
//! `BOT_COMMAND_INVALID`, `command description must be non-empty`, `invalid file id`,
//! `file is too big`.

use serde_json::{Value, json};

use crate::telegram::error::ApiError;
use crate::telegram::model::SimEventKind;
use crate::telegram::params::Params;
use crate::telegram::state::SimState;

const CHAT_ACTIONS: [&str; 11] = [
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

const QUERY_TOO_OLD: &str = "query is too old and response timeout expired or query id is invalid";

/// The storage key of a command list: its scope and language.
fn commands_key(params: &Params) -> Result<String, ApiError> {
    let scope = params.json("scope").map_err(ApiError::bad_request)?;
    let scope_key = match scope {
        None => String::new(),
        Some(scope) => {
            let kind = scope
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if kind == "default" {
                String::new()
            } else {
                let chat = scope
                    .get("chat_id")
                    .map(Value::to_string)
                    .unwrap_or_default();
                let user = scope
                    .get("user_id")
                    .map(Value::to_string)
                    .unwrap_or_default();
                format!("{kind}:{chat}:{user}")
            }
        }
    };
    let language = params.str("language_code").unwrap_or_default();
    Ok(if language.is_empty() {
        scope_key
    } else {
        format!("{scope_key}|{language}")
    })
}

fn valid_command_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl SimState {
    pub(super) fn get_me(&self) -> Value {
        let mut me = self.bot_user_json();
        if let Some(map) = me.as_object_mut() {
            for (flag, value) in [
                ("can_join_groups", true),
                ("can_read_all_group_messages", false),
                ("supports_inline_queries", false),
                ("can_connect_to_business", false),
                ("has_main_web_app", false),
            ] {
                map.insert(flag.to_owned(), json!(value));
            }
        }
        me
    }

    pub(super) fn delete_webhook(&mut self, params: &Params) -> Value {
        if params.bool("drop_pending_updates") {
            self.updates.clear();
        }
        json!(true)
    }

    pub(super) fn webhook_info(&self) -> Value {
        json!({
            "url": "",
            "has_custom_certificate": false,
            "pending_update_count": self.updates.len(),
        })
    }

    pub(super) fn send_chat_action(&mut self, params: &Params) -> Result<Value, ApiError> {
        let chat_id = params.chat_id()?;
        self.reachable_chat(chat_id)?;
        let action = params.str("action").unwrap_or_default();
        if !CHAT_ACTIONS.contains(&action.as_str()) {
            return Err(ApiError::bad_request("wrong parameter action in request"));
        }
        self.stats.chat_actions += 1;
        self.record(
            chat_id,
            SimEventKind::ChatAction,
            "sendChatAction",
            None,
            None,
            &action,
        );
        Ok(json!(true))
    }

    pub(super) fn answer_callback_query(&mut self, params: &Params) -> Result<Value, ApiError> {
        let query_id = params.str("callback_query_id").unwrap_or_default();
        let window = self.config.callback_answer_window;
        let query = self
            .callbacks
            .get_mut(&query_id)
            .filter(|query| !query.answered && query.created.elapsed() <= window)
            .ok_or_else(|| ApiError::bad_request(QUERY_TOO_OLD))?;
        query.answered = true;
        let chat_id = query.chat_id;
        let text = params.str("text");
        self.callback_answers.push((query_id, text.clone()));
        self.stats.callback_answers += 1;
        self.record(
            chat_id,
            SimEventKind::CallbackAnswer,
            "answerCallbackQuery",
            None,
            None,
            text.as_deref().unwrap_or_default(),
        );
        Ok(json!(true))
    }

    pub(super) fn set_my_commands(&mut self, params: &Params) -> Result<Value, ApiError> {
        let commands = params
            .json("commands")
            .map_err(ApiError::bad_request)?
            .ok_or_else(|| ApiError::bad_request("parameter \"commands\" is required"))?;
        let list = commands
            .as_array()
            .ok_or_else(|| ApiError::bad_request("can't parse commands JSON object"))?;
        let mut parsed = Vec::with_capacity(list.len());
        for command in list {
            let name = command
                .get("command")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let name = name.strip_prefix('/').unwrap_or(name);
            if !valid_command_name(name) {
                return Err(ApiError::bad_request("BOT_COMMAND_INVALID"));
            }
            let description = command
                .get("description")
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or_default();
            if description.is_empty() || description.chars().count() > 256 {
                return Err(ApiError::bad_request(
                    "command description must be non-empty",
                ));
            }
            parsed.push((name.to_owned(), description.to_owned()));
        }
        if parsed.len() > 100 {
            return Err(ApiError::bad_request("too many commands specified"));
        }
        let key = commands_key(params)?;
        self.commands.insert(key, parsed);
        Ok(json!(true))
    }

    pub(super) fn get_my_commands(&self, params: &Params) -> Result<Value, ApiError> {
        let key = commands_key(params)?;
        let list: Vec<Value> = self
            .commands
            .get(&key)
            .into_iter()
            .flatten()
            .map(|(command, description)| json!({"command": command, "description": description}))
            .collect();
        Ok(Value::Array(list))
    }

    pub(super) fn delete_my_commands(&mut self, params: &Params) -> Result<Value, ApiError> {
        let key = commands_key(params)?;
        self.commands.remove(&key);
        Ok(json!(true))
    }

    pub(super) fn get_file(&self, params: &Params) -> Result<Value, ApiError> {
        let file_id = params.str("file_id").unwrap_or_default();
        let file = self
            .files
            .get(&file_id)
            .ok_or_else(|| ApiError::bad_request("invalid file id"))?;
        if file.bytes.len() > self.config.max_download_bytes {
            return Err(ApiError::bad_request("file is too big"));
        }
        Ok(json!({
            "file_id": file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": file.bytes.len(),
            "file_path": file.file_path,
        }))
    }
}
