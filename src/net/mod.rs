//! A small HTTP/1.1 client for long streamed responses (LLM replies), read on the reader's
//! schedule.
//!
//! Why not reqwest here: hyper wakes the process for every packet and passes each chunk
//! through a channel between two tasks. A reply is hundreds of tiny chunks, so at 250
//! concurrent streams those wake-ups were most of the bot's CPU. This client writes the
//! request and waits for the response head with the reactor, then takes the socket out of it:
//! the body is read with one non-blocking read per tick ([`Body::read_now`]), however many
//! tokens arrived meanwhile. Connections are kept alive and reused per origin, TLS is rustls
//! with the webpki roots (as reqwest is configured), and everything else (other methods,
//! redirects, proxies, compression) stays with reqwest.

mod answers;
mod chunked;
mod grid;
mod head;
mod pipeline;
mod socket;
pub mod spare;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

pub use chunked::{BodyDecoder, BodyState, Framing};
pub use grid::{GRID, on_grid, on_slow_grid};
use head::{Origin, parse_response_head};
pub use head::{PostRequest, ResponseHead, Target, is_json_type};
pub use pipeline::{Answer, PendingAnswer, Pipeline};
use socket::{Pulled, Socket};

/// How tiltguard names itself to every server it calls.
pub const USER_AGENT: &str = concat!("tiltguard/", env!("CARGO_PKG_VERSION"));

/// Idle connections kept per origin; more concurrent streams than this reconnect.
const MAX_IDLE_PER_ORIGIN: usize = 512;
/// Servers drop idle keep-alive connections after a minute or so; do not bet on older ones.
const IDLE_EXPIRY: Duration = Duration::from_secs(50);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Connect(String),
    #[error("no response within the timeout")]
    Timeout,
    #[error("{0}")]
    Protocol(String),
}

#[derive(Clone)]
pub struct HttpClient {
    shared: Arc<Shared>,
}

struct Shared {
    tls: Arc<rustls::ClientConfig>,
    idle: Mutex<HashMap<Origin, Vec<(Socket, Instant)>>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient {
    /// Trusts the webpki (Mozilla) roots.
    pub fn new() -> Self {
        static TLS: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
        let tls = TLS.get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            tls_config(roots)
        });
        Self::with_tls(tls.clone())
    }

    /// Trusts only `roots` (tests with their own certificate authority).
    pub fn with_roots(roots: rustls::RootCertStore) -> Self {
        Self::with_tls(tls_config(roots))
    }

    fn with_tls(tls: Arc<rustls::ClientConfig>) -> Self {
        Self {
            shared: Arc::new(Shared {
                tls,
                idle: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Sends a `POST` and waits (at most `timeout`, connecting included) for the response
    /// head. The body is then read by the caller through [`Body`].
    pub async fn post(
        &self,
        target: &Target,
        headers: &[(&str, &str)],
        body: &[u8],
        timeout: Duration,
    ) -> Result<Response, HttpError> {
        let request = PostRequest::new(target, headers, body);
        self.send(target, &request, timeout).await
    }

    /// [`HttpClient::post`] for a request already built (see [`PostRequest::json`]).
    pub async fn send(
        &self,
        target: &Target,
        request: &PostRequest,
        timeout: Duration,
    ) -> Result<Response, HttpError> {
        let request = request.as_bytes();
        let origin = &target.origin;
        let exchange = async {
            // A reused connection the server closed meanwhile fails before any response
            // byte; then (only then) the request is sent again on a fresh one.
            if let Some(socket) = self.checkout(origin) {
                match exchange(socket, request).await {
                    Ok(done) => return Ok(done),
                    Err(Failure::BeforeResponse(error)) => {
                        tracing::debug!(%error, "a kept-alive connection was stale; reconnecting");
                    }
                    Err(Failure::Other(error)) => return Err(error),
                }
            }
            let socket = Socket::connect(origin, &self.shared.tls, timeout)
                .await
                .map_err(|e| connect_error(origin, &e))?;
            exchange(socket, request)
                .await
                .map_err(|failure| match failure {
                    Failure::BeforeResponse(error) | Failure::Other(error) => error,
                })
        };
        let (socket, head, leftover) = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| HttpError::Timeout)??;
        Ok(Response {
            body: Body {
                socket: Some(socket),
                decoder: BodyDecoder::new(head.framing),
                raw: leftover,
                peer_closed: false,
                reusable: !head.closes,
                complete: false,
                origin: origin.clone(),
                shared: self.shared.clone(),
            },
            head,
        })
    }

    fn tls(&self) -> &Arc<rustls::ClientConfig> {
        &self.shared.tls
    }

    fn checkout(&self, origin: &Origin) -> Option<Socket> {
        let mut idle = self.shared.idle.lock().unwrap_or_else(|e| e.into_inner());
        let sockets = idle.get_mut(origin)?;
        while let Some((mut socket, since)) = sockets.pop() {
            if since.elapsed() < IDLE_EXPIRY && socket.looks_idle() {
                return Some(socket);
            }
        }
        None
    }

    /// Idle connections currently kept (for tests and metrics).
    pub fn idle_connections(&self) -> usize {
        let idle = self.shared.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.values().map(Vec::len).sum()
    }
}

/// True when the environment names an HTTP proxy. reqwest honours `HTTPS_PROXY`,
/// `HTTP_PROXY` and `ALL_PROXY` (either case) and this client does not, so callers fall back
/// to reqwest then.
pub fn proxy_configured() -> bool {
    ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"]
        .iter()
        .any(|name| {
            [name.to_string(), name.to_lowercase()]
                .iter()
                .any(|var| std::env::var(var).is_ok_and(|v| !v.trim().is_empty()))
        })
}

/// How a reqwest call failed, in the words every client here uses in its errors.
pub fn failure_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    }
}

