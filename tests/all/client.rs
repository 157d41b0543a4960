//! `TelnetConnection` against a scripted loopback peer: negotiation answers byte for
//! byte, every read method's data, timeout and end-of-stream behaviour, writes,
//! `wait_for`, threads, and close.

use crate::support;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use regex::bytes::Regex;
use support::peer::{DEADLINE, Peer};
use telnetlib::proto::{Command, Opt, OwnedEvent, RequestOutcome, Side, Verb};
use telnetlib::{ClientBuilder, Encoding, Error, TelnetConnection, Want};

const WAIT: Option<Duration> = Some(DEADLINE);
/// For calls that are meant to time out.
const SHORT: Option<Duration> = Some(Duration::from_millis(100));

fn connect_with(builder: ClientBuilder) -> (Peer, TelnetConnection) {
    let mut peer = Peer::bind();
    let conn = builder.connect(peer.addr()).expect("connect");
    peer.accept();
    (peer, conn)
}

fn connect() -> (Peer, TelnetConnection) {
    connect_with(TelnetConnection::builder())
}

// ------------------------------------------------------------------- negotiation

#[test]
fn the_client_sends_nothing_on_connect() {
    let (mut peer, _conn) = connect();
    peer.expect_nothing_more();
}

#[test]
fn always_do_and_always_will_are_sent_on_connect() {
    let (mut peer, _conn) = connect_with(
        TelnetConnection::builder()
            .always_will(Opt::NAWS)
            .always_do(Opt::SGA),
    );
    peer.expect(b"\xff\xfb\x1f\xff\xfd\x03");
}

#[test]
fn terminal_type_is_answered_only_while_ttype_is_on() {
    let (mut peer, _conn) =
        connect_with(TelnetConnection::builder().terminal_type("xterm-256color"));
    peer.send(b"\xff\xfa\x18\x01\xff\xf0");
    peer.expect_nothing_more();
    peer.send(b"\xff\xfd\x18\xff\xfa\x18\x01\xff\xf0");
    peer.expect(b"\xff\xfb\x18\xff\xfa\x18\x00xterm-256color\xff\xf0");
    peer.send(b"\xff\xfa\x18\x01\xff\xf0");
    peer.expect(b"\xff\xfa\x18\x00xterm-256color\xff\xf0");
}

#[test]
fn window_size_is_sent_on_every_do_naws_and_on_change() {
    let (mut peer, conn) = connect();
    peer.send(b"\xff\xfd\x1f");
    peer.expect(b"\xff\xfb\x1f\xff\xfa\x1f\x00\x50\x00\x19\xff\xf0");
    peer.send(b"\xff\xfd\x1f");
    peer.expect(b"\xff\xfa\x1f\x00\x50\x00\x19\xff\xf0");
    conn.set_window_size(511, 255).unwrap();
    peer.expect(b"\xff\xfa\x1f\x01\xff\xff\x00\xff\xff\xff\xf0");
    assert_eq!(conn.window_size(), (511, 255));
}

#[test]
fn environment_answers_only_the_allow_list_with_no_empty_names() {
    let (mut peer, _conn) = connect_with(
        TelnetConnection::builder()
            .terminal_type("vt100")
            .env("USER", "bob"),
    );
    // DO NEW_ENVIRON, then SEND VAR TERM VAR LANG VAR HOME VAR(bare) USERVAR(bare).
    peer.send(b"\xff\xfd\x27\xff\xfa\x27\x01\x00TERM\x00LANG\x00HOME\x00\x03\xff\xf0");
    peer.expect(
        b"\xff\xfb\x27\xff\xfa\x27\x00\
          \x00TERM\x01vt100\
          \x00LANG\x01en_US.UTF-8\
          \x00HOME\
          \x00USER\x01bob\
          \x03COLUMNS\x0180\
          \x03LINES\x0125\
          \xff\xf0",
    );
}

#[test]
fn an_empty_environment_request_gets_every_allowed_variable() {
    let (mut peer, _conn) = connect_with(
        TelnetConnection::builder()
            .send_environ(["TERM", "LINES"])
            .terminal_type("ansi"),
    );
    peer.send(b"\xff\xfd\x27\xff\xfa\x27\x01\xff\xf0");
    peer.expect(b"\xff\xfb\x27\xff\xfa\x27\x00\x03TERM\x01ansi\x03LINES\x0125\xff\xf0");
}

