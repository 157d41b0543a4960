//! CPython 3.11's `Lib/test/test_telnetlib.py`, ported test for test to
//! `telnetlib::Telnet`: the same inputs and the same assertions, over a real loopback
//! socket where Python used a stub (`SocketStub`'s `block = True` becomes a peer that
//! has not sent yet). Plus `read_very_lazy`, which CPython defines but never runs
//! (and which is wrong as written): here it asserts what telnetlib really does.

use crate::support;

use std::cell::RefCell;
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use regex::bytes::Regex;
use support::peer::{DEADLINE, Peer};
use telnetlib::telnetlib::{
    AO, AYT, BRK, DO, DONT, EC, EL, GA, IAC, IP, NOOPT, NOP, OptionCallback, SB, SE, Telnet, WILL,
    WONT,
};

/// A connected `Telnet` and the peer playing the server; the peer has sent `reads`
/// (one write each) and, when `close`, closed its side. Python's `test_telnet(reads)`.
fn test_telnet(reads: &[&[u8]], close: bool) -> (Telnet, Peer) {
    let mut peer = Peer::bind();
    let telnet = Telnet::connect("127.0.0.1", peer.addr().port(), Some(DEADLINE)).unwrap();
    peer.accept();
    for chunk in reads {
        peer.send(chunk);
    }
    if close {
        peer.close();
    }
    (telnet, peer)
}

/// A peer that accepts one connection (the GeneralTests' `server`).
fn listening_port() -> (Peer, u16) {
    let peer = Peer::bind();
    let port = peer.addr().port();
    (peer, port)
}

// ---- GeneralTests -------------------------------------------------------------------

#[test]
fn test_basic() {
    let (mut peer, port) = listening_port();
    let telnet = Telnet::connect("127.0.0.1", port, None).unwrap();
    peer.accept();
    drop(telnet);
    assert_eq!(
        peer.receive_to_end(),
        b"",
        "dropping the Telnet closes the socket"
    );
}

#[test]
fn test_context_manager() {
    let (mut peer, port) = listening_port();
    let mut tn = Telnet::connect("127.0.0.1", port, None).unwrap();
    peer.accept();
    assert!(tn.get_socket().is_some());
    tn.close();
    assert!(tn.get_socket().is_none());
}

/// Python's `socket.setdefaulttimeout` has no Rust counterpart: with no process-wide
/// default, an omitted timeout is Python's default default, `None` (blocking).
#[test]
fn test_timeout_default() {
    let (_peer, port) = listening_port();
    let tn = Telnet::connect("127.0.0.1", port, None).unwrap();
    assert_eq!(tn.get_socket().unwrap().read_timeout().unwrap(), None);
}

#[test]
fn test_timeout_none() {
    let (_peer, port) = listening_port();
    let tn = Telnet::connect("127.0.0.1", port, None).unwrap();
    assert_eq!(tn.timeout(), None);
    assert_eq!(tn.get_socket().unwrap().read_timeout().unwrap(), None);
    assert_eq!(tn.get_socket().unwrap().write_timeout().unwrap(), None);
}

#[test]
fn test_timeout_value() {
    let (_peer, port) = listening_port();
    let thirty = Some(Duration::from_secs(30));
    let tn = Telnet::connect("127.0.0.1", port, thirty).unwrap();
    assert_eq!(tn.get_socket().unwrap().read_timeout().unwrap(), thirty);
    assert_eq!(tn.get_socket().unwrap().write_timeout().unwrap(), thirty);
}

#[test]
fn test_timeout_open() {
    let (_peer, port) = listening_port();
    let thirty = Some(Duration::from_secs(30));
    let mut tn = Telnet::new();
    tn.open("127.0.0.1", port, thirty).unwrap();
    assert_eq!(tn.get_socket().unwrap().read_timeout().unwrap(), thirty);
}

#[test]
fn test_getters() {
    use std::os::fd::AsRawFd;
    let (_peer, port) = listening_port();
    let tn = Telnet::connect("127.0.0.1", port, Some(Duration::from_secs(30))).unwrap();
    let socket = tn.get_socket().unwrap();
    assert_eq!(tn.fileno().unwrap(), socket.as_raw_fd());
    assert_eq!(tn.host(), Some("127.0.0.1"));
    assert_eq!(tn.port(), port);
}

// ---- ReadTests ----------------------------------------------------------------------

#[test]
fn test_read_until() {
    let (mut telnet, _peer) = test_telnet(&[b"xxxmatchyyy"], false);
    assert_eq!(telnet.read_until(b"match", None).unwrap(), b"xxxmatch");

    let x50 = [b'x'; 50];
    let y50 = [b'y'; 50];
    let (mut telnet, _peer) = test_telnet(&[&x50, b"match", &y50], false);
    let mut expect = x50.to_vec();
    expect.extend_from_slice(b"match");
    assert_eq!(telnet.read_until(b"match", None).unwrap(), expect);
}

