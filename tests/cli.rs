//! The `tiltguard` binary as the operator runs it.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Harness, trader};

fn tiltguard() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tiltguard"));
    // A clean environment and an empty directory: no stray .env is picked up.
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command.current_dir(std::env::temp_dir());
    command
}

#[test]
fn serve_without_a_token_names_the_variable_and_exits_non_zero() {
    let out = tiltguard().arg("serve").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("TELEGRAM_BOT_TOKEN") && stderr.contains(".env.example"),
        "{stderr}"
    );
}

#[test]
fn invalid_settings_are_named() {
    for (var, value) in [
        ("DATABASE_URL", "mysql://x/y"),
        ("TELEGRAM_API_URL", "telegram"),
        ("LLM_MAX_TOKENS", "many"),
    ] {
        let out = tiltguard()
            .arg("serve")
            .env("TELEGRAM_BOT_TOKEN", "123:abc")
            .env(var, value)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{var}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&format!("error: {var}")),
            "{var}: {stderr}"
        );
    }
}

#[test]
fn help_lists_every_subcommand() {
    let out = tiltguard().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in ["serve", "migrate", "chat", "scan", "verify"] {
        assert!(help.contains(sub), "{sub} missing from --help:\n{help}");
    }
}

#[test]
fn migrate_creates_the_sqlite_file_and_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/dir/tiltguard.db");
    let out = tiltguard()
        .arg("migrate")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(db.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_polling_confirms_and_exits_zero() {
    let h = Harness::new().await;
    let mut command = tiltguard();
    command
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in &h.env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let (ann, chat) = trader(3001, "Ann");
    h.telegram.send_text(&chat, &ann, "/help");
    h.wait_for_bot_messages(chat.id, 1).await;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the bot did not stop after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit status {exit:?}");
    assert_eq!(
        h.telegram.pending_updates(),
        0,
        "handled updates are confirmed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_terminal_chat_streams_the_chosen_coach() {
    use std::io::Write;
    let llm = tiltguard_sim::llm::LlmSim::start(Default::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut child = tiltguard()
        .args(["chat", "--persona", "zen"])
        .env("LLM_BASE_URL", llm.base_url())
        .env("LLM_TEXT_MODELS", "primary")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/chat.db", dir.path().display()),
        )
        .env("PERSONALITIES_DIR", format!("{root}/personalities"))
        .env("PROMPTS_DIR", format!("{root}/prompts"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "I keep moving my stop").unwrap();
    drop(stdin);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("The Zen Teacher"), "{stdout}");
    assert!(
        stdout.contains("You said: I keep moving my stop"),
        "{stdout}"
    );
    let request = llm.requests().pop().unwrap().json().unwrap();
    assert!(
        request["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Zen")
    );
}
