//! The Telegram HTML vocabulary and a writer that cannot produce markup Telegram rejects.
//!
//! Every string this module tree hands to Telegram is written through [`HtmlWriter`]. It escapes
//! all text, knows only the tags Telegram allows, drops nestings Telegram forbids (a link inside
//! a link, anything inside code), opens tags lazily so no element is ever empty, and closes what
//! is still open when it finishes. Validity is a property of the writer, not of each caller.

use super::escape::escape_into;
use super::tokens::{DocumentMark, ParsedHtml, Token};

/// An element Telegram's HTML parse mode understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tag {
    Bold,
    Italic,
    Underline,
    Strike,
    Spoiler,
    Code,
    Pre,
    /// `<code class="language-…">`: only meaningful as the first child of `<pre>`.
    CodeLang(String),
    Link(String),
    Blockquote {
        expandable: bool,
    },
    CustomEmoji(String),
}

/// A tag without its attributes, for closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Bold,
    Italic,
    Underline,
    Strike,
    Spoiler,
    Code,
    Pre,
    CodeLang,
    Link,
    Blockquote,
    CustomEmoji,
}

/// How many [`Kind`]s there are, for per-kind counters.
const KIND_COUNT: usize = 11;

impl Tag {
    pub(super) fn kind(&self) -> Kind {
        match self {
            Tag::Bold => Kind::Bold,
            Tag::Italic => Kind::Italic,
            Tag::Underline => Kind::Underline,
            Tag::Strike => Kind::Strike,
            Tag::Spoiler => Kind::Spoiler,
            Tag::Code => Kind::Code,
            Tag::Pre => Kind::Pre,
            Tag::CodeLang(_) => Kind::CodeLang,
            Tag::Link(_) => Kind::Link,
            Tag::Blockquote { .. } => Kind::Blockquote,
            Tag::CustomEmoji(_) => Kind::CustomEmoji,
        }
    }

    fn write_open(&self, out: &mut String) {
        match self {
            Tag::Bold => out.push_str("<b>"),
            Tag::Italic => out.push_str("<i>"),
            Tag::Underline => out.push_str("<u>"),
            Tag::Strike => out.push_str("<s>"),
            Tag::Spoiler => out.push_str("<tg-spoiler>"),
            Tag::Code => out.push_str("<code>"),
            Tag::Pre => out.push_str("<pre>"),
            Tag::CodeLang(lang) => {
                out.push_str("<code class=\"language-");
                escape_into(lang, out, true);
                out.push_str("\">");
            }
            Tag::Link(href) => {
                out.push_str("<a href=\"");
                escape_into(href, out, true);
                out.push_str("\">");
            }
            Tag::Blockquote { expandable: false } => out.push_str("<blockquote>"),
            Tag::Blockquote { expandable: true } => out.push_str("<blockquote expandable>"),
            Tag::CustomEmoji(id) => {
                out.push_str("<tg-emoji emoji-id=\"");
                escape_into(id, out, true);
                out.push_str("\">");
            }
        }
    }
}

impl Kind {
    fn close_tag(self) -> &'static str {
        match self {
            Kind::Bold => "</b>",
            Kind::Italic => "</i>",
            Kind::Underline => "</u>",
            Kind::Strike => "</s>",
            Kind::Spoiler => "</tg-spoiler>",
            Kind::Code | Kind::CodeLang => "</code>",
            Kind::Pre => "</pre>",
            Kind::Link => "</a>",
            Kind::Blockquote => "</blockquote>",
            Kind::CustomEmoji => "</tg-emoji>",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Opened by the caller, not written yet: written just before the first text inside it.
    Pending,
    Written,
    /// Not allowed where it was opened: its content is written without it.
    Ignored,
}

/// An element that is open at some point of a document, as the splitter carries it across parts.
#[derive(Debug, Clone)]
pub(super) struct OpenTag {
    tag: Tag,
    state: State,
}

/// What a writer produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Output {
    Html,
    /// The text only, for sending without a parse mode.
    Plain,
}

