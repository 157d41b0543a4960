//! Ports for peers that must be told theirs (they cannot pick one and report it).

use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};

/// Below the ephemeral range (32768 and up on Linux), where the kernel does not hand
/// ports to outgoing connections.
const LOW: u16 = 20_000;
const SPAN: u16 = 12_000;

/// A loopback port nobody listens on right now, never the same twice in one process.
///
/// Not taken from the ephemeral range: such a port, released, is soon taken again by
/// some outgoing connection (the kernel hands them out), and the peer then fails to
/// listen (EADDRINUSE).
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    // Each process starts where its id says, so that two suites running at once
    // rarely meet.
    let start = u16::try_from(std::process::id() % u32::from(SPAN)).expect("below SPAN");
    let _ = NEXT.compare_exchange(0, start + 1, Ordering::SeqCst, Ordering::SeqCst);
    for _ in 0..SPAN {
        let port = LOW + NEXT.fetch_add(1, Ordering::SeqCst) % SPAN;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {LOW}..{}", LOW + SPAN);
}
