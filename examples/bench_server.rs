//! The server row of the side-by-side benchmark (`../shared/bench`): default server
//! negotiation, a greeting, each line echoed, and `bulk N` answered with N bytes of
//! text before the connection closes.
//!
//! `cargo build --release --examples`, then
//! `target/release/examples/bench_server --port 6023 --mode serve|poll [--tick MS] [--stats]
//! [--proxy-from CIDR]`.
//!
//! With `--proxy-from` it stands behind a load balancer (HAProxy's `send-proxy-v2`):
//! each connection from that network starts with a PROXY header (the HAProxy row of
//! the benchmark, `deploy/haproxy/bench_row.sh`).
//!
//! In `poll` mode the game loop never waits for a client: bulk output is queued a
//! chunk at a time while the client's queue has room, and the loop goes on serving
//! everyone else; `poll` waits at most `--tick` milliseconds (default 50). With
//! `--stats` it prints, every second, the longest loop iteration (while any client is
//! connected) and the longest `deactivate()` call seen so far (to standard error).

use std::sync::Arc;
use std::time::{Duration, Instant};

use telnetlib::{ServerConnection, TelnetServer};

const CHUNK: usize = 64 * 1024;
/// The most output queued for one client (the server's `max_output_buffer`).
const MAX_OUTPUT: usize = 4 << 20;
/// The most bulk output queued per loop iteration, shared by the clients streaming
/// (each gets at least one chunk), so that one turn of the loop stays short however
/// many clients stream at once.
const BULK_PER_TURN: usize = 1 << 20;

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

/// The N of a `bulk N` line.
fn bulk_size(line: &[u8]) -> Option<usize> {
    std::str::from_utf8(line.strip_prefix(b"bulk ")?)
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `bulk N` on a handler's own thread: N bytes of payload, written with back-pressure.
fn bulk(client: &ServerConnection, n: usize, chunk: &[u8]) -> Option<()> {
    let mut left = n;
    while left > 0 {
        let take = left.min(CHUNK);
        client.write_bytes(&chunk[..take], None).ok()?;
        left -= take;
    }
    Some(())
}

fn serve(server: &TelnetServer, chunk: Arc<Vec<u8>>) -> Result<(), telnetlib::Error> {
    server.serve(move |client| {
        if client.write_bytes(b"welcome\r\n", None).is_err() {
            return;
        }
        while let Ok(line) = client.readline(None) {
            if let Some(n) = bulk_size(&line) {
                bulk(&client, n, &chunk);
                return;
            }
            if client.write_bytes(&line, None).is_err() {
                return;
            }
        }
    })
}

/// A `bulk N` the game loop is still queueing.
struct Bulk {
    client: ServerConnection,
    left: usize,
}

/// The slowest loop iteration and `deactivate()` seen, for `--stats`.
#[derive(Default)]
struct Stats {
    longest_iteration: Duration,
    longest_deactivate: Duration,
    printed: Option<Instant>,
}

impl Stats {
    fn report(&mut self) {
        if self
            .printed
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1))
        {
            eprintln!(
                "stats longest_iteration_us={} longest_deactivate_us={}",
                self.longest_iteration.as_micros(),
                self.longest_deactivate.as_micros()
            );
            self.printed = Some(Instant::now());
        }
    }
}

impl Bulk {
    /// Whether more of it could be queued now.
    fn has_room(&self) -> bool {
        self.client.queued_output() + CHUNK <= MAX_OUTPUT
    }

    /// Queues what fits, up to `budget` bytes; false once it is all queued (the
    /// client is then deactivated) or the client is gone.
    fn feed(&mut self, chunk: &[u8], budget: usize, stats: &mut Stats) -> bool {
        let mut this_turn = 0;
        while self.left > 0
            && this_turn < budget
            && self.client.queued_output() + CHUNK <= MAX_OUTPUT
        {
            let take = self.left.min(CHUNK);
            if self.client.send_bytes(&chunk[..take]).is_err() {
                return false;
            }
            self.left -= take;
            this_turn += take;
        }
        if self.left > 0 {
            return self.client.active();
        }
        let started = Instant::now();
        self.client.deactivate();
        stats.longest_deactivate = stats.longest_deactivate.max(started.elapsed());
        false
    }
}

fn poll(
    server: &TelnetServer,
    chunk: Arc<Vec<u8>>,
    tick: Duration,
    stats: bool,
) -> Result<(), telnetlib::Error> {
    server.set_on_connect(|client| {
        let _ = client.send_bytes(b"welcome\r\n");
    });
    let mut bulks: Vec<Bulk> = Vec::new();
    let mut figures = Stats::default();
    loop {
        let started = Instant::now();
        // Bulk output that could be queued now: look for input and go on at once.
        let waiting = bulks.iter().any(Bulk::has_room);
        server.poll(if waiting { Duration::ZERO } else { tick })?;
        let clients = server.clients();
        for client in &clients {
            while let Ok(line) = client.readline(Some(Duration::ZERO)) {
                if let Some(n) = bulk_size(&line) {
                    bulks.push(Bulk {
                        client: client.clone(),
                        left: n,
                    });
                    break;
                }
                if client.send_bytes(&line).is_err() {
                    break;
                }
            }
        }
        let budget = (BULK_PER_TURN / bulks.len().max(1)).max(CHUNK);
        bulks.retain_mut(|bulk| bulk.feed(&chunk, budget, &mut figures));
        // Iterations with nobody connected only measure how busy the machine is.
        if stats && !clients.is_empty() {
            figures.longest_iteration = figures.longest_iteration.max(started.elapsed());
            figures.report();
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
    let stats = args.iter().any(|a| a == "--stats");
    let tick = Duration::from_millis(value("--tick").and_then(|t| t.parse().ok()).unwrap_or(50));
    let mut builder = TelnetServer::builder();
    if let Some(network) = value("--proxy-from") {
        builder = builder.proxy_from(network);
    }
    let server = builder
        .max_connections(20_000)
        .max_output_buffer(MAX_OUTPUT)
        .handler_stack_size(128 << 10)
        .bind(("127.0.0.1", port))?;
    let chunk = Arc::new(payload_chunk());
    match mode {
        "poll" => poll(&server, chunk, tick, stats),
        _ => serve(&server, chunk),
    }
}
