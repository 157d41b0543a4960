//! The interactive client in a real terminal (tmux): it shows the server's prompt,
//! sends a new window size on resize, opens its Ctrl-] menu, and restores the terminal
//! when the server closes; typed text goes out in the session's encoding in character
//! and line mode, and `--raw-mode` sends keys as typed without echoing them. Needs tmux, so it runs with `--ignored` (`.ci/run` installs
//! tmux and runs it).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SERVER: &str = env!("CARGO_BIN_EXE_telnetlib-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_telnetlib-client");
const DEADLINE: Duration = Duration::from_secs(15);

fn tmux(args: &[&str]) -> String {
    let output = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux is installed");
    assert!(
        output.status.success(),
        "tmux {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Starts `command` in a new detached 80×24 tmux session. The terminal is UTF-8,
/// whatever the test's own locale: keys are typed as UTF-8.
fn new_session(session: &str, command: &str) {
    let status = Command::new("tmux")
        .env("LC_ALL", "C.UTF-8")
        .args([
            "-u",
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "80",
            "-y",
            "24",
            command,
        ])
        .status()
        .expect("tmux is installed");
    assert!(status.success(), "tmux new-session {session}");
}

/// Polls the pane until `wanted` holds (a terminal offers no way to be told).
fn screen_until(session: &str, wanted: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let screen = tmux(&["capture-pane", "-p", "-t", session]);
        if wanted(&screen) {
            return screen;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the screen never showed it:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills the server and the tmux session however the test ends, so no process is
/// left holding the test's output open.
struct Cleanup {
    server: std::process::Child,
    session: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .output();
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

#[test]
#[ignore = "needs tmux"]
fn an_interactive_session_in_a_real_terminal() {
    let mut server = Command::new(SERVER)
        .args(["127.0.0.1", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    log.read_line(&mut line).unwrap();
    let port = line.trim().rsplit(':').next().unwrap().to_owned();
    let session = format!("telnetlib-test-{}", std::process::id());
    let _cleanup = Cleanup {
        server,
        session: session.clone(),
    };
    let command = format!(
        "{CLIENT} 127.0.0.1 {port}; echo CLIENT-EXITED-$?; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'; sleep 60"
    );
    new_session(&session, &command);

    screen_until(&session, |s| s.contains("tel:sh>"));
    tmux(&["send-keys", "-t", &session, "info", "Enter"]);
    screen_until(&session, |s| {
        s.contains("columns: 80") && s.contains("rows: 24")
    });

    tmux(&["resize-window", "-t", &session, "-x", "100", "-y", "30"]);
    tmux(&["send-keys", "-t", &session, "clear", "Enter"]);
    screen_until(&session, |s| s.contains("no such command."));
    tmux(&["send-keys", "-t", &session, "info", "Enter"]);
    screen_until(&session, |s| {
        s.contains("columns: 100") && s.contains("rows: 30")
    });

    tmux(&["send-keys", "-t", &session, "C-]"]);
    screen_until(&session, |s| s.contains("telnetlib>"));
    tmux(&["send-keys", "-t", &session, "help", "Enter"]);
    screen_until(&session, |s| s.contains("quit, ayt, brk, ip"));

    tmux(&["send-keys", "-t", &session, "quit", "Enter"]);
    // After the client, `stty` prints `icanon` (cooked) or `-icanon` (still raw).
    let screen = screen_until(&session, |s| {
        s.lines().any(|l| l.trim().ends_with("icanon"))
    });
    assert!(screen.contains("Goodbye."), "{screen}");
    assert!(screen.contains("CLIENT-EXITED-0"), "{screen}");
    assert!(
        screen.lines().any(|l| l.trim() == "icanon"),
        "the terminal was left in raw mode:\n{screen}"
    );
}

/// Runs the interactive client in a new tmux pane against a raw peer, with `flags`;
/// returns the peer's side of the connection and the cleanup guard.
fn interactive_against_peer(name: &str, flags: &str) -> (std::net::TcpStream, TmuxSession) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let session = format!("telnetlib-{name}-{}", std::process::id());
    let command = format!("{CLIENT} {flags} 127.0.0.1 {port}; sleep 60");
    new_session(&session, &command);
    let guard = TmuxSession(session);
    listener.set_nonblocking(false).unwrap();
    let (socket, _) = listener.accept().unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    (socket, guard)
}

/// Kills a tmux session when dropped.
struct TmuxSession(String);

impl Drop for TmuxSession {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

/// Reads from the peer's socket until `done` holds for what came (Telnet
/// negotiation included); panics at the deadline.
fn receive_until(socket: &mut std::net::TcpStream, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    use std::io::Read;
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buffer = [0u8; 1024];
    while !done(&got) {
        assert!(start.elapsed() < DEADLINE, "never came; got {got:x?}");
        match socket.read(&mut buffer) {
            Ok(0) => panic!("the client closed; got {got:x?}"),
            Ok(n) => got.extend_from_slice(&buffer[..n]),
            Err(error) => panic!("{error}; got {got:x?}"),
        }
    }
    got
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
#[ignore = "needs tmux"]
fn typed_text_goes_out_in_the_sessions_encoding() {
    use std::io::Write;
    // Character mode (the server echoes): each key goes out at once, é as CP437's 0x82.
    let (mut peer, guard) = interactive_against_peer("cp437-char", "--encoding cp437");
    peer.write_all(b"\xff\xfb\x01\xff\xfb\x03").unwrap();
    receive_until(&mut peer, |got| contains(got, b"\xff\xfd\x01"));
    tmux(&["send-keys", "-t", &guard.0, "-l", "é"]);
    receive_until(&mut peer, |got| got.ends_with(b"\x82"));

    // Line mode (the server does not echo): edited here, sent with Enter.
    let (mut peer, guard) = interactive_against_peer("cp437-line", "--encoding cp437");
    peer.write_all(b"\xff\xfc\x01hello\r\n").unwrap();
    screen_until(&guard.0, |s| s.contains("hello"));
    tmux(&["send-keys", "-t", &guard.0, "-l", "né"]);
    screen_until(&guard.0, |s| s.contains("né"));
    tmux(&["send-keys", "-t", &guard.0, "Enter"]);
    receive_until(&mut peer, |got| got.ends_with(b"n\x82\r\n"));

    // --raw-mode: keys go out as typed and are not echoed here, though the server does
    // not echo either.
    let (mut peer, guard) = interactive_against_peer("raw", "--raw-mode");
    peer.write_all(b"\xff\xfc\x01ready\r\n").unwrap();
    screen_until(&guard.0, |s| s.contains("ready"));
    tmux(&["send-keys", "-t", &guard.0, "-l", "xyz"]);
    receive_until(&mut peer, |got| got.ends_with(b"xyz"));
    let screen = tmux(&["capture-pane", "-p", "-t", &guard.0]);
    assert!(
        !screen.contains("xyz"),
        "echoed locally in --raw-mode:\n{screen}"
    );
}
