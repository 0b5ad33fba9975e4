//! Every setting, read once from the environment (and `.env`) into one typed struct.
//!
//! Validation happens here, at start, so a typo in `.env` fails with one line that names the
//! variable instead of surfacing later as a confusing runtime error. `.env.example` documents
//! every variable read below; keep the two in step.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::payments::PaymentsConfig;
use crate::payments::config::PaymentsConfigError;
use crate::payments::plans::BillingConfig;
use crate::risk::RiskConfig;
use crate::risk::service::RiskConfigError;

/// A value that must never reach a log line or a `Debug` dump.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value, for the one place that puts it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Which database engine `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct TelegramConfig {
    pub token: Secret,
    pub api_url: String,
    /// Long-poll duration of one getUpdates call.
    pub poll_timeout: Duration,
}

/// The language models and how the coach uses them.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub text_models: String,
    pub vision_models: String,
    pub max_tokens: u32,
    pub context_tokens: u32,
    pub timeout: Duration,
    pub app_url: String,
    pub app_title: String,
    /// (model, USD per million prompt tokens, USD per million completion tokens).
    pub prices: Vec<(String, f64, f64)>,
    pub breaker_failures: u32,
    pub breaker_window: Duration,
    pub breaker_cooldown: Duration,
}

/// Per-user limits and the coach's pacing.
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    pub free_daily_messages: i64,
    pub user_messages_per_minute: u32,
    pub session_timeout: Duration,
    pub draft_hz: f64,
    pub max_image_bytes: u64,
    pub free_daily_scans: i64,
    pub scans_per_minute: u32,
    /// Daily coach replies and scans while a subscription is active.
    pub premium_daily_messages: i64,
    pub premium_daily_scans: i64,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `None` until `serve` asks for it: `migrate`, `scan` and `verify` run without a bot.
    pub telegram: Option<TelegramConfig>,
    pub llm: LlmConfig,
    pub limits: LimitsConfig,
    pub risk: RiskConfig,
    pub payments: PaymentsConfig,
    /// Plans, invoice lifetime and the payment watcher.
    pub billing: BillingConfig,
    pub whales: crate::whales::WhaleSettings,
    pub database_url: String,
    pub database_kind: DatabaseKind,
    pub admin_user_ids: Vec<i64>,
    pub log_format: LogFormat,
    pub http_addr: Option<SocketAddr>,
    pub personalities_dir: PathBuf,
    pub prompts_dir: PathBuf,
    pub default_persona: String,
    /// How long a stopping bot waits for in-flight handlers before it exits anyway.
    pub shutdown_timeout: Duration,
}

/// A setting that is missing or malformed. Its `Display` is the one line the operator sees.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var} {problem} (see .env.example)")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    /// A section's own error, re-labelled with its variable; a message that already starts
    /// with the variable's name is not repeated ("X: bad" → "X bad").
    fn from_section(var: &'static str, error: &dyn std::fmt::Display) -> Self {
        let text = error.to_string();
        let problem = text
            .strip_prefix(var)
            .map(|rest| rest.trim_start_matches(':').trim_start())
            .unwrap_or(&text);
        ConfigError::new(var, problem.to_string())
    }

    fn new(var: &'static str, problem: impl Into<String>) -> Self {
        ConfigError {
            var,
            problem: problem.into(),
        }
    }
}

/// Where settings come from: the process environment in production, a map in tests.
pub trait Source {
    fn get(&self, key: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
}

impl Source for HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key).cloned()
    }
}

