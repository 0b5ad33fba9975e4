//! The pipeline against the scripted server: batches share a connection, answers reach the
//! right callers, and a broken connection fails only what it must.

use super::*;
use crate::net::Pipeline;

fn json_answer(body: &str, close_after: bool) -> Answer {
    Answer {
        pieces: vec![
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        ],
        close_after,
    }
}

fn pipeline_to(server: &Server, timeout: Duration) -> (Pipeline, Target) {
    let target = Target::parse(&server.url).unwrap();
    (Pipeline::new(test_client(), &target, timeout), target)
}

async fn post_numbered(pipeline: &Pipeline, target: &Target, n: usize) -> super::super::Answer {
    let body = format!("{{\"n\":{n}}}");
    pipeline
        .post(
            target,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
            TIMEOUT,
        )
        .await
}

fn echo() -> Answer {
    Answer {
        pieces: Vec::new(),
        close_after: false,
    }
}

#[tokio::test]
async fn requests_queued_together_share_a_connection_and_each_gets_its_own_answer() {
    let answers = (0..2).map(|n| json_answer(&format!("{{\"answer\":{n}}}"), false));
    let server = start_server(answers.collect(), false).await;
    let (pipeline, target) = pipeline_to(&server, TIMEOUT);

    let calls = (0..2).map(|n| post_numbered(&pipeline, &target, n));
    let results = futures_util::future::join_all(calls).await;

    for (n, result) in results.into_iter().enumerate() {
        let (status, body) = result.expect("answered");
        assert_eq!(status, 200);
        assert_eq!(body, format!("{{\"answer\":{n}}}").into_bytes());
    }
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    let requests = server.requests.lock().unwrap().clone();
    for (n, request) in requests.iter().enumerate() {
        assert!(request.ends_with(&format!("{{\"n\":{n}}}")), "{request}");
    }
}

#[tokio::test]
async fn a_server_that_answers_at_once_gets_deeper_batches() {
    let server = start_server(vec![echo()], false).await;
    let (pipeline, target) = pipeline_to(&server, TIMEOUT);
    assert_eq!(pipeline.depth(), 2);
    for _ in 0..20 {
        let calls = (0..8).map(|n| post_numbered(&pipeline, &target, n));
        for (n, result) in futures_util::future::join_all(calls)
            .await
            .into_iter()
            .enumerate()
        {
            assert_eq!(
                result.expect("answered").1,
                format!("{{\"n\":{n}}}").into_bytes()
            );
        }
    }
    assert_eq!(pipeline.depth(), 8);
}

#[tokio::test]
async fn a_long_queue_is_spread_over_a_few_connections_and_every_answer_finds_its_caller() {
    let server = start_server(vec![echo()], false).await;
    let (pipeline, target) = pipeline_to(&server, TIMEOUT);

    let calls = (0..40).map(|n| post_numbered(&pipeline, &target, n));
    let results = futures_util::future::join_all(calls).await;

    for (n, result) in results.into_iter().enumerate() {
        let (_, body) = result.expect("answered");
        assert_eq!(body, format!("{{\"n\":{n}}}").into_bytes());
    }
    let connections = server.accepted.load(Ordering::SeqCst);
    assert!((2..=20).contains(&connections), "{connections} connections");
}

