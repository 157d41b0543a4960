//! Logs into a device's serial console through a terminal server that speaks RFC 2217
//! (ser2net, a console server, or `telnetlib-server --serial /dev/ttyUSB0`): sets the
//! line to 115200 8N1 with no flow control, wakes the console, logs in, runs one
//! command and prints what it printed. A test harness does this before its tests.
//!
//! `cargo run --example serial_console -- HOST:PORT USER PASSWORD [COMMAND]`
//! (COMMAND defaults to `uname -a`).
//!
//! `cargo run --example serial_console -- --demo` checks itself instead, against a
//! pretend device served in the same process by our own server
//! (`ServerBuilder::com_port`): it answers each setting, asks for a login and a
//! password, and runs `uname -a`. It prints `demo ok`, or a message and exit status 1.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use telnetlib::proto::comport::{Control, DataSize, Parity, StopSize};
use telnetlib::{ServerConnection, TelnetConnection, TelnetServer};

/// Every step's limit: a console may be slow to wake.
const STEP: Option<Duration> = Some(Duration::from_secs(10));

/// Sets the line, logs in and returns what `command` printed.
fn run_on_console(
    address: SocketAddr,
    user: &str,
    password: &str,
    command: &str,
) -> telnetlib::Result<String> {
    let conn = TelnetConnection::connect(address)?;
    let port = conn.com_port(STEP)?;
    port.set_baud_rate(115_200, STEP)?;
    port.set_data_size(DataSize::Eight, STEP)?;
    port.set_parity(Parity::None, STEP)?;
    port.set_stop_size(StopSize::One, STEP)?;
    port.control(Control::OutboundFlowNone, STEP)?;
    // A console prints nothing until it is woken.
    conn.write_bytes(b"\r", STEP)?;
    conn.read_until(b"login: ", STEP)?;
    conn.write_str(&format!("{user}\r"), STEP)?;
    conn.read_until(b"Password: ", STEP)?;
    conn.write_str(&format!("{password}\r"), STEP)?;
    conn.read_until(b"# ", STEP)?;
    conn.write_str(&format!("{command}\r"), STEP)?;
    let output = conn.read_until_str("# ", STEP)?;
    conn.close();
    // The echoed command first, the prompt last.
    let output = output.trim_end_matches("# ");
    Ok(output
        .split_once('\n')
        .map_or(output, |(_, rest)| rest)
        .to_owned())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--demo") {
        return demo();
    }
    let [address, user, password, rest @ ..] = args.as_slice() else {
        eprintln!("usage: serial_console HOST:PORT USER PASSWORD [COMMAND] | --demo");
        return ExitCode::from(2);
    };
    let address = match std::net::ToSocketAddrs::to_socket_addrs(address.as_str())
        .ok()
        .and_then(|mut all| all.next())
    {
        Some(address) => address,
        None => {
            eprintln!("serial_console: cannot resolve {address}");
            return ExitCode::from(2);
        }
    };
    let command = rest.first().map_or("uname -a", String::as_str);
    match run_on_console(address, user, password, command) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("serial_console: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The pretend device: answers every COM-PORT-OPTION command as applied, and plays a
/// console that asks for a login and runs `uname -a`.
fn pretend_device(client: ServerConnection) {
    let commands = client.clone();
    thread::spawn(move || {
        while let Ok(command) = commands.read_com_port(None) {
            let _ = commands.answer_com_port(&command);
        }
    });
    let line = |client: &ServerConnection| -> Option<String> {
        let bytes = client.read_until(b"\r", STEP).ok()?;
        // The device echoes, as a console does.
        client.send_bytes(&bytes).ok()?;
        client.send_bytes(b"\n").ok()?;
        Some(String::from_utf8_lossy(&bytes).trim().to_owned())
    };
    let script = || -> Option<()> {
        line(&client)?;
        client.send_bytes(b"device login: ").ok()?;
        let user = line(&client)?;
        client.send_bytes(b"Password: ").ok()?;
        let password = client.read_until(b"\r", STEP).ok()?;
        client.send_bytes(b"\r\n").ok()?;
        if user != "root" || password != b"secret\r" {
            client.send_bytes(b"Login incorrect\r\n").ok()?;
            return None;
        }
        client.send_bytes(b"# ").ok()?;
        match line(&client)?.as_str() {
            "uname -a" => client.send_bytes(b"Linux device 6.1.0 armv7l\r\n# ").ok(),
            _ => client.send_bytes(b"sh: not found\r\n# ").ok(),
        }
    };
    script();
    let _ = client.read_all(STEP);
}

fn demo() -> ExitCode {
    let server = match TelnetServer::builder()
        .com_port(true)
        .force_binary(true)
        .line_editing(false)
        .bind("127.0.0.1:0")
    {
        Ok(server) => server,
        Err(error) => {
            eprintln!("demo: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let address = server.local_addr();
    thread::spawn(move || server.serve(pretend_device));
    match run_on_console(address, "root", "secret", "uname -a") {
        Ok(output) if output == "Linux device 6.1.0 armv7l\r\n" => {
            println!("demo ok");
            ExitCode::SUCCESS
        }
        Ok(output) => {
            eprintln!("demo: unexpected output {output:?}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("demo: {error:#}");
            ExitCode::FAILURE
        }
    }
}
