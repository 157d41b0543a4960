//! The IO core's hand-over of a socket between the threads that read it: a caller
//! waiting for input reads its own socket and answers negotiation itself; while nobody
//! reads, the poller does (after a short grace once a caller stops). These tests check
//! what a user depends on: negotiation is answered whoever reads, no byte is lost or
//! delivered twice when the socket changes hands, a timed-out read consumes nothing,
//! and threads do not grow with connections (one poller shared by all clients, none
//! per connection on a server).
//!
//! Every test takes [`serial`] first: some count the process's threads.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use support::peer::{DEADLINE, Peer, escape, eventually};
use telnetlib::proto::{Command, Opt, OwnedEvent, Verb};
use telnetlib::{Error, ServerConnection, TelnetConnection, TelnetServer, Want};

const WAIT: Option<Duration> = Some(DEADLINE);

const IAC: u8 = 255;
const WILL: u8 = 251;
const WONT: u8 = 252;
const DO_TM: &[u8] = b"\xff\xfd\x06";
const NOP: &[u8] = b"\xff\xf1";

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs the calling test alone in this binary (a failed test does not poison the rest):
/// some tests count the process's threads, which the others' connections would change.
fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Our client connected to a raw peer playing the server.
fn connect() -> (Peer, TelnetConnection) {
    let mut peer = Peer::bind();
    let conn = TelnetConnection::builder()
        .connect_timeout(DEADLINE)
        .connect(peer.addr())
        .expect("connect");
    peer.accept();
    (peer, conn)
}

/// Receives the client's answer to `DO TM`: `IAC WILL TM` or `IAC WONT TM`.
fn expect_tm_answer(peer: &mut Peer) {
    let answer = peer.receive_until(|got| got.len() >= 3);
    assert!(
        answer.len() == 3 && answer[0] == IAC && matches!(answer[1], WILL | WONT) && answer[2] == 6,
        "expected IAC WILL/WONT TM, got {:?}",
        escape(&answer)
    );
}

/// An event the connection's hook saw, and the thread that ran the hook.
#[derive(Debug, Clone)]
struct Seen {
    event: OwnedEvent,
    thread: ThreadId,
    name: Option<String>,
}

/// Installs a hook on `conn` that records every event with the thread that saw it.
fn record_events(conn: &TelnetConnection) -> Arc<Mutex<Vec<Seen>>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    conn.set_event_hook(Some(move |event: &OwnedEvent| {
        let current = thread::current();
        sink.lock().unwrap().push(Seen {
            event: event.clone(),
            thread: current.id(),
            name: current.name().map(str::to_owned),
        });
    }));
    log
}

fn is_do_tm(event: &OwnedEvent) -> bool {
    matches!(
        event,
        OwnedEvent::Negotiation {
            verb: Verb::Do,
            opt: Opt::TM
        }
    )
}

/// The names of this process's threads (as the kernel keeps them: 15 bytes at most).
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim_end().to_owned())
        .collect()
}

fn threads() -> usize {
    thread_names().len()
}

/// Threads named exactly `name` (server pollers are `telnet-poll-<port>`: not these).
fn threads_named(name: &str) -> usize {
    thread_names().iter().filter(|n| *n == name).count()
}

// ------------------------------------------------------------------- negotiation while nobody reads

#[test]
fn negotiation_is_answered_while_nobody_reads() {
    let _serial = serial();
    let (mut peer, conn) = connect();
    let seen = record_events(&conn);
    // The test never calls a read on the connection: the poller answers.
    peer.send(b"\xff\xfd\x18"); // DO TTYPE
    peer.expect(b"\xff\xfb\x18"); // WILL TTYPE
    peer.send(b"\xff\xfd\x1f"); // DO NAWS
    peer.expect(b"\xff\xfb\x1f\xff\xfa\x1f\x00\x50\x00\x19\xff\xf0"); // WILL NAWS, 80x25
    peer.send(DO_TM);
    expect_tm_answer(&mut peer);
    assert!(conn.local_option(Opt::TTYPE) && conn.local_option(Opt::NAWS));
    let seen = seen.lock().unwrap();
    let negotiations: Vec<&Seen> = seen
        .iter()
        .filter(|s| matches!(s.event, OwnedEvent::Negotiation { .. }))
        .collect();
    assert_eq!(negotiations.len(), 3, "{seen:?}");
    for s in negotiations {
        assert_eq!(
            s.name.as_deref(),
            Some("telnet-poll"),
            "{:?} was not handled by the clients' poller",
            s.event
        );
    }
}

