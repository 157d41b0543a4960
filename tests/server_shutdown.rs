//! Shutdown with 100 connected clients returns in bounded time and leaves no thread
//! behind. In its own test binary so the thread count is this test's alone.

mod support;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use support::peer::DEADLINE;
use telnetlib::{TelnetConnection, TelnetServer};

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn shutdown_with_100_clients_returns_and_leaves_no_thread_behind() {
    let before = thread_count();
    let server = Arc::new(TelnetServer::bind("127.0.0.1:0").unwrap());
    let serving = Arc::clone(&server);
    // Handlers that block in a read forever: only shutdown ends them.
    let serve = thread::spawn(move || {
        serving
            .serve(|client| {
                let _ = client.send("ready\n");
                let _ = client.read_all(None);
            })
            .unwrap()
    });
    let clients: Vec<TelnetConnection> = (0..100)
        .map(|_| TelnetConnection::connect(server.local_addr()).unwrap())
        .collect();
    for client in &clients {
        client.read_until(b"ready", Some(DEADLINE)).unwrap();
    }
    assert_eq!(server.client_count(), 100);

    let started = Instant::now();
    server.shutdown();
    serve.join().unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
    for client in &clients {
        assert!(
            client.read_all(Some(DEADLINE)).is_ok(),
            "a client was not closed"
        );
    }
    drop(clients);
    drop(server);
    let after = thread_count();
    assert_eq!(after, before, "threads before {before}, after {after}");
    eprintln!("shutdown with 100 clients took {took:?}");
}
