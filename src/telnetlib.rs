//! [`Telnet`]: CPython's `telnetlib.Telnet`, method for method, for scripts ported from
//! Python. Every call returns what Python's returns for the same bytes from the peer;
//! COMPAT.md lists each deliberate difference and its reason.
//!
//! Like Python's, this type does its socket IO inside the calls: there is no background
//! thread, negotiation is answered while a `read_*`/`expect` call processes input, and
//! `read_lazy`/`read_very_lazy` never touch the socket. New code that wants replies
//! sent in the background, text decoding and option state should use
//! [`TelnetConnection`](crate::TelnetConnection).
//!
//! The module also exports telnetlib's constants (`IAC`, `DO`, `ECHO`, …) as `u8`, so
//! `from telnetlib import Telnet, IAC, DO` becomes
//! `use telnetlib::telnetlib::{Telnet, IAC, DO};`.
//!
//! ```no_run
//! use std::time::Duration;
//! use telnetlib::Telnet;
//!
//! let mut tn = Telnet::connect("127.0.0.1", 23, Some(Duration::from_secs(10)))?;
//! tn.read_until(b"login: ", Some(Duration::from_secs(5)))?;
//! tn.write(b"admin\n")?;
//! tn.read_until(b"$ ", Some(Duration::from_secs(5)))?;
//! tn.write(b"uptime\nexit\n")?;
//! let output = tn.read_all()?;
//! print!("{}", String::from_utf8_lossy(&output));
//! # Ok::<(), telnetlib::Error>(())
//! ```

mod consts;
mod interact;
mod parser;
mod repr;

use std::fmt;
use std::io::{self, Read, Write};
use std::mem;
use std::net::{SocketAddr, TcpStream};
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use memchr::memmem;
use parking_lot::Mutex;
use regex::bytes::Regex;

use crate::error::{Error, Result};
use crate::proto::nvt::escape_iac;
use crate::timeout::Timeout;

pub use self::consts::*;
use self::parser::{Output, Parser};
use self::repr::bytes_repr;

/// How much one `recv` asks for. Python asks for 50 bytes to keep its parser from
/// going quadratic; ours is linear, so it reads larger chunks (COMPAT.md).
const RECV_SIZE: usize = 32 * 1024;

/// The most cooked data `read_all`, `read_until` and `expect` buffer while looking for
/// what they wait for (Python has no limit); see [`Telnet::set_max_buffer`].
pub const DEFAULT_MAX_BUFFER: usize = 64 << 20;

/// The most subnegotiation data kept between `IAC SB` and the next `read_sb_data`
/// (Python has no limit); see [`Telnet::set_max_subnegotiation`].
pub const DEFAULT_MAX_SB_DATA: usize = 64 << 10;

/// The option negotiation callback: `callback(context, cmd, opt)`, Python's
/// `callback(sock, cmd, opt)`. Called for every `IAC DO|DONT|WILL|WONT opt` and, with
/// `opt` = [`NOOPT`], every other two-byte command (`SB`, `SE`, `NOP`, `GA`, unknown
/// bytes, …). While a callback is set, nothing is answered automatically.
pub type OptionCallback = Box<dyn FnMut(&mut OptionContext<'_>, u8, u8) + Send>;

/// What the option callback may do: send bytes (raw, like Python's `sock.sendall`, or
/// with IAC doubled) and take the subnegotiation data.
pub struct OptionContext<'a> {
    socket: &'a TcpStream,
    write_lock: &'a Mutex<()>,
    subnegotiation: &'a mut Vec<u8>,
    peer: Option<SocketAddr>,
}

impl OptionContext<'_> {
    /// Sends `bytes` as they are (Python: `sock.sendall(IAC + WILL + opt)`).
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<()> {
        send_all(self.socket, self.write_lock, bytes, "send_raw", self.peer)
    }

    /// Sends data with every IAC doubled, as [`Telnet::write`] does.
    pub fn send(&mut self, data: &[u8]) -> Result<()> {
        let mut escaped = Vec::with_capacity(data.len());
        escape_iac(data, &mut escaped);
        send_all(self.socket, self.write_lock, &escaped, "send", self.peer)
    }

    /// Sends `IAC cmd opt`, for example `send_command(WILL, NAWS)`.
    pub fn send_command(&mut self, cmd: u8, opt: u8) -> Result<()> {
        self.send_raw(&[IAC, cmd, opt])
    }

    /// Takes the subnegotiation data collected so far, as [`Telnet::read_sb_data`].
    /// Call it when `cmd` is [`SE`]: the first byte is the option code.
    pub fn read_sb_data(&mut self) -> Vec<u8> {
        mem::take(self.subnegotiation)
    }

    /// The socket, for what Python callbacks did with `sock` other than send.
    pub fn get_socket(&self) -> &TcpStream {
        self.socket
    }
}

