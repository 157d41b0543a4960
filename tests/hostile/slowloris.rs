//! Slowloris. Many connections trickle one byte a second into a subnegotiation
//! that never ends: the negotiation deadline (`connect_maxwait`) still hands each one
//! to a handler, the idle deadline closes each one (a trickle of protocol bytes is not
//! input), and meanwhile a normal client is accepted and served quickly.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use telnetlib::TelnetServer;

use super::*;

const IDLE: Duration = Duration::from_secs(3);
const MAXWAIT: Duration = Duration::from_secs(1);

fn slowloris(count: usize) {
    let _serial = serial();
    let baseline = Baseline::take();
    let handed = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&handed);
    let served = Served::start(
        TelnetServer::builder()
            .line_mode(true)
            .max_connections(count + 16)
            .backlog(1024)
            .idle_timeout(Some(IDLE))
            .connect_maxwait(MAXWAIT),
        move |client| {
            counter.fetch_add(1, Ordering::SeqCst);
            echo_handler(client)
        },
    );
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..count)
        .map(|_| {
            let mut socket = TcpStream::connect_timeout(&served.addr(), DEADLINE).unwrap();
            socket.write_all(b"\xff\xfa\x18").unwrap();
            socket
        })
        .collect();
    let connected = started.elapsed();
    // One byte a second on every connection, from one thread, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    let tricklers: Vec<TcpStream> = slow.iter().map(|s| s.try_clone().unwrap()).collect();
    let trickle = thread::spawn(move || {
        let mut sockets = tricklers;
        while !stopping.load(Ordering::SeqCst) {
            let round = Instant::now();
            sockets.retain_mut(|socket| socket.write_all(b"x").is_ok());
            while round.elapsed() < Duration::from_secs(1) && !stopping.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(10));
            }
        }
    });

    // A normal client is accepted and served quickly in the middle of it.
    let probe_started = Instant::now();
    let mut probe = Probe::connect(served.addr(), LATENCY_BOUND * 2);
    let probe_wait = probe_started.elapsed();
    probe.round_trip();

    // The negotiation deadline: every slow connection reaches a handler.
    assert!(
        eventually(MAXWAIT + DEADLINE, || handed.load(Ordering::SeqCst)
            == count + 1),
        "{} of {count} stalled negotiations reached a handler",
        handed.load(Ordering::SeqCst) - 1
    );
    let all_handed = started.elapsed();
    // The idle deadline: every slow connection is closed; the probe, active, stays.
    let closed = eventually(IDLE + DEADLINE * 2, || {
        probe.round_trip();
        served.server.client_count() == 1
    });
    assert!(
        closed,
        "{} slow connections outlived the idle timeout",
        served.server.client_count() - 1
    );
    let all_closed = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    trickle.join().unwrap();
    for socket in &mut slow {
        socket.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut received = Vec::new();
        match socket.read_to_end(&mut received) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("a slow connection was not closed: {e}"),
        }
        assert!(
            contains(&received, b"\r\nTimeout.\r\n"),
            "a slow connection was closed without the idle message"
        );
    }
    eprintln!(
        "{count} slow connections: connected in {connected:?}, all handed out by {all_handed:?}, all closed by {all_closed:?}; a new client waited {probe_wait:?}, worst round trip {:?}",
        probe.worst
    );
    drop(slow);
    drop(probe);
    served.stop();
    baseline.assert_restored("after slowloris");
}

#[test]
fn slow_connections_meet_the_deadlines_and_a_normal_client_is_served() {
    slowloris(50);
}

#[test]
#[ignore = "1,000 connections: run in release by .ci/run"]
fn a_thousand_slow_connections_meet_the_deadlines() {
    slowloris(1000);
}
