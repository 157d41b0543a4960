//! Scripted use (standard input is not a terminal): standard input is sent line by
//! line with CR LF, the server's output goes to standard output decoded, and the
//! client exits 0 when the server closes.

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Duration;

use telnetlib::{Error, TelnetConnection};

/// Runs until the server closes; returns the exit status.
pub fn run(conn: &Arc<TelnetConnection>) -> i32 {
    let sender = Arc::clone(conn);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let mut bytes = line.trim_end_matches('\r').as_bytes().to_vec();
            bytes.extend_from_slice(b"\r\n");
            if sender.write(&bytes, Some(Duration::from_secs(30))).is_err() {
                break;
            }
        }
    });
    let mut stdout = std::io::stdout().lock();
    loop {
        match conn.read_some_str(None) {
            Ok(text) => {
                if stdout
                    .write_all(text.as_bytes())
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    return 1;
                }
            }
            Err(Error::Eof { .. }) => return 0,
            Err(error) => {
                eprintln!("telnetlib-client: {error}");
                return 1;
            }
        }
    }
}
