//! What a peer can make the server keep. A client that refused NEW-ENVIRON sends its
//! "environment" anyway, 256 variables of 65,000 invalid bytes each (each kept as
//! U+FFFD, three bytes: 48 MiB per client before the fix); one that agreed sends the
//! same; MUD messages (GMCP, and ZMP made of separators, each a string once decoded)
//! pile up unread. Subnegotiations for an option enabled on neither side are dropped,
//! and what is kept is bounded in bytes (SECURITY.md), so the server's memory stays
//! within its per-connection bound and a canary keeps its round trips.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use telnetlib::{Error, ServerBuilder, ServerConnection, TelnetServer};

use super::*;

const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;
const WILL: u8 = 251;
const WONT: u8 = 252;
const DO: u8 = 253;
const NEW_ENVIRON: u8 = 39;
const ZMP: u8 = 93;
const GMCP: u8 = 201;

/// What one attacked connection may cost, in KiB: `max_input_buffer`,
/// `max_output_buffer` and `max_subnegotiation` (1 MiB, 1 MiB, 64 KiB), the
/// connection's state and its handler's stack.
const PER_CONNECTION_KIB: usize = 3 << 10;
/// The rest of the process's growth: the canary, the sampler, allocator arenas.
const SLACK_KIB: usize = 8 << 10;

/// One attack: the server it meets, how the attackers open, the frames each sends,
/// and what the server may have kept afterwards.
struct Flood {
    what: &'static str,
    builder: fn() -> ServerBuilder,
    opening: &'static [u8],
    frame: fn(usize) -> Vec<u8>,
    frames: usize,
    attackers: usize,
    kept: fn(&ServerConnection),
}

fn subnegotiation(opt: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![IAC, SB, opt];
    frame.extend_from_slice(payload);
    frame.extend_from_slice(&[IAC, SE]);
    frame
}

/// `INFO USERVAR Vnnn VALUE <65,000 bytes that are not UTF-8>`.
fn environ_info(n: usize) -> Vec<u8> {
    let mut payload = vec![2, 3];
    payload.extend_from_slice(format!("V{n:03}").as_bytes());
    payload.push(1);
    payload.extend(std::iter::repeat_n(0x80, 65_000));
    subnegotiation(NEW_ENVIRON, &payload)
}

/// A 60,000-byte GMCP message.
fn gmcp_message(_: usize) -> Vec<u8> {
    let mut payload = b"Core.Flood ".to_vec();
    payload.extend(std::iter::repeat_n(b'x', 60_000));
    subnegotiation(GMCP, &payload)
}

/// A ZMP command followed by 60,000 separators: 60,000 empty arguments once decoded.
fn zmp_separators(_: usize) -> Vec<u8> {
    let mut payload = b"flood".to_vec();
    payload.extend(std::iter::repeat_n(0, 60_000));
    subnegotiation(ZMP, &payload)
}

fn plain_server() -> ServerBuilder {
    TelnetServer::builder()
        .line_mode(true)
        .connect_maxwait(Duration::from_millis(200))
}

fn mud_server() -> ServerBuilder {
    plain_server().offer_gmcp(true).offer_zmp(true)
}

fn environment_bytes(connection: &ServerConnection) -> usize {
    let environment = connection.environment();
    environment.iter().map(|(n, v)| n.len() + v.len()).sum()
}

fn no_environment(connection: &ServerConnection) {
    assert!(connection.environment().is_empty(), "kept from a refusal");
}

fn environment_within_its_bound(connection: &ServerConnection) {
    let bytes = environment_bytes(connection);
    assert!(bytes <= 64 << 10, "{bytes} bytes of environment kept");
}

/// Reads what `read` still has queued: at most 256 KiB of messages as decoded, plus
/// the newest.
fn unread_within_bound<T>(read: impl Fn() -> telnetlib::Result<T>, size: impl Fn(&T) -> usize) {
    let mut kept = Vec::new();
    loop {
        match read() {
            Ok(message) => kept.push(size(&message)),
            Err(Error::Timeout { .. }) => break,
            Err(other) => panic!("reading the queue: {other}"),
        }
    }
    let newest = kept.last().copied().unwrap_or(0);
    let total: usize = kept.iter().sum();
    assert!(!kept.is_empty(), "the newest message was not kept");
    assert!(
        total <= (256 << 10) + newest,
        "{} messages of {total} bytes kept",
        kept.len()
    );
}

fn gmcp_within_its_bound(connection: &ServerConnection) {
    unread_within_bound(
        || connection.read_gmcp(Some(Duration::ZERO)),
        |(package, json)| package.len() + json.len(),
    );
}

fn zmp_within_its_bound(connection: &ServerConnection) {
    unread_within_bound(
        || connection.read_zmp(Some(Duration::ZERO)),
        |words| words.len() * size_of::<String>(),
    );
}