#[derive(Debug)]
enum Sink {
    Text {
        out: String,
        html: bool,
    },
    /// Tokens for measuring and splitting, without escaping and parsing back.
    Document(ParsedHtml),
}

/// A document writer's position, kept by [`HtmlWriter::mark`].
#[derive(Debug, Default)]
pub(super) struct WriterMark {
    state: WriterState,
    document: DocumentMark,
}

/// Builds Telegram HTML, its plain text, or a [`ParsedHtml`] from open/text/close events.
#[derive(Debug)]
pub(super) struct HtmlWriter {
    sink: Sink,
    state: WriterState,
}

/// Everything a writer tracks besides its output.
#[derive(Debug, Default)]
struct WriterState {
    stack: Vec<OpenTag>,
    /// `stack[..flushed]` is written or ignored; everything above is pending or ignored.
    flushed: usize,
    /// Newlines owed before the next text, and the stack depth they belong at. Deferring them
    /// means a block that turns out empty never leaves a blank line behind.
    pending_break: Option<(usize, usize)>,
    visible_bytes: usize,
    /// Stack indices of the entries that are not ignored, and how many there are of each
    /// kind: nesting checks stay O(1) however deep the stack gets.
    active: Vec<usize>,
    active_per_kind: [usize; KIND_COUNT],
    written_pre: usize,
}

impl Clone for WriterState {
    fn clone(&self) -> WriterState {
        let mut copy = WriterState::default();
        copy.clone_from(self);
        copy
    }

    /// Field by field, so that `self` keeps its buffers: a mark is taken on every preview.
    fn clone_from(&mut self, source: &WriterState) {
        self.stack.clone_from(&source.stack);
        self.flushed = source.flushed;
        self.pending_break = source.pending_break;
        self.visible_bytes = source.visible_bytes;
        self.active.clone_from(&source.active);
        self.active_per_kind = source.active_per_kind;
        self.written_pre = source.written_pre;
    }
}

impl HtmlWriter {
    /// A writer that records a document; see [`HtmlWriter::finish_document`].
    pub(super) fn document(capacity: usize) -> HtmlWriter {
        let doc = ParsedHtml {
            visible: String::with_capacity(capacity),
            ..ParsedHtml::default()
        };
        HtmlWriter::with_sink(Sink::Document(doc), Vec::new())
    }

    /// A writer that continues inside `open` (reopened lazily before the first text).
    pub(super) fn resume(open: Vec<OpenTag>, output: Output, capacity: usize) -> HtmlWriter {
        HtmlWriter::resume_into(open, output, String::with_capacity(capacity))
    }

    /// [`HtmlWriter::resume`], appending to `out`.
    pub(super) fn resume_into(open: Vec<OpenTag>, output: Output, out: String) -> HtmlWriter {
        let sink = Sink::Text {
            out,
            html: output == Output::Html,
        };
        let stack = open
            .into_iter()
            .map(|entry| OpenTag {
                state: if entry.state == State::Ignored {
                    State::Ignored
                } else {
                    State::Pending
                },
                tag: entry.tag,
            })
            .collect();
        HtmlWriter::with_sink(sink, stack)
    }

    fn with_sink(sink: Sink, entries: Vec<OpenTag>) -> HtmlWriter {
        let mut writer = HtmlWriter {
            sink,
            state: WriterState {
                stack: Vec::with_capacity(entries.len()),
                ..WriterState::default()
            },
        };
        for entry in entries {
            writer.push_entry(entry);
        }
        writer
    }

    fn push_entry(&mut self, entry: OpenTag) {
        if entry.state != State::Ignored {
            self.state.active.push(self.state.stack.len());
            self.state.active_per_kind[entry.tag.kind() as usize] += 1;
        }
        self.state.stack.push(entry);
    }

