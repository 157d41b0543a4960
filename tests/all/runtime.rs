//! Run-time control of a connection: the byte counters, colour on or off, the
//! application's own data, options changed after connect, negotiation decided in
//! code, conditions to wait for, the decode-error policy and bytes-only mode.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::loopback::loopback;
use support::peer::{DEADLINE, Peer, eventually};
use telnetlib::codec::DecodeErrors;
use telnetlib::proto::linemode::{self, ForwardMask, Level, ModeMask, SlcTriplet};
use telnetlib::proto::{Opt, Side};
use telnetlib::{Error, OptionRequest, TelnetConnection, TelnetServer, Want};

const WAIT: Option<Duration> = Some(DEADLINE);

#[test]
fn byte_counters_count_what_crossed_the_wire() {
    let mut peer = Peer::bind();
    let conn = TelnetConnection::connect(peer.addr()).unwrap();
    peer.accept();
    assert_eq!((conn.bytes_received(), conn.bytes_sent()), (0, 0));

    // Three bytes of negotiation and four of data.
    peer.send(b"\xff\xfd\x1fhi\r\n");
    assert_eq!(conn.readline(WAIT).unwrap(), b"hi\r\n");
    assert_eq!(conn.bytes_received(), 7);

    // Its answer (WILL NAWS, then the window size) and a line of ours.
    conn.write_bytes(b"ok\r\n", WAIT).unwrap();
    let got = peer.receive_until(|got| got.ends_with(b"ok\r\n"));
    assert!(
        eventually(DEADLINE, || conn.bytes_sent() == got.len() as u64),
        "{} sent, {} received",
        conn.bytes_sent(),
        got.len()
    );
}

#[test]
fn byte_counters_agree_on_both_sides() {
    let (server, connection, conn) = loopback(TelnetServer::builder(), TelnetConnection::builder());
    connection.send("hello\n").unwrap();
    conn.readline(WAIT).unwrap();
    conn.write_bytes(b"back\r\n", WAIT).unwrap();
    connection.readline(WAIT).unwrap();
    // Once both sides are quiet, each received what the other sent.
    assert!(
        eventually(DEADLINE, || {
            connection.bytes_sent() == conn.bytes_received()
                && conn.bytes_sent() == connection.bytes_received()
        }),
        "server sent {} / received {}, client sent {} / received {}",
        connection.bytes_sent(),
        connection.bytes_received(),
        conn.bytes_sent(),
        conn.bytes_received()
    );
    assert!(connection.bytes_sent() > "hello\r\n".len() as u64);
    drop(server);
}

#[test]
fn use_ansi_off_strips_colour_codes() {
    let (server, connection, conn) = loopback(TelnetServer::builder(), TelnetConnection::builder());
    assert!(connection.use_ansi());
    connection.send_cc("^rred^~\n").unwrap();
    assert_eq!(
        conn.readline_str(WAIT).unwrap(),
        "\x1b[22;31mred\x1b[0m\r\n"
    );
    connection.set_use_ansi(false);
    assert!(!connection.use_ansi());
    connection.send_cc("^rred^~ and ^^\n").unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "red and ^\r\n");
    drop(server);
}

#[test]
fn app_data_is_kept_per_type_and_shared_by_handles() {
    #[derive(Debug, PartialEq)]
    struct Player {
        name: String,
        hp: u32,
    }
    #[derive(Debug, PartialEq)]
    struct Room(u32);

    let (server, connection, _conn) =
        loopback(TelnetServer::builder(), TelnetConnection::builder());
    let other_handle = connection.clone();
    assert_eq!(connection.with_app_data(|p: &mut Player| p.hp), None);
    assert!(
        connection
            .set_app_data(Player {
                name: "ann".to_owned(),
                hp: 10,
            })
            .is_none()
    );
    connection.set_app_data(Room(3));
    other_handle.with_app_data(|p: &mut Player| p.hp -= 4);
    assert_eq!(connection.with_app_data(|p: &mut Player| p.hp), Some(6));
    assert_eq!(connection.with_app_data(|r: &mut Room| r.0), Some(3));

    // Replacing gives the old value back; taking leaves nothing.
    let old = connection.set_app_data(Room(4));
    assert_eq!(old, Some(Room(3)));
    let player = other_handle.take_app_data::<Player>().unwrap();
    assert_eq!(player.name, "ann");
    assert_eq!(connection.take_app_data::<Player>(), None);
    assert_eq!(connection.with_app_data(|r: &mut Room| r.0), Some(4));
    drop(server);
}

