//! Fresh, isolated databases for tests: a temporary SQLite file always, and a private schema
//! on the Postgres server named by `TEST_DATABASE_URL` when that variable is set.

use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::Executor;

use super::{SeenChat, SeenUser, Store};

/// A new SQLite database in its own temporary file, migrated. Files from earlier runs that
/// are over an hour old are removed on the way, so test runs do not fill the disk.
pub async fn fresh_sqlite() -> Store {
    let dir = std::env::temp_dir().join("tiltguard-tests");
    let _ = std::fs::create_dir_all(&dir);
    remove_stale(&dir);
    let path = dir.join(format!("{}-{}.db", std::process::id(), fastrand::u64(..)));
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("temporary SQLite database");
    store.migrate().await.expect("SQLite migrations");
    store
}

fn remove_stale(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 3600);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A new schema on the test Postgres server, migrated; `None` (said loudly once) when
/// `TEST_DATABASE_URL` is unset.
pub async fn fresh_postgres() -> Option<Store> {
    static WARNED: AtomicBool = AtomicBool::new(false);
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        if !WARNED.swap(true, Ordering::Relaxed) {
            eprintln!(
                "\n*** TEST_DATABASE_URL is not set: the Postgres half of the store tests is \
                 SKIPPED. Set it (e.g. postgres://postgres@127.0.0.1:5432/test) to run it. ***\n"
            );
        }
        return None;
    };
    let schema = format!("t_{:016x}", fastrand::u64(..));
    let admin = Store::connect(&base)
        .await
        .expect("TEST_DATABASE_URL reachable");
    admin
        .conn()
        .await
        .expect("a connection to TEST_DATABASE_URL")
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .expect("create test schema");
    admin.close().await;
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    let store = Store::connect(&url).await.expect("connect to test schema");
    store.migrate().await.expect("Postgres migrations");
    Some(store)
}

/// A message in chat `id`, recorded as the bot records every message: its chat (seen again,
/// so no longer counted as blocked) and its sender (the chat's own id in a private chat).
pub async fn message_in(store: &Store, id: i64, kind: &str, title: Option<&str>) {
    let chat = SeenChat { id, kind, title };
    let sender = SeenUser {
        id: id.abs(),
        first_name: "Ann",
        username: None,
        language_code: None,
    };
    store
        .touch_chat_and_user(chat, sender)
        .await
        .expect("the message's chat and sender recorded");
}

/// Every store the environment offers, labelled for assertion messages.
pub async fn each_store() -> Vec<(&'static str, Store)> {
    let mut stores = vec![("sqlite", fresh_sqlite().await)];
    if let Some(pg) = fresh_postgres().await {
        stores.push(("postgres", pg));
    }
    stores
}
