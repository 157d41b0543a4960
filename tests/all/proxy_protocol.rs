//! A server behind a TCP load balancer: with `proxy_protocol(true)`, each connection
//! starts with a PROXY header (v1 text or v2 binary) and `address()` is the real
//! client; malformed or missing headers close the connection, health checks are
//! never handed out, and with `proxy_from` only the balancers may connect at all.

use crate::support;

use std::thread;
use std::time::{Duration, Instant};

use support::peer::eventually;
use support::peer::{DEADLINE, Peer};
use telnetlib::proto::{Engine, Policy};
use telnetlib::{Error, ServerBuilder, ServerConnection, TelnetServer};

/// Connects through a pretend balancer that sends `header` first, answers the
/// negotiation (refusing everything), and returns the server's view.
fn through_balancer(header: &[u8]) -> (TelnetServer, ServerConnection, Peer) {
    through_balancer_to(TelnetServer::builder().proxy_protocol(true), header)
}

fn through_balancer_to(
    builder: ServerBuilder,
    header: &[u8],
) -> (TelnetServer, ServerConnection, Peer) {
    let server = builder.bind("127.0.0.1:0").unwrap();
    let mut balancer = Peer::connect(server.local_addr());
    balancer.send(header);
    let mut engine = Engine::new(Policy::new());
    let connection = thread::scope(|scope| {
        let accepted = scope.spawn(|| server.accept(Some(DEADLINE)).unwrap());
        balancer.negotiate_until(&mut engine, || accepted.is_finished());
        accepted.join().unwrap()
    });
    (server, connection, balancer)
}

#[test]
fn a_v1_header_names_the_client() {
    let (_server, connection, mut balancer) =
        through_balancer(b"PROXY TCP4 203.0.113.9 192.0.2.1 40000 23\r\n");
    assert_eq!(connection.address(), "203.0.113.9");
    assert_eq!(connection.port(), 40000);
    assert_eq!(connection.addrport(), "203.0.113.9:40000");
    assert_eq!(
        connection.peer_addr(),
        Some("203.0.113.9:40000".parse().unwrap())
    );
    assert_eq!(
        connection.balancer_addr(),
        Some(balancer.socket().local_addr().unwrap())
    );
    // The Telnet stream goes on after the header.
    balancer.send(b"hello\r\n");
    assert_eq!(
        connection.readline_str(Some(DEADLINE)).unwrap().trim_end(),
        "hello"
    );
}

#[test]
fn a_v2_header_names_an_ipv6_client() {
    let mut header = b"\r\n\r\n\0\r\nQUIT\n\x21\x21\x00\x24".to_vec();
    header.extend(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7).octets());
    header.extend([0u8; 16]);
    header.extend(4000u16.to_be_bytes());
    header.extend(23u16.to_be_bytes());
    let (_server, connection, _balancer) = through_balancer(&header);
    assert_eq!(connection.address(), "2001:db8::7");
    assert_eq!(connection.addrport(), "[2001:db8::7]:4000");
}

#[test]
fn a_client_of_unknown_address_keeps_the_balancers() {
    let (_server, connection, _balancer) = through_balancer(b"PROXY UNKNOWN\r\n");
    assert_eq!(connection.address(), "127.0.0.1");
    assert_eq!(connection.balancer_addr(), None);
}

/// A connection the server never hands out: `accept` finds nobody, and the
/// connection is gone from the count.
fn assert_never_handed_out(server: &TelnetServer) {
    match server.accept(Some(Duration::from_millis(300))) {
        Err(Error::Timeout { .. }) => {}
        other => panic!("handed out: {other:?}"),
    }
    assert!(
        eventually(DEADLINE, || server.client_count() == 0),
        "{} connections left",
        server.client_count()
    );
}

