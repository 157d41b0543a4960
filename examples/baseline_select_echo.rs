//! A benchmark baseline, not a Telnet program: the smallest single-threaded `select`
//! loop line echo (epoll through `mio`, no Telnet at all). It is what a game loop —
//! one thread doing all the network work, as miniboa and `TelnetServer::poll` do —
//! can reach at best on a machine, beside the thread-per-connection `rust_tcp_echo`
//! of `../shared/bench`.
//!
//! `cargo build --release --examples`, then add it as a row of the bench harness:
//! `--add "select_echo|$PWD/target/release/examples/baseline_select_echo {PORT}"`.
//! It greets each client, echoes each line, and answers `bulk N` with N bytes of text
//! before closing, as the harness's contract asks.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(0);

/// One client: its socket, the bytes of an unfinished line, and bulk output left.
struct Client {
    socket: TcpStream,
    line: Vec<u8>,
    bulk_left: usize,
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(7000);
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let mut poll = Poll::new()?;
    poll.registry().register(
        &mut SourceFd(&listener.as_raw_fd()),
        LISTENER,
        Interest::READABLE,
    )?;
    let mut clients: HashMap<usize, Client> = HashMap::new();
    let mut next = 1;
    let mut events = Events::with_capacity(1024);
    let mut buffer = vec![0u8; 64 * 1024];
    let text: Vec<u8> = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n"
        .iter()
        .copied()
        .cycle()
        .take(64 * 1024)
        .collect();
    loop {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                while let Ok((mut socket, _)) = listener.accept() {
                    socket.set_nodelay(true)?;
                    socket.write_all(b"welcome\r\n")?;
                    socket.set_nonblocking(true)?;
                    let token = Token(next);
                    next += 1;
                    poll.registry().register(
                        &mut SourceFd(&socket.as_raw_fd()),
                        token,
                        Interest::READABLE | Interest::WRITABLE,
                    )?;
                    let client = Client {
                        socket,
                        line: Vec::new(),
                        bulk_left: 0,
                    };
                    clients.insert(token.0, client);
                }
                continue;
            }
            let Some(client) = clients.get_mut(&event.token().0) else {
                continue;
            };
            if serve(client, &mut buffer, &text) {
                let gone = clients.remove(&event.token().0).expect("present");
                let _ = poll
                    .registry()
                    .deregister(&mut SourceFd(&gone.socket.as_raw_fd()));
            }
        }
    }
}

/// Reads what is there, echoes each complete line, moves bulk output on; true when
/// the client is done.
fn serve(client: &mut Client, buffer: &mut [u8], text: &[u8]) -> bool {
    while client.bulk_left > 0 {
        let take = client.bulk_left.min(text.len());
        match client.socket.write(&text[..take]) {
            Ok(n) => client.bulk_left -= n,
            Err(error) if error.kind() == ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
        if client.bulk_left == 0 {
            return true;
        }
    }
    loop {
        match client.socket.read(buffer) {
            Ok(0) => return true,
            Ok(n) => {
                client.line.extend_from_slice(&buffer[..n]);
                while let Some(end) = client.line.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = client.line.drain(..=end).collect();
                    if let Some(size) = line.strip_prefix(b"bulk ") {
                        let size = String::from_utf8_lossy(size);
                        client.bulk_left = size.trim().parse().unwrap_or(0);
                        return serve(client, buffer, text);
                    }
                    if client.socket.write_all(&line).is_err() {
                        return true;
                    }
                }
                if n < buffer.len() {
                    return false;
                }
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
}