#[test]
fn test_read_all() {
    let reads: [&[u8]; 3] = [&[b'x'; 500], &[b'y'; 500], &[b'z'; 500]];
    let (mut telnet, _peer) = test_telnet(&reads, true);
    assert_eq!(telnet.read_all().unwrap(), reads.concat());
}

#[test]
fn test_read_some() {
    // at least one byte
    let (mut telnet, _peer) = test_telnet(&[&[b'x'; 500]], false);
    assert!(!telnet.read_some().unwrap().is_empty());
    // EOF
    let (mut telnet, _peer) = test_telnet(&[], true);
    assert_eq!(telnet.read_some().unwrap(), b"");
}

/// `_read_eager`: nothing available → empty without blocking; then everything until
/// `Err(Eof)`.
fn read_eager_contract(read: fn(&mut Telnet) -> telnetlib::Result<Vec<u8>>) {
    let want = [b'x'; 100];
    let (mut telnet, mut peer) = test_telnet(&[], false);
    assert_eq!(
        read(&mut telnet).unwrap(),
        b"",
        "the peer has sent nothing yet"
    );
    peer.send(&want);
    peer.close();
    let deadline = Instant::now() + DEADLINE;
    let mut data = Vec::new();
    loop {
        assert!(Instant::now() < deadline, "no end of stream seen");
        match read(&mut telnet) {
            Ok(bytes) => data.extend(bytes),
            Err(error) if error.is_eof() => break,
            Err(error) => panic!("{error}"),
        }
    }
    assert_eq!(data, want);
}

#[test]
fn test_read_eager() {
    read_eager_contract(Telnet::read_eager);
    read_eager_contract(Telnet::read_very_eager);
}

/// CPython's `read_very_lazy` (never run there, and wrong as written): `fill_rawq`
/// alone cooks nothing, so `read_very_lazy` returns nothing until `read_lazy`
/// processes the raw queue; then the end of the stream raises.
#[test]
fn test_read_very_lazy() {
    let want = [b'x'; 100];
    let (mut telnet, _peer) = test_telnet(&[&want], true);
    assert_eq!(telnet.read_very_lazy().unwrap(), b"");
    while !telnet.is_eof() {
        telnet.fill_rawq().unwrap();
    }
    assert_eq!(telnet.read_very_lazy().unwrap(), b"");
    assert_eq!(telnet.read_lazy().unwrap(), want);
    assert!(telnet.read_very_lazy().unwrap_err().is_eof());
}

#[test]
fn test_read_lazy() {
    let want = [b'x'; 100];
    let (mut telnet, _peer) = test_telnet(&[&want], true);
    assert_eq!(telnet.read_lazy().unwrap(), b"", "read_lazy does no IO");
    let mut data = Vec::new();
    loop {
        match telnet.read_lazy() {
            Ok(read) => {
                if read.is_empty() {
                    telnet.fill_rawq().unwrap();
                }
                data.extend(read);
            }
            Err(error) if error.is_eof() => break,
            Err(error) => panic!("{error}"),
        }
        assert!(want.starts_with(&data));
    }
    assert_eq!(data, want);
}

// ---- WriteTests ---------------------------------------------------------------------

#[test]
fn test_write() {
    let samples: [&[u8]; 5] = [
        b"data sample without IAC",
        b"data sample with\xff one IAC",
        b"a few\xff\xff iacs\xff",
        b"\xff",
        b"",
    ];
    for data in samples {
        let (mut telnet, mut peer) = test_telnet(&[], false);
        telnet.write(data).unwrap();
        telnet.close();
        let doubled: Vec<u8> = data
            .iter()
            .flat_map(|&b| if b == IAC { vec![IAC, IAC] } else { vec![b] })
            .collect();
        assert_eq!(peer.receive_to_end(), doubled);
    }
}

// ---- OptionTests --------------------------------------------------------------------

/// Python's `nego_collector`: records `cmd + opt` of every call and, with `take_sb`,
/// the subnegotiation data at each `SE`.
#[derive(Clone, Default)]
struct NegoCollector {
    seen: Arc<Mutex<Vec<u8>>>,
    sb_seen: Arc<Mutex<Vec<u8>>>,
}

impl NegoCollector {
    fn callback(&self, take_sb: bool) -> OptionCallback {
        let this = self.clone();
        Box::new(move |context, cmd, opt| {
            this.seen.lock().unwrap().extend([cmd, opt]);
            if cmd == SE && take_sb {
                let data = context.read_sb_data();
                this.sb_seen.lock().unwrap().extend(data);
            }
        })
    }
}

const CMDS: [u8; 8] = [AO, AYT, BRK, EC, EL, GA, IP, NOP];