/// Reads one variable; blank counts as unset so `FOO=` in `.env` means "use the default".
pub(crate) fn read(source: &dyn Source, var: &str) -> Option<String> {
    source
        .get(var)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

pub(crate) fn parse_number<T: std::str::FromStr>(
    source: &dyn Source,
    var: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match read(source, var) {
        None => Ok(default),
        Some(raw) => raw
            .parse()
            .map_err(|_| ConfigError::new(var, format!("must be a number, got {raw:?}"))),
    }
}

pub(crate) fn parse_url(
    source: &dyn Source,
    var: &'static str,
    default: &str,
) -> Result<String, ConfigError> {
    let raw = read(source, var).unwrap_or_else(|| default.to_string());
    let url = reqwest::Url::parse(&raw)
        .map_err(|e| ConfigError::new(var, format!("is not a valid URL ({e}): {raw:?}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(
            var,
            format!("must be an http(s) URL, got {raw:?}"),
        ));
    }
    Ok(raw.trim_end_matches('/').to_string())
}

fn parse_database_url(source: &dyn Source) -> Result<(String, DatabaseKind), ConfigError> {
    const VAR: &str = "DATABASE_URL";
    let url = read(source, VAR).unwrap_or_else(|| "sqlite://data/tiltguard.db".to_string());
    let kind = if url.starts_with("sqlite:") {
        DatabaseKind::Sqlite
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        DatabaseKind::Postgres
    } else {
        let scheme = url.split(':').next().unwrap_or_default();
        return Err(ConfigError::new(
            VAR,
            format!("has unknown scheme {scheme:?}: use sqlite://path/to/file.db or postgres://…"),
        ));
    };
    Ok((url, kind))
}

fn parse_admins(source: &dyn Source) -> Result<Vec<i64>, ConfigError> {
    const VAR: &str = "ADMIN_USER_IDS";
    let Some(raw) = read(source, VAR) else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<i64>().map_err(|_| {
                ConfigError::new(
                    VAR,
                    format!("must be comma-separated numeric Telegram user ids, got {part:?}"),
                )
            })
        })
        .collect()
}

fn parse_token(raw: &str) -> Result<Secret, ConfigError> {
    // Bot tokens look like "123456789:AA…"; catching a pasted username or URL here saves the
    // operator a confusing 401 later. The value itself is never echoed back.
    let valid = raw.split_once(':').is_some_and(|(id, rest)| {
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty()
    }) && !raw.chars().any(char::is_whitespace);
    if valid {
        Ok(Secret::new(raw))
    } else {
        Err(ConfigError::new(
            "TELEGRAM_BOT_TOKEN",
            "does not look like a bot token (expected <digits>:<secret> from @BotFather)",
        ))
    }
}

fn parse_prices(source: &dyn Source) -> Result<Vec<(String, f64, f64)>, ConfigError> {
    const VAR: &str = "MODEL_PRICES";
    let Some(raw) = read(source, VAR) else {
        return Ok(Vec::new());
    };
    raw.split(';')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let bad = || {
                ConfigError::new(
                    VAR,
                    format!("entries look like model=prompt/completion (USD per 1M tokens), got {entry:?}"),
                )
            };
            let (model, prices) = entry.rsplit_once('=').ok_or_else(bad)?;
            let (prompt, completion) = prices.split_once('/').ok_or_else(bad)?;
            let prompt: f64 = prompt.trim().parse().map_err(|_| bad())?;
            let completion: f64 = completion.trim().parse().map_err(|_| bad())?;
            if prompt < 0.0 || completion < 0.0 {
                return Err(bad());
            }
            Ok((model.trim().to_string(), prompt, completion))
        })
        .collect()
}

