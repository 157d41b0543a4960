//! The "Would you like to play a game?" shell of telnetlib3's README, as a Rust
//! handler: each client is asked once, its one-key answer is echoed back (the server
//! performs ECHO, with its line editing off so keys arrive as typed), and it is told
//! the only winning move before it is let go.
//! `examples/wargame.sh` is the same shell as a script for
//! `telnetlib-server --exec examples/wargame.sh`.
//!
//! `cargo run --example wargame [-- ADDRESS]` (default 127.0.0.1:6023), then
//! `telnet 127.0.0.1 6023`. `cargo run --example wargame -- --demo` plays one game
//! against itself instead and prints `demo ok` (or a message and exit status 1).

use std::time::Duration;

use telnetlib::{ServerConnection, TelnetConnection, TelnetServer};

const QUESTION: &str = "\nWould you like to play a game? ";
const ANSWER: &str = "\nThey say the only way to win is to not play at all.\n";

/// One client's game.
fn play(client: ServerConnection) -> telnetlib::Result<()> {
    client.send(QUESTION)?;
    // One character, as soon as it is typed (in character mode the client sends
    // each key at once), echoed as telnetlib3's `writer.echo(inp)` does.
    let key = client.read_str(1, None)?;
    client.send(&key)?;
    client.send(ANSWER)?;
    client.flush_within(Duration::from_secs(5))
}

/// A server that hands keys over as they are typed.
fn server(address: &str) -> telnetlib::Result<TelnetServer> {
    TelnetServer::builder().line_editing(false).bind(address)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("--demo") {
        match demo() {
            Ok(()) => println!("demo ok"),
            Err(why) => {
                eprintln!("wargame demo: {why}");
                std::process::exit(1);
            }
        }
        return;
    }
    let address = first.unwrap_or_else(|| "127.0.0.1:6023".to_owned());
    let server = server(address.as_str()).unwrap_or_else(|error| {
        eprintln!("wargame: {error:#}");
        std::process::exit(1);
    });
    println!("wargame on {}", server.local_addr());
    if let Err(error) = server.serve(play) {
        eprintln!("wargame: {error:#}");
        std::process::exit(1);
    }
}

/// A client answers `y` and hears the answer; the server then closes.
fn demo() -> Result<(), String> {
    let wait = Some(Duration::from_secs(10));
    let server = server("127.0.0.1:0").map_err(|e| format!("{e:#}"))?;
    let address = server.local_addr();
    std::thread::spawn(move || server.serve(play));
    let conn = TelnetConnection::connect(address).map_err(|e| format!("{e:#}"))?;
    conn.read_until_str("play a game? ", wait)
        .map_err(|e| format!("no question: {e:#}"))?;
    conn.write_str("y", wait).map_err(|e| format!("{e:#}"))?;
    let rest = conn.read_all_str(wait).map_err(|e| format!("{e:#}"))?;
    // The server echoed the key, then answered and closed.
    if !rest.starts_with('y') || !rest.contains("the only way to win is to not play at all") {
        return Err(format!("unexpected answer {rest:?}"));
    }
    Ok(())
}
