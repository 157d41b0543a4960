//! A chat room on the miniboa game loop: one thread polls the server, greets new
//! clients, broadcasts every line to everyone and announces who left.
//!
//! `cargo run --example chat_server [-- ADDRESS]` (default 127.0.0.1:7777), then
//! connect with several `telnet 127.0.0.1 7777`.

use std::time::Duration;

use telnetlib::TelnetServer;

fn main() -> Result<(), telnetlib::Error> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7777".to_owned());
    let server = TelnetServer::builder().bind(address.as_str())?;
    println!("chat server on {}", server.local_addr());
    server.set_on_connect(|client| {
        println!("++ {} joined", client.addrport());
        let _ = client.send_cc("^GWelcome to the chat!^~ Type ^Y/quit^~ to leave.\n");
    });
    server.set_on_disconnect(|client| println!("-- {} left", client.addrport()));

    loop {
        server.poll(Duration::from_millis(50))?;
        let clients = server.clients();
        for speaker in &clients {
            while let Some(line) = speaker.get_command() {
                if line == "/quit" {
                    let _ = speaker.send("Bye!\n");
                    speaker.deactivate();
                    break;
                }
                for listener in &clients {
                    let text = if listener.addrport() == speaker.addrport() {
                        format!("^cyou:^~ {line}\n")
                    } else {
                        format!("^c{}:^~ {line}\n", speaker.addrport())
                    };
                    // A client that stopped reading is dropped by send; the next poll
                    // reports it gone.
                    let _ = listener.send_cc(&text);
                }
            }
        }
    }
}
