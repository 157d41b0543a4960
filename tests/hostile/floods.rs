//! A subnegotiation that never ends (plain bytes, or `IAC IAC` pairs,
//! the path that once bypassed a cap), and a storm of option toggles.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use telnetlib::TelnetServer;
use telnetlib::proto::{Engine, Event, OwnedEvent, Policy, ProtocolError, Verb};

use super::*;

const IAC: u8 = 255;
const SB: u8 = 250;
const WILL: u8 = 251;
const SE: u8 = 240;
const TTYPE: u8 = 24;

/// Sends `IAC SB TTYPE` and `total` bytes of `filler` with no `IAC SE`, while an
/// established client keeps measuring its round trips; then ends the subnegotiation and
/// checks that the flooding connection still works and was told once.
fn subnegotiation_flood(total: usize, filler: &[u8]) {
    let _serial = serial();
    let baseline = Baseline::take();
    let too_long = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&too_long);
    let served = Served::start(
        TelnetServer::builder()
            .line_mode(true)
            .connect_maxwait(Duration::from_millis(200)),
        move |client| {
            let counter = Arc::clone(&counter);
            client.set_event_hook(Some(move |event: &OwnedEvent| {
                if let OwnedEvent::Error(ProtocolError::SubnegotiationTooLong { .. }) = event {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }));
            echo_handler(client)
        },
    );
    let mut probe = Probe::connect(served.addr(), DEADLINE);
    let mut peer = ready_peer(served.addr());
    let memory = MemoryWatch::start();
    let started = Instant::now();

    let mut socket = peer.socket().try_clone().unwrap();
    let block: Vec<u8> = filler.iter().copied().cycle().take(64 << 10).collect();
    let done = Arc::new(AtomicBool::new(false));
    let finished = Arc::clone(&done);
    let flooder = thread::spawn(move || {
        // TTYPE enabled first: a subnegotiation for an option enabled on neither side
        // is dropped unread, long or not.
        socket
            .write_all(&[IAC, WILL, TTYPE, IAC, SB, TTYPE])
            .unwrap();
        let mut sent = 0;
        while sent < total {
            let n = block.len().min(total - sent);
            socket.write_all(&block[..n]).unwrap();
            sent += n;
        }
        socket.write_all(&[IAC, SE]).unwrap();
        socket.write_all(b"after\r\n").unwrap();
        finished.store(true, Ordering::SeqCst);
    });
    probe.keep_probing_until(|| done.load(Ordering::SeqCst));
    flooder.join().unwrap();
    peer.receive_until(|got| contains(got, b"pong after\r\n"));
    let took = started.elapsed();
    let growth = memory.growth_kib();

    assert_eq!(
        too_long.load(Ordering::SeqCst),
        1,
        "the handler's hook hears of the over-long subnegotiation exactly once"
    );
    eprintln!(
        "{} MiB flood in {took:?}: memory +{growth} KiB, worst round trip {:?}",
        total >> 20,
        probe.worst
    );
    // Below half the flood, so that a buffered flood cannot pass.
    let bound_kib = (24 << 10).min(total / 2048);
    assert!(
        growth < bound_kib,
        "memory grew by {growth} KiB during a {total}-byte subnegotiation"
    );
    drop((probe, peer));
    served.stop();
    baseline.assert_restored("after a subnegotiation flood");
}

#[test]
fn an_endless_subnegotiation_is_capped_and_others_are_served() {
    subnegotiation_flood(32 << 20, b"x");
}

#[test]
fn an_endless_subnegotiation_of_escaped_iacs_is_capped() {
    // Each `IAC IAC` pair goes through the parser's framing states (about 20 s for
    // 32 MiB in a debug build): 4 MiB here, 100 MiB in the release run.
    subnegotiation_flood(4 << 20, &[IAC, IAC]);
}

#[test]
#[ignore = "100 MiB: run in release by .ci/run"]
fn a_100_mib_subnegotiation_is_capped_and_others_are_served() {
    subnegotiation_flood(100 << 20, b"x");
}

#[test]
#[ignore = "100 MiB: run in release by .ci/run"]
fn a_100_mib_subnegotiation_of_escaped_iacs_is_capped() {
    subnegotiation_flood(100 << 20, &[IAC, IAC]);
}

/// The toggles of the storm: each one changes the option's state (the server accepts
/// all four options) and is sent twice, the second a no-op by RFC 1143.
const TOGGLES: [(u8, u8); 8] = [
    (251, 24), // WILL TTYPE
    (252, 24), // WONT TTYPE
    (251, 31), // WILL NAWS
    (252, 31), // WONT NAWS
    (253, 3),  // DO SGA
    (254, 3),  // DONT SGA
    (253, 1),  // DO ECHO
    (254, 1),  // DONT ECHO
];

