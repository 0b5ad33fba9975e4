//! What can go wrong calling the Bot API, and what each failure means for the caller.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum TgError {
    #[error("Telegram refused {method}: {code} {description}")]
    Api {
        method: &'static str,
        code: u16,
        description: String,
        retry_after: Option<u64>,
        migrate_to_chat_id: Option<i64>,
    },
    #[error("cannot reach Telegram for {method}: {detail}")]
    Network {
        method: &'static str,
        detail: String,
    },
    #[error("unexpected reply from Telegram to {method}: {detail}")]
    Decode {
        method: &'static str,
        detail: String,
    },
}

impl TgError {
    fn description(&self) -> &str {
        match self {
            TgError::Api { description, .. } => description,
            _ => "",
        }
    }

    fn code(&self) -> Option<u16> {
        match self {
            TgError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Flood control: how long Telegram asks us to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            TgError::Api {
                retry_after: Some(s),
                ..
            } => Some(Duration::from_secs(*s)),
            TgError::Api { code: 429, .. } => Some(Duration::from_secs(1)),
            _ => None,
        }
    }

    /// An edit that would change nothing: the message already shows what we wanted.
    pub fn is_not_modified(&self) -> bool {
        self.description().contains("message is not modified")
    }

    pub fn is_parse_error(&self) -> bool {
        self.description().contains("can't parse entities")
    }

    /// The user blocked the bot, left, or the chat is gone: stop writing to it.
    pub fn is_chat_gone(&self) -> bool {
        self.code() == Some(403) || self.description().contains("chat not found")
    }

    pub fn is_message_gone(&self) -> bool {
        let d = self.description();
        d.contains("message to edit not found") || d.contains("message to delete not found")
    }

    /// Worth retrying with backoff: the network or Telegram itself failed.
    pub fn is_transient(&self) -> bool {
        match self {
            TgError::Network { .. } => true,
            TgError::Api { code, .. } => *code >= 500,
            TgError::Decode { .. } => false,
        }
    }

    /// The server does not know the method (an older self-hosted Bot API server).
    pub fn is_unknown_method(&self) -> bool {
        self.code() == Some(404)
    }

    pub fn is_conflict(&self) -> bool {
        self.code() == Some(409)
    }
}
