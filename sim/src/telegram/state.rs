//! The simulator's mutable world: chats and their messages, drafts, the update queue, files,
//! callback queries, flood state, test hooks, the event log and counters. Lives behind one
//! `std::sync::Mutex`; every operation on it is short and free of I/O.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::config::TelegramSimConfig;
use super::entity::Entity;
use super::error::ApiError;
use super::flood::{ChatFlood, FloodGate};
use super::model::{SimChat, SimEvent, SimEventKind, SimMessage, SimStats, SimUser};

/// A draft preview, visible until `expires_at` or until the bot sends a message to the chat.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub draft_id: i64,
    pub text: String,
    pub entities: Vec<Entity>,
    pub expires_at: Instant,
    pub message_thread_id: Option<i64>,
    pub keep_on_stop: bool,
}

pub(crate) struct ChatRecord {
    pub chat: SimChat,
    /// Visible messages by id (ids only grow, so this is also chat order).
    pub messages: BTreeMap<i32, SimMessage>,
    pub next_message_id: i32,
    pub draft: Option<Draft>,
    pub flood: ChatFlood,
}

impl ChatRecord {
    pub fn take_message_id(&mut self) -> i32 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }
}

pub(crate) struct QueuedUpdate {
    pub update_id: i64,
    pub payload: Value,
}

pub(crate) struct CallbackRecord {
    pub chat_id: i64,
    pub created: Instant,
    pub answered: bool,
}

pub(crate) struct StoredFile {
    pub file_unique_id: String,
    pub file_path: String,
    pub bytes: Bytes,
}

/// Injected 5xx answers.
pub(crate) struct InjectedFailure {
    pub remaining: u32,
    pub status: u16,
}

/// Update types Telegram leaves out unless they are listed in `allowed_updates`.
const OPT_IN_UPDATES: [&str; 3] = ["chat_member", "message_reaction", "message_reaction_count"];

pub(crate) struct SimState {
    pub config: TelegramSimConfig,
    pub chats: HashMap<i64, ChatRecord>,
    pub users: HashMap<i64, SimUser>,
    /// Chats whose user blocked the bot (may be set before the chat exists).
    pub blocked_chats: HashSet<i64>,
    pub flood: FloodGate,
    pub updates: VecDeque<QueuedUpdate>,
    pub next_update_id: i64,
    /// None: the default set. Sticky: only a getUpdates that passes the field changes it.
    pub allowed_updates: Option<Vec<String>>,
    pub dropped_updates: u64,
    pub confirmed_offset: i64,
    /// Test hook: confirming offsets has no effect, as if the bot died before its next
    /// getUpdates reached Telegram. Updates stay queued and a restarted bot sees them again.
    pub confirmations_lost: bool,
    pub poll_sequence: u64,
    pub active_poll: Option<u64>,
    pub events: Vec<SimEvent>,
    pub stats: SimStats,
    pub callbacks: HashMap<String, CallbackRecord>,
    pub callback_answers: Vec<(String, Option<String>)>,
    pub next_callback: u64,
    pub files: HashMap<String, StoredFile>,
    pub file_ids_by_path: HashMap<String, String>,
    pub next_file: u64,
    /// setMyCommands lists by scope + language key; "" is the default scope.
    pub commands: BTreeMap<String, Vec<(String, String)>>,
    pub drafts_supported: bool,
    pub failure: Option<InjectedFailure>,
    pub latency: Duration,
}

/// Unix seconds, the Bot API's `date`.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

impl SimState {
    pub fn new(config: TelegramSimConfig) -> SimState {
        let now = Instant::now();
        SimState {
            flood: FloodGate::new(config.limits.clone(), now),
            config,
            chats: HashMap::new(),
            users: HashMap::new(),
            blocked_chats: HashSet::new(),
            updates: VecDeque::new(),
            next_update_id: 100_000,
            allowed_updates: None,
            dropped_updates: 0,
            confirmed_offset: 0,
            confirmations_lost: false,
            poll_sequence: 0,
            active_poll: None,
            events: Vec::new(),
            stats: SimStats::default(),
            callbacks: HashMap::new(),
            callback_answers: Vec::new(),
            next_callback: 1,
            files: HashMap::new(),
            file_ids_by_path: HashMap::new(),
            next_file: 1,
            commands: BTreeMap::new(),
            drafts_supported: true,
            failure: None,
            latency: Duration::ZERO,
        }
    }

    /// The chat, created on first contact (a user writing to the bot).
    pub fn ensure_chat(&mut self, chat: &SimChat) -> &mut ChatRecord {
        let limits = self.flood.limits().clone();
        self.chats.entry(chat.id).or_insert_with(|| ChatRecord {
            chat: chat.clone(),
            messages: BTreeMap::new(),
            next_message_id: 1,
            draft: None,
            flood: ChatFlood::new(&limits, Instant::now()),
        })
    }

    /// A chat the bot may address: known, and not blocking the bot.
    pub fn reachable_chat(&mut self, chat_id: i64) -> Result<&mut ChatRecord, ApiError> {
        if self.blocked_chats.contains(&chat_id) {
            return Err(ApiError::blocked());
        }
        self.chats
            .get_mut(&chat_id)
            .ok_or_else(ApiError::chat_not_found)
    }

    pub fn record(
        &mut self,
        chat_id: i64,
        kind: SimEventKind,
        method: &str,
        message_id: Option<i32>,
        draft_id: Option<i64>,
        text: &str,
    ) {
        self.events.push(SimEvent {
            at: Instant::now(),
            chat_id,
            kind,
            method: method.to_owned(),
            message_id,
            draft_id,
            text: text.to_owned(),
        });
    }

    fn update_allowed(&self, kind: &str) -> bool {
        match &self.allowed_updates {
            Some(listed) if !listed.is_empty() => listed.iter().any(|allowed| allowed == kind),
            _ => !OPT_IN_UPDATES.contains(&kind),
        }
    }

    /// Queues an update; like Telegram, one of a type the bot has not subscribed to is never
    /// stored. Returns the update id, or None when it was filtered out.
    pub fn enqueue_update(&mut self, kind: &str, payload: Value) -> Option<i64> {
        if !self.update_allowed(kind) {
            self.dropped_updates += 1;
            return None;
        }
        let update_id = self.next_update_id;
        self.next_update_id += 1;
        let mut update = json!({ "update_id": update_id });
        if let Some(map) = update.as_object_mut() {
            map.insert(kind.to_owned(), payload);
        }
        self.updates.push_back(QueuedUpdate {
            update_id,
            payload: update,
        });
        Some(update_id)
    }

    /// `getUpdates` offset semantics: a positive offset forgets every update below it, a
    /// negative one keeps only the last `-offset` updates.
    pub fn confirm_offset(&mut self, offset: i64) {
        if self.confirmations_lost {
            return;
        }
        if offset > 0 {
            while self
                .updates
                .front()
                .is_some_and(|update| update.update_id < offset)
            {
                self.updates.pop_front();
            }
            self.confirmed_offset = self.confirmed_offset.max(offset);
        } else if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while self.updates.len() > keep {
                self.updates.pop_front();
            }
        }
    }

    /// The bot itself as a `User`.
    pub fn bot_user_json(&self) -> Value {
        json!({
            "id": self.config.bot_id,
            "is_bot": true,
            "first_name": self.config.bot_first_name,
            "username": self.config.bot_username,
        })
    }

    pub fn next_file_number(&mut self) -> u64 {
        let number = self.next_file;
        self.next_file += 1;
        number
    }
}
