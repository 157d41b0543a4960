//! The public face as Rust users meet it: the `std::io` traits on both connection
//! types (`write`, `write_all`, `writeln!`, `flush`, `read` into a buffer,
//! `BufReader::lines`, `io::copy`, also through a shared reference), every form of
//! `Timeout`, and settings refused rather than clamped.

use crate::support;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use support::peer::{DEADLINE, Peer};
use telnetlib::proto::{Engine, Policy};
use telnetlib::{
    ConnectionConfig, Encoding, Error, ServerConnection, TelnetConnection, TelnetServer, Timeout,
};

/// A client connected to a raw listening peer that has accepted it, and the engine
/// the peer answers negotiation with (it refuses everything).
fn client_and_peer() -> (TelnetConnection, Peer, Engine) {
    let mut peer = Peer::bind();
    let conn = TelnetConnection::builder()
        .timeout(DEADLINE)
        .connect(peer.addr())
        .unwrap();
    peer.accept();
    (conn, peer, Engine::new(Policy::new()))
}

#[test]
fn a_client_writes_and_reads_through_the_std_traits_as_written() {
    let (mut conn, mut peer, mut refuser) = client_and_peer();
    assert_eq!(conn.write(b"x").unwrap(), 1);
    conn.write_all(b"hello\n").unwrap();
    writeln!(conn, "{}", 5).unwrap();
    conn.flush().unwrap();
    // Raw bytes: no newline translation (write_str does that), 0xFF doubled.
    peer.expect_data(&mut refuser, b"xhello\n5\n");
    (&conn).write_all(b"\xff").unwrap();
    peer.expect(b"\xff\xff");

    peer.send(b"abc");
    let mut buf = [0u8; 64];
    let n = conn.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"abc");

    peer.send(b"first line\r\nsecond line\r\n");
    peer.close();
    let lines: Vec<String> = BufReader::new(&conn).lines().map(|l| l.unwrap()).collect();
    assert_eq!(lines, ["first line", "second line"]);
}

#[test]
fn io_copy_drains_a_connection_to_its_end() {
    let (conn, mut peer, _) = client_and_peer();
    let payload: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    peer.send(&payload);
    peer.close();
    let mut copied = Vec::new();
    let n = std::io::copy(&mut &conn, &mut copied).unwrap();
    assert_eq!(n as usize, payload.len());
    assert_eq!(copied, payload);
    assert_eq!(std::io::copy(&mut &conn, &mut std::io::sink()).unwrap(), 0);
}

#[test]
fn a_timeout_through_the_traits_is_timed_out_and_loses_nothing() {
    let mut peer = Peer::bind();
    let mut conn = TelnetConnection::builder()
        .timeout(Duration::from_millis(50))
        .connect(peer.addr())
        .unwrap();
    peer.accept();
    let mut buf = [0u8; 16];
    let error = conn.read(&mut buf).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TimedOut, "{error}");
    peer.send(b"late");
    let mut got = Vec::new();
    while got.len() < 4 {
        let n = conn.read(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, b"late");
}

#[test]
fn a_server_connection_takes_the_std_traits_also_when_shared() {
    let server = Arc::new(
        TelnetServer::builder()
            .timeout(DEADLINE)
            .line_mode(true)
            .bind("127.0.0.1:0")
            .unwrap(),
    );
    let mut peer = Peer::connect(server.local_addr());
    // Handed out once the refusing peer has answered the server's requests.
    let mut refuser = Engine::new(Policy::new());
    let accepting = std::thread::spawn({
        let server = Arc::clone(&server);
        move || server.accept(DEADLINE)
    });
    peer.negotiate_until(&mut refuser, || accepting.is_finished());
    let mut client: ServerConnection = accepting.join().unwrap().unwrap();

    assert_eq!(client.write(b"x").unwrap(), 1);
    client.write_all(b"hello\n").unwrap();
    writeln!(client, "{}", 5).unwrap();
    client.flush().unwrap();
    peer.expect_data(&mut refuser, b"xhello\n5\n");

    // Through an Arc, as a game loop or a handler might hold it: a reference works.
    let shared = Arc::new(client.clone());
    writeln!(&*shared, "shared").unwrap();
    peer.expect_data(&mut refuser, b"shared\n");
    peer.send(b"one\r\ntwo\r\n");
    peer.close();
    let lines: Vec<String> = BufReader::new(&*shared)
        .lines()
        .map(|l| l.unwrap())
        .collect();
    assert_eq!(lines, ["one", "two"]);
    let mut rest = Vec::new();
    assert_eq!((&client).read_to_end(&mut rest).unwrap(), 0);
    server.shutdown();
}

