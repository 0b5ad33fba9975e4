//! HTTP/1.1 response body framing: `Content-Length`, chunked transfer coding, or "until the
//! server closes". Pure: bytes in, body bytes out, in whatever pieces the network delivers.

/// How the end of a response body is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// `Content-Length: n`.
    Length(u64),
    /// Neither: the body ends when the server closes the connection.
    UntilClose,
}

/// Where a body decoder stands after some bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyState {
    /// More body may follow.
    Open,
    /// The body is complete; any bytes after it belong to the connection, not the body.
    Complete,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed chunked body: {0}")]
pub struct FramingError(&'static str);

/// A chunk-size line longer than this is not HTTP (sizes are a few hex digits plus optional
/// extensions, which are ignored).
const MAX_SIZE_LINE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading the size line (hex digits, then optional `;extensions`, then CRLF).
    Size {
        value: u64,
        digits: usize,
        in_extension: bool,
        line_len: usize,
    },
    /// Inside a chunk's data.
    Data {
        left: u64,
    },
    /// After a chunk's data: its CR then LF.
    DataEnd {
        seen_cr: bool,
    },
    /// After the last (zero) chunk: trailer lines until an empty one.
    Trailer {
        line_len: usize,
        seen_cr: bool,
    },
    Done,
}

/// Decodes one response body.
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    framing: Framing,
    chunk: Chunk,
    /// For `Length`: body bytes still expected.
    remaining: u64,
}

impl BodyDecoder {
    pub fn new(framing: Framing) -> Self {
        let remaining = match framing {
            Framing::Length(n) => n,
            _ => 0,
        };
        Self {
            framing,
            chunk: Chunk::Size {
                value: 0,
                digits: 0,
                in_extension: false,
                line_len: 0,
            },
            remaining,
        }
    }

    pub fn state(&self) -> BodyState {
        let complete = match self.framing {
            Framing::Chunked => self.chunk == Chunk::Done,
            Framing::Length(_) => self.remaining == 0,
            Framing::UntilClose => false,
        };
        if complete {
            BodyState::Complete
        } else {
            BodyState::Open
        }
    }

    /// True when the connection closing now ends the body properly (rather than cutting it).
    pub fn close_is_end(&self) -> bool {
        self.framing == Framing::UntilClose || self.state() == BodyState::Complete
    }

