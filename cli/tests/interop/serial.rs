//! Our RFC 2217 client ([`ComPort`]) against Debian's `ser2net` 4.3 (built on gensio
//! 2.6), the usual Linux terminal server. Its serial "device" is one end of a pty pair
//! that `socat` makes; the test holds the other end, as the equipment on the cable
//! would, and reads the device's settings back with `stty`.
//!
//! A pty is not a UART, and ser2net shows it: the Linux pty driver keeps the speed and
//! the stop bits it is given but forces CS8 and clears PARENB (`pty_set_termios`), and
//! has no modem lines (`TIOCMGET` fails with ENOTTY). Each cell checks what ser2net
//! answers on the wire (through a [`Tap`]) as well as what our calls return, so that
//! every difference from RFC 2217 is recorded with its cause.

use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use rustix::fs::{Mode, OFlags};
use telnetlib::proto::Opt;
use telnetlib::proto::comport::{
    Control, DataSize, LineState, ModemState, Notification, Parity, Purge, StopSize,
};
use telnetlib::{ComPort, Error, TelnetConnection};

use crate::harness::{
    Cell, DEADLINE, Proc, Tap, WAIT, assert_no_loop_in, contains, escape, free_port, listens,
    poll_until, require,
};
use crate::scratch::Scratch;
use crate::their_servers::GROUP;

/// How long a call waits for an answer ser2net is known not to send. The absence is
/// then proven on the wire, after a later round trip (ser2net handles commands in
/// order), so this only bounds how long each such call takes.
const NO_ANSWER: Duration = Duration::from_secs(1);

/// `IAC SB COM-PORT-OPTION`: what every RFC 2217 message on the wire starts with.
const SB_COM_PORT: [u8; 3] = [0xff, 0xfa, 44];

/// ser2net serving one end of a socat pty pair with RFC 2217 on a loopback port; the
/// test holds the other end (`peer`).
///
/// Fields drop in order: our end of the pty, ser2net (killed, it lets go of the
/// device), socat, then the directory holding the links and the configuration.
struct Ser2net {
    /// The device's far end, non-blocking so that every read can check the deadline.
    peer: File,
    ser2net: Proc,
    _socat: Proc,
    /// The device ser2net opens (a link to the pty).
    device: PathBuf,
    port: u16,
    _scratch: Scratch,
}