#[test]
fn charset_request_is_accepted_for_our_encoding() {
    let (mut peer, conn) = connect();
    peer.send(b"\xff\xfd\x2a\xff\xfa\x2a\x01;ISO-8859-1;UTF-8\xff\xf0");
    peer.expect(b"\xff\xfb\x2a\xff\xfa\x2a\x02UTF-8\xff\xf0");
    assert_eq!(conn.encoding(), "UTF-8");
}

#[test]
fn charset_request_without_a_fit_is_rejected() {
    let (mut peer, _conn) = connect();
    peer.send(b"\xff\xfb\x2a\xff\xfa\x2a\x01 KOI8-R BIG5\xff\xf0");
    peer.expect(b"\xff\xfd\x2a\xff\xfa\x2a\x03\xff\xf0");
}

#[test]
fn a_weak_default_takes_the_first_known_offer_and_decodes_with_it() {
    let (mut peer, conn) =
        connect_with(TelnetConnection::builder().encoding(Encoding::for_label("latin1").unwrap()));
    peer.send(b"\xff\xfd\x2a\xff\xfa\x2a\x01 x-unknown KOI8-R\xff\xf0");
    peer.expect(b"\xff\xfb\x2a\xff\xfa\x2a\x02KOI8-R\xff\xf0");
    peer.send(b"\xe4\xc1\n");
    assert_eq!(conn.readline_str(WAIT).unwrap(), "Да\n");
}

#[test]
fn speed_and_display_are_answered() {
    let (mut peer, _conn) = connect_with(TelnetConnection::builder().x_display("host:0"));
    peer.send(b"\xff\xfd\x20\xff\xfa\x20\x01\xff\xf0");
    peer.expect(b"\xff\xfb\x20\xff\xfa\x20\x0038400,38400\xff\xf0");
    peer.send(b"\xff\xfd\x23\xff\xfa\x23\x01\xff\xf0");
    peer.expect(b"\xff\xfb\x23\xff\xfa\x23\x00host:0\xff\xf0");
}

#[test]
fn the_reference_answer_table() {
    let (mut peer, _conn) = connect();
    let table: &[(&[u8], &[u8])] = &[
        (b"\xff\xfb\x03", b"\xff\xfd\x03"), // WILL SGA -> DO
        (b"\xff\xfb\x01", b"\xff\xfd\x01"), // WILL ECHO -> DO
        (b"\xff\xfb\x19", b"\xff\xfd\x19"), // WILL EOR -> DO
        (b"\xff\xfd\x19", b"\xff\xfb\x19"), // DO EOR -> WILL
        (b"\xff\xfd\x00", b"\xff\xfb\x00"), // DO BINARY -> WILL
        (b"\xff\xfb\x00", b"\xff\xfd\x00"), // WILL BINARY -> DO
        (b"\xff\xfd\x21", b"\xff\xfb\x21"), // DO LFLOW -> WILL
        (b"\xff\xfd\x01", b"\xff\xfc\x01"), // DO ECHO -> WONT
        (b"\xff\xfd\x63", b"\xff\xfc\x63"), // unknown DO -> WONT
        (b"\xff\xfb\x1f", b"\xff\xfe\x1f"), // WILL NAWS (wrong direction) -> DONT
        (b"\xff\xfb\x12", b"\xff\xfe\x12"), // WILL LOGOUT -> DONT
        (b"\xff\xfd\x24", b"\xff\xfb\x24"), // DO OLD_ENVIRON -> WILL (RFC 1408; telnetlib3 refuses)
        (b"\xff\xfd\x05", b"\xff\xfb\x05"), // DO STATUS -> WILL
        (b"\xff\xfb\x05", b"\xff\xfd\x05"), // WILL STATUS -> DO
        (b"\xff\xfd\x17", b"\xff\xfc\x17"), // DO SNDLOC without a location -> WONT
        (b"\xff\xfd\x06", b"\xff\xfb\x06"), // DO TM -> WILL TM
        (b"\xff\xfd\x06", b"\xff\xfb\x06"), // ... every time
        (b"\xff\xfe\x03", b""),             // DONT SGA (never enabled) -> nothing
        (b"\xff\xfc\x03", b"\xff\xfe\x03"), // WONT SGA (enabled) -> DONT, acknowledged
        (b"\xff\xfd\x03", b"\xff\xfc\x03"), // DO SGA (client does not perform it) -> WONT
    ];
    for (sent, answer) in table {
        peer.send(sent);
        if answer.is_empty() {
            peer.expect_nothing_more();
        } else {
            peer.expect(answer);
        }
    }
    // Repeated offers of enabled options are not answered again.
    peer.send(b"\xff\xfb\x01\xff\xfd\x19");
    peer.expect_nothing_more();
}

