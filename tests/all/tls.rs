//! TELNETS: our client and server over TLS with a certificate made in the test, the
//! typed errors of a failed handshake, and MCCP refused over TLS.

use crate::support;

use std::time::Duration;

use support::certificate::Certificate;
use support::loopback::loopback;
use support::peer::{DEADLINE, Peer};
use telnetlib::proto::Opt;
use telnetlib::tls::{self, Roots};
use telnetlib::{Error, TelnetConnection, TelnetServer, Want};

const WAIT: Option<Duration> = Some(DEADLINE);

/// Builders for our server and client with the test's certificate.
trait Builders {
    fn server(&self) -> telnetlib::ServerBuilder;
    fn client(&self, name: &str) -> telnetlib::ClientBuilder;
}

impl Builders for Certificate {
    fn server(&self) -> telnetlib::ServerBuilder {
        TelnetServer::builder().tls(tls::server_config(&self.cert, &self.key).unwrap())
    }

    fn client(&self, name: &str) -> telnetlib::ClientBuilder {
        let roots = Roots::PemFile(self.cert.clone());
        TelnetConnection::builder().tls(tls::client_config(roots).unwrap(), name)
    }
}

#[test]
fn a_telnets_session_negotiates_and_carries_data_both_ways() {
    let certificate = Certificate::new();
    let (server, connection, conn) = loopback(
        certificate.server(),
        certificate.client("localhost").window_size(120, 40),
    );
    // Negotiation ran inside TLS: the server learned the window size.
    assert_eq!((connection.columns(), connection.rows()), (120, 40));
    assert!(conn.remote_option(Opt::ECHO));

    connection.send("hello over TLS\n").unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "hello over TLS\r\n");
    conn.write_str("typed line\n", WAIT).unwrap();
    assert_eq!(connection.readline_str(WAIT).unwrap(), "typed line\r\n");
    // The server performs ECHO: the line comes back.
    assert_eq!(conn.readline_str(WAIT).unwrap(), "typed line\r\n");

    // Far more than one TLS record (16 KiB), within the 1 MiB input buffer.
    let bulk: Vec<u8> = (0..900_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let sender = std::thread::spawn({
        let bulk = bulk.clone();
        move || {
            connection.send_bytes(&bulk).unwrap();
            connection.send_bytes(b"|").unwrap();
            connection
        }
    });
    let mut received = conn.read_until(b"|", WAIT).unwrap();
    received.pop();
    let first_difference = received.iter().zip(&bulk).position(|(a, b)| a != b);
    assert!(
        received == bulk,
        "the bulk bytes differ: {} received, first difference at {first_difference:?}",
        received.len()
    );
    let connection = sender.join().unwrap();

    // close_notify then FIN: the client sees an orderly end, after the last bytes.
    connection.send("bye\n").unwrap();
    connection.close();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "bye\r\n");
    assert!(matches!(conn.read_some(WAIT), Err(Error::Eof { .. })));
    drop(server);
}

/// A peer may end TLS with `close_notify` and wait for ours before closing TCP
/// (asyncio does, for 30 s). The client must take the alert as the end: deliver the
/// bytes before it, report `Eof`, and answer with its own `close_notify`.
#[test]
fn a_peers_close_notify_ends_the_session_and_is_answered() {
    use std::io::{Read, Write};

    let certificate = Certificate::new();
    let config = tls::server_config(&certificate.cert, &certificate.key).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        socket.set_read_timeout(WAIT).unwrap();
        let session = rustls::ServerConnection::new(config).unwrap();
        let mut stream = rustls::StreamOwned::new(session, socket);
        stream.write_all(b"last words\r\n").unwrap();
        stream.conn.send_close_notify();
        stream.flush().unwrap();
        // TCP stays open: only the client's close_notify (a clean end of the TLS
        // stream, `Ok(0)`) or the deadline (an error) ends this read.
        let mut received = Vec::new();
        stream.read_to_end(&mut received).map(|_| received)
    });
    let conn = certificate.client("localhost").connect(address).unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "last words\r\n");
    assert!(matches!(conn.read_some(WAIT), Err(Error::Eof { .. })));
    let received = peer.join().unwrap();
    assert!(received.is_ok(), "no close_notify came back: {received:?}");
}

#[test]
fn a_plain_telnet_client_gets_no_telnet_from_a_telnets_server() {
    let certificate = Certificate::new();
    let server = certificate.server().bind("127.0.0.1:0").unwrap();
    let mut client = Peer::connect(server.local_addr());
    // IAC WONT TTYPE is no ClientHello: the server answers with a TLS alert record
    // (content type 21) or nothing, and hangs up.
    client.send(b"\xff\xfc\x18\r\n");
    let received = client.receive_to_end();
    assert!(
        received.is_empty() || received[0] == 21,
        "{:?}",
        support::peer::escape(&received)
    );
    assert!(!received.windows(3).any(|w| w == b"\xff\xfd\x18"));
}

