//! Golden vectors for the engine: `tests/golden/*.txt` hold cases of input bytes and the
//! exact event log and reply bytes expected (format at the top of `engine.txt`). Each
//! case runs as written and again one byte per `receive` call; both must match.

use crate::support;

use std::fs;
use std::path::Path;

use support::EventLog;
use telnetlib::proto::{Command, Engine, Opt, Policy, Side};

/// Parses `\xNN`, `\\`, `\r`, `\n`, `\0` and `\"` escapes; everything else is literal.
fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'\\' {
            out.push(bytes[at]);
            at += 1;
            continue;
        }
        let kind = bytes.get(at + 1).copied();
        match kind {
            Some(b'x') => {
                let hex = &text[at + 2..at + 4];
                out.push(
                    u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("bad escape \\x{hex}")),
                );
                at += 4;
                continue;
            }
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b'0') => out.push(0),
            Some(b'\\') => out.push(b'\\'),
            Some(b'"') => out.push(b'"'),
            other => panic!("bad escape in {text:?}: {other:?}"),
        }
        at += 2;
    }
    out
}

fn side(word: &str) -> Side {
    match word {
        "local" => Side::Local,
        "remote" => Side::Remote,
        other => panic!("side must be local or remote, not {other:?}"),
    }
}

fn opt(word: &str) -> Opt {
    word.parse().unwrap_or_else(|e| panic!("{e}"))
}

/// One action of a case, run against the engine in order.
#[derive(Debug, Clone)]
enum Action {
    Receive(Vec<u8>),
    Start,
    Request { side: Side, opt: Opt, enable: bool },
    SendData(Vec<u8>),
    SendSubnegotiation(Opt, Vec<u8>),
    SendCommand(Command),
}

#[derive(Debug, Clone)]
struct Case {
    name: String,
    line: usize,
    policy: Policy,
    limit: Option<usize>,
    actions: Vec<Action>,
    events: Vec<String>,
    output: Vec<u8>,
}

fn parse_cases(text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut in_events = false;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix("== ") {
            cases.push(Case {
                name: name.to_owned(),
                line: index + 1,
                policy: Policy::new(),
                limit: None,
                actions: Vec::new(),
                events: Vec::new(),
                output: Vec::new(),
            });
            in_events = false;
            continue;
        }
        let case = cases.last_mut().expect("a case starts with '== name'");
        if in_events && line.starts_with("  ") {
            case.events.push(line.trim().to_owned());
            continue;
        }
        in_events = false;
        let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
        let words: Vec<&str> = rest.split_whitespace().collect();
        match keyword {
            "policy" => {
                case.policy = match words[0] {
                    "none" => Policy::new(),
                    "client" => Policy::client(),
                    "server" => Policy::server(),
                    other => panic!("unknown policy {other}"),
                }
            }
            "accept" => case.policy = case.policy.clone().accept(side(words[0]), opt(words[1])),
            "ask" => case.policy = case.policy.clone().request(side(words[0]), opt(words[1])),
            "limit" => case.limit = Some(words[0].parse().unwrap()),
            "start" => case.actions.push(Action::Start),
            "in" => case.actions.push(Action::Receive(unescape(rest))),
            "request" => case.actions.push(Action::Request {
                enable: match words[0] {
                    "enable" => true,
                    "disable" => false,
                    other => panic!("request enable|disable, not {other}"),
                },
                side: side(words[1]),
                opt: opt(words[2]),
            }),
            "send-data" => case.actions.push(Action::SendData(unescape(rest))),
            "send-sb" => {
                let (name, payload) = rest.split_once(' ').unwrap_or((rest, ""));
                case.actions
                    .push(Action::SendSubnegotiation(opt(name), unescape(payload)));
            }
            "send-command" => {
                let byte = (0..=255u8)
                    .filter_map(Command::from_byte)
                    .find(|c| c.to_string() == words[0])
                    .unwrap_or_else(|| panic!("unknown command {}", words[0]));
                case.actions.push(Action::SendCommand(byte));
            }
            "events" => in_events = true,
            "out" => case.output = unescape(rest),
            other => panic!("line {}: unknown keyword {other:?}", index + 1),
        }
    }
    cases
}

/// Runs a case; `byte_at_a_time` splits every `in` chunk into one-byte reads.
fn run(case: &Case, byte_at_a_time: bool) -> (Vec<String>, Vec<u8>) {
    let mut engine = Engine::new(case.policy.clone());
    if let Some(limit) = case.limit {
        engine = engine.with_max_subnegotiation(limit);
    }
    let mut log = EventLog::default();
    for action in &case.actions {
        match action {
            Action::Receive(bytes) if byte_at_a_time => {
                for byte in bytes.chunks(1) {
                    engine.receive(byte, |event| log.record(&event));
                }
            }
            Action::Receive(bytes) => engine.receive(bytes, |event| log.record(&event)),
            Action::Start => engine.start(),
            Action::Request { side, opt, enable } => {
                engine.request(*side, *opt, *enable);
            }
            Action::SendData(bytes) => engine.send_data(bytes),
            Action::SendSubnegotiation(opt, payload) => engine.send_subnegotiation(*opt, payload),
            Action::SendCommand(command) => engine.send_command(*command),
        }
    }
    (log.finish(), engine.take_output())
}

#[test]
fn golden_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut failures = Vec::new();
    let mut count = 0;
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
    {
        let text = fs::read_to_string(path).unwrap();
        for case in parse_cases(&text) {
            count += 1;
            for byte_at_a_time in [false, true] {
                let (events, output) = run(&case, byte_at_a_time);
                if events != case.events || output != case.output {
                    failures.push(format!(
                        "{}:{} {}{}\n  expected events: {:#?}\n  got events:      {:#?}\n  expected out: \"{}\"\n  got out:      \"{}\"",
                        path.file_name().unwrap().to_string_lossy(),
                        case.line,
                        case.name,
                        if byte_at_a_time { " (one byte per read)" } else { "" },
                        case.events,
                        events,
                        support::escape(&case.output),
                        support::escape(&output),
                    ));
                }
            }
        }
    }
    assert!(
        count >= 40,
        "only {count} golden cases found in {}",
        dir.display()
    );
    assert!(
        failures.is_empty(),
        "{} golden case(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