    fn pop_entry(&mut self) -> Option<OpenTag> {
        let entry = self.state.stack.pop()?;
        if entry.state != State::Ignored {
            self.state.active.pop();
            self.state.active_per_kind[entry.tag.kind() as usize] -= 1;
        }
        if entry.state == State::Written && entry.tag == Tag::Pre {
            self.state.written_pre -= 1;
        }
        Some(entry)
    }

    /// The elements open right now, to continue them in the next part.
    pub(super) fn open_tags(&self) -> Vec<OpenTag> {
        self.state.stack.clone()
    }

    /// Byte length of the text written so far. Only compared, never shown, so it need not
    /// be counted the way Telegram counts (that took a third of a preview's rendering).
    pub(super) fn visible_len(&self) -> usize {
        self.state.visible_bytes
    }

    /// Byte length of the text recorded so far (document writers only).
    pub(super) fn document_len(&self) -> usize {
        match &self.sink {
            Sink::Document(doc) => doc.visible.len(),
            Sink::Text { .. } => 0,
        }
    }

    pub(super) fn open(&mut self, tag: Tag) {
        let tag = match tag {
            Tag::CodeLang(_) if !self.pre_awaits_code() => Tag::Code,
            tag => tag,
        };
        let state = if self.permits(&tag) {
            State::Pending
        } else {
            State::Ignored
        };
        self.push_entry(OpenTag { tag, state });
    }

    /// Closes the innermost open element of this kind (and anything left open inside it).
    pub(super) fn close(&mut self, kind: Kind) {
        let same =
            |other: Kind| other == kind || matches!((other, kind), (Kind::CodeLang, Kind::Code));
        let Some(index) = self
            .state
            .stack
            .iter()
            .rposition(|entry| same(entry.tag.kind()))
        else {
            return;
        };
        while self.state.stack.len() > index {
            if let Some(entry) = self.pop_entry()
                && entry.state == State::Written
            {
                self.write_close(entry.tag.kind());
            }
        }
        self.state.flushed = self.state.flushed.min(index);
        if let Some((_, depth)) = &mut self.state.pending_break {
            *depth = (*depth).min(index);
        }
    }

    /// Asks for `newlines` line breaks before the next text; never written if no text follows.
    pub(super) fn line_break(&mut self, newlines: usize) {
        let depth = self.state.stack.len();
        self.state.pending_break = Some(match self.state.pending_break {
            Some((owed, at)) => (owed.max(newlines), at.min(depth)),
            None => (newlines, depth),
        });
    }

