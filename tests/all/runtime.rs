//! Run-time control of a connection: the byte counters, colour on or off, and the
//! application's own data.

use crate::support;

use std::time::Duration;

use support::loopback::loopback;
use support::peer::{DEADLINE, Peer, eventually};
use telnetlib::{TelnetConnection, TelnetServer};

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
    let server = TelnetServer::builder()
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