#[test]
fn every_timeout_form_compiles_and_means_what_it_says() {
    let (conn, mut peer, _) = client_and_peer();
    // None: the connection's default (here DEADLINE); the data arrives first.
    peer.send(b"1\r\n");
    assert_eq!(conn.readline(None).unwrap(), b"1\r\n");
    peer.send(b"2\r\n");
    assert_eq!(conn.readline(Some(DEADLINE)).unwrap(), b"2\r\n");
    peer.send(b"3\r\n");
    assert_eq!(conn.readline(DEADLINE).unwrap(), b"3\r\n");
    peer.send(b"4\r\n");
    assert_eq!(conn.readline(Timeout::Never).unwrap(), b"4\r\n");
    peer.send(b"5\r\n");
    assert_eq!(conn.readline(Duration::MAX).unwrap(), b"5\r\n");
    // Zero: only what is buffered, at once.
    assert!(conn.readline(Duration::ZERO).unwrap_err().is_timeout());
}

#[test]
fn accept_and_poll_take_a_huge_timeout_as_forever_without_panicking() {
    let server = TelnetServer::builder()
        .connect_maxwait(Duration::from_millis(50))
        .bind("127.0.0.1:0")
        .unwrap();
    assert!(server.accept(Duration::ZERO).unwrap_err().is_timeout());
    let _peer = Peer::connect(server.local_addr());
    // Before, Instant::now() + Duration::MAX panicked ("overflow when adding duration").
    let client = server.accept(Some(Duration::MAX)).unwrap();
    assert!(client.peer_addr().is_some());
    let game = TelnetServer::builder()
        .connect_maxwait(Duration::from_millis(50))
        .bind("127.0.0.1:0")
        .unwrap();
    let _player = Peer::connect(game.local_addr());
    // poll returns as soon as something happens, however long it may wait.
    while game.clients().is_empty() {
        game.poll(Duration::MAX).unwrap();
    }
}

#[test]
fn a_limit_of_zero_is_refused_at_connect_and_bind_naming_the_setting() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let error = TelnetConnection::builder()
        .max_input_buffer(0)
        .connect(address)
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    assert!(error.to_string().contains("max_input_buffer"), "{error}");
    let error = TelnetServer::builder()
        .connection(ConnectionConfig::new().max_line(0))
        .bind("127.0.0.1:0")
        .unwrap_err();
    assert!(error.to_string().contains("max_line"), "{error}");
    let error = TelnetServer::builder()
        .max_subnegotiation(0)
        .bind("127.0.0.1:0")
        .unwrap_err();
    assert!(error.to_string().contains("max_subnegotiation"), "{error}");
    let error = TelnetServer::builder()
        .max_connections(0)
        .bind("127.0.0.1:0")
        .unwrap_err();
    assert!(error.to_string().contains("max_connections"), "{error}");
}

#[test]
fn an_encoding_is_checked_when_it_is_named() {
    assert_eq!(Encoding::for_label("CP437").unwrap(), Encoding::CP437);
    assert_eq!("utf8".parse::<Encoding>().unwrap(), Encoding::UTF_8);
    assert_eq!(
        Encoding::for_label("latin1").unwrap().name(),
        "windows-1252"
    );
    let error = Encoding::for_label("klingon").unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    assert!(error.to_string().contains("\"klingon\""), "{error}");
}

/// An error and its chain, as `anyhow` or `main` returning `Err` print them.
fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!("\ncaused by: {cause}"));
        source = cause.source();
    }
    text
}

