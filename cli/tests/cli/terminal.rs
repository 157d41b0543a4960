//! The interactive client in a real terminal (tmux): it shows the server's prompt,
//! sends a new window size on resize, opens its Ctrl-] menu, and restores the terminal
//! when the server closes. Needs tmux, so it runs with `--ignored` (`.ci/run` installs
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
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "80",
        "-y",
        "24",
        &command,
    ]);

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
