//! Matrix section 1: their clients against our `TelnetServer`. Our side checks what
//! was negotiated (terminal type, window size, environment, charset, BINARY, ECHO),
//! that a typed line arrives intact, UTF-8 both ways, 0xFF through, and, from the
//! bytes a relay recorded, that no negotiation repeats.

use std::process::Command;
use std::time::{Duration, Instant};

use telnetlib::proto::Opt;
use telnetlib::{Error, ServerConnection, TelnetServer, Want};

use crate::harness::{
    Cell, DEADLINE, Proc, Tap, Tmux, WAIT, escape, facts, poll_until, require, script, venv_python,
};

pub const GROUP: &str = "their client → our server";

/// What the server sends first: UTF-8 text, then a prompt.
const GREETING: &str = "Grüße ✓\nprompt> ";
/// How `GREETING` looks on the wire.
pub const GREETING_BYTES: &[u8] = "Grüße ✓\r\nprompt> ".as_bytes();
/// The line each client types.
pub const LINE: &str = "héllo wörld ✓";
/// What scripted clients send after the line: 0xFF and a control byte.
const RAW: &[u8] = b"bin:\xff\x01\xff|";
/// The server's last words to scripted clients: 0xFF and other high bytes.
pub const REPLY: &[u8] = b"\xff\x80\xfe#END#";

/// Our server, handing out each client once its negotiation has settled.
pub fn our_server() -> TelnetServer {
    our_server_with(TelnetServer::builder())
}

/// Our server's longest wait for a client's negotiation: long, so that a loaded
/// machine never hands a client out early; `accept` checks that none needed it.
const CONNECT_MAXWAIT: Duration = Duration::from_secs(30);

pub fn our_server_with(builder: telnetlib::ServerBuilder) -> TelnetServer {
    builder
        .connect_maxwait(CONNECT_MAXWAIT)
        .timeout(WAIT)
        .bind("127.0.0.1:0")
        .expect("bind our server")
}

/// Accepts the peer's connection, failing early with its output if it dies first,
/// and checks that it was handed out because its negotiation settled, not because
/// `CONNECT_MAXWAIT` ran out (timed from the first byte the relay saw).
pub fn accept(
    server: &TelnetServer,
    tap: &Tap,
    peer: &mut dyn FnMut() -> Option<String>,
) -> ServerConnection {
    let start = Instant::now();
    let mut first_byte: Option<Instant> = None;
    loop {
        match server.accept(Some(Duration::from_millis(50))) {
            Ok(conn) => {
                let settled = first_byte.map_or(Duration::ZERO, |t| t.elapsed());
                assert!(
                    settled < CONNECT_MAXWAIT - Duration::from_secs(5),
                    "held back {settled:?}: {}",
                    describe(&conn)
                );
                return conn;
            }
            Err(Error::Timeout { .. }) => {}
            Err(e) => panic!("accept: {e}"),
        }
        if first_byte.is_none() && !tap.client_sent().is_empty() {
            first_byte = Some(Instant::now());
        }
        if let Some(why) = peer() {
            panic!("the peer never got through negotiation: {why}");
        }
        assert!(start.elapsed() < DEADLINE, "no client was handed out");
    }
}

/// `accept` for a peer run as a process: it is gone once it exits.
pub fn accept_from(server: &TelnetServer, tap: &Tap, peer: &mut Proc) -> ServerConnection {
    accept(server, tap, &mut || peer.exited().then(|| peer.output()))
}

/// Decodes the hex a peer script printed.
fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The negotiated facts, for the record.
pub fn describe(conn: &ServerConnection) -> String {
    format!(
        "TTYPE {:?} (cycle {:?}), NAWS {}x{}, env {:?}, charset {:?}, BINARY us/them {}/{}, ECHO {}",
        conn.terminal_type(),
        conn.terminal_types(),
        conn.columns(),
        conn.rows(),
        conn.environment(),
        conn.charset(),
        conn.local_option(Opt::BINARY),
        conn.remote_option(Opt::BINARY),
        conn.local_option(Opt::ECHO),
    )
}

