//! Piped use (standard input is not a terminal): standard input is sent line by line,
//! the text in the session's encoding and each line ending in CR LF (a bare CR once
//! we send BINARY); the server's output goes to standard output decoded.
//!
//! The session ends when the server closes (exit 0), or, once standard input has
//! ended and what was left of it was sent, when the server has said nothing for
//! `--eof-wait` (exit 3): a script that pipes commands in neither hangs nor has to
//! end with the server's own quit command.

use std::io::BufRead;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use telnetlib::{Error, TelnetConnection};

use crate::enter::Enter;
use crate::output::Output;
use crate::{EXIT_ERROR, EXIT_QUIET_AFTER_INPUT, EXIT_SERVER_CLOSED};

/// How long one line may wait for the server to take it.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs until the server closes or is quiet for `eof_wait` seconds after the end of
/// standard input (0: close at once; infinite: wait for the server); returns the
/// exit status.
pub fn run(conn: TelnetConnection, output: Output, eof_wait: f64, enter: Enter) -> i32 {
    let (heard, server) = mpsc::channel::<()>();
    let printer = conn.clone();
    std::thread::spawn(move || print_output(&printer, output, &heard));

    let mut stdin = std::io::stdin().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        match stdin.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if send_line(&conn, &line, enter).is_err() {
                    return EXIT_ERROR;
                }
            }
        }
    }
    let _ = conn.flush_within(SEND_TIMEOUT);
    if eof_wait.is_infinite() {
        // The printer ends the process when the server closes.
        while server.recv().is_ok() {}
        return EXIT_ERROR;
    }
    let quiet = Duration::from_secs_f64(eof_wait.max(0.0));
    loop {
        match server.recv_timeout(quiet) {
            Ok(()) => continue,
            Err(RecvTimeoutError::Timeout) => {
                log::info!("standard input ended and the server was quiet for {quiet:?}; closing");
                conn.close();
                return EXIT_QUIET_AFTER_INPUT;
            }
            // The printer ended the process already, or failed.
            Err(RecvTimeoutError::Disconnected) => return EXIT_ERROR,
        }
    }
}

/// One line of standard input (UTF-8, its LF or CR LF included if it had one), in
/// the session's encoding and with the line end Telnet wants.
fn send_line(conn: &TelnetConnection, line: &[u8], enter: Enter) -> Result<(), Error> {
    let text = String::from_utf8_lossy(line);
    let ended = text.ends_with('\n');
    conn.write_str(text.trim_end_matches(['\r', '\n']), SEND_TIMEOUT)?;
    if !ended {
        // The last piece of input, without a line end: sent as it is.
        return Ok(());
    }
    conn.write_bytes(enter.bytes(conn), SEND_TIMEOUT)
}

/// The server's output to standard output, telling the main thread of each piece;
/// ends the process when the server closes.
fn print_output(conn: &TelnetConnection, mut output: Output, heard: &mpsc::Sender<()>) {
    let status = loop {
        match conn.read_some_str(None) {
            Ok(text) => {
                if let Err(error) = output.show(&text) {
                    eprintln!("telnetlib-client: {error:#}");
                    break EXIT_ERROR;
                }
                let _ = heard.send(());
            }
            Err(Error::Eof { .. }) => break EXIT_SERVER_CLOSED,
            // Closed by the main thread, which exits with its own status.
            Err(Error::Closed { .. }) => return,
            Err(error) => {
                eprintln!("telnetlib-client: {error:#}");
                break EXIT_ERROR;
            }
        }
    };
    std::process::exit(status);
}
