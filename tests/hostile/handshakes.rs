//! Connections that stall before they are Telnet: a TLS ClientHello cut short, and a
//! PROXY v1 header without its end. They cost no handler and no thread each (the
//! handshakes are the poller's work), nothing is sent to them, and a client that
//! completes its handshake is served meanwhile.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use telnetlib::{ServerBuilder, ServerConnection, TelnetServer};

use super::*;

/// How many threads the process may gain while the stalled connections wait: none is
/// theirs; this leaves room for the canary's (its handler, and our client's poller).
const THREADS_SLACK: usize = 3;

/// A server running `serve` whose handler counts its runs and then echoes.
fn counting_server(builder: ServerBuilder) -> (Served, Arc<AtomicUsize>) {
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&handled);
    let served = Served::start(
        // A backlog for all of them at once: none waits for a SYN to be retried,
        // which would eat into the handshakes' own deadline (10 s).
        builder
            .backlog(1024)
            .connect_maxwait(Duration::from_millis(200)),
        move |client: ServerConnection| {
            counter.fetch_add(1, Ordering::SeqCst);
            echo_handler(client)
        },
    );
    (served, handled)
}

/// Opens `count` connections that each send `opening` and then wait, and waits until
/// the server holds them all.
fn stall(served: &Served, count: usize, opening: &[u8]) -> Vec<TcpStream> {
    let stalled: Vec<TcpStream> = (0..count)
        .map(|_| {
            let mut socket = TcpStream::connect_timeout(&served.addr(), DEADLINE).unwrap();
            socket.write_all(opening).unwrap();
            socket
        })
        .collect();
    let held = eventually(DEADLINE, || served.server.client_count() >= count);
    assert!(
        held,
        "the server holds {} of {count} stalled connections",
        served.server.client_count()
    );
    stalled
}

/// Asserts that none of the stalled connections received a byte or was closed: the
/// first is given 300 ms (by then every other one has waited at least as long).
fn assert_nothing_sent(stalled: &mut [TcpStream]) {
    let mut buffer = [0u8; 256];
    for (i, socket) in stalled.iter_mut().enumerate() {
        if i == 0 {
            socket
                .set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
        } else {
            socket.set_nonblocking(true).unwrap();
        }
        match socket.read(&mut buffer) {
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Ok(0) => panic!("stalled connection {i} was closed"),
            Ok(n) => panic!(
                "stalled connection {i} was sent {:?}",
                String::from_utf8_lossy(&buffer[..n])
            ),
            Err(e) => panic!("stalled connection {i}: {e}"),
        }
    }
}

/// Opens `count` connections that stall after `opening`, checks that they cost no
/// handler, no thread and no output, that `canary` (which completes its handshake and
/// does one round trip, returning how long that took) is served meanwhile, and that
/// everything is restored once they close.
fn stalled_handshakes(
    what: &str,
    builder: ServerBuilder,
    count: usize,
    opening: &[u8],
    canary: impl FnOnce(SocketAddr) -> Duration,
) {
    let _serial = serial();
    let baseline = Baseline::take();
    let (served, handled) = counting_server(builder);
    // The server's acceptor and poller are counted once they have named themselves.
    let named = eventually(DEADLINE, || library_threads() >= 2);
    assert!(named, "the server's threads: {:?}", thread_names());
    let serving = Baseline::take();
    let memory = MemoryWatch::start();
    let cpu_start = cpu_time();
    let started = Instant::now();
    let mut stalled = stall(&served, count, opening);
    let opened_in = started.elapsed();
    let stalled_threads = threads();
    let stalled_descriptors = descriptors();
    let canary_took = canary(served.addr());
    let handled_after_canary = handled.load(Ordering::SeqCst);
    assert_nothing_sent(&mut stalled);
    // Once more, later: a thread started per connection would show by now.
    let stalled_threads = stalled_threads.max(threads());
    let still_held = served.server.client_count();
    let cpu = cpu_time() - cpu_start;
    let growth = memory.growth_kib();

    let closed = Instant::now();
    drop(stalled);
    let back = eventually(DEADLINE, || {
        served.server.client_count() == 0
            && threads() <= serving.threads
            && descriptors() <= serving.descriptors
    });
    let gone_in = closed.elapsed();
    eprintln!(
        "{count} {what}: opened in {opened_in:?}; threads {} -> {stalled_threads}, \
         descriptors {} -> {stalled_descriptors}; the canary was served in {canary_took:?}; \
         memory +{growth} KiB, {:.2} CPU-seconds; gone {gone_in:?} after they closed",
        serving.threads,
        serving.descriptors,
        cpu.as_secs_f64(),
    );
    assert!(
        stalled_threads <= serving.threads + THREADS_SLACK,
        "{count} {what} took threads {} -> {stalled_threads}",
        serving.threads
    );
    assert_eq!(
        handled_after_canary, 1,
        "the handler ran for a stalled connection, or not for the canary"
    );
    assert!(
        still_held >= count,
        "the stalled connections were dropped early ({still_held} held)"
    );
    assert!(
        growth < (16 << 10) + count * 16,
        "{count} {what} grew memory by {growth} KiB"
    );
    assert!(
        cpu < Duration::from_secs(2) + Duration::from_millis(4) * count as u32,
        "{count} {what} used {cpu:?} of CPU; busiest threads: {}",
        busiest_threads()
    );
    assert!(
        back,
        "after the stalled connections closed: {} held, threads {} -> {}, descriptors {} -> {}",
        served.server.client_count(),
        serving.threads,
        threads(),
        serving.descriptors,
        descriptors()
    );
    let handled = handled.load(Ordering::SeqCst);
    assert_eq!(
        handled,
        1,
        "{} handlers ran for stalled connections once they closed",
        handled.saturating_sub(1)
    );
    served.stop();
    baseline.assert_restored(what);
}

