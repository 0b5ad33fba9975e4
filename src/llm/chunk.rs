//! One chunk of a chat-completions stream, read in place.
//!
//! Derived `Deserialize` structs are built at each level of nesting and then moved up
//! through every level of the parser. For a token's chunk that copying cost more than
//! reading its JSON. Here the reader fills one [`Chunk`] that the caller owns, and keeps only
//! what the stream needs: the choice with index 0, the usage report and an error object.
//! Text without escapes stays borrowed from the event's data.

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

#[derive(Default)]
pub(super) struct Chunk<'a> {
    /// `choices` was there (an empty array too, as on usage-only chunks).
    pub has_choices: bool,
    /// The choice with index 0 (requests never ask for n > 1), wherever it stands.
    pub choice: Option<Choice<'a>>,
    pub usage: Option<WireUsage>,
    /// Usually `{code, message, metadata}`, but some servers send a bare string.
    pub error: Option<serde_json::Value>,
}

#[derive(Default)]
pub(super) struct Choice<'a> {
    pub index: u32,
    pub delta: Option<Delta<'a>>,
    /// Non-streaming replies (`chat.completion`) carry `message` instead of `delta`.
    pub message: Option<Delta<'a>>,
    pub finish_reason: Option<Text<'a>>,
}

#[derive(Deserialize)]
pub(super) struct Delta<'a> {
    #[serde(borrow)]
    pub content: Option<Text<'a>>,
    #[serde(borrow)]
    pub reasoning: Option<Text<'a>>,
    #[serde(borrow)]
    pub reasoning_content: Option<Text<'a>>,
}

#[derive(Deserialize)]
pub(super) struct WireUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    pub cost: Option<f64>,
}

/// A JSON string, borrowed unless it has escapes. (serde's own `Option<Cow<str>>` always
/// copies: `#[serde(borrow)]` only reaches a `Cow` that is not inside an `Option`.)
pub(super) struct Text<'a>(pub Cow<'a, str>);

/// Reads one event's data into `chunk`, which should be empty. An error means the data is
/// not a chunk this reader understands; what was read before it is then meaningless.
pub(super) fn read<'a>(data: &'a str, chunk: &mut Chunk<'a>) -> serde_json::Result<()> {
    let mut deserializer = serde_json::Deserializer::from_str(data);
    ChunkFields(chunk).deserialize(&mut deserializer)?;
    deserializer.end()
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum ChunkKey {
    Choices,
    Usage,
    Error,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum ChoiceKey {
    Index,
    Delta,
    Message,
    FinishReason,
    #[serde(other)]
    Other,
}

struct ChunkFields<'c, 'a>(&'c mut Chunk<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for ChunkFields<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for ChunkFields<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a chat completion chunk")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let chunk = self.0;
        while let Some(key) = map.next_key::<ChunkKey>()? {
            match key {
                ChunkKey::Choices => map.next_value_seed(Choices(chunk))?,
                ChunkKey::Usage => chunk.usage = map.next_value()?,
                ChunkKey::Error => chunk.error = map.next_value()?,
                ChunkKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `choices`: `null`, or an array whose index-0 entry is kept.
struct Choices<'c, 'a>(&'c mut Chunk<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for Choices<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for Choices<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of choices")
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let chunk = self.0;
        chunk.has_choices = true;
        loop {
            let slot = chunk.choice.insert(Choice::default());
            if seq.next_element_seed(ChoiceFields(&mut *slot))?.is_none() {
                chunk.choice = None;
                return Ok(());
            }
            if slot.index == 0 {
                break;
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

struct ChoiceFields<'c, 'a>(&'c mut Choice<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for ChoiceFields<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for ChoiceFields<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a choice")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let choice = self.0;
        while let Some(key) = map.next_key::<ChoiceKey>()? {
            match key {
                ChoiceKey::Index => choice.index = map.next_value()?,
                ChoiceKey::Delta => choice.delta = map.next_value()?,
                ChoiceKey::Message => choice.message = map.next_value()?,
                ChoiceKey::FinishReason => choice.finish_reason = map.next_value()?,
                ChoiceKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Visit<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(Visit(std::marker::PhantomData))
    }
}