#[test]
fn after_a_caller_stops_reading_the_poller_answers_negotiation() {
    let _serial = serial();
    let (mut peer, conn) = connect();
    let seen = record_events(&conn);
    peer.send(b"hello\r\n");
    assert_eq!(conn.readline(WAIT).unwrap(), b"hello\r\n");
    // From now on the test calls nothing on the connection.
    peer.send(DO_TM);
    expect_tm_answer(&mut peer);
    let seen = seen.lock().unwrap();
    let tm = seen
        .iter()
        .find(|s| is_do_tm(&s.event))
        .expect("the hook saw DO TM");
    assert_eq!(tm.name.as_deref(), Some("telnet-poll"), "{tm:?}");
    drop(seen);
    // The reply came in order, with nothing else before or after it.
    peer.expect_nothing_more();
}

#[test]
fn a_caller_blocked_in_a_read_answers_negotiation_itself_and_gets_the_data() {
    let _serial = serial();
    let (mut peer, conn) = connect();
    let seen = record_events(&conn);
    let caller = thread::current().id();
    let watched = Arc::clone(&seen);
    let script = thread::spawn(move || {
        // Wait until the caller is reading the socket itself: it is once the hook
        // runs on its thread (the NOPs before that may go to the poller).
        let started = Instant::now();
        loop {
            peer.send(NOP);
            let on_caller = eventually(Duration::from_millis(20), || {
                watched.lock().unwrap().iter().any(|s| {
                    s.thread == caller && matches!(s.event, OwnedEvent::Command(Command::Nop))
                })
            });
            if on_caller {
                break;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "the blocked caller never read the socket"
            );
        }
        peer.send(DO_TM);
        expect_tm_answer(&mut peer);
        peer.send(b"prompt> ");
        peer
    });
    let got = conn.read_until(b"prompt> ", WAIT);
    let _peer = script.join().expect("the peer's script failed");
    assert_eq!(got.unwrap(), b"prompt> ");
    let seen = seen.lock().unwrap();
    let tm = seen
        .iter()
        .find(|s| is_do_tm(&s.event))
        .expect("the hook saw DO TM");
    assert_eq!(
        tm.thread, caller,
        "DO TM was not handled by the caller blocked in read_until: {tm:?}"
    );
}

#[test]
fn two_callers_waiting_on_one_connection_both_get_their_answer() {
    let _serial = serial();
    for round in 0..20 {
        let (mut peer, conn) = connect();
        let conn = Arc::new(conn);
        let start = Arc::new(Barrier::new(3));
        let (reader_conn, reader_start) = (Arc::clone(&conn), Arc::clone(&start));
        let reader = thread::spawn(move || {
            reader_start.wait();
            reader_conn.readline(WAIT)
        });
        let (waiter_conn, waiter_start) = (Arc::clone(&conn), Arc::clone(&start));
        let waiter = thread::spawn(move || {
            waiter_start.wait();
            waiter_conn.wait_for(&[Want::RemoteEnabled(Opt::ECHO)], WAIT)
        });
        start.wait();
        // Both in one segment, or one after the other.
        if round % 2 == 0 {
            peer.send(b"\xff\xfb\x01line\r\n"); // WILL ECHO, then the line
        } else {
            peer.send(b"\xff\xfb\x01");
            peer.send(b"line\r\n");
        }
        peer.expect(b"\xff\xfd\x01"); // DO ECHO
        let line = reader.join().unwrap();
        let waited = waiter.join().unwrap();
        assert_eq!(line.unwrap(), b"line\r\n", "round {round}");
        waited.unwrap_or_else(|e| panic!("round {round}: wait_for failed: {e}"));
        assert!(conn.remote_option(Opt::ECHO));
        assert!(
            conn.read_some(Some(Duration::ZERO))
                .unwrap_err()
                .is_timeout(),
            "round {round}: data left over"
        );
    }
}