    pub(super) fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.flush();
        self.write_text(text);
    }

    /// The markup (or plain text), with every written element closed.
    pub(super) fn finish(mut self) -> String {
        self.close_all();
        match self.sink {
            Sink::Text { out, .. } => out,
            Sink::Document(doc) => doc.visible,
        }
    }

    /// The recorded document, with every written element closed.
    pub(super) fn finish_document(mut self) -> ParsedHtml {
        self.close_all();
        match self.sink {
            Sink::Document(doc) => doc,
            Sink::Text { .. } => ParsedHtml::default(),
        }
    }

    /// Remembers where this document writer stands in `mark`, reusing its buffers: the
    /// unfinished line of a streaming reply is written on top of the finished ones and
    /// taken back with [`HtmlWriter::rewind`], instead of copying the whole document first.
    pub(super) fn mark(&self, mark: &mut WriterMark) {
        mark.state.clone_from(&self.state);
        mark.document = match &self.sink {
            Sink::Document(doc) => doc.mark(),
            Sink::Text { .. } => DocumentMark::default(),
        };
    }

    /// Back to where [`HtmlWriter::mark`] was called, as if nothing was written since.
    pub(super) fn rewind(&mut self, mark: &WriterMark) {
        self.state.clone_from(&mark.state);
        if let Sink::Document(doc) = &mut self.sink {
            doc.rewind(mark.document);
        }
    }

    /// The recorded document with every written element closed, left in place: the writer
    /// must be rewound before it writes more.
    pub(super) fn close_document(&mut self) -> &ParsedHtml {
        static NOT_A_DOCUMENT: ParsedHtml = ParsedHtml::new();
        self.close_all();
        match &self.sink {
            Sink::Document(doc) => doc,
            Sink::Text { .. } => &NOT_A_DOCUMENT,
        }
    }

    fn close_all(&mut self) {
        while let Some(entry) = self.pop_entry() {
            if entry.state == State::Written {
                self.write_close(entry.tag.kind());
            }
        }
    }

    fn flush(&mut self) {
        // An owed break sits after the opening tags of the elements it was asked inside, and
        // before the pending ones opened after it was asked for.
        let owed = self
            .state
            .pending_break
            .take()
            .map(|(newlines, depth)| (newlines, depth.max(self.state.flushed)));
        for index in self.state.flushed..self.state.stack.len() {
            if let Some((newlines, at)) = owed
                && at == index
            {
                self.push_newlines(newlines);
            }
            if self.state.stack[index].state == State::Pending {
                self.state.stack[index].state = State::Written;
                let tag = &self.state.stack[index].tag;
                if *tag == Tag::Pre {
                    self.state.written_pre += 1;
                }
                match &mut self.sink {
                    Sink::Text { out, html: true } => tag.write_open(out),
                    Sink::Text { html: false, .. } => {}
                    Sink::Document(doc) => doc.tokens.push(Token::Open(tag.clone())),
                }
            }
        }
        if let Some((newlines, at)) = owed
            && at >= self.state.stack.len()
        {
            self.push_newlines(newlines);
        }
        self.state.flushed = self.state.stack.len();
    }

    fn push_newlines(&mut self, newlines: usize) {
        for _ in 0..newlines {
            self.write_text("\n");
        }
    }

    fn write_text(&mut self, text: &str) {
        self.state.visible_bytes += text.len();
        match &mut self.sink {
            Sink::Text { out, html: true } => escape_into(text, out, false),
            Sink::Text { out, html: false } => out.push_str(text),
            Sink::Document(doc) => doc.push_text(text, self.state.written_pre > 0),
        }
    }

    fn write_close(&mut self, kind: Kind) {
        match &mut self.sink {
            Sink::Text { out, html: true } => out.push_str(kind.close_tag()),
            Sink::Text { html: false, .. } => {}
            Sink::Document(doc) => doc.tokens.push(Token::Close(kind)),
        }
    }

    fn has_active(&self, kind: Kind) -> bool {
        self.state.active_per_kind[kind as usize] > 0
    }

    /// True right after `<pre>` was opened and before any text went into it.
    fn pre_awaits_code(&self) -> bool {
        self.state.active.last().is_some_and(|&index| {
            let entry = &self.state.stack[index];
            entry.tag == Tag::Pre && entry.state == State::Pending
        })
    }

    /// Telegram's nesting rules, read conservatively: code and pre hold only text (pre may
    /// hold one language-tagged code), links never nest or hold code, pre and blockquote only
    /// at the top level, and a formatting tag inside the same formatting adds nothing.
    fn permits(&self, tag: &Tag) -> bool {
        let kind = tag.kind();
        let text_only = [Kind::Code, Kind::Pre, Kind::CodeLang, Kind::CustomEmoji];
        if text_only.into_iter().any(|k| self.has_active(k)) {
            return kind == Kind::CodeLang;
        }
        match tag {
            Tag::Pre | Tag::Blockquote { .. } => self.state.active.is_empty(),
            Tag::Link(href) => !href.is_empty() && !self.has_active(Kind::Link),
            Tag::Code => !self.has_active(Kind::Link),
            Tag::CustomEmoji(id) => !id.is_empty(),
            Tag::CodeLang(lang) => !lang.is_empty(),
            Tag::Bold | Tag::Italic | Tag::Underline | Tag::Strike | Tag::Spoiler => {
                !self.has_active(kind)
            }
        }
    }
}
