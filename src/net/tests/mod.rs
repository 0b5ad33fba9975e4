//! The client against real sockets: a tiny server on port 0 that answers each request with a
//! scripted sequence of writes, over plain TCP or TLS (a throwaway test CA in `fixtures/tls`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

mod pipeline;

const TIMEOUT: Duration = Duration::from_secs(5);
const TLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/tls");

/// One scripted answer: pieces written with a pause between them (none: the request's body
/// echoed at once); then, optionally, close.
#[derive(Clone)]
struct Answer {
    pieces: Vec<Vec<u8>>,
    close_after: bool,
}

struct Server {
    url: String,
    accepted: Arc<AtomicUsize>,
    requests: Arc<std::sync::Mutex<Vec<String>>>,
}

fn chunked_sse(events: &[&str]) -> Vec<Vec<u8>> {
    let mut pieces = vec![
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec(),
    ];
    for event in events {
        pieces.push(format!("{:x}\r\n{event}\r\n", event.len()).into_bytes());
    }
    pieces.push(b"0\r\n\r\n".to_vec());
    pieces
}

async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    answers: Arc<Vec<Answer>>,
    next: Arc<AtomicUsize>,
    requests: Arc<std::sync::Mutex<Vec<String>>>,
) {
    let mut buffer = Vec::new();
    loop {
        // Read one request: head, then Content-Length bytes of body.
        let (head_len, body_len) = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buffer[..end]).to_string();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                break (end + 4, length);
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        while buffer.len() < head_len + body_len {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let request: Vec<u8> = buffer.drain(..head_len + body_len).collect();
        requests
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(&request).to_string());
        let index = next.fetch_add(1, Ordering::SeqCst);
        let answer = answers[index.min(answers.len() - 1)].clone();
        if answer.pieces.is_empty() {
            // An answer without pieces echoes the request's body, at once.
            let body = &request[head_len..];
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
            if stream
                .write_all(&[head.as_bytes(), body].concat())
                .await
                .is_err()
            {
                return;
            }
            continue;
        }
        for piece in &answer.pieces {
            if stream.write_all(piece).await.is_err() {
                return;
            }
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if answer.close_after {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

async fn start_server(answers: Vec<Answer>, tls: bool) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
    let answers = Arc::new(answers);
    let next = Arc::new(AtomicUsize::new(0));
    let acceptor = tls.then(|| {
        let cert = CertificateDer::from_pem_file(format!("{TLS_DIR}/server.pem")).unwrap();
        let key = PrivateKeyDer::from_pem_file(format!("{TLS_DIR}/server.key")).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    let (accepted_in, requests_in) = (accepted.clone(), requests.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            accepted_in.fetch_add(1, Ordering::SeqCst);
            // As API servers do: otherwise a second small answer waits for the client's
            // delayed acknowledgement of the first (about 40 ms).
            let _ = stream.set_nodelay(true);
            let (answers, next, requests) = (answers.clone(), next.clone(), requests_in.clone());
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            serve_connection(stream, answers, next, requests).await;
                        }
                    }
                    None => serve_connection(stream, answers, next, requests).await,
                }
            });
        }
    });
    let scheme = if tls {
        "https://localhost"
    } else {
        "http://127.0.0.1"
    };
    Server {
        url: format!("{scheme}:{port}/v1/chat/completions"),
        accepted,
        requests,
    }
}

fn test_client() -> HttpClient {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(format!("{TLS_DIR}/ca.pem")).unwrap())
        .unwrap();
    HttpClient::with_roots(roots)
}

