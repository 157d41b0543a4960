//! The peer resets the connection (RST) at every phase, and half-closes it
//! (shuts its write side) while data still flows our way.

use std::io::{ErrorKind, Read};
use std::net::Shutdown;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use telnetlib::{Error, TelnetConnection, TelnetServer};

use super::*;

/// Whether `error` is the socket error a reset gives (the reset itself, or a write
/// into the reset connection).
fn is_reset(error: &Error) -> bool {
    matches!(error, Error::Io { source, .. }
        if matches!(source.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe))
}

/// A server whose handler reports, through the channel, the error that ended it.
fn reporting_server(
    handler: impl Fn(&ServerConnection) -> Error + Send + Sync + 'static,
) -> (Served, mpsc::Receiver<(Error, Instant)>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let served = Served::start(
        TelnetServer::builder()
            .line_mode(true)
            .connect_maxwait(Duration::from_millis(200)),
        move |client| {
            let error = handler(&client);
            let _ = tx.lock().unwrap().send((error, Instant::now()));
        },
    );
    (served, rx)
}

/// The handler's `readline` loop: the error that ended it.
fn read_lines(client: &ServerConnection) -> Error {
    loop {
        if let Err(error) = client.readline(None) {
            return error;
        }
    }
}

fn wait_for_error(rx: &mpsc::Receiver<(Error, Instant)>) -> (Error, Instant) {
    rx.recv_timeout(DEADLINE)
        .expect("the handler did not return after the reset")
}

#[test]
fn a_reset_during_negotiation_ends_the_connection_cleanly() {
    let _serial = serial();
    let baseline = Baseline::take();
    let (served, rx) = reporting_server(|client| match client.send("ready\n") {
        Ok(()) => read_lines(client),
        Err(error) => error,
    });
    let mut peer = Peer::connect(served.addr());
    peer.expect(b"\xff\xfd\x18"); // IAC DO TTYPE: negotiation has begun
    peer.reset();
    let (error, _) = wait_for_error(&rx);
    assert!(is_reset(&error), "{error:?}");
    assert!(eventually(DEADLINE, || served.server.client_count() == 0));
    // The next client is served as usual.
    drop(Probe::connect(served.addr(), DEADLINE));
    served.stop();
    baseline.assert_restored("after a reset during negotiation");
}

/// The handler is blocked reading (in `read_until`) when the peer, having sent
/// `prelude`, resets: the read fails at once with the reset, not a timeout or EOF.
fn reset_while_the_handler_reads(prelude: &[u8]) {
    let _serial = serial();
    let baseline = Baseline::take();
    let (served, rx) = reporting_server(|client| {
        if let Err(error) = client.send("ready\n") {
            return error;
        }
        client.read_until(b"never comes", None).unwrap_err()
    });
    let mut peer = ready_peer(served.addr());
    peer.send(prelude);
    peer.expect_nothing_more(); // the server has read the prelude
    let reset_at = Instant::now();
    peer.reset();
    let (error, at) = wait_for_error(&rx);
    assert!(is_reset(&error), "{error:?}");
    let took = at - reset_at;
    assert!(
        took < LATENCY_BOUND,
        "the reset took {took:?} to reach the reader"
    );
    assert!(eventually(DEADLINE, || served.server.client_count() == 0));
    served.stop();
    baseline.assert_restored("after a reset while reading");
}

#[test]
fn a_reset_while_the_handler_is_in_read_until_fails_the_read() {
    reset_while_the_handler_reads(b"some data without the pattern\r\n");
}

#[test]
fn a_reset_mid_subnegotiation_fails_the_read() {
    // IAC SB TTYPE IS "xte", the rest never sent.
    reset_while_the_handler_reads(b"\xff\xfa\x18\x00xte");
}

#[test]
fn a_reset_mid_write_fails_the_write_at_once() {
    let _serial = serial();
    let baseline = Baseline::take();
    let (served, rx) = reporting_server(|client| {
        let block = vec![b'w'; 64 << 10];
        loop {
            if let Err(error) = client.send_bytes(&block) {
                return error;
            }
        }
    });
    let mut peer = Peer::connect(served.addr());
    // Read some of the flow, then reset with the rest unread.
    peer.receive_until(|got| got.len() > 256 << 10);
    let reset_at = Instant::now();
    peer.reset();
    let (error, at) = wait_for_error(&rx);
    assert!(is_reset(&error), "{error:?}");
    let took = at - reset_at;
    assert!(took < LATENCY_BOUND, "the write took {took:?} to fail");
    assert!(eventually(DEADLINE, || served.server.client_count() == 0));
    served.stop();
    baseline.assert_restored("after a reset mid-write");
}

