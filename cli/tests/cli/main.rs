//! The two command-line tools, run as built binaries: the server's shells, the client
//! in scripted mode against the server, argument errors, graceful shutdown and
//! descriptor exhaustion (`descriptors`); and (`terminal`, `--ignored`: it needs tmux)
//! the interactive client in a real terminal.

mod descriptors;
mod parity;
mod serial;
#[path = "../../../tests/support/mod.rs"]
mod support;
mod terminal;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::peer::{DEADLINE, Peer};
use telnetlib::proto::Opt;
use telnetlib::{TelnetConnection, Want};

const SERVER: &str = env!("CARGO_BIN_EXE_telnetlib-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_telnetlib-client");
const WAIT: Option<Duration> = Some(DEADLINE);

/// A `telnetlib-server` on an ephemeral port, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
    log: mpsc::Receiver<String>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Server::start_command(Server::command("0", args))
    }

    /// Starts `command` (a `telnetlib-server` on port 0, perhaps run by a wrapper)
    /// and waits for the address it listens on.
    fn start_command(command: Command) -> Server {
        let (child, log) = Server::spawn_command(command);
        let line = log
            .recv_timeout(DEADLINE)
            .expect("the server logged nothing");
        let address = line
            .rsplit("listening on ")
            .next()
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Server {
            child,
            address,
            log,
        }
    }

    /// Starts `telnetlib-server 127.0.0.1 PORT ARGS`; its log lines arrive on the
    /// receiver.
    fn spawn(port: &str, args: &[&str]) -> (Child, mpsc::Receiver<String>) {
        Server::spawn_command(Server::command(port, args))
    }

    /// `telnetlib-server 127.0.0.1 PORT ARGS`.
    fn command(port: &str, args: &[&str]) -> Command {
        let mut command = Command::new(SERVER);
        command.args(["127.0.0.1", port]).args(args);
        command
    }

    /// Starts `command`; its log lines (standard error) arrive on the receiver.
    fn spawn_command(mut command: Command) -> (Child, mpsc::Receiver<String>) {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start telnetlib-server");
        let (tx, log) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        (child, log)
    }

    /// Waits for a log line containing `text`.
    fn wait_log(&self, text: &str) -> String {
        loop {
            let line = self
                .log
                .recv_timeout(DEADLINE)
                .unwrap_or_else(|_| panic!("no log line with {text:?}"));
            if line.contains(text) {
                return line;
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn session(server: &Server) -> TelnetConnection {
    let conn = TelnetConnection::builder()
        .terminal_type("vt-test")
        .window_size(100, 30)
        .connect(server.address)
        .unwrap();
    conn.read_until(b"tel:sh> ", WAIT).unwrap();
    conn
}

/// Sends a command and returns the output up to the next prompt, without the echo
/// of the command itself.
fn run(conn: &TelnetConnection, command: &str) -> String {
    conn.write_str(&format!("{command}\n"), WAIT).unwrap();
    let output = conn.read_until_str("tel:sh> ", WAIT).unwrap();
    let output = output
        .strip_prefix(&format!("{command}\r\n"))
        .unwrap_or(&output);
    output.trim_end_matches("tel:sh> ").to_owned()
}

#[test]
fn the_default_shell_answers_its_commands() {
    let server = Server::start(&[]);
    let conn = session(&server);
    assert!(run(&conn, "help").starts_with("commands: help, quit, info"));
    assert_eq!(run(&conn, "bogus"), "no such command.\r\n");
    assert_eq!(
        run(&conn, "version"),
        format!("telnetlib-server {}\r\n", env!("CARGO_PKG_VERSION"))
    );
    let info = run(&conn, "info");
    let keys: Vec<&str> = info.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(
        keys[..11],
        [
            "peer",
            "terminal_type",
            "columns",
            "rows",
            "encoding",
            "binary_in",
            "binary_out",
            "echo",
            "sga",
            "local_options",
            "remote_options"
        ]
    );
    assert!(info.contains("terminal_type: vt-test\r\n"), "{info}");
    assert!(info.contains("columns: 100\r\nrows: 30\r\n"), "{info}");
    assert!(info.contains("env.TERM: vt-test\r\n"), "{info}");
    let dump = run(&conn, "dump 4");
    assert_eq!(
        dump.len(),
        4096 + "\r\n4 OK\r\n".len(),
        "{:?}",
        &dump[dump.len() - 20..]
    );
    assert!(dump.ends_with("\r\n4 OK\r\n"));
    assert_eq!(run(&conn, "toggle echo"), "echo requested off\r\n");
    conn.write_str("quit\n", WAIT).unwrap();
    assert!(conn.read_all(WAIT).unwrap().ends_with(b"Goodbye.\r\n"));
    server.wait_log("disconnect");
}

#[test]
fn the_echo_shell_returns_bytes_unchanged() {
    let server = Server::start(&["--shell", "echo", "--line-mode"]);
    let mut client = Peer::connect(server.address);
    client.expect(b"\xff\xfd\x18");
    client.send(b"\xff\xfc\x18");
    client.send(b"ping \xff\xff\xc3(\r\n");
    let echoed =
        client.receive_until(|got| got.ends_with(b"\r\n") && got.windows(4).any(|w| w == b"ping"));
    let start = echoed.windows(4).position(|w| w == b"ping").unwrap();
    assert_eq!(&echoed[start..], b"ping \xff\xff\xc3(\r\n");
}

#[test]
fn the_scripted_client_prints_what_the_server_says() {
    let server = Server::start(&[]);
    let mut client = Command::new(CLIENT)
        .args([
            "127.0.0.1",
            &server.address.port().to_string(),
            "--term",
            "scripted-term",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    client
        .stdin
        .take()
        .unwrap()
        .write_all(b"info\r\nquit\r\n")
        .unwrap();
    let output = client.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{:?}", output.status);
    assert!(text.contains("terminal_type: scripted-term"), "{text}");
    assert!(text.contains("env.TERM: scripted-term"), "{text}");
    assert!(text.trim_end().ends_with("Goodbye."), "{text}");
}

#[test]
fn bad_arguments_are_one_line_and_status_2() {
    for program in [SERVER, CLIENT] {
        let output = Command::new(program)
            .arg("--no-such-flag")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        let version = Command::new(program).arg("--version").output().unwrap();
        assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
    }
    let refused = Command::new(CLIENT)
        .args(["127.0.0.1", "1"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    // One line naming the target and the system's reason.
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
    assert!(stderr.contains("os error 111"), "{stderr}");

    // A port already taken: the address and the system's reason.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let in_use = Command::new(SERVER)
        .args(["127.0.0.1", &port])
        .output()
        .unwrap();
    assert_eq!(in_use.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&in_use.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("os error 98"), "{stderr}");
}

#[test]
fn sigterm_shuts_the_server_down_gracefully() {
    let mut server = Server::start(&[]);
    let conn = session(&server);
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    server.wait_log("stopping");
    assert!(conn.read_all(WAIT).is_ok(), "the client was not closed");
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn pty_exec_runs_the_program_on_a_terminal_sized_by_naws() {
    let server = Server::start(&[
        "--pty-exec",
        "/bin/sh",
        "--",
        "-c",
        "stty size; echo TERM=$TERM; read line; stty size",
    ]);
    let conn = TelnetConnection::builder()
        .terminal_type("vt-test")
        .window_size(100, 30)
        .connect(server.address)
        .unwrap();
    assert!(
        conn.read_until_str("TERM=vt-test", WAIT)
            .unwrap()
            .contains("30 100")
    );
    // A resize reaches the program's terminal.
    conn.set_window_size(120, 40).unwrap();
    conn.write_str("go\n", WAIT).unwrap();
    let rest = String::from_utf8_lossy(&conn.read_all(WAIT).unwrap()).into_owned();
    assert!(rest.contains("40 120"), "{rest:?}");
    server.wait_log("/bin/sh ended");
}

#[test]
fn pty_exec_cat_echoes_and_is_reaped_when_the_client_leaves() {
    let server = Server::start(&["--pty-exec", "/bin/cat"]);
    let conn = TelnetConnection::connect(server.address).unwrap();
    conn.write_bytes(b"ping 1\r\n", WAIT).unwrap();
    assert!(conn.read_until(b"ping 1", WAIT).is_ok());
    drop(conn);
    assert!(server.wait_log("/bin/cat ended").contains("ended"));
    server.wait_log("disconnect");
}

#[test]
fn pty_exec_shell_ends_a_line_at_a_terminals_enter() {
    // Terminal clients (netkit telnet in BINARY) send a bare CR for Enter.
    let server = Server::start(&["--pty-exec", "/bin/sh"]);
    let conn = TelnetConnection::connect(server.address).unwrap();
    conn.wait_for(&[Want::LocalEnabled(Opt::BINARY)], WAIT)
        .unwrap();
    // Once the shell has run a command, its terminal mode is set.
    conn.write_bytes(b"echo rea''dy\n", WAIT).unwrap();
    assert!(conn.read_until(b"ready", WAIT).is_ok());
    conn.write_bytes(b"echo pty-$((6*7))\r", WAIT).unwrap();
    assert!(conn.read_until(b"pty-42", WAIT).is_ok());
}

/// Starts `program` with `args`, its three standard streams piped.
fn spawn_piped(program: &str, args: &[&str]) -> Child {
    Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {program}: {e}"))
}

/// The client joined to a raw peer, its standard input kept open for the test.
fn client_with_open_stdin(args: &[&str]) -> (Peer, Child) {
    let mut peer = Peer::bind();
    let port = peer.addr().port().to_string();
    let child = spawn_piped(CLIENT, &[&["127.0.0.1", port.as_str()], args].concat());
    peer.accept();
    (peer, child)
}

/// Runs the client against a scripted peer: stdin given, returns (peer, child).
fn client_against_peer(args: &[&str], stdin: &[u8]) -> (Peer, Child) {
    let (peer, mut child) = client_with_open_stdin(args);
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    (peer, child)
}

#[test]
fn no_telnet_passes_bytes_both_ways_untouched() {
    let (mut peer, child) = client_against_peer(&["--no-telnet"], b"abc\n\xff");
    peer.expect(b"abc\n\xff");
    peer.send(b"\xff\xfd\x18hello");
    peer.close();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, b"\xff\xfd\x18hello");
}

#[test]
fn encoding_errors_replace_ignore_or_stop() {
    for (policy, expected, success) in [
        ("replace", "a\u{fffd}b", true),
        ("ignore", "ab", true),
        ("strict", "", false),
    ] {
        let (mut peer, child) = client_against_peer(&["--encoding-errors", policy], b"");
        peer.send(b"a\xfeb");
        peer.close();
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.success(), success, "{policy}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            expected,
            "{policy}"
        );
    }
}

#[test]
fn typescript_records_the_session_and_minwait_holds_input_back() {
    let file = std::env::temp_dir().join(format!("telnetlib-typescript-{}", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let started = std::time::Instant::now();
    let (mut peer, child) = client_against_peer(
        &[
            "--typescript",
            file.to_str().unwrap(),
            "--connect-minwait",
            "0.3",
        ],
        b"first line\n",
    );
    peer.expect(b"first line\r\n");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "input went out before --connect-minwait"
    );
    peer.send(b"recorded output\r\n");
    peer.close();
    assert!(child.wait_with_output().unwrap().status.success());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "recorded output\r\n"
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn connect_maxwait_waits_for_our_requests_to_be_answered() {
    let started = std::time::Instant::now();
    let (mut peer, child) =
        client_against_peer(&["--always-do", "SGA", "--connect-maxwait", "0.4"], b"go\n");
    peer.expect(b"\xff\xfd\x03");
    // Unanswered, the request holds input back until --connect-maxwait.
    peer.expect(b"go\r\n");
    assert!(started.elapsed() >= Duration::from_millis(400));
    peer.close();
    assert!(child.wait_with_output().unwrap().status.success());
}

#[test]
fn compression_flags_offer_and_refuse_mccp() {
    // The server compresses for our client with --compression; the shell works as ever.
    let server = Server::start(&["--compression"]);
    let conn = session(&server);
    assert_eq!(conn.compression(), (true, true));
    assert!(run(&conn, "help").contains("quit"));
    drop(conn);

    // Without either flag the server does not offer it but agrees when asked, as
    // telnetlib3-server does; with --no-compression it refuses.
    for (args, answer) in [
        (&[][..], b"\xff\xfb\x56"),
        (&["--no-compression"][..], b"\xff\xfc\x56"),
    ] {
        let server = Server::start(args);
        let mut client = Peer::connect(server.address);
        let greeting = client.receive_until(|got| got.ends_with(b"\xff\xfd\x18"));
        assert!(
            !greeting.windows(3).any(|w| w == b"\xff\xfb\x56"),
            "{args:?}: offered"
        );
        client.send(b"\xff\xfd\x56");
        client.receive_until(|got| got.windows(3).any(|w| w == answer));
    }

    // The client accepts compression by default and refuses it with --no-compression.
    for (args, answer) in [
        (&[][..], b"\xff\xfd\x56"),
        (&["--no-compression"][..], b"\xff\xfe\x56"),
    ] {
        let (mut peer, mut child) = client_against_peer(args, b"");
        peer.send(b"\xff\xfb\x56");
        // The answer comes after the client's own start-up requests, if any.
        peer.receive_until(|got| got.windows(3).any(|w| w == answer));
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[test]
fn ssl_flags_run_a_telnets_session() {
    let certificate = support::certificate::Certificate::new();
    let cert = certificate.cert.to_str().unwrap();
    let key = certificate.key.to_str().unwrap();
    let server = Server::start(&["--ssl-certfile", cert, "--ssl-keyfile", key]);
    let port = server.address.port().to_string();
    for (name, trust) in [
        ("localhost", &["--ssl-cafile", cert][..]),
        ("127.0.0.1", &["--ssl-no-verify"][..]),
    ] {
        let mut client = Command::new(CLIENT)
            .args([name, &port])
            .args(trust)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        client.stdin.take().unwrap().write_all(b"quit\r\n").unwrap();
        let output = client.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{trust:?}: {:?}", output.status);
        assert!(text.trim_end().ends_with("Goodbye."), "{trust:?}: {text}");
    }

    // --ssl alone trusts the system's roots, which do not hold this certificate.
    let output = Command::new(CLIENT)
        .args(["localhost", &port, "--ssl"])
        .stdin(Stdio::piped())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("certificate"));

    // A certificate without its key is a usage error.
    let missing_key = Command::new(SERVER)
        .args(["127.0.0.1", "0", "--ssl-certfile", cert])
        .output()
        .unwrap();
    assert_eq!(missing_key.status.code(), Some(2));
}

#[test]
fn the_wargame_scripts_play_through_both_tools_exec() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    let server = Server::start(&["--exec", &format!("{examples}/wargame.sh")]);
    let client = Command::new(CLIENT)
        .args(["127.0.0.1", &server.address.port().to_string()])
        .args(["--exec", &format!("{examples}/wargame_client.sh")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(client.wait_with_output());
    });
    let output = finished
        .recv_timeout(DEADLINE)
        .expect("the client did not end with its program")
        .unwrap();
    // What the server said reached the client's program, which showed it.
    let shown = String::from_utf8_lossy(&output.stderr);
    assert!(shown.contains("Would you like to play a game?"), "{shown}");
    assert!(
        shown.contains("They say the only way to win is to not play at all."),
        "{shown}"
    );
    assert!(output.status.success(), "{:?}", output.status);
    server.wait_log("wargame.sh ended");
}

#[test]
fn exec_kills_what_the_program_left_running_when_the_client_leaves() {
    // The program starts a child that holds its output open, then waits for input.
    let server = Server::start(&[
        "--exec",
        "/bin/sh",
        "--",
        "-c",
        "sleep 300 & echo started; read line",
    ]);
    let conn = TelnetConnection::connect(server.address).unwrap();
    conn.read_until(b"started", WAIT).unwrap();
    drop(conn);
    // The client left: the program and its child are killed, the session ends.
    server.wait_log("/bin/sh ended");
    server.wait_log("disconnect");
}

#[test]
fn behind_a_balancer_the_shell_shows_the_client_and_strangers_are_refused() {
    let server = Server::start(&["--proxy-from", "127.0.0.1/32"]);
    let mut balancer = Peer::connect(server.address);
    balancer.send(b"PROXY TCP4 203.0.113.9 192.0.2.1 40000 23\r\n");
    let mut engine = telnetlib::proto::Engine::new(telnetlib::proto::Policy::new());
    let has = |text: &'static str| move |data: &[u8]| data.ends_with(text.as_bytes());
    balancer.negotiate_until_data(&mut engine, has("tel:sh> "));
    server.wait_log("connect 203.0.113.9:40000");
    balancer.send(b"info\r\n");
    let info = balancer.negotiate_until_data(&mut engine, has("tel:sh> "));
    let info = String::from_utf8_lossy(&info);
    let balancer_addr = balancer.socket().local_addr().unwrap();
    assert!(info.contains("peer: 203.0.113.9:40000\r\n"), "{info}");
    assert!(
        info.contains(&format!("balancer: {balancer_addr}\r\n")),
        "{info}"
    );

    // A server whose balancers are elsewhere turns a direct connection away.
    let strict = Server::start(&["--proxy-from", "10.0.0.0/8"]);
    let mut stranger = Peer::connect(strict.address);
    stranger.send(b"PROXY TCP4 203.0.113.9 192.0.2.1 40000 23\r\n");
    assert_eq!(stranger.receive_to_end(), b"");
    strict.wait_log("not a trusted proxy");
}
