//! `tiltguard chat`: the coach in a terminal, on the same core, settings and store as the bot.

use std::io::Write;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;

use crate::app::{build_coach, http_client, open_store};
use crate::coach::CoachInput;
use crate::coach::personas::PersonaBook;
use crate::config::Config;
use crate::store::ConversationKey;

/// The terminal is one conversation of its own; Telegram ids are never zero.
const TERMINAL: ConversationKey = ConversationKey {
    chat_id: 0,
    user_id: 0,
};

pub async fn run(config: &Config, persona: Option<&str>) -> i32 {
    match session(config, persona).await {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            1
        }
    }
}

async fn session(config: &Config, persona: Option<&str>) -> Result<(), String> {
    let store = open_store(config).await.map_err(|e| e.to_string())?;
    let personas = PersonaBook::load(&config.personalities_dir, &config.default_persona)
        .map_err(|e| e.to_string())?;
    let coach =
        Arc::new(build_coach(config, store.clone(), http_client()).map_err(|e| e.to_string())?);
    let mut current = match persona {
        Some(id) => personas.get(id).cloned().ok_or_else(|| {
            let ids: Vec<_> = personas.all().iter().map(|p| p.id.as_str()).collect();
            format!("unknown persona {id:?}; choose one of: {}", ids.join(", "))
        })?,
        None => personas.default_persona().clone(),
    };
    println!("{} — {}", current.label(), current.pitch);
    println!("Type your message. /persona <id> switches coach, /reset starts fresh, /quit exits.");
    println!("Ctrl-C stops a reply while it is being written.\n");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        print!("you › ");
        let _ = std::io::stdout().flush();
        let Ok(Some(line)) = lines.next_line().await else {
            println!();
            return Ok(());
        };
        let line = line.trim();
        match line
            .split_once(' ')
            .map_or((line, ""), |(a, b)| (a, b.trim()))
        {
            ("", _) => continue,
            ("/quit" | "/exit", _) => return Ok(()),
            ("/reset", _) => {
                coach
                    .rotate_session(TERMINAL)
                    .await
                    .map_err(|e| e.to_string())?;
                println!("Fresh start.\n");
                continue;
            }
            ("/persona", id) => {
                match personas.get(id) {
                    Some(p) => {
                        current = p.clone();
                        println!("{} is your coach now.\n", current.label());
                    }
                    None => {
                        let ids: Vec<_> = personas.all().iter().map(|p| p.id.as_str()).collect();
                        println!("Choose one of: {}\n", ids.join(", "));
                    }
                }
                continue;
            }
            _ => {}
        }
        print!("{} › ", current.name);
        let _ = std::io::stdout().flush();
        let cancel = CancellationToken::new();
        let stop_on_ctrl_c = {
            let cancel = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    cancel.cancel();
                }
            })
        };
        let mut print_delta = |delta: &str| {
            print!("{delta}");
            let _ = std::io::stdout().flush();
        };
        let result = coach
            .reply(
                TERMINAL.into(),
                0,
                &current,
                CoachInput::Text(line.to_string()),
                &mut print_delta,
                &cancel,
            )
            .await;
        stop_on_ctrl_c.abort();
        match result {
            Ok(outcome) if outcome.stopped => println!(" ⏹ stopped\n"),
            Ok(_) => println!("\n"),
            Err(error) => println!("\n{}\n", error.user_message()),
        }
    }
}
