//! Helpers shared by the engine's test files: a readable one-line form of each event,
//! byte escaping for logs, and the merging of split data runs.

#![allow(dead_code)]

pub mod certificate;
pub mod loopback;
pub mod peer;
pub mod ports;

use telnetlib::proto::{Engine, Event, ProtocolError};

/// Bytes as text: printable ASCII stays, everything else (and `\` and `"`) is `\xNN`.
pub fn escape(bytes: &[u8]) -> String {
    let mut text = String::new();
    for &byte in bytes {
        if byte.is_ascii_graphic() && byte != b'\\' && byte != b'"' || byte == b' ' {
            text.push(char::from(byte));
        } else {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

/// One event as a log line; `Data` is rendered by the caller after merging.
pub fn describe(event: &Event<'_>) -> String {
    match *event {
        Event::Data(bytes) => format!("data \"{}\"", escape(bytes)),
        Event::Command(command) => format!("command {command}"),
        Event::Negotiation { verb, opt } => format!("negotiation {verb} {opt}"),
        Event::OptionEnabled { side, opt } => format!("enabled {side} {opt}"),
        Event::OptionDisabled { side, opt } => format!("disabled {side} {opt}"),
        Event::OptionRefused { side, opt } => format!("refused {side} {opt}"),
        Event::TimingMark { marked } => format!(
            "timing-mark {}",
            if marked { "marked" } else { "not-marked" }
        ),
        Event::Subnegotiation { opt, data } => format!("sb {opt} \"{}\"", escape(data)),
        Event::Error(error) => match error {
            ProtocolError::SubnegotiationTooLong { opt, limit } => {
                format!("error sb-too-long {opt} {limit}")
            }
            ProtocolError::SubnegotiationInterrupted { opt, byte } => {
                format!("error sb-interrupted {opt} {byte}")
            }
            ProtocolError::EmptySubnegotiation => "error sb-empty".to_owned(),
            ProtocolError::UnexpectedEnable { side, opt } => {
                format!("error unexpected-enable {side} {opt}")
            }
            other => format!("error {other:?}"),
        },
        other => format!("{other:?}"),
    }
}

/// An event log in which consecutive data runs are merged into one line, so that logs
/// of the same input split differently compare equal.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EventLog {
    pub lines: Vec<String>,
    pending_data: Vec<u8>,
}

impl EventLog {
    pub fn record(&mut self, event: &Event<'_>) {
        match event {
            Event::Data(bytes) => self.pending_data.extend_from_slice(bytes),
            other => {
                self.flush_data();
                self.lines.push(describe(other));
            }
        }
    }

    fn flush_data(&mut self) {
        if !self.pending_data.is_empty() {
            let data = std::mem::take(&mut self.pending_data);
            self.lines.push(describe(&Event::Data(&data)));
        }
    }

    pub fn finish(mut self) -> Vec<String> {
        self.flush_data();
        self.lines
    }
}

/// Feeds `chunks` to `engine` one `receive` call each, returning the merged event log
/// and everything the engine queued to send.
pub fn run_chunks<'a>(
    engine: &mut Engine,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<String>, Vec<u8>) {
    let mut log = EventLog::default();
    for chunk in chunks {
        engine.receive(chunk, |event| log.record(&event));
    }
    (log.finish(), engine.take_output())
}
