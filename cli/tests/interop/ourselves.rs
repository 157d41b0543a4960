//! Matrix section 4: our `TelnetConnection` against our `TelnetServer`, one test per
//! option both implement (BINARY, ECHO, SGA, TTYPE, NAWS, NEW_ENVIRON, CHARSET,
//! TSPEED, XDISPLOC, EOR, LOGOUT), each checking the state on both sides and the
//! bytes a relay saw.

use std::time::Duration;

use telnetlib::proto::Opt;
use telnetlib::{ClientBuilder, Encoding, ServerConnection, TelnetConnection, TelnetServer, Want};

use crate::harness::{Cell, DEADLINE, Tap, WAIT, escape, poll_until};

const GROUP: &str = "our client ↔ our server";

/// Our server and our client through a relay, once the server has handed the
/// connection out (its negotiation settled).
struct Pair {
    _server: TelnetServer,
    tap: Tap,
    client: TelnetConnection,
    conn: ServerConnection,
}

fn pair(client: ClientBuilder) -> Pair {
    let server = TelnetServer::builder()
        .connect_maxwait(Duration::from_secs(15))
        .timeout(WAIT)
        .bind("127.0.0.1:0")
        .unwrap();
    let tap = Tap::new(server.local_addr());
    let client = client
        .timeout(WAIT)
        .connect_timeout(DEADLINE)
        .connect(tap.addr())
        .unwrap();
    let conn = server
        .accept(WAIT)
        .expect("our client settles with our server");
    Pair {
        _server: server,
        tap,
        client,
        conn,
    }
}

fn cell(option: &str) -> Cell {
    Cell::new(
        &format!("4-{}", option.to_ascii_lowercase()),
        GROUP,
        &format!("ours: {option}"),
        "both",
    )
}

#[test]
fn binary() {
    let mut cell = cell("BINARY");
    let p = pair(TelnetConnection::builder());
    p.client
        .wait_for(
            &[
                Want::LocalEnabled(Opt::BINARY),
                Want::RemoteEnabled(Opt::BINARY),
            ],
            WAIT,
        )
        .unwrap();
    assert!(p.conn.local_option(Opt::BINARY) && p.conn.remote_option(Opt::BINARY));
    // 0xFF and a bare CR NUL go through untouched both ways (with the server's echo
    // off: while it echoes, its line editor takes CR as the end of a line).
    p.conn.request_wont_echo().unwrap();
    p.client
        .wait_for(&[Want::RemoteDisabled(Opt::ECHO)], WAIT)
        .unwrap();
    p.client.write_bytes(b"a\xffb\r\x00c\n", WAIT).unwrap();
    assert_eq!(
        escape(&p.conn.read_until(b"c", WAIT).unwrap()),
        escape(b"a\xffb\r\x00c")
    );
    p.conn.write_bytes(b"\xff\xfe\r\x00|", WAIT).unwrap();
    assert_eq!(
        escape(&p.client.read_until(b"|", WAIT).unwrap()),
        escape(b"\xff\xfe\r\x00|")
    );
    assert!(p.tap.client_sent().windows(3).any(|w| w == b"a\xff\xff"));
    cell.note("on both ways; 0xFF doubled on the wire, CR NUL kept, both ways");
    cell.note(p.tap.assert_no_loop(2));
}

#[test]
fn echo() {
    let mut cell = cell("ECHO");
    let p = pair(TelnetConnection::builder());
    p.client
        .wait_for(&[Want::RemoteEnabled(Opt::ECHO)], WAIT)
        .unwrap();
    assert!(p.conn.local_option(Opt::ECHO));
    p.client.write_str("typed\n", WAIT).unwrap();
    assert_eq!(
        p.client.read_until(b"typed\r\n", WAIT).unwrap(),
        b"typed\r\n"
    );
    assert_eq!(p.conn.readline_str(WAIT).unwrap(), "typed\r\n");
    // The server stops echoing: the client sees it.
    p.conn.request_wont_echo().unwrap();
    p.client
        .wait_for(&[Want::RemoteDisabled(Opt::ECHO)], WAIT)
        .unwrap();
    cell.note("server echoes the typed line; WONT ECHO seen by the client");
    cell.note(p.tap.assert_no_loop(2));
}

#[test]
fn sga() {
    let mut cell = cell("SGA");
    let p = pair(TelnetConnection::builder());
    p.client
        .wait_for(&[Want::RemoteEnabled(Opt::SGA)], WAIT)
        .unwrap();
    // With SGA on, a prompt goes out without IAC GA.
    p.conn.send_prompt("p1> ").unwrap();
    p.client.read_until(b"p1> ", WAIT).unwrap();
    p.client.request_dont(Opt::SGA).unwrap();
    poll_until("the server to stop suppressing GA", || {
        !p.conn.local_option(Opt::SGA)
    });
    p.conn.send_prompt("p2> ").unwrap();
    p.client.read_until(b"p2> ", WAIT).unwrap();
    poll_until("the relay to pass the prompt", || {
        p.tap.server_sent().ends_with(b"p2> \xff\xf9")
    });
    let sent = p.tap.server_sent();
    assert!(
        !sent.windows(6).any(|w| w == b"p1> \xff\xf9"),
        "{}",
        escape(&sent)
    );
    cell.note("prompt without GA while SGA is on, with IAC GA after DONT SGA");
    cell.note(p.tap.assert_no_loop(2));
}

