//! Incremental decoder of the WHATWG `text/event-stream` format (HTML "event stream
//! interpretation").
//!
//! Bytes arrive in arbitrary network chunks: a UTF-8 character, a CRLF pair or a leading BOM
//! may be split anywhere. Every byte is scanned exactly once (a long line arriving in many
//! small chunks is never re-scanned), invalid UTF-8 becomes U+FFFD the way the WHATWG UTF-8
//! decoder does it, and no input makes the decoder panic or stop producing events.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The event type; `"message"` when the stream did not name one.
    pub event: String,
    pub data: String,
    /// The last event ID in force when the event was dispatched.
    pub last_event_id: String,
}

/// What the decoder hands out while it reads the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    Event(SseEvent),
    /// The value of a line-level `error:` field. The spec ignores unknown fields, so this never
    /// changes which events are dispatched; it exists because older llama.cpp servers report
    /// failures that way instead of inside a `data:` payload.
    ErrorField(String),
}

/// An [`SseItem`] borrowed from the decoder's buffers: what [`SseDecoder::feed_with`] hands
/// out, so a consumer that only reads the data (the chat stream, once per token) allocates
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseRef<'a> {
    Event {
        event: &'a str,
        data: &'a str,
        last_event_id: &'a str,
    },
    ErrorField(&'a str),
}