#[test]
fn the_idle_timeout_can_be_changed_per_client_at_run_time() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().idle_timeout(Duration::from_secs(600)),
        TelnetConnection::builder(),
    );
    assert_eq!(connection.idle_timeout(), Some(Duration::from_secs(600)));
    // Too long to add to the clock: no limit in effect, and no panic.
    connection.set_idle_timeout(Duration::MAX - Duration::from_secs(1));
    connection.send("still here\n").unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "still here\r\n");
    connection.set_idle_timeout(telnetlib::Timeout::Never);
    assert_eq!(connection.idle_timeout(), None);
    connection.set_idle_timeout(None);
    assert_eq!(connection.idle_timeout(), Some(Duration::from_secs(600)));

    // Shortened: the quiet client is told and closed.
    let started = std::time::Instant::now();
    connection.set_idle_timeout(Duration::from_millis(300));
    let rest = conn.read_all_str(WAIT).unwrap();
    assert!(rest.ends_with("Timeout.\r\n"), "{rest:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(server);
}

/// A server connection to a raw peer that has said nothing yet.
fn server_with_silent_peer() -> (TelnetServer, telnetlib::ServerConnection, Peer) {
    server_built_with_silent_peer(TelnetServer::builder())
}

/// [`server_with_silent_peer`] with the server built from `builder`: the peer has
/// seen the server's first request.
fn server_built_with_silent_peer(
    builder: telnetlib::ServerBuilder,
) -> (TelnetServer, telnetlib::ServerConnection, Peer) {
    let server = builder
        .silent_peer_wait(Duration::ZERO)
        .bind("127.0.0.1:0")
        .unwrap();
    let mut peer = Peer::connect(server.local_addr());
    let connection = server.accept(WAIT).unwrap();
    peer.receive_until(|got| got.ends_with(b"\xff\xfd\x18"));
    (server, connection, peer)
}

#[test]
fn wait_until_waits_for_a_condition_over_the_connection() {
    let (server, connection, mut peer) = server_with_silent_peer();
    let waiter = std::thread::spawn({
        let connection = connection.clone();
        move || {
            connection.wait_until(
                |c| c.terminal_type() == "VT-X" && c.window_size() == (120, 40),
                WAIT,
            )
        }
    });
    // The terminal type first, then the window size: only both satisfy it.
    peer.send(b"\xff\xfb\x18");
    peer.receive_until(|got| got.windows(6).any(|w| w == b"\xff\xfa\x18\x01\xff\xf0"));
    peer.send(b"\xff\xfa\x18\x00VT-X\xff\xf0");
    peer.send(b"\xff\xfb\x1f\xff\xfa\x1f\x00\x78\x00\x28\xff\xf0");
    waiter.join().unwrap().unwrap();
    assert_eq!(connection.window_size(), (120, 40));

    // Never true: a timeout that says so.
    match connection.wait_until(|c| c.terminal_type() == "other", Duration::from_millis(200)) {
        Err(telnetlib::Error::Timeout { unmet, .. }) => {
            assert_eq!(unmet.as_deref(), Some("the condition"))
        }
        other => panic!("{other:?}"),
    }
    // The peer leaves (resetting: it left our requests unread): it can no longer
    // come true.
    peer.close();
    let ended = connection.wait_until(|c| c.terminal_type() == "other", WAIT);
    assert!(
        matches!(
            ended,
            Err(telnetlib::Error::Eof { .. } | telnetlib::Error::Io { .. })
        ),
        "{ended:?}"
    );
    drop(server);
}

