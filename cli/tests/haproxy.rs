//! The HAProxy recipe of `deploy/haproxy` (docs/deploy.md), run for real against
//! Debian's haproxy: three `telnetlib-server` backends, started with
//! `--proxy-from 127.0.0.1`, behind `haproxy -db -f deploy/haproxy/haproxy.cfg` — the
//! very file people are told to copy, its ports and variants set through the
//! environment as its header describes.
//!
//! Each scripted client connects from a loopback address of its own (127.0.1.1,
//! 127.0.1.2, …; any 127.x.y.z is local on Linux), so a backend that reports anything
//! but that client's exact address and port — HAProxy's own 127.0.0.1, say — is caught.
//! Which backend served a client is read from the backends' logs
//! (`connect ADDR:PORT (TERM)`).
//!
//! Needs `haproxy` (2.4 or later) on the PATH or in /usr/sbin: run with
//! `cargo test -p telnetlib-cli --features interop --test haproxy -- --test-threads=1`.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};
use support::certificate::Certificate;
use support::peer::{DEADLINE, Peer, eventually};
use support::ports::free_port;
use telnetlib::TelnetConnection;
use telnetlib::proto::{Engine, Policy};
use telnetlib::tls::{self, Roots};

const SERVER: &str = env!("CARGO_BIN_EXE_telnetlib-server");
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/haproxy/haproxy.cfg");
const RUN_SH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/haproxy/run.sh");
/// The default shell's prompt, which ends every answer.
const PROMPT: &str = "tel:sh> ";
const WAIT: Option<Duration> = Some(DEADLINE);

/// haproxy from the PATH, else where Debian installs it (/usr/sbin is not on an
/// ordinary user's PATH there).
fn haproxy() -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("haproxy"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/haproxy"))
}

/// The local address of client number `n`: 127.0.1.1 … 127.0.1.250, 127.0.2.1, …
fn source(n: usize) -> IpAddr {
    let third = u8::try_from(1 + n / 250).expect("fewer than 63,750 clients");
    IpAddr::V4(Ipv4Addr::new(127, 0, third, 1 + (n % 250) as u8))
}

/// A child process whose standard output and error are collected line by line as they
/// come, killed when dropped (a script is first asked to stop, so that its own trap
/// stops what it started).
struct Process {
    name: &'static str,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    terminate_first: bool,
}

impl Process {
    fn spawn(name: &'static str, command: &mut Command) -> Process {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout: Box<dyn Read + Send> = Box::new(child.stdout.take().unwrap());
        let stderr: Box<dyn Read + Send> = Box::new(child.stderr.take().unwrap());
        for stream in [stdout, stderr] {
            let lines = Arc::clone(&lines);
            // Ends when the process, and whatever inherited its output, is gone.
            thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        Process {
            name,
            child,
            lines,
            terminate_first: false,
        }
    }

    fn logged(&self, text: &str) -> bool {
        self.lines.lock().unwrap().iter().any(|l| l.contains(text))
    }

    /// Waits for a line containing `text` and returns it.
    fn wait_line(&self, text: &str) -> String {
        let mut found = None;
        let seen = eventually(DEADLINE, || {
            found = self
                .lines
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.contains(text))
                .cloned();
            found.is_some()
        });
        assert!(
            seen,
            "{} logged no line with {text:?}; its output:\n{}",
            self.name,
            self.output()
        );
        found.unwrap()
    }

    fn output(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("wait for a child")
    }

    /// Kills it with SIGKILL, as a crash would, and reaps it: its sockets are closed
    /// when this returns.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.terminate_first && self.exited().is_none() {
            let _ = kill_process(Pid::from_child(&self.child), Signal::TERM);
            eventually(DEADLINE, || self.exited().is_some());
        }
        self.kill();
    }
}

/// A `telnetlib-server` on an ephemeral loopback port that takes PROXY headers from
/// HAProxy (127.0.0.1) only.
struct Backend {
    process: Process,
    address: SocketAddr,
}