#[test]
fn requests_follow_rfc_1143_and_wait_for_sees_all_three_kinds() {
    let (mut peer, conn) = connect();
    assert_eq!(conn.request_do(Opt::SGA).unwrap(), RequestOutcome::Sent);
    assert_eq!(conn.request_do(Opt::SGA).unwrap(), RequestOutcome::Pending);
    peer.expect(b"\xff\xfd\x03");
    assert_eq!(
        conn.option_state(Side::Remote, Opt::SGA),
        telnetlib::proto::QState::WantYes
    );
    let err = conn
        .wait_for(&[Want::NotPending(Opt::SGA)], SHORT)
        .unwrap_err();
    assert!(err.to_string().contains("SGA negotiation settled"), "{err}");

    peer.send(b"\xff\xfb\x03\xff\xfd\x1f");
    conn.wait_for(
        &[
            Want::NotPending(Opt::SGA),
            Want::RemoteEnabled(Opt::SGA),
            Want::LocalEnabled(Opt::NAWS),
            Want::RemoteDisabled(Opt::ECHO),
        ],
        WAIT,
    )
    .unwrap();
    assert!(conn.remote_option(Opt::SGA));
    assert!(conn.local_option(Opt::NAWS));

    peer.send(b"\xff\xfe\x1f");
    conn.wait_for(&[Want::LocalDisabled(Opt::NAWS)], WAIT)
        .unwrap();
    let err = conn
        .wait_for(&[Want::RemoteEnabled(Opt::BINARY)], SHORT)
        .unwrap_err();
    match err {
        Error::Timeout { unmet, .. } => assert_eq!(unmet.as_deref(), Some("remote BINARY enabled")),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn wait_for_fails_fast_once_the_peer_is_gone() {
    let (mut peer, conn) = connect();
    peer.close();
    let err = conn
        .wait_for(&[Want::RemoteEnabled(Opt::ECHO)], WAIT)
        .unwrap_err();
    assert!(err.is_eof(), "{err:?}");
}

#[test]
fn the_event_hook_sees_negotiations_and_commands() {
    let (mut peer, conn) = connect();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    conn.set_event_hook(Some(move |event: &OwnedEvent| {
        log.lock().unwrap().push(event.clone())
    }));
    peer.send(b"\xff\xfb\x01\xff\xf6prompt\xff\xf9");
    assert_eq!(conn.read_until(b"prompt", WAIT).unwrap(), b"prompt");
    peer.expect(b"\xff\xfd\x01");
    peer.expect_nothing_more();
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[..4],
        [
            OwnedEvent::Negotiation {
                verb: Verb::Will,
                opt: Opt::ECHO
            },
            OwnedEvent::OptionEnabled {
                side: Side::Remote,
                opt: Opt::ECHO
            },
            OwnedEvent::Command(Command::Ayt),
            OwnedEvent::Command(Command::Ga),
        ][..],
        "{seen:?}"
    );
}

// ------------------------------------------------------------------- reading

#[test]
fn read_returns_what_is_there_and_a_timeout_consumes_nothing() {
    let (mut peer, conn) = connect();
    assert!(conn.read_up_to(10, SHORT).unwrap_err().is_timeout());
    peer.send(b"hello\xff\xff world");
    assert_eq!(conn.read_until(b"world", WAIT).unwrap(), b"hello\xff world");
    peer.send(b"abcdef");
    assert_eq!(conn.read_up_to(2, WAIT).unwrap(), b"ab");
    assert!(conn.read_until(b"zzz", SHORT).unwrap_err().is_timeout());
    assert_eq!(conn.read_some(WAIT).unwrap(), b"cdef");
    assert_eq!(conn.read_up_to(0, WAIT).unwrap(), b"");
}

#[test]
fn readline_terminators_and_cr_nul() {
    let (mut peer, conn) = connect();
    peer.send(b"one\r\ntwo\nthree\r\0four\rfive\r\n");
    assert_eq!(conn.readline(WAIT).unwrap(), b"one\r\n");
    assert_eq!(conn.readline(WAIT).unwrap(), b"two\n");
    assert_eq!(conn.readline(WAIT).unwrap(), b"three\r");
    assert_eq!(conn.readline(WAIT).unwrap(), b"four\r");
    assert_eq!(conn.readline(WAIT).unwrap(), b"five\r\n");
}

#[test]
fn a_cr_lf_split_across_packets_is_one_line_ending() {
    let (mut peer, conn) = connect();
    peer.send(b"first\r");
    assert_eq!(conn.readline(WAIT).unwrap(), b"first\r");
    peer.send(b"\nsecond\n");
    assert_eq!(conn.readline(WAIT).unwrap(), b"second\n");
}

#[test]
fn cr_nul_split_across_packets_loses_its_nul() {
    let (mut peer, conn) = connect();
    peer.send(b"a\r");
    assert_eq!(conn.read_until(b"\r", WAIT).unwrap(), b"a\r");
    peer.send(b"\0b");
    assert_eq!(conn.read_until(b"b", WAIT).unwrap(), b"b");
}

#[test]
fn readline_timeout_keeps_the_partial_line() {
    let (mut peer, conn) = connect();
    peer.send(b"login: ");
    assert_eq!(conn.read_until(b": ", WAIT).unwrap(), b"login: ");
    peer.send(b"Password: ");
    assert!(conn.readline(SHORT).unwrap_err().is_timeout());
    assert_eq!(conn.read_some(WAIT).unwrap(), b"Password: ");
}

#[test]
fn an_overlong_line_is_an_error_and_stays_buffered() {
    let (mut peer, conn) = connect_with(TelnetConnection::builder().max_line(8));
    peer.send(b"ABCDEFGHIJ");
    match conn.readline(WAIT) {
        Err(Error::LineTooLong { limit: 8, .. }) => {}
        other => panic!("expected LineTooLong, got {other:?}"),
    }
    assert_eq!(conn.read_until(b"J", WAIT).unwrap(), b"ABCDEFGHIJ");
    peer.send(b"short\n");
    assert_eq!(conn.readline(WAIT).unwrap(), b"short\n");
}

#[test]
fn expect_prefers_the_first_pattern_in_the_list() {
    let (mut peer, conn) = connect();
    peer.send(b"Last login: today\r\nuser@host:~$ ");
    let patterns = [
        Regex::new(r"(\w+)@(\w+):~\$ $").unwrap(),
        Regex::new(r"login").unwrap(),
    ];
    let found = conn.expect(&patterns, WAIT).unwrap();
    assert_eq!(found.index, 0);
    assert_eq!(found.matched(), b"user@host:~$ ");
    assert_eq!(found.before(), b"Last login: today\r\n");
    assert_eq!(found.group(2), Some(&b"host"[..]));
    assert_eq!(found.text, b"Last login: today\r\nuser@host:~$ ");
    assert!(conn.expect(&patterns, SHORT).unwrap_err().is_timeout());
}

#[test]
fn eof_comes_only_after_the_buffer_is_drained() {
    let (mut peer, conn) = connect();
    peer.send(b"abc");
    peer.close();
    let err = conn.read_until(b"zzz", WAIT).unwrap_err();
    assert!(err.is_eof(), "{err:?}");
    assert_eq!(conn.read_up_to(2, WAIT).unwrap(), b"ab");
    assert_eq!(conn.readline(WAIT).unwrap(), b"c");
    assert!(conn.read_some(WAIT).unwrap_err().is_eof());
    assert!(conn.readline(WAIT).unwrap_err().is_eof());
}

#[test]
fn read_all_reads_until_the_peer_closes() {
    let (mut peer, conn) = connect();
    peer.send(b"everything\r\n");
    assert!(conn.read_all(SHORT).unwrap_err().is_timeout());
    peer.send(b"and more");
    peer.close();
    assert_eq!(conn.read_all(WAIT).unwrap(), b"everything\r\nand more");
    assert_eq!(conn.read_all(WAIT).unwrap(), b"");
}

#[test]
fn a_reset_is_an_io_error_after_the_buffer_is_drained() {
    let (mut peer, conn) = connect();
    peer.send(b"data");
    assert_eq!(conn.read_until(b"da", WAIT).unwrap(), b"da");
    peer.reset();
    let err = conn.read_until(b"never", WAIT).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_eq!(conn.read_some(WAIT).unwrap(), b"ta");
    assert!(matches!(conn.read_some(WAIT), Err(Error::Io { .. })));
}

#[test]
fn text_reads_decode_characters_split_across_packets() {
    let (mut peer, conn) = connect();
    peer.send("café ".as_bytes());
    assert_eq!(conn.read_until_str(" ", WAIT).unwrap(), "café ");
    // The euro sign arrives in two packets: a text read waits until it is whole
    // (an empty string would read as the end of the stream).
    peer.send(b"\xe2");
    peer.expect_nothing_more();
    let error = conn.read_some_str(Duration::from_millis(50)).unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    peer.send(b"\x82\xac!\n");
    assert_eq!(conn.readline_str(WAIT).unwrap(), "€!\n");
    peer.send(b"\xfe!\n");
    assert_eq!(conn.readline_str(WAIT).unwrap(), "\u{fffd}!\n");
}

#[test]
fn a_cp437_bbs_reads_as_box_drawing() {
    let (mut peer, conn) = connect_with(TelnetConnection::builder().encoding(Encoding::CP437));
    peer.send(b"\xc9\xcd\xbb\r\n");
    assert_eq!(conn.read_until_str("\r\n", WAIT).unwrap(), "╔═╗\r\n");
}

// ------------------------------------------------------------------- writing

#[test]
fn writes_double_iac_and_text_gets_nvt_newlines() {
    let (mut peer, conn) = connect();
    conn.write_bytes(b"a\xffb\n", WAIT).unwrap();
    peer.expect(b"a\xff\xffb\n");
    conn.write_str("ls\nbye\r", WAIT).unwrap();
    peer.expect(b"ls\r\nbye\r\0");
    peer.send(b"\xff\xfd\x00");
    peer.expect(b"\xff\xfb\x00");
    conn.write_str("raw\n", WAIT).unwrap();
    peer.expect(b"raw\n");
    conn.send_command(Command::Ayt).unwrap();
    peer.expect(b"\xff\xf6");
    conn.send_subnegotiation(Opt::GMCP, b"Core.Hello {}\xff")
        .unwrap();
    peer.expect(b"\xff\xfa\xc9Core.Hello {}\xff\xff\xff\xf0");
}

#[test]
fn std_read_and_write_compose() {
    let (mut peer, conn) = connect();
    let mut writer = &conn;
    writer.write_all(b"ping\n").unwrap();
    Write::flush(&mut writer).unwrap();
    peer.expect(b"ping\n");
    peer.send(b"pong\n");
    peer.close();
    let mut text = String::new();
    (&conn).read_to_string(&mut text).unwrap();
    assert_eq!(text, "pong\n");
}

#[test]
fn one_thread_reads_while_another_writes() {
    let (peer, conn) = connect();
    let conn = Arc::new(conn);
    let mut socket = {
        let mut peer = peer;
        peer.socket().try_clone().unwrap()
    };
    // The peer echoes everything back.
    let echo = thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        loop {
            match socket.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(n) => socket.write_all(&buffer[..n]).unwrap(),
            }
        }
    });
    let total = 2_000_000usize;
    let writer_conn = Arc::clone(&conn);
    let writer = thread::spawn(move || {
        let chunk: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        for _ in 0..total / chunk.len() {
            writer_conn.write_bytes(&chunk, WAIT).unwrap();
        }
    });
    let mut received = Vec::with_capacity(total);
    while received.len() < total {
        received.extend(conn.read_some(WAIT).unwrap());
    }
    writer.join().unwrap();
    assert_eq!(received.len(), total);
    assert!(
        received
            .chunks(1000)
            .all(|c| c.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8))
    );
    conn.close();
    echo.join().unwrap();
}

