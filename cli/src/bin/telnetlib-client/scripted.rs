//! Scripted use (standard input is not a terminal): standard input is sent line by
//! line with CR LF (a bare CR once we send BINARY), the server's output goes to
//! standard output decoded, and the client exits 0 when the server closes.

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use telnetlib::proto::Opt;
use telnetlib::{Error, TelnetConnection};

use crate::output::Output;

/// Runs until the server closes; returns the exit status.
pub fn run(conn: &Arc<TelnetConnection>, mut output: Output) -> i32 {
    let sender = Arc::clone(conn);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let mut bytes = line.trim_end_matches('\r').as_bytes().to_vec();
            // CR LF in NVT; a bare CR once we send BINARY, where servers such as
            // inetutils telnetd pass CR and LF to their pty as two line ends.
            if sender.local_option(Opt::BINARY) {
                bytes.push(b'\r');
            } else {
                bytes.extend_from_slice(b"\r\n");
            }
            if sender
                .write_bytes(&bytes, Some(Duration::from_secs(30)))
                .is_err()
            {
                break;
            }
        }
    });
    loop {
        match conn.read_some_str(None) {
            Ok(text) => {
                if let Err(error) = output.show(&text) {
                    eprintln!("telnetlib-client: {error:#}");
                    return 1;
                }
            }
            Err(Error::Eof { .. }) => return 0,
            Err(error) => {
                eprintln!("telnetlib-client: {error:#}");
                return 1;
            }
        }
    }
}