/// What [`Telnet::expect`] found: Python's `(index, match, text)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Expected {
    /// Which pattern matched, in list order; `None` where Python returns `-1` (timeout,
    /// or the connection closed with data that matched nothing).
    pub index: Option<usize>,
    /// The match's groups as ranges of `text` (group 0 is the whole match; `None` for
    /// a group that did not take part). Empty when nothing matched.
    pub groups: Vec<Option<Range<usize>>>,
    /// The data read, up to and including the match; everything read when nothing
    /// matched.
    pub text: Vec<u8>,
}

impl Expected {
    /// The bytes the pattern matched (Python's `match.group(0)`).
    pub fn matched(&self) -> Option<&[u8]> {
        self.group(0)
    }

    /// Capture group `index` (Python's `match.group(index)`).
    pub fn group(&self, index: usize) -> Option<&[u8]> {
        let range = self.groups.get(index)?.clone()?;
        self.text.get(range)
    }

    /// The data before the match; everything read when nothing matched.
    pub fn before(&self) -> &[u8] {
        match self.groups.first().cloned().flatten() {
            Some(whole) => &self.text[..whole.start],
            None => &self.text,
        }
    }
}

/// Python's `msg()`: debug messages prefixed `Telnet(host,port): `, sent to the `log`
/// crate at debug level (target `telnetlib::telnetlib`) while the debug level is above 0.
#[derive(Debug, Clone)]
struct Debug {
    level: u32,
    host: Option<String>,
    port: u16,
}

impl Debug {
    fn on(&self) -> bool {
        self.level > 0
    }

    fn msg(&self, message: fmt::Arguments<'_>) {
        if self.on() {
            log::debug!(
                target: "telnetlib::telnetlib",
                "Telnet({},{}): {message}",
                self.host.as_deref().unwrap_or("None"),
                self.port
            );
        }
    }
}

/// How long one `recv` may wait.
#[derive(Debug, Clone, Copy)]
enum Wait {
    /// The socket's own timeout (the one given to `open`): Python's plain `recv`.
    Socket,
    /// Until the deadline, or for ever: Python's `select(timeout)` before `recv`.
    Until(Option<Instant>),
    /// Not at all: Python's `sock_avail()` before `recv`.
    Never,
}

/// CPython's `telnetlib.Telnet`: the same methods with the same results. See the
/// [module documentation](self) and COMPAT.md.
pub struct Telnet {
    debug: Debug,
    timeout: Option<Duration>,
    sock: Option<TcpStream>,
    peer: Option<SocketAddr>,
    /// Received bytes not yet processed (Python's `rawq`).
    rawq: Vec<u8>,
    /// Processed data waiting for the application (Python's `cookedq`).
    cookedq: Vec<u8>,
    /// Subnegotiation data (Python's `sbdataq`).
    sbdataq: Vec<u8>,
    eof: bool,
    parser: Parser,
    option_callback: Option<OptionCallback>,
    max_buffer: usize,
    max_sb_data: usize,
    /// Serialises writes to the socket (`interact` writes from a second thread).
    write_lock: Arc<Mutex<()>>,
    /// The read timeout last set on the socket, to skip redundant system calls.
    read_timeout: Option<Option<Duration>>,
    recv_buffer: Vec<u8>,
}

impl Default for Telnet {
    fn default() -> Self {
        Telnet::new()
    }
}

impl Drop for Telnet {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for Telnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telnet")
            .field("host", &self.debug.host)
            .field("port", &self.debug.port)
            .field("timeout", &self.timeout)
            .field("connected", &self.sock.is_some())
            .field("eof", &self.eof)
            .field("cooked", &self.cookedq.len())
            .finish_non_exhaustive()
    }
}

