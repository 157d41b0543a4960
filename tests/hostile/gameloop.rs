//! The miniboa game loop against clients that never read: `send` must queue and
//! return (failing with `OutputFull` once the client has left `max_output_buffer`
//! unread), `deactivate` must return at once, and the other clients must keep their
//! latency meanwhile. The old core wrote from the loop's thread and froze the whole
//! game for about a second per send to such a client.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use telnetlib::{Error, ServerConnection, TelnetConnection, TelnetServer};

use super::*;

/// What each flood client is sent per loop iteration.
const FLOOD_BLOCK: usize = 16 << 10;
/// The output queue bound of the servers here.
const MAX_OUTPUT: usize = 256 << 10;

/// What the game loop saw, reported when it stops.
#[derive(Debug, Default)]
struct LoopReport {
    iterations: usize,
    longest_iteration: Duration,
    /// How each flood ended: the error of the `send_bytes` that failed.
    flood_errors: Vec<Error>,
    /// Bytes `send_bytes` accepted for the flood clients.
    flooded: usize,
}

/// A server driven by a game-loop thread: it answers each line `L` with `pong L`, and
/// a client that typed `flood` is sent [`FLOOD_BLOCK`] bytes every iteration until a
/// send fails.
struct GameLoop {
    server: Arc<TelnetServer>,
    stop: Arc<AtomicBool>,
    /// The ports of the clients `on_disconnect` was called for.
    gone: Arc<Mutex<Vec<u16>>>,
    thread: Option<JoinHandle<LoopReport>>,
}

impl GameLoop {
    fn start() -> GameLoop {
        let server = Arc::new(
            TelnetServer::builder()
                .line_mode(true)
                .connect_maxwait(Duration::from_millis(200))
                .max_output_buffer(MAX_OUTPUT)
                .bind("127.0.0.1:0")
                .unwrap(),
        );
        let gone = Arc::new(Mutex::new(Vec::new()));
        let seen_leaving = Arc::clone(&gone);
        server.set_on_disconnect(move |client| seen_leaving.lock().unwrap().push(client.port()));
        let stop = Arc::new(AtomicBool::new(false));
        let (loop_server, loop_stop) = (Arc::clone(&server), Arc::clone(&stop));
        let thread = thread::spawn(move || {
            let block = vec![b'f'; FLOOD_BLOCK];
            let mut report = LoopReport::default();
            let mut flooding: Vec<ServerConnection> = Vec::new();
            while !loop_stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                loop_server.poll(Duration::from_millis(10)).unwrap();
                for client in loop_server.clients() {
                    while let Some(command) = client.get_command() {
                        if command == "flood" {
                            flooding.push(client.clone());
                        } else {
                            let _ = client.send(&format!("pong {command}\n"));
                        }
                    }
                }
                flooding.retain(|client| match client.send_bytes(&block) {
                    Ok(()) => {
                        report.flooded += block.len();
                        true
                    }
                    Err(error) => {
                        report.flood_errors.push(error);
                        false
                    }
                });
                report.iterations += 1;
                report.longest_iteration = report.longest_iteration.max(started.elapsed());
            }
            report
        });
        GameLoop {
            server,
            stop,
            gone,
            thread: Some(thread),
        }
    }

    fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Whether `on_disconnect` ran for every one of `ports`.
    fn all_gone(&self, ports: &[u16]) -> bool {
        let gone = self.gone.lock().unwrap();
        ports.iter().all(|port| gone.contains(port))
    }

    /// Stops the loop and shuts the server down.
    fn stop(mut self) -> LoopReport {
        self.stop_now().expect("the game loop ran")
    }

    fn stop_now(&mut self) -> Option<LoopReport> {
        self.stop.store(true, Ordering::SeqCst);
        let joined = self.thread.take().map(JoinHandle::join);
        self.server.shutdown();
        joined.map(|report| report.expect("the game loop panicked"))
    }
}

impl Drop for GameLoop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.server.shutdown();
    }
}

/// A raw client that asks for the flood and then never reads its socket.
fn flood_client(addr: SocketAddr) -> (Peer, u16) {
    let mut peer = Peer::connect(addr);
    peer.send(b"flood\r\n");
    let port = peer.socket().local_addr().unwrap().port();
    (peer, port)
}

/// A well-behaved client of the game loop, measuring its round trips.
struct Canary {
    conn: TelnetConnection,
    count: usize,
    worst: Duration,
}

impl Canary {
    /// Connects and makes one round trip (not measured: it includes the hand-out).
    fn connect(addr: SocketAddr) -> Canary {
        let conn = TelnetConnection::builder()
            .connect_timeout(DEADLINE)
            .connect(addr)
            .unwrap();
        let mut canary = Canary {
            conn,
            count: 0,
            worst: Duration::ZERO,
        };
        canary.round_trip();
        canary.worst = Duration::ZERO;
        canary
    }

