//! The bot token must never reach the logs, even when Telegram requests fail and errors are
//! logged. This binary installs its own global subscriber that captures every line.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{Harness, trader};
use tiltguard::telemetry::RedactingMakeWriter;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn failing_requests_are_logged_without_the_token() {
    let mut h = Harness::new().await;
    let token = h.telegram.token();
    let capture = Capture::default();
    let sink = capture.clone();
    let writer = RedactingMakeWriter::new(move || sink.clone(), vec![token.clone()]);
    tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_writer(writer)
        .with_ansi(false)
        .init();
    h.start().await;
    let (ann, chat) = trader(2001, "Ann");
    // Telegram fails the replies with 5xx, and one chat has blocked the bot.
    h.telegram.fail_next(3, 502);
    h.telegram.send_text(&chat, &ann, "/help");
    h.wait_for_bot_messages(chat.id, 1).await;
    let (bob, blocked) = trader(2002, "Bob");
    h.telegram.block_chat(blocked.id);
    h.telegram.send_text(&blocked, &bob, "/start");
    tokio::time::sleep(Duration::from_millis(500)).await;
    h.stop().await;
    // A dead endpoint: connection errors carry the URL unless it is stripped.
    let mut dead = Harness::new().await;
    dead.set("TELEGRAM_API_URL", "http://127.0.0.1:9");
    dead.set("TELEGRAM_BOT_TOKEN", token.clone());
    let failed = tiltguard::app::RunningBot::start(dead.config()).await;
    let error = failed.err().expect("unreachable Telegram fails start");
    tracing::error!(%error, "start failed as expected");
    assert!(!error.to_string().contains(&token));

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("retrying"),
        "the 5xx retries were logged:\n{logs}"
    );
    assert!(logs.contains("start failed"), "{logs}");
    let secret_part = token.split(':').nth(1).unwrap();
    assert!(
        !logs.contains(secret_part),
        "token leaked into logs:\n{logs}"
    );
}
