//! Request heads out, response heads in (HTTP/1.1 only; parsing is `httparse`'s).

use std::io::Write;
use std::sync::Arc;

use super::chunked::Framing;

/// A response head bigger than this is not from an API server.
pub const MAX_HEAD_BYTES: usize = 64 << 10;
const MAX_HEADERS: usize = 64;

/// Where requests go: one connection pool per origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub tls: bool,
    /// Shared, because every body keeps its origin to find its way back to the pool.
    pub host: Arc<str>,
    pub port: u16,
}

/// A parsed `http(s)://host[:port]/path?query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub origin: Origin,
    /// Path and query, as sent on the request line.
    pub path: String,
    /// The `Host` header value.
    pub authority: String,
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, String> {
        let url = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
        let tls = match url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(format!("unsupported scheme {other:?}")),
        };
        let host = url
            .host_str()
            .ok_or_else(|| "the URL has no host".to_owned())?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .into();
        let port = url
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 });
        let authority = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let mut path = url.path().to_owned();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        Ok(Target {
            origin: Origin { tls, host, port },
            path,
            authority,
        })
    }
}

impl Target {
    /// The same origin with `segment` appended to the path (`…/bot<token>` + `/getMe`).
    pub fn join(&self, segment: &str) -> Target {
        Target {
            origin: self.origin.clone(),
            path: format!("{}/{segment}", self.path.trim_end_matches('/')),
            authority: self.authority.clone(),
        }
    }
}

/// Bytes kept free in front of a body serialized by [`PostRequest::json`], for the head.
/// A head is the request line, `Host`, `Content-Length` and the caller's few headers: a few
/// hundred bytes, more only with a long API key.
const HEAD_ROOM: usize = 1024;

/// The bytes of one `POST`, keeping the connection open for reuse.
pub struct PostRequest {
    bytes: Vec<u8>,
    /// Where the request starts: a head written in front of its body leaves room unused.
    start: usize,
}

impl PostRequest {
    /// A request around a body that already exists as bytes (copied once, after the head).
    pub fn new(target: &Target, headers: &[(&str, &str)], body: &[u8]) -> PostRequest {
        let mut bytes = super::spare::take(256 + body.len());
        write_post_request(&mut bytes, target, headers, body);
        PostRequest { bytes, start: 0 }
    }

    /// A request whose JSON body is serialized where it is sent from: the body is written
    /// once, after room for the head, and the head goes into that room once the body's length
    /// is known. A model request carries the whole prompt, so a copy of it per request showed
    /// in the bot's memory when hundreds of replies start together.
    pub fn json<B: serde::Serialize + ?Sized>(
        target: &Target,
        headers: &[(&str, &str)],
        body: &B,
    ) -> serde_json::Result<PostRequest> {
        let mut bytes = super::spare::take(HEAD_ROOM + 1024);
        bytes.resize(HEAD_ROOM, 0);
        serde_json::to_writer(&mut bytes, body)?;
        let body_len = bytes.len() - HEAD_ROOM;
        let mut head = [0u8; HEAD_ROOM];
        let mut room = &mut head[..];
        if write_post_head(&mut room, target, headers, body_len).is_ok() {
            let head_len = HEAD_ROOM - room.len();
            let start = HEAD_ROOM - head_len;
            bytes[start..HEAD_ROOM].copy_from_slice(&head[..head_len]);
            return Ok(PostRequest { bytes, start });
        }
        // Headers too long for the room: copy the body after them instead.
        let request = PostRequest::new(target, headers, &bytes[HEAD_ROOM..]);
        super::spare::give_back(bytes);
        Ok(request)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[self.start..]
    }
}

impl Drop for PostRequest {
    fn drop(&mut self) {
        super::spare::give_back(std::mem::take(&mut self.bytes));
    }
}