/// The server's half of the scripted clients' conversation.
fn converse(conn: &ServerConnection) {
    conn.send(GREETING).expect("send the greeting");
    let line = conn.readline_str(WAIT).expect("the typed line");
    assert_eq!(line.trim_end(), LINE, "the line arrives intact");
    let raw = conn.read_until(b"|", WAIT).expect("the bytes with 0xFF");
    assert_eq!(escape(&raw), escape(RAW), "0xFF arrives undoubled");
    conn.write_bytes(REPLY, WAIT).expect("send the reply");
}

/// The client's half, from what the script printed.
fn check_script(output: &str) -> std::collections::BTreeMap<String, String> {
    let facts = facts(output);
    assert_eq!(facts.get("DONE").map(String::as_str), Some("1"), "{output}");
    let greeting = unhex(&facts["GREETING"]);
    assert!(
        greeting.ends_with(GREETING_BYTES),
        "the client saw {:?}",
        escape(&greeting)
    );
    let back = unhex(&facts["BACK"]);
    assert!(back.ends_with(REPLY), "the client saw {:?}", escape(&back));
    facts
}

/// Runs a scripted Python client through the whole conversation; returns the facts
/// our side negotiated, the script's own facts, and the relay.
fn scripted(
    python: &std::path::Path,
    name: &str,
    peer_script: &str,
    check: impl FnOnce(&ServerConnection),
) -> (String, std::collections::BTreeMap<String, String>, Tap) {
    scripted_with(our_server(), python, (name, peer_script, &[]), check)
}

/// `scripted` against a server built by the caller, the script given `options`
/// after the address: `peer` is (name, script, options).
pub fn scripted_with(
    server: TelnetServer,
    python: &std::path::Path,
    (name, peer_script, options): (&str, &str, &[&str]),
    check: impl FnOnce(&ServerConnection),
) -> (String, std::collections::BTreeMap<String, String>, Tap) {
    let tap = Tap::new(server.local_addr());
    let mut peer = Proc::spawn(
        name,
        Command::new(python)
            .arg(script(peer_script))
            .args(["127.0.0.1", &tap.port()])
            .args(options),
    );
    let conn = accept_from(&server, &tap, &mut peer);
    let negotiated = describe(&conn);
    check(&conn);
    converse(&conn);
    let (status, output) = peer.wait_exit();
    assert!(status.success(), "{name} failed:\n{output}");
    let facts = check_script(&output);
    (negotiated, facts, tap)
}

/// telnetlib3's own view: BINARY both ways, and we echo.
pub fn assert_binary_and_echo(facts: &std::collections::BTreeMap<String, String>) {
    for key in ["LOCAL_BINARY", "REMOTE_BINARY", "REMOTE_ECHO"] {
        assert_eq!(facts[key], "True", "{key} in {facts:?}");
    }
}

#[test]
fn telnetlib3_asyncio_client() {
    let mut cell = Cell::new(
        "1a-telnetlib3-client",
        GROUP,
        "telnetlib3 5.0.1 `open_connection`",
        "client",
    );
    let python = venv_python("telnetlib3");
    let (negotiated, facts, tap) = scripted(&python, "telnetlib3", "tl3_client.py", |conn| {
        assert_eq!(conn.terminal_type(), "xterm-tl3");
        assert_eq!((conn.columns(), conn.rows()), (132, 43));
        let env = conn.environment();
        assert_eq!(
            env.get("TERM").map(String::as_str),
            Some("xterm-tl3"),
            "{env:?}"
        );
        assert_eq!(
            env.get("COLUMNS").map(String::as_str),
            Some("132"),
            "{env:?}"
        );
        assert_eq!(env.get("LINES").map(String::as_str), Some("43"), "{env:?}");
        assert_eq!(conn.charset().as_deref(), Some("UTF-8"));
        assert!(conn.local_option(Opt::BINARY) && conn.remote_option(Opt::BINARY));
        assert!(conn.local_option(Opt::ECHO), "we echo for it");
    });
    cell.note(negotiated);
    assert_binary_and_echo(&facts);
    assert_eq!(facts["CHARSET"].to_ascii_uppercase(), "UTF-8");
    cell.note("line, UTF-8 both ways and 0xFF both ways in BINARY: ok");
    cell.note(tap.assert_no_loop(2));
}

