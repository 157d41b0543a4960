//! `TelnetServer` and `ServerConnection` over loopback, with scripted raw clients and
//! with our own `TelnetConnection`: the greeting, the negotiation, the TTYPE cycle,
//! MUD clients, limits, idle timeout, panics, slow readers, echo, the miniboa surface
//! and the game loop.

use crate::support;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use support::peer::{DEADLINE, Peer};
use telnetlib::proto::{Engine, Opt, Policy, Side};
use telnetlib::{
    Encoding, Error, ServerBuilder, ServerConnection, TelnetConnection, TelnetServer, Want,
};

const WAIT: Option<Duration> = Some(DEADLINE);

/// A server running `handler` for each client on its own thread.
fn serving(
    builder: ServerBuilder,
    handler: impl Fn(ServerConnection) + Send + Sync + 'static,
) -> (Arc<TelnetServer>, JoinHandle<()>) {
    let server = Arc::new(builder.bind("127.0.0.1:0").unwrap());
    let serving = Arc::clone(&server);
    let thread = thread::spawn(move || serving.serve(handler).unwrap());
    (server, thread)
}

/// A server whose handler hands each connection to the test.
fn handing_out(
    builder: ServerBuilder,
) -> (
    Arc<TelnetServer>,
    JoinHandle<()>,
    mpsc::Receiver<ServerConnection>,
) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let (server, thread) = serving(builder, move |client| {
        tx.lock().unwrap().send(client.clone()).unwrap();
        // Keep the connection open until the peer leaves or the server stops, without
        // taking the read side the test uses (an option no one ever enables).
        let _ = client.wait_for(&[Want::RemoteEnabled(Opt(250))], None);
    });
    (server, thread, rx)
}

fn stop(server: Arc<TelnetServer>, thread: JoinHandle<()>) {
    server.shutdown();
    thread.join().unwrap();
}

/// The options a server offered, as (verb, option) pairs, from raw bytes.
fn negotiations(bytes: &[u8]) -> Vec<(u8, u8)> {
    let mut found = Vec::new();
    let mut at = 0;
    while at + 2 < bytes.len() {
        if bytes[at] == 0xff && (0xfb..=0xfe).contains(&bytes[at + 1]) {
            found.push((bytes[at + 1], bytes[at + 2]));
            at += 3;
        } else {
            at += 1;
        }
    }
    found
}

// ------------------------------------------------------------------- greeting and negotiation

#[test]
fn the_greeting_is_do_ttype_and_nothing_else() {
    let server = TelnetServer::bind("127.0.0.1:0").unwrap();
    let mut client = Peer::connect(server.local_addr());
    client.expect(b"\xff\xfd\x18");
    client.expect_nothing_more();
}

#[test]
fn will_ttype_brings_the_terminal_type_request_and_the_offers() {
    let server = TelnetServer::bind("127.0.0.1:0").unwrap();
    let mut client = Peer::connect(server.local_addr());
    client.expect(b"\xff\xfd\x18");
    client.send(b"\xff\xfb\x18");
    client.expect(b"\xff\xfa\x18\x01\xff\xf0");
    let offers = client.receive_until(|got| negotiations(got).len() >= 4);
    let mut offers = negotiations(&offers);
    offers.sort();
    assert_eq!(
        offers,
        [(0xfb, 0x00), (0xfb, 0x03), (0xfd, 0x1f), (0xfd, 0x2a)]
    );
}

#[test]
fn a_client_refusing_ttype_still_gets_the_offers_and_does_not_stall_the_handler() {
    let (server, thread, handed) =
        handing_out(TelnetServer::builder().connect_maxwait(Duration::from_secs(30)));
    let mut client = Peer::connect(server.local_addr());
    // A client that refuses every option the server asks for.
    let mut refuser = Engine::new(Policy::new());
    let started = Instant::now();
    negotiate_until_handed(&mut client, &mut refuser, &handed);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the handler waited for the 30 s deadline"
    );
    stop(server, thread);
}

