//! The bot under test as a separate process: its environment (pointing at the simulators,
//! quotas out of the way), a scratch directory for its database and log, and a handle that
//! kills it when dropped so no run leaves a bot behind.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use super::LoadtestError;

/// The fallback chain the run configures: `primary` first, `secondary` when it fails.
pub const PRIMARY_MODEL: &str = "primary";
pub const TEXT_MODELS: &str = "primary,secondary";

/// Variables taken from the load test's own environment when set.
const PASSED_THROUGH: [&str; 2] = ["RUST_LOG", "DRAFT_HZ"];

/// What the bot needs to know about the simulators and its files.
pub struct BotSetup<'a> {
    pub telegram_api_url: &'a str,
    pub token: &'a str,
    pub llm_base_url: &'a str,
    pub database: &'a Path,
    pub repo: &'a Path,
}

/// The bot's whole environment. Quotas are set far above what the run sends so that only
/// streaming is measured; everything else keeps the bot's defaults unless passed through.
pub fn bot_env(setup: &BotSetup<'_>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("TELEGRAM_BOT_TOKEN", setup.token.to_owned()),
        ("TELEGRAM_API_URL", setup.telegram_api_url.to_owned()),
        (
            "DATABASE_URL",
            format!("sqlite://{}", setup.database.display()),
        ),
        ("LLM_BASE_URL", setup.llm_base_url.to_owned()),
        ("LLM_TEXT_MODELS", TEXT_MODELS.to_owned()),
        ("FREE_DAILY_MESSAGES", "1000000".to_owned()),
        ("USER_MESSAGES_PER_MINUTE", "1000".to_owned()),
        (
            "PERSONALITIES_DIR",
            setup.repo.join("personalities").display().to_string(),
        ),
        (
            "PROMPTS_DIR",
            setup.repo.join("prompts").display().to_string(),
        ),
        ("POLL_TIMEOUT_SECONDS", "10".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    // Log levels and the draft rate are the operator's to vary between runs.
    for var in PASSED_THROUGH {
        if let Ok(value) = std::env::var(var) {
            env.push((var.to_owned(), value));
        }
    }
    env
}

/// A directory of its own under the system's temporary directory, removed when dropped.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn create() -> Result<ScratchDir, LoadtestError> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("tiltguard-loadtest-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .map_err(LoadtestError::io(format!("creating {}", path.display())))?;
        Ok(ScratchDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The running bot. Dropping it kills the process.
pub struct BotProcess {
    child: Child,
    log: PathBuf,
}

impl BotProcess {
    /// Starts `binary serve` in `workdir` (so no `.env` of the developer is read) with exactly
    /// `env`, logging to `workdir/bot.log`.
    pub fn spawn(
        binary: &Path,
        env: &[(String, String)],
        workdir: &Path,
    ) -> Result<BotProcess, LoadtestError> {
        if !binary.is_file() {
            return Err(LoadtestError::Setup(format!(
                "no bot binary at {} (build it with `cargo build --release`, or pass --bot)",
                binary.display()
            )));
        }
        let log = workdir.join("bot.log");
        let out = File::create(&log).map_err(LoadtestError::io("creating the bot log"))?;
        let err = out
            .try_clone()
            .map_err(LoadtestError::io("opening the bot log"))?;
        let child = Command::new(binary)
            .arg("serve")
            .current_dir(workdir)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(LoadtestError::io(format!("starting {}", binary.display())))?;
        Ok(BotProcess { child, log })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` once the process has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last `lines` lines of the bot's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// WARN and ERROR lines of the log grouped by level and target: a count and the first
    /// line of each of the first `limit` groups.
    pub fn log_problems(&self, limit: usize) -> Vec<String> {
        let text = strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default());
        let mut groups: Vec<(String, usize, &str)> = Vec::new();
        for line in text.lines() {
            let Some((level, rest)) = ["ERROR", "WARN"]
                .into_iter()
                .find_map(|level| line.split_once(level).map(|(_, rest)| (level, rest)))
            else {
                continue;
            };
            let target = rest.split(':').next().unwrap_or(rest).trim();
            let key = format!("{level} {target}");
            if let Some((_, count, _)) = groups.iter_mut().find(|(k, _, _)| *k == key) {
                *count += 1;
            } else if groups.len() < limit {
                groups.push((key, 1, line));
            }
        }
        groups
            .into_iter()
            .map(|(_, count, line)| format!("{count}x {line}"))
            .collect()
    }
}

/// The text without terminal colour codes (the bot colours its log even into a file).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC '[' parameters, ended by a letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bot_is_pointed_at_the_simulators_with_quotas_out_of_the_way() {
        let env = bot_env(&BotSetup {
            telegram_api_url: "http://127.0.0.1:1",
            token: "1:t",
            llm_base_url: "http://127.0.0.1:2/api/v1",
            database: Path::new("/scratch/bot.db"),
            repo: Path::new("/repo"),
        });
        let get = |k: &str| {
            env.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("DATABASE_URL"), Some("sqlite:///scratch/bot.db"));
        assert_eq!(get("LLM_TEXT_MODELS"), Some("primary,secondary"));
        assert_eq!(get("PROMPTS_DIR"), Some("/repo/prompts"));
        assert!(get("FREE_DAILY_MESSAGES").is_some_and(|v| v.parse::<u64>().unwrap() >= 1000));
        assert_eq!(get("HTTP_ADDR"), None, "no listener beyond the simulators");
    }

    #[test]
    fn colour_codes_are_removed_from_log_lines() {
        let line = "2025-01-01T00:00:00Z \u{1b}[33m WARN\u{1b}[0m \u{1b}[2mtiltguard::stream\u{1b}[0m: slow";
        assert_eq!(
            strip_ansi(line),
            "2025-01-01T00:00:00Z  WARN tiltguard::stream: slow"
        );
    }
}
