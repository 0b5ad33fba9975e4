//! Starts the real bot in-process against the simulators, on port 0, with its own database.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use tiltguard::app::RunningBot;
use tiltguard::config::Config;
use tiltguard_sim::llm::{LlmSim, LlmSimConfig};
use tiltguard_sim::{SimChat, SimMessage, SimUser, TelegramSim, TelegramSimConfig};

pub mod keyboard;

pub const WAIT: Duration = Duration::from_secs(15);

pub struct Harness {
    pub telegram: TelegramSim,
    pub env: HashMap<String, String>,
    pub bot: Option<RunningBot>,
    /// A bot started with [`Harness::start_killable`]: the signal that kills it, and its
    /// thread, which ends once every task of the bot has been dropped.
    killable: Option<(
        tokio::sync::oneshot::Sender<()>,
        std::thread::JoinHandle<()>,
    )>,
    _dir: tempfile::TempDir,
}

fn repo_path(relative: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(relative)
        .display()
        .to_string()
}

impl Harness {
    /// The bot's own database, opened beside it (and migrated, should the bot not have
    /// started yet), for checking what it stored.
    pub async fn store(&self) -> tiltguard::store::Store {
        let store = tiltguard::store::Store::connect(&self.env["DATABASE_URL"])
            .await
            .expect("the bot's database opens");
        store.migrate().await.expect("the bot's database migrates");
        store
    }

    /// A simulator and the settings a bot needs to talk to it; the bot is not started yet.
    pub async fn new() -> Harness {
        Harness::with_telegram(TelegramSimConfig::default()).await
    }

    pub async fn with_telegram(config: TelegramSimConfig) -> Harness {
        let telegram = TelegramSim::start(config).await.expect("telegram sim");
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("bot.db");
        let env: HashMap<String, String> = [
            ("TELEGRAM_BOT_TOKEN", telegram.token()),
            ("TELEGRAM_API_URL", telegram.api_url()),
            ("DATABASE_URL", format!("sqlite://{}", db.display())),
            ("POLL_TIMEOUT_SECONDS", "1".to_string()),
            ("SHUTDOWN_TIMEOUT_SECONDS", "10".to_string()),
            ("PERSONALITIES_DIR", repo_path("personalities")),
            ("PROMPTS_DIR", repo_path("prompts")),
            // Nothing listens here unless a test starts an LLM simulator.
            ("LLM_BASE_URL", "http://127.0.0.1:9/v1".to_string()),
            ("LLM_TIMEOUT_SECONDS", "5".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Harness {
            telegram,
            env,
            bot: None,
            killable: None,
            _dir: dir,
        }
    }

    /// Adds an LLM simulator serving the text chain `primary,secondary` and the vision chain
    /// `vision,secondary`.
    pub async fn with_llm(&mut self, config: LlmSimConfig) -> LlmSim {
        let llm = LlmSim::start(config).await.expect("llm sim");
        llm.set_vision_models(&["vision", "secondary"]);
        self.set("LLM_BASE_URL", llm.base_url());
        self.set("LLM_TEXT_MODELS", "primary,secondary");
        self.set("LLM_VISION_MODELS", "vision,secondary");
        llm
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.env.insert(key.to_string(), value.into());
        self
    }

    pub fn config(&self) -> Config {
        Config::load(&self.env).expect("test config")
    }

    pub async fn start(&mut self) -> &mut Self {
        let bot = RunningBot::start(self.config()).await.expect("bot starts");
        self.bot = Some(bot);
        self
    }

    /// Graceful stop, as on SIGTERM.
    pub async fn stop(&mut self) {
        if let Some(bot) = self.bot.take() {
            bot.shutdown().await;
        }
    }

    /// A crash: nothing is confirmed to Telegram.
    pub fn crash(&mut self) {
        if let Some(bot) = self.bot.take() {
            bot.abort();
        }
    }

    /// Starts the bot on a runtime and thread of its own, so that [`Harness::kill`] can stop
    /// every one of its tasks at once, as a crash of the process would (replies mid-stream
    /// included; `crash` only stops polling).
    pub async fn start_killable(&mut self) {
        let config = self.config();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (kill_tx, kill_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the bot");
            runtime.block_on(async move {
                let _bot = RunningBot::start(config).await.expect("bot starts");
                let _ = started_tx.send(());
                let _ = kill_rx.await;
            });
            // Dropping the runtime drops every task it was running, unfinished.
            drop(runtime);
        });
        started_rx.await.expect("the bot's thread started it");
        self.killable = Some((kill_tx, thread));
    }

    /// Kills a bot started with [`Harness::start_killable`]; returns when it is dead.
    pub async fn kill(&mut self) {
        if let Some((kill, thread)) = self.killable.take() {
            let _ = kill.send(());
            tokio::task::spawn_blocking(move || thread.join())
                .await
                .expect("joined the bot's thread")
                .expect("the bot's thread ended without a panic");
        }
    }

    /// Waits until the draft streaming into `chat_id` shows more than `chars` bytes of text.
    pub async fn wait_for_draft_longer_than(&self, chat_id: i64, chars: usize) -> bool {
        self.telegram
            .wait_until(WAIT, |sim| {
                sim.current_draft(chat_id)
                    .is_some_and(|(_, text)| text.len() > chars)
            })
            .await
    }

    /// Waits until the bot has sent at least `n` messages into `chat_id`.
    pub async fn wait_for_bot_messages(&self, chat_id: i64, n: usize) -> Vec<SimMessage> {
        let reached = self
            .telegram
            .wait_until(WAIT, |sim| sim.bot_messages(chat_id).len() >= n)
            .await;
        let messages = self.telegram.bot_messages(chat_id);
        assert!(
            reached,
            "expected {n} bot messages in chat {chat_id}, got {}: {:#?}",
            messages.len(),
            messages.iter().map(|m| &m.text).collect::<Vec<_>>()
        );
        messages
    }
}

pub fn trader(id: i64, name: &str) -> (SimUser, SimChat) {
    let user = SimUser::new(id, name);
    let chat = SimChat::private(&user);
    (user, chat)
}