/// Appends the bytes of a `POST` to `out` (a pipeline queues many in one buffer).
pub fn write_post_request(
    out: &mut Vec<u8>,
    target: &Target,
    headers: &[(&str, &str)],
    body: &[u8],
) {
    // Writing to a vector cannot fail.
    let _ = write_post_head(out, target, headers, body.len());
    out.extend_from_slice(body);
}

/// Writes the head of a `POST` whose body is `body_len` bytes; fails only when `out` is full.
fn write_post_head(
    out: &mut impl Write,
    target: &Target,
    headers: &[(&str, &str)],
    body_len: usize,
) -> std::io::Result<()> {
    out.write_all(b"POST ")?;
    out.write_all(target.path.as_bytes())?;
    out.write_all(b" HTTP/1.1\r\nHost: ")?;
    out.write_all(target.authority.as_bytes())?;
    // Formatted in place: a string per request showed among a preview's allocations.
    write!(out, "\r\nContent-Length: {body_len}\r\n")?;
    for (name, value) in headers {
        out.write_all(name.as_bytes())?;
        out.write_all(b": ")?;
        out.write_all(value.as_bytes())?;
        out.write_all(b"\r\n")?;
    }
    out.write_all(b"\r\n")
}

/// A `Content-Type` naming JSON (parameters such as `charset` aside).
pub fn is_json_type(content_type: &str) -> bool {
    content_type.trim_start().starts_with("application/json")
}

/// What the caller needs from a response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    /// The body says it is JSON (`Content-Type: application/json`). Only this is kept of
    /// the type: a string per answer was a measurable share of a preview's allocations.
    pub json: bool,
    pub retry_after: Option<String>,
    /// Where a redirect points.
    pub location: Option<String>,
    pub framing: Framing,
    /// The server will close the connection after this response.
    pub closes: bool,
}

