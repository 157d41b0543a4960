//! MCCP2 (server to client) and MCCP3 (client to server) compression: the stream
//! switches at the exact byte after `IAC SB MCCP2 IAC SE` / `IAC SB MCCP3 IAC SE`,
//! every byte survives, a compressed stream that expands hugely stays bounded, a
//! corrupt one is a typed error, and a finished one gives way to plain bytes.

use crate::support;

use std::io::Write;
use std::thread;
use std::time::Duration;

use flate2::write::ZlibEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};
use support::loopback::loopback;
use support::peer::{DEADLINE, Peer};
use telnetlib::proto::Opt;
use telnetlib::proto::msdp::Value;
use telnetlib::{Error, TelnetConnection, TelnetServer, Want};

const WAIT: Option<Duration> = Some(DEADLINE);
const MCCP2_MARKER: &[u8] = b"\xff\xfa\x56\xff\xf0";
const MCCP3_MARKER: &[u8] = b"\xff\xfa\x57\xff\xf0";

/// Deterministic bytes that compress, but not to nothing: words from a small
/// alphabet, with 0xFF (doubled on the wire) and no CR (whose NUL rules would change
/// what arrives outside BINARY).
fn sample(len: usize) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            match (seed >> 16) % 40 {
                0 => 0xff,
                1 => b'\n',
                n => b'a' + (n % 26) as u8,
            }
        })
        .collect()
}

fn zlib(data: &[u8], finish: bool) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    if finish {
        encoder.finish().unwrap()
    } else {
        encoder.flush().unwrap();
        encoder.get_ref().clone()
    }
}

/// Inflates `wire` until the stream ends or the bytes run out: (plain, used, ended).
fn inflate(wire: &[u8]) -> (Vec<u8>, usize, bool) {
    let mut inflater = Decompress::new(true);
    let mut plain = Vec::with_capacity(wire.len() * 8 + 1024);
    loop {
        plain.reserve(64 * 1024);
        let status = inflater
            .decompress_vec(
                &wire[inflater.total_in() as usize..],
                &mut plain,
                FlushDecompress::None,
            )
            .expect("a valid zlib stream");
        let used = inflater.total_in() as usize;
        if status == Status::StreamEnd {
            return (plain, used, true);
        }
        if used == wire.len() && plain.len() < plain.capacity() {
            return (plain, used, false);
        }
    }
}

fn position(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Escapes 0xFF as the sender does (IAC IAC).
fn escaped(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    telnetlib::proto::nvt::escape_iac(data, &mut out);
    out
}

#[test]
fn our_client_reads_every_byte_our_server_compresses() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().compression(true),
        TelnetConnection::builder(),
    );
    conn.wait_for(&[Want::RemoteEnabled(Opt::MCCP2)], WAIT)
        .unwrap();
    let data = sample(300_000);
    let sender = thread::spawn({
        let data = data.clone();
        move || {
            connection.send_bytes(&data).unwrap();
            connection.send_bytes(b"<end>").unwrap();
            connection
        }
    });
    let mut received = conn.read_until(b"<end>", WAIT).unwrap();
    received.truncate(received.len() - 5);
    assert_eq!(received.len(), data.len());
    assert!(received == data, "the decompressed bytes differ");
    // The server offered MCCP3 too, so the client compresses as well.
    assert_eq!(conn.compression(), (true, true));
    let connection = sender.join().unwrap();
    assert!(connection.compression().0);
    drop(server);
}

