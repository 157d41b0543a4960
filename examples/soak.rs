//! A soak test: a chat server and thousands of clients chatting with it in one process,
//! for a set time, reporting errors, round-trip latency (p50/p99/max), memory, threads
//! and descriptors as it goes. It exits non-zero if any error happened.
//!
//! ```sh
//! ulimit -n 20000
//! cargo run --release --example soak -- --clients 2000 --seconds 60
//! ```
//!
//! Every client joins a room of ten, says a line every `--interval-ms` (with jitter),
//! and waits for the server's acknowledgement, which comes after the line has been
//! relayed to the nine others; latency is the time from `write` to that `ack`. Clients
//! also read everything the others say. An error is any failed call, or an `ack` later
//! than ten seconds. Figures are for the whole process: server and clients together.

use std::collections::HashMap;
use std::env;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use telnetlib::connection::Server;
use telnetlib::{ServerConnection, TelnetConnection, TelnetServer, WeakConnection};

/// Clients per chat room.
const ROOM: usize = 10;
/// The longest an `ack` may take before it counts as an error.
const ACK_LIMIT: Duration = Duration::from_secs(10);

struct Options {
    clients: usize,
    seconds: u64,
    interval: Duration,
    report: Duration,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        clients: 2000,
        seconds: 60,
        interval: Duration::from_millis(1000),
        report: Duration::from_secs(10),
    };
    let mut args = env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || -> Result<u64, String> {
            let text = args.next().ok_or(format!("{flag} needs a value"))?;
            text.parse()
                .map_err(|_| format!("{flag}: not a number: {text}"))
        };
        match flag.as_str() {
            "--clients" => options.clients = value()? as usize,
            "--seconds" => options.seconds = value()?,
            "--interval-ms" => options.interval = Duration::from_millis(value()?),
            "--report-secs" => options.report = Duration::from_secs(value()?),
            _ => {
                return Err(format!(
                    "unknown flag {flag}; flags: --clients N --seconds S --interval-ms M --report-secs R"
                ));
            }
        }
    }
    Ok(options)
}

/// What the clients and the reporter share.
#[derive(Default)]
struct Stats {
    connected: AtomicUsize,
    sent: AtomicUsize,
    relayed: AtomicUsize,
    errors: AtomicUsize,
    /// Round trips since the last report.
    latencies: Mutex<Vec<Duration>>,
    /// Every round trip, for the final figures: a fixed-size histogram, so that the
    /// soak's own bookkeeping does not grow the memory it reports.
    all: Mutex<Histogram>,
    first_errors: Mutex<Vec<String>>,
}

impl Stats {
    fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::SeqCst);
        let mut first = self.first_errors.lock().unwrap();
        if first.len() < 10 {
            eprintln!("error: {what}");
            first.push(what);
        }
    }
}

/// Round trips counted in 0.1 ms buckets up to 10 s (one more for anything longer).
struct Histogram {
    buckets: Vec<u64>,
    max: Duration,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: vec![0; 100_001],
            max: Duration::ZERO,
        }
    }
}

impl Histogram {
    fn record(&mut self, sorted: &[Duration]) {
        for &latency in sorted {
            let bucket = (latency.as_micros() / 100).min(100_000) as usize;
            self.buckets[bucket] += 1;
        }
        self.max = self.max.max(sorted.last().copied().unwrap_or_default());
    }

    fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The upper edge of the bucket holding the `q`-quantile.
    fn quantile(&self, q: f64) -> Duration {
        let target = (self.count() as f64 * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (bucket, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= target {
                return Duration::from_micros(bucket as u64 * 100 + 100).min(self.max);
            }
        }
        self.max
    }
}

/// The rooms: each client's connection, by room, for relaying.
type Rooms = Arc<Mutex<HashMap<usize, Vec<WeakConnection<Server>>>>>;

/// The server's handler: the client names its room, then each line it says is relayed
/// to the others in the room and acknowledged.
fn chat(client: ServerConnection, rooms: &Rooms) {
    let Ok(hello) = client.readline_str(None) else {
        return;
    };
    let Some(room) = hello
        .trim()
        .strip_prefix("join ")
        .and_then(|r| r.parse().ok())
    else {
        return;
    };
    rooms
        .lock()
        .unwrap()
        .entry(room)
        .or_default()
        .push(client.downgrade());
    if client.send("joined\n").is_err() {
        return;
    }
    while let Ok(line) = client.readline_str(None) {
        let Some(sequence) = line.trim().strip_prefix("say ") else {
            continue;
        };
        let others: Vec<ServerConnection> = rooms.lock().unwrap()[&room]
            .iter()
            .filter_map(WeakConnection::upgrade)
            .filter(|other| !other.same_connection(&client))
            .collect();
        for other in others {
            let _ = other.send(&format!("from {}: {sequence}\n", client.port()));
        }
        if client.send(&format!("ack {sequence}\n")).is_err() {
            return;
        }
    }
}

/// One chatting client, until `stop`.
fn chatter(
    index: usize,
    address: std::net::SocketAddr,
    options: &Options,
    stats: &Stats,
    stop: &AtomicBool,
) {
    let limit = Some(ACK_LIMIT);
    let conn = match TelnetConnection::builder()
        .connect_timeout(ACK_LIMIT)
        .connect(address)
    {
        Ok(conn) => conn,
        Err(error) => return stats.error(format!("client {index}: connect: {error}")),
    };
    let joined = conn
        .write_str(&format!("join {}\n", index / ROOM), limit)
        .and_then(|()| conn.read_until(b"joined\r\n", limit));
    if let Err(error) = joined {
        return stats.error(format!("client {index}: join: {error}"));
    }
    stats.connected.fetch_add(1, Ordering::SeqCst);
    // Spread the clients' lines over the interval.
    let interval = options.interval;
    let mut next = Instant::now() + interval.mul_f64((index % 97) as f64 / 97.0);
    let mut sequence = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if next > now {
            // Read what the others say meanwhile (at most until the next line is due).
            match conn.readline_str(Some(next - now)) {
                Ok(_) => stats.relayed.fetch_add(1, Ordering::Relaxed),
                Err(error) if error.is_timeout() => 0,
                Err(error) => return stats.error(format!("client {index}: read: {error}")),
            };
            continue;
        }
        sequence += 1;
        let ack = format!("ack {index}.{sequence}\r\n");
        let started = Instant::now();
        if let Err(error) = conn.write_str(&format!("say {index}.{sequence}\n"), limit) {
            return stats.error(format!("client {index}: write: {error}"));
        }
        stats.sent.fetch_add(1, Ordering::Relaxed);
        loop {
            match conn.readline(limit) {
                Ok(line) if line == ack.as_bytes() => break,
                Ok(_) => stats.relayed.fetch_add(1, Ordering::Relaxed),
                Err(error) => {
                    return stats.error(format!("client {index}: waiting for ack: {error}"));
                }
            };
        }
        let took = started.elapsed();
        stats.latencies.lock().unwrap().push(took);
        // Jitter: up to a tenth of the interval either way.
        let jitter = interval.mul_f64(((sequence * 7 + index as u64) % 21) as f64 / 100.0);
        next += interval - interval / 10 + jitter;
    }
}

