//! Two engines, a client and a server, negotiate with each other in memory: the
//! exchange a real connection would carry, printed message by message.
//!
//! `cargo run --example negotiate`

use telnetlib::proto::{Engine, Event, Opt, Policy, Side};

fn main() {
    let mut server = Engine::new(Policy::server());
    let mut client = Engine::new(Policy::client());

    // The server opens with its start-up requests, then offers a few more options the
    // way a real server does once the client has answered.
    server.start();
    server.request(Side::Local, Opt::SGA, true);
    server.request(Side::Local, Opt::ECHO, true);
    server.request(Side::Remote, Opt::NAWS, true);
    server.request(Side::Remote, Opt::LINEMODE, true); // the client will refuse this one

    let mut turn = 0;
    while !server.output().is_empty() || !client.output().is_empty() {
        turn += 1;
        deliver("server", &mut server, "client", &mut client);
        deliver("client", &mut client, "server", &mut server);
        assert!(turn < 10, "negotiation did not settle");
    }

    println!("\nsettled after {turn} round trips:");
    for opt in [Opt::TTYPE, Opt::SGA, Opt::ECHO, Opt::NAWS, Opt::LINEMODE] {
        println!(
            "  {opt:<9} server performs: {:<5}  client performs: {}",
            server.is_enabled(Side::Local, opt),
            client.is_enabled(Side::Local, opt)
        );
    }
}

/// Sends what `from` has queued to `to`, printing the bytes and the events they cause.
fn deliver(from_name: &str, from: &mut Engine, to_name: &str, to: &mut Engine) {
    let bytes = from.take_output();
    if bytes.is_empty() {
        return;
    }
    println!("{from_name} -> {to_name}: {}", hex(&bytes));
    to.receive(&bytes, |event| match event {
        Event::Negotiation { .. } => {}
        Event::Data(data) => println!("    {to_name} reads {:?}", String::from_utf8_lossy(data)),
        other => println!("    {to_name}: {other:?}"),
    });
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