impl Backend {
    fn start(extra: &[&str]) -> Backend {
        let process = Process::spawn(
            "telnetlib-server",
            Command::new(SERVER)
                .args(["127.0.0.1", "0", "--proxy-from", "127.0.0.1"])
                .args(extra),
        );
        let line = process.wait_line("listening on ");
        let address = line
            .rsplit("listening on ")
            .next()
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Backend { process, address }
    }

    /// Whether it logged the start of a session for `client`.
    fn served(&self, client: SocketAddr) -> bool {
        self.process.logged(&format!("connect {client} ("))
    }
}

/// HAProxy's health checks (a v2 `LOCAL` header, or a v1 header naming HAProxy
/// itself, then a close or a reset) reach no shell and cost no warning: no session
/// logged from HAProxy's own 127.0.0.1 (clients come from other addresses), no
/// check taken for a stranger, no greeting mourned.
fn assert_checks_were_quiet(backends: &[Backend]) {
    for backend in backends {
        for line in backend.process.lines.lock().unwrap().iter() {
            assert!(
                !line.contains("connect 127.0.0.1:")
                    && !line.contains("not a trusted proxy")
                    && !line.contains("were not sent"),
                "a health check was not quiet: {line}"
            );
        }
    }
}

fn start_backends(extra: &[&str]) -> Vec<Backend> {
    (0..3).map(|_| Backend::start(extra)).collect()
}

/// The index of the backend that logged `client`'s session (log lines come through a
/// pipe, so they are waited for).
fn backend_of(backends: &[Backend], client: SocketAddr) -> usize {
    let mut found = None;
    let seen = eventually(DEADLINE, || {
        found = backends.iter().position(|b| b.served(client));
        found.is_some()
    });
    assert!(seen, "no backend logged a session for {client}");
    found.unwrap()
}

/// How many of `clients` each of the `backends` served.
fn per_backend(backends: &[Backend], clients: impl IntoIterator<Item = SocketAddr>) -> Vec<usize> {
    let mut counts = vec![0; backends.len()];
    for client in clients {
        counts[backend_of(backends, client)] += 1;
    }
    counts
}

/// Round robin: every backend got at least half an equal share of the clients.
/// (HAProxy's weighted round robin evens out over many clients — 300 come out
/// 100/100/100 — but its first few picks need not follow the servers' order.)
fn assert_spread(counts: &[usize]) {
    let total: usize = counts.iter().sum();
    assert!(
        counts.iter().all(|&n| n * counts.len() * 2 >= total),
        "round robin should spread {total} clients evenly, backends served {counts:?}"
    );
}

/// HAProxy with `deploy/haproxy/haproxy.cfg` in front of `backends`, the variant chosen
/// by `settings` (`SEND_PROXY`, `TLS_PEM`) as the file's header describes.
struct Balancer {
    process: Process,
    address: SocketAddr,
}

impl Balancer {
    /// Starts it and returns once it accepts connections.
    fn start(backends: &[Backend], settings: &[(&str, &str)]) -> Balancer {
        let port = free_port();
        let mut command = Command::new(haproxy());
        command.args(["-db", "-f", CONFIG]);
        // Only what this test sets shapes the recipe, not the caller's environment.
        for name in ["FRONTEND_ADDR", "BACKEND_ADDR", "SEND_PROXY", "TLS_PEM"] {
            command.env_remove(name);
        }
        command.env("FRONTEND_PORT", port.to_string());
        for (n, backend) in backends.iter().enumerate() {
            command.env(
                format!("BACKEND{}_PORT", n + 1),
                backend.address.port().to_string(),
            );
        }
        command.envs(settings.iter().copied());
        let mut process = Process::spawn("haproxy", &mut command);
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let listening = eventually(DEADLINE, || {
            if let Some(status) = process.exited() {
                panic!("haproxy ended ({status}):\n{}", process.output());
            }
            TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
        });
        assert!(listening, "haproxy is not listening on {address}");
        Balancer { process, address }
    }