/// The `q`-quantile of sorted durations.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let rooms: Rooms = Arc::default();
    let server = TelnetServer::builder()
        .line_mode(true)
        .max_connections(options.clients + 16)
        .backlog(4096)
        .timeout(Some(ACK_LIMIT))
        .handler_stack_size(256 << 10)
        .bind("127.0.0.1:0")
        .expect("bind");
    let server = Arc::new(server);
    let serving = Arc::clone(&server);
    let handler_rooms = Arc::clone(&rooms);
    let serve = thread::spawn(move || serving.serve(move |client| chat(client, &handler_rooms)));

    let options = Arc::new(options);
    let stats = Arc::new(Stats::default());
    let stop = Arc::new(AtomicBool::new(false));
    println!(
        "soak: {} clients, a line each every {:?}, for {} s",
        options.clients, options.interval, options.seconds
    );
    let started = Instant::now();
    let address = server.local_addr();
    let clients: Vec<_> = (0..options.clients)
        .map(|index| {
            let (options, stats, stop) =
                (Arc::clone(&options), Arc::clone(&stats), Arc::clone(&stop));
            thread::Builder::new()
                .name(format!("soak-client-{index}"))
                .stack_size(128 << 10)
                .spawn(move || chatter(index, address, &options, &stats, &stop))
                .expect("client thread")
        })
        .collect();

    let end = started + Duration::from_secs(options.seconds);
    println!(
        "{:>6} {:>7} {:>9} {:>10} {:>6} {:>8} {:>8} {:>8} {:>8} {:>7} {:>5}",
        "time",
        "clients",
        "lines",
        "relayed",
        "errors",
        "p50 ms",
        "p99 ms",
        "max ms",
        "RSS MiB",
        "threads",
        "fds"
    );
    while Instant::now() < end {
        thread::sleep(
            options
                .report
                .min(end.saturating_duration_since(Instant::now())),
        );
        let mut window = std::mem::take(&mut *stats.latencies.lock().unwrap());
        window.sort();
        println!(
            "{:>5}s {:>7} {:>9} {:>10} {:>6} {:>8.2} {:>8.2} {:>8.2} {:>8.1} {:>7} {:>5}",
            started.elapsed().as_secs(),
            stats.connected.load(Ordering::SeqCst),
            stats.sent.load(Ordering::SeqCst),
            stats.relayed.load(Ordering::SeqCst),
            stats.errors.load(Ordering::SeqCst),
            quantile(&window, 0.50).as_secs_f64() * 1e3,
            quantile(&window, 0.99).as_secs_f64() * 1e3,
            window.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
            rss_mib(),
            count("/proc/self/task"),
            count("/proc/self/fd"),
        );
        stats.all.lock().unwrap().record(&window);
    }
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        let _ = client.join();
    }
    server.shutdown();
    let _ = serve.join();

    let mut rest = std::mem::take(&mut *stats.latencies.lock().unwrap());
    rest.sort();
    let mut all = stats.all.lock().unwrap();
    all.record(&rest);
    let errors = stats.errors.load(Ordering::SeqCst);
    println!(
        "total: {} clients connected, {} lines acknowledged, {} relayed, {} errors; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.1} s",
        stats.connected.load(Ordering::SeqCst),
        all.count(),
        stats.relayed.load(Ordering::SeqCst),
        errors,
        all.quantile(0.50).as_secs_f64() * 1e3,
        all.quantile(0.99).as_secs_f64() * 1e3,
        all.max.as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64(),
    );
    for error in stats.first_errors.lock().unwrap().iter() {
        println!("error: {error}");
    }
    let connected = stats.connected.load(Ordering::SeqCst);
    if errors > 0 || connected < options.clients {
        println!("FAILED: the bar is zero errors and every client connected");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