/// The process-wide client: one connection pool per origin for everybody.
pub fn shared_client() -> HttpClient {
    static CLIENT: OnceLock<HttpClient> = OnceLock::new();
    CLIENT.get_or_init(HttpClient::new).clone()
}

fn tls_config(roots: rustls::RootCertStore) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

fn connect_error(origin: &Origin, error: &io::Error) -> HttpError {
    if error.kind() == io::ErrorKind::TimedOut {
        return HttpError::Timeout;
    }
    HttpError::Connect(format!(
        "cannot connect to {}:{}: {error}",
        origin.host, origin.port
    ))
}

enum Failure {
    /// Nothing of a response arrived: safe to send the request again.
    BeforeResponse(HttpError),
    Other(HttpError),
}

/// Writes the request and reads until the response head is complete. The socket stays
/// watched, so the caller can wait for the first body bytes too.
async fn exchange(
    mut socket: Socket,
    request: &[u8],
) -> Result<(Socket, ResponseHead, Vec<u8>), Failure> {
    socket
        .watch()
        .map_err(|e| Failure::Other(HttpError::Connect(e.to_string())))?;
    socket
        .write_all(request)
        .await
        .map_err(|e| Failure::BeforeResponse(HttpError::Connect(format!("sending: {e}"))))?;
    // Grows to what arrives (an API answer is a few hundred bytes, and a large allocation
    // per call cost more than the copy), in a buffer an earlier answer gave back if any.
    let mut received = spare::take(0);
    loop {
        let closed = match socket.pull_wait(&mut received).await {
            Ok(Pulled::Closed) => true,
            Ok(_) => false,
            Err(error) if received.is_empty() => {
                return Err(Failure::BeforeResponse(HttpError::Connect(
                    error.to_string(),
                )));
            }
            Err(error) => return Err(Failure::Other(HttpError::Connect(error.to_string()))),
        };
        match parse_response_head(&received) {
            // An interim response (100 Continue) is followed by the real one.
            Ok(Some((head, len))) if (100..200).contains(&head.status) => {
                received.drain(..len);
            }
            Ok(Some((head, len))) => {
                received.drain(..len);
                return Ok((socket, head, received));
            }
            Ok(None) if closed && received.is_empty() => {
                return Err(Failure::BeforeResponse(HttpError::Connect(
                    "the server closed the connection without answering".into(),
                )));
            }
            Ok(None) if closed => {
                return Err(Failure::Other(HttpError::Protocol(
                    "the connection closed inside the response head".into(),
                )));
            }
            Ok(None) => {}
            Err(error) => return Err(Failure::Other(HttpError::Protocol(error))),
        }
    }
}

pub struct Response {
    pub head: ResponseHead,
    pub body: Body,
}

/// What [`Body::read_now`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRead {
    /// More may come; read again later.
    Open,
    /// The whole body has been read.
    Complete,
}

/// A response body, read without the reactor. Dropping it before the end closes the
/// connection (which is how a streamed reply is cancelled); a body read to its end returns
/// its connection to the pool.
pub struct Body {
    socket: Option<Socket>,
    decoder: BodyDecoder,
    /// Received but not yet decoded.
    raw: Vec<u8>,
    peer_closed: bool,
    reusable: bool,
    complete: bool,
    origin: Origin,
    shared: Arc<Shared>,
}

