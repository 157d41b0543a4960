//! Our client connected to our server over loopback.

#![allow(dead_code)]

use std::thread;

use telnetlib::{ClientBuilder, ServerBuilder, ServerConnection, TelnetConnection, TelnetServer};

use super::peer::DEADLINE;

/// Binds `server` on an ephemeral port, connects `client` to it, and returns both
/// ends once the server has handed the connection out (negotiation settled).
pub fn loopback(
    server: ServerBuilder,
    client: ClientBuilder,
) -> (TelnetServer, ServerConnection, TelnetConnection) {
    let server = server.bind("127.0.0.1:0").unwrap();
    let address = server.local_addr();
    let (conn, connection) = thread::scope(|scope| {
        let accepted = scope.spawn(|| server.accept(Some(DEADLINE)).unwrap());
        let conn = client.connect(address).unwrap();
        (conn, accepted.join().unwrap())
    });
    (server, connection, conn)
}