// ------------------------------------------------------- options after connect

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn echo_goes_on_and_off_at_run_time_and_echo_writes_only_while_on() {
    let (server, connection, conn) = loopback(TelnetServer::builder(), TelnetConnection::builder());
    assert!(connection.local_option(Opt::ECHO));
    // Around a password prompt: off, then on again.
    connection.set_echo(false).unwrap();
    conn.wait_for(&[Want::RemoteDisabled(Opt::ECHO)], WAIT)
        .unwrap();
    connection
        .wait_for(
            &[Want::LocalDisabled(Opt::ECHO), Want::NotPending(Opt::ECHO)],
            WAIT,
        )
        .unwrap();
    assert!(!connection.echo("hidden").unwrap());
    connection.set_echo(true).unwrap();
    conn.wait_for(&[Want::RemoteEnabled(Opt::ECHO)], WAIT)
        .unwrap();
    connection
        .wait_for(&[Want::LocalEnabled(Opt::ECHO)], WAIT)
        .unwrap();
    assert!(connection.echo("shown\n").unwrap());
    assert_eq!(conn.readline_str(WAIT).unwrap(), "shown\r\n");
    drop(server);
}

#[test]
fn the_ttype_cycle_and_environment_can_be_asked_for_again() {
    let (server, connection, mut peer) = server_with_silent_peer();
    // A first cycle: "A", then "A" again ends it.
    peer.send(b"\xff\xfb\x18");
    for _ in 0..2 {
        peer.receive_until(|got| contains(got, b"\xff\xfa\x18\x01\xff\xf0"));
        peer.send(b"\xff\xfa\x18\x00A\xff\xf0");
    }
    connection
        .wait_until(|c| c.terminal_types() == ["A", "A"], WAIT)
        .unwrap();
    // The application asks again; the client now says "B".
    connection.request_terminal_types().unwrap();
    assert!(connection.awaiting_answers());
    for _ in 0..2 {
        peer.receive_until(|got| contains(got, b"\xff\xfa\x18\x01\xff\xf0"));
        peer.send(b"\xff\xfa\x18\x00B\xff\xf0");
    }
    connection
        .wait_until(|c| c.terminal_types() == ["B", "B"], WAIT)
        .unwrap();
    assert_eq!(connection.terminal_type(), "B");

    // NEW-ENVIRON: a variable asked for by name, exactly as the RFC encodes it.
    match connection.request_environment(&["GAME"]) {
        Err(telnetlib::Error::NotAgreed { opt, .. }) => assert_eq!(opt, Opt::NEW_ENVIRON),
        other => panic!("NEW-ENVIRON is not on yet: {other:?}"),
    }
    // The first request, answered with nothing, and the bare SEND that follows
    // (for clients that only answer that), answered with nothing too.
    peer.send(b"\xff\xfb\x27");
    peer.receive_until(|got| contains(got, b"\xff\xfa\x27\x01"));
    peer.send(b"\xff\xfa\x27\x00\xff\xf0");
    peer.receive_until(|got| contains(got, b"\xff\xfa\x27\x01\xff\xf0"));
    peer.send(b"\xff\xfa\x27\x00\xff\xf0");
    connection
        .wait_until(|c| !c.awaiting_answers(), WAIT)
        .unwrap();
    connection.request_environment(&["GAME"]).unwrap();
    peer.receive_until(|got| contains(got, b"\xff\xfa\x27\x01\x00GAME\xff\xf0"));
    peer.send(b"\xff\xfa\x27\x00\x00GAME\x017\xff\xf0");
    connection
        .wait_until(|c| c.env("GAME").as_deref() == Some("7"), WAIT)
        .unwrap();
    drop(server);
}

#[test]
fn charset_can_be_offered_again() {
    let latin1 = telnetlib::Encoding::for_label("latin1").unwrap();
    let (server, connection, conn) = loopback(
        TelnetServer::builder(),
        TelnetConnection::builder().encoding(latin1),
    );
    // The client took the server's offer of its own charset first.
    connection
        .wait_until(|c| !c.awaiting_answers(), WAIT)
        .unwrap();
    let first = connection.encoding();
    connection.request_charset(&["UTF-8"]).unwrap();
    connection
        .wait_until(|c| !c.awaiting_answers() && c.encoding() == "UTF-8", WAIT)
        .unwrap();
    assert_ne!(first, "UTF-8");
    assert_eq!(conn.encoding(), "UTF-8");
    connection.send("é\n").unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "é\r\n");
    drop(server);
}