    /// Appends the body bytes in `input` to `out`. Returns how many input bytes were used:
    /// fewer than `input.len()` only when the body completed inside `input`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, FramingError> {
        self.decode_with(input, &mut |piece| out.extend_from_slice(piece))
    }

    /// Hands the body bytes in `input` to `sink`, borrowed, in as few pieces as the framing
    /// allows (one per chunk), so a reader that parses them as they come copies nothing.
    /// Returns what [`BodyDecoder::decode`] returns.
    pub fn decode_with(
        &mut self,
        input: &[u8],
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<usize, FramingError> {
        match self.framing {
            Framing::UntilClose => {
                sink(input);
                Ok(input.len())
            }
            Framing::Length(_) => {
                let take = input
                    .len()
                    .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
                sink(&input[..take]);
                self.remaining -= take as u64;
                Ok(take)
            }
            Framing::Chunked => self.decode_chunked(input, sink),
        }
    }

    fn decode_chunked(
        &mut self,
        input: &[u8],
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<usize, FramingError> {
        let mut at = 0;
        while at < input.len() {
            match &mut self.chunk {
                Chunk::Done => return Ok(at),
                Chunk::Data { left } => {
                    let take = (input.len() - at).min(usize::try_from(*left).unwrap_or(usize::MAX));
                    sink(&input[at..at + take]);
                    at += take;
                    *left -= take as u64;
                    if *left == 0 {
                        self.chunk = Chunk::DataEnd { seen_cr: false };
                    }
                }
                Chunk::DataEnd { seen_cr } => {
                    let byte = input[at];
                    at += 1;
                    match (byte, *seen_cr) {
                        (b'\r', false) => *seen_cr = true,
                        (b'\n', _) => self.chunk = size_line(),
                        _ => return Err(FramingError("chunk data not followed by CRLF")),
                    }
                }
                Chunk::Size {
                    value,
                    digits,
                    in_extension,
                    line_len,
                } => {
                    let byte = input[at];
                    at += 1;
                    *line_len += 1;
                    if *line_len > MAX_SIZE_LINE {
                        return Err(FramingError("chunk size line too long"));
                    }
                    match byte {
                        b'\n' => {
                            if *digits == 0 {
                                return Err(FramingError("chunk size missing"));
                            }
                            self.chunk = if *value == 0 {
                                Chunk::Trailer {
                                    line_len: 0,
                                    seen_cr: false,
                                }
                            } else {
                                Chunk::Data { left: *value }
                            };
                        }
                        b'\r' => {}
                        _ if *in_extension => {}
                        b';' | b' ' | b'\t' => *in_extension = true,
                        _ => {
                            let digit = (byte as char)
                                .to_digit(16)
                                .ok_or(FramingError("chunk size is not hexadecimal"))?;
                            *value = value
                                .checked_mul(16)
                                .map(|v| v + u64::from(digit))
                                .filter(|_| *digits < 16)
                                .ok_or(FramingError("chunk size too large"))?;
                            *digits += 1;
                        }
                    }
                }
                Chunk::Trailer { line_len, seen_cr } => {
                    let byte = input[at];
                    at += 1;
                    match byte {
                        b'\n' if *line_len == 0 => self.chunk = Chunk::Done,
                        b'\n' => {
                            *line_len = 0;
                            *seen_cr = false;
                        }
                        b'\r' => *seen_cr = true,
                        _ => {
                            *line_len += 1;
                            if *line_len > MAX_SIZE_LINE {
                                return Err(FramingError("trailer line too long"));
                            }
                        }
                    }
                }
            }
        }
        Ok(at)
    }
}

fn size_line() -> Chunk {
    Chunk::Size {
        value: 0,
        digits: 0,
        in_extension: false,
        line_len: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(
        framing: Framing,
        wire: &[u8],
        piece: usize,
    ) -> (Vec<u8>, BodyState, usize) {
        let mut decoder = BodyDecoder::new(framing);
        let mut body = Vec::new();
        let mut used = 0;
        for part in wire.chunks(piece) {
            let n = decoder.decode(part, &mut body).expect("valid framing");
            used += n;
            if n < part.len() {
                break;
            }
        }
        (body, decoder.state(), used)
    }

    #[test]
    fn chunked_bodies_decode_the_same_whatever_the_read_sizes() {
        let wire = b"7\r\ndata: a\r\n17;ext=1\r\ndata: {\"x\":\"\xc3\xa9t\xc3\xa9\"}\n\n..\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        let expected: &[u8] = b"data: adata: {\"x\":\"\xc3\xa9t\xc3\xa9\"}\n\n..";
        for piece in 1..wire.len() {
            let (body, state, used) = decode_in_pieces(Framing::Chunked, wire, piece);
            assert_eq!(body, expected, "piece size {piece}");
            assert_eq!(state, BodyState::Complete);
            assert_eq!(
                &wire[used..],
                b"NEXT",
                "bytes after the body are left alone"
            );
        }
    }

    #[test]
    fn an_unfinished_chunked_body_stays_open() {
        let (body, state, _) = decode_in_pieces(Framing::Chunked, b"5\r\nhello\r\n3\r\nwo", 4);
        assert_eq!(body, b"hellowo");
        assert_eq!(state, BodyState::Open);
        assert!(!BodyDecoder::new(Framing::Chunked).close_is_end());
    }

    #[test]
    fn content_length_stops_at_the_length() {
        let (body, state, used) = decode_in_pieces(Framing::Length(5), b"helloEXTRA", 3);
        assert_eq!(body, b"hello");
        assert_eq!(state, BodyState::Complete);
        assert_eq!(used, 5);
        assert_eq!(
            BodyDecoder::new(Framing::Length(0)).state(),
            BodyState::Complete
        );
    }

    #[test]
    fn until_close_bodies_end_only_at_close() {
        let (body, state, _) = decode_in_pieces(Framing::UntilClose, b"abc", 1);
        assert_eq!(body, b"abc");
        assert_eq!(state, BodyState::Open);
        assert!(BodyDecoder::new(Framing::UntilClose).close_is_end());
    }

    #[test]
    fn malformed_framing_is_an_error_not_a_hang() {
        for wire in [
            &b"zz\r\n"[..],
            b"\r\n",
            b"3\r\nabcX",
            b"FFFFFFFFFFFFFFFFF\r\n",
        ] {
            let mut decoder = BodyDecoder::new(Framing::Chunked);
            assert!(decoder.decode(wire, &mut Vec::new()).is_err(), "{wire:?}");
        }
    }
}