// ------------------------------------------------------------------------------ TLS

#[cfg(feature = "tls")]
mod tls {
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use telnetlib::tls::{self, Roots};
    use telnetlib::{TelnetConnection, TelnetServer};

    use crate::support::certificate::Certificate;

    use super::{DEADLINE, LATENCY_BOUND, stalled_handshakes};

    /// A TLS record header announcing a 512-byte handshake record, and the start of
    /// the ClientHello in it: the server waits for the rest.
    const PARTIAL_CLIENT_HELLO: &[u8] = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";

    /// A TELNETS client that completes its handshake, gets `ready` and one answer.
    fn tls_canary(certificate: &Certificate, addr: SocketAddr) -> Duration {
        let started = Instant::now();
        let roots = Roots::PemFile(certificate.cert.clone());
        let conn = TelnetConnection::builder()
            .tls(tls::client_config(roots).unwrap(), "localhost")
            .connect_timeout(DEADLINE)
            .connect(addr)
            .unwrap();
        conn.read_until(b"ready\r\n", Some(DEADLINE)).unwrap();
        let served_in = started.elapsed();
        let trip = Instant::now();
        conn.write_str("hello\n", Some(DEADLINE)).unwrap();
        conn.read_until(b"pong hello\r\n", Some(DEADLINE)).unwrap();
        let took = trip.elapsed();
        assert!(
            took <= LATENCY_BOUND,
            "the canary's round trip took {took:?}"
        );
        served_in
    }

    fn stalled_tls_handshakes(count: usize) {
        let certificate = Certificate::new();
        let config = tls::server_config(&certificate.cert, &certificate.key).unwrap();
        stalled_handshakes(
            "stalled TLS handshakes",
            TelnetServer::builder().tls(config),
            count,
            PARTIAL_CLIENT_HELLO,
            |addr| tls_canary(&certificate, addr),
        );
    }

    #[test]
    fn stalled_tls_handshakes_cost_no_handler_and_no_thread() {
        stalled_tls_handshakes(20);
    }

    #[test]
    #[ignore = "500 connections: run in release by .ci/run"]
    fn five_hundred_stalled_tls_handshakes_cost_no_handler_and_no_thread() {
        stalled_tls_handshakes(500);
    }
}

// ---------------------------------------------------------------------------- PROXY

/// A PROXY v1 header cut before its end (`\r\n`).
const PARTIAL_PROXY_HEADER: &[u8] = b"PROXY TCP4 127.0.0.1 ";

/// A balancer's connection with a whole header, answering the negotiation enough to be
/// handed out, then `ready` and one answer.
fn proxied_canary(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    let mut peer = Peer::connect(addr);
    peer.send(b"PROXY TCP4 203.0.113.9 127.0.0.1 40000 23\r\n");
    // WONT TTYPE: a Telnet client that spoke, handed out without the silent wait.
    peer.send(b"\xff\xfc\x18");
    peer.receive_until(|got| contains(got, b"ready\r\n"));
    let served_in = started.elapsed();
    let trip = Instant::now();
    peer.send(b"hello\r\n");
    peer.receive_until(|got| contains(got, b"pong hello\r\n"));
    let took = trip.elapsed();
    assert!(
        took <= LATENCY_BOUND,
        "the canary's round trip took {took:?}"
    );
    served_in
}

fn stalled_proxy_headers(count: usize) {
    stalled_handshakes(
        "stalled PROXY headers",
        TelnetServer::builder().proxy_protocol(true),
        count,
        PARTIAL_PROXY_HEADER,
        proxied_canary,
    );
}

#[test]
fn stalled_proxy_headers_cost_no_handler_and_no_thread() {
    stalled_proxy_headers(20);
}

#[test]
#[ignore = "500 connections: run in release by .ci/run"]
fn five_hundred_stalled_proxy_headers_cost_no_handler_and_no_thread() {
    stalled_proxy_headers(500);
}