impl Telnet {
    /// An unconnected instance (Python: `Telnet()`); call [`open`](Self::open).
    pub fn new() -> Telnet {
        Telnet {
            debug: Debug {
                level: DEBUGLEVEL,
                host: None,
                port: 0,
            },
            timeout: None,
            sock: None,
            peer: None,
            rawq: Vec::new(),
            cookedq: Vec::new(),
            sbdataq: Vec::new(),
            eof: false,
            parser: Parser::default(),
            option_callback: None,
            max_buffer: DEFAULT_MAX_BUFFER,
            max_sb_data: DEFAULT_MAX_SB_DATA,
            write_lock: Arc::new(Mutex::new(())),
            read_timeout: None,
            recv_buffer: Vec::new(),
        }
    }

    /// Connects (Python: `Telnet(host, port, timeout)`). Port 0 means 23. `timeout`
    /// bounds the connect and, as in Python, every later socket call that has no
    /// timeout of its own (`read_all`, `read_some`, `write`, `expect` without a
    /// timeout); `None` blocks (a [`Timeout`]: `None` and `Timeout::Never` are
    /// Python's `None`).
    pub fn connect(host: &str, port: u16, timeout: impl Into<Timeout>) -> Result<Telnet> {
        let mut telnet = Telnet::new();
        telnet.open(host, port, timeout)?;
        Ok(telnet)
    }

    /// Connects this instance (Python: `open(host, port, timeout)`). A socket still
    /// open from before is closed first (Python leaks it); buffered data is kept, as
    /// in Python.
    pub fn open(&mut self, host: &str, port: u16, timeout: impl Into<Timeout>) -> Result<()> {
        let timeout = timeout.into().duration();
        self.eof = false;
        let port = if port == 0 { TELNET_PORT } else { port };
        self.debug.host = Some(host.to_owned());
        self.debug.port = port;
        self.timeout = timeout;
        if let Some(previous) = self.sock.take() {
            let _ = previous.shutdown(std::net::Shutdown::Both);
        }
        self.peer = None;
        let stream = crate::io::connect_tcp(&(host, port), timeout, true)?;
        let setup = |stream: &TcpStream| -> io::Result<()> {
            stream.set_read_timeout(timeout)?;
            stream.set_write_timeout(timeout)
        };
        setup(&stream).map_err(|source| Error::Connect {
            target: format!("{host}:{port}"),
            source,
        })?;
        self.read_timeout = Some(timeout);
        self.peer = stream.peer_addr().ok();
        self.sock = Some(stream);
        Ok(())
    }

    /// Closes the connection (Python: `close()`). Buffered data stays readable with
    /// `read_very_lazy` and friends; idempotent. Dropping a `Telnet` closes it too.
    pub fn close(&mut self) {
        if let Some(socket) = self.sock.take() {
            // The peer sees the end now, even while `interact`'s input thread still
            // holds a clone of the socket.
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
        self.eof = true;
        self.parser.reset();
    }

    /// The socket, `None` when not connected (Python: `get_socket()`). Reading from it
    /// directly would bypass the Telnet parser.
    pub fn get_socket(&self) -> Option<&TcpStream> {
        self.sock.as_ref()
    }

    /// The socket's file descriptor (Python: `fileno()`), for `poll`/`select`.
    #[cfg(unix)]
    pub fn fileno(&self) -> Result<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        Ok(self.socket("fileno")?.as_raw_fd())
    }

    /// The host given to `open` (Python's `host`).
    pub fn host(&self) -> Option<&str> {
        self.debug.host.as_deref()
    }

    /// The port connected to, 23 when `open` was given 0 (Python's `port`).
    pub fn port(&self) -> u16 {
        self.debug.port
    }

    /// The timeout given to `open` (Python's `timeout`).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether the end of the stream was seen (Python's `eof`): set by the read that
    /// found it and by `close()`, cleared by `open()`.
    pub fn is_eof(&self) -> bool {
        self.eof
    }

    /// Sets the debug level (Python: `set_debuglevel(n)`); above 0, the messages
    /// Python prints go to the `log` crate at debug level.
    pub fn set_debuglevel(&mut self, level: u32) {
        self.debug.level = level;
    }

    /// The debug level.
    pub fn debuglevel(&self) -> u32 {
        self.debug.level
    }

    /// Logs `message` as `Telnet(host,port): message` when the debug level is above 0
    /// (Python: `msg()`).
    pub fn msg(&self, message: impl fmt::Display) {
        self.debug.msg(format_args!("{message}"));
    }

    /// Keeps NUL (except the NUL of CR NUL) and XON in the data; Python removes every
    /// one of them, which corrupts binary transfers. Off by default, for parity.
    pub fn set_keep_nul_and_xon(&mut self, keep: bool) {
        self.parser.keep_nul_and_xon = keep;
    }

