//! A server behind a TCP load balancer: with `proxy_protocol(true)`, each connection
//! starts with a PROXY header (v1 text or v2 binary) and `address()` is the real
//! client; malformed or missing headers close the connection.

use crate::support;

use std::thread;
use std::time::Duration;

use support::peer::{DEADLINE, Peer};
use telnetlib::proto::{Engine, Policy};
use telnetlib::{ServerConnection, TelnetServer};

/// Connects through a pretend balancer that sends `header` first, answers the
/// negotiation (refusing everything), and returns the server's view.
fn through_balancer(header: &[u8]) -> (TelnetServer, ServerConnection, Peer) {
    let server = TelnetServer::builder()
        .proxy_protocol(true)
        .bind("127.0.0.1:0")
        .unwrap();
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
fn a_health_check_keeps_the_balancers_address() {
    let (_server, connection, _balancer) = through_balancer(b"PROXY UNKNOWN\r\n");
    assert_eq!(connection.address(), "127.0.0.1");
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
        // The connection ends, having seen at most the greeting (sent as the
        // connection starts, possibly before the header is judged).
        let seen = client.receive_to_end();
        assert!(b"\xff\xfd\x18".starts_with(&seen), "{seen:?}");
        // Handed out to be seen leaving, it is already over.
        let connection = server.accept(Some(DEADLINE)).unwrap();
        assert!(!connection.active() || connection.read_some(Some(DEADLINE)).is_err());
    }
}