impl Ser2net {
    fn start(name: &str) -> Ser2net {
        let ser2net = require("/usr/sbin/ser2net", "ser2net");
        let socat = require("/usr/bin/socat", "socat");
        let scratch = Scratch::new(name);
        let device = scratch.path().join("dev");
        let peer = scratch.path().join("dev-peer");
        let socat = Proc::spawn(
            "socat",
            Command::new(socat).args(["-d", "-d"]).args([
                format!("pty,raw,echo=0,link={}", device.display()),
                format!("pty,raw,echo=0,link={}", peer.display()),
            ]),
        );
        poll_until("socat's pty links", || device.exists() && peer.exists());

        // ser2net 4 reads YAML; `local` ignores the (absent) modem lines when opening.
        let port = free_port();
        let config = scratch.path().join("ser2net.yaml");
        std::fs::write(
            &config,
            format!(
                "connection: &rfc2217\n  \
                 accepter: telnet(rfc2217),tcp,127.0.0.1,{port}\n  \
                 connector: serialdev,{},9600n81,local\n",
                device.display()
            ),
        )
        .expect("write ser2net's configuration");
        // -n -d: in the foreground, logging to stderr; -u: no UUCP lock file in
        // /var/lock; -P: its pid file here rather than in /run.
        let mut ser2net = Proc::spawn(
            "ser2net",
            Command::new(ser2net)
                .args(["-n", "-d", "-u", "-P"])
                .arg(scratch.path().join("ser2net.pid"))
                .arg("-c")
                .arg(&config),
        );
        // Watched in the kernel's tables: a probe connection would make ser2net open
        // and close the device before the test begins.
        let start = Instant::now();
        while !listens(port) {
            assert!(
                !ser2net.exited() && start.elapsed() < DEADLINE,
                "ser2net never listened on {port}; output:\n{}",
                ser2net.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }

        let peer = rustix::fs::open(
            &peer,
            OFlags::RDWR | OFlags::NOCTTY | OFlags::NONBLOCK,
            Mode::empty(),
        )
        .expect("open the pty's peer end");
        Ser2net {
            peer: File::from(peer),
            ser2net,
            _socat: socat,
            device,
            port,
            _scratch: scratch,
        }
    }

    /// Our client, connected to ser2net through `tap`.
    fn connect(&self, tap: &Tap) -> TelnetConnection {
        TelnetConnection::builder()
            .connect_timeout(DEADLINE)
            .timeout(WAIT)
            .connect(tap.addr())
            .unwrap_or_else(|e| panic!("connect to ser2net: {e}\n{}", self.ser2net.output()))
    }

    /// Reads the device's far end until it has received `expected`.
    fn peer_read_until(&mut self, expected: &[u8]) -> Vec<u8> {
        let start = Instant::now();
        let mut got = Vec::new();
        let mut buffer = [0u8; 256];
        while !got.ends_with(expected) {
            assert!(
                start.elapsed() < DEADLINE,
                "the device's far end got {}",
                escape(&got)
            );
            match self.peer.read(&mut buffer) {
                Ok(n) => got.extend_from_slice(&buffer[..n]),
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(error) => panic!("read the pty: {error}"),
            }
        }
        got
    }

    /// Writes to the device's far end: what the equipment on the cable sends.
    fn peer_write(&mut self, bytes: &[u8]) {
        self.peer.write_all(bytes).expect("write to the pty");
    }

    /// `stty -a` of the device ser2net holds, as words.
    fn stty(&self) -> Vec<String> {
        let output = Command::new("stty")
            .arg("-F")
            .arg(&self.device)
            .arg("-a")
            .output()
            .expect("run stty");
        assert!(
            output.status.success(),
            "stty -F {}: {}",
            self.device.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .split([' ', ';', '\n'])
            .filter(|word| !word.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Splits a Telnet stream into the RFC 2217 messages in it (their payloads, 0xFF
/// undoubled: command code, then value) and everything else, with a small scanner of
/// its own rather than the library's.
fn split_com_port(bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut messages = Vec::new();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i..].starts_with(&SB_COM_PORT) {
            // Elsewhere, IAC IAC is one data byte: never the start of a message.
            let step = if bytes[i..].starts_with(&[0xff, 0xff]) {
                2
            } else {
                1
            };
            rest.extend_from_slice(&bytes[i..(i + step).min(bytes.len())]);
            i += step;
            continue;
        }
        i += SB_COM_PORT.len();
        let mut payload = Vec::new();
        while i < bytes.len() {
            match (bytes[i], bytes.get(i + 1)) {
                (0xff, Some(0xf0)) => {
                    i += 2;
                    break;
                }
                (0xff, Some(0xff)) => {
                    payload.push(0xff);
                    i += 2;
                }
                (byte, _) => {
                    payload.push(byte);
                    i += 1;
                }
            }
        }
        messages.push(payload);
    }
    (messages, rest)
}

/// The RFC 2217 messages in `bytes` whose command code is `code`.
fn com_port_messages(bytes: &[u8], code: u8) -> Vec<Vec<u8>> {
    let (messages, _) = split_com_port(bytes);
    messages
        .into_iter()
        .filter(|m| m.first() == Some(&code))
        .collect()
}

/// `Tap::assert_no_loop` for everything but the RFC 2217 messages, which a session
/// sends many of (one per setting, each answered), and their count each way.
fn assert_no_loop(tap: &Tap) -> String {
    let (ours, client) = split_com_port(&tap.client_sent());
    let (theirs, server) = split_com_port(&tap.server_sent());
    format!(
        "{}; COM-PORT-OPTION messages: {} from the client, {} from the server",
        assert_no_loop_in(&client, &server, 1),
        ours.len(),
        theirs.len()
    )
}

/// Checks that a call got no answer (it timed out), for the commands ser2net leaves
/// unanswered.
fn assert_unanswered<T: std::fmt::Debug>(result: telnetlib::Result<T>) {
    assert!(
        matches!(result, Err(Error::Timeout { .. })),
        "expected no answer (a timeout), got {result:?}"
    );
}

/// Opens the port, and checks and notes the options agreed.
fn open<'a>(conn: &'a TelnetConnection, cell: &mut Cell) -> ComPort<'a> {
    let port = conn.com_port(WAIT).expect("COM-PORT-OPTION");
    // ser2net offers BINARY both ways (and ECHO/SGA): data passes as it is.
    assert!(conn.local_option(Opt::BINARY) && conn.remote_option(Opt::BINARY));
    assert!(conn.local_option(Opt::COM_PORT));
    cell.note("COM-PORT-OPTION and BINARY both ways agreed");
    port
}

#[test]
fn ser2net_line_settings() {
    let mut cell = Cell::new(
        "2j-ser2net-rfc2217",
        GROUP,
        "ser2net 4.3.11 (gensio 2.6.2) `telnet(rfc2217)` on a socat pty: data and line settings",
        "server",
    );
    let mut serial = Ser2net::start("ser2net-line");
    let tap = Tap::new(([127, 0, 0, 1], serial.port).into());
    let conn = serial.connect(&tap);
    let port = open(&conn, &mut cell);

    // ser2net's own name unless configured otherwise (`signature:` or `-s`).
    let signature = port.signature(WAIT).expect("the signature");
    assert_eq!(signature, "ser2net");
    cell.note(format!("SIGNATURE answered {signature:?}"));

    // Bytes both ways, 0xFF included: doubled on the wire, single on the device.
    conn.write_bytes(b"to-device:\xff|", WAIT).unwrap();
    let got = serial.peer_read_until(b"to-device:\xff|");
    assert_eq!(escape(&got), escape(b"to-device:\xff|"));
    assert!(contains(&tap.client_sent(), b"to-device:\xff\xff|"));
    serial.peer_write(b"from-device:\xff|");
    let read = conn.read_until(b"|", WAIT).expect("the device's bytes");
    assert_eq!(escape(&read), escape(b"from-device:\xff|"));
    assert!(
        contains(&tap.server_sent(), b"from-device:\xff\xff|"),
        "ser2net doubles IAC: {}",
        escape(&tap.server_sent())
    );
    cell.note("bytes both ways with 0xFF (doubled on the wire by both sides)");

    // Each setting is answered with the value asked, and a query returns it.
    let before = serial.stty();
    assert!(contains_words(&before, &["speed", "9600"]), "{before:?}");
    port.set_baud_rate(115_200, WAIT).expect("115200 baud");
    assert_eq!(port.baud_rate(WAIT).unwrap(), 115_200);
    port.set_data_size(DataSize::Seven, WAIT).expect("7 bits");
    assert_eq!(port.data_size(WAIT).unwrap(), DataSize::Seven);
    port.set_parity(Parity::Even, WAIT).expect("even parity");
    assert_eq!(port.parity(WAIT).unwrap(), Parity::Even);
    port.set_stop_size(StopSize::Two, WAIT)
        .expect("2 stop bits");
    assert_eq!(port.stop_size(WAIT).unwrap(), StopSize::Two);
    cell.note(
        "115200 baud, 7 bits, even parity, 2 stop bits: each answered as asked, and so \
         are the queries after",
    );

    // What reached the device: the pty keeps the speed and the stop bits; it forces
    // CS8 and clears PARENB whatever it is given (Linux's `pty_set_termios`), so 7E2
    // cannot show there, while ser2net answers from the settings it applied.
    let after = serial.stty();
    assert!(contains_words(&after, &["speed", "115200"]), "{after:?}");
    for word in ["cstopb", "cs8", "-parenb"] {
        assert!(after.iter().any(|w| w == word), "no {word}: {after:?}");
    }
    cell.note(
        "`stty -F` on the device: speed 115200 and cstopb; cs8 -parenb, not cs7 parenb: a \
         Linux pty forces CS8 and clears PARENB (pty_set_termios), and ser2net answers from \
         what it set",
    );

    for purge in [Purge::Receive, Purge::Transmit, Purge::Both] {
        port.purge(purge, WAIT)
            .unwrap_or_else(|e| panic!("purge {purge:?}: {e}"));
    }
    cell.note("PURGE-DATA receive, transmit and both answered as asked");

    // Data still passes whole once 7E2 is asked for: the pty keeps 8 bits.
    conn.write_bytes(b"again:\xfe\xff|", WAIT).unwrap();
    serial.peer_read_until(b"again:\xfe\xff|");
    serial.peer_write(b"back:\xfe\xff|");
    let read = conn.read_until(b"|", WAIT).expect("the device's bytes");
    assert_eq!(escape(&read), escape(b"back:\xfe\xff|"));
    cell.note("8-bit data still whole both ways after 7E2 (the pty stays 8 bits)");
    cell.note(assert_no_loop(&tap));
}

/// Whether `pair` appears among `words`, one word after the other (`speed 115200`).
fn contains_words(words: &[String], pair: &[&str; 2]) -> bool {
    words.windows(2).any(|w| w[0] == pair[0] && w[1] == pair[1])
}

#[test]
fn ser2net_control_lines_and_states() {
    let mut cell = Cell::new(
        "2k-ser2net-rfc2217-control",
        GROUP,
        "ser2net 4.3.11 (gensio 2.6.2) `telnet(rfc2217)` on a socat pty: DTR/RTS, BREAK, \
         line and modem state",
        "server",
    );
    let serial = Ser2net::start("ser2net-control");
    let tap = Tap::new(([127, 0, 0, 1], serial.port).into());
    let conn = serial.connect(&tap);
    let port = open(&conn, &mut cell);

    // Once RFC 2217 is on, ser2net notifies the modem state (its mask starts at all
    // bits): none set, since a pty has no modem lines.
    poll_until("ser2net's first NOTIFY-MODEMSTATE", || {
        port.modem_state().is_some()
    });
    assert_eq!(port.modem_state(), Some(ModemState::EMPTY));
    cell.note("NOTIFY-MODEMSTATE 0 as soon as COM-PORT-OPTION is on");

    // The flow control settings are answered (none, as configured).
    assert_eq!(
        port.control(Control::QueryOutboundFlow, WAIT).unwrap(),
        Control::OutboundFlowNone
    );
    assert_eq!(
        port.control(Control::QueryInboundFlow, WAIT).unwrap(),
        Control::InboundFlowNone
    );
    cell.note("flow control queries answered: none both ways");

    // DTR and RTS: setting one fails in gensio (TIOCMGET on a pty: ENOTTY), and
    // ser2net then sends nothing; a query fails the same way, and ser2net answers
    // it with the failed read's 0, which on the wire is the query itself.
    assert_unanswered(port.set_dtr(true, NO_ANSWER));
    assert_unanswered(port.set_dtr(false, NO_ANSWER));
    assert_unanswered(port.set_rts(true, NO_ANSWER));
    assert_unanswered(port.set_rts(false, NO_ANSWER));
    assert_eq!(
        port.control(Control::QueryDtr, WAIT).unwrap(),
        Control::QueryDtr
    );
    assert_eq!(
        port.control(Control::QueryRts, WAIT).unwrap(),
        Control::QueryRts
    );
    cell.note(
        "DTR/RTS on and off never answered (set_dtr/set_rts time out): a pty has no modem \
         lines (TIOCMGET: ENOTTY) and ser2net drops the failed command; DTR and RTS queries \
         answered with the query value (7, 10), not a state",
    );

    // BREAK: the pty takes TIOCSBRK/TIOCCBRK (doing nothing), but gensio 2.6 stores the
    // ioctl's number as the state, so BREAK reads back as on from the moment the port
    // opens (gensio clears BREAK then) and after every change: BREAK off is answered
    // BREAK on. (Fixed in gensio 2.8.11, commit 2f44e96a "osops: Store the right value
    // for current break on Unix".)
    assert_eq!(
        port.control(Control::QueryBreak, WAIT).unwrap(),
        Control::BreakOn
    );
    port.set_break(true, WAIT).expect("BREAK on");
    match port.set_break(false, WAIT) {
        Err(Error::NotApplied {
            asked, answered, ..
        }) => assert_eq!((asked.as_str(), answered.as_str()), ("BreakOff", "BreakOn")),
        other => panic!("expected BREAK off answered BREAK on, got {other:?}"),
    }
    assert_eq!(
        port.control(Control::QueryBreak, WAIT).unwrap(),
        Control::BreakOn
    );
    let sent = port.send_break(Duration::from_millis(10), WAIT);
    assert!(
        matches!(sent, Err(Error::NotApplied { .. })),
        "send_break: {sent:?}"
    );
    cell.note(
        "BREAK query answered on (before any BREAK), BREAK on answered on, BREAK off \
         answered on (set_break(false): NotApplied, asked BreakOff, answered BreakOn), and \
         so send_break fails: gensio 2.6.2 stores TIOCCBRK's number as the break state \
         (fixed in gensio 2.8.11)",
    );

    // The masks: ser2net does not acknowledge them (no code 110/111); it answers with a
    // notification of the state under the new mask instead.
    assert_unanswered(port.set_modem_state_mask(ModemState::ALL, NO_ANSWER));
    assert_unanswered(port.set_line_state_mask(LineState::ALL, NO_ANSWER));
    // A round trip after them: ser2net has handled everything sent before.
    port.signature(WAIT).expect("the signature");
    let received = tap.server_sent();
    for code in [110, 111] {
        assert_eq!(
            com_port_messages(&received, code),
            Vec::<Vec<u8>>::new(),
            "ser2net acknowledged a mask: {}",
            escape(&received)
        );
    }
    assert_eq!(com_port_messages(&received, 107), [[107, 0], [107, 0]]);
    assert_eq!(com_port_messages(&received, 106), [[106, 0]]);
    // No answer to a DTR/RTS setting ever came: only the two queries were answered.
    let controls = com_port_messages(&received, 105);
    for unanswered in [8, 9, 11, 12] {
        assert!(
            !controls.contains(&vec![105, unanswered]),
            "ser2net answered SET-CONTROL {unanswered}: {controls:?}"
        );
    }
    let notifications = port.notifications();
    assert_eq!(
        notifications,
        [
            Notification::ModemState(ModemState::EMPTY),
            Notification::ModemState(ModemState::EMPTY),
            Notification::LineState(LineState::EMPTY),
        ]
    );
    assert_eq!(port.line_state(), Some(LineState::EMPTY));
    assert!(!port.suspended());
    cell.note(
        "SET-MODEMSTATE-MASK and SET-LINESTATE-MASK never acknowledged (no 111/110; our \
         set_*_state_mask time out): ser2net answers each with NOTIFY-MODEMSTATE 0 / \
         NOTIFY-LINESTATE 0 instead; no other notification on a pty",
    );
    cell.note(assert_no_loop(&tap));
    cell.reproduced_failure(
        "control lines and BREAK do not work through ser2net on a pty: DTR/RTS settings are \
         never answered (a pty has no modem lines), BREAK off is answered BREAK on (gensio \
         2.6.2 bug), and the state masks are never acknowledged (ser2net answers with a \
         NOTIFY instead)",
    );
}