    /// How many of `clients` HAProxy retried on another backend, and of how many it
    /// logged: a session's log line, written when it ends, shows its retries with a
    /// `+` when it was redispatched. HAProxy drops log lines rather than wait for a busy
    /// output, so some may be missing.
    fn redispatched(&self, clients: &[SocketAddr]) -> (usize, usize) {
        let lines = self.process.lines.lock().unwrap();
        let logged: Vec<&String> = clients
            .iter()
            .filter_map(|client| lines.iter().find(|l| l.starts_with(&format!("{client} ["))))
            .collect();
        // `… telnet telnetlib/telnet2 1/0/19 261 -- 327/327/326/112/+1 0/0`
        let retried = logged
            .iter()
            .filter(|line| {
                let counters = line.split_whitespace().nth(7).unwrap_or_default();
                counters
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .starts_with('+')
            })
            .count();
        (retried, logged.len())
    }

    /// Whether HAProxy's health checks marked backend `n` (from 0) down.
    fn marked_down(&self, n: usize) -> bool {
        self.process
            .logged(&format!("Server telnetlib/telnet{} is DOWN", n + 1))
    }
}

/// A scripted Telnet client of the balancer, connected from an address of its own,
/// at the default shell's prompt. It refuses every option, so negotiation settles at
/// once.
struct Session {
    peer: Peer,
    engine: Engine,
    /// Its own address and port: what the backend must report as the peer.
    client: SocketAddr,
}

impl Session {
    fn open(source: IpAddr, balancer: SocketAddr) -> Session {
        let mut peer = Peer::connect_from(source, balancer);
        let client = peer.socket().local_addr().unwrap();
        let mut engine = Engine::new(Policy::new());
        peer.negotiate_until_data(&mut engine, |data| data.ends_with(PROMPT.as_bytes()));
        Session {
            peer,
            engine,
            client,
        }
    }

    /// What the shell's `info` prints.
    fn info(&mut self) -> String {
        self.peer.send(b"info\r\n");
        let data = self
            .peer
            .negotiate_until_data(&mut self.engine, |data| data.ends_with(PROMPT.as_bytes()));
        String::from_utf8_lossy(&data).into_owned()
    }

    /// Waits until the stream ends: an orderly end (FIN), not a reset, before
    /// `deadline`. What the shell sent meanwhile is skipped.
    fn expect_end(&mut self, deadline: Instant) {
        let client = self.client;
        let socket = self.peer.socket();
        let mut buffer = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "the session of {client} did not end");
            socket.set_read_timeout(Some(left)).unwrap();
            match socket.read(&mut buffer) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => panic!("the session of {client} ended with {e}, not an orderly close"),
            }
        }
    }
}

/// Checks what `info` printed: the peer is exactly `client` and a balancer line names
/// HAProxy (connecting from 127.0.0.1), not the client.
fn check_info(info: &str, client: SocketAddr) {
    let line = |key: &str| {
        info.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key:?} line for {client} in {info:?}"))
            .to_owned()
    };
    assert_eq!(line("peer: "), client.to_string(), "info: {info:?}");
    let balancer: SocketAddr = line("balancer: ")
        .parse()
        .unwrap_or_else(|e| panic!("balancer line for {client}: {e}: {info:?}"));
    assert_eq!(balancer.ip(), IpAddr::from([127, 0, 0, 1]), "{info:?}");
    assert_ne!(balancer, client, "{info:?}");
}