impl Body {
    /// Like [`Body::read_now`], but when nothing has arrived, arranges a wake-up for when
    /// something does. Cheap while little arrives (a model still thinking); call
    /// [`Body::stop_waking`] before reading a fast stream on a schedule.
    pub fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Poll<io::Result<BodyRead>> {
        if !self.complete && self.raw.is_empty() && !self.peer_closed {
            let Some(socket) = self.socket.as_mut() else {
                return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
            };
            if let Err(error) = socket.watch() {
                return Poll::Ready(Err(error));
            }
            match ready!(socket.poll_pull(cx, &mut self.raw)) {
                Ok(Pulled::Closed) => self.peer_closed = true,
                Ok(_) => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
        Poll::Ready(self.decode_raw(sink))
    }

    /// From now on, arriving bytes wake nobody; [`Body::read_now`] picks them up.
    pub fn stop_waking(&mut self) {
        if let Some(socket) = self.socket.as_mut() {
            socket.unwatch();
        }
    }

    /// Hands the body bytes that have arrived to `sink`, borrowed from the receive buffer,
    /// without waiting. An error means the body was cut (the connection closed early, or the
    /// framing is broken).
    pub fn read_now(&mut self, sink: &mut dyn FnMut(&[u8])) -> io::Result<BodyRead> {
        if self.complete {
            return Ok(BodyRead::Complete);
        }
        if self.raw.is_empty() && !self.peer_closed {
            let Some(socket) = self.socket.as_mut() else {
                return Err(io::ErrorKind::NotConnected.into());
            };
            // Decoded where the read put them: the bytes are never copied into `raw`.
            let (decoder, reusable) = (&mut self.decoder, &mut self.reusable);
            let mut decoded = Ok(());
            let pulled = socket.pull_with(&mut |bytes| {
                if decoded.is_ok() {
                    decoded = decode_into(decoder, reusable, bytes, sink);
                }
            })?;
            decoded?;
            if pulled == Pulled::Closed {
                self.peer_closed = true;
            }
        }
        self.decode_raw(sink)
    }

    fn decode_raw(&mut self, sink: &mut dyn FnMut(&[u8])) -> io::Result<BodyRead> {
        if !self.raw.is_empty() {
            decode_into(&mut self.decoder, &mut self.reusable, &self.raw, sink)?;
            self.raw.clear();
        }
        if self.decoder.state() == BodyState::Complete {
            self.complete = true;
            return Ok(BodyRead::Complete);
        }
        if self.peer_closed {
            if self.decoder.close_is_end() {
                self.complete = true;
                self.reusable = false;
                return Ok(BodyRead::Complete);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection before the body ended",
            ));
        }
        Ok(BodyRead::Open)
    }

    /// Reads the rest of the body, waiting with the reactor for at most `timeout` (an error
    /// of kind `TimedOut` after it); at most `limit` bytes are kept (the rest is not read,
    /// and the connection is not reused). A body that came with its head needs no timer.
    pub async fn read_to_end(mut self, limit: usize, timeout: Duration) -> io::Result<Vec<u8>> {
        let mut deadline = None;
        let mut out = spare::take(0);
        loop {
            let state = self.decode_raw(&mut |piece| out.extend_from_slice(piece))?;
            if out.len() >= limit {
                out.truncate(limit);
                self.reusable &= state == BodyRead::Complete;
                return Ok(out);
            }
            if state == BodyRead::Complete {
                return Ok(out);
            }
            let Some(socket) = self.socket.as_mut() else {
                return Err(io::ErrorKind::NotConnected.into());
            };
            socket.watch()?;
            let deadline = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + timeout);
            let pulled = tokio::time::timeout_at(deadline, socket.pull_wait(&mut self.raw))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the body did not arrive"))?;
            if pulled? == Pulled::Closed {
                self.peer_closed = true;
            }
        }
    }
}

/// Hands the body bytes in `bytes` to `sink`. Bytes after the body leave the connection in an
/// unknown state, so it is not `reusable`.
fn decode_into(
    decoder: &mut BodyDecoder,
    reusable: &mut bool,
    bytes: &[u8],
    sink: &mut dyn FnMut(&[u8]),
) -> io::Result<()> {
    let used = decoder
        .decode_with(bytes, sink)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    if used < bytes.len() {
        *reusable = false;
    }
    Ok(())
}

impl Drop for Body {
    fn drop(&mut self) {
        spare::give_back(std::mem::take(&mut self.raw));
        let Some(socket) = self.socket.take() else {
            return;
        };
        if !(self.complete && self.reusable) {
            return;
        }
        let mut idle = self.shared.idle.lock().unwrap_or_else(|e| e.into_inner());
        let sockets = idle.entry(self.origin.clone()).or_default();
        if sockets.len() < MAX_IDLE_PER_ORIGIN {
            sockets.push((socket, Instant::now()));
        }
    }
}
