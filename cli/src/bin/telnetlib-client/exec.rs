//! `--exec PROGRAM [-- ARGS]`: a program talks to the server, as telnetlib3-client's
//! `--shell` function does. It reads the server's text on its standard input (UTF-8,
//! lines ending in LF) and what it prints is sent in the session's encoding (LF as
//! CR LF). The session ends when the program exits; when the server closes first,
//! the program's input ends and it is given a moment to finish.

use std::time::Duration;

use telnetlib::TelnetConnection;
use telnetlib_cli::exec::{self, Program};
use telnetlib_cli::text::NetworkLines;

use crate::EXIT_ERROR;

/// Runs `program` joined to the session; returns its exit status (1 if it could not
/// run or was killed by a signal).
pub fn run(conn: TelnetConnection, program: &Program) -> i32 {
    let sender = conn.clone();
    // The program's output is UTF-8, possibly cut inside a character.
    let mut decoder = telnetlib::Encoding::UTF_8.decoder();
    let to_peer = move |data: &[u8]| {
        let mut text = String::new();
        decoder.decode(data, false, &mut text);
        sender
            .write_str(&text, Some(Duration::from_secs(30)))
            .is_ok()
    };
    let closer = conn.clone();
    let program_done = move || {
        let _ = closer.flush_within(Some(Duration::from_secs(5)));
        closer.close();
    };
    let mut lines = NetworkLines::default();
    let from_peer = || {
        conn.read_some_str(None)
            .ok()
            .map(|text| lines.push(&text).into_bytes())
    };
    match exec::run(program, from_peer, to_peer, program_done) {
        Ok(status) => status.code().unwrap_or(EXIT_ERROR),
        Err(error) => {
            eprintln!("telnetlib-client: cannot run {}: {error}", program.path);
            EXIT_ERROR
        }
    }
}