#[test]
fn the_server_compresses_from_the_byte_after_its_marker() {
    let server = TelnetServer::builder()
        .compression(true)
        .connect_maxwait(Duration::from_millis(200))
        .bind("127.0.0.1:0")
        .unwrap();
    let mut client = Peer::connect(server.local_addr());
    // WILL MCCP2, WILL MCCP3, DO TTYPE: the offers in option order.
    client.expect(b"\xff\xfb\x56\xff\xfb\x57\xff\xfd\x18");
    client.send(b"\xff\xfd\x56\xff\xfc\x18");
    let connection = server.accept(WAIT).unwrap();
    let data = sample(50_000);
    connection.send_bytes(&data).unwrap();
    let wire = client.receive_until(|got| {
        position(got, MCCP2_MARKER).is_some_and(|at| {
            let (plain, _, _) = inflate(&got[at + MCCP2_MARKER.len()..]);
            plain.ends_with(&escaped(&data))
        })
    });
    let at = position(&wire, MCCP2_MARKER).unwrap();
    assert!(
        wire[..at].chunks(3).all(|command| command[0] == 0xff),
        "only negotiation before the marker: {:?}",
        support::peer::escape(&wire[..at])
    );
    let mut stream = wire[at + MCCP2_MARKER.len()..].to_vec();
    let (plain, _, ended) = inflate(&stream);
    assert!(!ended);
    // The server's further requests (sent after the marker) come first, compressed.
    let before = &plain[..plain.len() - escaped(&data).len()];
    assert!(
        before.chunks(3).all(|command| command[0] == 0xff),
        "{before:?}"
    );

    // DONT MCCP2: the server answers inside the stream, finishes it and goes on plain.
    client.send(b"\xff\xfe\x56");
    stream.extend(client.receive_until(|got| {
        let mut all = stream.clone();
        all.extend_from_slice(got);
        inflate(&all).2
    }));
    let (plain, used, _) = inflate(&stream);
    assert!(plain.ends_with(b"\xff\xfc\x56"), "WONT MCCP2, then the end");
    let mut rest = stream[used..].to_vec();
    connection.send("plain again").unwrap();
    rest.extend(client.receive_until(|got| got.ends_with(b"plain again")));
    assert_eq!(rest, b"plain again");
    assert_eq!(connection.compression(), (false, false));
}

#[test]
fn the_switch_is_found_inside_one_segment_and_across_any_split() {
    let data = sample(40_000);
    let mut stream = MCCP2_MARKER.to_vec();
    stream.extend(zlib(&escaped(&data), true));
    stream.extend_from_slice(b"after the stream\n");
    for pieces in [1, 2, 3, 7, 64] {
        let mut peer = Peer::bind();
        let conn = TelnetConnection::connect(peer.addr()).unwrap();
        peer.accept();
        peer.send(b"\xff\xfb\x56");
        peer.expect(b"\xff\xfd\x56");
        // One write for everything, or the bytes cut into pieces at odd places
        // (the first cut falls inside the marker).
        let size = stream.len().div_ceil(pieces);
        let mut at = 0;
        while at < stream.len() {
            let end = if at == 0 && pieces > 1 {
                3
            } else {
                (at + size).min(stream.len())
            };
            peer.send(&stream[at..end]);
            at = end;
        }
        let mut expected = data.clone();
        expected.extend_from_slice(b"after the stream\n");
        let received = conn.read_until(b"after the stream\n", WAIT).unwrap();
        assert!(received == expected, "split into {pieces} pieces");
        assert_eq!(conn.compression(), (false, false), "the stream ended");
    }
}

#[test]
fn our_client_compresses_what_it_sends_after_mccp3() {
    let mut server = Peer::bind();
    let conn = TelnetConnection::connect(server.addr()).unwrap();
    server.accept();
    server.send(b"\xff\xfb\x57");
    server.expect(b"\xff\xfd\x57");
    server.expect(MCCP3_MARKER);
    assert_eq!(conn.compression(), (true, false));
    let data = sample(100_000);
    conn.write_bytes(&data, WAIT).unwrap();
    let wire = server.receive_until(|got| inflate(got).0.len() >= escaped(&data).len());
    assert_eq!(inflate(&wire).0, escaped(&data));
}

#[test]
fn our_server_decompresses_what_our_client_sends() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().compression(true),
        TelnetConnection::builder(),
    );
    conn.wait_for(&[Want::RemoteEnabled(Opt::MCCP3)], WAIT)
        .unwrap();
    let lines: Vec<String> = (0..2000).map(|i| format!("say line {i} ÿ")).collect();
    for line in &lines {
        conn.write_str(&format!("{line}\r\n"), WAIT).unwrap();
    }
    for line in &lines {
        assert_eq!(
            connection.readline_str(WAIT).unwrap(),
            format!("{line}\r\n")
        );
    }
    assert_eq!(connection.compression(), (true, true));
    drop(server);
}

