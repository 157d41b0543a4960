//! RFC 2217 against pyserial: its `rfc2217://` client (what Python harnesses drive
//! serial consoles with) against `telnetlib-server --serial`, whose device is one end
//! of a pty pair the test holds the other end of.

use std::fs::File;
use std::io::{Read, Write};
use std::process::Command;
use std::time::Instant;

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::tcgetattr;

use crate::clis::OUR_SERVER;
use crate::harness::{
    Cell, DEADLINE, Proc, escape, facts, free_port, poll_until, venv_python, wait_listening,
};
use crate::their_clients::GROUP;

/// Reads the controlling end of the pty until it has `expected` (or the deadline).
fn read_until(master: &mut File, expected: &[u8]) -> Vec<u8> {
    let deadline = Instant::now() + DEADLINE;
    let mut got = Vec::new();
    let mut buffer = [0u8; 256];
    while !got.ends_with(expected) {
        assert!(Instant::now() < deadline, "the device got {}", escape(&got));
        match master.read(&mut buffer) {
            Ok(n) => got.extend_from_slice(&buffer[..n]),
            // Nothing yet, or (EIO) the device end is not open yet.
            Err(error)
                if error.kind() == std::io::ErrorKind::WouldBlock
                    || error.raw_os_error() == Some(rustix::io::Errno::IO.raw_os_error()) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
            Err(error) => panic!("read the pty: {error}"),
        }
    }
    got
}

#[test]
fn pyserial_drives_a_serial_port_through_our_server() {
    let mut cell = Cell::new(
        "1m-pyserial-rfc2217",
        GROUP,
        "pyserial 3.5 `serial_for_url(\"rfc2217://…\")` → `telnetlib-server --serial` (a pty)",
        "client",
    );
    let python = venv_python("serial");
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
    // Reads poll: the deadline is checked between them.
    rustix::io::ioctl_fionbio(&master, true).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let device = ptsname(&master, Vec::new()).unwrap().into_string().unwrap();
    let mut master = File::from(master);
    let port = free_port();
    let _server = Proc::spawn(
        "telnetlib-server",
        Command::new(OUR_SERVER).args(["127.0.0.1", &port.to_string(), "--serial", &device]),
    );
    wait_listening(port);
    let mut client = Proc::spawn(
        "pyserial",
        Command::new(python)
            .arg(crate::harness::script("pyserial_rfc2217.py"))
            .arg(port.to_string()),
    );
    // Its bytes reach the device (0xFF undoubled) once it has set the line…
    let got = read_until(&mut master, b"ping\xff\r\n");
    assert_eq!(tcgetattr(&master).unwrap().output_speed(), 115_200);
    // …and the device's reach it.
    master.write_all(b"login: pong").unwrap();
    let (status, output) = client.wait_exit();
    assert!(status.success(), "pyserial failed:\n{output}");
    let facts = facts(&output);
    assert_eq!(facts.get("DONE").map(String::as_str), Some("1"), "{output}");
    assert_eq!(facts["BAUD"], "115200");
    assert_eq!(facts["FRAMING"], "8N1");
    assert_eq!(facts["READ"], hex(b"login: pong"));
    assert_eq!(facts["BAUD_AFTER"], "9600");
    poll_until("the device at 9600 baud", || {
        tcgetattr(&master).unwrap().output_speed() == 9600
    });
    cell.note(format!(
        "pyserial negotiates COM-PORT-OPTION and sets 115200 8N1 (each answered; the pty \
         takes 115200), sends {} to the device and reads \"login: pong\" from it; DTR, RTS \
         (answered as asked: a pty has no modem lines), BREAK and a purge answered; 9600 \
         baud set on the open port reaches the pty; it closes cleanly",
        escape(&got)
    ));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
