//! Hostile peers against the server and the client over real loopback sockets: floods,
//! storms, stalls, slowloris, resets, connect floods, handler faults, invalid text,
//! endless streams to the legacy `expect`, replies owed to peers that never read them
//! (compressed request bombs, echo floods), state a peer makes us keep (refused
//! environments, unread MUD messages), stalled TLS and PROXY handshakes, and
//! resource accounting. Each test asserts what a user depends on: the server keeps
//! serving others, memory stays bounded, the right error reaches the caller, and no
//! thread or descriptor is left behind.
//!
//! The tests of this binary run one at a time ([`serial`]): they measure process-wide
//! figures (threads in /proc/self/task, descriptors in /proc/self/fd, VmRSS).
//! Full-size variants (100 MiB, 1 GiB, 1,000 or 10,000 connections, 1M toggles) are
//! `#[ignore]`d and run by `.ci/run` with
//! `cargo test --release --test hostile -- --ignored`.

#[path = "../support/mod.rs"]
mod support;

mod accounting;
mod amplification;
mod faults;
mod floods;
mod gameloop;
mod handshakes;
mod resets;
mod retained;
mod slowloris;
mod stalls;
mod streams;
mod text;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use telnetlib::{ClientBuilder, ServerBuilder, ServerConnection, TelnetConnection, TelnetServer};

pub use support::peer::{DEADLINE, Peer, eventually};

/// The round trip an established client must keep while another connection attacks.
pub const LATENCY_BOUND: Duration = Duration::from_secs(2);

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs the calling test alone in this binary (a failed test does not poison the rest).
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Threads of this process, leaving out libtest's: it starts the next test's thread
/// (which then waits in [`serial`]) while the current test runs. Its threads are named
/// after their test, `module::name`, and threads they start unnamed inherit that name;
/// the library's threads are all named `telnet-…`.
pub fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| !name.contains("::"))
        .count()
}

/// Open descriptors of this process.
pub fn descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// VmRSS of this process, in KiB.
pub fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// utime + stime (fields 14 and 15 of proc(5)) of a `stat` file, and the name in it.
fn stat_cpu(stat: &str) -> (String, Duration) {
    let open = stat.find('(').unwrap();
    let close = stat.rfind(')').unwrap();
    let name = stat[open + 1..close].to_owned();
    // The fields after the name start with field 3 (the state).
    let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let cpu = Duration::from_millis(ticks * 1000 / clock_ticks());
    (name, cpu)
}

/// The CPU time (user and system) this process has used so far.
pub fn cpu_time() -> Duration {
    stat_cpu(&std::fs::read_to_string("/proc/self/stat").unwrap()).1
}

