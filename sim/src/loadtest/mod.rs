//! The streaming benchmark: the real bot binary against both simulators, N concurrent chats
//! each receiving one streamed reply, measured from the moment the model simulator writes a
//! prefix to the moment the Telegram simulator shows it. Run by the `loadtest` binary.
//!
//! Pure parts (options, reply text, lag computation, the report table, `/proc` parsing) are
//! separate from the run itself, which starts the simulators, spawns the bot and collects.

mod bot;
mod measure;
mod options;
mod procfs;
mod prose;
mod report;
mod run;

pub use measure::{Shown, StreamMeasurement, coverage, delivered_complete, measure_stream};
pub use options::{Options, USAGE};
pub use procfs::{CpuTime, parse_cpu_time, parse_peak_rss_kib};
pub use prose::{chat_index, plain_prose, reply_for, user_message};
pub use report::{Report, Spread, percentile};
pub use run::{RunOutcome, run};

/// Why a run could not be set up or finished; the bot's own misses are figures, not errors.
#[derive(Debug, thiserror::Error)]
pub enum LoadtestError {
    #[error("{0}")]
    Usage(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Setup(String),
}

impl LoadtestError {
    fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> LoadtestError {
        let what = what.into();
        move |source| LoadtestError::Io { what, source }
    }
}
