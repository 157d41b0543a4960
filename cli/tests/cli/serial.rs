//! `telnetlib-server --serial DEVICE` with one end of a pty pair as the device: the
//! settings our `ComPort` asks for land on the pty (read back with `tcgetattr` on the
//! other end), and bytes pass both ways unchanged.

use std::fs::File;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{ControlModes, tcgetattr};
use telnetlib::TelnetConnection;
use telnetlib::proto::comport::{DataSize, Parity, Purge, StopSize};

use super::{DEADLINE, Server, WAIT};

/// A pty pair: the controlling end, and the path of the device end.
fn pty_pair() -> (File, String) {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    (File::from(master), name.into_string().unwrap())
}

/// Reads from the controlling end until `expected.len()` bytes came (or the deadline).
fn read_exactly(master: &mut File, expected: &[u8]) -> Vec<u8> {
    let deadline = Instant::now() + DEADLINE;
    let mut got = Vec::new();
    while got.len() < expected.len() && Instant::now() < deadline {
        let mut fds = [PollFd::new(&*master, PollFlags::IN)];
        let tick = Timespec {
            tv_sec: 0,
            tv_nsec: 50_000_000,
        };
        if matches!(poll(&mut fds, Some(&tick)), Ok(n) if n > 0) {
            let mut buffer = [0u8; 256];
            let n = master.read(&mut buffer).expect("read the pty");
            got.extend_from_slice(&buffer[..n]);
        }
    }
    got
}

#[test]
fn the_serial_bridge_sets_the_line_and_passes_bytes_both_ways() {
    let (mut master, device) = pty_pair();
    let server = Server::start(&["--serial", &device]);
    let conn = TelnetConnection::connect(server.address).unwrap();
    let port = conn.com_port(WAIT).unwrap();
    assert!(port.signature(WAIT).unwrap().contains(&device));

    port.set_baud_rate(115_200, WAIT).unwrap();
    port.set_stop_size(StopSize::Two, WAIT).unwrap();
    let line = tcgetattr(&master).unwrap();
    assert_eq!(line.output_speed(), 115_200);
    assert!(line.control_modes.contains(ControlModes::CSTOPB));
    assert_eq!(port.baud_rate(WAIT).unwrap(), 115_200);
    assert_eq!(port.stop_size(WAIT).unwrap(), StopSize::Two);
    // Linux keeps a pty at 8 bits and no parity whatever is set: the bridge answers
    // with what is in force, and the client reports it as not applied.
    for (asked, answered) in [
        (port.set_data_size(DataSize::Seven, WAIT), "data size Eight"),
        (port.set_parity(Parity::Even, WAIT), "parity None"),
    ] {
        match asked {
            Err(telnetlib::Error::NotApplied { answered: said, .. }) => assert_eq!(said, answered),
            other => panic!("{other:?}"),
        }
    }
    let modes = tcgetattr(&master).unwrap().control_modes;
    assert_eq!(modes & ControlModes::CSIZE, ControlModes::CS8);
    assert!(!modes.contains(ControlModes::PARENB));
    // A pty has no modem lines: answered as asked all the same, as pyserial needs.
    port.set_dtr(true, WAIT).unwrap();
    port.set_rts(true, WAIT).unwrap();
    port.send_break(Duration::from_millis(1), WAIT).unwrap();
    port.purge(Purge::Both, WAIT).unwrap();

    conn.write_bytes(b"root\r\xff\x00", WAIT).unwrap();
    assert_eq!(
        read_exactly(&mut master, b"root\r\xff\x00"),
        b"root\r\xff\x00"
    );
    master.write_all(b"Password: \xff").unwrap();
    assert_eq!(conn.read_until(b"\xff", WAIT).unwrap(), b"Password: \xff");
}

#[test]
fn a_second_client_is_told_the_port_is_in_use() {
    let (_master, device) = pty_pair();
    let server = Server::start(&["--serial", &device]);
    let first = TelnetConnection::connect(server.address).unwrap();
    // Answered by the bridge: the first client has the port.
    first.com_port(WAIT).unwrap().signature(WAIT).unwrap();
    let second = TelnetConnection::connect(server.address).unwrap();
    let told = second.read_all_str(WAIT).unwrap();
    assert!(told.contains("The serial port is in use"), "{told:?}");
    drop(first);
}