fn load_llm(source: &dyn Source) -> Result<LlmConfig, ConfigError> {
    let models = |var: &'static str, default: &str| -> Result<String, ConfigError> {
        let chain = read(source, var).unwrap_or_else(|| default.to_string());
        if chain.split(',').all(|m| m.trim().is_empty()) {
            return Err(ConfigError::new(var, "must name at least one model"));
        }
        Ok(chain)
    };
    let max_tokens = parse_number(source, "LLM_MAX_TOKENS", 1024u32)?;
    let context_tokens = parse_number(source, "LLM_CONTEXT_TOKENS", 32_000u32)?;
    if max_tokens == 0 || context_tokens < max_tokens + 512 {
        return Err(ConfigError::new(
            "LLM_CONTEXT_TOKENS",
            format!(
                "must leave room for LLM_MAX_TOKENS ({max_tokens}) plus at least 512 tokens of prompt"
            ),
        ));
    }
    Ok(LlmConfig {
        base_url: parse_url(source, "LLM_BASE_URL", "https://openrouter.ai/api/v1")?,
        api_key: read(source, "LLM_API_KEY").map(Secret::new),
        text_models: models(
            "LLM_TEXT_MODELS",
            "deepseek/deepseek-chat,openai/gpt-4o-mini",
        )?,
        vision_models: models(
            "LLM_VISION_MODELS",
            "google/gemini-2.5-flash,openai/gpt-4o-mini",
        )?,
        max_tokens,
        context_tokens,
        timeout: Duration::from_secs(parse_number(source, "LLM_TIMEOUT_SECONDS", 60u64)?),
        app_url: read(source, "LLM_APP_URL")
            .unwrap_or_else(|| "https://github.com/tiltguard/tiltguard".into()),
        app_title: read(source, "LLM_APP_TITLE").unwrap_or_else(|| "tiltguard".into()),
        prices: parse_prices(source)?,
        breaker_failures: parse_number(source, "BREAKER_FAILURES", 3u32)?.max(1),
        breaker_window: Duration::from_secs(parse_number(source, "BREAKER_WINDOW_SECONDS", 60u64)?),
        breaker_cooldown: Duration::from_secs(parse_number(
            source,
            "BREAKER_COOLDOWN_SECONDS",
            30u64,
        )?),
    })
}

fn load_limits(source: &dyn Source) -> Result<LimitsConfig, ConfigError> {
    let draft_hz = parse_number(source, "DRAFT_HZ", 4.0f64)?;
    if !(0.2..=20.0).contains(&draft_hz) {
        return Err(ConfigError::new("DRAFT_HZ", "must be between 0.2 and 20"));
    }
    Ok(LimitsConfig {
        free_daily_messages: parse_number(source, "FREE_DAILY_MESSAGES", 30i64)?,
        user_messages_per_minute: parse_number(source, "USER_MESSAGES_PER_MINUTE", 8u32)?.max(1),
        session_timeout: Duration::from_secs(
            60 * parse_number(source, "SESSION_TIMEOUT_MINUTES", 60u64)?,
        ),
        draft_hz,
        max_image_bytes: parse_number(source, "MAX_IMAGE_BYTES", 5_000_000u64)?,
        free_daily_scans: parse_number(source, "FREE_DAILY_SCANS", 10i64)?,
        scans_per_minute: parse_number(source, "SCANS_PER_MINUTE", 5u32)?.max(1),
        premium_daily_messages: parse_premium(source, "PREMIUM_DAILY_MESSAGES", 300)?,
        premium_daily_scans: parse_premium(source, "PREMIUM_DAILY_SCANS", 100)?,
    })
}

fn parse_premium(source: &dyn Source, var: &'static str, default: i64) -> Result<i64, ConfigError> {
    let value = parse_number(source, var, default)?;
    if value < 1 {
        return Err(ConfigError::new(
            var,
            format!("must be at least 1, got {value}"),
        ));
    }
    Ok(value)
}

fn load_billing(source: &dyn Source) -> Result<BillingConfig, ConfigError> {
    parse_url(
        source,
        "TRONGRID_API_URL",
        crate::payments::plans::DEFAULT_TRONGRID_API_URL,
    )?;
    BillingConfig::from_lookup(|name| source.get(name)).map_err(|error| {
        let problem = error.problem.clone();
        ConfigError::new(error.variable, problem)
    })
}

fn load_payments(source: &dyn Source) -> Result<PaymentsConfig, ConfigError> {
    parse_url(
        source,
        "ETHERSCAN_API_URL",
        "https://api.etherscan.io/v2/api",
    )?;
    parse_url(
        source,
        "TRONSCAN_API_URL",
        "https://apilist.tronscanapi.com",
    )?;
    parse_url(
        source,
        "SOLANA_RPC_URL",
        "https://api.mainnet-beta.solana.com",
    )?;
    PaymentsConfig::from_lookup(|name| source.get(name)).map_err(|error| {
        let var = match &error {
            PaymentsConfigError::Address { variable, .. } => *variable,
            PaymentsConfigError::Confirmations(_) => "ETH_MIN_CONFIRMATIONS",
        };
        ConfigError::from_section(var, &error)
    })
}

