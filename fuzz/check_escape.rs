//! The escape/encode round-trip fuzz check, shared by the cargo-fuzz target
//! (`fuzz/fuzz_targets/escape.rs`) and the corpus replay (`tests/all/fuzz_corpus.rs`).
//!
//! Byte 0 of the input chooses the chunk lengths the receiving side reads in (1..=16,
//! then growing); the rest is the application's data. Checked, for any data and any
//! split: what [`nvt::escape_iac`] sends, an engine delivers as exactly the data, with
//! no other event and nothing to answer; what [`nvt::encode_text`] sends, the engine and
//! a [`nvt::NewlineDecoder`] give back as the data with each `\r\n` read as `\n`; and
//! `encode_text` in BINARY is `escape_iac`.

use telnetlib::proto::nvt::{self, NewlineDecoder};
use telnetlib::proto::{Engine, Event, Policy};

/// Splits `bytes` into chunks whose lengths start at `first` and grow by one.
fn chunks(bytes: &[u8], first: usize) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    let mut len = first;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (head, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        len += 1;
        Some(head)
    })
}

/// What an engine delivers from `wire` read in chunks, checking that nothing but data
/// comes out of it.
fn receive(wire: &[u8], first: usize) -> Vec<Vec<u8>> {
    let mut engine = Engine::new(Policy::new());
    let mut runs = Vec::new();
    for chunk in chunks(wire, first) {
        let mut run = Vec::new();
        engine.receive(chunk, |event| match event {
            Event::Data(bytes) => run.extend_from_slice(bytes),
            other => panic!("escaped data produced {other:?}"),
        });
        runs.push(run);
    }
    assert!(engine.output().is_empty(), "escaped data got an answer");
    runs
}

/// Runs the checks on one fuzz input.
pub fn check(input: &[u8]) {
    let Some((&selector, data)) = input.split_first() else {
        return;
    };
    let first = usize::from(selector % 16) + 1;

    let mut escaped = Vec::new();
    nvt::escape_iac(data, &mut escaped);
    let iacs = data.iter().filter(|&&b| b == 0xff).count();
    assert_eq!(escaped.len(), data.len() + iacs, "IAC doubled wrongly");
    assert_eq!(receive(&escaped, first).concat(), data, "escape round trip");

    let mut binary = Vec::new();
    nvt::encode_text(data, true, &mut binary);
    assert_eq!(binary, escaped, "BINARY text is escaped data");

    let mut encoded = Vec::new();
    nvt::encode_text(data, false, &mut encoded);
    let mut decoder = NewlineDecoder::new();
    let mut text = Vec::new();
    for run in receive(&encoded, first) {
        decoder.decode(&run, &mut text);
    }
    decoder.finish(&mut text);
    let mut expected = Vec::with_capacity(data.len());
    let mut rest = data;
    while let Some(at) = memchr_crlf(rest) {
        expected.extend_from_slice(&rest[..at]);
        expected.push(b'\n');
        rest = &rest[at + 2..];
    }
    expected.extend_from_slice(rest);
    assert_eq!(text, expected, "text round trip");
}

/// Where the first `\r\n` of `bytes` starts.
fn memchr_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|pair| pair == b"\r\n")
}
