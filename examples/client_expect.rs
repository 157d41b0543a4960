//! Log in to a device and run a command with `read_until` and `expect`, the way router
//! and switch automation scripts do.
//!
//! `cargo run --example client_expect` talks to a small simulated device started on
//! loopback; `cargo run --example client_expect -- HOST:PORT USER PASSWORD` talks to a
//! real one.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use regex::bytes::Regex;
use telnetlib::TelnetConnection;
use telnetlib::proto::Opt;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (address, user, password) = match &args[..] {
        [address, user, password] => (address.clone(), user.clone(), password.clone()),
        _ => (simulated_device()?, "admin".to_owned(), "secret".to_owned()),
    };

    let timeout = Some(Duration::from_secs(10));
    let conn = TelnetConnection::builder()
        .timeout(timeout)
        .terminal_type("vt100")
        .connect(address.as_str())?;

    conn.read_until(b"login: ", None)?;
    conn.write_str(&format!("{user}\n"), None)?;
    conn.read_until(b"Password: ", None)?;
    conn.write_str(&format!("{password}\n"), None)?;

    // Either a shell prompt or a refusal: expect tells which.
    let outcomes = [Regex::new(r"[>#] $")?, Regex::new(r"Login incorrect")?];
    let found = conn.expect(&outcomes, None)?;
    if found.index == 1 {
        return Err("the device refused the login".into());
    }
    println!(
        "logged in (the device echoes: {})",
        conn.remote_option(Opt::ECHO)
    );

    conn.write_str("show version\n", None)?;
    let output = conn.read_until(b"# ", None)?;
    print!("{}", String::from_utf8_lossy(&output));
    conn.write_str("exit\n", None)?;
    conn.read_all(None)?;
    println!();
    Ok(())
}

/// A pretend router on 127.0.0.1: asks for a login, then answers one command.
fn simulated_device() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?.to_string();
    std::thread::spawn(move || {
        if let Ok((socket, _)) = listener.accept() {
            let _ = serve(socket);
        }
    });
    Ok(address)
}

fn serve(mut socket: TcpStream) -> std::io::Result<()> {
    let mut lines = BufReader::new(socket.try_clone()?);
    let mut ask = |socket: &mut TcpStream, prompt: &[u8]| -> std::io::Result<String> {
        socket.write_all(prompt)?;
        let mut line = Vec::new();
        lines.read_until(b'\n', &mut line)?;
        // A real device parses Telnet; this one just drops 3-byte negotiations (IAC x y).
        while let Some(at) = line.iter().position(|&b| b == 0xff) {
            line.drain(at..(at + 3).min(line.len()));
        }
        Ok(String::from_utf8_lossy(&line).trim().to_owned())
    };
    socket.write_all(b"\xff\xfb\x01")?; // IAC WILL ECHO, as devices do
    let user = ask(&mut socket, b"\r\nRouter\r\nlogin: ")?;
    let password = ask(&mut socket, b"Password: ")?;
    if (user.as_str(), password.as_str()) != ("admin", "secret") {
        return socket.write_all(b"\r\nLogin incorrect\r\n");
    }
    loop {
        match ask(&mut socket, b"\r\nrouter# ")?.as_str() {
            "show version" => socket.write_all(b"\r\nRouterOS 1.0, uptime 42 days")?,
            "exit" => return Ok(()),
            _ => socket.write_all(b"\r\n% Unknown command")?,
        }
    }
}