#[test]
fn a_handshake_that_never_finishes_costs_no_handler() {
    let certificate = Certificate::new();
    let server = certificate.server().bind("127.0.0.1:0").unwrap();
    // Half a ClientHello's record header, then gone; and a plain Telnet client. Each
    // sends its bytes and its end of stream at once, many times over, so the end
    // usually arrives together with the data.
    for first in [&b"\x16\x03\x01\x02"[..], b"\xff\xfc\x18\r\n"] {
        for _ in 0..50 {
            let mut client = Peer::connect(server.local_addr());
            client.send(first);
            client.close();
        }
        // The application accepts on (as `serve` does); nothing is ever handed out,
        // and the connections are gone as soon as their peers left: well before the
        // handshake's own deadline (10 s) would have ended them.
        let gone = support::peer::eventually(Duration::from_secs(5), || {
            match server.accept(Some(Duration::from_millis(50))) {
                Err(telnetlib::Error::Timeout { .. }) => server.client_count() == 0,
                other => panic!("handed out: {other:?}"),
            }
        });
        assert!(gone, "{} connections left", server.client_count());
    }
}

#[test]
fn compression_is_refused_over_tls() {
    let certificate = Certificate::new();
    let (server, connection, conn) = loopback(
        certificate.server().compression(true),
        certificate.client("localhost").compression(true),
    );
    assert!(!conn.remote_option(Opt::MCCP2));
    assert!(!conn.remote_option(Opt::MCCP3));
    assert!(!connection.local_option(Opt::MCCP2));
    // Asked anyway, the server refuses.
    conn.request_do(Opt::MCCP2).unwrap();
    conn.wait_for(&[Want::NotPending(Opt::MCCP2)], WAIT)
        .unwrap();
    assert!(!conn.remote_option(Opt::MCCP2));
    assert_eq!(conn.compression(), (false, false));
    assert_eq!(connection.compression(), (false, false));
    drop(server);
}

#[test]
fn an_untrusted_certificate_fails_with_a_typed_error() {
    let certificate = Certificate::new();
    let server = certificate.server().bind("127.0.0.1:0").unwrap();
    let strict = TelnetConnection::builder()
        .tls(tls::client_config(Roots::System).unwrap(), "localhost")
        .connect(server.local_addr())
        .unwrap();
    match strict.read_some(WAIT) {
        Err(Error::Tls { reason, .. }) => {
            assert!(reason.contains("certificate"), "{reason}");
        }
        other => panic!("expected a certificate error, got {other:?}"),
    }

    // The right root but the wrong name fails the same way.
    let misnamed = certificate
        .client("telnet.example")
        .connect(server.local_addr())
        .unwrap();
    assert!(matches!(misnamed.read_some(WAIT), Err(Error::Tls { .. })));
}

#[test]
fn a_self_signed_certificate_marked_as_a_ca_is_trusted_from_its_own_file() {
    let certificate = Certificate::new_marked_as_ca();
    let (server, connection, conn) =
        loopback(certificate.server(), certificate.client("localhost"));
    connection.send("pinned\n").unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "pinned\r\n");

    // Its name is still checked.
    let misnamed = certificate
        .client("telnet.example")
        .connect(server.local_addr())
        .unwrap();
    match misnamed.read_some(WAIT) {
        Err(Error::Tls { reason, .. }) => assert!(reason.contains("certificate"), "{reason}"),
        other => panic!("expected a certificate error, got {other:?}"),
    }
    // And a file holding some other certificate does not vouch for it.
    let stranger = Certificate::new_marked_as_ca();
    let untrusted = stranger
        .client("localhost")
        .connect(server.local_addr())
        .unwrap();
    assert!(matches!(untrusted.read_some(WAIT), Err(Error::Tls { .. })));
}

#[test]
fn a_certificate_with_only_a_common_name_is_checked_by_it() {
    let certificate = Certificate::new_common_name_only();
    let (server, connection, conn) =
        loopback(certificate.server(), certificate.client("localhost"));
    connection.send("by common name\n").unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "by common name\r\n");
    let misnamed = certificate
        .client("telnet.example")
        .connect(server.local_addr())
        .unwrap();
    assert!(matches!(misnamed.read_some(WAIT), Err(Error::Tls { .. })));
}

#[test]
fn no_verify_accepts_any_certificate_for_test_rigs() {
    let certificate = Certificate::new();
    let (server, connection, conn) = loopback(
        certificate.server(),
        TelnetConnection::builder().tls(tls::client_config(Roots::NoVerify).unwrap(), "anything"),
    );
    connection.send("unchecked\n").unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "unchecked\r\n");
    drop(server);
}

