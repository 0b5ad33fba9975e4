//! `tiltguard-sim`: runs a simulator as a standalone server.
//!
//! Usage: `tiltguard-sim telegram [--port 8081] [--host 127.0.0.1] [--token TOKEN] [--no-flood]`

use std::net::IpAddr;

use anyhow::{Context, bail};
use tiltguard_sim::{FloodLimits, TelegramSim, TelegramSimConfig};

fn telegram_config(args: &[String]) -> anyhow::Result<TelegramSimConfig> {
    let mut config = TelegramSimConfig::default();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => config.port = value()?.parse().context("--port must be a number")?,
            "--host" => {
                config.bind_ip = value()?.parse::<IpAddr>().context("--host must be an IP")?;
            }
            "--token" => config.token = value()?.clone(),
            "--no-flood" => config.limits = FloodLimits::disabled(),
            other => bail!("unknown option {other}"),
        }
    }
    Ok(config)
}

const USAGE: &str =
    "usage: tiltguard-sim telegram [--port N] [--host IP] [--token TOKEN] [--no-flood]";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return std::process::ExitCode::SUCCESS;
    }
    // Errors are printed as sentences, never with a backtrace: this is a command for people.
    match run(&args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> anyhow::Result<()> {
    match args.split_first() {
        Some((command, rest)) if command == "telegram" => {
            let sim = TelegramSim::start(telegram_config(rest)?).await?;
            println!("telegram simulator: {}", sim.api_url());
            tokio::signal::ctrl_c().await?;
            sim.shutdown();
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}