#[test]
fn telnetlib3_client_answers_what_our_server_asks_again() {
    let mut cell = Cell::new(
        "1a3-telnetlib3-client-renegotiated",
        GROUP,
        "telnetlib3 5.0.1 `open_connection`, our server asking again after connect",
        "client",
    );
    let python = venv_python("telnetlib3");
    let (_, facts, tap) = scripted_with(
        our_server(),
        &python,
        ("telnetlib3", "tl3_client.py", &[]),
        |conn| {
            let settled = |what: &str| {
                conn.wait_until(|c| !c.awaiting_answers(), WAIT)
                    .unwrap_or_else(|e| panic!("{what}: {e:#}"));
            };
            conn.request_terminal_types().expect("TTYPE again");
            settled("the second TTYPE cycle");
            assert_eq!(conn.terminal_type(), "xterm-tl3");
            conn.request_environment(&["TERM", "LINES"])
                .expect("NEW-ENVIRON again");
            settled("the environment");
            assert_eq!(conn.env("LINES").as_deref(), Some("43"));
            conn.request_charset(&["UTF-8", "ISO-8859-1"])
                .expect("CHARSET again");
            settled("CHARSET");
            assert_eq!(conn.encoding(), "UTF-8");
        },
    );
    assert_binary_and_echo(&facts);
    // Its answers, as the relay saw them: two TTYPE cycles of two answers each, two
    // environment answers, two CHARSET ACCEPTED.
    let sent = tap.client_sent();
    let count = |needle: &[u8]| sent.windows(needle.len()).filter(|w| *w == needle).count();
    assert_eq!(count(b"\xff\xfa\x18\x00xterm-tl3"), 4);
    assert_eq!(count(b"\xff\xfa\x2a\x02"), 2);
    assert!(count(b"\xff\xfa\x27\x00") >= 2);
    cell.note(
        "after connect: a new TTYPE cycle (xterm-tl3 twice more), NEW-ENVIRON TERM and \
         LINES (LINES 43), CHARSET offered again (ACCEPTED UTF-8 a second time): each \
         answered; then the usual line, UTF-8 and 0xFF exchange",
    );
    cell.note(tap.assert_no_loop(2));
}

#[test]
fn telnetlib3_client_gets_echo_off_and_on_again() {
    let mut cell = Cell::new(
        "1a4-telnetlib3-client-echo-off-and-on",
        GROUP,
        "telnetlib3 5.0.1 `open_connection`, our server turning ECHO off and on again",
        "client",
    );
    let python = venv_python("telnetlib3");
    let mut outcome_of_on = None;
    let (_, facts, tap) = scripted_with(
        our_server(),
        &python,
        ("telnetlib3", "tl3_client.py", &[]),
        |conn| {
            conn.set_echo(false).unwrap();
            // Off on our side at once: we echo nothing more.
            assert!(!conn.local_option(Opt::ECHO));
            // As around a password prompt: on again. It never acknowledges our WONT
            // ECHO, so the request waits for a Timing Mark to settle that.
            outcome_of_on = Some(conn.set_echo(true).unwrap());
            conn.wait_for(
                &[Want::LocalEnabled(Opt::ECHO), Want::NotPending(Opt::ECHO)],
                WAIT,
            )
            .unwrap();
        },
    );
    assert_eq!(
        outcome_of_on,
        Some(telnetlib::proto::RequestOutcome::Pending)
    );
    assert_eq!(facts["REMOTE_ECHO"], "True", "{facts:?}");
    let client = tap.client_sent();
    let server = tap.server_sent();
    let count = |wire: &[u8], what: &[u8]| wire.windows(what.len()).filter(|w| *w == what).count();
    // It took our WONT ECHO without a DONT ECHO; it answered our DO TM.
    assert_eq!(count(&client, b"\xff\xfe\x01"), 0, "DONT ECHO");
    assert_eq!(count(&server, b"\xff\xfc\x01"), 1, "WONT ECHO");
    assert_eq!(count(&server, b"\xff\xfd\x06"), 1, "DO TM");
    assert_eq!(count(&client, b"\xff\xfb\x06"), 1, "WILL TM");
    assert_eq!(count(&server, b"\xff\xfb\x01"), 2, "WILL ECHO, twice");
    cell.note(
        "ECHO off: in effect on our side at once, taken by telnetlib3 without the DONT \
         ECHO RFC 1143 requires; on again: our engine sends DO TM, its WILL TM shows it \
         took the WONT, our WILL ECHO goes out and it agrees (REMOTE_ECHO=True)",
    );
    cell.note(tap.assert_no_loop(2));
}

