//! Formatting under streaming: long replies split cleanly, tricky Markdown never breaks HTML.

mod support;

use std::time::Duration;

use support::{Harness, trader};
use tiltguard_sim::SimEventKind;
use tiltguard_sim::llm::{LlmSimConfig, Timing};

fn long_reply_with_code() -> String {
    let mut reply = String::from("## Your journal, automated\n\n");
    for i in 0..40 {
        reply.push_str(&format!(
            "Step {i}: write down the **setup**, the _risk_ in R and how you *felt* before the \
             entry. Then compare it with the outcome and note one lesson.\n\n"
        ));
    }
    reply.push_str("```rust\n");
    for i in 0..120 {
        reply.push_str(&format!(
            "    let r_multiple_{i} = (exit - entry) / (entry - stop); // <{i}> & more\n"
        ));
    }
    reply.push_str("```\n\nThat's the whole loop. Stay small while you learn it.");
    reply
}

#[tokio::test]
async fn a_reply_over_9000_characters_splits_without_losing_or_breaking_anything() {
    let mut h = Harness::new().await;
    let llm = h
        .with_llm(LlmSimConfig {
            timing: Timing::new(2000.0, Duration::ZERO),
            ..LlmSimConfig::default()
        })
        .await;
    let reply = long_reply_with_code();
    assert!(reply.chars().count() > 9000);
    llm.set_reply("primary", reply.clone());
    h.set("LLM_MAX_TOKENS", "8000");
    h.start().await;
    let (ann, chat) = trader(6001, "Ann");
    h.telegram
        .send_text(&chat, &ann, "give me a journaling script");
    let parts = h.wait_for_bot_messages(chat.id, 3).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let parts = if h.telegram.bot_messages(chat.id).len() > parts.len() {
        h.telegram.bot_messages(chat.id)
    } else {
        parts
    };
    for part in &parts {
        let units: usize = part.text.encode_utf16().count();
        assert!(units <= 4096, "part of {units} UTF-16 units");
    }
    // The code block that crosses a split is closed and reopened with its language.
    let html: Vec<&str> = parts.iter().map(|p| p.html.as_deref().unwrap()).collect();
    let with_code = html
        .iter()
        .filter(|h| h.contains("<pre><code class=\"language-rust\">"))
        .count();
    assert!(
        with_code >= 2,
        "code block reopened in the next part: {with_code}"
    );
    // Nothing lost: every code line and the closing sentence are visible somewhere.
    let all: String = parts
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for i in [0, 59, 119] {
        assert!(all.contains(&format!(
            "let r_multiple_{i} = (exit - entry) / (entry - stop); // <{i}> & more"
        )));
    }
    assert!(all.contains("Stay small while you learn it."));
    assert!(all.contains("Your journal, automated"));
    assert!(
        !all.contains("**") && !all.contains("## "),
        "Markdown was rendered, not shown raw"
    );
    let stats = h.telegram.stats();
    assert_eq!((stats.status_400, stats.status_429), (0, 0));
    h.stop().await;
}

#[tokio::test]
async fn tricky_markdown_mid_stream_never_gets_a_parse_error() {
    let mut h = Harness::new().await;
    let llm = h
        .with_llm(LlmSimConfig {
            timing: Timing::new(60.0, Duration::ZERO),
            chunk_seed: Some(7),
            ..LlmSimConfig::default()
        })
        .await;
    let reply = "**Bold start** then _italics_ and `code <b>` with a [link](https://x.org/?a=1&b=2)\n\
                 > a quote with **bold\n\n\
                 - item <one> & two\n- item *three*\n\n\
                 ```python\nif pnl < 0 and tilt > 3:\n    stop()\n```\n\
                 Unclosed **bold and `code and 😤 emoji 中文 at the end";
    llm.set_reply("primary", reply);
    h.start().await;
    let (ann, chat) = trader(6002, "Ann");
    h.telegram.send_text(&chat, &ann, "format stress");
    let message = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    let drafts = h
        .telegram
        .events_for(chat.id)
        .into_iter()
        .filter(|e| e.kind == SimEventKind::Draft)
        .count();
    assert!(
        drafts >= 5,
        "streamed through many intermediate snapshots: {drafts}"
    );
    let rejected = h
        .telegram
        .events_for(chat.id)
        .into_iter()
        .filter(|e| matches!(e.kind, SimEventKind::Rejected { .. }))
        .count();
    assert_eq!(rejected, 0, "every snapshot was valid HTML");
    assert!(message.text.contains("code <b>"), "{}", message.text);
    assert!(message.text.contains("😤 emoji 中文"));
    assert!(
        message
            .html
            .as_deref()
            .unwrap()
            .contains("<pre><code class=\"language-python\">")
    );
    h.stop().await;
}