#[test]
fn linemode_mode_slc_and_forward_mask_change_after_connect() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().line_mode(true),
        TelnetConnection::builder().line_mode(true),
    );
    let start = ModeMask::EDIT | ModeMask::TRAPSIG;
    conn.wait_until(|c| c.linemode_mode() == Some(start), WAIT)
        .unwrap();
    // The server turns soft tabs and literal echo on: the client takes the mode.
    let wanted = ModeMask::ALL;
    connection.set_linemode_mode(wanted).unwrap();
    conn.wait_until(|c| c.linemode_mode() == Some(wanted), WAIT)
        .unwrap();
    assert_eq!(connection.linemode_mode(), Some(wanted));

    // The erase character becomes ^H on both sides.
    let erase = SlcTriplet::new(linemode::SLC_EC, Level::Value, 0x08);
    connection.set_linemode_slc(erase).unwrap();
    conn.wait_until(
        |c| {
            c.linemode_slc()
                .is_some_and(|t| t.function_for(0x08) == Some(linemode::SLC_EC))
        },
        WAIT,
    )
    .unwrap();

    // A forward mask with TAB in it: the client now sends its line at a TAB.
    let tab = ForwardMask::from_bytes(&[0x00, 0x40]).unwrap();
    connection.set_linemode_forwardmask(Some(tab)).unwrap();
    conn.wait_until(|c| c.linemode_forwards(b'\t'), WAIT)
        .unwrap();
    assert!(!conn.linemode_forwards(b'\r'));
    drop(server);

    // Without LINEMODE there is nothing to change.
    let (server, connection, _conn) =
        loopback(TelnetServer::builder(), TelnetConnection::builder());
    assert!(matches!(
        connection.set_linemode_mode(wanted),
        Err(telnetlib::Error::NotAgreed { .. })
    ));
    drop(server);
}

#[test]
fn write_eof_half_closes_and_reading_goes_on() {
    // A line-mode server: it does not echo what it reads.
    let (server, connection, conn) = loopback(
        TelnetServer::builder().line_mode(true),
        TelnetConnection::builder(),
    );
    conn.write_bytes(b"last words\r\n", WAIT).unwrap();
    conn.write_eof(WAIT).unwrap();
    // The server reads them, then the end of the client's stream.
    assert_eq!(connection.read_all(WAIT).unwrap(), b"last words\r\n");
    // The other direction still works.
    connection.send("still talking\n").unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "still talking\r\n");
    match conn.write_bytes(b"more", WAIT) {
        Err(telnetlib::Error::Io { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::BrokenPipe)
        }
        other => panic!("{other:?}"),
    }
    drop(server);
}

// ------------------------------------------------- negotiation decided in code

/// A server deciding with `decide`, and a raw peer connected to it that has seen the
/// server's first request.
fn server_deciding(
    decide: impl Fn(&OptionRequest) -> Option<bool> + Send + Sync + 'static,
) -> (TelnetServer, telnetlib::ServerConnection, Peer) {
    server_built_with_silent_peer(TelnetServer::builder().decide_options(decide))
}

#[test]
fn option_requests_are_decided_in_code_per_peer() {
    let asked: Arc<Mutex<Vec<OptionRequest>>> = Arc::default();
    let (server, connection, mut peer) = server_deciding({
        let asked = Arc::clone(&asked);
        move |request| {
            asked.lock().unwrap().push(*request);
            match request.opt.0 {
                200 => Some(true), // the policy would refuse it
                31 => Some(false), // NAWS: the policy would agree
                201 => panic!("a bug in the decider"),
                _ => None,
            }
        }
    });
    let peer_address = peer.socket().local_addr().unwrap();
    peer.send(b"\xff\xfb\xc8");
    peer.receive_until(|got| contains(got, b"\xff\xfd\xc8"));
    peer.send(b"\xff\xfb\x1f");
    peer.receive_until(|got| contains(got, b"\xff\xfe\x1f"));
    // A decider that panics refuses; the connection goes on.
    peer.send(b"\xff\xfb\xc9");
    peer.receive_until(|got| contains(got, b"\xff\xfe\xc9"));
    // Asked once per request of an option that is off: a repeat of an agreed one
    // is RFC 1143's to ignore, and is not put to the decider again.
    peer.send(b"\xff\xfb\xc8\xff\xfb\x18");
    connection
        .wait_for(&[Want::RemoteEnabled(Opt::TTYPE)], WAIT)
        .unwrap();
    assert!(connection.remote_option(Opt(200)));
    assert!(!connection.remote_option(Opt::NAWS));
    let asked = asked.lock().unwrap();
    let options: Vec<u8> = asked.iter().map(|r| r.opt.0).collect();
    assert_eq!(
        options.iter().filter(|&&o| o == 200).count(),
        1,
        "{options:?}"
    );
    assert!(
        asked
            .iter()
            .all(|r| r.side == Side::Remote && r.peer == Some(peer_address))
    );
    drop(server);
}

