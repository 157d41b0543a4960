//! Differential tests: every scenario of `tests/telnetlib_differential/scenarios.txt`
//! is played by a loopback server to CPython's `telnetlib` (through `driver.py`) and to
//! `telnetlib::Telnet`, which run the same calls; the two transcripts (what each call
//! returned, what the option callback saw, and what the server received) must be
//! identical, except for the deliberate differences a scenario declares.
//!
//! Needs Python with `telnetlib` (3.11 and older, or `pip install standard-telnetlib`),
//! so it is `#[ignore]`d: `cargo test --test all -- --ignored telnetlib_differential::`
//! (`.ci/run` does). `TELNETLIB_PYTHON` names the interpreter (default `python3`).

use crate::support;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use memchr::memmem;
use regex::bytes::Regex;
use support::peer::DEADLINE;
use telnetlib::telnetlib::{SE, Telnet};

#[derive(Debug, Default, Clone)]
struct Scenario {
    name: String,
    timeout: Option<f64>,
    differs: Vec<String>,
    server: Vec<(String, String)>,
    client: Vec<(String, String)>,
}

fn directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/telnetlib_differential")
}

fn scenarios() -> Vec<Scenario> {
    let text = std::fs::read_to_string(directory().join("scenarios.txt")).unwrap();
    let mut all: Vec<Scenario> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        if word == "scenario" {
            all.push(Scenario {
                name: rest.to_owned(),
                ..Scenario::default()
            });
            continue;
        }
        let scenario = all.last_mut().expect("a step before the first scenario");
        let (call, args) = rest.split_once(' ').unwrap_or((rest, ""));
        let step = (call.to_owned(), args.trim().to_owned());
        match word {
            "S" => scenario.server.push(step),
            "C" => scenario.client.push(step),
            "timeout" => scenario.timeout = Some(rest.parse().unwrap()),
            "differs" => scenario.differs.push(rest.to_owned()),
            other => panic!("unknown line {other:?} in scenario {}", scenario.name),
        }
    }
    all
}

/// A Python bytes literal (`b"a\xff\r\n"`, the escapes the scenarios use), optionally
/// repeated (`b"ab" * 3`).
fn literal(text: &str) -> Vec<u8> {
    let (body, times) = match text.rsplit_once(" * ") {
        Some((body, times)) => (body, times.trim().parse().unwrap()),
        None => (text, 1),
    };
    let body = body.trim();
    assert!(
        body.len() >= 3 && body.starts_with("b\"") && body.ends_with('"'),
        "not a bytes literal: {text}"
    );
    let inner = &body.as_bytes()[2..body.len() - 1];
    let mut bytes = Vec::new();
    let mut i = 0;
    while i < inner.len() {
        if inner[i] != b'\\' {
            bytes.push(inner[i]);
            i += 1;
            continue;
        }
        let escape = inner[i + 1];
        i += 2;
        bytes.push(match escape {
            b'x' => {
                let hex = std::str::from_utf8(&inner[i..i + 2]).unwrap();
                i += 2;
                u8::from_str_radix(hex, 16).unwrap()
            }
            b'r' => b'\r',
            b'n' => b'\n',
            b't' => b'\t',
            b'0' => 0,
            other => other,
        });
    }
    bytes.repeat(times)
}

/// `b"x" 0.3` → (`b"x"`, Some(0.3 s)).
fn split_timeout(args: &str) -> (&str, Option<Duration>) {
    match args.rsplit_once(' ') {
        Some((rest, number)) if number.parse::<f64>().is_ok() => {
            (rest, Some(Duration::from_secs_f64(number.parse().unwrap())))
        }
        _ => (args, None),
    }
}