#[test]
fn telnetlib3_blocking_client() {
    let mut cell = Cell::new(
        "1b-telnetlib3-sync-client",
        GROUP,
        "telnetlib3 5.0.1 `sync.TelnetConnection` (bytes API)",
        "client",
    );
    let python = venv_python("telnetlib3");
    let (negotiated, facts, tap) =
        scripted(&python, "telnetlib3.sync", "tl3_sync_client.py", |conn| {
            assert_eq!(conn.terminal_type(), "vt220-sync");
            assert_eq!((conn.columns(), conn.rows()), (100, 30));
            let env = conn.environment();
            assert_eq!(
                env.get("TERM").map(String::as_str),
                Some("vt220-sync"),
                "{env:?}"
            );
            assert!(conn.local_option(Opt::BINARY) && conn.remote_option(Opt::BINARY));
            assert!(conn.local_option(Opt::ECHO));
        });
    cell.note(negotiated);
    assert_binary_and_echo(&facts);
    cell.note("line, UTF-8 both ways and 0xFF both ways in BINARY: ok");
    cell.note(tap.assert_no_loop(2));
}

#[test]
fn stdlib_telnetlib_client() {
    let mut cell = Cell::new(
        "1c-stdlib-telnetlib",
        GROUP,
        "CPython 3.11 `telnetlib.Telnet`",
        "client",
    );
    let python = require("/usr/bin/python3", "python3");
    let (negotiated, _, tap) = scripted(&python, "telnetlib", "stdlib_client.py", |conn| {
        // It refuses every option: our defaults stand and nothing is on.
        assert_eq!(conn.terminal_type(), "ANSI");
        assert_eq!((conn.columns(), conn.rows()), (80, 24));
        assert!(conn.environment().is_empty());
        assert_eq!(conn.charset(), None);
        assert!(!conn.local_option(Opt::BINARY) && !conn.remote_option(Opt::BINARY));
        assert!(!conn.local_option(Opt::ECHO));
    });
    cell.note(negotiated);
    cell.note("refuses all options; line, UTF-8 both ways and 0xFF (IAC IAC in NVT) both ways: ok");
    cell.note(tap.assert_no_loop(1));
}

/// A terminal client in tmux: checks what it negotiated, types `LINE`, sees the
/// greeting and our echo, and types 0xFF where the terminal can.
struct TerminalRun<'a> {
    id: &'a str,
    peer: &'a str,
    /// The command line, with `{port}` for the relay's port.
    command: &'a str,
    cols: u16,
    rows: u16,
    /// The client is in BINARY: type a raw 0xFF, and check that a 0xFF we send
    /// reaches its terminal.
    binary: bool,
    /// The client reports a new window size when the terminal is resized.
    resize: bool,
    /// Our server in line mode (it offers neither ECHO nor SGA).
    line_mode: bool,
}

