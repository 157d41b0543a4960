//! A classic Python `telnetlib` script — log in to a device, run a command, print the
//! output — ported line for line to `telnetlib::Telnet`.
//!
//! `cargo run --example telnetlib_port` runs it against a small demo device started in
//! the same process; `cargo run --example telnetlib_port -- HOST PORT USER PASSWORD`
//! runs it against a real one.
//!
//! The Python original:
//!
//! ```python
//! import telnetlib
//!
//! tn = telnetlib.Telnet(host, port, timeout=10)
//! tn.read_until(b"login: ", timeout=5)
//! tn.write(user.encode("ascii") + b"\n")
//! tn.read_until(b"Password: ", timeout=5)
//! tn.write(password.encode("ascii") + b"\n")
//! index, match, text = tn.expect([rb"\$ ", rb"Login incorrect"], timeout=5)
//! if index != 0:
//!     raise SystemExit("login failed: %r" % text)
//! tn.write(b"show version\n")
//! output = tn.read_until(b"$ ", timeout=5)
//! tn.write(b"exit\n")
//! print(output.decode("ascii", "replace"))
//! print(tn.read_all().decode("ascii", "replace"))
//! tn.close()
//! ```

use std::thread;
use std::time::Duration;

use regex::bytes::Regex;
use telnetlib::{ServerConnection, Telnet, TelnetServer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (host, port, user, password, demo) = match args.as_slice() {
        [host, port, user, password] => (
            host.clone(),
            port.parse()?,
            user.clone(),
            password.clone(),
            None,
        ),
        [] => {
            let server = TelnetServer::bind("127.0.0.1:0")?;
            let port = server.local_addr().port();
            let device = thread::spawn(move || -> telnetlib::Result<()> {
                demo_device(&server.accept(Some(Duration::from_secs(10)))?)
            });
            (
                "127.0.0.1".to_owned(),
                port,
                "admin".into(),
                "secret".into(),
                Some(device),
            )
        }
        _ => return Err("usage: telnetlib_port [HOST PORT USER PASSWORD]".into()),
    };

    // ---- the script, as in Python ----
    let five = Some(Duration::from_secs(5));
    let mut tn = Telnet::connect(&host, port, Some(Duration::from_secs(10)))?;
    tn.read_until(b"login: ", five)?;
    tn.write(format!("{user}\n").as_bytes())?;
    tn.read_until(b"Password: ", five)?;
    tn.write(format!("{password}\n").as_bytes())?;
    let found = tn.expect(&[Regex::new(r"\$ ")?, Regex::new("Login incorrect")?], five)?;
    if found.index != Some(0) {
        return Err(format!("login failed: {:?}", String::from_utf8_lossy(&found.text)).into());
    }
    tn.write(b"show version\n")?;
    let output = tn.read_until(b"$ ", five)?;
    tn.write(b"exit\n")?;
    println!("{}", String::from_utf8_lossy(&output));
    println!("{}", String::from_utf8_lossy(&tn.read_all()?));
    tn.close();
    // ---- end of the script ----

    if let Some(device) = demo {
        device.join().expect("the demo device panicked")?;
    }
    Ok(())
}

/// A pretend router: asks for a login, answers `show version`, leaves on `exit`.
fn demo_device(client: &ServerConnection) -> telnetlib::Result<()> {
    let timeout = Some(Duration::from_secs(10));
    client.send("\nrouter1 (demo)\n\nlogin: ")?;
    let user = client.readline_str(timeout)?;
    client.send("Password: ")?;
    let password = client.readline_str(timeout)?;
    if user.trim() != "admin" || password.trim() != "secret" {
        client.send("Login incorrect\n")?;
        return Ok(());
    }
    client.send("router1$ ")?;
    loop {
        match client.readline_str(timeout)?.trim() {
            "show version" => client.send("DemoOS 1.0, uptime 3 days\nrouter1$ ")?,
            "exit" => {
                client.send("bye\n")?;
                return Ok(());
            }
            other => client.send(&format!("unknown command: {other}\nrouter1$ "))?,
        }
    }
}