fn load_risk(source: &dyn Source) -> Result<RiskConfig, ConfigError> {
    RiskConfig::from_lookup(|name| source.get(name)).map_err(|error| {
        let var = match &error {
            RiskConfigError::BadUrl { name, .. } => *name,
            RiskConfigError::BadTtl(_) => "SCAN_CACHE_TTL_SECONDS",
            RiskConfigError::BadAllowlist(_) => "RISK_ISSUER_ALLOWLIST",
            RiskConfigError::HalfCredentials { missing, .. } => *missing,
            _ => "SCAN_EVM_CHAINS",
        };
        ConfigError::from_section(var, &error)
    })
}

impl Config {
    /// Loads everything except the Telegram part; `require_telegram` adds it.
    pub fn load(source: &dyn Source) -> Result<Config, ConfigError> {
        let (database_url, database_kind) = parse_database_url(source)?;
        let log_format = match read(source, "LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "LOG_FORMAT",
                    format!("must be text or json, got {other:?}"),
                ));
            }
        };
        let http_addr = match read(source, "HTTP_ADDR") {
            None => None,
            Some(raw) => Some(raw.parse::<SocketAddr>().map_err(|_| {
                ConfigError::new(
                    "HTTP_ADDR",
                    format!("must be host:port such as 0.0.0.0:8080, got {raw:?}"),
                )
            })?),
        };
        let telegram = match read(source, "TELEGRAM_BOT_TOKEN") {
            None => None,
            Some(raw) => Some(TelegramConfig {
                token: parse_token(&raw)?,
                api_url: parse_url(source, "TELEGRAM_API_URL", "https://api.telegram.org")?,
                poll_timeout: Duration::from_secs(parse_number(
                    source,
                    "POLL_TIMEOUT_SECONDS",
                    25u64,
                )?),
            }),
        };
        Ok(Config {
            telegram,
            llm: load_llm(source)?,
            limits: load_limits(source)?,
            risk: load_risk(source)?,
            payments: load_payments(source)?,
            billing: load_billing(source)?,
            whales: crate::whales::WhaleSettings::from_lookup(|name| source.get(name))
                .map_err(|(var, problem)| ConfigError::new(var, problem))?,
            database_url,
            database_kind,
            admin_user_ids: parse_admins(source)?,
            log_format,
            http_addr,
            personalities_dir: read(source, "PERSONALITIES_DIR")
                .unwrap_or_else(|| "personalities".into())
                .into(),
            prompts_dir: read(source, "PROMPTS_DIR")
                .unwrap_or_else(|| "prompts".into())
                .into(),
            default_persona: read(source, "DEFAULT_PERSONA").unwrap_or_else(|| "stoic".into()),
            shutdown_timeout: Duration::from_secs(parse_number(
                source,
                "SHUTDOWN_TIMEOUT_SECONDS",
                20u64,
            )?),
        })
    }

    /// The Telegram settings, or the error `serve` reports when the token is missing.
    pub fn require_telegram(&self) -> Result<&TelegramConfig, ConfigError> {
        self.telegram.as_ref().ok_or_else(|| {
            ConfigError::new(
                "TELEGRAM_BOT_TOKEN",
                "is not set: put your @BotFather token in .env",
            )
        })
    }

    /// "SQLite" or "Postgres", for messages that must not echo the URL (it may hold a password).
    pub fn database_kind_label(&self) -> &'static str {
        match self.database_kind {
            DatabaseKind::Sqlite => "SQLite",
            DatabaseKind::Postgres => "Postgres",
        }
    }

    pub fn is_admin(&self, user_id: i64) -> bool {
        self.admin_user_ids.contains(&user_id)
    }
}

#[cfg(test)]
mod tests;
