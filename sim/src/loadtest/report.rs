//! The figures of one load-test run and the table that compares them with the targets of the
//! streaming coach (pure: numbers in, text out).

use std::fmt::Write as _;
use std::time::Duration;

/// Nearest-rank percentile (`p` in 0..=100) of unsorted samples; `None` without samples.
pub fn percentile(samples: &[Duration], p: f64) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// p50 and p95 of a set of durations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spread {
    pub p50: Option<Duration>,
    pub p95: Option<Duration>,
    pub samples: usize,
}

impl Spread {
    pub fn of(samples: &[Duration]) -> Spread {
        Spread {
            p50: percentile(samples, 50.0),
            p95: percentile(samples, 95.0),
            samples: samples.len(),
        }
    }

    fn describe(&self) -> String {
        match (self.p50, self.p95) {
            (Some(p50), Some(p95)) => format!(
                "p50 {} / p95 {} ({} samples)",
                seconds(p50),
                seconds(p95),
                self.samples
            ),
            _ => "no samples".to_owned(),
        }
    }
}

/// Everything the run measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub private_chats: usize,
    pub group_chats: usize,
    pub delivered_private: usize,
    pub delivered_group: usize,
    pub status_429: u64,
    pub status_400: u64,
    pub lag_private: Spread,
    pub lag_group: Spread,
    /// Generated prefixes that never became visible.
    pub never_shown: usize,
    pub first_token_private: Spread,
    pub first_token_group: Spread,
    /// User + system CPU of the bot process while the replies streamed.
    pub bot_cpu: Duration,
    pub bot_peak_rss_kib: Option<u64>,
    pub wall: Duration,
    pub timed_out: bool,
}

/// The targets of the streaming coach.
pub const MAX_LAG_PRIVATE: Duration = Duration::from_millis(600);
pub const MAX_LAG_GROUP: Duration = Duration::from_millis(3500);
pub const MAX_CPU_PER_REPLY: Duration = Duration::from_millis(1);
pub const MAX_RSS_KIB: u64 = 30 * 1024;

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

impl Report {
    pub fn chats(&self) -> usize {
        self.private_chats + self.group_chats
    }

    pub fn delivered(&self) -> usize {
        self.delivered_private + self.delivered_group
    }

    /// CPU per delivered reply; `None` when nothing was delivered.
    pub fn cpu_per_reply(&self) -> Option<Duration> {
        u32::try_from(self.delivered())
            .ok()
            .filter(|n| *n > 0)
            .map(|n| self.bot_cpu / n)
    }

    /// (figure, measured, target, verdict) rows; verdict "info" where the issue sets no target.
    pub fn rows(&self) -> Vec<[String; 4]> {
        let lag_row = |name: &str, spread: &Spread, max: Duration| {
            let pass = spread.p95.is_some_and(|p95| p95 <= max);
            [
                name.to_owned(),
                spread.describe(),
                format!("p95 <= {}", seconds(max)),
                verdict(pass).to_owned(),
            ]
        };
        let delivered = self.delivered();
        let mut rows = vec![
            [
                "replies delivered complete".to_owned(),
                format!(
                    "{delivered}/{} (private {}/{}, group {}/{})",
                    self.chats(),
                    self.delivered_private,
                    self.private_chats,
                    self.delivered_group,
                    self.group_chats
                ),
                "100%".to_owned(),
                verdict(delivered == self.chats() && !self.timed_out).to_owned(),
            ],
            [
                "429s received by the bot".to_owned(),
                self.status_429.to_string(),
                "0".to_owned(),
                verdict(self.status_429 == 0).to_owned(),
            ],
            [
                "400s received by the bot".to_owned(),
                self.status_400.to_string(),
                "0".to_owned(),
                verdict(self.status_400 == 0).to_owned(),
            ],
            lag_row(
                "lag generated->visible, private",
                &self.lag_private,
                MAX_LAG_PRIVATE,
            ),
            lag_row(
                "lag generated->visible, group",
                &self.lag_group,
                MAX_LAG_GROUP,
            ),
        ];
        for (name, spread) in [
            ("first visible token, private", &self.first_token_private),
            ("first visible token, group", &self.first_token_group),
        ] {
            rows.push([
                name.to_owned(),
                spread.describe(),
                "-".to_owned(),
                "info".to_owned(),
            ]);
        }
        let cpu = self.cpu_per_reply();
        rows.push([
            "bot CPU per reply".to_owned(),
            match cpu {
                Some(cpu) => format!(
                    "{:.3} ms ({:.2} s total)",
                    cpu.as_secs_f64() * 1e3,
                    self.bot_cpu.as_secs_f64()
                ),
                None => "no reply delivered".to_owned(),
            },
            "<= 1 ms".to_owned(),
            verdict(cpu.is_some_and(|c| c <= MAX_CPU_PER_REPLY)).to_owned(),
        ]);
        rows.push([
            "bot peak RSS".to_owned(),
            self.bot_peak_rss_kib.map_or("unknown".to_owned(), |kib| {
                format!("{:.1} MB", kib as f64 / 1024.0)
            }),
            "<= 30 MB".to_owned(),
            verdict(self.bot_peak_rss_kib.is_some_and(|kib| kib <= MAX_RSS_KIB)).to_owned(),
        ]);
        rows.push([
            "wall time".to_owned(),
            format!(
                "{}{}",
                seconds(self.wall),
                if self.timed_out { " (timed out)" } else { "" }
            ),
            "-".to_owned(),
            "info".to_owned(),
        ]);
        rows
    }