    /// The most data `read_all`, `read_until` and `expect` buffer before they fail
    /// with [`Error::BufferFull`] (the data is kept). Default [`DEFAULT_MAX_BUFFER`].
    pub fn set_max_buffer(&mut self, bytes: usize) {
        self.max_buffer = bytes.max(1);
    }

    /// The most subnegotiation data kept until `read_sb_data`; bytes beyond are
    /// dropped. Default [`DEFAULT_MAX_SB_DATA`].
    pub fn set_max_subnegotiation(&mut self, bytes: usize) {
        self.max_sb_data = bytes;
    }

    /// Sets or clears the option negotiation callback (Python:
    /// `set_option_negotiation_callback`). While set, no negotiation is answered
    /// automatically; with none, `DO x` is refused with `WONT x` and `WILL x` with
    /// `DONT x`, and `DONT`/`WONT` (already the state) get no reply (RFC 1143; Python
    /// answers them too, which can loop with another naive peer).
    pub fn set_option_negotiation_callback(&mut self, callback: Option<OptionCallback>) {
        self.option_callback = callback;
    }

    /// Writes `buffer` with every IAC doubled and no newline translation (Python:
    /// `write`). Bounded by the timeout given to `open`.
    pub fn write(&mut self, buffer: &[u8]) -> Result<()> {
        let mut escaped = Vec::with_capacity(buffer.len());
        escape_iac(buffer, &mut escaped);
        self.debug
            .msg(format_args!("send {}", bytes_repr(&escaped)));
        let socket = self.socket("write")?;
        send_all(socket, &self.write_lock, &escaped, "write", self.peer)
    }

    /// Reads until `expected` is found or `timeout` passes (Python: `read_until`).
    /// Returns the data up to and including `expected`; on timeout or at the end of
    /// the stream, whatever was read (possibly nothing). `Err(Eof)` only when the
    /// stream ended and nothing is left. `None` waits for ever; the socket timeout of
    /// `open` does not apply, as in Python.
    pub fn read_until(&mut self, expected: &[u8], timeout: impl Into<Timeout>) -> Result<Vec<u8>> {
        const OPERATION: &str = "read_until";
        let timeout = timeout.into().duration();
        self.process_rawq();
        if let Some(at) = memmem::find(&self.cookedq, expected) {
            return Ok(self.take_cooked(at + expected.len()));
        }
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        self.socket(OPERATION)?;
        let finder = memmem::Finder::new(expected);
        while !self.eof {
            self.check_room(OPERATION)?;
            let from = self.cookedq.len().saturating_sub(expected.len());
            if self.recv(OPERATION, Wait::Until(deadline))? {
                self.process_rawq();
                if let Some(at) = finder.find(&self.cookedq[from..]) {
                    return Ok(self.take_cooked(from + at + expected.len()));
                }
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                break;
            }
        }
        self.very_lazy(OPERATION)
    }

    /// Reads until the peer closes (Python: `read_all`); returns everything, never
    /// `Err(Eof)`. Bounded by the socket timeout: `Err(Timeout)` keeps the data read.
    pub fn read_all(&mut self) -> Result<Vec<u8>> {
        const OPERATION: &str = "read_all";
        self.process_rawq();
        while !self.eof {
            self.check_room(OPERATION)?;
            self.recv(OPERATION, Wait::Socket)?;
            self.process_rawq();
        }
        Ok(mem::take(&mut self.cookedq))
    }

    /// Reads at least one byte unless the stream ended (Python: `read_some`); returns
    /// empty at the end of the stream, never `Err(Eof)`.
    pub fn read_some(&mut self) -> Result<Vec<u8>> {
        self.process_rawq();
        while self.cookedq.is_empty() && !self.eof {
            self.recv("read_some", Wait::Socket)?;
            self.process_rawq();
        }
        Ok(mem::take(&mut self.cookedq))
    }

    /// Reads everything available without blocking (Python: `read_very_eager`).
    /// `Err(Eof)` when the stream ended and nothing is buffered.
    pub fn read_very_eager(&mut self) -> Result<Vec<u8>> {
        const OPERATION: &str = "read_very_eager";
        self.process_rawq();
        while !self.eof && self.cookedq.len() < self.max_buffer {
            if !self.recv(OPERATION, Wait::Never)? {
                break;
            }
            self.process_rawq();
        }
        self.very_lazy(OPERATION)
    }

