//! `--no-telnet`: no Telnet at all, bytes both ways as they are (for retro BBSes and
//! plain TCP services). On a terminal, the terminal is put in raw mode too.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Copies standard input to the server and the server to standard output until the
/// server closes; returns the exit status.
pub fn run(host: &str, port: u16, timeout: Option<Duration>, terminal: bool) -> i32 {
    let stream = (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| {
            addresses.find_map(|address| match timeout {
                Some(t) => TcpStream::connect_timeout(&address, t).ok(),
                None => TcpStream::connect(address).ok(),
            })
        });
    let Some(stream) = stream else {
        eprintln!("telnetlib-client: {host}:{port}: cannot connect");
        return 1;
    };
    if terminal && crossterm::terminal::enable_raw_mode().is_err() {
        eprintln!("telnetlib-client: cannot put the terminal in raw mode");
        return 1;
    }
    let Ok(mut to_server) = stream.try_clone() else {
        return 1;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut to_server);
    });
    let mut from_server = stream;
    let mut buffer = [0u8; 16 * 1024];
    let mut stdout = std::io::stdout().lock();
    let status = loop {
        match from_server.read(&mut buffer) {
            Ok(0) => break 0,
            Ok(n) => {
                if stdout
                    .write_all(&buffer[..n])
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    break 1;
                }
            }
            Err(_) => break 1,
        }
    };
    if terminal {
        let _ = crossterm::terminal::disable_raw_mode();
    }
    status
}
