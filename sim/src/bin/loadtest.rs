//! `loadtest`: the streaming benchmark of the coach. Starts the Telegram and LLM simulators in
//! this process, runs the release bot binary against them, has N chats ask at once, and prints
//! the measured figures next to their targets.
//!
//! Usage: `cargo build --release --workspace && target/release/loadtest [--chats 250]
//! [--group-share 0.2] [--reply-chars 1200] [--tokens-per-sec 40] [--bot path/to/tiltguard]
//! [--fail-primary] [--timelines 1]` (`--workspace`: a plain `cargo build` builds only the bot).
//! `RUST_LOG` and `DRAFT_HZ`, when set, are passed to the bot.
//!
//! Exits 0 whatever the figures (it is a benchmark, not a test); 1 when the run could not be
//! set up or the bot died, 2 on bad arguments. All traffic stays on 127.0.0.1.

use std::process::ExitCode;

use tiltguard_sim::loadtest::{LoadtestError, Options, run};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match Options::parse(&args) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let groups = (0..options.chats).filter(|i| options.is_group(*i)).count();
    println!(
        "loadtest: {} chats ({} groups), {}-character replies at {} tokens/s{}",
        options.chats,
        groups,
        options.reply_chars,
        options.tokens_per_second,
        if options.fail_primary {
            ", primary model failing with 503"
        } else {
            ""
        }
    );
    match run(&options).await {
        Ok(outcome) => {
            print!("{}", outcome.report.table());
            for note in &outcome.notes {
                println!("{note}");
            }
            ExitCode::SUCCESS
        }
        Err(LoadtestError::Usage(usage)) => {
            eprintln!("{usage}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("loadtest failed: {error}");
            ExitCode::FAILURE
        }
    }
}