#[test]
fn bad_certificate_files_are_invalid_input_naming_the_file() {
    let certificate = Certificate::new();
    let missing = certificate.dir.join("missing.pem");
    match tls::server_config(&missing, &certificate.key) {
        Err(Error::InvalidInput { message }) => {
            assert!(message.contains("missing.pem"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // A key file given as the certificate chain holds no certificate.
    match tls::client_config(Roots::PemFile(certificate.key.clone())) {
        Err(Error::InvalidInput { message }) => assert!(message.contains("key.pem"), "{message}"),
        other => panic!("{other:?}"),
    }
    let bad_name = certificate
        .client("not a host name!")
        .connect("127.0.0.1:9");
    assert!(matches!(bad_name, Err(Error::InvalidInput { .. })));
}

#[test]
fn tls_auto_serves_tls_and_plain_telnet_on_one_port() {
    let certificate = Certificate::new();
    let server = certificate
        .server()
        .tls_auto(Duration::from_millis(300))
        .bind("127.0.0.1:0")
        .unwrap();

    // A TLS client: its ClientHello starts with 0x16.
    let secure = certificate
        .client("localhost")
        .connect(server.local_addr())
        .unwrap();
    let secure_side = server.accept(WAIT).unwrap();
    secure_side.send("over TLS\n").unwrap();
    assert_eq!(secure.readline_str(WAIT).unwrap(), "over TLS\r\n");

    // A plain Telnet client that speaks first is answered at once, in plain Telnet.
    let mut talker = Peer::connect(server.local_addr());
    let started = std::time::Instant::now();
    talker.send(b"\xff\xfb\x18");
    talker.receive_until(|got| got.windows(3).any(|w| w == b"\xff\xfa\x18"));
    assert!(started.elapsed() < Duration::from_millis(300));

    // A plain client that waits for the server hears it after the wait.
    let mut waiter = Peer::connect(server.local_addr());
    let started = std::time::Instant::now();
    waiter.receive_until(|got| got.starts_with(b"\xff\xfd\x18"));
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn tls_auto_without_a_certificate_is_refused_at_bind() {
    let refused = TelnetServer::builder()
        .tls_auto(Duration::from_millis(500))
        .bind("127.0.0.1:0");
    assert!(matches!(refused, Err(Error::InvalidInput { .. })));
}

#[test]
fn tls_info_tells_what_the_session_agreed_on() {
    let certificate = Certificate::new();
    let (server, connection, conn) =
        loopback(certificate.server(), certificate.client("localhost"));
    connection.send("ready\n").unwrap();
    conn.readline(WAIT).unwrap();
    let ours = conn.tls_info().expect("the client's view");
    let theirs = connection.tls_info().expect("the server's view");
    assert_eq!(ours.protocol_version, tls::rustls::ProtocolVersion::TLSv1_3);
    assert_eq!(ours.protocol_version, theirs.protocol_version);
    assert_eq!(ours.cipher_suite, theirs.cipher_suite);
    assert!(ours.key_exchange_group.is_some());
    // The client sees the server's certificate; the server saw the name asked for.
    let pem = std::fs::read_to_string(&certificate.cert).unwrap();
    use tls::rustls::pki_types::pem::PemObject;
    let der = tls::rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    assert_eq!(ours.peer_certificates, vec![der]);
    assert!(theirs.peer_certificates.is_empty());
    assert_eq!(theirs.server_name.as_deref(), Some("localhost"));
    drop(server);

    // Plain Telnet has none.
    let (server, connection, conn) = loopback(TelnetServer::builder(), TelnetConnection::builder());
    assert!(conn.tls_info().is_none() && connection.tls_info().is_none());
    drop(server);
}

#[test]
fn a_peer_that_closes_during_the_handshake_is_a_tls_failure() {
    let certificate = Certificate::new();
    let mut peer = Peer::bind();
    let conn = certificate
        .client("localhost")
        .connect(peer.addr())
        .unwrap();
    peer.accept();
    // It reads the whole ClientHello (so its close is an orderly FIN, not a reset
    // for unread data), and answers nothing.
    peer.receive_until(|got| {
        got.len() >= 5 && got.len() >= 5 + usize::from(u16::from_be_bytes([got[3], got[4]]))
    });
    peer.close();
    match conn.read_some(WAIT) {
        Err(Error::Tls { reason, .. }) => assert!(reason.contains("handshake"), "{reason}"),
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

#[test]
fn a_tls_auto_wait_too_long_for_the_clock_still_serves() {
    let certificate = Certificate::new();
    let server = certificate
        .server()
        .tls_auto(Duration::MAX)
        .bind("127.0.0.1:0")
        .unwrap();
    let mut talker = Peer::connect(server.local_addr());
    talker.send(b"\xff\xfb\x18");
    talker.receive_until(|got| got.windows(3).any(|w| w == b"\xff\xfd\x18"));
}