impl TerminalRun<'_> {
    fn run(&self, check: impl FnOnce(&ServerConnection, &mut Cell)) {
        let mut cell = Cell::new(self.id, GROUP, self.peer, "client (terminal)");
        let server = our_server_with(TelnetServer::builder().line_mode(self.line_mode));
        let tap = Tap::new(server.local_addr());
        let command = self.command.replace("{port}", &tap.port());
        let tmux = Tmux::start(self.id, self.cols, self.rows, &command);
        let conn = accept(&server, &tap, &mut || None);
        cell.note(describe(&conn));
        check(&conn, &mut cell);

        conn.send(GREETING).expect("send the greeting");
        tmux.wait_screen("Grüße ✓");
        tmux.keys(LINE);
        tmux.key("Enter");
        let line = conn.readline_str(WAIT).expect("the typed line");
        assert_eq!(line.trim_end(), LINE, "the typed line arrives intact");
        cell.note("typed UTF-8 line intact; UTF-8 greeting shown");
        if self.binary {
            tmux.keys("bin:");
            tmux.bytes(b"\xff");
            tmux.keys("|");
            tmux.key("Enter");
            let raw = conn.read_until(b"|", WAIT).expect("the typed 0xFF");
            assert_eq!(escape(&raw), escape(b"bin:\xff|"), "a typed 0xFF");
            conn.write_bytes(b"<\xff>", WAIT).unwrap();
            poll_until("0xFF to reach the terminal", || {
                tmux.output().windows(3).any(|w| w == b"<\xff>")
            });
            cell.note("0xFF both ways in BINARY: typed (IAC IAC on the wire) and shown");
        }
        if self.resize {
            let (cols, rows) = (self.cols + 7, self.rows + 3);
            tmux.resize(cols, rows);
            poll_until("the new window size", || {
                (conn.columns(), conn.rows()) == (cols, rows)
            });
            cell.note(format!("resize to {cols}x{rows} seen through NAWS"));
        }
        cell.note(tap.assert_no_loop(2));
        poll_until("the relay to see the line", || {
            tap.client_sent().windows(3).any(|w| w == "✓".as_bytes())
        });
    }
}

#[test]
fn telnetlib3_client_cli_in_a_terminal() {
    venv_python("telnetlib3");
    let client = crate::harness::venv().join("bin/telnetlib3-client");
    TerminalRun {
        id: "1a2-telnetlib3-client-terminal",
        peer: "`telnetlib3-client` 5.0.1 in a terminal",
        command: &format!(
            "env TERM=xterm-256color LANG=C.UTF-8 {} 127.0.0.1 {{port}}",
            client.display()
        ),
        cols: 101,
        rows: 33,
        // It decodes what it shows as UTF-8: a raw 0xFF from us would be U+FFFD.
        binary: false,
        resize: true,
        line_mode: false,
    }
    .run(|conn, _| {
        assert_eq!(conn.terminal_type(), "xterm-256color");
        assert_eq!((conn.columns(), conn.rows()), (101, 33));
        assert_eq!(conn.charset().as_deref(), Some("UTF-8"));
        assert!(conn.local_option(Opt::BINARY) && conn.remote_option(Opt::BINARY));
        assert!(conn.local_option(Opt::ECHO));
    });
}

#[test]
fn netkit_telnet_client() {
    require("/usr/bin/telnet-ssl", "telnet-ssl");
    TerminalRun {
        id: "1d-netkit-telnet",
        peer: "netkit telnet (Debian `telnet-ssl` 0.17)",
        command: "env TERM=vt220 DISPLAY=:7.0 /usr/bin/telnet-ssl -l interop 127.0.0.1 {port}",
        cols: 91,
        rows: 29,
        binary: true,
        resize: true,
        line_mode: false,
    }
    .run(|conn, _| {
        assert_eq!(conn.terminal_type().to_ascii_lowercase(), "vt220");
        assert_eq!((conn.columns(), conn.rows()), (91, 29));
        let env = conn.environment();
        // It qualifies DISPLAY ":7.0" with its host name.
        assert!(
            env.get("DISPLAY").is_some_and(|d| d.ends_with(":7.0")),
            "{env:?}"
        );
        assert_eq!(
            env.get("USER").map(String::as_str),
            Some("interop"),
            "{env:?}"
        );
        assert!(conn.local_option(Opt::BINARY) && conn.remote_option(Opt::BINARY));
        assert!(conn.local_option(Opt::ECHO));
    });
}

