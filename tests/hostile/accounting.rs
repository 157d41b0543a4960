//! A connect flood beyond `max_connections`, and thread and descriptor
//! accounting over many connect/disconnect cycles.

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::thread;
use std::time::Instant;

use telnetlib::{TelnetConnection, TelnetServer};

use super::*;

const LIMIT: usize = 16;

#[test]
fn a_connect_flood_beyond_the_limit_is_refused_cleanly_and_the_count_recovers() {
    let _serial = serial();
    let baseline = Baseline::take();
    let served = Served::start(
        TelnetServer::builder()
            .line_mode(true)
            .max_connections(LIMIT)
            .backlog(512)
            .refusal_message("Full, sorry.\n"),
        echo_handler,
    );
    let mut held: Vec<Probe> = (0..LIMIT)
        .map(|_| Probe::connect(served.addr(), DEADLINE))
        .collect();
    assert_eq!(served.server.client_count(), LIMIT);
    let started = Instant::now();
    let flood: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect_timeout(&served.addr(), DEADLINE).unwrap())
        .collect();
    for mut socket in flood {
        socket.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut received = Vec::new();
        match socket.read_to_end(&mut received) {
            Ok(_) => assert_eq!(received, b"Full, sorry.\r\n"),
            // A refused client that sent nothing may see the close as a reset.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("a refused connection was not closed: {e}"),
        }
    }
    let refused_in = started.elapsed();
    assert!(refused_in < DEADLINE, "300 refusals took {refused_in:?}");
    // The clients already in are unaffected; the count never passed the limit.
    for probe in &mut held {
        probe.round_trip();
    }
    assert_eq!(served.server.client_count(), LIMIT);
    held.truncate(LIMIT / 2);
    assert!(
        eventually(DEADLINE, || served.server.client_count() == LIMIT / 2),
        "the count did not recover: {}",
        served.server.client_count()
    );
    // The freed places are usable again.
    held.extend((0..LIMIT / 2).map(|_| Probe::connect(served.addr(), DEADLINE)));
    assert_eq!(served.server.client_count(), LIMIT);
    eprintln!("300 connections refused in {refused_in:?}");
    drop(held);
    assert!(eventually(DEADLINE, || served.server.client_count() == 0));
    served.stop();
    baseline.assert_restored("after a connect flood");
}

/// `cycles` connections, on four threads, each connecting, negotiating, exchanging a
/// line and leaving; then the process has the threads and descriptors it started with,
/// both with the server still running and after its shutdown.
fn connect_disconnect_cycles(cycles: usize) {
    let _serial = serial();
    let baseline = Baseline::take();
    let served = Served::start(
        TelnetServer::builder().line_mode(true).max_connections(64),
        echo_handler,
    );
    // Warm up: the first connection may start lazily created process state.
    drop(Probe::connect(served.addr(), DEADLINE));
    assert!(eventually(DEADLINE, || served.server.client_count() == 0));
    let running = Baseline::take();
    let started = Instant::now();
    let addr = served.addr();
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            thread::spawn(move || {
                for i in (worker..cycles).step_by(4) {
                    let conn = TelnetConnection::builder()
                        .connect_timeout(DEADLINE)
                        .connect(addr)
                        .unwrap();
                    conn.read_until(b"ready\r\n", Some(DEADLINE)).unwrap();
                    if i % 2 == 0 {
                        conn.write_str(&format!("c{i}\n"), Some(DEADLINE)).unwrap();
                        conn.read_until(format!("pong c{i}\r\n").as_bytes(), Some(DEADLINE))
                            .unwrap();
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let took = started.elapsed();
    assert!(
        eventually(DEADLINE, || served.server.client_count() == 0),
        "{} connections still counted",
        served.server.client_count()
    );
    running.assert_restored(&format!("after {cycles} cycles, server running"));
    eprintln!(
        "{cycles} cycles in {took:?}; threads {}, descriptors {}",
        threads(),
        descriptors()
    );
    served.stop();
    baseline.assert_restored(&format!("after {cycles} cycles and shutdown"));
}

#[test]
fn connect_disconnect_cycles_leave_no_thread_or_descriptor_behind() {
    connect_disconnect_cycles(400);
}

#[test]
#[ignore = "10,000 cycles: run in release by .ci/run"]
fn ten_thousand_cycles_leave_no_thread_or_descriptor_behind() {
    connect_disconnect_cycles(10_000);
}