    /// The rows as an aligned plain-text table.
    pub fn table(&self) -> String {
        let header = ["figure", "measured", "target", "result"].map(str::to_owned);
        let rows = self.rows();
        let all: Vec<&[String; 4]> = std::iter::once(&header).chain(rows.iter()).collect();
        let widths: Vec<usize> = (0..4)
            .map(|col| {
                all.iter()
                    .map(|r| r[col].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for (i, row) in all.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
            if i == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                let _ = writeln!(out, "|-{}-|", rule.join("-|-"));
            }
        }
        if self.never_shown > 0 {
            let _ = writeln!(
                out,
                "{} generated prefixes were never shown",
                self.never_shown
            );
        }
        out
    }
}

/// Splits the bot's CPU at the models' last token: what the replies cost while they streamed
/// in, and what delivering the final messages cost after (they wait for bot-wide slots).
pub fn cpu_phases_note(until_streams_ended: Duration, total: Duration, replies: usize) -> String {
    let per_reply_ms = |cpu: Duration| cpu.as_secs_f64() * 1e3 / replies.max(1) as f64;
    format!(
        "bot CPU per reply until the models' last token: {:.3} ms; after it (final messages): {:.3} ms",
        per_reply_ms(until_streams_ended),
        per_reply_ms(total.saturating_sub(until_streams_ended)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<_> = (1..=100).rev().map(ms).collect();
        assert_eq!(percentile(&samples, 50.0), Some(ms(50)));
        assert_eq!(percentile(&samples, 95.0), Some(ms(95)));
        assert_eq!(percentile(&[ms(7)], 95.0), Some(ms(7)));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn each_target_row_passes_or_fails_on_its_own_figure() {
        let mut report = Report {
            private_chats: 2,
            group_chats: 1,
            delivered_private: 2,
            delivered_group: 1,
            lag_private: Spread::of(&[ms(100), ms(500)]),
            lag_group: Spread::of(&[ms(3000), ms(4000)]),
            bot_cpu: ms(2),
            bot_peak_rss_kib: Some(20_000),
            ..Report::default()
        };
        let verdicts = |r: &Report| -> Vec<String> {
            r.rows().into_iter().map(|row| row[3].clone()).collect()
        };
        assert_eq!(
            verdicts(&report),
            [
                "PASS", "PASS", "PASS", "PASS", "FAIL", "info", "info", "PASS", "PASS", "info"
            ]
        );
        report.delivered_group = 0;
        report.status_429 = 3;
        report.bot_peak_rss_kib = Some(40_000);
        report.bot_cpu = ms(5);
        assert_eq!(
            verdicts(&report),
            [
                "FAIL", "FAIL", "PASS", "PASS", "FAIL", "info", "info", "FAIL", "FAIL", "info"
            ]
        );
        assert!(report.table().contains("| replies delivered complete"));
    }

    #[test]
    fn the_cpu_is_split_at_the_last_token_per_reply() {
        let note = cpu_phases_note(ms(200), ms(250), 250);
        assert_eq!(
            note,
            "bot CPU per reply until the models' last token: 0.800 ms; \
             after it (final messages): 0.200 ms"
        );
        // A clock read that lags the total cannot make the second phase negative.
        assert!(cpu_phases_note(ms(300), ms(250), 250).ends_with("0.000 ms"));
    }
}
