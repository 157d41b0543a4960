//! What every interop test needs: finding the peers (failing, never skipping, when one
//! is missing), child processes killed on drop, free ports and waiting for a server to
//! listen, a counting relay that records the bytes both ways, a tmux terminal of a
//! given size, and the results file each cell writes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any single step may take before the test fails: generous, because the
/// peers are slow to start on a loaded machine; a working step takes well under 1 s.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// `DEADLINE` as the `Option` the library's calls take.
pub const WAIT: Option<Duration> = Some(DEADLINE);

/// The installation hint shown when a peer is missing.
const INSTALL: &str = "run .ci/run, or: apt-get install telnet-ssl inetutils-telnet \
    busybox-static inetutils-telnetd libtelnet-utils tintin++ tmux openssl putty-tools \
    ckermit expect ser2net socat, and \
    python3 -m venv target/interop-venv && target/interop-venv/bin/pip install \
    telnetlib3==5.0.1 miniboa pyserial==3.5";

/// A peer program at a fixed path; fails the test with what to install when absent.
pub fn require(path: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "interop peer missing: {} (Debian package {package}); {INSTALL}",
        path.display()
    );
    path
}

/// The Python virtual environment holding telnetlib3 and miniboa:
/// `$TELNETLIB_INTEROP_VENV`, else `target/interop-venv`.
pub fn venv() -> PathBuf {
    let dir = std::env::var_os("TELNETLIB_INTEROP_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/interop-venv"));
    let python = dir.join("bin/python");
    assert!(
        python.is_file(),
        "interop peer missing: no Python venv at {} (set TELNETLIB_INTEROP_VENV); {INSTALL}",
        dir.display()
    );
    dir
}

/// The venv's Python, checked to have `module` installed.
pub fn venv_python(module: &str) -> PathBuf {
    let python = venv().join("bin/python");
    let status = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .stderr(Stdio::null())
        .status()
        .expect("run the venv's python");
    assert!(
        status.success(),
        "interop peer missing: Python module {module} in {}; {INSTALL}",
        python.display()
    );
    python
}

/// A peer script shipped beside the tests (`cli/tests/interop/peers/NAME`).
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop/peers")
        .join(name)
}

pub use crate::ports::free_port;

/// Whether a socket listens on TCP `port`: from the kernel's tables, so that nothing
/// connects to a server that takes a single connection (ser2net, C-Kermit).
pub fn listens(port: u16) -> bool {
    const LISTEN: &str = "0A";
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|table| {
        let table = std::fs::read_to_string(table).unwrap_or_default();
        table.lines().skip(1).any(|row| {
            let fields: Vec<&str> = row.split_whitespace().collect();
            let local_port = fields[1].rsplit(':').next().unwrap();
            u16::from_str_radix(local_port, 16) == Ok(port) && fields[3] == LISTEN
        })
    })
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Polls `done` every few milliseconds until it holds; panics with `what` at the deadline.
pub fn poll_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until something accepts connections on 127.0.0.1:`port`.
pub fn wait_listening(port: u16) -> SocketAddr {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    poll_until(&format!("a server on {address}"), || {
        TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
    });
    address
}