fn check_command(data: &[&[u8]]) {
    let (mut telnet, _peer) = test_telnet(data, true);
    let data_len = data.concat().len();
    let nego = NegoCollector::default();
    telnet.set_option_negotiation_callback(Some(nego.callback(false)));
    let txt = telnet.read_all().unwrap();
    let cmd = nego.seen.lock().unwrap().clone();
    assert!(!cmd.is_empty(), "we expect at least one command");
    assert!(CMDS.contains(&cmd[0]));
    assert_eq!(cmd[1], NOOPT);
    assert_eq!(data_len, txt.len() + cmd.len());
}

#[test]
fn test_iac_commands() {
    for cmd in CMDS {
        check_command(&[&[IAC], &[cmd]]);
        check_command(&[&[b'x'; 100], &[IAC], &[cmd], &[b'y'; 100]]);
        check_command(&[&[b'x'; 10], &[IAC], &[cmd], &[b'y'; 10]]);
    }
    // all at once
    let all: Vec<[u8; 2]> = CMDS.iter().map(|&cmd| [IAC, cmd]).collect();
    let all: Vec<&[u8]> = all.iter().map(|pair| &pair[..]).collect();
    check_command(&all);
}

#[test]
fn test_sb_commands() {
    let send: [&[u8]; 5] = [
        &[IAC, SB, IAC, SE],
        &[IAC, SB, IAC, IAC, IAC, SE],
        b"\xff\xfa\xff\xffaa\xff\xf0",
        b"\xff\xfabb\xff\xff\xff\xf0",
        b"\xff\xfacc\xff\xffdd\xff\xf0",
    ];
    let (mut telnet, _peer) = test_telnet(&send, true);
    let nego = NegoCollector::default();
    telnet.set_option_negotiation_callback(Some(nego.callback(true)));
    assert_eq!(telnet.read_all().unwrap(), b"");
    let want_sb_data = b"\xff\xffaabb\xffcc\xffdd";
    assert_eq!(*nego.sb_seen.lock().unwrap(), want_sb_data);
    assert_eq!(telnet.read_sb_data(), b"");
}

/// Debug messages go to the `log` crate; this logger keeps each thread's messages
/// (a `Telnet` logs on the thread that calls it), standing in for Python's
/// `captured_stdout`.
struct Capture;

thread_local! {
    static MESSAGES: RefCell<String> = const { RefCell::new(String::new()) };
}

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == "telnetlib::telnetlib"
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            MESSAGES.with(|m| m.borrow_mut().push_str(&format!("{}\n", record.args())));
        }
    }
    fn flush(&self) {}
}

/// Installs the capturing logger and returns this thread's messages so far, cleared.
fn take_messages() -> String {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Debug);
    });
    MESSAGES.with(|m| std::mem::take(&mut *m.borrow_mut()))
}

#[test]
fn test_debuglevel_reads() {
    let given_a_expect_b: [(&[u8], &str); 6] = [
        // Telnet.fill_rawq
        (b"a", ": recv b''\n"),
        // Telnet.process_rawq
        (&[IAC, 88], ": IAC 88 not recognized\n"),
        (&[IAC, DO, 1], ": IAC DO 1\n"),
        (&[IAC, DONT, 1], ": IAC DONT 1\n"),
        (&[IAC, WILL, 1], ": IAC WILL 1\n"),
        (&[IAC, WONT, 1], ": IAC WONT 1\n"),
    ];
    for (a, b) in given_a_expect_b {
        let (mut telnet, _peer) = test_telnet(&[a], true);
        take_messages();
        telnet.set_debuglevel(1);
        telnet.read_all().unwrap();
        let messages = take_messages();
        assert!(messages.contains(b), "{b:?} not in {messages:?}");
    }
}

#[test]
fn test_debuglevel_write() {
    let (mut telnet, _peer) = test_telnet(&[], false);
    take_messages();
    telnet.set_debuglevel(1);
    telnet.write(b"xxx").unwrap();
    assert!(take_messages().contains("send b'xxx'\n"));
}

/// Python's regression test for a port given as a string (bpo-10695). A Rust port is
/// a `u16`; what remains is the message format with the port in it.
#[test]
fn test_debug_accepts_str_port() {
    let (telnet, _peer) = test_telnet(&[], false);
    take_messages();
    let mut telnet = telnet;
    telnet.set_debuglevel(1);
    telnet.msg("test");
    let messages = take_messages();
    let pattern = Regex::new(&format!("{}.*test", telnet.port())).unwrap();
    assert!(pattern.is_match(messages.as_bytes()), "{messages:?}");
    assert_eq!(
        messages,
        format!("Telnet(127.0.0.1,{}): test\n", telnet.port())
    );
}

// ---- ExpectTests --------------------------------------------------------------------

#[test]
fn test_expect() {
    let (mut telnet, _peer) = test_telnet(&[&[b'x'; 10], b"match", &[b'y'; 10]], false);
    let found = telnet
        .expect(&[Regex::new("match").unwrap()], None)
        .unwrap();
    let mut want = vec![b'x'; 10];
    want.extend_from_slice(b"match");
    assert_eq!(found.text, want);
}