    fn round_trip(&mut self) -> Duration {
        self.count += 1;
        let line = format!("canary{}", self.count);
        let started = Instant::now();
        self.conn
            .write_str(&format!("{line}\n"), Some(DEADLINE))
            .unwrap();
        self.conn
            .read_until(format!("pong {line}\r\n").as_bytes(), Some(DEADLINE))
            .unwrap_or_else(|e| panic!("the game loop did not answer {line}: {e}"));
        let took = started.elapsed();
        self.worst = self.worst.max(took);
        took
    }
}

/// The flood's bytes among what a flood client received.
fn flood_bytes(received: &[u8]) -> usize {
    received.iter().filter(|&&b| b == b'f').count()
}

fn assert_flooded_until_full(report: &LoopReport, floods: usize) {
    assert_eq!(
        report.flood_errors.len(),
        floods,
        "not every flood ended: {report:?}"
    );
    for error in &report.flood_errors {
        assert!(
            matches!(
                error,
                Error::OutputFull {
                    operation: "send_bytes",
                    limit: MAX_OUTPUT,
                    ..
                }
            ),
            "a flood ended with {error:?}, not OutputFull"
        );
    }
}

#[test]
fn a_client_that_never_reads_does_not_freeze_the_game_loop() {
    let _serial = serial();
    let baseline = Baseline::take();
    let game = GameLoop::start();
    let mut canary = Canary::connect(game.addr());
    let (flood, flood_port) = flood_client(game.addr());
    let started = Instant::now();
    loop {
        canary.round_trip();
        if started.elapsed() >= Duration::from_secs(2) && game.all_gone(&[flood_port]) {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the flood client was never reported gone"
        );
        // Pacing, not synchronisation: a line every few milliseconds.
        thread::sleep(Duration::from_millis(5));
    }
    // The flood client's connection is closed: reading now, it gets part of the flood
    // and then the end of the stream.
    let mut flood = flood;
    let delivered = flood_bytes(&flood.receive_to_end());
    let report = game.stop();
    eprintln!(
        "{} round trips, worst {:?}; {} loop iterations, longest {:?}; {} KiB flooded before {:?}",
        canary.count,
        canary.worst,
        report.iterations,
        report.longest_iteration,
        report.flooded >> 10,
        report.flood_errors
    );
    assert_flooded_until_full(&report, 1);
    assert!(delivered <= report.flooded, "more arrived than was sent");
    assert!(
        canary.worst < Duration::from_millis(500),
        "a chatting client waited {:?} for its answer",
        canary.worst
    );
    assert!(
        report.longest_iteration < Duration::from_millis(500),
        "a game-loop iteration took {:?}",
        report.longest_iteration
    );
    drop((canary, flood));
    baseline.assert_restored("after a flood client in the game loop");
}

#[test]
fn deactivate_returns_at_once_even_when_the_client_reads_nothing() {
    let _serial = serial();
    let baseline = Baseline::take();
    // The test's thread is the game loop.
    let (server, mut peer, client) = game_loop_with_one_client(TelnetServer::builder());
    let left = Arc::new(AtomicUsize::new(0));
    let leaving = Arc::clone(&left);
    server.set_on_disconnect(move |_| {
        leaving.fetch_add(1, Ordering::SeqCst);
    });
    let connected = descriptors();
    // The peer reads nothing: the kernel's buffers fill, then the queue grows, well
    // below the 1 MiB bound (no OutputFull).
    let accepted = fill_queue(&server, &client, 200 << 10);
    let queued = client.queued_output();

    let started = Instant::now();
    client.deactivate();
    let took = started.elapsed();
    assert!(!client.active(), "active() after deactivate");
    assert!(
        matches!(client.send("more\n"), Err(Error::Closed { .. })),
        "send after deactivate"
    );
    eprintln!("deactivate with {queued} bytes queued returned in {took:?}");
    assert!(
        took < Duration::from_millis(50),
        "deactivate took {took:?} with {queued} bytes queued for a client that reads nothing"
    );
    drop(client);

    // The loop goes on: the client is reported gone, and the server shuts its socket
    // (after trying to send the queue for up to a second) without the peer reading.
    let closing = Instant::now();
    let mut closed = false;
    while closing.elapsed() < Duration::from_secs(3) {
        server.poll(Duration::from_millis(10)).unwrap();
        if left.load(Ordering::SeqCst) == 1
            && server.client_count() == 0
            && descriptors() < connected
        {
            closed = true;
            break;
        }
    }
    let waited = closing.elapsed();
    assert!(
        closed,
        "3 s after deactivate: on_disconnect ran {} times, {} clients counted, descriptors {connected} -> {}",
        left.load(Ordering::SeqCst),
        server.client_count(),
        descriptors()
    );
    eprintln!("the server closed the socket {waited:?} after deactivate");
    // What the peer gets is part of what was sent, then the end of the stream.
    let received = peer.receive_to_end();
    assert!(
        received.iter().filter(|&&b| b == b'y').count() <= accepted,
        "more arrived than was sent"
    );
    drop((server, peer));
    baseline.assert_restored("after deactivate in the game loop");
}