// ------------------------------------------------------------------- close

#[test]
fn close_wakes_a_blocked_reader_and_later_calls_fail_with_closed() {
    let (_peer, conn) = connect();
    let conn = Arc::new(conn);
    let reader_conn = Arc::clone(&conn);
    let reader = thread::spawn(move || reader_conn.read_some(None));
    conn.close();
    let err = reader.join().unwrap().unwrap_err();
    assert!(matches!(err, Error::Closed { .. }), "{err:?}");
    assert!(matches!(
        conn.write_bytes(b"x", WAIT),
        Err(Error::Closed { .. })
    ));
    assert!(matches!(conn.read_some(WAIT), Err(Error::Closed { .. })));
    conn.close();
}

#[test]
fn close_sends_what_is_queued_and_the_peer_sees_end_of_stream() {
    let (mut peer, conn) = connect();
    conn.write_bytes(b"last words", WAIT).unwrap();
    drop(conn);
    let received = peer.receive_until(|got| got.ends_with(b"words"));
    assert_eq!(received, b"last words");
    let mut rest = Vec::new();
    peer.socket().set_read_timeout(WAIT).unwrap();
    assert_eq!(peer.socket().read_to_end(&mut rest).unwrap(), 0);
}

#[test]
fn the_hook_runs_on_the_poller_while_nobody_reads_and_is_released_with_the_connection() {
    /// Sets its flag when dropped, which happens only once nothing holds the hook.
    struct Witness(Arc<Mutex<bool>>);
    impl Drop for Witness {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = true;
        }
    }
    let (mut peer, conn) = connect();
    let name = Arc::new(Mutex::new(None));
    let released = Arc::new(Mutex::new(false));
    let (seen, witness) = (Arc::clone(&name), Witness(Arc::clone(&released)));
    conn.set_event_hook(Some(move |_: &OwnedEvent| {
        let _ = &witness;
        *seen.lock().unwrap() = thread::current().name().map(String::from);
    }));
    peer.expect_nothing_more();
    // The hook runs just after the reply to DO TM goes out: wait for it.
    let deadline = std::time::Instant::now() + DEADLINE;
    while name.lock().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "the hook never ran");
        thread::yield_now();
    }
    // Nobody was reading: the poller client connections share answered the DO TM.
    assert_eq!(name.lock().unwrap().as_deref(), Some("telnet-poll"));
    drop(conn);
    assert!(
        *released.lock().unwrap(),
        "the hook outlived its connection"
    );
}