#[test]
fn ttype() {
    let mut cell = cell("TTYPE");
    let p = pair(TelnetConnection::builder().terminal_type("XTERM-256COLOR"));
    assert_eq!(p.conn.terminal_type(), "XTERM-256COLOR");
    assert_eq!(
        p.conn.terminal_types(),
        ["XTERM-256COLOR", "XTERM-256COLOR"]
    );
    cell.note("cycle of two answers, stops at the repeat");
    cell.note(p.tap.assert_no_loop(2));
}

#[test]
fn naws() {
    let mut cell = cell("NAWS");
    let p = pair(TelnetConnection::builder().window_size(132, 43));
    assert_eq!((p.conn.columns(), p.conn.rows()), (132, 43));
    // A size with 0xFF in it, sent on a resize.
    p.client.set_window_size(255, 511).unwrap();
    poll_until("the new size", || {
        (p.conn.columns(), p.conn.rows()) == (255, 511)
    });
    assert!(
        p.tap
            .client_sent()
            .windows(9)
            .any(|w| w == b"\xfa\x1f\x00\xff\xff\x01\xff\xff\xff"),
        "{}",
        escape(&p.tap.client_sent())
    );
    cell.note("132x43 at connect; resize to 255x511 (0xFF doubled in the SB) seen");
    cell.note(p.tap.assert_no_loop(2));
}

#[test]
fn new_environ() {
    let mut cell = cell("NEW_ENVIRON");
    let p = pair(
        TelnetConnection::builder()
            .terminal_type("vt100")
            .env("USER", "alice")
            .env("INTEROP", "yes"),
    );
    let env = p.conn.environment();
    assert_eq!(
        env.get("USER").map(String::as_str),
        Some("alice"),
        "{env:?}"
    );
    assert_eq!(
        env.get("TERM").map(String::as_str),
        Some("vt100"),
        "{env:?}"
    );
    assert_eq!(
        env.get("COLUMNS").map(String::as_str),
        Some("80"),
        "{env:?}"
    );
    assert!(
        env.get("LANG").is_some_and(|l| l.ends_with("UTF-8")),
        "{env:?}"
    );
    cell.note(format!("server saw {env:?}"));
    cell.note(p.tap.assert_no_loop(2));
}

#[test]
fn charset() {
    let mut cell = cell("CHARSET");
    let p = pair(TelnetConnection::builder().encoding(Encoding::for_label("iso-8859-1").unwrap()));
    assert_eq!(p.conn.charset().as_deref(), Some("ISO-8859-1"));
    p.client.write_str("é|\n", WAIT).unwrap();
    assert_eq!(p.conn.read_until(b"|", WAIT).unwrap(), b"\xe9|");
    // The server echoes what it was sent, then says its own.
    assert_eq!(p.client.read_until_str("|", WAIT).unwrap(), "é|");
    p.conn.send("ü|").unwrap();
    assert!(p.client.read_until_str("ü|", WAIT).unwrap().ends_with("ü|"));
    assert!(p.tap.server_sent().ends_with(b"\xfc|"));
    cell.note("ISO-8859-1 agreed; é sent as 0xE9 and echoed, ü sent as 0xFC");
    cell.note(p.tap.assert_no_loop(2));
}

#[test]
fn tspeed() {
    let mut cell = cell("TSPEED");
    let p = pair(
        TelnetConnection::builder()
            .always_will(Opt::TSPEED)
            .terminal_speed(9600, 19200),
    );
    assert_eq!(p.conn.terminal_speed(), Some((9600, 19200)));
    cell.note("client offers it (our server, like telnetlib3's, never asks); 9600,19200 seen");
    cell.note(p.tap.assert_no_loop(2));
}

#[test]
fn xdisploc() {
    let mut cell = cell("XDISPLOC");
    let p = pair(
        TelnetConnection::builder()
            .always_will(Opt::XDISPLOC)
            .x_display("example:0.0"),
    );
    assert_eq!(p.conn.x_display().as_deref(), Some("example:0.0"));
    cell.note("client offers it (our server never asks); example:0.0 seen");
    cell.note(p.tap.assert_no_loop(2));
}

#[test]
fn eor() {
    let mut cell = cell("EOR");
    let p = pair(TelnetConnection::builder().always_do(Opt::EOR));
    p.client
        .wait_for(&[Want::RemoteEnabled(Opt::EOR)], WAIT)
        .unwrap();
    assert!(p.conn.local_option(Opt::EOR));
    // A prompt ends with IAC EOR (and no GA: SGA is on).
    p.conn.send_prompt("eor> ").unwrap();
    p.client.read_until(b"eor> ", WAIT).unwrap();
    poll_until("the relay to pass the prompt", || {
        p.tap.server_sent().ends_with(b"eor> \xff\xef")
    });
    cell.note("client asks DO EOR; prompts end with IAC EOR, stripped from the data");
    cell.note(p.tap.assert_no_loop(2));
}

#[test]
fn logout() {
    let mut cell = cell("LOGOUT");
    let p = pair(TelnetConnection::builder());
    p.client.request_do(Opt::LOGOUT).unwrap();
    // The server agrees and closes: the client reads to the end of the stream.
    match p.client.read_some(WAIT) {
        Err(telnetlib::Error::Eof { .. }) => {}
        other => panic!("expected the server to close, got {other:?}"),
    }
    assert!(
        p.tap.server_sent().ends_with(b"\xff\xfb\x12"),
        "{}",
        escape(&p.tap.server_sent())
    );
    cell.note("DO LOGOUT answered WILL LOGOUT, then the server closes");
}