#[test]
fn a_client_computes_its_terminal_type_and_variables_when_asked() {
    let answers = Arc::new(Mutex::new(vec!["A", "B", "C"].into_iter()));
    let asked_for: Arc<Mutex<Vec<String>>> = Arc::default();
    let client = TelnetConnection::builder()
        .answer_terminal_type({
            let answers = Arc::clone(&answers);
            move || answers.lock().unwrap().next().unwrap_or("C").to_owned()
        })
        .env("GAME", "configured")
        .answer_environment({
            let asked_for = Arc::clone(&asked_for);
            move |name| {
                asked_for.lock().unwrap().push(name.to_owned());
                (name == "GAME").then(|| "computed".to_owned())
            }
        });
    let (server, connection, conn) = loopback(TelnetServer::builder(), client);
    connection
        .wait_until(|c| !c.awaiting_answers() && c.env("GAME").is_some(), WAIT)
        .unwrap();
    // The server's TTYPE cycle saw each answer as it was computed.
    assert_eq!(connection.terminal_types(), ["A", "B", "C", "C"]);
    assert_eq!(conn.terminal_type(), "C");
    assert_eq!(connection.env("GAME").as_deref(), Some("computed"));
    // Only allowed names are put to it.
    let asked_for = asked_for.lock().unwrap();
    assert!(asked_for.contains(&"GAME".to_owned()));
    assert!(!asked_for.contains(&"USER".to_owned()), "{asked_for:?}");
    drop(server);
}

#[test]
fn a_panicking_answer_sends_the_configured_one() {
    let client = TelnetConnection::builder()
        .terminal_type("fallback")
        .answer_terminal_type(|| panic!("a bug in the answer"));
    let (server, connection, _conn) = loopback(TelnetServer::builder(), client);
    // What the TTYPE cycle itself carried (not the TERM variable).
    connection
        .wait_until(|c| !c.awaiting_answers(), WAIT)
        .unwrap();
    assert_eq!(connection.terminal_types(), ["fallback", "fallback"]);
    drop(server);
}

#[test]
fn our_own_side_stops_when_we_send_wont_even_before_the_dont() {
    use telnetlib::proto::{Engine, Policy};
    let mut engine = Engine::new(Policy::server());
    engine.receive(b"\xff\xfd\x01", |_| {});
    assert!(engine.is_enabled(Side::Local, Opt::ECHO));
    engine.clear_output();
    // Our WONT ECHO: off at once for what we send next, still awaiting the DONT.
    engine.request(Side::Local, Opt::ECHO, false);
    assert_eq!(engine.output(), b"\xff\xfc\x01");
    assert!(!engine.is_enabled(Side::Local, Opt::ECHO));
    assert!(engine.is_pending(Side::Local, Opt::ECHO));
    // The peer's DONT acknowledges it: settled, and nothing more is sent.
    engine.clear_output();
    engine.receive(b"\xff\xfe\x01", |_| {});
    assert!(!engine.is_pending(Side::Local, Opt::ECHO));
    assert!(engine.output().is_empty());
    // The peer's side keeps RFC 1143's rule: on until its WONT arrives.
    engine.receive(b"\xff\xfb\x18", |_| {});
    engine.request(Side::Remote, Opt::TTYPE, false);
    assert!(engine.is_enabled(Side::Remote, Opt::TTYPE));
}