#[test]
fn every_error_says_what_failed_and_prints_each_cause_once() {
    let peer = Some("127.0.0.1:23".parse().unwrap());
    // An OS error is printed once, in the cause, after a summary naming what failed.
    let reset = Error::Io {
        operation: "read_until",
        peer,
        source: std::io::Error::from_raw_os_error(104),
    };
    let refused = Error::Connect {
        target: "example.org:23".to_owned(),
        source: std::io::Error::from_raw_os_error(111),
    };
    for (error, summary, errno) in [
        (reset, "read_until (127.0.0.1:23): the socket failed", 104),
        (refused, "connecting to example.org:23 failed", 111),
    ] {
        let text = chain(&error);
        let os_text = std::io::Error::from_raw_os_error(errno).to_string();
        assert_eq!(text.matches(&os_text).count(), 1, "{text}");
        assert!(text.starts_with(summary), "{text}");
        // `{:#}`: the same on one line, for a log or a tool's message.
        assert_eq!(format!("{error:#}"), format!("{error}: {os_text}"));
    }

    let cases: Vec<(Error, &str)> = vec![
        (
            Error::Timeout {
                operation: "wait_for",
                peer,
                unmet: Some("remote ECHO enabled".to_owned()),
            },
            "wait_for (127.0.0.1:23) timed out waiting for remote ECHO enabled",
        ),
        (
            Error::Eof {
                operation: "readline",
                peer,
            },
            "readline (127.0.0.1:23): the peer closed",
        ),
        (
            Error::Closed {
                operation: "write_bytes",
            },
            "write_bytes: the connection was closed by this side",
        ),
        (
            Error::Tls {
                operation: "read_some",
                peer,
                reason: "invalid peer certificate".to_owned(),
            },
            "read_some (127.0.0.1:23): TLS failed: invalid peer certificate",
        ),
        (
            Error::Compression {
                operation: "read_some",
                peer,
                reason: "corrupt MCCP2 stream".to_owned(),
            },
            "compressed stream is broken: corrupt MCCP2 stream",
        ),
        (
            Error::Proxy {
                operation: "readline",
                peer,
                reason: "no PROXY protocol header".to_owned(),
            },
            "bad PROXY protocol header: no PROXY protocol header",
        ),
        (
            Error::LineTooLong {
                operation: "readline_str",
                peer,
                limit: 32,
            },
            "readline_str (127.0.0.1:23): no line ending within 32 bytes",
        ),
        (
            Error::BufferFull {
                operation: "expect",
                peer,
                limit: 1024,
            },
            "expect (127.0.0.1:23): the input buffer is full (1024 bytes)",
        ),
        (
            Error::OutputFull {
                operation: "send",
                peer,
                limit: 1024,
            },
            "send (127.0.0.1:23): the peer is not reading and 1024 bytes are already queued",
        ),
        (
            Error::Refused {
                operation: "send_gmcp",
                peer,
                opt: telnetlib::proto::Opt::GMCP,
            },
            "send_gmcp (127.0.0.1:23): the peer refused GMCP",
        ),
        (
            Error::NotAgreed {
                operation: "send_gmcp",
                peer,
                opt: telnetlib::proto::Opt::GMCP,
            },
            "send_gmcp (127.0.0.1:23): GMCP is not in effect",
        ),
        (
            Error::InvalidInput {
                message: "max_line must be at least 1 byte".to_owned(),
            },
            "max_line must be at least 1 byte",
        ),
    ];
    for (error, expected) in cases {
        assert!(
            error.to_string().contains(expected),
            "{error} should contain {expected:?}"
        );
        assert!(std::error::Error::source(&error).is_none(), "{error:?}");
    }
}

#[test]
fn errors_map_to_the_io_kinds_a_rust_caller_expects() {
    let kind = |error: Error| std::io::Error::from(error).kind();
    assert_eq!(
        kind(Error::InvalidInput {
            message: String::new()
        }),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(Error::Timeout {
            operation: "read",
            peer: None,
            unmet: None
        }),
        ErrorKind::TimedOut
    );
    assert_eq!(
        kind(Error::Closed { operation: "read" }),
        ErrorKind::NotConnected
    );
    assert_eq!(
        kind(Error::Tls {
            operation: "read",
            peer: None,
            reason: String::new()
        }),
        ErrorKind::InvalidData
    );
}