#[test]
fn a_decompression_bomb_waits_compressed_until_it_is_read() {
    const LIMIT: usize = 64 * 1024;
    const TOTAL: usize = 64 << 20;
    let mut peer = Peer::bind();
    let conn = TelnetConnection::builder()
        .max_input_buffer(LIMIT)
        .connect(peer.addr())
        .unwrap();
    peer.accept();
    peer.send(b"\xff\xfb\x56");
    peer.expect(b"\xff\xfd\x56");
    // 64 MiB of one letter compresses to about 64 KiB: all of it fits in the
    // socket buffers, so the client has it all and must hold it compressed.
    let bomb = zlib(&vec![b'z'; TOTAL], true);
    assert!(bomb.len() < 100_000, "{}", bomb.len());
    let writer = thread::spawn(move || {
        peer.send(MCCP2_MARKER);
        peer.send(&bomb);
        peer.send(b"!");
        peer
    });
    let mut received = 0usize;
    loop {
        let chunk = conn.read_some(WAIT).unwrap();
        assert!(chunk.len() <= LIMIT, "a read gave {} bytes", chunk.len());
        if chunk.ends_with(b"!") {
            received += chunk.len() - 1;
            assert!(chunk[..chunk.len() - 1].iter().all(|&b| b == b'z'));
            break;
        }
        assert!(chunk.iter().all(|&b| b == b'z'));
        received += chunk.len();
    }
    assert_eq!(received, TOTAL);
    drop(writer.join().unwrap());
}

#[test]
fn a_corrupt_stream_ends_the_connection_with_a_typed_error() {
    let mut peer = Peer::bind();
    let conn = TelnetConnection::connect(peer.addr()).unwrap();
    peer.accept();
    peer.send(b"\xff\xfb\x56");
    peer.expect(b"\xff\xfd\x56");
    peer.send(b"kept\n");
    peer.send(MCCP2_MARKER);
    peer.send(b"this is not a zlib stream");
    assert_eq!(conn.readline(WAIT).unwrap(), b"kept\n");
    match conn.read_some(WAIT) {
        Err(Error::Compression { reason, .. }) => {
            assert!(reason.contains("corrupt MCCP2 stream"), "{reason}");
        }
        other => panic!("expected the corrupt stream's error, got {other:?}"),
    }
}

#[test]
fn compression_is_off_unless_asked_for() {
    // The server does not offer it by default.
    let server = TelnetServer::bind("127.0.0.1:0").unwrap();
    let mut client = Peer::connect(server.local_addr());
    client.expect(b"\xff\xfd\x18");
    client.send(b"\xff\xfd\x56");
    client.expect(b"\xff\xfc\x56");

    // A client told not to refuses the offer.
    let mut peer = Peer::bind();
    let _conn = TelnetConnection::builder()
        .compression(false)
        .connect(peer.addr())
        .unwrap();
    peer.accept();
    peer.send(b"\xff\xfb\x56\xff\xfb\x57");
    peer.expect(b"\xff\xfe\x56\xff\xfe\x57");
}

/// A whole MUD session: our server offers MCCP2, GMCP, MSDP and MSSP; our client
/// uses all four, and every byte of the compressed output arrives.
#[test]
fn a_mud_session_with_compression_gmcp_msdp_and_mssp() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder()
            .compression(true)
            .offer_gmcp(true)
            .offer_msdp(true)
            .mssp([("NAME", vec!["Compressed Realm"])]),
        // Prompts end with EOR once the client asks for it (our server performs
        // SGA, which suppresses GA).
        TelnetConnection::builder().always_do(Opt::EOR),
    );
    conn.wait_for(
        &[
            Want::RemoteEnabled(Opt::EOR),
            Want::RemoteEnabled(Opt::MCCP2),
            Want::RemoteEnabled(Opt::GMCP),
            Want::RemoteEnabled(Opt::MSDP),
            Want::RemoteEnabled(Opt::MSSP),
        ],
        WAIT,
    )
    .unwrap();
    assert_eq!(
        conn.mssp().unwrap(),
        [("NAME".to_owned(), vec!["Compressed Realm".to_owned()])]
    );
    let room = sample(20_000);
    for round in 0..20 {
        connection
            .send_gmcp("Room.Info", Some(&format!(r#"{{"num":{round}}}"#)))
            .unwrap();
        connection
            .send_msdp(&[("HEALTH".to_owned(), Value::from(round.to_string().as_str()))])
            .unwrap();
        connection.send_bytes(&room).unwrap();
        connection.send_prompt("HP> ").unwrap();
    }
    for round in 0..20 {
        let text = conn.read_prompt(WAIT).unwrap();
        let mut expected = room.clone();
        expected.extend_from_slice(b"HP> ");
        assert!(text == expected, "round {round}: the room text differs");
        assert_eq!(
            conn.read_gmcp(WAIT).unwrap(),
            ("Room.Info".to_owned(), format!(r#"{{"num":{round}}}"#))
        );
        assert_eq!(
            conn.read_msdp(WAIT).unwrap(),
            [("HEALTH".to_owned(), Value::from(round.to_string().as_str()))]
        );
    }
    assert_eq!(conn.compression(), (true, true));
    drop(server);
}