#[test]
fn netkit_telnet_client_with_our_server_in_line_mode() {
    require("/usr/bin/telnet-ssl", "telnet-ssl");
    TerminalRun {
        id: "1d2-netkit-telnet-line-mode",
        peer: "netkit telnet, our server in line mode",
        command: "env TERM=vt100 /usr/bin/telnet-ssl 127.0.0.1 {port}",
        cols: 80,
        rows: 25,
        binary: false,
        resize: true,
        line_mode: true,
    }
    .run(|conn, _| {
        // No ECHO: netkit edits and echoes lines itself, under LINEMODE (RFC 1184),
        // which it accepts; it then asks for SGA itself, as BSD clients do.
        assert!(!conn.local_option(Opt::ECHO), "ECHO");
        assert!(conn.remote_option(Opt::LINEMODE), "LINEMODE");
        let mode = conn.linemode_mode().expect("a LINEMODE mode");
        assert!(
            mode.contains(telnetlib::proto::linemode::ModeMask::EDIT),
            "{mode:?}"
        );
        assert_eq!(conn.terminal_type().to_ascii_lowercase(), "vt100");
        assert_eq!((conn.columns(), conn.rows()), (80, 25));
    });
}

#[test]
fn netkit_telnet_client_takes_linemode_changes_after_connect() {
    require("/usr/bin/telnet-ssl", "telnet-ssl");
    TerminalRun {
        id: "1d3-netkit-telnet-linemode-changes",
        peer: "netkit telnet, our server changing LINEMODE's mode and forward mask",
        command: "env TERM=vt100 /usr/bin/telnet-ssl 127.0.0.1 {port}",
        cols: 80,
        rows: 25,
        binary: false,
        resize: false,
        line_mode: true,
    }
    .run(|conn, cell| {
        use std::sync::{Arc, Mutex};
        use telnetlib::proto::OwnedEvent;
        use telnetlib::proto::linemode::{ForwardMask, ModeMask};
        let answers: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        conn.set_event_hook(Some({
            let answers = Arc::clone(&answers);
            move |event: &OwnedEvent| {
                if let OwnedEvent::Subnegotiation {
                    opt: Opt::LINEMODE,
                    data,
                } = event
                {
                    answers.lock().unwrap().push(data.clone());
                }
            }
        }));
        // MODE with SOFT_TAB added: netkit answers with the mode it takes, ACK set.
        let wanted = ModeMask::EDIT | ModeMask::TRAPSIG | ModeMask::SOFT_TAB;
        conn.set_linemode_mode(wanted).expect("set the mode");
        let acked = |answers: &[Vec<u8>]| {
            answers
                .iter()
                .rev()
                .find(|p| p.len() == 2 && p[0] == 1 && p[1] & 4 != 0)
                .map(|p| p[1] & !4)
        };
        poll_until("netkit's MODE ... ACK", || {
            acked(&answers.lock().unwrap()) == Some(wanted.bits())
        });
        // A forward mask with TAB in it: netkit answers it (BSD telnet refuses
        // forward masks: WONT FORWARDMASK).
        let tab = ForwardMask::from_bytes(&[0x00, 0x40]).unwrap();
        conn.set_linemode_forwardmask(Some(tab))
            .expect("ask for the mask");
        let forwardmask_answer = |answers: &[Vec<u8>]| {
            answers
                .iter()
                .find(|p| p.len() == 2 && p[1] == 2 && (p[0] == 251 || p[0] == 252))
                .map(|p| if p[0] == 251 { "WILL" } else { "WONT" })
        };
        poll_until("netkit's answer to DO FORWARDMASK", || {
            forwardmask_answer(&answers.lock().unwrap()).is_some()
        });
        let verdict = forwardmask_answer(&answers.lock().unwrap()).unwrap_or_default();
        conn.set_event_hook(None::<fn(&OwnedEvent)>);
        cell.note(format!(
            "after connect: MODE {wanted:?} acknowledged as asked (MODE with ACK); DO \
             FORWARDMASK answered {verdict} FORWARDMASK; the session goes on"
        ));
    });
}