/// Answers the server with `engine` until the server hands the connection out.
fn negotiate_until_handed(
    client: &mut Peer,
    engine: &mut Engine,
    handed: &mpsc::Receiver<ServerConnection>,
) -> ServerConnection {
    let mut connection = None;
    client.negotiate_until(engine, || {
        connection = connection.take().or_else(|| handed.try_recv().ok());
        connection.is_some()
    });
    connection.unwrap()
}

#[test]
fn a_full_negotiation_with_our_client_fills_in_the_connection() {
    let (server, thread, handed) = handing_out(TelnetServer::builder());
    let client = TelnetConnection::builder()
        .terminal_type("XTERM-256COLOR")
        .window_size(132, 43)
        .env("LANG", "en_US.UTF-8")
        .connect(server.local_addr())
        .unwrap();
    let connection = handed.recv_timeout(DEADLINE).expect("handed out");
    assert_eq!(connection.terminal_type(), "XTERM-256COLOR");
    assert_eq!(
        connection.terminal_types(),
        ["XTERM-256COLOR", "XTERM-256COLOR"]
    );
    assert_eq!((connection.columns(), connection.rows()), (132, 43));
    assert_eq!(connection.env("lang").as_deref(), Some("en_US.UTF-8"));
    assert_eq!(connection.env("TERM").as_deref(), Some("XTERM-256COLOR"));
    assert_eq!(connection.charset().as_deref(), Some("UTF-8"));
    for (side, opt) in [
        (Side::Local, Opt::SGA),
        (Side::Local, Opt::ECHO),
        (Side::Local, Opt::BINARY),
        (Side::Remote, Opt::BINARY),
        (Side::Remote, Opt::NAWS),
        (Side::Remote, Opt::TTYPE),
        (Side::Remote, Opt::NEW_ENVIRON),
    ] {
        assert!(
            connection.option_state(side, opt).is_enabled(),
            "{side} {opt}"
        );
    }
    client
        .wait_for(
            &[
                Want::RemoteEnabled(Opt::ECHO),
                Want::LocalEnabled(Opt::NAWS),
            ],
            WAIT,
        )
        .unwrap();
    drop(client);
    drop(connection);
    stop(server, thread);
}

