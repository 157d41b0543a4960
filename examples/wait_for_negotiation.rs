//! Negotiation as a test harness sees it: a server and a client in one process; the
//! client waits for the options it needs with `wait_for`, and both print what they
//! agreed.
//!
//! `cargo run --example wait_for_negotiation`

use std::time::Duration;

use telnetlib::proto::{Opt, Side};
use telnetlib::{ServerConnection, TelnetConnection, TelnetServer, Want};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let timeout = Some(Duration::from_secs(5));
    let server = TelnetServer::bind("127.0.0.1:0")?;
    let client = TelnetConnection::builder()
        .terminal_type("xterm-256color")
        .window_size(120, 40)
        .env("LANG", "en_US.UTF-8")
        .connect(server.local_addr())?;

    // The client side: wait until the server echoes and suppresses go-ahead, and our
    // window size has been agreed on.
    client.wait_for(
        &[
            Want::RemoteEnabled(Opt::ECHO),
            Want::RemoteEnabled(Opt::SGA),
            Want::LocalEnabled(Opt::NAWS),
            Want::NotPending(Opt::TTYPE),
        ],
        timeout,
    )?;
    println!("client: the server echoes and suppresses go-ahead; NAWS is on");

    // The server side: the connection is handed out once its negotiation settled.
    let connection: ServerConnection = server.accept(timeout)?;
    println!(
        "server: {} is a {} of {}x{}, LANG={:?}, charset {:?}",
        connection.addrport(),
        connection.terminal_type(),
        connection.columns(),
        connection.rows(),
        connection.env("LANG"),
        connection.charset(),
    );
    for opt in [
        Opt::ECHO,
        Opt::SGA,
        Opt::BINARY,
        Opt::NAWS,
        Opt::TTYPE,
        Opt::NEW_ENVIRON,
        Opt::CHARSET,
    ] {
        println!(
            "  {opt:<12} server performs: {:<5}  client performs: {}",
            connection.option_state(Side::Local, opt).is_enabled(),
            connection.option_state(Side::Remote, opt).is_enabled()
        );
    }
    server.shutdown();
    Ok(())
}