#[tokio::test]
async fn https_batches_work_the_same() {
    let server = start_server(vec![json_answer("{}", false)], true).await;
    let (pipeline, target) = pipeline_to(&server, TIMEOUT);
    let calls = (0..2).map(|n| post_numbered(&pipeline, &target, n));
    for result in futures_util::future::join_all(calls).await {
        assert_eq!(result.expect("answered"), (200, b"{}".to_vec()));
    }
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_server_closing_midway_fails_only_the_unanswered_and_the_next_batch_reconnects() {
    let server = start_server(
        vec![
            json_answer("{\"first\":true}", true),
            json_answer("{\"later\":true}", false),
        ],
        false,
    )
    .await;
    let (pipeline, target) = pipeline_to(&server, TIMEOUT);

    // Both in one batch: the server answers the first and closes.
    let calls = (0..2).map(|n| post_numbered(&pipeline, &target, n));
    let results = futures_util::future::join_all(calls).await;
    assert_eq!(
        results[0].as_ref().expect("answered").1,
        b"{\"first\":true}"
    );
    for unanswered in &results[1..] {
        assert!(
            matches!(unanswered, Err(HttpError::Connect(_))),
            "{unanswered:?}"
        );
    }

    let later = post_numbered(&pipeline, &target, 2)
        .await
        .expect("answered");
    assert_eq!(later.1, b"{\"later\":true}");
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_kept_alive_connection_the_server_dropped_is_replaced_without_losing_the_request() {
    // Every answer claims keep-alive, then the server closes (an idle timeout, say).
    let server = start_server(vec![json_answer("{}", true)], false).await;
    let (pipeline, target) = pipeline_to(&server, TIMEOUT);
    for n in 0..3 {
        let answer = post_numbered(&pipeline, &target, n).await;
        assert_eq!(answer.expect("answered"), (200, b"{}".to_vec()));
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(server.accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_the_pipeline_recovers() {
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = accepted.clone();
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            connections.push(stream);
        }
    });
    let target = Target::parse(&format!("http://127.0.0.1:{port}/bot/sendMessageDraft")).unwrap();
    let pipeline = Pipeline::new(test_client(), &target, Duration::from_millis(200));

    let answer = pipeline.post(&target, &[], b"{}", TIMEOUT).await;
    assert_eq!(answer, Err(HttpError::Timeout));
    // The lane gave the connection up; the next request goes out on a new one.
    let again = pipeline.post(&target, &[], b"{}", TIMEOUT).await;
    assert_eq!(again, Err(HttpError::Timeout));
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    held.abort();
}

#[tokio::test]
async fn a_server_that_does_not_pipeline_gets_one_request_at_a_time_after_two_tries() {
    // Answers the first request on each connection, then closes it, dropping the rest.
    let server = start_server(vec![json_answer("{}", true)], false).await;
    let (pipeline, target) = pipeline_to(&server, TIMEOUT);
    let round =
        || futures_util::future::join_all((0..2).map(|n| post_numbered(&pipeline, &target, n)));

    for _ in 0..2 {
        let answered = round().await.iter().filter(|r| r.is_ok()).count();
        assert_eq!(answered, 1);
    }
    assert_eq!(pipeline.depth(), 1);
    let results = round().await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(server.accepted.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_server_that_answers_slowly_one_after_another_gets_one_request_at_a_time() {
    // About 70 ms per request: fourteen pieces of three bytes, each followed by the server's
    // 5 ms pause. Answers are read at grid points, so a batch of two spans more than one.
    let whole = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    let slow = Answer {
        pieces: whole.chunks(3).map(<[u8]>::to_vec).collect(),
        close_after: false,
    };
    let server = start_server(vec![slow], false).await;
    let (pipeline, target) = pipeline_to(&server, TIMEOUT);

    for _ in 0..3 {
        let calls = (0..4).map(|n| post_numbered(&pipeline, &target, n));
        for result in futures_util::future::join_all(calls).await {
            assert_eq!(result.expect("answered"), (200, b"{}".to_vec()));
        }
    }
    // Two answers a grid read apart halved the depth; a server that answers at once gets 8.
    assert_eq!(pipeline.depth(), 1);
    let connections = server.accepted.load(Ordering::SeqCst);
    assert!(connections >= 2, "{connections} connection(s)");
}

#[tokio::test]
async fn a_request_whose_caller_gave_up_before_it_left_is_never_sent() {
    // The first answer takes about 15 ms: three pieces, each followed by a 5 ms pause.
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n".to_vec();
    let slow = Answer {
        pieces: vec![head, b"{".to_vec(), b"}".to_vec()],
        close_after: false,
    };
    let server = start_server(vec![slow, json_answer("{\"next\":1}", false)], false).await;
    let (pipeline, target) = pipeline_to(&server, TIMEOUT);

    let first = tokio::spawn({
        let (pipeline, target) = (pipeline.clone(), target.clone());
        async move { post_numbered(&pipeline, &target, 0).await }
    });
    tokio::time::sleep(Duration::from_millis(3)).await;
    // Queued behind the first batch, and given up on before that batch is answered.
    let stale = pipeline
        .post(&target, &[], b"{\"n\":1}", Duration::from_millis(1))
        .await;
    assert_eq!(stale, Err(HttpError::Timeout));

    assert_eq!(first.await.unwrap().expect("answered").1, b"{}");
    let next = post_numbered(&pipeline, &target, 2)
        .await
        .expect("answered");
    assert_eq!(next.1, b"{\"next\":1}");
    let requests = server.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].ends_with("{\"n\":2}"), "{}", requests[1]);
}

#[tokio::test]
async fn a_queued_request_is_sent_without_its_caller_waiting_and_the_answer_kept_for_later() {
    let server = start_server(vec![echo()], false).await;
    let (pipeline, target) = pipeline_to(&server, TIMEOUT);

    let mut pending = pipeline.queue(&target, &[], b"{\"n\":7}");
    assert!(pending.try_take().is_none(), "nothing can have come yet");
    // The caller does something else; the request goes out and is answered meanwhile.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(server.requests.lock().unwrap().len(), 1);
    let answer = pending.try_take().expect("answered while nobody waited");
    assert_eq!(answer.expect("answered").1, b"{\"n\":7}");
    // Taken once; asking again neither waits nor panics.
    assert!(pending.try_take().is_none());
    assert!(pending.wait(TIMEOUT).await.is_err());
}

#[tokio::test]
async fn a_queued_request_given_up_before_it_left_is_never_sent() {
    let server = start_server(vec![echo()], false).await;
    let (pipeline, target) = pipeline_to(&server, TIMEOUT);

    let stale = pipeline.queue(&target, &[], b"{\"n\":1}");
    drop(stale);
    let fresh = post_numbered(&pipeline, &target, 2).await;
    assert_eq!(fresh.expect("answered").1, b"{\"n\":2}");
    let requests = server.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "{requests:?}");
}