    /// Reads what is available without blocking, stopping at the first data (Python:
    /// `read_eager`). May return empty although bytes arrived (negotiation only).
    pub fn read_eager(&mut self) -> Result<Vec<u8>> {
        const OPERATION: &str = "read_eager";
        self.process_rawq();
        while self.cookedq.is_empty() && !self.eof {
            if !self.recv(OPERATION, Wait::Never)? {
                break;
            }
            self.process_rawq();
        }
        self.very_lazy(OPERATION)
    }

    /// Processes bytes already received and returns the data, with no socket IO
    /// (Python: `read_lazy`).
    pub fn read_lazy(&mut self) -> Result<Vec<u8>> {
        self.process_rawq();
        self.very_lazy("read_lazy")
    }

    /// Returns the data already processed, with no processing and no IO (Python:
    /// `read_very_lazy`). `Err(Eof)` when the stream ended and nothing is left.
    pub fn read_very_lazy(&mut self) -> Result<Vec<u8>> {
        self.very_lazy("read_very_lazy")
    }

    /// Takes the subnegotiation data collected since the last `IAC SB` (Python:
    /// `read_sb_data`): the option code, then every byte of the payload (Python drops
    /// NULs, corrupting NAWS; see COMPAT.md). Call it from the callback on [`SE`].
    pub fn read_sb_data(&mut self) -> Vec<u8> {
        mem::take(&mut self.sbdataq)
    }

    /// Whether a read would not block: data or the end of the stream is waiting
    /// (Python: `sock_avail`).
    pub fn sock_avail(&self) -> Result<bool> {
        let socket = self.socket("sock_avail")?;
        let wrap = |source| Error::Io {
            operation: "sock_avail",
            peer: self.peer,
            source,
        };
        socket.set_nonblocking(true).map_err(wrap)?;
        let peeked = socket.peek(&mut [0u8; 1]);
        socket.set_nonblocking(false).map_err(wrap)?;
        Ok(match peeked {
            Ok(_) => true,
            Err(error) => error.kind() != io::ErrorKind::WouldBlock,
        })
    }

    /// Waits for the first of `list` to match the data (Python: `expect`). Patterns
    /// are tried in list order over everything buffered; the first that matches
    /// anywhere wins. On timeout, or at the end of the stream, returns
    /// `index: None` with all the data read; `Err(Eof)` when the stream ended with
    /// nothing left. `timeout: None` is bounded by the socket timeout of `open`
    /// (`Err(Timeout)`, data kept), as in Python; `Timeout::Never` waits as long as it
    /// takes.
    ///
    /// A timeout holds even while data keeps arriving: at the deadline `expect` takes
    /// what is already waiting on the socket (at most one receive buffer), searches
    /// once more and returns. Python's goes on reading for as long as data is waiting
    /// when it looks, so a peer that never stops talking held it past any timeout.
    pub fn expect(&mut self, list: &[Regex], timeout: impl Into<Timeout>) -> Result<Expected> {
        const OPERATION: &str = "expect";
        let timeout = timeout.into();
        let deadline = timeout.deadline();
        // Python's `None` is bounded by the socket timeout; `Timeout::Never` (or a
        // duration too large for the clock) is not bounded at all.
        let unbounded = deadline.is_none() && timeout != Timeout::Default;
        if timeout != Timeout::Default {
            self.socket(OPERATION)?;
        }
        let list: Vec<_> = list.iter().map(|p| (p.clone(), longest_match(p))).collect();
        let list = list.as_slice();
        let mut searched = None;
        while !self.eof {
            self.process_rawq();
            if let Some(found) = self.search_new(list, &mut searched) {
                return Ok(found);
            }
            self.check_room(OPERATION)?;
            match deadline {
                Some(at) if Instant::now() >= at => {
                    self.read_waiting(OPERATION)?;
                    if let Some(found) = self.search_new(list, &mut searched) {
                        return Ok(found);
                    }
                    break;
                }
                Some(at) => {
                    self.recv(OPERATION, Wait::Until(Some(at)))?;
                }
                None if unbounded => {
                    self.recv(OPERATION, Wait::Until(None))?;
                }
                None => {
                    self.recv(OPERATION, Wait::Socket)?;
                }
            }
        }
        let text = self.very_lazy(OPERATION)?;
        if text.is_empty() && self.eof {
            return Err(self.eof_error(OPERATION));
        }
        Ok(Expected {
            index: None,
            groups: Vec::new(),
            text,
        })
    }

