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
    _dir: tempfile::TempDir,
}

fn repo_path(relative: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(relative)
        .display()
        .to_string()
}

impl Harness {
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