/// Parses a response head from the start of `bytes`. `Ok(None)`: more bytes are needed.
/// On success also returns the head's length (the body starts there).
pub fn parse_response_head(bytes: &[u8]) -> Result<Option<(ResponseHead, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if bytes.len() > MAX_HEAD_BYTES => {
            return Err("response head too large".to_owned());
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(error) => return Err(format!("malformed response head: {error}")),
    };
    let status = response.code.unwrap_or_default();
    let mut head = ResponseHead {
        status,
        json: false,
        retry_after: None,
        location: None,
        framing: Framing::UntilClose,
        closes: response.version == Some(0),
    };
    let mut chunked = false;
    let mut length = None;
    for header in response.headers.iter() {
        // Borrowed unless it is not UTF-8: most headers are only looked at.
        let value = String::from_utf8_lossy(header.value);
        let value = value.trim();
        let name = header.name;
        if name.eq_ignore_ascii_case("content-type") {
            head.json = is_json_type(value);
        } else if name.eq_ignore_ascii_case("retry-after") {
            head.retry_after = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("location") {
            head.location = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<u64>()
                    .map_err(|_| format!("bad Content-Length {value:?}"))?,
            );
        } else if name.eq_ignore_ascii_case("connection") {
            let has = |option: &str| {
                value
                    .split(',')
                    .any(|token| token.trim().eq_ignore_ascii_case(option))
            };
            if has("close") {
                head.closes = true;
            } else if has("keep-alive") {
                head.closes = false;
            }
        }
    }
    // RFC 9112 §6.3: no body for 1xx, 204 and 304; chunked wins over a length.
    head.framing = if matches!(status, 100..=199 | 204 | 304) {
        Framing::Length(0)
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        head.closes = true;
        Framing::UntilClose
    };
    Ok(Some((head, len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_request_is_byte_for_byte_the_request_around_its_serialized_body() {
        let target = Target::parse("http://127.0.0.1:8080/v1/chat/completions").unwrap();
        let body = serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "hé \"x\"\n"}]});
        let encoded = serde_json::to_vec(&body).unwrap();
        let long_key = format!("Bearer {}", "k".repeat(2 * HEAD_ROOM));
        // Short headers fit the room in front of the body; a long one does not.
        for headers in [
            vec![("Content-Type", "application/json")],
            vec![("Authorization", long_key.as_str())],
        ] {
            let request = PostRequest::json(&target, &headers, &body).unwrap();
            let expected = PostRequest::new(&target, &headers, &encoded);
            assert_eq!(request.as_bytes(), expected.as_bytes());
            let text = String::from_utf8_lossy(request.as_bytes()).into_owned();
            assert!(
                text.starts_with("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n")
            );
            assert!(text.contains(&format!("\r\nContent-Length: {}\r\n", encoded.len())));
            assert!(text.ends_with(&format!("\r\n\r\n{}", String::from_utf8_lossy(&encoded))));
        }
    }

    #[test]
    fn targets_keep_path_query_and_explicit_ports() {
        let t = Target::parse("https://openrouter.ai/api/v1/chat/completions").unwrap();
        assert_eq!(
            t.origin,
            Origin {
                tls: true,
                host: "openrouter.ai".into(),
                port: 443
            }
        );
        assert_eq!(t.path, "/api/v1/chat/completions");
        assert_eq!(t.authority, "openrouter.ai");
        assert_eq!(t.join("models").path, "/api/v1/chat/completions/models");
        let t = Target::parse("http://127.0.0.1:11434/v1/chat/completions?x=1").unwrap();
        assert_eq!(t.origin.port, 11434);
        assert!(!t.origin.tls);
        assert_eq!(t.path, "/v1/chat/completions?x=1");
        assert_eq!(t.authority, "127.0.0.1:11434");
        assert!(Target::parse("ftp://x/y").is_err());
    }

    #[test]
    fn a_request_carries_host_length_and_headers() {
        let t = Target::parse("http://h:8080/v1/chat/completions").unwrap();
        let wire = PostRequest::new(&t, &[("Content-Type", "application/json")], b"{}");
        assert_eq!(
            String::from_utf8_lossy(wire.as_bytes()),
            "POST /v1/chat/completions HTTP/1.1\r\nHost: h:8080\r\nContent-Length: 2\r\n\
             Content-Type: application/json\r\n\r\n{}"
        );
    }

    #[test]
    fn heads_tell_status_framing_and_retry_after() {
        let wire = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n\
            Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        let (head, len) = parse_response_head(wire).unwrap().unwrap();
        assert_eq!(head.status, 429);
        assert_eq!(head.retry_after.as_deref(), Some("7"));
        assert!(head.json);
        assert_eq!(head.framing, Framing::Length(2));
        assert!(!head.closes);
        assert_eq!(&wire[len..], b"{}");

        let wire = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
            transfer-encoding: chunked\r\n\r\n";
        let (head, _) = parse_response_head(wire).unwrap().unwrap();
        assert_eq!(head.framing, Framing::Chunked);
        assert!(!head.json);

        let (head, _) = parse_response_head(b"HTTP/1.0 200 OK\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(head.framing, Framing::UntilClose);
        assert!(head.closes);
    }

    #[test]
    fn the_connection_header_is_read_as_a_list_of_options() {
        let closes = |value: &str| {
            let wire =
                format!("HTTP/1.1 200 OK\r\nConnection: {value}\r\nContent-Length: 0\r\n\r\n");
            parse_response_head(wire.as_bytes())
                .unwrap()
                .unwrap()
                .0
                .closes
        };
        assert!(closes("close"));
        assert!(closes("Upgrade, CLOSE"));
        assert!(!closes("keep-alive"));
        // An option that merely contains the word is not it.
        assert!(!closes("x-closed-captions"));
        let http10 = b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n";
        assert!(!parse_response_head(http10).unwrap().unwrap().0.closes);
    }

    #[test]
    fn partial_and_garbage_heads_are_told_apart() {
        assert_eq!(parse_response_head(b"HTTP/1.1 200 OK\r\nConte"), Ok(None));
        assert!(parse_response_head(b"<html>hello</html>\r\n\r\n").is_err());
        assert!(parse_response_head(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
    }
}
