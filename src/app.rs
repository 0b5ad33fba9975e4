//! Wiring: builds every service once and hands them to the transports.
//!
//! `RunningBot` is the whole bot as a value, so `serve` and the integration tests start and
//! stop exactly the same thing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::coach::context::Budget;
use crate::coach::personas::{PersonaBook, PersonaError};
use crate::coach::prompts::{TemplateError, Templates};
use crate::coach::{Coach, CoachSettings};
use crate::config::{Config, ConfigError};
use crate::llm::router::{InputKind, RetryPolicy, Router, parse_chain};
use crate::llm::{BreakerSettings, LlmEndpoint, LlmError};
use crate::store::{Store, StoreError};
use crate::telegram::api::{BotApi, TgError};
use crate::telegram::delivery::Outbox;
use crate::telegram::dispatch::Dispatcher;
use crate::telegram::handlers::chat::ChatRoom;
use crate::telegram::handlers::{BotContext, BotSettings, COMMANDS};
use crate::telegram::pacing::Budgets;
use crate::telegram::polling;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Personas(#[from] PersonaError),
    #[error(transparent)]
    Templates(#[from] TemplateError),
    #[error("LLM settings: {0}")]
    Llm(#[from] LlmError),
    #[error("Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): check it with @BotFather")]
    BadToken,
    #[error("cannot reach the Telegram Bot API at TELEGRAM_API_URL: {0}")]
    Telegram(TgError),
    #[error("cannot start the HTTP listener on HTTP_ADDR: {0}")]
    Http(std::io::Error),
}

/// Opens the database and applies migrations.
pub async fn open_store(config: &Config) -> Result<Store, StoreError> {
    let store = Store::connect(&config.database_url).await?;
    store.migrate().await?;
    Ok(store)
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(90))
        // Every streaming chat sends a draft or edit every few hundred milliseconds; a
        // connection closed after each burst is reopened moments later (a TCP, and in
        // production a TLS, handshake each time). Idle connections cost a socket and a few KB.
        .pool_max_idle_per_host(1024)
        .user_agent(crate::net::USER_AGENT)
        .build()
        .unwrap_or_default()
}

/// The model router from `LLM_*` settings.
pub fn build_router(config: &Config, http: reqwest::Client) -> Result<Router, LlmError> {
    let llm = &config.llm;
    let endpoint = LlmEndpoint {
        base_url: llm.base_url.clone(),
        api_key: llm.api_key.as_ref().map(|k| k.expose().to_string()),
        app_url: llm.app_url.clone(),
        app_title: llm.app_title.clone(),
        timeout: llm.timeout,
    };
    let chains = [
        (InputKind::Text, parse_chain(&llm.text_models)),
        (InputKind::Vision, parse_chain(&llm.vision_models)),
    ];
    let breakers = BreakerSettings {
        failures: llm.breaker_failures,
        window: llm.breaker_window,
        cooldown: llm.breaker_cooldown,
    };
    let retry = RetryPolicy {
        deadline: llm.timeout,
        ..RetryPolicy::default()
    };
    Router::new(&endpoint, &chains, http, breakers, retry)
}

/// The coach with its router, templates and memory, shared by the bot and the REPL.
pub fn build_coach(
    config: &Config,
    store: Store,
    http: reqwest::Client,
) -> Result<Coach, AppError> {
    let router = Arc::new(build_router(config, http)?);
    let templates = Arc::new(Templates::load(&config.prompts_dir)?);
    let settings = CoachSettings {
        budget: Budget {
            context_tokens: config.llm.context_tokens as usize,
            reply_tokens: config.llm.max_tokens as usize,
        },
        session_timeout: config.limits.session_timeout,
        prices: config.llm.prices.clone(),
        // Read a reply as often as a private chat may show a draft: each read is shown at
        // once, and reading more often would only cost wake-ups.
        read_every: Duration::from_secs_f64(1.0 / config.limits.draft_hz),
    };
    Ok(Coach::new(store, router, templates, settings))
}

/// Broadcasts an earlier run did not finish continue where they stopped.
async fn resume_broadcasts(ctx: &Arc<BotContext>) {
    match ctx.store.running_broadcasts().await {
        Ok(running) => {
            for broadcast in running {
                tracing::info!(id = broadcast.id, "resuming a broadcast");
                ctx.tasks.spawn(crate::telegram::handlers::run_broadcast(
                    ctx.clone(),
                    broadcast,
                ));
            }
        }
        Err(error) => tracing::error!(%error, "cannot read unfinished broadcasts"),
    }
}

pub struct RunningBot {
    shutdown: CancellationToken,
    polling: JoinHandle<()>,
    dispatcher: Arc<Dispatcher>,
    tasks: TaskTracker,
    store: Store,
    http_addr: Option<SocketAddr>,
    shutdown_timeout: Duration,
    pub bot_username: String,
}

impl RunningBot {
    /// Starts the bot: store, personas, Telegram identity and command menu, HTTP, polling.
    pub async fn start(config: Config) -> Result<RunningBot, AppError> {
        let telegram = config.require_telegram()?.clone();
        let store = open_store(&config).await?;
        let personas = Arc::new(PersonaBook::load(
            &config.personalities_dir,
            &config.default_persona,
        )?);
        let http = http_client();
        let hosted = ["openrouter.ai", "api.openai.com", "api.deepseek.com"];
        if config.llm.api_key.is_none() && hosted.iter().any(|h| config.llm.base_url.contains(h)) {
            tracing::warn!(
                "LLM_API_KEY is not set but LLM_BASE_URL is a hosted service: coach replies \
                 will fail until you set it in .env"
            );
        }
        let coach = Arc::new(build_coach(&config, store.clone(), http.clone())?);
        let risk = crate::risk::RiskService::with_http(config.risk.clone(), http.clone());
        let payments = Arc::new(crate::payments::PaymentVerifier::new(
            config.payments.clone(),
            http.clone(),
        ));
        let api = BotApi::new(http.clone(), &telegram.api_url, &telegram.token);
        let me = api.get_me().await.map_err(|error| match error {
            TgError::Api { code: 401, .. } | TgError::Api { code: 404, .. } => AppError::BadToken,
            other => AppError::Telegram(other),
        })?;
        let bot_username = me.username.clone().unwrap_or_default();
        if let Err(error) = api.set_my_commands(COMMANDS).await {
            tracing::warn!(%error, "could not register the command menu");
        }
        let shutdown = CancellationToken::new();
        let http_addr = match config.http_addr {
            Some(addr) => Some(
                crate::http::serve(addr, store.clone(), shutdown.clone())
                    .await
                    .map_err(AppError::Http)?,
            ),
            None => None,
        };
        let tasks = TaskTracker::new();
        let budgets = Budgets::telegram_defaults(config.limits.draft_hz);
        let outbox = Outbox::new(api.clone(), store.clone(), budgets);
        let settings = BotSettings {
            max_image_bytes: config.limits.max_image_bytes,
            user_messages_per_minute: config.limits.user_messages_per_minute,
            free_daily_messages: config.limits.free_daily_messages,
        };
        let chat_room = ChatRoom::new(config.limits.user_messages_per_minute);
        let scan_room =
            crate::telegram::handlers::scan::ScanRoom::new(config.limits.scans_per_minute);
        let shutdown_timeout = config.shutdown_timeout;
        let ctx = Arc::new(BotContext {
            outbox,
            store: store.clone(),
            personas,
            config: Arc::new(config),
            bot_username: bot_username.clone(),
            coach,
            risk,
            payments,
            chat_room,
            scan_room,
            settings,
            tasks: tasks.clone(),
            shutdown: shutdown.clone(),
        });
        // Re-checks pending payments, matches payments by amount, expires invoices, reminds.
        // Both share the bot's HTTP client (and so its connection pool and TLS set-up)
        // rather than building one each.
        crate::telegram::handlers::pay::start_watcher(&ctx, http.clone(), shutdown.clone());
        crate::telegram::handlers::whale::start_poller(&ctx, http, shutdown.clone());
        resume_broadcasts(&ctx).await;
        let dispatcher = Dispatcher::new(ctx);
        let polling = tokio::spawn(polling::run(
            api,
            store.clone(),
            dispatcher.clone(),
            telegram.poll_timeout,
            shutdown.clone(),
        ));
        tracing::info!(bot = %bot_username, "tiltguard is running");
        Ok(RunningBot {
            shutdown,
            polling,
            dispatcher,
            tasks,
            store,
            http_addr,
            shutdown_timeout,
            bot_username,
        })
    }

    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// Stops polling, lets in-flight handlers finish (bounded), confirms what was taken.
    pub async fn shutdown(self) {
        tracing::info!("stopping: no new updates; finishing in-flight work");
        self.shutdown.cancel();
        if let Err(error) = self.polling.await {
            tracing::error!(%error, "the polling task crashed");
        }
        self.dispatcher.close();
        if tokio::time::timeout(self.shutdown_timeout, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                timeout = ?self.shutdown_timeout,
                "some handlers did not finish in time; they will be replayed on the next start"
            );
        }
        self.store.close().await;
        tracing::info!("stopped");
    }

    /// Simulates a crash for tests: everything stops at once, nothing is confirmed.
    #[doc(hidden)]
    pub fn abort(self) {
        self.polling.abort();
        self.shutdown.cancel();
    }
}