/// Sends `count` negotiations (every toggle twice in a row) while a thread reads and
/// parses the server's replies; RFC 1143 answers each state change once and a repeat
/// never: the answers stay at most half the negotiations sent, plus the server's own
/// start-up requests.
fn negotiation_storm(count: usize) {
    let _serial = serial();
    let baseline = Baseline::take();
    let served = Served::start(
        TelnetServer::builder()
            .line_mode(true)
            .connect_maxwait(Duration::from_millis(200)),
        echo_handler,
    );
    let mut probe = Probe::connect(served.addr(), DEADLINE);
    let mut peer = ready_peer(served.addr());
    let memory = MemoryWatch::start();
    let started = Instant::now();

    // The replies: parsed by an engine that refuses everything (its own answers unsent).
    let mut replies = peer.socket().try_clone().unwrap();
    let reader = thread::spawn(move || {
        let mut engine = Engine::new(Policy::new());
        let (mut negotiations, mut bytes, mut marked) = (0usize, 0usize, false);
        let mut buffer = vec![0u8; 64 << 10];
        replies.set_read_timeout(Some(DEADLINE * 6)).unwrap();
        while !marked {
            let n = std::io::Read::read(&mut replies, &mut buffer).expect("replies");
            assert!(n > 0, "the server closed during the storm");
            bytes += n;
            engine.receive(&buffer[..n], |event| {
                if let Event::Negotiation { verb, opt } = event {
                    if opt.0 == 6 && matches!(verb, Verb::Will | Verb::Wont) {
                        marked = true;
                    } else {
                        negotiations += 1;
                    }
                }
            });
            engine.clear_output();
        }
        (negotiations, bytes)
    });

    let mut socket = peer.socket().try_clone().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let finished = Arc::clone(&done);
    let storm = thread::spawn(move || {
        let mut block = Vec::with_capacity(64 << 10);
        let mut sent = 0;
        while sent < count {
            block.clear();
            for (verb, opt) in TOGGLES
                .iter()
                .cycle()
                .take(((count - sent).min(10_000) / 2).max(1))
            {
                block.extend_from_slice(&[IAC, *verb, *opt, IAC, *verb, *opt]);
            }
            sent += block.len() / 3;
            socket.write_all(&block).unwrap();
        }
        // DO TM: its answer comes after every reply to the storm.
        socket.write_all(&[IAC, 253, 6]).unwrap();
        finished.store(true, Ordering::SeqCst);
        sent
    });
    probe.keep_probing_until(|| done.load(Ordering::SeqCst));
    let sent = storm.join().unwrap();
    let (answers, reply_bytes) = reader.join().unwrap();
    let took = started.elapsed();
    peer.send(b"after\r\n");
    peer.receive_until(|got| contains(got, b"pong after\r\n"));
    let growth = memory.growth_kib();

    eprintln!(
        "{sent} negotiations in {took:?}: {answers} answered ({reply_bytes} bytes), memory +{growth} KiB, worst round trip {:?}",
        probe.worst
    );
    assert!(
        answers <= sent / 2 + 32,
        "{answers} negotiations answered to {sent} sent (RFC 1143 allows {})",
        sent / 2
    );
    assert!(
        answers + 32 >= sent / 2,
        "the storm's state changes were not all answered ({answers} of {})",
        sent / 2
    );
    assert!(
        reply_bytes <= 3 * sent,
        "{reply_bytes} reply bytes to {} sent",
        3 * sent
    );
    assert!(growth < 24 << 10, "memory grew by {growth} KiB");
    drop((probe, peer));
    served.stop();
    baseline.assert_restored("after a negotiation storm");
}

#[test]
fn a_negotiation_storm_gets_bounded_answers_and_others_are_served() {
    negotiation_storm(100_000);
}

#[test]
#[ignore = "1M toggles: run in release by .ci/run"]
fn a_million_toggles_get_bounded_answers_and_others_are_served() {
    negotiation_storm(1_000_000);
}

/// A storm from a peer that never reads our answers: once `max_output_buffer` bytes of
/// answers are queued the server stops reading from it, so its memory stays bounded
/// and the other clients are served.
#[test]
fn a_storm_from_a_peer_that_never_reads_the_answers_is_held_back() {
    let _serial = serial();
    let baseline = Baseline::take();
    let served = Served::start(
        TelnetServer::builder()
            .line_mode(true)
            .max_output_buffer(64 << 10)
            .connect_maxwait(Duration::from_millis(200)),
        echo_handler,
    );
    let mut probe = Probe::connect(served.addr(), DEADLINE);
    let mut peer = ready_peer(served.addr());
    let memory = MemoryWatch::start();
    let socket = peer.socket().try_clone().unwrap();
    socket
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut block = Vec::new();
    for (verb, opt) in TOGGLES.iter().cycle().take(8192) {
        block.extend_from_slice(&[IAC, *verb, *opt]);
    }
    // Write until the server stops taking the storm: it is held back, not buffered.
    let mut sent = 0usize;
    let mut writer = &socket;
    let held_back = loop {
        match writer.write(&block) {
            Ok(n) => sent += n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break true;
            }
            Err(e) => panic!("storm write: {e}"),
        }
        if sent > 512 << 20 {
            break false;
        }
        if sent % (1 << 20) < block.len() {
            probe.round_trip();
        }
    };
    probe.round_trip();
    let growth = memory.growth_kib();
    eprintln!("held back after {sent} bytes of storm; memory +{growth} KiB");
    assert!(
        held_back,
        "the server read 512 MiB of storm without answers being read"
    );
    assert!(growth < 24 << 10, "memory grew by {growth} KiB");
    drop((probe, peer, socket));
    served.stop();
    baseline.assert_restored("after an unread storm");
}