#[test]
fn inetutils_telnet_client() {
    require("/usr/bin/inetutils-telnet", "inetutils-telnet");
    TerminalRun {
        id: "1e-inetutils-telnet",
        peer: "GNU inetutils telnet 2.4",
        command: "env TERM=xterm DISPLAY=:3.0 /usr/bin/inetutils-telnet -l interop 127.0.0.1 {port}",
        cols: 103,
        rows: 37,
        binary: true,
        resize: true,
        line_mode: false,
    }
    .run(|conn, _| {
        assert_eq!(conn.terminal_type().to_ascii_lowercase(), "xterm");
        assert_eq!((conn.columns(), conn.rows()), (103, 37));
        let env = conn.environment();
        assert!(env.get("DISPLAY").is_some_and(|d| d.ends_with(":3.0")), "{env:?}");
        assert_eq!(env.get("USER").map(String::as_str), Some("interop"), "{env:?}");
        assert!(conn.local_option(Opt::BINARY) && conn.remote_option(Opt::BINARY));
        assert!(conn.local_option(Opt::ECHO));
    });
}

#[test]
fn libtelnet_client() {
    require("/usr/bin/telnet-client", "libtelnet-utils");
    TerminalRun {
        id: "1f-libtelnet-client",
        peer: "libtelnet 0.21 `telnet-client`",
        command: "env TERM=screen /usr/bin/telnet-client 127.0.0.1 {port}",
        cols: 80,
        rows: 24,
        binary: false,
        resize: false,
        line_mode: false,
    }
    .run(|conn, _| {
        assert_eq!(conn.terminal_type(), "screen");
        // It refuses NAWS, NEW_ENVIRON, CHARSET and BINARY: our defaults stand.
        assert_eq!((conn.columns(), conn.rows()), (80, 24));
        assert!(conn.environment().is_empty());
        assert_eq!(conn.charset(), None);
        assert!(!conn.local_option(Opt::BINARY) && !conn.remote_option(Opt::BINARY));
        assert!(conn.local_option(Opt::ECHO));
    });
}

#[test]
fn tintin_client() {
    require("/usr/games/tt++", "tintin++");
    TerminalRun {
        id: "1g-tintin",
        peer: "TinTin++ 2.02.20 (MUD client)",
        command: "env TERM=xterm-256color /usr/games/tt++ -G -e '#session interop 127.0.0.1 {port}'",
        cols: 120,
        rows: 40,
        binary: false,
        resize: true,
        line_mode: false,
    }
    .run(|conn, _| {
        // TTYPE cycle TINTIN++, $TERM, "MTTS <bits>": the second one is the terminal.
        assert_eq!(conn.terminal_types()[0], "TINTIN++");
        assert_eq!(conn.terminal_type(), "xterm-256color");
        assert!(conn.terminal_types()[2].starts_with("MTTS "));
        assert_eq!((conn.columns(), conn.rows()), (120, 40));
        let env = conn.environment();
        assert_eq!(env.get("CLIENT_NAME").map(String::as_str), Some("TinTin++"), "{env:?}");
        assert_eq!(env.get("CHARSET").map(String::as_str), Some("UTF-8"), "{env:?}");
        assert_eq!(conn.charset().as_deref(), Some("UTF-8"));
        // It refuses BINARY; a MUD client echoes for itself: we must not offer ECHO.
        assert!(!conn.local_option(Opt::BINARY));
        assert!(!conn.local_option(Opt::ECHO));
    });
}