/// Opens the sessions of clients `numbers` all at once, each from its own address,
/// runs `info` in each and checks it; returns them open.
fn open_checked(balancer: SocketAddr, numbers: std::ops::Range<usize>) -> Vec<Session> {
    thread::scope(|scope| {
        let opening: Vec<_> = numbers
            .map(|n| {
                scope.spawn(move || {
                    let mut session = Session::open(source(n), balancer);
                    check_info(&session.info(), session.client);
                    session
                })
            })
            .collect();
        opening.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

/// 300 clients at once over PROXY v2: every backend names each client exactly and
/// round robin spreads them over the three. Then one backend dies (SIGKILL) while it
/// holds a third of them: those sessions end cleanly, the others go on, and 30 clients
/// arriving right after the crash — before the health checks have noticed — all land
/// on the two others (HAProxy retries a refused connection elsewhere).
#[test]
fn three_backends_share_300_clients_and_survive_losing_one() {
    let started = Instant::now();
    let mut backends = start_backends(&[]);
    let balancer = Balancer::start(&backends, &[]);

    let mut sessions = open_checked(balancer.address, 0..300);
    let served: Vec<usize> = sessions
        .iter()
        .map(|s| backend_of(&backends, s.client))
        .collect();
    let mut counts = [0usize; 3];
    for &backend in &served {
        counts[backend] += 1;
    }
    assert_spread(&counts);
    assert!(
        (0..3).all(|n| !balancer.marked_down(n)),
        "a healthy backend was marked down:\n{}",
        balancer.process.output()
    );
    eprintln!(
        "300 clients checked through PROXY v2 in {:?}; backends served {counts:?}",
        started.elapsed()
    );

    // One backend crashes with its sessions open.
    let victim = 0;
    let crashed = Instant::now();
    backends[victim].process.kill();
    let newcomers = open_checked(balancer.address, 300..330);
    let mut landed = [0usize; 3];
    for session in &newcomers {
        landed[backend_of(&backends, session.client)] += 1;
    }
    assert_eq!(
        landed[victim], 0,
        "new clients on the dead backend: {landed:?}"
    );
    assert!(
        (0..3).all(|n| n == victim || landed[n] > 0),
        "new clients should go to both survivors: {landed:?}"
    );
    eprintln!(
        "30 clients after the crash: {landed:?} ({:?} after it)",
        crashed.elapsed()
    );

    // Closed now: HAProxy logs each when it ends (see the end of the test).
    let newcomers: Vec<SocketAddr> = newcomers.into_iter().map(|s| s.client).collect();

    // Its sessions ended, each with an orderly close, promptly.
    let mut ended = 0;
    for (session, &backend) in sessions.iter_mut().zip(&served) {
        if backend == victim {
            session.expect_end(crashed + DEADLINE);
            ended += 1;
        }
    }
    assert_eq!(ended, counts[victim]);
    eprintln!(
        "{ended} sessions of the dead backend closed within {:?}",
        crashed.elapsed()
    );

    // The survivors' sessions carry on, still naming their clients.
    thread::scope(|scope| {
        for (session, &backend) in sessions.iter_mut().zip(&served) {
            if backend != victim {
                scope.spawn(move || check_info(&session.info(), session.client));
            }
        }
    });

    // The health checks noticed the crash, and only it.
    balancer
        .process
        .wait_line(&format!("Server telnetlib/telnet{} is DOWN", victim + 1));
    assert!(
        (0..3).all(|n| n == victim || !balancer.marked_down(n)),
        "{}",
        balancer.process.output()
    );
    // For the record: whether the newcomers exercised the retries (none are, if a
    // health check marked the backend down before they came).
    let (redispatched, logged) = balancer.redispatched(&newcomers);
    eprintln!(
        "HAProxy's log: {redispatched} of the {logged} newcomers it logged were retried on another backend"
    );
    eprintln!("whole run: {:?}", started.elapsed());
    assert_checks_were_quiet(&backends);
}

/// HAProxy's `send-proxy` (the v1 text header): the same facts reach the backends.
#[test]
fn proxy_v1_names_the_clients_too() {
    // Debug logs show the checks the backends served quietly.
    let backends = start_backends(&["--loglevel", "debug"]);
    let balancer = Balancer::start(&backends, &[("SEND_PROXY", "send-proxy")]);
    let sessions = open_checked(balancer.address, 0..20);
    assert_spread(&per_backend(&backends, sessions.iter().map(|s| s.client)));
    // HAProxy's v1 checks (every 500 ms) come and go meanwhile.
    for backend in &backends {
        backend.process.wait_line("was a health check");
    }
    assert_checks_were_quiet(&backends);
}

/// `count` clients of `balancer` over TLS, one after the other, each checked with
/// `info`; their addresses.
fn tls_clients(balancer: &Balancer, certificate: &Certificate, count: usize) -> Vec<SocketAddr> {
    (0..count)
        .map(|_| {
            let roots = Roots::PemFile(certificate.cert.clone());
            let conn = TelnetConnection::builder()
                .tls(tls::client_config(roots).unwrap(), "localhost")
                .connect(balancer.address)
                .expect("connect over TLS through HAProxy");
            let client = conn.local_addr().expect("our address");
            conn.read_until_str(PROMPT, WAIT).expect("the prompt");
            conn.write_str("info\n", WAIT).unwrap();
            let info = conn.read_until_str(PROMPT, WAIT).expect("info");
            check_info(&info, client);
            client
        })
        .collect()
}

/// TLS ends at HAProxy (`bind … ssl crt`), plain Telnet behind it: the backends still
/// name each client.
#[test]
fn tls_ended_at_haproxy() {
    let certificate = Certificate::new();
    // HAProxy wants the certificate and its key in one file.
    let pem = certificate.dir.join("haproxy.pem");
    let mut both = std::fs::read(&certificate.cert).unwrap();
    both.extend(std::fs::read(&certificate.key).unwrap());
    std::fs::write(&pem, both).unwrap();
    let backends = start_backends(&[]);
    let balancer = Balancer::start(&backends, &[("TLS_PEM", pem.to_str().unwrap())]);
    let clients = tls_clients(&balancer, &certificate, 6);
    assert_spread(&per_backend(&backends, clients));
}

/// TLS passed through: HAProxy forwards bytes as they come to backends that serve TLS
/// themselves; the PROXY v2 header precedes the client's ClientHello.
#[test]
fn tls_passed_through_to_the_backends() {
    let certificate = Certificate::new();
    let (cert, key) = (
        certificate.cert.to_str().unwrap(),
        certificate.key.to_str().unwrap(),
    );
    let backends = start_backends(&["--ssl-certfile", cert, "--ssl-keyfile", key]);
    let balancer = Balancer::start(&backends, &[]);
    let clients = tls_clients(&balancer, &certificate, 6);
    assert_spread(&per_backend(&backends, clients));
}

/// `deploy/haproxy/run.sh` starts three backends and HAProxy (here on free ports and
/// with the binary under test), a client gets through, and SIGTERM stops everything.
#[test]
fn run_sh_starts_everything_and_stops_everything() {
    let ports = [free_port(), free_port(), free_port(), free_port()];
    let [frontend, backend_ports @ ..] = ports;
    let mut script = Process::spawn(
        "run.sh",
        Command::new(RUN_SH)
            .env("TELNETLIB_SERVER", SERVER)
            .env("HAPROXY", haproxy())
            .env("FRONTEND_PORT", frontend.to_string())
            .env("BACKEND1_PORT", backend_ports[0].to_string())
            .env("BACKEND2_PORT", backend_ports[1].to_string())
            .env("BACKEND3_PORT", backend_ports[2].to_string()),
    );
    script.terminate_first = true;
    let accepts = |port| {
        TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), DEADLINE).is_ok()
    };
    // The backends first: HAProxy may be up before them, and would refuse clients.
    for port in ports {
        let up = eventually(DEADLINE, || accepts(port));
        assert!(up, "nothing on port {port}:\n{}", script.output());
    }
    let balancer = SocketAddr::from(([127, 0, 0, 1], frontend));
    let mut session = Session::open(source(0), balancer);
    check_info(&session.info(), session.client);
    script.wait_line(&format!("connect {} (", session.client));

    kill_process(Pid::from_child(&script.child), Signal::TERM).unwrap();
    let ended = eventually(DEADLINE, || script.exited().is_some());
    assert!(ended, "run.sh did not end on SIGTERM:\n{}", script.output());
    // Its trap stopped (and waited for) all four.
    for port in ports {
        assert!(!accepts(port), "port {port} still open after run.sh ended");
    }
    session.peer.receive_to_end();
}