fn flood(attack: Flood) {
    let _serial = serial();
    let baseline = Baseline::take();
    let connections = Arc::new(Mutex::new(Vec::new()));
    let served = {
        let connections = Arc::clone(&connections);
        Served::start((attack.builder)(), move |client: ServerConnection| {
            connections.lock().unwrap().push(client.clone());
            echo_handler(client)
        })
    };
    let mut probe = Probe::connect(served.addr(), DEADLINE);
    let mut peers = Vec::new();
    for _ in 0..attack.attackers {
        let mut peer = Peer::connect(served.addr());
        peer.send(attack.opening);
        peer.receive_until(|got| contains(got, b"ready\r\n"));
        peers.push(peer);
    }
    let memory = MemoryWatch::start();
    let senders: Vec<_> = peers
        .iter_mut()
        .map(|peer| {
            let mut socket = peer.socket().try_clone().unwrap();
            let (frame, frames) = (attack.frame, attack.frames);
            thread::spawn(move || {
                for n in 0..frames {
                    socket.write_all(&frame(n)).unwrap();
                }
                socket.write_all(b"sync\r\n").unwrap();
            })
        })
        .collect();
    probe.keep_probing_until(|| senders.iter().all(|s| s.is_finished()));
    for sender in senders {
        sender.join().unwrap();
    }
    // Once the handler answers the line after the flood, all of it was processed.
    for peer in &mut peers {
        peer.receive_until(|got| contains(got, b"pong sync\r\n"));
    }
    probe.round_trip();
    let growth = memory.growth_kib();
    let sent = attack.frames * (attack.frame)(0).len();
    eprintln!(
        "{}: {} attacker(s), {} frames of {} KiB each ({} MiB): memory +{growth} KiB at the \
         peak; worst round trip {:?}",
        attack.what,
        attack.attackers,
        attack.frames,
        (attack.frame)(0).len() >> 10,
        sent >> 20,
        probe.worst
    );
    let bound_kib = attack.attackers * PER_CONNECTION_KIB + SLACK_KIB;
    assert!(
        growth < bound_kib,
        "{}: memory grew by {growth} KiB (bound {bound_kib} KiB)",
        attack.what
    );
    // The canary is the first connection; the attackers follow.
    for connection in connections.lock().unwrap().iter().skip(1) {
        (attack.kept)(connection);
    }
    drop((probe, peers));
    connections.lock().unwrap().clear();
    served.stop();
    baseline.assert_restored(attack.what);
}

fn environ_refused(attackers: usize) {
    flood(Flood {
        what: "NEW-ENVIRON refused, then sent",
        builder: plain_server,
        opening: &[IAC, WONT, NEW_ENVIRON],
        frame: environ_info,
        frames: 256,
        attackers,
        kept: no_environment,
    });
}

fn environ_agreed(attackers: usize) {
    flood(Flood {
        what: "NEW-ENVIRON agreed, 16 MiB of INFO",
        builder: plain_server,
        opening: &[IAC, WILL, NEW_ENVIRON],
        frame: environ_info,
        frames: 256,
        attackers,
        kept: environment_within_its_bound,
    });
}

fn gmcp_unread(attackers: usize, frames: usize) {
    flood(Flood {
        what: "GMCP never read",
        builder: mud_server,
        opening: &[IAC, DO, GMCP],
        frame: gmcp_message,
        frames,
        attackers,
        kept: gmcp_within_its_bound,
    });
}

fn zmp_unread(attackers: usize, frames: usize) {
    flood(Flood {
        what: "ZMP of separators never read",
        builder: mud_server,
        opening: &[IAC, DO, ZMP],
        frame: zmp_separators,
        frames,
        attackers,
        kept: zmp_within_its_bound,
    });
}

#[test]
fn an_environment_sent_after_refusing_it_is_not_kept() {
    environ_refused(1);
}

#[test]
fn an_environment_flood_keeps_64_kib() {
    environ_agreed(1);
}

#[test]
fn unread_gmcp_messages_are_bounded_in_bytes() {
    gmcp_unread(1, 256);
}

#[test]
fn unread_zmp_messages_are_bounded_by_their_decoded_size() {
    zmp_unread(1, 64);
}

#[test]
#[ignore = "4 attackers, 16 MiB each: run in release by .ci/run"]
fn four_clients_sending_an_environment_they_refused_keep_nothing() {
    environ_refused(4);
}

#[test]
#[ignore = "4 attackers, 16 MiB each: run in release by .ci/run"]
fn four_clients_flooding_their_environment_keep_64_kib_each() {
    environ_agreed(4);
}

#[test]
#[ignore = "4 attackers, 1,024 messages of 60 KiB each: run in release by .ci/run"]
fn four_clients_flooding_unread_gmcp_are_bounded() {
    gmcp_unread(4, 1024);
}

#[test]
#[ignore = "4 attackers, 1,024 messages of 60,000 separators: run in release by .ci/run"]
fn four_clients_flooding_unread_zmp_separators_are_bounded() {
    zmp_unread(4, 1024);
}