/// Plays a client that answers WILL TTYPE, then the given terminal types in turn, and
/// refuses every other offer; returns how many times the server asked for the terminal
/// type and the connection once it is handed out.
fn ttype_cycle(answers: &[&str]) -> (usize, ServerConnection) {
    let (server, thread, handed) = handing_out(TelnetServer::builder().offer_charset(false));
    let mut client = Peer::connect(server.local_addr());
    client.send(b"\xff\xfb\x18");
    let mut sends = 0;
    let mut answers = answers.iter();
    let mut received = Vec::new();
    let deadline = Instant::now() + DEADLINE;
    let connection = loop {
        if let Ok(connection) = handed.try_recv() {
            break connection;
        }
        assert!(Instant::now() < deadline, "never handed out");
        received.extend(client.receive_for(Duration::from_millis(10)));
        while let Some(at) = find(&received, b"\xff\xfa\x18\x01\xff\xf0") {
            received.drain(at..at + 6);
            sends += 1;
            let answer = answers
                .next()
                .expect("the server asked for more terminal types than given");
            let mut reply = b"\xff\xfa\x18\x00".to_vec();
            reply.extend_from_slice(answer.as_bytes());
            reply.extend_from_slice(b"\xff\xf0");
            client.send(&reply);
        }
        for (verb, opt) in negotiations(&received) {
            if opt != 0x18 {
                client.send(&[0xff, if verb == 0xfb { 0xfe } else { 0xfc }, opt]);
            }
        }
        // Keep a partial sequence at the end for the next read.
        let keep = received
            .iter()
            .rposition(|&b| b == 0xff)
            .filter(|&at| received.len() - at < 6);
        received = keep.map(|at| received[at..].to_vec()).unwrap_or_default();
    };
    drop(client);
    thread::spawn(move || stop(server, thread));
    (sends, connection)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn the_ttype_cycle_stops_when_it_loops_back() {
    let (sends, connection) = ttype_cycle(&["ALPHA", "BETA", "GAMMA", "ALPHA"]);
    assert_eq!(sends, 4);
    assert_eq!(connection.terminal_type(), "ALPHA");
    assert_eq!(
        connection.terminal_types(),
        ["ALPHA", "BETA", "GAMMA", "ALPHA"]
    );
}

#[test]
fn the_ttype_cycle_stops_on_a_repeat_and_on_mtts() {
    let (sends, connection) = ttype_cycle(&["XTERM", "XTERM"]);
    assert_eq!((sends, connection.terminal_type()), (2, "XTERM".to_owned()));
    let (sends, connection) = ttype_cycle(&["MUDLET", "XTERM-256COLOR", "MTTS 137"]);
    assert_eq!(
        (sends, connection.terminal_type()),
        (3, "XTERM-256COLOR".to_owned())
    );
}

#[test]
fn an_unknown_client_speaking_mtts_is_a_mud_client_and_a_terminal_is_not() {
    // The name is no known MUD client; its third answer (MTTS flags) says it is one.
    let (_, connection) = ttype_cycle(&["NEWMUDCLIENT", "ANSI-256COLOR", "MTTS 2825"]);
    assert_eq!(connection.mud_client().as_deref(), Some("NEWMUDCLIENT"));
    assert_eq!(connection.terminal_type(), "ANSI-256COLOR");
    let (_, connection) = ttype_cycle(&["XTERM-256COLOR", "XTERM-256COLOR"]);
    assert_eq!(connection.mud_client(), None);
}

#[test]
fn the_ttype_cycle_is_bounded() {
    let names: Vec<String> = (0..20).map(|i| format!("T{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (sends, connection) = ttype_cycle(&names);
    assert_eq!(sends, 8);
    assert_eq!(connection.terminal_type(), "T7");
}

#[test]
fn an_empty_answer_to_named_environ_variables_brings_a_request_for_all() {
    // netkit telnet (Debian's telnet and telnet-ssl) answers a SEND naming variables
    // with an empty IS, and sends its exported variables only for a bare SEND.
    let (server, thread, handed) = handing_out(TelnetServer::builder().offer_charset(false));
    let mut client = Peer::connect(server.local_addr());
    client.expect(b"\xff\xfd\x18");
    client.send(b"\xff\xfc\x18");
    let offers = client.receive_until(|got| find(got, b"\xff\xfd\x27").is_some());
    for (verb, opt) in negotiations(&offers) {
        if opt != 0x27 {
            client.send(&[0xff, if verb == 0xfb { 0xfe } else { 0xfc }, opt]);
        }
    }
    client.send(b"\xff\xfb\x27");
    client.receive_until(|got| find(got, b"IPADDRESS\x00\x03\xff\xf0").is_some());
    client.send(b"\xff\xfa\x27\x00\xff\xf0");
    client.expect(b"\xff\xfa\x27\x01\xff\xf0");
    client.send(b"\xff\xfa\x27\x00\x00USER\x01interop\xff\xf0");
    let connection = handed.recv_timeout(DEADLINE).expect("handed out");
    assert_eq!(connection.env("USER").as_deref(), Some("interop"));
    drop((client, connection));
    stop(server, thread);
}

#[test]
fn a_client_that_never_answers_our_will_charset_is_not_held_back() {
    // TinTin++ sends WILL CHARSET and accepts our REQUEST, but never answers the WILL
    // CHARSET the server reciprocates with.
    let (server, thread, handed) =
        handing_out(TelnetServer::builder().connect_maxwait(Duration::from_secs(30)));
    let mut client = Peer::connect(server.local_addr());
    client.expect(b"\xff\xfd\x18");
    client.send(b"\xff\xfc\x18");
    let offers = client.receive_until(|got| find(got, b"\xff\xfd\x27").is_some());
    for (verb, opt) in negotiations(&offers) {
        match opt {
            0x2a => client.send(b"\xff\xfb\x2a"),
            _ => client.send(&[0xff, if verb == 0xfb { 0xfe } else { 0xfc }, opt]),
        }
    }
    // Refused NEW_ENVIRON brings a request for OLD-ENVIRON, refused too.
    client.receive_until(|got| {
        find(got, b"US-ASCII\xff\xf0").is_some() && find(got, b"\xff\xfd\x24").is_some()
    });
    client.send(b"\xff\xfc\x24");
    client.send(b"\xff\xfa\x2a\x02UTF-8\xff\xf0");
    let started = Instant::now();
    let connection = handed.recv_timeout(DEADLINE).expect("handed out");
    assert!(started.elapsed() < Duration::from_secs(5), "held back");
    assert_eq!(connection.charset().as_deref(), Some("UTF-8"));
    drop((client, connection));
    stop(server, thread);
}

#[test]
fn a_mud_client_is_not_offered_echo() {
    let (server, thread, handed) = handing_out(TelnetServer::builder());
    let client = TelnetConnection::builder()
        .terminal_type("Mudlet")
        .connect(server.local_addr())
        .unwrap();
    let connection = handed.recv_timeout(DEADLINE).unwrap();
    assert!(!connection.local_option(Opt::ECHO));
    assert!(connection.local_option(Opt::SGA));
    assert!(!client.remote_option(Opt::ECHO));
    drop((client, connection));
    stop(server, thread);
}

#[test]
fn line_mode_offers_neither_echo_nor_sga() {
    let (server, thread, handed) = handing_out(TelnetServer::builder().line_mode(true));
    let client = TelnetConnection::connect(server.local_addr()).unwrap();
    let connection = handed.recv_timeout(DEADLINE).unwrap();
    assert!(!connection.local_option(Opt::ECHO));
    assert!(!connection.local_option(Opt::SGA));
    drop((client, connection));
    stop(server, thread);
}

#[test]
fn do_logout_is_accepted_and_the_server_closes() {
    let server = TelnetServer::bind("127.0.0.1:0").unwrap();
    let mut client = Peer::connect(server.local_addr());
    client.expect(b"\xff\xfd\x18");
    client.send(b"\xff\xfd\x12");
    let rest = client.receive_to_end();
    assert_eq!(rest, b"\xff\xfb\x12");
}

// ------------------------------------------------------------------- limits and lifetimes

#[test]
fn a_client_over_max_connections_gets_the_refusal_line() {
    let server = TelnetServer::builder()
        .max_connections(1)
        .bind("127.0.0.1:0")
        .unwrap();
    let mut first = Peer::connect(server.local_addr());
    first.expect(b"\xff\xfd\x18");
    let mut second = Peer::connect(server.local_addr());
    assert_eq!(
        second.receive_to_end(),
        b"Too many connections; try again later.\r\n"
    );
    assert_eq!(server.client_count(), 1);
}

#[test]
fn an_idle_client_is_told_and_closed() {
    let server = TelnetServer::builder()
        .idle_timeout(Some(Duration::from_millis(300)))
        .bind("127.0.0.1:0")
        .unwrap();
    let mut client = Peer::connect(server.local_addr());
    client.expect(b"\xff\xfd\x18");
    assert!(client.receive_to_end().ends_with(b"\r\nTimeout.\r\n"));
}

#[test]
fn a_panicking_handler_ends_only_its_own_connection() {
    let (server, thread) = serving(TelnetServer::builder().line_mode(true), |client| {
        let line = client.readline_str(WAIT).unwrap();
        if line.starts_with("panic") {
            panic!("the handler was asked to panic");
        }
        client.send(&format!("ok {line}")).unwrap();
        client.flush_within(WAIT).unwrap();
    });
    let first = TelnetConnection::connect(server.local_addr()).unwrap();
    first.write_str("panic\n", WAIT).unwrap();
    assert!(
        first.read_all(WAIT).is_ok(),
        "the panicking handler's connection closes"
    );
    let second = TelnetConnection::connect(server.local_addr()).unwrap();
    second.write_str("hello\n", WAIT).unwrap();
    assert_eq!(
        second.read_until_str("ok hello\r\n", WAIT).unwrap(),
        "ok hello\r\n"
    );
    stop(server, thread);
}

#[test]
fn a_client_that_never_reads_is_dropped_and_memory_stays_bounded() {
    let (server, thread, handed) = handing_out(
        TelnetServer::builder()
            .max_output_buffer(256 << 10)
            .timeout(Some(Duration::from_millis(500))),
    );
    let mut client = Peer::connect(server.local_addr());
    let mut refuser = Engine::new(Policy::new());
    let connection = negotiate_until_handed(&mut client, &mut refuser, &handed);
    let line = "x".repeat(1000) + "\n";
    let mut sent = 0usize;
    let error = loop {
        match connection.send(&line) {
            Ok(()) => sent += line.len(),
            Err(error) => break error,
        }
        assert!(connection.queued_output() <= (256 << 10) + line.len() * 2);
        assert!(
            sent < 512 << 20,
            "500 MiB went to a client that reads nothing"
        );
    };
    // On a handler's thread, `send` waits up to the server's timeout, then drops it.
    assert!(error.is_timeout(), "{error:?}");
    assert!(!connection.active());
    drop(client);
    drop(connection);
    stop(server, thread);
}

#[test]
fn accept_times_out_and_port_zero_is_reported() {
    let server = TelnetServer::bind("127.0.0.1:0").unwrap();
    assert_ne!(server.local_addr().port(), 0);
    let err = server.accept(Some(Duration::from_millis(50))).unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    server.shutdown();
    assert!(matches!(server.accept(WAIT), Err(Error::Closed { .. })));
}

#[test]
fn binding_a_taken_address_fails_at_once() {
    let first = TelnetServer::bind("127.0.0.1:0").unwrap();
    let started = Instant::now();
    let err = TelnetServer::bind(first.local_addr()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Io {
                operation: "bind",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

// ------------------------------------------------------------------- the miniboa surface

#[test]
fn send_normalises_newlines_and_escapes_iac() {
    let (server, thread, handed) =
        handing_out(TelnetServer::builder().line_mode(true).offer_charset(false));
    let mut client = Peer::connect(server.local_addr());
    let mut refuser = Engine::new(Policy::new());
    let connection = negotiate_until_handed(&mut client, &mut refuser, &handed);
    connection.send("one\ntwo\r\nthree\u{ff}\n").unwrap();
    client.expect("one\r\ntwo\r\nthree\u{ff}\r\n".as_bytes());
    connection.send_bytes(b"\xff").unwrap();
    client.expect(b"\xff\xff");
    connection.send_cc("^rred^~ ^^\n").unwrap();
    client.expect(b"\x1b[22;31mred\x1b[0m ^\r\n");
    connection.send_prompt("> ").unwrap();
    client.expect(b"> \xff\xf9");
    connection.request_do_sga().unwrap();
    client.expect(b"\xff\xfd\x03");
    connection.request_will_echo().unwrap();
    client.expect(b"\xff\xfb\x01");
    connection.request_naws().unwrap();
    client.expect(b"\xff\xfd\x1f");
    assert_eq!(connection.address(), "127.0.0.1");
    assert_eq!(
        connection.addrport(),
        format!("127.0.0.1:{}", connection.port())
    );
    assert_eq!(
        (
            connection.columns(),
            connection.rows(),
            connection.terminal_type().as_str()
        ),
        (80, 24, "ANSI")
    );
    drop(client);
    drop(connection);
    stop(server, thread);
}

/// Runs `test` with a client that lets the server echo and refuses the rest.
fn with_echoing_client(builder: ServerBuilder, test: impl FnOnce(&mut Peer, &ServerConnection)) {
    let (server, thread, handed) = handing_out(builder.offer_charset(false));
    let mut client = Peer::connect(server.local_addr());
    let mut engine = Engine::new(
        Policy::new()
            .accept(Side::Remote, Opt::ECHO)
            .accept(Side::Remote, Opt::SGA),
    );
    let connection = negotiate_until_handed(&mut client, &mut engine, &handed);
    assert!(connection.local_option(Opt::ECHO));
    test(&mut client, &connection);
    drop(client);
    drop(connection);
    stop(server, thread);
}

#[test]
fn the_server_echoes_edits_and_hides_passwords() {
    with_echoing_client(TelnetServer::builder(), |client, connection| {
        client.send(b"helo\x7flo\r\n");
        assert_eq!(connection.readline_str(WAIT).unwrap(), "hello\r\n");
        client.expect(b"helo\x08 \x08lo\r\n");
        connection.password_mode_on().unwrap();
        client.send(b"secret\r\n");
        assert_eq!(connection.readline_str(WAIT).unwrap(), "secret\r\n");
        client.expect(b"\r\n");
        connection.password_mode_off().unwrap();
        client.send(b"ok\r\n");
        assert_eq!(connection.readline_str(WAIT).unwrap(), "ok\r\n");
        client.expect(b"ok\r\n");
    });
}

#[test]
fn erasing_in_a_single_byte_charset_takes_one_byte_per_character() {
    let builder = TelnetServer::builder().encoding(Encoding::CP437);
    with_echoing_client(builder, |client, connection| {
        // "café", erase the é (CP437 0x82, no UTF-8 continuation byte here), "e".
        client.send(b"caf\x82\x08e\r\n");
        assert_eq!(connection.readline_str(WAIT).unwrap(), "cafe\r\n");
        client.expect(b"caf\x82\x08 \x08e\r\n");
    });
}

// ------------------------------------------------------------------- the game loop

#[test]
fn poll_delivers_connects_lines_and_disconnects_in_order() {
    let server = Arc::new(
        TelnetServer::builder()
            .line_mode(true)
            .bind("127.0.0.1:0")
            .unwrap(),
    );
    let log = Arc::new(Mutex::new(Vec::new()));
    let (on_connect, on_disconnect) = (Arc::clone(&log), Arc::clone(&log));
    let weak_server = Arc::downgrade(&server);
    server.set_on_connect(move |client| {
        on_connect
            .lock()
            .unwrap()
            .push(format!("connect {}", client.port()));
        // Callbacks may use the server, as miniboa games do to greet everyone.
        let here = weak_server
            .upgrade()
            .map_or(0, |server| server.clients().len());
        client.send(&format!("welcome, {here} here\n")).unwrap();
    });
    server.set_on_disconnect(move |client| {
        on_disconnect
            .lock()
            .unwrap()
            .push(format!("disconnect {}", client.port()))
    });

    let client = TelnetConnection::connect(server.local_addr()).unwrap();
    let port = client.local_addr().unwrap().port();
    let deadline = Instant::now() + DEADLINE;
    while server.clients().is_empty() {
        assert!(Instant::now() < deadline, "no connect");
        server.poll(Duration::from_millis(50)).unwrap();
    }
    assert_eq!(
        client.read_until_str("here\r\n", WAIT).unwrap(),
        "welcome, 1 here\r\n"
    );
    client.write_str("look\nsay hi\n", WAIT).unwrap();
    let connection = server.clients()[0].clone();
    let mut commands = Vec::new();
    while commands.len() < 2 {
        assert!(Instant::now() < deadline, "lines never came: {commands:?}");
        server.poll(Duration::from_millis(50)).unwrap();
        while let Some(command) = connection.get_command() {
            commands.push(command);
        }
    }
    assert_eq!(commands, ["look", "say hi"]);
    assert!(!connection.cmd_ready());
    drop(connection);
    drop(client);
    while !server.clients().is_empty() {
        assert!(Instant::now() < deadline, "no disconnect");
        server.poll(Duration::from_millis(50)).unwrap();
    }
    server.poll(Duration::from_millis(1)).unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [format!("connect {port}"), format!("disconnect {port}")]
    );
    assert_eq!(server.client_count(), 0);
}

#[test]
fn a_client_that_sends_its_last_line_and_leaves_at_once_is_seen_leaving() {
    // Its last bytes and its end of stream usually arrive together: the game loop
    // must get both, not the line alone with the connection left open forever.
    let server = TelnetServer::builder()
        .line_mode(true)
        .bind("127.0.0.1:0")
        .unwrap();
    let left = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&left);
    server.set_on_disconnect(move |_| *counter.lock().unwrap() += 1);
    const CLIENTS: usize = 30;
    for _ in 0..CLIENTS {
        let mut client = Peer::connect(server.local_addr());
        client.send(b"quit\r\n");
        client.close();
    }
    // Well before any idle or negotiation timeout would end them.
    let deadline = Instant::now() + Duration::from_secs(5);
    while *left.lock().unwrap() < CLIENTS || server.client_count() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} of {CLIENTS} seen leaving, {} connections left",
            left.lock().unwrap(),
            server.client_count()
        );
        server.poll(Duration::from_millis(50)).unwrap();
    }
    assert!(server.clients().is_empty());
}

#[test]
fn get_command_hands_a_line_over_max_line_over_alone() {
    let server = TelnetServer::builder()
        .line_mode(true)
        .max_line(8)
        .bind("127.0.0.1:0")
        .unwrap();
    let client = TelnetConnection::connect(server.local_addr()).unwrap();
    let deadline = Instant::now() + DEADLINE;
    while server.clients().is_empty() {
        assert!(Instant::now() < deadline, "no connect");
        server.poll(Duration::from_millis(50)).unwrap();
    }
    let connection = server.clients()[0].clone();
    let mut commands = Vec::new();
    let collect = |want: usize, commands: &mut Vec<String>| {
        while commands.len() < want {
            assert!(Instant::now() < deadline, "lines never came: {commands:?}");
            server.poll(Duration::from_millis(50)).unwrap();
            while let Some(command) = connection.get_command() {
                commands.push(command);
            }
        }
    };
    // A complete line longer than the limit is one command, not merged with the next.
    client.write_str("0123456789abcdef\nok\n", WAIT).unwrap();
    collect(2, &mut commands);
    assert_eq!(commands, ["0123456789abcdef", "ok"]);
    // With no line ending yet, it comes in pieces of the limit rather than stuck.
    client.write_str("ABCDEFGHIJKLMNOPQ", WAIT).unwrap();
    collect(4, &mut commands);
    assert_eq!(commands[2..], ["ABCDEFGH", "IJKLMNOP"]);
}

#[test]
fn output_queued_by_a_handler_reaches_a_client_that_keeps_reading() {
    // The handler queues far more than the socket takes at once, then waits on
    // something else: the rest must still go out as the client reads.
    let (server, thread) = serving(TelnetServer::builder().line_mode(true), |client| {
        let big = "x".repeat(8 << 20) + "END\n";
        client.send(&big).unwrap();
        let _ = client.wait_for(&[Want::RemoteEnabled(Opt(250))], None);
    });
    let client = TelnetConnection::connect(server.local_addr()).unwrap();
    let mut total = 0;
    loop {
        let chunk = client
            .read_some(WAIT)
            .expect("the queued output stopped coming");
        total += chunk.len();
        if chunk.ends_with(b"END\r\n") {
            break;
        }
    }
    assert_eq!(total, (8 << 20) + 5);
    drop(client);
    stop(server, thread);
}

#[test]
fn a_client_flooding_requests_without_reading_cannot_grow_the_reply_queue() {
    let (server, thread, handed) = handing_out(TelnetServer::builder().max_output_buffer(64 << 10));
    let mut client = Peer::connect(server.local_addr());
    let mut refuser = Engine::new(Policy::new());
    let connection = negotiate_until_handed(&mut client, &mut refuser, &handed);
    // DO TM is answered every time; the flood goes on until the server stops reading.
    let flood: Vec<u8> = b"\xff\xfd\x06".repeat(100_000);
    let socket = client.socket();
    socket
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut sent = 0usize;
    let held_back = loop {
        match std::io::Write::write(socket, &flood) {
            Ok(n) => sent += n,
            Err(_) => break true,
        }
        if sent > 512 << 20 {
            break false;
        }
    };
    assert!(
        held_back,
        "the server kept reading 512 MiB of requests it could not answer"
    );
    assert!(
        connection.queued_output() <= (64 << 10) + 64 * 1024,
        "{}",
        connection.queued_output()
    );
    drop(client);
    drop(connection);
    stop(server, thread);
}

#[test]
fn a_peer_that_sends_nothing_is_handed_out_within_a_second() {
    let (server, thread, handed) = handing_out(TelnetServer::builder());
    let started = Instant::now();
    let _silent = Peer::connect(server.local_addr());
    let connection = handed.recv_timeout(DEADLINE).unwrap();
    let waited = started.elapsed();
    // connect_maxwait (4 s) is for clients that negotiate; nc gets its greeting soon.
    assert!(
        waited < Duration::from_millis(2500),
        "handed out after {waited:?}"
    );
    assert!(
        waited >= Duration::from_millis(900),
        "handed out after {waited:?}"
    );
    drop(connection);
    stop(server, thread);
}

#[test]
fn a_slow_telnet_client_still_gets_its_terminal_type_detected() {
    let (server, thread, handed) = handing_out(TelnetServer::builder());
    let mut client = Peer::connect(server.local_addr());
    let mut answers = Engine::new(
        Policy::new()
            .accept(Side::Local, Opt::TTYPE)
            .accept(Side::Local, Opt::NAWS),
    );
    // Each answer takes 300 ms (a long link), so the whole TTYPE exchange takes
    // longer than the second a silent peer is waited for.
    let started = Instant::now();
    let connection = negotiate_until_handed_answering_ttype(&mut client, &mut answers, &handed);
    assert!(
        started.elapsed() > Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(connection.terminal_type(), "SLOW-TERM");
    drop(connection);
    stop(server, thread);
}

/// Feeds what the peer received to its engine and sends the engine's answers.
fn engine_answer(client: &mut Peer, engine: &mut Engine, received: &[u8]) {
    engine.receive(received, |_| {});
    let reply = engine.take_output();
    if !reply.is_empty() {
        client.send(&reply);
    }
}

/// Like `negotiate_until_handed`, answering TTYPE SEND with `SLOW-TERM`.
fn negotiate_until_handed_answering_ttype(
    client: &mut Peer,
    engine: &mut Engine,
    handed: &mpsc::Receiver<ServerConnection>,
) -> ServerConnection {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Ok(connection) = handed.try_recv() {
            return connection;
        }
        assert!(Instant::now() < deadline, "never handed out");
        let bytes = client.receive_for(Duration::from_millis(10));
        if bytes.is_empty() {
            continue;
        }
        std::thread::sleep(Duration::from_millis(300)); // the link's delay, on purpose
        if bytes.windows(4).any(|w| w == b"\xff\xfa\x18\x01") {
            client.send(b"\xff\xfa\x18\x00SLOW-TERM\xff\xf0");
        }
        engine_answer(client, engine, &bytes);
    }
}

#[test]
fn set_active_true_cannot_bring_back_a_deactivated_connection() {
    let (server, thread, handed) = handing_out(TelnetServer::builder());
    let _peer = Peer::connect(server.local_addr());
    let connection = handed.recv_timeout(DEADLINE).unwrap();
    assert!(connection.set_active(true).is_ok());
    connection.set_active(false).unwrap();
    assert!(!connection.active());
    assert!(matches!(
        connection.set_active(true),
        Err(Error::Closed { .. })
    ));
    drop(connection);
    stop(server, thread);
}

#[test]
fn a_handler_may_return_a_result_and_use_the_question_mark() {
    let server = Arc::new(
        TelnetServer::builder()
            .line_mode(true)
            .bind("127.0.0.1:0")
            .unwrap(),
    );
    let serving = Arc::clone(&server);
    let thread = thread::spawn(move || {
        serving
            .serve(|client: ServerConnection| -> telnetlib::Result<()> {
                let line = client.readline_str(DEADLINE)?;
                client.send(&format!("got {line}"))?;
                // Ends with an error (the client has gone): logged, the connection closed.
                client.readline_str(DEADLINE)?;
                Ok(())
            })
            .unwrap()
    });
    let conn = TelnetConnection::connect(server.local_addr()).unwrap();
    conn.write_str("hello\n", WAIT).unwrap();
    assert_eq!(
        conn.read_until(b"got hello\r\n", WAIT).unwrap(),
        b"got hello\r\n"
    );
    drop(conn);
    assert!(eventually_zero(&server));
    stop(server, thread);
}

/// Whether the server's live connections fall to zero within the deadline.
fn eventually_zero(server: &TelnetServer) -> bool {
    support::peer::eventually(DEADLINE, || server.client_count() == 0)
}
