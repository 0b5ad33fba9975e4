//! Configuration of the Telegram simulator: identity of the bot, bind address, and the flood
//! limits it enforces (defaults follow Telegram's published limits).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// A token bucket: `burst` requests at once, then one more every `refill_every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketSpec {
    pub burst: u32,
    pub refill_every: Duration,
}

impl BucketSpec {
    pub const fn new(burst: u32, refill_every: Duration) -> BucketSpec {
        BucketSpec {
            burst,
            refill_every,
        }
    }
}

/// Flood limits, each a token bucket in (tokio) real time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloodLimits {
    /// Off: only injected floods produce 429.
    pub enabled: bool,
    /// sendMessage + edits per chat: ~1/s with short bursts.
    pub per_chat: BucketSpec,
    /// Edits per chat, on top of `per_chat`: about 20/min sustained.
    pub edits_per_chat: BucketSpec,
    /// Sends + edits per group or supergroup: 20/min.
    pub per_group: BucketSpec,
    /// Sends + edits across all chats: 30/s.
    pub bot_wide: BucketSpec,
    /// sendMessageDraft per chat; drafts count towards nothing else.
    pub drafts_per_chat: BucketSpec,
}

impl Default for FloodLimits {
    fn default() -> FloodLimits {
        FloodLimits {
            enabled: true,
            per_chat: BucketSpec::new(3, Duration::from_secs(1)),
            edits_per_chat: BucketSpec::new(3, Duration::from_secs(3)),
            per_group: BucketSpec::new(20, Duration::from_secs(3)),
            bot_wide: BucketSpec::new(30, Duration::from_micros(33_334)),
            drafts_per_chat: BucketSpec::new(5, Duration::from_millis(200)),
        }
    }
}

impl FloodLimits {
    /// No organic limits (tests that only care about other behaviour).
    pub fn disabled() -> FloodLimits {
        FloodLimits {
            enabled: false,
            ..FloodLimits::default()
        }
    }
}

#[derive(Debug, Clone)]
pub struct TelegramSimConfig {
    /// The only token the server accepts (`bot{token}` in the path).
    pub token: String,
    pub bot_id: i64,
    pub bot_first_name: String,
    pub bot_username: String,
    pub bind_ip: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    pub limits: FloodLimits,
    /// How long a draft stays visible without updates.
    pub draft_lifetime: Duration,
    /// After this, answerCallbackQuery reports the query as too old.
    pub callback_answer_window: Duration,
    /// Files larger than this can't be fetched with getFile (cloud Bot API: 20 MB).
    pub max_download_bytes: usize,
}

impl Default for TelegramSimConfig {
    fn default() -> TelegramSimConfig {
        TelegramSimConfig {
            token: "123456:TEST-token".to_owned(),
            bot_id: 123_456,
            bot_first_name: "TiltGuard".to_owned(),
            bot_username: "tiltguard_bot".to_owned(),
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            limits: FloodLimits::default(),
            draft_lifetime: Duration::from_secs(30),
            callback_answer_window: Duration::from_secs(15),
            max_download_bytes: 20 * 1024 * 1024,
        }
    }
}