#[test]
fn a_server_that_turns_echo_off_stops_echoing_at_once() {
    // The raw client agrees to our echo; then we turn it off, and it never answers
    // the WONT (telnetlib3's client does not).
    let (server, connection, mut peer) = server_with_silent_peer();
    peer.send(b"\xff\xfd\x01");
    connection
        .wait_for(&[Want::LocalEnabled(Opt::ECHO)], WAIT)
        .unwrap();
    connection.set_echo(false).unwrap();
    peer.receive_until(|got| contains(got, b"\xff\xfc\x01"));
    peer.send(b"typed\r\n");
    assert_eq!(connection.readline(WAIT).unwrap(), b"typed\r\n");
    // Nothing was echoed after our WONT ECHO.
    let more = peer.receive_for(Duration::from_millis(200));
    assert!(!contains(&more, b"typed"), "{more:?}");
    drop(server);
}

#[test]
fn a_client_can_ask_for_a_charset_after_connect() {
    // The server's encoding is Latin-1, which it gives up for what a client asks.
    let latin1 = telnetlib::Encoding::for_label("latin1").unwrap();
    let (server, connection, conn) = loopback(
        TelnetServer::builder().encoding(latin1),
        TelnetConnection::builder().encoding(latin1),
    );
    connection
        .wait_until(|c| !c.awaiting_answers(), WAIT)
        .unwrap();
    assert_ne!(conn.encoding(), "UTF-8");
    conn.request_charset(&["UTF-8"]).unwrap();
    conn.wait_until(|c| c.encoding() == "UTF-8", WAIT).unwrap();
    connection
        .wait_until(|c| c.encoding() == "UTF-8", WAIT)
        .unwrap();
    assert_eq!(connection.charset().as_deref(), Some("UTF-8"));
    conn.write_str("ü\n", WAIT).unwrap();
    assert_eq!(connection.readline_str(WAIT).unwrap().trim_end(), "ü");
    drop(server);
}

// ------------------------------------------------------------ decode errors

/// A client reading with `errors`, and the raw server peer it is connected to.
fn client_decoding(errors: DecodeErrors) -> (TelnetConnection, Peer) {
    let mut peer = Peer::bind();
    let conn = TelnetConnection::builder()
        .decode_errors(errors)
        .connect(peer.addr())
        .unwrap();
    peer.accept();
    (conn, peer)
}

