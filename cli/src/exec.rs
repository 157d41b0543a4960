//! `--exec PROGRAM [-- ARGS]`: a program as a session's shell, joined by pipes
//! (inetd style, no terminal): what the peer sends goes to its standard input and
//! what it prints goes to the peer. Its standard error stays the tool's.
//!
//! The session ends when the program closes its output (it exited); when the peer
//! leaves first, the program's input is closed and it gets [`EXIT_GRACE`] to finish
//! before it is killed, with every process it started (it runs in a process group
//! of its own, so a child left holding its output cannot keep the session open).

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a program may run on after the peer left and its input was closed.
pub const EXIT_GRACE: Duration = Duration::from_secs(2);

/// The program to run and its environment.
#[derive(Debug, Clone)]
pub struct Program {
    pub path: String,
    pub args: Vec<String>,
    /// Variables added to the tool's own environment.
    pub env: Vec<(String, String)>,
}

impl Program {
    fn spawn(&self) -> std::io::Result<Child> {
        Command::new(&self.path)
            .process_group(0)
            .args(&self.args)
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
    }
}

/// Kills the program and everything it started (its process group).
fn kill_group(child: &Child) {
    let group = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    if let Some(group) = group {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
}

/// Runs `program` for one session. `from_peer` is called on this thread for what
/// the peer sends next (`None` once it has left, or once `program_done` closed the
/// session); `to_peer` gets the program's output on a thread of its own, and
/// `program_done` runs there after the program's last output (it should send what is
/// queued and close the session, which also ends `from_peer`). Returns the
/// program's exit status.
pub fn run(
    program: &Program,
    mut from_peer: impl FnMut() -> Option<Vec<u8>>,
    mut to_peer: impl FnMut(&[u8]) -> bool + Send + 'static,
    program_done: impl FnOnce() + Send + 'static,
) -> std::io::Result<ExitStatus> {
    let mut child = program.spawn()?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stdin = child.stdin.take();
    let (finished, output_ended) = mpsc::channel::<()>();
    let output = std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match stdout.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if !to_peer(&buffer[..n]) {
                        break;
                    }
                }
            }
        }
        program_done();
        let _ = finished.send(());
    });
    while let Some(data) = from_peer() {
        let Some(pipe) = stdin.as_mut() else { break };
        if pipe.write_all(&data).and_then(|()| pipe.flush()).is_err() {
            // The program stopped reading; its output decides when the session ends.
            stdin = None;
        }
    }
    drop(stdin);
    if output_ended.recv_timeout(EXIT_GRACE).is_err() {
        kill_group(&child);
    }
    let status = child.wait();
    let _ = output.join();
    status
}