#[test]
fn a_half_closed_client_still_gets_everything_the_handler_sends() {
    let _serial = serial();
    let baseline = Baseline::take();
    let payload: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i % 251) as u8)
        .filter(|&b| b != b'E')
        .collect();
    let sent = payload.clone();
    let (served, rx) = reporting_server(move |client| {
        let line = client.readline(None).unwrap();
        assert_eq!(line, b"last words\r\n");
        let end = client.readline(None).unwrap_err();
        assert!(end.is_eof(), "{end:?}");
        client.send_bytes(&sent).unwrap();
        client.send("END\n").unwrap();
        end
    });
    let mut peer = Peer::connect(served.addr());
    peer.send(b"last words\r\n");
    peer.socket().shutdown(Shutdown::Write).unwrap();
    let (error, _) = wait_for_error(&rx);
    assert!(error.is_eof(), "{error:?}");
    let received = peer.receive_to_end();
    let start = received.len() - payload.len() - 5;
    assert!(received.ends_with(b"END\r\n"));
    assert!(
        received[start..received.len() - 5] == payload[..],
        "the data after the half-close arrived changed"
    );
    drop(peer);
    served.stop();
    baseline.assert_restored("after a half-close");
}

#[test]
fn a_client_blocked_in_read_until_sees_the_servers_reset() {
    let _serial = serial();
    let baseline = Baseline::take();
    let (conn, mut server) = client_of_raw_server(TelnetConnection::builder());
    server.send(b"partial line");
    conn.read_until(b"partial", Some(DEADLINE)).unwrap();
    let (tx, rx) = mpsc::channel();
    let reading = std::thread::spawn(move || {
        let result = conn.read_until(b"never comes", None);
        tx.send(Instant::now()).unwrap();
        (result, conn)
    });
    // The reader is blocked (nothing more to read); then the server resets.
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    let reset_at = Instant::now();
    server.reset();
    let at = rx
        .recv_timeout(DEADLINE)
        .expect("read_until stayed blocked");
    let (result, conn) = reading.join().unwrap();
    let error = result.unwrap_err();
    assert!(is_reset(&error), "{error:?}");
    assert!(at - reset_at < LATENCY_BOUND);
    // What was received before the reset is still read first, then the reset again;
    // writes report it too.
    assert_eq!(conn.read_some(Some(DEADLINE)).unwrap(), b" line");
    assert!(is_reset(&conn.read_some(Some(DEADLINE)).unwrap_err()));
    assert!(is_reset(
        &conn.write_bytes(b"x", Some(DEADLINE)).unwrap_err()
    ));
    drop((conn, server));
    baseline.assert_restored("after a reset of the client");
}

#[test]
fn a_half_closed_server_can_still_be_written_to() {
    let _serial = serial();
    let baseline = Baseline::take();
    let (conn, mut server) = client_of_raw_server(TelnetConnection::builder());
    server.send(b"bye\r\n");
    server.socket().shutdown(Shutdown::Write).unwrap();
    assert_eq!(conn.readline(Some(DEADLINE)).unwrap(), b"bye\r\n");
    assert!(conn.read_some(Some(DEADLINE)).unwrap_err().is_eof());
    let data = vec![b'd'; 1 << 20];
    conn.write_bytes(&data, Some(DEADLINE)).unwrap();
    conn.write_str("done\n", Some(DEADLINE)).unwrap();
    conn.flush_within(Some(DEADLINE)).unwrap();
    let mut socket = server.socket().try_clone().unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 65536];
    while !received.ends_with(b"done\r\n") {
        let n = socket.read(&mut buffer).unwrap();
        assert!(n > 0, "the client's data after the half-close was lost");
        received.extend_from_slice(&buffer[..n]);
    }
    assert!(contains(&received, &data), "the data arrived changed");
    drop((conn, socket, server));
    baseline.assert_restored("after a half-closed server");
}
