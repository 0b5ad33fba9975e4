//! Command-line options of the `loadtest` binary (pure parsing).

use std::path::PathBuf;
use std::time::Duration;

use super::LoadtestError;

pub const USAGE: &str = "usage: loadtest [--chats 250] [--group-share 0.2] [--reply-chars 1200] \
[--tokens-per-sec 40] [--first-token-ms 0] [--timeout-secs 180] [--bot PATH] [--repo DIR] \
[--timelines 1] [--fail-primary] [--api-latency-ms 0]";

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Concurrent conversations, each sending one message.
    pub chats: usize,
    /// Fraction of them that are groups (the bot is mentioned there).
    pub group_share: f64,
    pub reply_chars: usize,
    pub tokens_per_second: f64,
    /// The model's time to first token.
    pub first_token_delay: Duration,
    /// The run stops after this even if replies are missing.
    pub timeout: Duration,
    /// The bot binary; `None`: `tiltguard` next to this binary.
    pub bot: Option<PathBuf>,
    /// Where `personalities/` and `prompts/` are; `None`: this crate's workspace.
    pub repo: Option<PathBuf>,
    /// The primary model answers 503 to every request, so every reply comes from the fallback.
    pub fail_primary: bool,
    /// How long the Telegram simulator takes over each request, one after another on a
    /// connection, as a real server does (it answers at once otherwise).
    pub api_latency: Duration,
    /// How many private and how many group chats get their timeline printed.
    pub timelines: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            chats: 250,
            group_share: 0.2,
            reply_chars: 1200,
            tokens_per_second: 40.0,
            first_token_delay: Duration::ZERO,
            timeout: Duration::from_secs(180),
            bot: None,
            repo: None,
            fail_primary: false,
            api_latency: Duration::ZERO,
            timelines: 1,
        }
    }
}

fn bad(flag: &str, problem: &str) -> LoadtestError {
    LoadtestError::Usage(format!("{flag} {problem}\n{USAGE}"))
}

fn number<T: std::str::FromStr>(flag: &str, value: Option<&String>) -> Result<T, LoadtestError> {
    let value = value.ok_or_else(|| bad(flag, "needs a value"))?;
    value.parse().map_err(|_| bad(flag, "must be a number"))
}

impl Options {
    /// Parses the arguments after the program name.
    pub fn parse(args: &[String]) -> Result<Options, LoadtestError> {
        let mut options = Options::default();
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            match flag.as_str() {
                "--chats" => options.chats = number(flag, args.next())?,
                "--group-share" => options.group_share = number(flag, args.next())?,
                "--reply-chars" => options.reply_chars = number(flag, args.next())?,
                "--tokens-per-sec" => options.tokens_per_second = number(flag, args.next())?,
                "--first-token-ms" => {
                    options.first_token_delay = Duration::from_millis(number(flag, args.next())?);
                }
                "--timeout-secs" => {
                    options.timeout = Duration::from_secs(number(flag, args.next())?);
                }
                "--bot" => {
                    let path = args.next().ok_or_else(|| bad(flag, "needs a path"))?;
                    options.bot = Some(PathBuf::from(path));
                }
                "--repo" => {
                    let path = args.next().ok_or_else(|| bad(flag, "needs a directory"))?;
                    options.repo = Some(PathBuf::from(path));
                }
                "--timelines" => options.timelines = number(flag, args.next())?,
                "--fail-primary" => options.fail_primary = true,
                "--api-latency-ms" => {
                    options.api_latency = Duration::from_millis(number(flag, args.next())?);
                }
                "-h" | "--help" => return Err(LoadtestError::Usage(USAGE.to_owned())),
                other => return Err(bad(other, "is not an option")),
            }
        }
        if options.chats == 0 || options.chats > 10_000 {
            return Err(bad("--chats", "must be between 1 and 10000"));
        }
        if !(0.0..=1.0).contains(&options.group_share) {
            return Err(bad("--group-share", "must be between 0 and 1"));
        }
        if options.reply_chars == 0 {
            return Err(bad("--reply-chars", "must be at least 1"));
        }
        if !(options.tokens_per_second > 0.0 && options.tokens_per_second.is_finite()) {
            return Err(bad("--tokens-per-sec", "must be above 0"));
        }
        if options.timeout.is_zero() || options.timeout > Duration::from_secs(3600) {
            return Err(bad("--timeout-secs", "must be between 1 and 3600"));
        }
        Ok(options)
    }

    /// Whether chat `index` is a group: groups are spread evenly among the chats.
    pub fn is_group(&self, index: usize) -> bool {
        let groups = (self.chats as f64 * self.group_share).round() as usize;
        (index + 1) * groups / self.chats > index * groups / self.chats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, LoadtestError> {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        Options::parse(&args)
    }

    #[test]
    fn defaults_match_the_benchmark_of_the_issue() {
        let options = parse(&[]).expect("defaults");
        assert_eq!(options, Options::default());
        let groups = (0..options.chats).filter(|i| options.is_group(*i)).count();
        assert_eq!(groups, 50);
    }

    #[test]
    fn flags_are_read_and_bad_values_named() {
        let options = parse(&[
            "--chats",
            "10",
            "--group-share",
            "0.5",
            "--fail-primary",
            "--api-latency-ms",
            "25",
        ])
        .expect("valid");
        assert_eq!((options.chats, options.fail_primary), (10, true));
        assert_eq!(options.api_latency, Duration::from_millis(25));
        assert_eq!((0..10).filter(|i| options.is_group(*i)).count(), 5);
        for (args, named) in [
            (&["--chats", "0"][..], "--chats"),
            (&["--group-share", "2"][..], "--group-share"),
            (&["--tokens-per-sec", "x"][..], "--tokens-per-sec"),
            (&["--bot"][..], "--bot"),
            (&["--turbo"][..], "--turbo"),
        ] {
            let error = parse(args).expect_err("invalid").to_string();
            assert!(error.contains(named), "{error}");
        }
    }
}
