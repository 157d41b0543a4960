//! The server row of the side-by-side benchmark (`../shared/bench`): default server
//! negotiation, a greeting, each line echoed, and `bulk N` answered with N bytes of
//! text before the connection closes.
//!
//! `cargo build --release --examples`, then
//! `target/release/examples/bench_server --port 6023 --mode serve|poll`.

use std::sync::Arc;
use std::time::Duration;

use telnetlib::{ServerConnection, TelnetServer};

const CHUNK: usize = 64 * 1024;

/// The harness's payload: 64-byte lines (62 printable characters and CR LF).
fn payload_chunk() -> Vec<u8> {
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut k = 0u16;
    while chunk.len() < CHUNK {
        chunk.extend((0..62u16).map(|j| b'!' + ((k + j) % 94) as u8));
        chunk.extend_from_slice(b"\r\n");
        k = (k + 1) % 94;
    }
    chunk
}

/// `bulk N` → N bytes of payload, written with back-pressure.
fn bulk(client: &ServerConnection, line: &[u8], chunk: &[u8]) -> Option<()> {
    let n: usize = std::str::from_utf8(line.strip_prefix(b"bulk ")?)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let mut left = n;
    while left > 0 {
        let take = left.min(CHUNK);
        client.write(&chunk[..take], None).ok()?;
        left -= take;
    }
    Some(())
}

fn serve(server: &TelnetServer, chunk: Arc<Vec<u8>>) -> Result<(), telnetlib::Error> {
    server.serve(move |client| {
        if client.write(b"welcome\r\n", None).is_err() {
            return;
        }
        while let Ok(line) = client.readline(None) {
            if line.starts_with(b"bulk ") {
                bulk(&client, &line, &chunk);
                return;
            }
            if client.write(&line, None).is_err() {
                return;
            }
        }
    })
}

fn poll(server: &TelnetServer, chunk: Arc<Vec<u8>>) -> Result<(), telnetlib::Error> {
    server.set_on_connect(|client| {
        let _ = client.send_bytes(b"welcome\r\n");
    });
    loop {
        server.poll(Duration::from_millis(50))?;
        for client in server.clients() {
            while let Ok(line) = client.readline(Some(Duration::ZERO)) {
                if line.starts_with(b"bulk ") {
                    // Bulk blocks this client's turn only while the socket takes it.
                    bulk(&client, &line, &chunk);
                    client.deactivate();
                    break;
                }
                if client.send_bytes(&line).is_err() {
                    break;
                }
            }
        }
    }
}

fn main() -> Result<(), telnetlib::Error> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let port: u16 = value("--port").and_then(|p| p.parse().ok()).unwrap_or(6023);
    let mode = value("--mode").map(String::as_str).unwrap_or("serve");
    let server = TelnetServer::builder()
        .max_connections(20_000)
        .handler_stack_size(128 << 10)
        .bind(("127.0.0.1", port))?;
    let chunk = Arc::new(payload_chunk());
    match mode {
        "poll" => poll(&server, chunk),
        _ => serve(&server, chunk),
    }
}
