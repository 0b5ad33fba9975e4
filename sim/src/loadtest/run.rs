//! One benchmark run: both simulators in this process, the bot as a child process, every chat
//! sending its message at once, then the logs of both simulators turned into a [`Report`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

use super::bot::{BotProcess, BotSetup, PRIMARY_MODEL, ScratchDir, bot_env};
use super::measure::{Shown, coverage, delivered_complete, measure_stream};
use super::report::{Report, Spread, cpu_phases_note};
use super::{LoadtestError, Options, procfs, prose};
use crate::llm::{Emission, LlmFailure, LlmSim, LlmSimConfig, Timing};
use crate::telegram::{SimChat, SimEvent, SimEventKind, SimUser, TelegramSim, TelegramSimConfig};

const STARTUP_LIMIT: Duration = Duration::from_secs(30);
const POLL_EVERY: Duration = Duration::from_millis(200);
/// With nothing streaming and nothing shown for this long, missing replies will not come.
const QUIET_LIMIT: Duration = Duration::from_secs(15);

/// The report and what helps explain it.
pub struct RunOutcome {
    pub report: Report,
    /// Rejections by reason, LLM requests per model, the bot's warnings.
    pub notes: Vec<String>,
}

struct PlannedChat {
    chat: SimChat,
    user: SimUser,
    text: String,
    reply: String,
}

fn plan_chats(options: &Options, bot_username: &str) -> Vec<PlannedChat> {
    (0..options.chats)
        .map(|index| {
            let group = options.is_group(index);
            let user = SimUser::new(500_000_000 + index as i64, &format!("Trader {index}"));
            let chat = if group {
                SimChat::supergroup(-1_001_000_000_000 - index as i64, &format!("Desk {index}"))
            } else {
                SimChat::private(&user)
            };
            PlannedChat {
                chat,
                user,
                text: prose::user_message(index, group, bot_username),
                reply: prose::reply_for(index, options.reply_chars),
            }
        })
        .collect()
}

fn default_bot_path() -> Result<PathBuf, LoadtestError> {
    let exe = std::env::current_exe().map_err(LoadtestError::io("locating this binary"))?;
    Ok(exe.with_file_name("tiltguard"))
}