/// Reads a body the way the coach does: a non-blocking read per tick.
async fn read_in_ticks(body: &mut Body) -> io::Result<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    for ticks in 1..1000 {
        if body.read_now(&mut |piece| out.extend_from_slice(piece))? == BodyRead::Complete {
            return Ok((out, ticks));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the body never completed");
}

async fn post(client: &HttpClient, url: &str) -> Result<Response, HttpError> {
    let target = Target::parse(url).unwrap();
    client
        .post(
            &target,
            &[("Content-Type", "application/json")],
            b"{\"stream\":true}",
            TIMEOUT,
        )
        .await
}

async fn stream_twice_over_one_connection(tls: bool) {
    let events = [
        "data: {\"a\":1}\n\n",
        "data: {\"b\":\"\u{e9}\"}\n\n",
        "data: [DONE]\n\n",
    ];
    let server = start_server(
        vec![Answer {
            pieces: chunked_sse(&events),
            close_after: false,
        }],
        tls,
    )
    .await;
    let client = test_client();
    for round in 0..2 {
        let mut response = post(&client, &server.url).await.expect("response");
        assert_eq!(response.head.status, 200);
        let (body, ticks) = read_in_ticks(&mut response.body).await.expect("whole body");
        assert_eq!(
            String::from_utf8(body).unwrap(),
            events.concat(),
            "round {round}"
        );
        assert!(ticks < 200, "{ticks} ticks");
        drop(response);
        assert_eq!(
            client.idle_connections(),
            1,
            "the connection went back to the pool"
        );
    }
    assert_eq!(
        server.accepted.load(Ordering::SeqCst),
        1,
        "one connection for both"
    );
    let requests = server.requests.lock().unwrap();
    assert!(requests[0].starts_with("POST /v1/chat/completions HTTP/1.1\r\n"));
    assert!(requests[0].ends_with("\r\n\r\n{\"stream\":true}"));
}

#[tokio::test]
async fn a_streamed_body_arrives_whole_and_the_connection_is_reused() {
    stream_twice_over_one_connection(false).await;
}

#[tokio::test]
async fn tls_streams_the_same_and_is_reused_too() {
    stream_twice_over_one_connection(true).await;
}

#[tokio::test]
async fn a_certificate_from_an_unknown_authority_is_refused() {
    let server = start_server(vec![], true).await;
    let error = post(&HttpClient::new(), &server.url)
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(&error, HttpError::Connect(m) if m.contains("certificate")),
        "{error}"
    );
}

/// A client, and the response to its one request to a server that answers with `pieces`
/// (the server is returned too, so it lives as long as the test needs it).
async fn one_answer(pieces: Vec<Vec<u8>>, close_after: bool) -> (Server, HttpClient, Response) {
    let server = start_server(
        vec![Answer {
            pieces,
            close_after,
        }],
        false,
    )
    .await;
    let client = test_client();
    let response = post(&client, &server.url).await.expect("response");
    (server, client, response)
}

#[tokio::test]
async fn a_body_cut_by_the_server_is_an_error_not_an_end() {
    let mut pieces = chunked_sse(&["data: {\"a\":1}\n\n"]);
    pieces.pop(); // no terminating chunk
    let (_server, client, mut response) = one_answer(pieces, true).await;
    let error = read_in_ticks(&mut response.body).await.expect_err("cut");
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    drop(response);
    assert_eq!(client.idle_connections(), 0);
}

#[tokio::test]
async fn a_body_read_in_ticks_with_bytes_after_it_keeps_its_connection_out_of_the_pool() {
    let mut pieces = chunked_sse(&["data: {\"a\":1}\n\n"]);
    // The last chunk and an answer nobody asked for, in one write.
    pieces.pop();
    pieces.push(b"0\r\n\r\nHTTP/1.1 200 OK\r\n".to_vec());
    let (_server, client, mut response) = one_answer(pieces, false).await;
    let (body, _) = read_in_ticks(&mut response.body).await.expect("whole body");
    assert_eq!(body, b"data: {\"a\":1}\n\n");
    drop(response);
    assert_eq!(client.idle_connections(), 0);
}