/// The threads of this process that used 50 ms of CPU or more, busiest first: what a
/// failed CPU bound shows.
pub fn busiest_threads() -> String {
    let mut busy: Vec<(String, Duration)> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("stat")).ok())
        .map(|stat| stat_cpu(&stat))
        .filter(|(_, cpu)| *cpu >= Duration::from_millis(50))
        .collect();
    busy.sort_by_key(|(_, cpu)| std::cmp::Reverse(*cpu));
    busy.iter()
        .map(|(name, cpu)| format!("{name} {:.2} s", cpu.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names of the threads [`threads`] counts (all but libtest's), for failures.
pub fn thread_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim_end().to_owned())
        .filter(|name| !name.contains("::"))
        .collect();
    names.sort();
    names
}

/// Threads of the library (named `telnet-…`) running now.
pub fn library_threads() -> usize {
    thread_names()
        .iter()
        .filter(|name| name.starts_with("telnet-"))
        .count()
}

/// A game-loop server (line mode, handed out after 100 ms) driven by the test's own
/// thread, with one raw client connected and handed out to it.
pub fn game_loop_with_one_client(builder: ServerBuilder) -> (TelnetServer, Peer, ServerConnection) {
    let server = builder
        .line_mode(true)
        .connect_maxwait(Duration::from_millis(100))
        .bind("127.0.0.1:0")
        .unwrap();
    let peer = Peer::connect(server.local_addr());
    let started = Instant::now();
    let client = loop {
        server.poll(Duration::from_millis(10)).unwrap();
        if let Some(client) = server.clients().first() {
            break client.clone();
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the client was never handed out"
        );
    };
    (server, peer, client)
}

/// Queues 16 KiB blocks of `y` to a client that reads nothing until `target` bytes
/// wait in its queue (the kernel's buffers full); how many bytes were queued.
pub fn fill_queue(server: &TelnetServer, client: &ServerConnection, target: usize) -> usize {
    let block = vec![b'y'; 16 << 10];
    let mut accepted = 0;
    while client.queued_output() < target {
        client.send_bytes(&block).unwrap();
        accepted += block.len();
        assert!(accepted < 256 << 20, "the peer's buffers never filled");
        server.poll(Duration::ZERO).unwrap();
    }
    accepted
}

/// Thread and descriptor counts at the start of a test, to be restored at its end.
pub struct Baseline {
    threads: usize,
    descriptors: usize,
}

impl Baseline {
    pub fn take() -> Baseline {
        Baseline {
            threads: threads(),
            descriptors: descriptors(),
        }
    }

    /// Asserts that threads and descriptors come back to their starting counts.
    pub fn assert_restored(&self, what: &str) {
        let back = eventually(DEADLINE, || {
            threads() <= self.threads && descriptors() <= self.descriptors
        });
        assert!(
            back,
            "{what}: threads {} -> {}, descriptors {} -> {}",
            self.threads,
            threads(),
            self.descriptors,
            descriptors()
        );
    }
}

/// Samples VmRSS every few milliseconds on a thread of its own, keeping the peak.
pub struct MemoryWatch {
    start: usize,
    peak: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    sampler: Option<JoinHandle<()>>,
}

impl MemoryWatch {
    pub fn start() -> MemoryWatch {
        let start = rss_kib();
        let peak = Arc::new(AtomicUsize::new(start));
        let stop = Arc::new(AtomicBool::new(false));
        let (peak_, stop_) = (Arc::clone(&peak), Arc::clone(&stop));
        let sampler = thread::spawn(move || {
            while !stop_.load(Ordering::SeqCst) {
                peak_.fetch_max(rss_kib(), Ordering::SeqCst);
                thread::sleep(Duration::from_millis(2));
            }
        });
        MemoryWatch {
            start,
            peak,
            stop,
            sampler: Some(sampler),
        }
    }

    /// Stops sampling; the peak growth over the start, in KiB.
    pub fn growth_kib(mut self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.sampler.take().unwrap().join().unwrap();
        self.peak.load(Ordering::SeqCst).saturating_sub(self.start)
    }
}

/// A server running `serve` on a thread of its own; shut down and joined on drop.
pub struct Served {
    pub server: Arc<TelnetServer>,
    thread: Option<JoinHandle<()>>,
}

impl Served {
    pub fn start(
        builder: ServerBuilder,
        handler: impl Fn(ServerConnection) + Send + Sync + 'static,
    ) -> Served {
        let server = Arc::new(builder.bind("127.0.0.1:0").unwrap());
        let serving = Arc::clone(&server);
        let thread = thread::spawn(move || serving.serve(handler).unwrap());
        Served {
            server,
            thread: Some(thread),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Shuts the server down and joins `serve`; how long shutdown took.
    pub fn stop(mut self) -> Duration {
        self.stop_now()
    }

    fn stop_now(&mut self) -> Duration {
        let started = Instant::now();
        self.server.shutdown();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
        started.elapsed()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// The handler most tests use: says `ready`, then answers each line `L` with `pong L`.
pub fn echo_handler(client: ServerConnection) {
    if client.send("ready\n").is_err() {
        return;
    }
    while let Ok(line) = client.readline_str(None) {
        if client.send(&format!("pong {}\n", line.trim())).is_err() {
            return;
        }
    }
}

/// A well-behaved client of a server running [`echo_handler`], measuring round trips.
pub struct Probe {
    conn: TelnetConnection,
    count: usize,
    pub worst: Duration,
}

impl Probe {
    /// Connects and waits for `ready`; panics if that takes longer than `limit`.
    pub fn connect(addr: SocketAddr, limit: Duration) -> Probe {
        let started = Instant::now();
        let conn = TelnetConnection::builder()
            .connect_timeout(limit)
            .connect(addr)
            .unwrap();
        conn.read_until(b"ready\r\n", Some(limit))
            .unwrap_or_else(|e| {
                panic!(
                    "a new client was not served within {limit:?}: {e}; it got {:?}",
                    conn.read_some(Some(Duration::ZERO))
                )
            });
        let took = started.elapsed();
        assert!(took <= limit, "a new client waited {took:?}");
        Probe {
            conn,
            count: 0,
            worst: Duration::ZERO,
        }
    }

    /// One line there and back; panics past [`LATENCY_BOUND`].
    pub fn round_trip(&mut self) -> Duration {
        self.count += 1;
        let started = Instant::now();
        let line = format!("probe{}", self.count);
        self.conn
            .write_str(&format!("{line}\n"), Some(DEADLINE))
            .unwrap();
        self.conn
            .read_until(format!("pong {line}\r\n").as_bytes(), Some(DEADLINE))
            .unwrap();
        let took = started.elapsed();
        self.worst = self.worst.max(took);
        assert!(
            took <= LATENCY_BOUND,
            "an established client's round trip took {took:?}"
        );
        took
    }

    /// Round trips until `done` holds (checked between them); at least one.
    pub fn keep_probing_until(&mut self, done: impl Fn() -> bool) {
        loop {
            self.round_trip();
            if done() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A raw peer connected to `addr` that waits for the handler's `ready`.
pub fn ready_peer(addr: SocketAddr) -> Peer {
    let mut peer = Peer::connect(addr);
    peer.receive_until(|got| got.windows(7).any(|w| w == b"ready\r\n"));
    peer
}

/// Our client connected to a raw peer playing the server.
pub fn client_of_raw_server(builder: ClientBuilder) -> (TelnetConnection, Peer) {
    let mut server = Peer::bind();
    let conn = builder.connect(server.addr()).unwrap();
    server.accept();
    (conn, server)
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}
