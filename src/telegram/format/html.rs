//! The Telegram HTML vocabulary and a writer that cannot produce markup Telegram rejects.
//!
//! Every string this module tree hands to Telegram is written through [`HtmlWriter`]. It escapes
//! all text, knows only the tags Telegram allows, drops nestings Telegram forbids (a link inside
//! a link, anything inside code), opens tags lazily so no element is ever empty, and closes what
//! is still open when it finishes. Validity is a property of the writer, not of each caller.

use super::tokens::{ParsedHtml, Token};
use super::utf16::utf16_len;

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

/// Appends `text` with `&`, `<`, `>` (and `"` when `attribute`) replaced by entities.
pub(super) fn escape_into(text: &str, out: &mut String, attribute: bool) {
    let mut plain_from = 0;
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' if attribute => "&quot;",
            _ => continue,
        };
        out.push_str(&text[plain_from..i]);
        out.push_str(entity);
        plain_from = i + 1;
    }
    out.push_str(&text[plain_from..]);
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

#[derive(Debug, Clone)]
enum Sink {
    Text {
        out: String,
        html: bool,
    },
    /// Tokens for measuring and splitting, without escaping and parsing back.
    Document(ParsedHtml),
}

/// Builds Telegram HTML, its plain text, or a [`ParsedHtml`] from open/text/close events.
#[derive(Debug, Clone)]
pub(super) struct HtmlWriter {
    sink: Sink,
    stack: Vec<OpenTag>,
    /// `stack[..flushed]` is written or ignored; everything above is pending or ignored.
    flushed: usize,
    /// Newlines owed before the next text, and the stack depth they belong at. Deferring them
    /// means a block that turns out empty never leaves a blank line behind.
    pending_break: Option<(usize, usize)>,
    visible_utf16: usize,
    /// Stack indices of the entries that are not ignored, and how many there are of each
    /// kind: nesting checks stay O(1) however deep the stack gets.
    active: Vec<usize>,
    active_per_kind: [usize; KIND_COUNT],
    written_pre: usize,
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
        let sink = Sink::Text {
            out: String::with_capacity(capacity),
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
            stack: Vec::with_capacity(entries.len() + 8),
            flushed: 0,
            pending_break: None,
            visible_utf16: 0,
            active: Vec::new(),
            active_per_kind: [0; KIND_COUNT],
            written_pre: 0,
        };
        for entry in entries {
            writer.push_entry(entry);
        }
        writer
    }

    fn push_entry(&mut self, entry: OpenTag) {
        if entry.state != State::Ignored {
            self.active.push(self.stack.len());
            self.active_per_kind[entry.tag.kind() as usize] += 1;
        }
        self.stack.push(entry);
    }

    fn pop_entry(&mut self) -> Option<OpenTag> {
        let entry = self.stack.pop()?;
        if entry.state != State::Ignored {
            self.active.pop();
            self.active_per_kind[entry.tag.kind() as usize] -= 1;
        }
        if entry.state == State::Written && entry.tag == Tag::Pre {
            self.written_pre -= 1;
        }
        Some(entry)
    }

    /// The elements open right now, to continue them in the next part.
    pub(super) fn open_tags(&self) -> Vec<OpenTag> {
        self.stack.clone()
    }

    /// UTF-16 length of the text written so far.
    pub(super) fn visible_len(&self) -> usize {
        self.visible_utf16
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
        let Some(index) = self.stack.iter().rposition(|entry| same(entry.tag.kind())) else {
            return;
        };
        while self.stack.len() > index {
            if let Some(entry) = self.pop_entry()
                && entry.state == State::Written
            {
                self.write_close(entry.tag.kind());
            }
        }
        self.flushed = self.flushed.min(index);
        if let Some((_, depth)) = &mut self.pending_break {
            *depth = (*depth).min(index);
        }
    }

    /// Asks for `newlines` line breaks before the next text; never written if no text follows.
    pub(super) fn line_break(&mut self, newlines: usize) {
        let depth = self.stack.len();
        self.pending_break = Some(match self.pending_break {
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
            .pending_break
            .take()
            .map(|(newlines, depth)| (newlines, depth.max(self.flushed)));
        for index in self.flushed..self.stack.len() {
            if let Some((newlines, at)) = owed
                && at == index
            {
                self.push_newlines(newlines);
            }
            if self.stack[index].state == State::Pending {
                self.stack[index].state = State::Written;
                let tag = &self.stack[index].tag;
                if *tag == Tag::Pre {
                    self.written_pre += 1;
                }
                match &mut self.sink {
                    Sink::Text { out, html: true } => tag.write_open(out),
                    Sink::Text { html: false, .. } => {}
                    Sink::Document(doc) => doc.tokens.push(Token::Open(tag.clone())),
                }
            }
        }
        if let Some((newlines, at)) = owed
            && at >= self.stack.len()
        {
            self.push_newlines(newlines);
        }
        self.flushed = self.stack.len();
    }

    fn push_newlines(&mut self, newlines: usize) {
        for _ in 0..newlines {
            self.write_text("\n");
        }
    }

    fn write_text(&mut self, text: &str) {
        self.visible_utf16 += utf16_len(text);
        match &mut self.sink {
            Sink::Text { out, html: true } => escape_into(text, out, false),
            Sink::Text { out, html: false } => out.push_str(text),
            Sink::Document(doc) => doc.push_text(text, self.written_pre > 0),
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
        self.active_per_kind[kind as usize] > 0
    }

    /// True right after `<pre>` was opened and before any text went into it.
    fn pre_awaits_code(&self) -> bool {
        self.active.last().is_some_and(|&index| {
            let entry = &self.stack[index];
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
            Tag::Pre | Tag::Blockquote { .. } => self.active.is_empty(),
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