#[test]
fn no_byte_is_lost_or_repeated_when_the_socket_changes_hands() {
    let _serial = serial();
    const ROUNDS: usize = 200;
    let (peer, conn) = connect();
    let together = Arc::new(Barrier::new(2));
    let peer_together = Arc::clone(&together);
    let (nothing_read_tx, nothing_read_rx) = mpsc::channel();
    let script = thread::spawn(move || {
        let mut peer = peer;
        for round in 0..ROUNDS {
            peer_together.wait();
            if round % 3 == 1 {
                // Letting time pass on purpose: the caller is in its read (it holds
                // the socket) when the line comes.
                thread::sleep(Duration::from_millis(2));
            }
            peer.send(format!("line {round}\r\n").as_bytes());
        }
        // Then a line while nobody reads: the poller takes it (DO TM is answered
        // after it, so it is buffered when the answer arrives).
        peer.send(b"late\r\n");
        peer.send(DO_TM);
        expect_tm_answer(&mut peer);
        nothing_read_tx.send(()).unwrap();
        peer
    });
    for round in 0..ROUNDS {
        together.wait();
        if round % 3 == 2 {
            // Letting time pass on purpose: longer than the poller's grace after
            // the last read, so the poller holds the socket (and may have read the
            // line) when this read starts.
            thread::sleep(Duration::from_millis(15));
        }
        let line = conn.readline(WAIT).unwrap();
        assert_eq!(
            escape(&line),
            format!("line {round}\\r\\n"),
            "round {round}: a line was lost, repeated or cut"
        );
    }
    nothing_read_rx
        .recv_timeout(DEADLINE)
        .expect("the late line's DO TM was not answered");
    assert_eq!(conn.readline(WAIT).unwrap(), b"late\r\n");
    // Returned once: nothing is left.
    let rest = conn.read_some(Some(Duration::from_millis(50)));
    assert!(
        matches!(rest, Err(Error::Timeout { .. })),
        "after the late line: {rest:?}"
    );
    let mut peer = script.join().unwrap();
    peer.expect_nothing_more();
}

#[test]
fn a_timed_out_read_consumes_nothing() {
    let _serial = serial();
    let (mut peer, conn) = connect();
    let mut sent = Vec::new();
    for chunk in [&b"first part, "[..], b"second part\r\n", b"and a tail"] {
        // DO TM after the chunk: once it is answered, the client has taken the chunk
        // off the socket.
        peer.send(chunk);
        peer.send(DO_TM);
        expect_tm_answer(&mut peer);
        sent.extend_from_slice(chunk);
        let missed = conn.read_until(b"never", Some(Duration::from_millis(50)));
        assert!(
            matches!(
                missed,
                Err(Error::Timeout {
                    operation: "read_until",
                    ..
                })
            ),
            "{missed:?}"
        );
    }
    let got = conn.read_some(WAIT).unwrap();
    assert_eq!(escape(&got), escape(&sent), "the timed-out reads lost data");
}

// ------------------------------------------------------------------- threads

#[test]
fn client_connections_share_one_poller_thread_that_stops_with_the_last() {
    let _serial = serial();
    // A new thread takes its name as it starts: counts that must rise wait for it.
    let polling = |count: usize| eventually(DEADLINE, || threads_named("telnet-poll") == count);
    assert!(
        polling(0),
        "a client poller runs before any client connection: {:?}",
        thread_names()
    );
    let (mut first_peer, first) = connect();
    assert!(polling(1), "no client poller: {:?}", thread_names());
    let (mut second_peer, second) = connect();
    // Both connections are served by it (so a second poller would be running by now).
    first_peer.send(DO_TM);
    second_peer.send(DO_TM);
    expect_tm_answer(&mut first_peer);
    expect_tm_answer(&mut second_peer);
    assert_eq!(threads_named("telnet-poll"), 1, "{:?}", thread_names());
    drop(first);
    second_peer.send(DO_TM);
    expect_tm_answer(&mut second_peer);
    assert_eq!(
        threads_named("telnet-poll"),
        1,
        "the poller stopped while a client connection remains: {:?}",
        thread_names()
    );
    drop(second);
    assert!(
        polling(0),
        "the client poller outlived the last client connection: {:?}",
        thread_names()
    );
    // A new connection starts it again.
    let (mut peer, conn) = connect();
    peer.send(DO_TM);
    expect_tm_answer(&mut peer);
    assert!(polling(1), "no client poller: {:?}", thread_names());
    drop(conn);
    assert!(polling(0), "{:?}", thread_names());
}

