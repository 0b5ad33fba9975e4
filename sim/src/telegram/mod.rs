//! A Telegram Bot API simulator for tests and load tests: an HTTP server on 127.0.0.1 that
//! speaks the Bot API the way the real server does (same envelopes, error descriptions, HTML
//! parsing, text limits, flood limits with `retry_after` and a penalty box, long polling with
//! 409 on concurrent polls, drafts, files), plus a handle to play users and inspect what the
//! bot did. See `TELEGRAM.md` in the project's shared notes for the behaviour reproduced.

mod config;
mod control;
mod entity;
mod error;
mod flood;
pub mod html;
mod markup;
mod media;
mod methods;
mod model;
mod objects;
mod params;
mod server;
mod shared;
mod state;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::sync::Notify;

pub use config::{BucketSpec, FloodLimits, TelegramSimConfig};
pub use entity::{Entity, EntityKind, FormattedText, utf16_len};
pub use error::ApiError;
pub use model::{
    Attachment, SimChat, SimChatKind, SimEvent, SimEventKind, SimFile, SimMessage, SimStats,
    SimUser,
};

use shared::Shared;

/// Handle to a running simulator; clones share the same server.
#[derive(Clone)]
pub struct TelegramSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Arc<Notify>,
}

impl TelegramSim {
    /// Binds `config.bind_ip:config.port` (127.0.0.1:0 by default) and serves in the background
    /// of the current tokio runtime.
    pub async fn start(config: TelegramSimConfig) -> std::io::Result<TelegramSim> {
        let listener = tokio::net::TcpListener::bind((config.bind_ip, config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let shutdown = Arc::new(Notify::new());
        let app = server::router(Arc::clone(&shared));
        let stop = Arc::clone(&shutdown);
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.notified().await })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "telegram simulator stopped");
            }
        });
        Ok(TelegramSim {
            shared,
            addr,
            shutdown,
        })
    }

    /// `http://127.0.0.1:PORT`; the bot appends `/bot{token}/{method}`.
    pub fn api_url(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            self.addr.ip()
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token the simulator accepts.
    pub fn token(&self) -> String {
        self.shared.token.clone()
    }

    /// Stops accepting connections; in-flight requests finish.
    pub fn shutdown(&self) {
        self.shutdown.notify_one();
    }
}
