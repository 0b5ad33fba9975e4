//! Load shape of the LLM simulator: 250 concurrent streams at 40 tokens/s must cost little
//! CPU (one timer and one write per token, no busy loop). Ignored by default; run with
//! `--ignored --nocapture` to see the figures.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tiltguard_sim::llm::{LlmSim, LlmSimConfig, Timing, filler_text};

const MODEL: &str = "deepseek/deepseek-chat";

fn chat_body() -> Value {
    json!({
        "model": MODEL,
        "messages": [{"role": "user", "content": "how do I stop revenge trading?"}],
        "max_tokens": 1000,
        "stream": true,
        "stream_options": {"include_usage": true}
    })
}

/// User + system CPU time of this process, from /proc (Linux only).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux configuration that matters here.
    Some(Duration::from_millis(ticks * 10))
}

/// Posts `body` over a bare TCP connection and reads the raw response to its end: the
/// cheapest possible client, so the CPU measured is the simulator's.
async fn raw_post(addr: std::net::SocketAddr, body: Value) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = body.to_string();
    let head = format!(
        "POST /api/v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(head.as_bytes()).await.expect("write head");
    tcp.write_all(body.as_bytes()).await.expect("write body");
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.expect("read");
    response
}

/// 250 concurrent 1,200-character replies at 40 tokens/s (the load benchmark's shape).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn many_concurrent_streams_cost_little_cpu() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    sim.set_timing(Timing::new(40.0, Duration::from_millis(200)));
    sim.set_reply_builder(|ctx| filler_text(1200, ctx.request_number));
    let cpu_before = process_cpu();
    let started = Instant::now();
    let streams: Vec<_> = (0..250)
        .map(|_| tokio::spawn(raw_post(sim.addr(), chat_body())))
        .collect();
    for stream in streams {
        let response = stream.await.expect("join");
        assert!(response.starts_with(b"HTTP/1.1 200"));
        assert!(response.windows(12).any(|w| w == b"data: [DONE]"));
    }
    let wall = started.elapsed();
    let stats = sim.stats();
    assert_eq!(stats.completed_streams, 250);
    if let (Some(before), Some(after)) = (cpu_before, process_cpu()) {
        let cpu = after - before;
        println!(
            "250 streams, {} tokens in {wall:?}: {cpu:?} CPU, {:.2} ms per stream, {:.1} us per token",
            stats.tokens_streamed,
            cpu.as_secs_f64() * 1e3 / 250.0,
            cpu.as_secs_f64() * 1e6 / stats.tokens_streamed as f64
        );
        // A busy loop would burn the whole wall time on a core; one timer and one write per
        // token (debug build, client included) stays far below it.
        assert!(cpu < wall / 2, "{cpu:?} CPU over {wall:?}");
    }
}
