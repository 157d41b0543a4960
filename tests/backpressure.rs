//! A peer that sends 100 MiB to a client that does not keep up: the client's memory
//! stays bounded (the reader stops reading, TCP flow control holds the peer back) and
//! not a byte is lost. In its own test binary so the memory figures are this test's.

mod support;

use std::io::{ErrorKind, Write};
use std::thread;
use std::time::Duration;

use support::peer::{DEADLINE, Peer};
use telnetlib::TelnetConnection;

const TOTAL: usize = 100 << 20;
const BUFFER: usize = 256 << 10;

/// A field of /proc/self/status in KiB (VmRSS, VmHWM).
fn status_kib(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_flood_is_held_back_by_flow_control_and_nothing_is_lost() {
    let mut peer = Peer::bind();
    let conn = TelnetConnection::builder()
        .max_input_buffer(BUFFER)
        .connect(peer.addr())
        .unwrap();
    peer.accept();
    let rss_before = status_kib("VmRSS");
    let mut socket = peer.socket().try_clone().unwrap();

    // The peer writes until a write stalls for 200 ms: the client has stopped reading.
    let (stalled_tx, stalled_rx) = std::sync::mpsc::channel();
    let sender = thread::spawn(move || {
        let block: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
        let mut sent = 0;
        let mut reported = false;
        socket
            .set_write_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        while sent < TOTAL {
            let offset = sent % block.len();
            let end = block.len().min(offset + TOTAL - sent);
            match socket.write(&block[offset..end]) {
                Ok(n) => sent += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if !reported {
                        stalled_tx.send(sent).unwrap();
                        reported = true;
                    }
                    socket.set_write_timeout(None).unwrap();
                }
                Err(e) => panic!("peer write: {e}"),
            }
        }
    });
    let sent_when_stalled = stalled_rx
        .recv_timeout(DEADLINE)
        .expect("the peer was never held back");
    // What the client accepted is bounded by its buffer plus the kernel's socket buffers.
    assert!(
        sent_when_stalled < 32 << 20,
        "{sent_when_stalled} bytes went out before back-pressure"
    );

    let mut received = 0usize;
    while received < TOTAL {
        let chunk = conn.read_up_to(BUFFER, Some(DEADLINE)).unwrap();
        for (i, &byte) in chunk.iter().enumerate() {
            assert_eq!(
                byte,
                ((received + i) % 65536 % 251) as u8,
                "byte {} corrupted",
                received + i
            );
        }
        received += chunk.len();
    }
    sender.join().unwrap();
    let growth_kib = status_kib("VmHWM").saturating_sub(rss_before);
    eprintln!("held back after {sent_when_stalled} bytes; peak memory growth {growth_kib} KiB");
    assert!(
        growth_kib < 24 * 1024,
        "memory grew by {growth_kib} KiB while 100 MiB went through"
    );
}