fn default_repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn wait_until_polling(
    telegram: &TelegramSim,
    bot: &mut BotProcess,
) -> Result<(), LoadtestError> {
    let deadline = Instant::now() + STARTUP_LIMIT;
    while telegram.stats().method("getUpdates") == 0 {
        if let Some(status) = bot.exited() {
            return Err(LoadtestError::Setup(format!(
                "the bot exited at start ({status}):\n{}",
                bot.log_tail(20)
            )));
        }
        if Instant::now() >= deadline {
            return Err(LoadtestError::Setup(format!(
                "the bot did not poll for updates within {STARTUP_LIMIT:?}:\n{}",
                bot.log_tail(20)
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

fn is_delivered(telegram: &TelegramSim, planned: &PlannedChat) -> bool {
    let texts: Vec<String> = telegram
        .bot_messages(planned.chat.id)
        .into_iter()
        .map(|m| m.text)
        .collect();
    delivered_complete(&planned.reply, &texts)
}

/// How the wait ended, and the most file descriptors (mostly sockets) the bot held meanwhile.
struct Waited {
    all_arrived: bool,
    peak_fds: usize,
    /// The bot's CPU time when the models had sent their last token (the final messages
    /// may still be waiting for their slots then).
    cpu_when_streams_ended: Option<procfs::CpuTime>,
}

/// Waits until every reply is delivered, the run goes quiet, or the timeout.
async fn wait_for_delivery(
    telegram: &TelegramSim,
    llm: &LlmSim,
    chats: &[PlannedChat],
    timeout: Duration,
    bot: &mut BotProcess,
) -> Result<Waited, LoadtestError> {
    let deadline = Instant::now() + timeout;
    let mut pending: Vec<&PlannedChat> = chats.iter().collect();
    let mut last_count = telegram.event_count();
    let mut last_change = Instant::now();
    let mut peak_fds = 0;
    let mut cpu_when_streams_ended = None;
    loop {
        peak_fds = peak_fds.max(procfs::open_fds(bot.pid()).unwrap_or(0));
        let streams = llm.stats();
        if cpu_when_streams_ended.is_none()
            && streams.active_streams == 0
            && streams.completed_streams as usize >= chats.len()
        {
            cpu_when_streams_ended = procfs::cpu_time(bot.pid()).ok();
        }
        pending.retain(|planned| !is_delivered(telegram, planned));
        if pending.is_empty() {
            return Ok(Waited {
                all_arrived: true,
                peak_fds,
                cpu_when_streams_ended,
            });
        }
        if let Some(status) = bot.exited() {
            return Err(LoadtestError::Setup(format!(
                "the bot exited during the run ({status}):\n{}",
                bot.log_tail(20)
            )));
        }
        let count = telegram.event_count();
        if count != last_count || streams.active_streams > 0 {
            last_count = count;
            last_change = Instant::now();
        }
        if Instant::now() >= deadline || last_change.elapsed() >= QUIET_LIMIT {
            return Ok(Waited {
                all_arrived: false,
                peak_fds,
                cpu_when_streams_ended,
            });
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

fn visible_change(event: &SimEvent) -> bool {
    matches!(
        event.kind,
        SimEventKind::Send | SimEventKind::Edit | SimEventKind::Draft
    )
}

/// Turns the simulators' logs into the report's figures.
fn measure(
    chats: &[PlannedChat],
    sent_at: &[Instant],
    events: &[SimEvent],
    emissions: &[Emission],
    delivered: &[bool],
) -> Report {
    let mut shown_by_chat: HashMap<i64, Vec<Shown<'_>>> = HashMap::new();
    for event in events.iter().filter(|e| visible_change(e)) {
        shown_by_chat.entry(event.chat_id).or_default().push(Shown {
            at: event.at,
            text: &event.text,
        });
    }
    // A chat whose first model failed has several requests; the longest stream is its reply.
    let mut stream_by_chat: HashMap<usize, &Emission> = HashMap::new();
    for emission in emissions {
        if let Some(index) = prose::chat_index(&emission.last_user_text) {
            let best = stream_by_chat.entry(index).or_insert(emission);
            if emission.content_len() > best.content_len() {
                *best = emission;
            }
        }
    }
    let mut report = Report::default();
    let (mut lag_private, mut lag_group) = (Vec::new(), Vec::new());
    let (mut first_private, mut first_group) = (Vec::new(), Vec::new());
    for (index, planned) in chats.iter().enumerate() {
        let group = planned.chat.is_group();
        let shown = shown_by_chat
            .get(&planned.chat.id)
            .map_or(&[][..], Vec::as_slice);
        let writes = stream_by_chat
            .get(&index)
            .map_or(&[][..], |e| e.writes.as_slice());
        let measured = measure_stream(&planned.reply, writes, shown);
        report.never_shown += measured.never_shown;
        let first = measured
            .first_visible
            .map(|at| at.saturating_duration_since(sent_at[index]));
        let (lags, firsts, total, ok) = if group {
            (
                &mut lag_group,
                &mut first_group,
                &mut report.group_chats,
                &mut report.delivered_group,
            )
        } else {
            (
                &mut lag_private,
                &mut first_private,
                &mut report.private_chats,
                &mut report.delivered_private,
            )
        };
        lags.extend(measured.lags);
        firsts.extend(first);
        *total += 1;
        *ok += usize::from(delivered[index]);
    }
    report.lag_private = Spread::of(&lag_private);
    report.lag_group = Spread::of(&lag_group);
    report.first_token_private = Spread::of(&first_private);
    report.first_token_group = Spread::of(&first_group);
    report
}

/// Rejections the bot received, by method, status and description, most frequent first.
fn rejection_notes(events: &[SimEvent]) -> Vec<String> {
    let mut counts: HashMap<(String, u16, String), usize> = HashMap::new();
    for event in events {
        if let SimEventKind::Rejected { code, description } = &event.kind {
            *counts
                .entry((event.method.clone(), *code, description.clone()))
                .or_default() += 1;
        }
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    counts
        .into_iter()
        .take(8)
        .map(|((method, code, description), n)| {
            format!("rejected {n}x: {method} {code} {description}")
        })
        .collect()
}

/// One chat's story in one line, times from its message: what was generated when, and each
/// visible change with how much of the reply it showed.
fn timeline_note(
    planned: &PlannedChat,
    sent_at: Instant,
    events: &[SimEvent],
    emission: Option<&Emission>,
) -> String {
    let since = |at: Instant| at.saturating_duration_since(sent_at).as_secs_f64();
    let mut line = format!("timeline of chat {}:", planned.chat.id);
    if let Some(writes) = emission.map(|e| &e.writes).filter(|w| !w.is_empty()) {
        let (first, last) = (writes[0], writes[writes.len() - 1]);
        line.push_str(&format!(
            " generated {:.2}-{:.2} s ({} bytes);",
            since(first.at),
            since(last.at),
            last.content_len
        ));
    }
    for event in events
        .iter()
        .filter(|e| e.chat_id == planned.chat.id && visible_change(e))
    {
        line.push_str(&format!(
            " {:?} {:.2} s ({} bytes)",
            event.kind,
            since(event.at),
            coverage(&planned.reply, &event.text)
        ));
    }
    line
}

fn llm_notes(llm: &LlmSim) -> Vec<String> {
    let mut per_model: HashMap<String, usize> = HashMap::new();
    for request in llm.requests() {
        *per_model
            .entry(request.model().unwrap_or_else(|| "?".to_owned()))
            .or_default() += 1;
    }
    let mut models: Vec<_> = per_model.into_iter().collect();
    models.sort();
    let stats = llm.stats();
    let listed: Vec<String> = models.iter().map(|(m, n)| format!("{m} {n}")).collect();
    vec![format!(
        "LLM requests: {} (completed streams {}, cancelled {})",
        listed.join(", "),
        stats.completed_streams,
        stats.cancelled_streams
    )]
}

/// Runs the benchmark once. Errors only when the run itself could not be set up or the bot
/// died; the bot missing a target is in the report.
pub async fn run(options: &Options) -> Result<RunOutcome, LoadtestError> {
    let telegram_config = TelegramSimConfig::default();
    let bot_username = telegram_config.bot_username.clone();
    let telegram = TelegramSim::start(telegram_config)
        .await
        .map_err(LoadtestError::io("starting the Telegram simulator"))?;
    telegram.set_latency(options.api_latency);
    let llm = LlmSim::start(LlmSimConfig {
        timing: Timing::new(options.tokens_per_second, options.first_token_delay),
        ..LlmSimConfig::default()
    })
    .await
    .map_err(LoadtestError::io("starting the LLM simulator"))?;
    let reply_chars = options.reply_chars;
    llm.set_reply_builder(move |ctx| match prose::chat_index(&ctx.last_user_text) {
        Some(index) => prose::reply_for(index, reply_chars),
        // Not a load-test message (a background summary, say): a short answer will do.
        None => "Noted.".to_owned(),
    });
    llm.record_emissions(true);
    if options.fail_primary {
        llm.fail_model(PRIMARY_MODEL, LlmFailure::Status(503));
    }

    let scratch = ScratchDir::create()?;
    let bot_path = match &options.bot {
        Some(path) => path.clone(),
        None => default_bot_path()?,
    };
    let repo = options.repo.clone().unwrap_or_else(default_repo);
    let database = scratch.path().join("bot.db");
    let env = bot_env(&BotSetup {
        telegram_api_url: &telegram.api_url(),
        token: &telegram.token(),
        llm_base_url: &llm.base_url(),
        database: &database,
        repo: &repo,
    });
    let mut bot = BotProcess::spawn(&bot_path, &env, scratch.path())?;
    wait_until_polling(&telegram, &mut bot).await?;

    let chats = plan_chats(options, &bot_username);
    let cpu_before = procfs::cpu_time(bot.pid())?;
    let started = Instant::now();
    let sent_at: Vec<Instant> = chats
        .iter()
        .map(|planned| {
            telegram.send_text(&planned.chat, &planned.user, &planned.text);
            Instant::now()
        })
        .collect();
    let waited = wait_for_delivery(&telegram, &llm, &chats, options.timeout, &mut bot).await?;
    let all_arrived = waited.all_arrived;
    let stopped = Instant::now();
    // Streams are logged when they end; the last ones end just before their final message.
    llm.wait_until_idle(Duration::from_secs(5)).await;
    let bot_cpu = procfs::cpu_time(bot.pid())?.since(cpu_before);
    let bot_peak_rss_kib = procfs::peak_rss_kib(bot.pid()).ok();
    let problems = bot.log_problems(6);
    drop(bot);

    let events = telegram.events();
    let delivered: Vec<bool> = chats.iter().map(|c| is_delivered(&telegram, c)).collect();
    let emissions = llm.emissions();
    let mut report = measure(&chats, &sent_at, &events, &emissions, &delivered);
    let stats = telegram.stats();
    report.status_429 = stats.status_429;
    report.status_400 = stats.status_400;
    report.bot_cpu = bot_cpu.total();
    report.bot_peak_rss_kib = bot_peak_rss_kib;
    report.timed_out = !all_arrived;
    let last_shown = events
        .iter()
        .filter(|e| visible_change(e))
        .map(|e| e.at)
        .max();
    report.wall = if all_arrived {
        last_shown.map_or(stopped, |at| at.max(started)) - started
    } else {
        stopped - started
    };

    let mut notes = rejection_notes(&events);
    // The first private and group chats, as examples of what the figures sum up.
    for group in [false, true] {
        let examples = (0..chats.len()).filter(|i| chats[*i].chat.is_group() == group);
        for index in examples.take(options.timelines) {
            let emission = emissions
                .iter()
                .filter(|e| prose::chat_index(&e.last_user_text) == Some(index))
                .max_by_key(|e| e.content_len());
            notes.push(timeline_note(
                &chats[index],
                sent_at[index],
                &events,
                emission,
            ));
        }
    }
    notes.extend(llm_notes(&llm));
    notes.push(format!(
        "bot CPU while streaming: user {:.2} s, system {:.2} s",
        bot_cpu.user.as_secs_f64(),
        bot_cpu.system.as_secs_f64()
    ));
    if let Some(ended) = waited.cpu_when_streams_ended {
        notes.push(cpu_phases_note(
            ended.since(cpu_before).total(),
            bot_cpu.total(),
            chats.len(),
        ));
    }
    notes.push(format!(
        "bot open file descriptors (sockets mostly), peak while streaming: {}",
        waited.peak_fds
    ));
    notes.extend(problems.into_iter().map(|p| format!("bot log: {p}")));
    Ok(RunOutcome { report, notes })
}