impl SseRef<'_> {
    pub fn to_owned_item(self) -> SseItem {
        match self {
            SseRef::Event {
                event,
                data,
                last_event_id,
            } => SseItem::Event(SseEvent {
                event: event.to_owned(),
                data: data.to_owned(),
                last_event_id: last_event_id.to_owned(),
            }),
            SseRef::ErrorField(value) => SseItem::ErrorField(value.to_owned()),
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Streaming decoder state. Feed it chunks with [`SseDecoder::feed`], then call
/// [`SseDecoder::finish`] at end of stream.
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// Bytes of the line being received, not yet terminated.
    line: Vec<u8>,
    /// The previous chunk ended in CR: an LF at the start of the next chunk belongs to it.
    swallow_lf: bool,
    /// At most one BOM is stripped, and only at the very start of the stream.
    past_first_line: bool,
    data: String,
    event_type: String,
    id_buffer: String,
    last_event_id: String,
    retry_ms: Option<u64>,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes one chunk of the stream, appending whatever it completes to `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<SseItem>) {
        self.feed_with(chunk, &mut |item| out.push(item.to_owned_item()));
    }

    /// Decodes one chunk of the stream, handing each item it completes to `sink`, borrowed.
    pub fn feed_with<'c>(&mut self, chunk: &'c [u8], sink: &mut dyn FnMut(SseRef<'_>)) {
        // The value of an event's only `data:` line so far, while it lies whole in `chunk`:
        // the usual event (one data line, then the blank line, in one read) is handed out
        // from the chunk itself instead of being copied into `self.data` first.
        let mut held: Option<&'c str> = None;
        let mut rest = chunk;
        if self.swallow_lf && !rest.is_empty() {
            self.swallow_lf = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', rest) {
            if self.line.is_empty() {
                // The whole line is in this chunk: no copy.
                self.end_line(&rest[..pos], Some(&mut held), sink);
            } else {
                // Only a chunk's first line continues an earlier one, so nothing is held yet.
                self.line.extend_from_slice(&rest[..pos]);
                let line = std::mem::take(&mut self.line);
                self.end_line(&line, None, sink);
                self.line = line;
                self.line.clear();
            }
            let terminator = rest[pos];
            rest = &rest[pos + 1..];
            if terminator == b'\r' {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.swallow_lf = true,
                }
            }
        }
        self.keep_held(&mut held);
        self.line.extend_from_slice(rest);
    }

    /// Ends the stream. Per the spec an event that was not terminated by a blank line is
    /// discarded; returns whether anything was discarded (a sign of a cut-off stream).
    pub fn finish(&mut self) -> bool {
        let discarded =
            !self.line.is_empty() || !self.data.is_empty() || !self.event_type.is_empty();
        self.line.clear();
        self.data.clear();
        self.event_type.clear();
        self.swallow_lf = false;
        discarded
    }

    /// Bytes held for an event still being received; callers cap it against hostile streams.
    pub fn pending_len(&self) -> usize {
        self.line.len() + self.data.len() + self.event_type.len()
    }

    /// The reconnection time the stream asked for with `retry:`, in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    /// The last event ID committed by a dispatch.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Interprets one line. With `held`, a line that lies in the chunk being fed, whose data
    /// may be held (see [`SseDecoder::feed_with`]).
    fn end_line<'c>(
        &mut self,
        mut bytes: &'c [u8],
        held: Option<&mut Option<&'c str>>,
        sink: &mut dyn FnMut(SseRef<'_>),
    ) {
        if !self.past_first_line {
            self.past_first_line = true;
            bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        }
        // CR and LF never occur inside a multi-byte sequence, and the decoder never swallows
        // an ASCII byte into an invalid sequence, so decoding line by line gives the same text
        // as decoding the whole stream at once. Valid UTF-8 (nearly always) takes the fast check.
        match std::str::from_utf8(bytes) {
            Ok(text) => self.interpret_line(text, held, sink),
            Err(_) => {
                // The repaired text is not in the chunk: what is held goes first, by copy.
                if let Some(held) = held {
                    self.keep_held(held);
                }
                self.interpret_line(&String::from_utf8_lossy(bytes), None, sink);
            }
        }
    }

    fn interpret_line<'c>(
        &mut self,
        line: &'c str,
        held: Option<&mut Option<&'c str>>,
        sink: &mut dyn FnMut(SseRef<'_>),
    ) {
        if line.is_empty() {
            let value = held.and_then(Option::take);
            self.dispatch(value, sink);
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => {
                self.event_type.clear();
                self.event_type.push_str(value);
            }
            "data" => match held {
                Some(slot @ None) if self.data.is_empty() => *slot = Some(value),
                held => {
                    if let Some(held) = held {
                        self.keep_held(held);
                    }
                    self.data.push_str(value);
                    self.data.push('\n');
                }
            },
            "id" if !value.contains('\0') => {
                self.id_buffer.clear();
                self.id_buffer.push_str(value);
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // A value too large for u64 is as unusable as a bogus one: keep the old one.
                if let Ok(ms) = value.parse() {
                    self.retry_ms = Some(ms);
                }
            }
            "error" => sink(SseRef::ErrorField(value)),
            _ => {}
        }
    }

    /// Moves a held data line into the data buffer, as if it had been copied there.
    fn keep_held(&mut self, held: &mut Option<&str>) {
        if let Some(value) = held.take() {
            self.data.push_str(value);
            self.data.push('\n');
        }
    }

    /// Hands out the event being built (its only data line, if `held`), then forgets it,
    /// keeping the buffers for the next.
    fn dispatch(&mut self, held: Option<&str>, sink: &mut dyn FnMut(SseRef<'_>)) {
        self.last_event_id.clone_from(&self.id_buffer);
        let data = match held {
            Some(value) => Some(value),
            None if self.data.is_empty() => None,
            None => Some(self.data.strip_suffix('\n').unwrap_or(&self.data)),
        };
        if let Some(data) = data {
            let event = match self.event_type.as_str() {
                "" => "message",
                named => named,
            };
            sink(SseRef::Event {
                event,
                data,
                last_event_id: &self.last_event_id,
            });
        }
        self.data.clear();
        self.event_type.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut decoder = SseDecoder::new();
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut out);
        }
        decoder.finish();
        out.into_iter()
            .filter_map(|item| match item {
                SseItem::Event(event) => Some(event),
                SseItem::ErrorField(_) => None,
            })
            .collect()
    }

    #[test]
    fn crlf_split_between_chunks_is_one_line_end() {
        let got = events(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].data, "a\nb");
    }

    #[test]
    fn lone_cr_at_chunk_end_followed_by_text_ends_the_line() {
        let got = events(&[b"data: a\r", b"data: b\r\r"]);
        assert_eq!(got[0].data, "a\nb");
    }

    #[test]
    fn bom_is_stripped_only_once_even_when_split() {
        let got = events(&[b"\xEF", b"\xBB", b"\xBFdata:1\n\n\xEF\xBB\xBFdata:2\n\n"]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].data, "1");
    }

    #[test]
    fn invalid_utf8_is_replaced_and_decoding_continues() {
        let got = events(&[b"data: \xE4\xBD", b"\n\ndata: \xF0\x9F\x91\x8D\n\n"]);
        assert_eq!(got[0].data, "\u{FFFD}");
        assert_eq!(got[1].data, "👍");
    }

    #[test]
    fn legacy_error_field_is_reported_but_dispatches_nothing() {
        let mut decoder = SseDecoder::new();
        let mut out = Vec::new();
        decoder.feed(b"error: {\"code\":500}\n\ndata: [DONE]\n\n", &mut out);
        assert_eq!(out[0], SseItem::ErrorField("{\"code\":500}".to_owned()));
        assert!(matches!(&out[1], SseItem::Event(e) if e.data == "[DONE]"));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn finish_reports_a_discarded_partial_event() {
        let mut decoder = SseDecoder::new();
        let mut out = Vec::new();
        decoder.feed(b"data: {\"x\":1}\n\n", &mut out);
        assert!(!decoder.finish());
        decoder.feed(b"data: {\"y\"", &mut out);
        assert!(decoder.finish());
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn events_are_the_same_however_the_stream_is_cut() {
        // One data line (handed out from the chunk when whole in it), several (copied), a
        // held line followed by a repaired one, comments, a named event and an id.
        let stream: &[u8] = b": keep-alive\ndata: one\n\ndata: a\ndata: b\n\n\
            data: first\ndata: bad \xFF end\n\nevent: x\nid: 7\ndata: {\"k\":1}\r\n\r\n";
        let whole = events(&[stream]);
        let datas: Vec<&str> = whole.iter().map(|e| e.data.as_str()).collect();
        assert_eq!(
            datas,
            ["one", "a\nb", "first\nbad \u{FFFD} end", "{\"k\":1}"]
        );
        assert_eq!(
            (whole[3].event.as_str(), whole[3].last_event_id.as_str()),
            ("x", "7")
        );
        for cut in 0..=stream.len() {
            let (head, tail) = stream.split_at(cut);
            assert_eq!(events(&[head, tail]), whole, "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(events(&bytes), whole, "byte by byte");
    }

    #[test]
    fn multi_megabyte_line_in_tiny_chunks_is_linear() {
        // A decoder that re-scans its buffer per chunk does ~2^36 byte visits here and never
        // finishes; a linear one takes milliseconds.
        let line_len = 8 << 20;
        let mut decoder = SseDecoder::new();
        let mut out = Vec::new();
        decoder.feed(b"data: ", &mut out);
        let piece = [b'z'; 64];
        for _ in 0..line_len / piece.len() {
            decoder.feed(&piece, &mut out);
        }
        assert_eq!(decoder.pending_len(), 6 + line_len);
        decoder.feed(b"\n\n", &mut out);
        match out.as_slice() {
            [SseItem::Event(event)] => assert_eq!(event.data.len(), line_len),
            other => panic!("expected one event, got {}", other.len()),
        }
    }
}
