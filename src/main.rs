//! The `tiltguard` command line: serve the bot, migrate the store, or use the domain tools.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tiltguard::app::{self, RunningBot};
use tiltguard::config::{Config, ProcessEnv};
use tiltguard::telemetry;

#[derive(Parser)]
#[command(
    name = "tiltguard",
    version,
    about = "A Telegram bot for crypto traders"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Telegram bot (long polling) until Ctrl-C or SIGTERM.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Chat with a coach in the terminal, using the same coach and store as the bot.
    Chat {
        /// Personality id (see personalities/).
        #[arg(long)]
        persona: Option<String>,
    },
    /// Scan a token contract for risks (exit 0 whenever the scan ran, whatever the verdict).
    Scan {
        /// Token contract (0x… on EVM chains, base58 mint on Solana, T… on TRON).
        address: String,
        /// ethereum, bsc, base, arbitrum, polygon, optimism, avalanche, solana, tron, or a chain id.
        #[arg(long)]
        chain: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a payment transaction on-chain without crediting anyone.
    Verify {
        /// Transaction hash or Solana signature.
        tx_hash: String,
        /// ethereum, tron or solana (detected from the hash when omitted).
        #[arg(long)]
        chain: Option<String>,
        /// Expected recipient (defaults to PAY_ETH_ADDRESS / PAY_TRON_ADDRESS / PAY_SOL_ADDRESS).
        #[arg(long)]
        to: Option<String>,
        /// Minimum amount in USD, e.g. 9.99.
        #[arg(long)]
        min_amount: Option<String>,
        /// The payment must be no older than this RFC 3339 time.
        #[arg(long)]
        not_before: Option<String>,
        /// Print the verdict as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    // A missing .env is fine: every variable has a default or is reported by name below.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let config = match Config::load(&ProcessEnv) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let secrets = config
        .telegram
        .as_ref()
        .map(|t| vec![t.token.expose().to_string()])
        .unwrap_or_default();
    telemetry::init_logging(config.log_format, secrets);
    // One thread: the bot is I/O-bound, and a single-threaded runtime avoids cross-thread
    // wake-ups and per-thread allocator arenas (measured: less CPU and RSS per reply).
    // SQLite work still runs on sqlx's own worker threads.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli.command, config));
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            app::open_store(&config).await?;
            println!("migrations applied to {}", config.database_kind_label());
            Ok(ExitCode::SUCCESS)
        }
        Command::Chat { persona } => Ok(code(
            tiltguard::cli::chat::run(&config, persona.as_deref()).await,
        )),
        Command::Scan {
            address,
            chain,
            json,
        } => Ok(code(
            tiltguard::cli::scan::run(&config, &address, chain.as_deref(), json).await,
        )),
        Command::Verify {
            tx_hash,
            chain,
            to,
            min_amount,
            not_before,
            json,
        } => Ok(code(
            tiltguard::cli::verify::run(
                &config,
                &tx_hash,
                chain.as_deref(),
                to.as_deref(),
                min_amount.as_deref(),
                not_before.as_deref(),
                json,
            )
            .await,
        )),
    }
}

fn code(exit: i32) -> ExitCode {
    ExitCode::from(u8::try_from(exit).unwrap_or(1))
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    if let Err(error) = config.require_telegram() {
        eprintln!("error: {error}");
        return Ok(ExitCode::from(2));
    }
    let bot = RunningBot::start(config).await?;
    wait_for_stop_signal().await;
    bot.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