#[test]
fn bytes_invalid_in_the_encoding_are_replaced_ignored_or_refused() {
    let (conn, mut peer) = client_decoding(DecodeErrors::Replace);
    peer.send(b"a\xfeb\r\n");
    assert_eq!(conn.readline_str(WAIT).unwrap(), "a\u{fffd}b\r\n");

    let (conn, mut peer) = client_decoding(DecodeErrors::Ignore);
    peer.send(b"a\xfeb\r\n\xfe");
    assert_eq!(conn.readline_str(WAIT).unwrap(), "ab\r\n");
    peer.send("é".as_bytes());
    // A malformed byte alone is no character: read_str goes on to the next one.
    assert_eq!(conn.read_str(1, WAIT).unwrap(), "é");

    // Strict: the read fails and hands over the bytes it took; the next read goes
    // on after them, with a decoder that starts afresh.
    let (conn, mut peer) = client_decoding(DecodeErrors::Strict);
    peer.send(b"a\xfeb\r\nfine\r\n");
    match conn.readline_str(WAIT) {
        Err(telnetlib::Error::Decode {
            bytes, encoding, ..
        }) => {
            assert_eq!(bytes, b"a\xfeb\r\n");
            assert_eq!(encoding, "UTF-8");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(conn.readline_str(WAIT).unwrap(), "fine\r\n");
    peer.send(b"\xfez");
    match conn.read_str(4, WAIT) {
        Err(telnetlib::Error::Decode { bytes, .. }) => assert_eq!(bytes, b"\xfez"),
        other => panic!("{other:?}"),
    }
    // The bytes API never decodes.
    peer.send(b"\xfe\r\n");
    assert_eq!(conn.readline(WAIT).unwrap(), b"\xfe\r\n");

    // A character cut between two reads: its first byte is held over, and handed
    // back with the rest when that turns out not to be valid.
    peer.send(b"a\xc3");
    assert_eq!(conn.read_some_str(WAIT).unwrap(), "a");
    peer.send(b"\xa9!");
    assert_eq!(conn.read_some_str(WAIT).unwrap(), "\u{e9}!");
    peer.send(b"b\xc3");
    assert_eq!(conn.read_some_str(WAIT).unwrap(), "b");
    peer.send(b"(");
    match conn.read_some_str(WAIT) {
        Err(telnetlib::Error::Decode { bytes, .. }) => assert_eq!(bytes, b"\xc3("),
        other => panic!("{other:?}"),
    }
    // read_str takes nothing while a character is incomplete.
    peer.send(b"\xe2\x82");
    assert!(matches!(
        conn.read_str(1, Duration::from_millis(100)),
        Err(telnetlib::Error::Timeout { .. })
    ));
    peer.send(b"\xac");
    assert_eq!(conn.read_str(1, WAIT).unwrap(), "\u{20ac}");
}

#[test]
fn a_linemode_client_proposes_a_mode_and_the_server_answers() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().line_mode(true),
        TelnetConnection::builder().line_mode(true),
    );
    let start = ModeMask::EDIT | ModeMask::TRAPSIG;
    connection
        .wait_until(|c| c.linemode_mode() == Some(start), WAIT)
        .unwrap();
    // RFC 1184 §5.1: the client asks for EDIT alone; the server takes it and says so.
    conn.set_linemode_mode(ModeMask::EDIT).unwrap();
    connection
        .wait_until(|c| c.linemode_mode() == Some(ModeMask::EDIT), WAIT)
        .unwrap();
    assert_eq!(conn.linemode_mode(), Some(ModeMask::EDIT));
    drop(server);
}

/// The error of a text method on a bytes-only connection.
fn refused_as_bytes_only<T: std::fmt::Debug>(result: telnetlib::Result<T>, operation: &str) {
    match result {
        Err(Error::InvalidInput { message }) => {
            assert!(
                message.starts_with(operation) && message.contains("bytes-only"),
                "{message}"
            );
        }
        other => panic!("{operation} on a bytes-only connection: {other:?}"),
    }
}

#[test]
fn a_bytes_only_client_carries_bytes_refuses_text_and_agrees_no_charset() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder(),
        TelnetConnection::builder().bytes_only(true),
    );
    // Our server offers CHARSET; a bytes-only client has nothing to agree on.
    assert!(!conn.local_option(Opt::CHARSET) && !conn.remote_option(Opt::CHARSET));
    assert_eq!(connection.charset(), None);
    assert!(conn.request_charset(&["UTF-8"]).is_err());

    refused_as_bytes_only(conn.write_str("hi\n", WAIT), "write_str");
    connection.send_bytes(b"caf\xe9\r\n").unwrap();
    refused_as_bytes_only(conn.readline_str(WAIT), "readline_str");
    refused_as_bytes_only(conn.read_some_str(WAIT), "read_str");
    refused_as_bytes_only(conn.read_until_str("\n", WAIT), "read_until_str");
    // Nothing was taken by the refused reads.
    assert_eq!(conn.readline(WAIT).unwrap(), b"caf\xe9\r\n");
    conn.write_bytes(b"\xff\x00\r\n", WAIT).unwrap();
    assert_eq!(connection.readline(WAIT).unwrap(), b"\xff\x00\r\n");
    drop(server);
}

#[test]
fn a_bytes_only_server_refuses_text_and_a_clients_charset_request() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().bytes_only(true),
        TelnetConnection::builder(),
    );
    assert!(!connection.local_option(Opt::CHARSET) && !connection.remote_option(Opt::CHARSET));
    assert!(conn.request_charset(&["UTF-8", "CP437"]).is_err());
    refused_as_bytes_only(connection.send("hello\n"), "send");
    refused_as_bytes_only(connection.send_prompt("> "), "send_prompt");
    connection.send_bytes(b"hello\r\n").unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "hello\r\n");
    drop(server);
}