    /// One `recv` into the raw queue, blocking up to the socket timeout (Python:
    /// `fill_rawq`). Only useful together with [`process_rawq`](Self::process_rawq);
    /// the `read_*` methods call both.
    pub fn fill_rawq(&mut self) -> Result<()> {
        self.recv("fill_rawq", Wait::Socket).map(drop)
    }

    /// Processes the raw queue into data, subnegotiation data and callbacks, with no
    /// socket reads (Python: `process_rawq`).
    pub fn process_rawq(&mut self) {
        if self.rawq.is_empty() {
            return;
        }
        let raw = mem::take(&mut self.rawq);
        let Telnet {
            debug,
            sock,
            peer,
            cookedq,
            sbdataq,
            parser,
            option_callback,
            max_sb_data,
            write_lock,
            ..
        } = self;
        let mut out = Output {
            cooked: cookedq,
            subnegotiation: sbdataq,
            subnegotiation_limit: *max_sb_data,
        };
        parser.process(&raw, &mut out, |cmd, opt, subnegotiation| {
            let Some(socket) = sock.as_ref() else {
                return;
            };
            let verb = match cmd {
                DO => "DO",
                DONT => "DONT",
                WILL => "WILL",
                WONT => "WONT",
                _ => "",
            };
            if !verb.is_empty() {
                debug.msg(format_args!("IAC {verb} {opt}"));
            }
            if let Some(callback) = option_callback.as_mut() {
                let mut context = OptionContext {
                    socket,
                    write_lock,
                    subnegotiation,
                    peer: *peer,
                };
                callback(&mut context, cmd, opt);
                return;
            }
            let refusal = match cmd {
                DO => WONT,
                WILL => DONT,
                // Already off: RFC 1143 sends nothing (Python refuses again).
                DONT | WONT => return,
                _ => {
                    debug.msg(format_args!("IAC {cmd} not recognized"));
                    return;
                }
            };
            if let Err(error) = send_all(socket, write_lock, &[IAC, refusal, opt], "reply", *peer) {
                log::debug!("refusing option {opt}: {error}");
            }
        });
        self.rawq = raw;
        self.rawq.clear();
    }

    fn very_lazy(&mut self, operation: &'static str) -> Result<Vec<u8>> {
        let buffer = mem::take(&mut self.cookedq);
        if buffer.is_empty() && self.eof && self.rawq.is_empty() {
            return Err(self.eof_error(operation));
        }
        Ok(buffer)
    }

    /// Removes and returns the first `length` bytes of the cooked data.
    fn take_cooked(&mut self, length: usize) -> Vec<u8> {
        let rest = self.cookedq.split_off(length);
        mem::replace(&mut self.cookedq, rest)
    }

    /// [`search`](Self::search), unless the cooked data is what it was at the last
    /// search (`searched` holds its length then: within one `expect` it only grows),
    /// which would find nothing again: negotiation alone adds no data.
    fn search_new(
        &mut self,
        list: &[(Regex, Option<usize>)],
        searched: &mut Option<usize>,
    ) -> Option<Expected> {
        if *searched == Some(self.cookedq.len()) {
            return None;
        }
        let before = searched.replace(self.cookedq.len());
        self.search(list, before)
    }

    /// The first pattern, in list order, that matches the cooked data. With `before`,
    /// the length of the data when no pattern matched it, a pattern whose matches are
    /// at most `n` bytes long is searched from `before - n` only: a match it has now
    /// ends in the new data (or at its edge, where `$` and `\b` see new context), so
    /// it starts no earlier. The search still sees the whole data, for `^`, `\b` and
    /// the like.
    fn search(
        &mut self,
        list: &[(Regex, Option<usize>)],
        before: Option<usize>,
    ) -> Option<Expected> {
        list.iter()
            .enumerate()
            .find_map(|(index, (pattern, longest))| {
                let from = match (before, longest) {
                    (Some(before), Some(longest)) => before.saturating_sub(*longest),
                    _ => 0,
                };
                let captures = pattern.captures_at(&self.cookedq, from)?;
                let groups: Vec<_> = captures.iter().map(|m| m.map(|m| m.range())).collect();
                let end = captures.get_match().end();
                Some(Expected {
                    index: Some(index),
                    groups,
                    text: self.take_cooked(end),
                })
            })
    }