#[test]
fn a_failed_connect_names_the_target_as_host_and_port_and_keeps_the_os_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let error = TelnetConnection::connect(("127.0.0.1", port)).unwrap_err();
    let Error::Connect { target, source } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(target, &format!("127.0.0.1:{port}"));
    assert!(source.raw_os_error().is_some(), "{source:?}");
    assert_eq!(source.kind(), ErrorKind::ConnectionRefused);
    assert!(!error.to_string().contains("(\""), "{error}");
}

#[test]
fn a_line_too_long_names_the_call_that_met_it() {
    let mut peer = Peer::bind();
    let conn = TelnetConnection::builder()
        .max_line(8)
        .connect(peer.addr())
        .unwrap();
    peer.accept();
    peer.send(b"0123456789abcdef");
    let error = conn.readline_str(DEADLINE).unwrap_err();
    assert!(
        matches!(
            error,
            Error::LineTooLong {
                operation: "readline_str",
                limit: 8,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_reset_reaches_every_later_call_with_its_os_error() {
    let (conn, mut peer, _) = client_and_peer();
    peer.send(b"kept");
    peer.reset();
    assert_eq!(conn.read_some(DEADLINE).unwrap(), b"kept");
    for _ in 0..2 {
        match conn.read_some(DEADLINE) {
            Err(Error::Io { source, .. }) => {
                assert_eq!(source.kind(), ErrorKind::ConnectionReset);
                assert!(source.raw_os_error().is_some(), "{source:?}");
            }
            other => panic!("expected the reset, got {other:?}"),
        }
    }
}

#[test]
fn read_str_takes_nothing_for_zero_and_waits_for_a_whole_character() {
    let (conn, mut peer, _) = client_and_peer();
    assert_eq!(conn.read_str(0, Duration::ZERO).unwrap(), "");
    peer.send("é".as_bytes());
    // One byte asked for, but a character is never cut: both bytes of é.
    assert_eq!(conn.read_str(1, DEADLINE).unwrap(), "é");
    peer.send(b"abc");
    assert_eq!(conn.read_str(0, DEADLINE).unwrap(), "");
    assert_eq!(conn.read_str(2, DEADLINE).unwrap(), "ab");
    assert_eq!(conn.read_str(2, DEADLINE).unwrap(), "c");
}

#[test]
fn read_str_timing_out_on_part_of_a_character_takes_none_of_it() {
    let euro = "€".as_bytes();
    let short = Duration::from_millis(100);
    for then_bytes in [false, true] {
        let (conn, mut peer, _) = client_and_peer();
        peer.send(&[b"x", &euro[..2]].concat());
        assert_eq!(conn.read_str(1, DEADLINE).unwrap(), "x");
        let error = conn.read_str(1, short).unwrap_err();
        assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
        if then_bytes {
            // The two bytes are still buffered for a byte read.
            assert_eq!(conn.read_up_to(8, DEADLINE).unwrap(), &euro[..2]);
        } else {
            peer.send(&euro[2..]);
            assert_eq!(conn.read_str(1, DEADLINE).unwrap(), "€");
        }
    }
}

#[test]
fn max_line_refuses_the_same_line_however_it_is_split() {
    for pieces in [1, 2, 5] {
        let mut peer = Peer::bind();
        let conn = TelnetConnection::builder()
            .max_line(32)
            .connect(peer.addr())
            .unwrap();
        peer.accept();
        let line = [b'x'; 100];
        for chunk in line.chunks(line.len().div_ceil(pieces)) {
            peer.send(chunk);
            peer.expect_nothing_more();
        }
        peer.send(b"\r\n");
        peer.expect_nothing_more();
        let error = conn.readline(DEADLINE).unwrap_err();
        assert!(
            matches!(error, Error::LineTooLong { limit: 32, .. }),
            "{pieces}: {error:?}"
        );
        // The data stays: it can be read otherwise.
        assert_eq!(conn.read_some(DEADLINE).unwrap().len(), 102);
    }
    // A line of exactly the limit passes, whole or split.
    let mut peer = Peer::bind();
    let conn = TelnetConnection::builder()
        .max_line(32)
        .connect(peer.addr())
        .unwrap();
    peer.accept();
    peer.send(&[b'y'; 16]);
    peer.expect_nothing_more();
    peer.send(&[b'y'; 16]);
    peer.send(b"\r\n");
    assert_eq!(conn.readline(DEADLINE).unwrap().len(), 34);
}