/// A child process whose output (stdout and stderr merged) is collected, killed when
/// dropped.
pub struct Proc {
    name: String,
    child: Child,
    output: Arc<Mutex<Vec<u8>>>,
    /// The threads copying its output; they end when it closes its pipes.
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Proc {
    /// Starts `command` with its standard input piped.
    pub fn spawn(name: &str, command: &mut Command) -> Proc {
        Proc::spawn_with(name, command.stdin(Stdio::piped()).stdout(Stdio::piped()))
    }

    /// Starts `command` with the standard input and output it was given (a socket,
    /// for a server run inetd-style); collects what it prints on piped streams.
    pub fn spawn_with(name: &str, command: &mut Command) -> Proc {
        let mut child = command
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let output = Arc::new(Mutex::new(Vec::new()));
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let readers = [stdout, stderr]
            .into_iter()
            .flatten()
            .map(|mut stream| {
                let output = Arc::clone(&output);
                std::thread::spawn(move || {
                    let mut buffer = [0u8; 4096];
                    while let Ok(n @ 1..) = stream.read(&mut buffer) {
                        output.lock().unwrap().extend_from_slice(&buffer[..n]);
                    }
                })
            })
            .collect();
        Proc {
            name: name.to_owned(),
            child,
            output,
            readers,
        }
    }

    /// Everything it printed so far, as text.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Everything it printed so far, as bytes (for output that is not text, 0xFF).
    pub fn output_bytes(&self) -> Vec<u8> {
        self.output.lock().unwrap().clone()
    }

    /// Writes to its standard input.
    pub fn input(&mut self, text: &str) {
        self.input_bytes(text.as_bytes());
    }

    /// Writes to its standard input if it still reads it (for input only a session
    /// that got through will use: a peer that failed may have exited already).
    pub fn input_if_alive(&mut self, text: &str) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = stdin
                .write_all(text.as_bytes())
                .and_then(|()| stdin.flush());
        }
    }

    /// Writes bytes to its standard input (for input that is not text, 0xFF).
    pub fn input_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.child.stdin.as_mut().expect("stdin is piped");
        stdin.write_all(bytes).expect("write to the peer");
        stdin.flush().unwrap();
    }

    /// Waits until its output contains `text`; returns all output.
    pub fn wait_output(&mut self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let output = self.output();
            if output.contains(text) {
                return output;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                self.drain();
                let output = self.output();
                assert!(
                    output.contains(text),
                    "{} exited ({status}) without printing {text:?}; output:\n{output}",
                    self.name
                );
                return output;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{} never printed {text:?}; output:\n{output}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for it to exit; returns its status and output.
    pub fn wait_exit(&mut self) -> (ExitStatus, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the peer") {
                self.drain();
                return (status, self.output());
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{} did not exit; output:\n{}",
                self.name,
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Once it has exited: waits (with a deadline) until its pipes are read to the
    /// end. A process it left behind may keep them open; then what arrived is it.
    fn drain(&self) {
        let start = Instant::now();
        while !self.readers.iter().all(|r| r.is_finished()) && start.elapsed() < DEADLINE / 4 {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether it has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A relay between a client and a server on loopback that records every byte each
/// way: the exact exchange, for checking what a peer sent and that no negotiation
/// loops. It serves one connection.
pub struct Tap {
    address: SocketAddr,
    /// Client to server, then server to client.
    log: Arc<Mutex<[Vec<u8>; 2]>>,
}

/// At most this much is recorded each way.
const TAP_LIMIT: usize = 1 << 20;

impl Tap {
    /// Listens on 127.0.0.1 (port 0) and relays the first connection to `target`.
    pub fn new(target: SocketAddr) -> Tap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the tap");
        let address = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new([Vec::new(), Vec::new()]));
        let shared = Arc::clone(&log);
        std::thread::spawn(move || {
            let Ok((client, _)) = listener.accept() else {
                return;
            };
            let Ok(server) = TcpStream::connect(target) else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let pairs = [
                (client.try_clone().unwrap(), server.try_clone().unwrap(), 0),
                (server, client, 1),
            ];
            for (mut from, mut to, way) in pairs {
                let log = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let mut buffer = [0u8; 16384];
                    while let Ok(n @ 1..) = from.read(&mut buffer) {
                        {
                            let mut log = log.lock().unwrap();
                            let room = TAP_LIMIT.saturating_sub(log[way].len());
                            log[way].extend_from_slice(&buffer[..n.min(room)]);
                        }
                        if to.write_all(&buffer[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(Shutdown::Write);
                });
            }
        });
        Tap { address, log }
    }

    /// Where clients should connect.
    pub fn addr(&self) -> SocketAddr {
        self.address
    }

    /// The port clients should connect to.
    pub fn port(&self) -> String {
        self.address.port().to_string()
    }

    /// What the client has sent so far.
    pub fn client_sent(&self) -> Vec<u8> {
        self.log.lock().unwrap()[0].clone()
    }

    /// What the server has sent so far.
    pub fn server_sent(&self) -> Vec<u8> {
        self.log.lock().unwrap()[1].clone()
    }

    /// Asserts that neither side repeated any WILL/WONT/DO/DONT more than `most` times
    /// or any subnegotiation more than `SB_MOST` (a loop repeats without end), and
    /// returns both sides' negotiations for the record.
    pub fn assert_no_loop(&self, most: usize) -> String {
        assert_no_loop_in(&self.client_sent(), &self.server_sent(), most)
    }
}

/// `Tap::assert_no_loop` on Telnet streams given apart from a relay: what the client
/// sent, then what the server sent (for instance once decompressed).
pub fn assert_no_loop_in(client: &[u8], server: &[u8], most: usize) -> String {
    let mut summary = Vec::new();
    for (who, bytes) in [("client", client), ("server", server)] {
        let counts = negotiations(bytes);
        for (&(verb, opt), &n) in &counts {
            let limit = if verb == 0xfa { SB_MOST } else { most };
            assert!(
                n <= limit,
                "the {who} sent {} {opt} {n} times (a negotiation loop?); it sent: {}",
                verb_name(verb),
                escape(bytes)
            );
        }
        summary.push(format!("{who}: {}", describe_negotiations(&counts)));
    }
    summary.join("; ")
}

/// A TTYPE cycle asks up to 8 times (telnetlib3's `TTYPE_LOOPMAX`), plus the repeat.
const SB_MOST: usize = 9;

fn verb_name(verb: u8) -> &'static str {
    match verb {
        251 => "WILL",
        252 => "WONT",
        253 => "DO",
        254 => "DONT",
        _ => "SB",
    }
}

fn describe_negotiations(counts: &BTreeMap<(u8, u8), usize>) -> String {
    counts
        .iter()
        .map(|(&(verb, opt), n)| {
            let name = telnetlib::proto::Opt(opt).to_string();
            if *n == 1 {
                format!("{} {name}", verb_name(verb))
            } else {
                format!("{} {name} x{n}", verb_name(verb))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Counts `IAC WILL/WONT/DO/DONT opt` and `IAC SB opt` in a byte stream (a small
/// independent scanner, so the check does not trust the library under test).
pub fn negotiations(bytes: &[u8]) -> BTreeMap<(u8, u8), usize> {
    let mut counts = BTreeMap::new();
    let mut i = 0;
    let mut in_sb = false;
    while i + 1 < bytes.len() {
        if bytes[i] != 0xff {
            i += 1;
            continue;
        }
        match bytes[i + 1] {
            0xff => i += 2,
            0xf0 => {
                in_sb = false;
                i += 2;
            }
            verb @ (0xfa..=0xfe) if !in_sb && i + 2 < bytes.len() => {
                *counts.entry((verb, bytes[i + 2])).or_insert(0) += 1;
                in_sb = verb == 0xfa;
                i += 3;
            }
            _ => i += 2,
        }
    }
    counts
}

/// Bytes as readable text.
pub fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// A tmux session of a given size running one command, on a tmux server of its own
/// (killed on drop, with everything in it).
pub struct Tmux {
    /// Names its socket and output files.
    name: String,
}

impl Tmux {
    /// Runs `command` (a shell command line) in a `cols`×`rows` terminal.
    pub fn start(name: &str, cols: u16, rows: u16, command: &str) -> Tmux {
        require("/usr/bin/tmux", "tmux");
        let tmux = Tmux {
            name: format!("telnetlib-interop-{name}-{}", std::process::id()),
        };
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
            command,
        ]);
        tmux.run(&["set-option", "-g", "remain-on-exit", "on"]);
        // Everything the program writes to its terminal, raw, from here on.
        let _ = std::fs::remove_file(tmux.output_path());
        let pipe = format!("cat > '{}'", tmux.output_path().display());
        tmux.run(&["pipe-pane", "-o", &pipe]);
        tmux
    }

    /// The tmux server's socket (tmux leaves it behind when killed).
    fn socket_path(&self) -> PathBuf {
        std::env::temp_dir().join(format!("{}.sock", self.name))
    }

    fn output_path(&self) -> PathBuf {
        std::env::temp_dir().join(format!("{}.out", self.name))
    }

    /// The raw bytes the program wrote to its terminal since shortly after it started.
    pub fn output(&self) -> Vec<u8> {
        std::fs::read(self.output_path()).unwrap_or_default()
    }

    /// Resizes the terminal (the program gets SIGWINCH).
    pub fn resize(&self, cols: u16, rows: u16) {
        self.run(&[
            "resize-window",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
        ]);
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-u")
            .arg("-S")
            .arg(self.socket_path())
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux");
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Types `text` literally.
    pub fn keys(&self, text: &str) {
        self.run(&["send-keys", "-l", text]);
    }

    /// Presses one named key (`Enter`, `C-]`, …).
    pub fn key(&self, key: &str) {
        self.run(&["send-keys", key]);
    }

    /// Sends raw bytes to the terminal, as if typed.
    pub fn bytes(&self, bytes: &[u8]) {
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut args = vec!["send-keys", "-H"];
        args.extend(hex.iter().map(String::as_str));
        self.run(&args);
    }

    /// The visible screen.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }

    /// Polls the screen until it contains `text` (a terminal cannot tell us).
    pub fn wait_screen(&self, text: &str) -> String {
        self.wait_screen_for(&format!("{text:?}"), |screen| screen.contains(text))
    }

    /// Polls the screen until `shows` holds; `what` names it in the failure.
    pub fn wait_screen_for(&self, what: &str, shows: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if shows(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "the terminal never showed {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(self.socket_path())
            .arg("kill-server")
            .output();
        let _ = std::fs::remove_file(self.socket_path());
        let _ = std::fs::remove_file(self.output_path());
    }
}

/// One cell of the interoperability matrix. It records its result in
/// `target/interop-results/<id>.tsv` when dropped: `pass` (the session works) unless
/// the test is panicking (`FAIL`) or asserts a known failure it reproduces (`fails`,
/// its cause first among the notes), with the facts noted along the way.
/// `cli/tests/interop/results.sh` makes COMPAT.md's table from these files, and
/// `check_table.sh` checks the committed table against them.
pub struct Cell {
    id: String,
    columns: [String; 3],
    notes: Vec<String>,
    /// The session does not work (or not in every run) and the test asserts that it
    /// fails as described: why, and whether it fails in some runs only.
    failure: Option<(String, bool)>,
}

impl Cell {
    /// `group` is the matrix section, `peer` the program, `direction` who is client.
    pub fn new(id: &str, group: &str, peer: &str, direction: &str) -> Cell {
        Cell {
            id: id.to_owned(),
            columns: [group.to_owned(), peer.to_owned(), direction.to_owned()],
            notes: Vec::new(),
            failure: None,
        }
    }

    /// Records the cell as a failure the test reproduces (the session does not work),
    /// with its cause; the test passes only while the failure happens as described.
    pub fn reproduced_failure(&mut self, cause: impl Into<String>) {
        self.failure = Some((cause.into(), false));
    }

    /// Records the cell as a failure that happens in some runs and not others (a race
    /// in the peer): `fails (intermittent)`, whatever this run saw, since a user
    /// cannot rely on the session; the test accepts either outcome and notes which
    /// one it saw.
    pub fn intermittent_failure(&mut self, cause: impl Into<String>) {
        self.failure = Some((cause.into(), true));
    }

    /// Adds a checked fact to the record.
    pub fn note(&mut self, fact: impl Into<String>) {
        self.notes.push(fact.into());
    }
}

impl Drop for Cell {
    fn drop(&mut self) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/interop-results");
        let _ = std::fs::create_dir_all(&dir);
        let result = match (&self.failure, std::thread::panicking()) {
            (_, true) => "FAIL",
            (Some((cause, intermittent)), false) => {
                self.notes.insert(0, format!("cause: {cause}"));
                match intermittent {
                    true => "fails (intermittent)",
                    false => "fails",
                }
            }
            (None, false) => "pass",
        };
        let notes = self.notes.join("; ").replace(['\t', '\n'], " ");
        let line = format!(
            "{}\t{}\t{}\t{result}\t{notes}\n",
            self.columns[0], self.columns[1], self.columns[2]
        );
        let _ = std::fs::write(dir.join(format!("{}.tsv", self.id)), line);
    }
}

/// Reads `KEY=VALUE` lines printed by a peer script.
pub fn facts(output: &str) -> BTreeMap<String, String> {
    BufReader::new(output.as_bytes())
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            Some((key.trim().to_owned(), value.trim_end().to_owned()))
        })
        .collect()
}