    /// Reads and processes what is already waiting on the socket, without waiting:
    /// Python's last `select(0)` before its timeout. At most one receive buffer's
    /// worth (what can have been waiting when we looked), so that a peer sending as
    /// fast as we read cannot keep us here.
    fn read_waiting(&mut self, operation: &'static str) -> Result<()> {
        let socket = self.socket(operation)?;
        let budget = socket2::SockRef::from(socket)
            .recv_buffer_size()
            .unwrap_or(RECV_SIZE);
        let mut taken = 0;
        while taken < budget && !self.eof && self.cookedq.len() < self.max_buffer {
            if !self.recv(operation, Wait::Never)? {
                break;
            }
            taken += self.rawq.len();
            self.process_rawq();
        }
        Ok(())
    }

    fn check_room(&self, operation: &'static str) -> Result<()> {
        if self.cookedq.len() >= self.max_buffer {
            return Err(Error::BufferFull {
                operation,
                peer: self.peer,
                limit: self.max_buffer,
            });
        }
        Ok(())
    }

    fn socket(&self, operation: &'static str) -> Result<&TcpStream> {
        self.sock.as_ref().ok_or(Error::Closed { operation })
    }

    fn eof_error(&self, operation: &'static str) -> Error {
        Error::Eof {
            operation,
            peer: self.peer,
        }
    }

    /// One `recv` into the raw queue; `Ok(false)` when nothing came within `wait`.
    /// Sets `eof` as Python does: true after an empty read, false after data.
    fn recv(&mut self, operation: &'static str, wait: Wait) -> Result<bool> {
        let timeout = match wait {
            Wait::Socket => Some(self.timeout),
            Wait::Until(None) => Some(None),
            Wait::Until(Some(deadline)) => {
                let left = deadline.saturating_duration_since(Instant::now());
                (!left.is_zero()).then_some(Some(left))
            }
            Wait::Never => None,
        };
        if self.recv_buffer.is_empty() {
            self.recv_buffer = vec![0; RECV_SIZE];
        }
        let peer = self.peer;
        let io_error = |source: io::Error| Error::Io {
            operation,
            peer,
            source,
        };
        let socket = self.sock.as_ref().ok_or(Error::Closed { operation })?;
        if let Some(timeout) = timeout {
            if self.read_timeout != Some(timeout) {
                socket.set_read_timeout(timeout).map_err(io_error)?;
                self.read_timeout = Some(timeout);
            }
        } else {
            socket.set_nonblocking(true).map_err(io_error)?;
        }
        let received = loop {
            match (&*socket).read(&mut self.recv_buffer) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        if timeout.is_none() {
            socket.set_nonblocking(false).map_err(io_error)?;
        }
        let count = match received {
            Ok(count) => count,
            Err(error) if is_timeout(&error) => {
                if matches!(wait, Wait::Socket) {
                    return Err(Error::Timeout {
                        operation,
                        peer,
                        unmet: None,
                    });
                }
                return Ok(false);
            }
            Err(error) => return Err(io_error(error)),
        };
        let data = &self.recv_buffer[..count];
        if self.debug.on() {
            self.debug.msg(format_args!("recv {}", bytes_repr(data)));
        }
        self.eof = count == 0;
        self.rawq.extend_from_slice(data);
        Ok(true)
    }
}

/// The longest match `pattern` can make, in bytes, when it has a bound (`None` when
/// it has none, or when its text does not parse here). The text is parsed
/// case-insensitively and without UTF-8 requirements: that matches a superset of what
/// any builder flags make the compiled pattern match, so the bound holds however it
/// was built.
fn longest_match(pattern: &Regex) -> Option<usize> {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .case_insensitive(true)
        .build()
        .parse(pattern.as_str())
        .ok()?
        .properties()
        .maximum_len()
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Writes all of `bytes` under the write lock; a socket timeout is [`Error::Timeout`].
fn send_all(
    socket: &TcpStream,
    write_lock: &Mutex<()>,
    bytes: &[u8],
    operation: &'static str,
    peer: Option<SocketAddr>,
) -> Result<()> {
    let _writing = write_lock.lock();
    let mut stream = socket;
    stream.write_all(bytes).map_err(|source| {
        if is_timeout(&source) {
            Error::Timeout {
                operation,
                peer,
                unmet: None,
            }
        } else {
            Error::Io {
                operation,
                peer,
                source,
            }
        }
    })
}