/// A server running `serve` on a thread of its own.
fn serving(
    server: TelnetServer,
    handler: impl Fn(ServerConnection) + Send + Sync + 'static,
) -> (Arc<TelnetServer>, thread::JoinHandle<()>) {
    let server = Arc::new(server);
    let serving = Arc::clone(&server);
    let thread = thread::spawn(move || serving.serve(handler).unwrap());
    (server, thread)
}

fn client_of(addr: SocketAddr) -> TelnetConnection {
    TelnetConnection::builder()
        .connect_timeout(DEADLINE)
        .connect(addr)
        .expect("connect")
}

#[test]
fn a_served_connection_adds_its_handler_thread_and_no_other() {
    let _serial = serial();
    const CLIENTS: usize = 50;
    let server = TelnetServer::builder()
        .line_mode(true)
        .bind("127.0.0.1:0")
        .unwrap();
    let (in_readline_tx, in_readline_rx) = mpsc::channel();
    let in_readline_tx = Mutex::new(in_readline_tx);
    let (server, serve_thread) = serving(server, move |client| {
        in_readline_tx.lock().unwrap().send(()).unwrap();
        if let Ok(line) = client.readline_str(None) {
            let _ = client.send(&format!("got {}\n", line.trim()));
        }
    });
    // The server and `serve` run; what follows is per connection.
    let before = threads();
    let clients: Vec<TelnetConnection> = (0..CLIENTS)
        .map(|_| client_of(server.local_addr()))
        .collect();
    for _ in 0..CLIENTS {
        in_readline_rx
            .recv_timeout(DEADLINE)
            .expect("a handler did not start");
    }
    let during = threads();
    eprintln!(
        "threads: {before} with the server running, {during} with {CLIENTS} handlers in readline"
    );
    // One handler each; the clients' shared poller (1), and a little for the test
    // harness starting the next test's thread.
    assert!(
        during <= before + CLIENTS + 4,
        "{CLIENTS} connections took {} threads: {:?}",
        during - before,
        thread_names()
    );
    // The handlers were really in readline: each answers its client's line.
    for (i, client) in clients.iter().enumerate() {
        client.write_str(&format!("c{i}\n"), WAIT).unwrap();
    }
    for (i, client) in clients.iter().enumerate() {
        let answer = client.read_until(format!("got c{i}\r\n").as_bytes(), WAIT);
        assert!(answer.is_ok(), "client {i}: {answer:?}");
    }
    drop(clients);
    server.shutdown();
    serve_thread.join().unwrap();
}

#[test]
fn a_game_loop_serves_two_hundred_clients_without_a_thread_each() {
    let _serial = serial();
    const CLIENTS: usize = 200;
    let before = threads();
    let server = Arc::new(
        TelnetServer::builder()
            .line_mode(true)
            .bind("127.0.0.1:0")
            .unwrap(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let (loop_server, loop_stop) = (Arc::clone(&server), Arc::clone(&stop));
    let game_loop = thread::spawn(move || {
        while !loop_stop.load(Ordering::SeqCst) {
            loop_server.poll(Duration::from_millis(20)).unwrap();
            for client in loop_server.clients() {
                while let Some(command) = client.get_command() {
                    let _ = client.send(&format!("echo {command}\n"));
                }
            }
        }
    });
    let clients: Vec<TelnetConnection> = (0..CLIENTS)
        .map(|_| client_of(server.local_addr()))
        .collect();
    let mut peak = threads();
    for (i, client) in clients.iter().enumerate() {
        client.write_str(&format!("hello {i}\n"), WAIT).unwrap();
    }
    for (i, client) in clients.iter().enumerate() {
        let answer = client.read_until(format!("echo hello {i}\r\n").as_bytes(), WAIT);
        assert!(answer.is_ok(), "client {i} was not served: {answer:?}");
        if i % 50 == 0 {
            peak = peak.max(threads());
        }
    }
    peak = peak.max(threads());
    assert_eq!(server.clients().len(), CLIENTS);
    eprintln!("threads: {before} before the server, at most {peak} with {CLIENTS} clients");
    // The game loop, the server's poller and acceptor, the clients' poller, and a
    // little for the test harness.
    assert!(
        peak < before + 10,
        "{CLIENTS} game-loop clients took {} threads: {:?}",
        peak - before,
        thread_names()
    );
    stop.store(true, Ordering::SeqCst);
    game_loop.join().unwrap();
    drop(clients);
    server.shutdown();
}
