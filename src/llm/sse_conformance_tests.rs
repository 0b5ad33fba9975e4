//! Runs every vector of the shared SSE conformance file through [`super::sse::SseDecoder`],
//! with the recorded chunking and with two re-chunkings (all at once, one byte at a time):
//! where the network splits the bytes must never change the events.

use super::sse::{SseDecoder, SseItem};
use serde_json::Value;

const VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/conformance/sse_vectors.json"
));

struct Vector {
    name: String,
    chunks: Vec<Vec<u8>>,
    expected: Vec<(String, String, String)>,
    expected_retry_ms: Option<u64>,
}

fn hex_decode(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd hex length");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn load_vectors() -> Vec<Vector> {
    let root: Value = serde_json::from_str(VECTORS).expect("vectors json");
    let vectors = root["vectors"].as_array().expect("vectors array");
    vectors
        .iter()
        .map(|v| Vector {
            name: v["name"].as_str().expect("name").to_owned(),
            chunks: v["chunks_hex"]
                .as_array()
                .expect("chunks_hex")
                .iter()
                .map(|c| hex_decode(c.as_str().expect("hex string")))
                .collect(),
            expected: v["expected"]
                .as_array()
                .expect("expected")
                .iter()
                .map(|e| {
                    let field = |k: &str| e[k].as_str().expect("expected field").to_owned();
                    (field("event"), field("data"), field("id"))
                })
                .collect(),
            expected_retry_ms: v["expected_retry_ms"].as_u64(),
        })
        .collect()
}

fn decode(chunks: &[Vec<u8>]) -> (Vec<(String, String, String)>, Option<u64>) {
    let mut decoder = SseDecoder::new();
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk, &mut out);
    }
    decoder.finish();
    let events = out
        .into_iter()
        .filter_map(|item| match item {
            SseItem::Event(e) => Some((e.event, e.data, e.last_event_id)),
            SseItem::ErrorField(_) => None,
        })
        .collect();
    (events, decoder.retry_ms())
}

fn check(vector: &Vector, chunks: &[Vec<u8>], chunking: &str) -> Result<(), String> {
    let (events, retry) = decode(chunks);
    if events != vector.expected {
        return Err(format!(
            "{} [{chunking}]: events {events:?}, expected {:?}",
            vector.name, vector.expected
        ));
    }
    if retry != vector.expected_retry_ms {
        return Err(format!(
            "{} [{chunking}]: retry {retry:?}, expected {:?}",
            vector.name, vector.expected_retry_ms
        ));
    }
    Ok(())
}

#[test]
fn every_conformance_vector_passes_under_any_chunking() {
    let vectors = load_vectors();
    assert!(
        vectors.len() >= 31,
        "vector file shrank to {}",
        vectors.len()
    );
    let mut failures = Vec::new();
    for vector in &vectors {
        let joined = vec![vector.chunks.concat()];
        let bytewise: Vec<Vec<u8>> = vector.chunks.concat().iter().map(|b| vec![*b]).collect();
        for (chunks, chunking) in [
            (&vector.chunks, "recorded"),
            (&joined, "joined"),
            (&bytewise, "bytewise"),
        ] {
            if let Err(failure) = check(vector, chunks, chunking) {
                failures.push(failure);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "failing vectors:\n{}",
        failures.join("\n")
    );
}