/// The escaping `driver.py`'s `show` uses.
fn show(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if (32..127).contains(&b) && b != b'\\' {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

/// Plays the scenario's server side on `listener`; returns every byte the client sent.
fn serve(listener: TcpListener, steps: Vec<(String, String)>) -> Vec<u8> {
    listener.set_nonblocking(true).unwrap();
    let start = Instant::now();
    let mut socket = loop {
        match listener.accept() {
            Ok((socket, _)) => break socket,
            Err(e) if e.kind() == ErrorKind::WouldBlock && start.elapsed() < DEADLINE => {
                thread::yield_now()
            }
            Err(e) => panic!("the client never connected: {e}"),
        }
    };
    socket.set_nonblocking(false).unwrap();
    socket.set_nodelay(true).unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut received = Vec::new();
    let mut checked = 0;
    for (step, args) in steps {
        match step.as_str() {
            "send" => socket.write_all(&literal(&args)).unwrap(),
            "close" => socket.shutdown(Shutdown::Write).unwrap(),
            "sleep" => thread::sleep(Duration::from_secs_f64(args.parse().unwrap())),
            "wait" => {
                let marker = literal(&args);
                while memmem::find(&received[checked..], &marker).is_none() {
                    assert!(
                        read_some(&mut socket, &mut received),
                        "the client closed before sending {args}"
                    );
                }
                checked = received.len();
            }
            other => panic!("unknown server step {other}"),
        }
    }
    while read_some(&mut socket, &mut received) {}
    received
}

/// One read; false at the end of the stream. Panics after [`DEADLINE`] of silence.
fn read_some(socket: &mut TcpStream, into: &mut Vec<u8>) -> bool {
    let mut buffer = [0u8; 65536];
    match socket.read(&mut buffer) {
        Ok(0) => false,
        Ok(n) => {
            into.extend_from_slice(&buffer[..n]);
            true
        }
        Err(e) if e.kind() == ErrorKind::ConnectionReset => false,
        Err(e) => panic!("server read: {e}"),
    }
}

/// Runs `client` against the scenario's server; returns the client's transcript with
/// the server's view appended.
fn play(scenario: &Scenario, client: impl FnOnce(u16) -> Vec<String>) -> Vec<String> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let steps = scenario.server.clone();
    let server = thread::spawn(move || serve(listener, steps));
    let mut transcript = client(port);
    let received = server.join().expect("the server side failed");
    transcript.push(format!("server received -> {}", show(&received)));
    transcript
}

fn python() -> String {
    std::env::var("TELNETLIB_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn run_python(scenario: &Scenario, port: u16) -> Vec<String> {
    let output = Command::new(python())
        .arg(directory().join("driver.py"))
        .arg(directory().join("scenarios.txt"))
        .arg(&scenario.name)
        .arg(port.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "driver.py failed on {}: {}",
        scenario.name,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn run_rust(scenario: &Scenario, port: u16) -> Vec<String> {
    let timeout = Duration::from_secs_f64(scenario.timeout.unwrap_or(DEADLINE.as_secs_f64()));
    let mut tn = Telnet::connect("127.0.0.1", port, Some(timeout)).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut lines = Vec::new();
    for (call, args) in &scenario.client {
        let result = match call.as_str() {
            "read_until" => {
                let (expected, timeout) = split_timeout(args);
                tn.read_until(&literal(expected), timeout).map(|d| show(&d))
            }
            "read_all" => tn.read_all().map(|d| show(&d)),
            "read_some" => tn.read_some().map(|d| show(&d)),
            "read_very_eager" => tn.read_very_eager().map(|d| show(&d)),
            "read_eager" => tn.read_eager().map(|d| show(&d)),
            "read_lazy" => tn.read_lazy().map(|d| show(&d)),
            "read_very_lazy" => tn.read_very_lazy().map(|d| show(&d)),
            "read_sb_data" => Ok(show(&tn.read_sb_data())),
            "expect" => {
                let (patterns, timeout) = split_timeout(args);
                let list: Vec<Regex> = patterns
                    .split(" | ")
                    .map(|p| Regex::new(std::str::from_utf8(&literal(p)).unwrap()).unwrap())
                    .collect();
                tn.expect(&list, timeout).map(|found| {
                    let index = found.index.map_or(-1, |i| i as i64);
                    let mut line = format!("{index} {}", show(&found.text));
                    for group in 1..found.groups.len() {
                        line.push(' ');
                        line.push_str(&found.group(group).map_or("None".to_owned(), show));
                    }
                    line
                })
            }
            "write" => tn.write(&literal(args)).map(|()| "ok".to_owned()),
            "callback" => {
                let seen = seen.clone();
                tn.set_option_negotiation_callback((args == "on").then(|| {
                    Box::new(
                        move |context: &mut telnetlib::telnetlib::OptionContext<'_>, cmd, opt| {
                            let mut seen = seen.lock().unwrap();
                            seen.push(format!("cmd {cmd} {opt}"));
                            if cmd == SE {
                                seen.push(format!("sb {}", show(&context.read_sb_data())));
                            }
                        },
                    ) as telnetlib::telnetlib::OptionCallback
                }));
                Ok("ok".to_owned())
            }
            "wait_readable" => {
                let deadline = Instant::now() + DEADLINE;
                while !tn.sock_avail().unwrap() {
                    assert!(Instant::now() < deadline, "wait_readable: nothing arrived");
                }
                Ok("ok".to_owned())
            }
            "close" => {
                tn.close();
                Ok("ok".to_owned())
            }
            other => panic!("unknown client step {other}"),
        };
        let shown = match result {
            Ok(value) => value,
            Err(error) if error.is_eof() => "EOFError".to_owned(),
            Err(error) if error.is_timeout() => "TimeoutError".to_owned(),
            Err(error) => format!("error {error}"),
        };
        lines.push(format!("{call} -> {shown}"));
    }
    lines.extend(
        seen.lock()
            .unwrap()
            .iter()
            .map(|record| format!("callback {record}")),
    );
    tn.close();
    lines
}

/// Applies a scenario's declared differences: NULs Python drops from subnegotiation
/// data are removed from ours, and the server's view is not compared where our
/// replies deliberately differ.
fn normalise(scenario: &Scenario, transcript: Vec<String>, ours: bool) -> Vec<String> {
    transcript
        .into_iter()
        .filter(|line| {
            !(scenario.differs.iter().any(|d| d == "replies")
                && line.starts_with("server received"))
        })
        .map(|line| {
            let sb_line = line.starts_with("read_sb_data") || line.starts_with("callback sb");
            if ours && sb_line && scenario.differs.iter().any(|d| d == "sb-nul") {
                line.replace("\\x00", "")
            } else {
                line
            }
        })
        .collect()
}

#[test]
#[ignore = "needs Python with telnetlib; run with --ignored (CI does)"]
fn rust_telnet_matches_cpython_telnetlib() {
    let probe = Command::new(python())
        .args(["-W", "ignore", "-c", "import telnetlib"])
        .status();
    assert!(
        probe.is_ok_and(|status| status.success()),
        "`{} -c 'import telnetlib'` failed: install Python 3.11 or `pip install standard-telnetlib`",
        python()
    );
    let all = scenarios();
    assert!(all.len() >= 30, "the corpus has {} scenarios", all.len());
    let mut failures = Vec::new();
    for scenario in &all {
        let theirs = normalise(scenario, play(scenario, |p| run_python(scenario, p)), false);
        let ours = normalise(scenario, play(scenario, |p| run_rust(scenario, p)), true);
        if theirs != ours {
            failures.push(format!(
                "scenario {}:\n  python: {theirs:#?}\n  rust:   {ours:#?}",
                scenario.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The deliberate differences are real: on the flagged scenarios the raw transcripts
/// differ (so the normalisation above hides something), and only there.
#[test]
#[ignore = "needs Python with telnetlib; run with --ignored (CI does)"]
fn declared_differences_are_exactly_the_flagged_ones() {
    for scenario in scenarios().iter().filter(|s| !s.differs.is_empty()) {
        let theirs = play(scenario, |p| run_python(scenario, p));
        let ours = play(scenario, |p| run_rust(scenario, p));
        assert_ne!(
            theirs, ours,
            "scenario {} declares a difference that does not show",
            scenario.name
        );
    }
}