#[tokio::test]
async fn a_malformed_chunked_body_read_in_ticks_is_an_error() {
    let pieces = vec![chunked_sse(&[]).remove(0), b"zz\r\ndata\r\n".to_vec()];
    let (_server, _client, mut response) = one_answer(pieces, false).await;
    let error = read_in_ticks(&mut response.body)
        .await
        .expect_err("malformed");
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
}

#[tokio::test]
async fn a_kept_alive_connection_the_server_closed_is_replaced_transparently() {
    let json = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    let server = start_server(
        vec![Answer {
            // Claims keep-alive, then closes anyway (as servers do at their idle timeout).
            pieces: vec![json.to_vec()],
            close_after: true,
        }],
        false,
    )
    .await;
    let client = test_client();
    for _ in 0..3 {
        let response = post(&client, &server.url).await.expect("answered");
        assert_eq!(
            response.body.read_to_end(1024, TIMEOUT).await.unwrap(),
            b"{}"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(server.accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn error_bodies_are_read_to_a_limit() {
    let head = b"HTTP/1.1 402 Payment Required\r\nRetry-After: 3\r\nContent-Length: 2000\r\n\r\n";
    let server = start_server(
        vec![Answer {
            pieces: vec![head.to_vec(), vec![b'x'; 2000]],
            close_after: false,
        }],
        false,
    )
    .await;
    let response = post(&test_client(), &server.url).await.expect("response");
    assert_eq!(response.head.status, 402);
    assert_eq!(response.head.retry_after.as_deref(), Some("3"));
    assert_eq!(
        response.body.read_to_end(100, TIMEOUT).await.unwrap().len(),
        100
    );
}

#[tokio::test]
async fn nobody_listening_is_a_connect_error_naming_the_address() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let error = post(&test_client(), &format!("http://127.0.0.1:{port}/v1"))
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(&error, HttpError::Connect(m) if m.contains(&format!("127.0.0.1:{port}"))),
        "{error}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let target = Target::parse(&url).unwrap();
    let error = test_client()
        .post(&target, &[], b"{}", Duration::from_millis(200))
        .await
        .err()
        .expect("timeout");
    assert_eq!(error, HttpError::Timeout);
    drop(listener);
}

#[tokio::test]
async fn a_request_bigger_than_the_socket_buffers_is_sent_whole() {
    let json = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    for tls in [false, true] {
        let server = start_server(
            vec![Answer {
                pieces: vec![json.to_vec()],
                close_after: false,
            }],
            tls,
        )
        .await;
        let body = vec![b'a'; 8 << 20];
        let target = Target::parse(&server.url).unwrap();
        let response = test_client()
            .post(&target, &[], &body, TIMEOUT)
            .await
            .expect("answered");
        assert_eq!(response.body.read_to_end(64, TIMEOUT).await.unwrap(), b"{}");
        let requests = server.requests.lock().unwrap();
        assert!(requests[0].ends_with(&"a".repeat(1000)));
        assert!(requests[0].len() > 8 << 20, "tls {tls}");
    }
}

#[test]
fn a_pooled_connection_keeps_working_when_another_runtime_picks_it_up() {
    let json = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    let answers = vec![Answer {
        pieces: vec![json.to_vec()],
        close_after: false,
    }];
    // The server lives on its own runtime, on its own thread, for the whole test.
    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    let server = server_runtime.block_on(start_server(answers, false));
    let client = test_client();
    // Each client runtime ends before the next starts, as tests and CLI commands do; the
    // connection left in the pool was watched by the first one's reactor.
    for round in 0..3 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let body = runtime.block_on(async {
            let response = post(&client, &server.url).await.expect("answered");
            response.body.read_to_end(1024, TIMEOUT).await.unwrap()
        });
        assert_eq!(body, b"{}", "round {round}");
        drop(runtime);
        assert_eq!(client.idle_connections(), 1, "round {round}");
    }
    assert_eq!(
        server.accepted.load(Ordering::SeqCst),
        1,
        "every runtime reused the one connection"
    );
}
