//! When a streamed reply is read. A group's reply is shown by an edit every few seconds, and
//! its model stream is read just before each edit instead of several times a second, so the
//! edit shows what the model said until 100 ms before it.

use futures_util::StreamExt;
use std::time::Duration;
use tiltguard::llm::{ChatMessage, ChatRequest, ChatStream, LlmClient, LlmEndpoint, StreamEvent};
use tiltguard::net::{GRID, ShowTimes, on_grid};
use tiltguard_sim::llm::{LlmSim, LlmSimConfig, Timing, filler_text};
use tokio::time::Instant;

const MODEL: &str = "deepseek/deepseek-chat";

async fn open_stream(sim: &LlmSim, timeout: Duration) -> ChatStream {
    let endpoint = LlmEndpoint {
        base_url: sim.base_url(),
        api_key: Some("sk-test-key".into()),
        app_url: "https://tiltguard.example".into(),
        app_title: "tiltguard".into(),
        timeout,
    };
    let client = LlmClient::new(endpoint, reqwest::Client::new()).expect("client");
    let request = ChatRequest::new(MODEL, vec![ChatMessage::user("how do I size?")], 800);
    client.stream_chat(&request).await.expect("stream")
}

/// The moments text arrived from the stream until `until`, and how much each time.
async fn arrivals_until(stream: &mut ChatStream, until: Instant) -> Vec<(Instant, usize)> {
    let mut arrivals = Vec::new();
    while Instant::now() < until {
        match tokio::time::timeout_at(until, stream.next()).await {
            Ok(Some(Ok(StreamEvent::Delta(text)))) => arrivals.push((Instant::now(), text.len())),
            Ok(Some(Ok(_))) => {}
            Ok(other) => panic!("the stream ended early: {other:?}"),
            Err(_) => break,
        }
    }
    arrivals
}

#[tokio::test]
async fn a_stream_whose_shows_are_announced_is_read_just_before_each_show() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("sim");
    sim.set_timing(Timing::new(50.0, Duration::ZERO));
    sim.set_reply(MODEL, filler_text(3000, 4)); // well over 5 s of tokens
    let mut stream = open_stream(&sim, Duration::from_secs(10)).await;
    stream.read_every(Duration::from_millis(250));
    let shows = ShowTimes::default();
    stream.read_before_shows(shows.clone());

    // The first token is read as soon as it comes.
    loop {
        match stream.next().await {
            Some(Ok(StreamEvent::Delta(_))) => break,
            Some(Ok(_)) => {}
            other => panic!("no first token: {other:?}"),
        }
    }
    let announced_at = Instant::now();
    let (show, next_show) = (
        announced_at + Duration::from_millis(1500),
        announced_at + Duration::from_millis(2700),
    );
    shows.announce(show, next_show);
    let read_for_show = on_grid(show) - GRID;
    let read_for_next = on_grid(next_show) - GRID;

    let arrivals = arrivals_until(&mut stream, read_for_next + Duration::from_millis(900)).await;
    let times: Vec<Duration> = arrivals.iter().map(|(t, _)| *t - announced_at).collect();
    // A read already scheduled when the shows were announced may still come (within one
    // 250 ms interval and its grid point); after it, nothing until the read for the show.
    let settled = announced_at + Duration::from_millis(400);
    assert!(
        arrivals
            .iter()
            .all(|(t, _)| *t < settled || *t >= read_for_show),
        "read between the announcement and the show: {times:?}"
    );
    let for_show: Vec<_> = arrivals
        .iter()
        .filter(|(t, _)| *t >= read_for_show && *t < read_for_next)
        .collect();
    assert!(
        !for_show.is_empty(),
        "the show's read brought the text: {times:?}"
    );
    let gathered: usize = for_show.iter().map(|(_, len)| len).sum();
    assert!(
        gathered > 200,
        "a second of text arrives in that read ({gathered} bytes): {times:?}"
    );
    // Reads for the show come in one go, not spread until the next show.
    let spread = for_show.last().unwrap().0 - for_show[0].0;
    assert!(
        spread < Duration::from_millis(250),
        "one read, not several: {times:?}"
    );
    // After the last announced show the stream is read on its own schedule again.
    let after = arrivals.iter().filter(|(t, _)| *t >= read_for_next).count();
    assert!(
        after >= 2,
        "regular reads resume after the announced shows: {times:?}"
    );
}

#[tokio::test]
async fn a_show_far_off_never_makes_a_talking_model_look_silent() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("sim");
    sim.set_timing(Timing::new(50.0, Duration::ZERO));
    let reply = filler_text(900, 5); // about 4.5 s of tokens
    sim.set_reply(MODEL, reply.clone());
    // A two-second idle timeout, and shows announced further off than that.
    let mut stream = open_stream(&sim, Duration::from_secs(2)).await;
    let shows = ShowTimes::default();
    stream.read_before_shows(shows.clone());
    let now = Instant::now();
    shows.announce(now + Duration::from_secs(3), now + Duration::from_secs(6));
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(StreamEvent::Delta(delta)) => text.push_str(&delta),
            Ok(_) => {}
            Err(error) => panic!("the stream failed after {} bytes: {error}", text.len()),
        }
    }
    assert_eq!(text, reply);
}
