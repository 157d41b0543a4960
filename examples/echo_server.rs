//! The smallest blocking Telnet server: each client gets a thread that echoes its
//! lines back until it types `quit`.
//!
//! `cargo run --example echo_server [-- ADDRESS]` (default 127.0.0.1:6023), then
//! `telnet 127.0.0.1 6023`.

use telnetlib::{ServerConnection, TelnetServer};

fn main() -> Result<(), telnetlib::Error> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6023".to_owned());
    let server = TelnetServer::bind(address.as_str())?;
    println!("echo server on {}", server.local_addr());
    server.serve(|client: ServerConnection| {
        let _ = client.send(&format!(
            "Welcome, {} ({}x{}). Type quit to leave.\n",
            client.terminal_type(),
            client.columns(),
            client.rows()
        ));
        // With no timeout, readline waits until the client types a line or leaves.
        while let Ok(line) = client.readline_str(None) {
            let line = line.trim();
            if line == "quit" {
                let _ = client.send("Bye.\n");
                break;
            }
            let _ = client.send(&format!("echo: {line}\n"));
        }
    })
}
