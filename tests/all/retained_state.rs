//! What a peer can make us keep. Subnegotiations for an option enabled on neither
//! side are dropped unread (RFC 855), and what is kept from allowed ones is bounded in
//! bytes, not only in count (hostile round two, item 2).

use crate::support;

use std::time::{Duration, Instant};

use support::peer::{DEADLINE, Peer};
use telnetlib::proto::{Engine, Event, Opt, Policy, ProtocolError};
use telnetlib::{Error, ServerConnection, TelnetConnection, TelnetServer};

const WAIT: Option<Duration> = Some(DEADLINE);

/// A game-loop server in line mode (it offers nothing the tests' peer must answer),
/// with `peer` connected, and the connection once handed out.
fn server_and_peer() -> (TelnetServer, Peer, ServerConnection) {
    let server = TelnetServer::builder()
        .line_mode(true)
        .offer_charset(false)
        .connect_maxwait(Duration::from_millis(100))
        .bind("127.0.0.1:0")
        .unwrap();
    let peer = Peer::connect(server.local_addr());
    let deadline = Instant::now() + DEADLINE;
    let connection = loop {
        server.poll(Duration::from_millis(10)).unwrap();
        if let Some(connection) = server.clients().first() {
            break connection.clone();
        }
        assert!(Instant::now() < deadline, "never handed out");
    };
    (server, peer, connection)
}

/// `IAC SB <opt> <payload> IAC SE`.
fn subnegotiation(opt: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0xff, 0xfa, opt];
    frame.extend_from_slice(payload);
    frame.extend_from_slice(b"\xff\xf0");
    frame
}

/// A NEW-ENVIRON `INFO USERVAR name VALUE value`.
fn environ_info(name: &str, value: &[u8]) -> Vec<u8> {
    let mut payload = vec![2, 3];
    payload.extend_from_slice(name.as_bytes());
    payload.push(1);
    payload.extend_from_slice(value);
    subnegotiation(39, &payload)
}

/// Sends a line after everything else and reads it on the connection: what came
/// before it has been processed.
fn sync(peer: &mut Peer, connection: &ServerConnection) {
    peer.send(b"sync\r\n");
    assert_eq!(connection.readline_str(WAIT).unwrap(), "sync\r\n");
}

#[test]
fn a_client_that_refused_an_option_cannot_hand_us_its_state() {
    let (_server, mut peer, connection) = server_and_peer();
    // Refused, then sent anyway: an environment, a terminal type, a location.
    peer.send(b"\xff\xfc\x27\xff\xfc\x18\xff\xfc\x17");
    peer.send(&environ_info("EVIL", b"1"));
    peer.send(&subnegotiation(24, b"\x00evil-term"));
    peer.send(&subnegotiation(23, b"somewhere"));
    // A window size is taken unasked, as telnetlib3 takes it.
    peer.send(&subnegotiation(31, b"\x00\x64\x00\x28"));
    sync(&mut peer, &connection);
    assert_eq!(connection.env("EVIL"), None);
    assert!(connection.environment().is_empty());
    assert!(connection.terminal_types().is_empty());
    assert_ne!(connection.terminal_type(), "evil-term");
    assert_eq!(connection.location(), None);
    assert_eq!((connection.columns(), connection.rows()), (100, 40));
}

#[test]
fn the_environment_a_client_keeps_sending_is_bounded_in_bytes() {
    let (_server, mut peer, connection) = server_and_peer();
    peer.send(b"\xff\xfb\x27");
    peer.send(&environ_info("FIRST", b"kept"));
    // 64 variables of 60,000 bytes each, as ASCII and as bytes that are not UTF-8
    // (each kept as U+FFFD, three bytes): 3.8 MB sent, 11 MB once decoded.
    for n in 0..64 {
        let filler = if n % 2 == 0 { b'a' } else { 0x80 };
        peer.send(&environ_info(&format!("V{n:03}"), &vec![filler; 60_000]));
    }
    peer.send(&environ_info("LAST", b"kept too"));
    sync(&mut peer, &connection);
    let environment = connection.environment();
    let bytes: usize = environment.iter().map(|(n, v)| n.len() + v.len()).sum();
    assert!(bytes <= 64 * 1024, "{bytes} bytes of environment kept");
    assert_eq!(environment.get("FIRST").map(String::as_str), Some("kept"));
    assert_eq!(
        environment.get("LAST").map(String::as_str),
        Some("kept too")
    );
    assert_eq!(environment.len(), 3, "{:?}", environment.keys());
}

#[test]
fn an_endless_terminal_type_ends_the_cycle_unkept() {
    let (_server, mut peer, connection) = server_and_peer();
    peer.send(b"\xff\xfb\x18");
    peer.receive_until(|got| got.windows(6).any(|w| w == b"\xff\xfa\x18\x01\xff\xf0"));
    let mut name = vec![0];
    name.extend(std::iter::repeat_n(b'x', 60_000));
    peer.send(&subnegotiation(24, &name));
    sync(&mut peer, &connection);
    assert!(connection.terminal_types().is_empty());
    assert!(!connection.terminal_type().contains("xxxx"));
}

#[test]
fn a_server_cannot_queue_mud_messages_for_an_option_it_never_enabled() {
    let mut server = Peer::bind();
    let conn = TelnetConnection::connect(server.addr()).unwrap();
    server.accept();
    // GMCP and MSSP, never offered: dropped, not queued.
    server.send(&subnegotiation(201, b"Char.Vitals {\"hp\":1}"));
    server.send(&subnegotiation(70, b"\x01NAME\x02evil"));
    server.send(b"sync\r\n");
    conn.read_until(b"sync\r\n", WAIT).unwrap();
    assert!(matches!(
        conn.read_gmcp(Some(Duration::ZERO)),
        Err(Error::Timeout { .. })
    ));
    assert_eq!(conn.mssp(), None);
}

#[test]
fn the_engine_gate_takes_subnegotiations_only_for_enabled_or_exempt_options() {
    let mut engine = Engine::new(Policy::server()).with_subnegotiation_gate(&[Opt::NAWS]);
    let mut heard = Vec::new();
    let mut feed = |engine: &mut Engine, bytes: &[u8]| {
        engine.receive(bytes, |event| match event {
            Event::Subnegotiation { opt, data } => heard.push(format!("sb {opt} {data:?}")),
            Event::Error(ProtocolError::SubnegotiationNotEnabled { opt }) => {
                heard.push(format!("not enabled {opt}"))
            }
            _ => {}
        });
    };
    // TTYPE before the peer's WILL, NAWS unasked, then TTYPE once enabled; split
    // anywhere, the same.
    let wire = b"\xff\xfa\x18\x00vt100\xff\xf0\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0\xff\xfb\x18\xff\xfa\x18\x00xterm\xff\xf0";
    for byte in wire {
        feed(&mut engine, std::slice::from_ref(byte));
    }
    assert_eq!(
        heard,
        [
            "not enabled TTYPE".to_owned(),
            format!("sb NAWS {:?}", b"\x00\x50\x00\x18"),
            format!("sb TTYPE {:?}", b"\x00xterm"),
        ]
    );
    // Without the gate (a bare parser), every subnegotiation is reported.
    let mut bare = Engine::new(Policy::server());
    let mut count = 0;
    bare.receive(b"\xff\xfa\x18\x00vt100\xff\xf0", |event| {
        count += usize::from(matches!(event, Event::Subnegotiation { .. }));
    });
    assert_eq!(count, 1);
}
