//! Inline Markdown of one line (emphasis, code spans, links) turned into writer events.
//!
//! Emphasis follows CommonMark's delimiter-run algorithm, with its "openers bottom" bound so
//! the work stays linear, adjusted to what LLMs write. A single `*` or `_` never emphasises
//! inside a word or a number (`snake_case`, `2*3*4`). `~~` strikes through, but a lone `~`
//! means "about". Bare URLs are never parsed for emphasis.
//!
//! A *partial* line is the unfinished end of a streaming reply. Open emphasis and code are
//! closed at its end, and markers that could still become anything are hidden. A snapshot
//! therefore never shows a `**` that the next snapshot would swallow.

use std::ops::Range;

use super::delimiters::{bottom_key, flanking, run_end};
use super::html::{HtmlWriter, Kind, Tag};
use super::links::{
    Destination, ParenMatches, allowed_href, autolink_end, bare_url_end, destination,
    starts_bare_url,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Emphasis {
    Bold,
    Italic,
    Strike,
}

impl Emphasis {
    fn tag(self) -> Tag {
        match self {
            Emphasis::Bold => Tag::Bold,
            Emphasis::Italic => Tag::Italic,
            Emphasis::Strike => Tag::Strike,
        }
    }

    fn kind(self) -> Kind {
        self.tag().kind()
    }
}

#[derive(Debug)]
enum Piece {
    Text(Range<usize>),
    /// Text that is not in the line, such as the parentheses around a refused link address.
    Static(&'static str),
    Code(Range<usize>),
    Delimiter(usize),
    /// A `[`: a link, literal text or (in a partial line) hidden, decided at its `]`.
    Bracket,
    LinkOpen(String),
    LinkClose,
    Hidden,
}

#[derive(Debug)]
struct Delimiter {
    marker: u8,
    start: usize,
    run_len: usize,
    remaining: usize,
    can_open: bool,
    can_close: bool,
    /// Innermost first.
    closes: Vec<Emphasis>,
    /// Innermost first.
    opens: Vec<Emphasis>,
}

#[derive(Debug)]
struct OpenBracket {
    piece: usize,
    /// Byte offset of the `[` in the line.
    start: usize,
    /// Emphasis inside the brackets may not pair with openers below this.
    openers_floor: usize,
    active: bool,
}

/// The bytes `InlineParser::scan` looks at; any other byte is plain text.
const MAY_START_MARKUP: [bool; 256] = {
    let mut table = [false; 256];
    let starts = *b"\\`*_~[]<hH";
    let mut i = 0;
    while i < starts.len() {
        table[starts[i] as usize] = true;
        i += 1;
    }
    table
};

/// Writes the inline content of `line` into `writer`.
pub(super) fn render_inline(line: &str, writer: &mut HtmlWriter, partial: bool) {
    let mut parser = InlineParser::new(line, partial);
    parser.scan();
    parser.emit(writer);
}

struct InlineParser<'a> {
    line: &'a str,
    partial: bool,
    pieces: Vec<Piece>,
    delimiters: Vec<Delimiter>,
    /// Delimiters that may still open, bottom to top.
    openers: Vec<usize>,
    /// Per (marker, run length mod 3, can open): no opener below this index can match.
    bottoms: [usize; 18],
    brackets: Vec<OpenBracket>,
    backtick_runs: Vec<Range<usize>>,
    /// For each backtick run, the next run of the same length: its closer.
    next_same_len: Vec<Option<usize>>,
    run_cursor: usize,
    /// Built on the first `]` of the line.
    parens: Option<ParenMatches>,
}

impl<'a> InlineParser<'a> {
    fn new(line: &'a str, partial: bool) -> InlineParser<'a> {
        let bytes = line.as_bytes();
        let mut backtick_runs = Vec::new();
        let mut from = 0;
        while let Some(offset) = memchr::memchr(b'`', &bytes[from..]) {
            let end = run_end(bytes, from + offset);
            backtick_runs.push(from + offset..end);
            from = end;
        }
        let mut next_same_len = vec![None; backtick_runs.len()];
        let mut latest_by_len: Vec<(usize, usize)> = Vec::new();
        for (index, run) in backtick_runs.iter().enumerate().rev() {
            let len = run.len();
            match latest_by_len.iter_mut().find(|(l, _)| *l == len) {
                Some(entry) => {
                    next_same_len[index] = Some(entry.1);
                    entry.1 = index;
                }
                None => latest_by_len.push((len, index)),
            }
        }
        InlineParser {
            line,
            partial,
            pieces: Vec::new(),
            delimiters: Vec::new(),
            openers: Vec::new(),
            bottoms: [0; 18],
            brackets: Vec::new(),
            backtick_runs,
            next_same_len,
            run_cursor: 0,
            parens: None,
        }
    }

    fn scan(&mut self) {
        let bytes = self.line.as_bytes();
        let mut text_start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let next = match bytes[i] {
                b'\\' if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) => {
                    self.push_text(text_start..i);
                    self.pieces.push(Piece::Text(i + 1..i + 2));
                    i + 2
                }
                b'`' => {
                    self.push_text(text_start..i);
                    self.code_span(i)
                }
                b'*' | b'_' | b'~' => {
                    self.push_text(text_start..i);
                    self.delimiter_run(i)
                }
                b'[' => {
                    self.push_text(text_start..i);
                    self.brackets.push(OpenBracket {
                        piece: self.pieces.len(),
                        start: i,
                        openers_floor: self.openers.len(),
                        active: true,
                    });
                    self.pieces.push(Piece::Bracket);
                    i + 1
                }
                b']' => {
                    self.push_text(text_start..i);
                    self.close_bracket(i)
                }
                b'<' => match autolink_end(self.line, i) {
                    Some(end) => {
                        self.push_text(text_start..i);
                        self.pieces.push(Piece::Text(i + 1..end - 1));
                        end
                    }
                    None => {
                        i += 1;
                        continue;
                    }
                },
                b'h' | b'H' if starts_bare_url(self.line, i) => {
                    // The URL joins the surrounding text run, out of reach of emphasis.
                    i = bare_url_end(bytes, i);
                    continue;
                }
                _ => {
                    i += 1;
                    // Most of a line is plain text: step over it without the cases above.
                    while bytes
                        .get(i)
                        .is_some_and(|&b| !MAY_START_MARKUP[usize::from(b)])
                    {
                        i += 1;
                    }
                    continue;
                }
            };
            i = next;
            text_start = next;
        }
        self.push_text(text_start..bytes.len());
    }

    fn push_text(&mut self, range: Range<usize>) {
        if !range.is_empty() {
            self.pieces.push(Piece::Text(range));
        }
    }

    fn code_span(&mut self, start: usize) -> usize {
        let bytes = self.line.as_bytes();
        let end = run_end(bytes, start);
        while self
            .backtick_runs
            .get(self.run_cursor)
            .is_some_and(|run| run.start < start)
        {
            self.run_cursor += 1;
        }
        let this_run = self.run_cursor;
        let starts_here = self
            .backtick_runs
            .get(this_run)
            .is_some_and(|run| run.start == start);
        if starts_here && let Some(closer) = self.next_same_len[this_run] {
            let close = self.backtick_runs[closer].clone();
            self.pieces
                .push(Piece::Code(code_content(self.line, end..close.start)));
            return close.end;
        }
        if self.partial {
            // Still being typed: show what follows as code, or nothing yet.
            if end < bytes.len() {
                self.pieces
                    .push(Piece::Code(code_content(self.line, end..bytes.len())));
            } else {
                self.pieces.push(Piece::Hidden);
            }
            return bytes.len();
        }
        self.pieces.push(Piece::Text(start..end));
        end
    }

    fn delimiter_run(&mut self, start: usize) -> usize {
        let bytes = self.line.as_bytes();
        let marker = bytes[start];
        let end = run_end(bytes, start);
        let run_len = end - start;
        if self.partial && end == bytes.len() {
            // The last characters of an unfinished line: they may close, open or be literal.
            self.pieces.push(Piece::Hidden);
            return end;
        }
        let is_delimiter = match marker {
            b'~' => run_len == 2,
            _ => run_len <= 3,
        };
        if !is_delimiter {
            self.pieces.push(Piece::Text(start..end));
            return end;
        }
        let before = self.line[..start].chars().next_back();
        let after = self.line[end..].chars().next();
        let (can_open, can_close) = flanking(marker, run_len, before, after);
        let index = self.delimiters.len();
        self.delimiters.push(Delimiter {
            marker,
            start,
            run_len,
            remaining: run_len,
            can_open,
            can_close,
            closes: Vec::new(),
            opens: Vec::new(),
        });
        self.pieces.push(Piece::Delimiter(index));
        if can_close {
            self.match_closer(index);
        }
        if can_open && self.delimiters[index].remaining > 0 {
            self.openers.push(index);
        }
        end
    }

    fn match_closer(&mut self, closer: usize) {
        let barrier = self.brackets.last().map_or(0, |b| b.openers_floor);
        while self.delimiters[closer].remaining > 0 {
            let (marker, run_len, closer_can_open) = {
                let c = &self.delimiters[closer];
                (c.marker, c.run_len, c.can_open)
            };
            let key = bottom_key(marker, run_len, closer_can_open);
            let floor = self.bottoms[key].max(barrier);
            let found = (floor..self.openers.len()).rev().find(|&pos| {
                let opener = &self.delimiters[self.openers[pos]];
                opener.marker == marker
                    && !blocked_by_rule_of_three(opener, &self.delimiters[closer])
            });
            let Some(pos) = found else {
                self.bottoms[key] = self.openers.len();
                return;
            };
            let opener = self.openers[pos];
            let both_long =
                self.delimiters[opener].remaining >= 2 && self.delimiters[closer].remaining >= 2;
            let (used, emphasis) = match marker {
                b'~' => (2, Emphasis::Strike),
                _ if both_long => (2, Emphasis::Bold),
                _ => (1, Emphasis::Italic),
            };
            self.delimiters[opener].remaining -= used;
            self.delimiters[opener].opens.push(emphasis);
            self.delimiters[closer].remaining -= used;
            self.delimiters[closer].closes.push(emphasis);
            let keep = if self.delimiters[opener].remaining > 0 {
                pos + 1
            } else {
                pos
            };
            self.truncate_openers(keep);
        }
    }

    fn truncate_openers(&mut self, len: usize) {
        self.openers.truncate(len);
        for bottom in &mut self.bottoms {
            *bottom = (*bottom).min(len);
        }
    }

    fn close_bracket(&mut self, at: usize) -> usize {
        let after = at + 1;
        let Some(bracket) = self.brackets.pop() else {
            self.pieces.push(Piece::Text(at..after));
            return after;
        };
        if !bracket.active {
            self.pieces.push(Piece::Text(at..after));
            return after;
        }
        let parens = self
            .parens
            .get_or_insert_with(|| ParenMatches::new(self.line));
        match destination(self.line, after, parens) {
            Destination::Found { href, end } => {
                // Unpaired emphasis inside the label stays literal, inside the label.
                self.truncate_openers(bracket.openers_floor);
                let raw_href = &self.line[href.clone()];
                // A link without a label shows its address instead of nothing.
                let unlabelled = self.line[bracket.start + 1..at].trim().is_empty();
                match allowed_href(raw_href) {
                    Some(url) => {
                        self.pieces[bracket.piece] = Piece::LinkOpen(url);
                        if unlabelled {
                            self.pieces.push(Piece::Text(href));
                        }
                        self.pieces.push(Piece::LinkClose);
                        // Links never contain links.
                        for outer in &mut self.brackets {
                            outer.active = false;
                        }
                    }
                    None => {
                        self.pieces[bracket.piece] = Piece::Hidden;
                        if unlabelled {
                            self.pieces.push(Piece::Text(href));
                        } else if !raw_href.is_empty() {
                            self.pieces.push(Piece::Static(" ("));
                            self.pieces.push(Piece::Text(href));
                            self.pieces.push(Piece::Static(")"));
                        }
                    }
                }
                end
            }
            Destination::Unfinished if self.partial => {
                self.pieces[bracket.piece] = Piece::Hidden;
                self.line.len()
            }
            Destination::Unfinished | Destination::Invalid => {
                self.pieces.push(Piece::Text(at..after));
                after
            }
        }
    }

    fn emit(mut self, writer: &mut HtmlWriter) {
        let mut closes_at_end = Vec::new();
        if self.partial {
            for &index in self.openers.iter().rev() {
                let delimiter = &mut self.delimiters[index];
                let auto: &[Emphasis] = match (delimiter.marker, delimiter.remaining) {
                    (b'~', _) => &[Emphasis::Strike],
                    (_, 1) => &[Emphasis::Italic],
                    (_, 2) => &[Emphasis::Bold],
                    _ => &[Emphasis::Bold, Emphasis::Italic],
                };
                delimiter.opens.extend_from_slice(auto);
                delimiter.remaining = 0;
                closes_at_end.extend_from_slice(auto);
            }
            for bracket in &self.brackets {
                self.pieces[bracket.piece] = Piece::Hidden;
            }
        }
        for piece in &self.pieces {
            match piece {
                Piece::Text(range) => writer.text(&self.line[range.clone()]),
                Piece::Static(text) => writer.text(text),
                Piece::Code(range) => {
                    writer.open(Tag::Code);
                    writer.text(&self.line[range.clone()]);
                    writer.close(Kind::Code);
                }
                Piece::Delimiter(index) => {
                    let delimiter = &self.delimiters[*index];
                    for emphasis in &delimiter.closes {
                        writer.close(emphasis.kind());
                    }
                    let literal = delimiter.start..delimiter.start + delimiter.remaining;
                    writer.text(&self.line[literal]);
                    for emphasis in delimiter.opens.iter().rev() {
                        writer.open(emphasis.tag());
                    }
                }
                Piece::Bracket => writer.text("["),
                Piece::LinkOpen(href) => writer.open(Tag::Link(href.clone())),
                Piece::LinkClose => writer.close(Kind::Link),
                Piece::Hidden => {}
            }
        }
        for emphasis in closes_at_end {
            writer.close(emphasis.kind());
        }
    }
}

/// A code span's content: one space is stripped from each side when both sides have one.
fn code_content(line: &str, range: Range<usize>) -> Range<usize> {
    let content = &line[range.clone()];
    let padded = content.len() >= 2
        && content.starts_with(' ')
        && content.ends_with(' ')
        && !content.bytes().all(|b| b == b' ');
    if padded {
        range.start + 1..range.end - 1
    } else {
        range
    }
}

/// CommonMark's "rule of 3", which keeps `*foo**bar**baz*` nesting as written.
fn blocked_by_rule_of_three(opener: &Delimiter, closer: &Delimiter) -> bool {
    opener.marker != b'~'
        && (opener.can_close || closer.can_open)
        && (opener.run_len + closer.run_len).is_multiple_of(3)
        && !(opener.run_len.is_multiple_of(3) && closer.run_len.is_multiple_of(3))
}