#[test]
#[ignore = "30 flood clients and 50 canaries: run in release by .ci/run"]
fn thirty_clients_that_never_read_do_not_slow_fifty_chatting_ones() {
    const FLOODS: usize = 30;
    const CANARIES: usize = 50;
    let _serial = serial();
    let baseline = Baseline::take();
    let game = GameLoop::start();
    let addr = game.addr();
    let canaries: Vec<Canary> = (0..CANARIES).map(|_| Canary::connect(addr)).collect();
    let memory = MemoryWatch::start();
    let stop = Arc::new(AtomicBool::new(false));
    let chatting: Vec<JoinHandle<Canary>> = canaries
        .into_iter()
        .map(|mut canary| {
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    canary.round_trip();
                    // Pacing, not synchronisation: a line every ~10 ms per canary.
                    thread::sleep(Duration::from_millis(10));
                }
                canary
            })
        })
        .collect();
    let floods: Vec<(Peer, u16)> = (0..FLOODS).map(|_| flood_client(addr)).collect();
    let ports: Vec<u16> = floods.iter().map(|(_, port)| *port).collect();
    let started = Instant::now();
    let all_gone = eventually(DEADLINE * 3, || {
        started.elapsed() >= Duration::from_secs(3) && game.all_gone(&ports)
    });
    stop.store(true, Ordering::SeqCst);
    assert!(all_gone, "not every flood client was reported gone");
    // Their connections are closed: each gets part of the flood, then the end of
    // the stream.
    let delivered: usize = floods
        .into_iter()
        .map(|(mut peer, _)| flood_bytes(&peer.receive_to_end()))
        .sum();
    let canaries: Vec<Canary> = chatting
        .into_iter()
        .map(|t| t.join().expect("a canary failed"))
        .collect();
    let growth = memory.growth_kib();
    let report = game.stop();
    let worst = canaries.iter().map(|c| c.worst).max().unwrap();
    let trips: usize = canaries.iter().map(|c| c.count).sum();
    eprintln!(
        "{trips} round trips, worst {worst:?}; {} loop iterations, longest {:?}; {} KiB flooded; memory +{growth} KiB",
        report.iterations,
        report.longest_iteration,
        report.flooded >> 10
    );
    assert_flooded_until_full(&report, FLOODS);
    assert!(delivered <= report.flooded, "more arrived than was sent");
    assert!(
        worst < Duration::from_millis(200),
        "a chatting client waited {worst:?} for its answer"
    );
    let bound_kib = (FLOODS * MAX_OUTPUT + (16 << 20)) >> 10;
    assert!(
        growth < bound_kib,
        "memory grew by {growth} KiB (bound {bound_kib} KiB)"
    );
    drop(canaries);
    baseline.assert_restored("after 30 flood clients in the game loop");
}

/// Shutting the server down while a deactivated client's queue is still being sent
/// in the background (the game loop has let go of the client) still closes that
/// client's socket, and releases everything the server held.
#[test]
fn a_shutdown_right_after_deactivate_still_closes_the_clients_socket() {
    let _serial = serial();
    let baseline = Baseline::take();
    // The test's thread is the game loop.
    let (server, mut peer, client) = game_loop_with_one_client(TelnetServer::builder());
    let started = Instant::now();
    let accepted = fill_queue(&server, &client, 200 << 10);
    client.deactivate();
    drop(client);
    // The game loop lets go of it (on_disconnect), and the server stops at once.
    while !server.clients().is_empty() {
        server.poll(Duration::from_millis(10)).unwrap();
        assert!(started.elapsed() < DEADLINE, "the client was never dropped");
    }
    server.shutdown();
    drop(server);
    // The peer reads now: it gets what was sent, then the end of the stream.
    let received = peer.receive_to_end();
    assert!(
        received.iter().filter(|&&b| b == b'y').count() <= accepted,
        "more arrived than was sent"
    );
    drop(peer);
    baseline.assert_restored("after a shutdown right after deactivate");
}