#[test]
fn health_checks_are_answered_quietly_and_never_handed_out() {
    let server = TelnetServer::builder()
        .proxy_protocol(true)
        .bind("127.0.0.1:0")
        .unwrap();
    // HAProxy's check-send-proxy: a v2 LOCAL header; the server closes.
    let mut check = Peer::connect(server.local_addr());
    check.send(b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00");
    assert_eq!(check.receive_to_end(), b"");
    assert_never_handed_out(&server);
    // A plain TCP check: connect and close before any header.
    let mut check = Peer::connect(server.local_addr());
    check.close();
    assert_never_handed_out(&server);
    // HAProxy's v1 check (v1 has no LOCAL): its own address in a header, then close.
    let mut check = Peer::connect(server.local_addr());
    check.send(b"PROXY TCP4 127.0.0.1 127.0.0.1 54116 23\r\n");
    check.close();
    assert_never_handed_out(&server);
    // The server still serves the next client.
    let mut balancer = Peer::connect(server.local_addr());
    balancer.send(b"PROXY TCP4 198.51.100.4 192.0.2.1 5555 23\r\n");
    let mut engine = Engine::new(Policy::new());
    let connection = thread::scope(|scope| {
        let accepted = scope.spawn(|| server.accept(Some(DEADLINE)).unwrap());
        balancer.negotiate_until(&mut engine, || accepted.is_finished());
        accepted.join().unwrap()
    });
    assert_eq!(connection.address(), "198.51.100.4");
}

#[test]
fn only_the_named_balancers_may_connect() {
    // Loopback is not in 10.0.0.0/8: refused before it can send a header.
    let server = TelnetServer::builder()
        .proxy_from("10.0.0.0/8")
        .bind("127.0.0.1:0")
        .unwrap();
    let mut forger = Peer::connect(server.local_addr());
    forger.send(b"PROXY TCP4 203.0.113.9 192.0.2.1 40000 23\r\n");
    assert_eq!(forger.receive_to_end(), b"");
    assert_never_handed_out(&server);

    // From a named one, the header is taken.
    let trusted = TelnetServer::builder()
        .proxy_from("10.0.0.0/8")
        .proxy_from("127.0.0.1/32");
    let (_server, connection, _balancer) =
        through_balancer_to(trusted, b"PROXY TCP4 203.0.113.9 192.0.2.1 40000 23\r\n");
    assert_eq!(connection.address(), "203.0.113.9");
}

#[test]
fn a_named_balancer_without_a_header_is_refused() {
    let server = TelnetServer::builder()
        .proxy_from("127.0.0.1")
        .bind("127.0.0.1:0")
        .unwrap();
    let mut client = Peer::connect(server.local_addr());
    client.send(b"\xff\xfc\x18hello\r\n");
    client.receive_to_end();
    assert_never_handed_out(&server);
}

#[test]
fn a_malformed_network_is_refused_at_bind() {
    match TelnetServer::builder()
        .proxy_from("10.0.0.0/40")
        .bind("127.0.0.1:0")
    {
        Err(Error::InvalidInput { message }) => {
            assert!(message.contains("10.0.0.0/40"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_connection_without_a_valid_header_is_closed() {
    for bad in [
        &b"\xff\xfc\x18hello\r\n"[..],
        b"PROXY TCP4 not-an-address 192.0.2.1 1 2\r\n",
    ] {
        let server = TelnetServer::builder()
            .proxy_protocol(true)
            .connect_maxwait(Duration::from_millis(100))
            .bind("127.0.0.1:0")
            .unwrap();
        let mut client = Peer::connect(server.local_addr());
        client.send(bad);
        // The connection ends without a byte: nothing is sent before the header.
        let seen = client.receive_to_end();
        assert!(seen.is_empty(), "{seen:?}");
        // No client to hand out.
        assert_never_handed_out(&server);
    }
}

#[test]
fn a_header_that_never_completes_is_closed_at_the_handshake_timeout() {
    let wait = Duration::from_millis(300);
    let server = TelnetServer::builder()
        .proxy_protocol(true)
        .handshake_timeout(wait)
        .bind("127.0.0.1:0")
        .unwrap();
    let mut client = Peer::connect(server.local_addr());
    let started = Instant::now();
    client.send(b"PROXY TCP4 192.0.2.1 ");
    // Nothing comes, and the connection is closed at the setting, well before the
    // default 10 s.
    let seen = client.receive_to_end();
    let took = started.elapsed();
    assert!(seen.is_empty(), "{seen:?}");
    assert!(took >= wait && took < Duration::from_secs(5), "{took:?}");
    assert_never_handed_out(&server);
}