#[test]
fn connect_errors_name_the_target() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let err = TelnetConnection::connect(address).unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains(&address.to_string()), "{err}");
    let err = Encoding::for_label("klingon").unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert!(err.to_string().contains("klingon"), "{err}");
}

#[test]
fn telnet_connection_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TelnetConnection>();
}

#[test]
fn writes_and_flush_are_bounded_when_the_peer_stops_reading_and_lose_nothing() {
    let (mut peer, conn) = connect();
    // Far more than the kernel's socket buffers hold while the peer reads nothing.
    let data: Vec<u8> = (0..16u32 << 20).map(|i| (i % 251) as u8).collect();
    let err = conn.write_bytes(&data, SHORT).unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(conn.flush_within(SHORT).unwrap_err().is_timeout());
    // Once the peer reads again, everything arrives, in order.
    let mut socket = peer.socket().try_clone().unwrap();
    let mut expected = data.clone();
    expected.push(b'!');
    let reader = thread::spawn(move || {
        let mut received = vec![0u8; expected.len()];
        socket.set_read_timeout(WAIT).unwrap();
        socket.read_exact(&mut received).unwrap();
        received == expected
    });
    // A write after the timeout makes room by writing, and goes out after the rest.
    conn.write_bytes(b"!", WAIT).unwrap();
    conn.flush_within(WAIT).unwrap();
    assert!(reader.join().unwrap(), "the data arrived changed");
}

#[test]
fn an_undefined_command_byte_is_delivered_as_data() {
    let (mut peer, conn) = connect();
    peer.send(b"x\xffAy\n");
    assert_eq!(conn.readline(WAIT).unwrap(), b"xAy\n");
}

#[test]
fn std_write_counts_queued_bytes_as_written_and_flush_reports_the_slow_peer() {
    let (mut peer, conn) =
        connect_with(TelnetConnection::builder().timeout(Some(Duration::from_millis(200))));
    let data: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
    let mut writer = &conn;
    // The peer reads nothing: the write cannot finish, yet nothing is to be resent.
    assert_eq!(Write::write(&mut writer, &data).unwrap(), data.len());
    let err = Write::flush(&mut writer).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    let mut socket = peer.socket().try_clone().unwrap();
    let reader = thread::spawn(move || {
        let mut received = vec![0u8; data.len()];
        socket.set_read_timeout(WAIT).unwrap();
        socket.read_exact(&mut received).unwrap();
        received == data
    });
    conn.flush_within(WAIT).unwrap();
    assert!(reader.join().unwrap(), "the bytes arrived changed");
}
