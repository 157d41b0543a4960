//! [`TelnetConnection`]: the blocking Telnet client of `telnetlib3.sync`, done right.

mod builder;
mod role;

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use regex::bytes::Regex;

pub use builder::{
    ClientBuilder, DEFAULT_MAX_INPUT, DEFAULT_MAX_LINE, DEFAULT_MAX_OUTPUT, DEFAULT_READER_STACK,
};

use crate::error::{Error, Result};
use crate::io::{Core, EventHook, ExpectMatch, Want};
use crate::proto::{Command, Opt, OwnedEvent, QState, RequestOutcome, Side, nvt};
use role::ClientRole;

/// A Telnet client connection with blocking calls, safe to share between threads.
///
/// A background reader thread answers negotiations as they arrive, even while nobody
/// reads, and buffers data (up to a bound) for the read calls. Every call takes an
/// `Option<Duration>` timeout; `None` uses the connection's default (see
/// [`ClientBuilder::timeout`]). A timed-out read consumes nothing. Once the peer closes,
/// reads drain what is buffered and then fail with [`Error::Eof`]; after
/// [`close`](Self::close) every call fails with [`Error::Closed`]. Dropping the
/// connection closes it and joins its thread.
///
/// `TelnetConnection` is `Send + Sync`: one thread may read while another writes.
/// Concurrent readers are served one at a time.
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::TcpListener;
/// use std::time::Duration;
/// use telnetlib::TelnetConnection;
///
/// // A toy server: it asks for our window size, prompts, and checks our answer.
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let address = listener.local_addr()?;
/// let server = std::thread::spawn(move || -> std::io::Result<Vec<u8>> {
///     let (mut socket, _) = listener.accept()?;
///     socket.write_all(b"\xff\xfd\x1flogin: ")?;
///     let mut received = vec![0; 64];
///     let mut total = 0;
///     while !received[..total].ends_with(b"\r\n") {
///         total += socket.read(&mut received[total..])?;
///     }
///     received.truncate(total);
///     Ok(received)
/// });
///
/// let timeout = Some(Duration::from_secs(5));
/// let conn = TelnetConnection::connect(address)?;
/// assert_eq!(conn.read_until(b"login: ", timeout)?, b"login: ");
/// conn.write_str("admin\n", timeout)?;
///
/// // IAC WILL NAWS, our size (80x25), then the name with its newline in NVT form.
/// let received = server.join().unwrap()?;
/// assert_eq!(received, b"\xff\xfb\x1f\xff\xfa\x1f\x00\x50\x00\x19\xff\xf0admin\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TelnetConnection {
    core: Core<ClientRole>,
}

impl fmt::Debug for TelnetConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelnetConnection")
            .field("peer", &self.core.peer())
            .field("closed", &self.core.is_closed())
            .finish()
    }
}

impl TelnetConnection {
    /// Settings beyond the defaults: timeouts, encoding, terminal, policy, limits.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// Connects with the default settings.
    pub fn connect<A: ToSocketAddrs + fmt::Debug>(target: A) -> Result<TelnetConnection> {
        ClientBuilder::new().connect(target)
    }

    // ----------------------------------------------------------------- reading

    /// Up to `n` bytes, returning as soon as any data is buffered (not "until EOF",
    /// unlike telnetlib3's `read()`).
    pub fn read(&self, n: usize, timeout: Option<Duration>) -> Result<Vec<u8>> {
        self.core.read(n, timeout)
    }

    /// Everything buffered, as soon as anything is.
    pub fn read_some(&self, timeout: Option<Duration>) -> Result<Vec<u8>> {
        self.core.read(usize::MAX, timeout)
    }

    /// One line including its terminator: LF, CR LF, CR NUL (returned as CR) or a bare
    /// CR. A CR LF split across packets is one terminator (the line then ends in CR and
    /// the LF is skipped). At end of stream an unterminated rest is returned as the last
    /// line. A line longer than `max_line` fails with [`Error::LineTooLong`] and stays
    /// buffered.
    pub fn readline(&self, timeout: Option<Duration>) -> Result<Vec<u8>> {
        self.core.readline(timeout)
    }

    /// Everything up to and including `pattern`. If the peer closes first, `Eof`, and
    /// the data stays buffered.
    pub fn read_until(&self, pattern: &[u8], timeout: Option<Duration>) -> Result<Vec<u8>> {
        self.core.read_until(pattern, timeout)
    }

    /// Everything until the peer closes, bounded by the input buffer
    /// ([`Error::BufferFull`] beyond it).
    pub fn read_all(&self, timeout: Option<Duration>) -> Result<Vec<u8>> {
        self.core.read_all(timeout)
    }

    /// Waits for the first of `patterns` (list order wins, as in telnetlib) to match
    /// the buffered data, and consumes through the match.
    ///
    /// ```no_run
    /// # let conn = telnetlib::TelnetConnection::connect("127.0.0.1:23")?;
    /// use regex::bytes::Regex;
    /// let prompts = [Regex::new(r"[Pp]assword: ?$").unwrap(), Regex::new(r"\$ $").unwrap()];
    /// let found = conn.expect(&prompts, None)?;
    /// println!("pattern {} after {:?}", found.index, found.before);
    /// # Ok::<(), telnetlib::Error>(())
    /// ```
    pub fn expect(&self, patterns: &[Regex], timeout: Option<Duration>) -> Result<ExpectMatch> {
        self.core.expect(patterns, timeout)
    }

    /// [`read`](Self::read), decoded with the connection's encoding (a multi-byte
    /// character split across reads is decoded when complete).
    pub fn read_str(&self, n: usize, timeout: Option<Duration>) -> Result<String> {
        self.core.read_str(n, timeout)
    }

    /// [`read_some`](Self::read_some), decoded.
    pub fn read_some_str(&self, timeout: Option<Duration>) -> Result<String> {
        self.core.read_str(usize::MAX, timeout)
    }

    /// [`readline`](Self::readline), decoded.
    pub fn readline_str(&self, timeout: Option<Duration>) -> Result<String> {
        self.core.readline_str(timeout)
    }

    /// [`read_until`](Self::read_until) with a text pattern (encoded with the
    /// connection's encoding), decoded.
    pub fn read_until_str(&self, pattern: &str, timeout: Option<Duration>) -> Result<String> {
        self.core.read_until_str(pattern, timeout)
    }

    /// [`read_all`](Self::read_all), decoded.
    pub fn read_all_str(&self, timeout: Option<Duration>) -> Result<String> {
        self.core.read_all_str(timeout)
    }

    // ----------------------------------------------------------------- writing

    /// Sends bytes with 0xFF doubled and no newline translation. Returns once they are
    /// handed to the socket; on `Timeout` they stay queued, in order, and go out with
    /// the next write or flush.
    pub fn write(&self, data: &[u8], timeout: Option<Duration>) -> Result<()> {
        let deadline = self.core.deadline_for(timeout);
        self.core.send("write", deadline, |state| {
            nvt::escape_iac(data, &mut state.outgoing)
        })
    }

    /// Sends text in the connection's encoding; unless BINARY is on in our direction
    /// (or `force_binary`), `\n` becomes CR LF and a lone `\r` CR NUL.
    pub fn write_str(&self, text: &str, timeout: Option<Duration>) -> Result<()> {
        let deadline = self.core.deadline_for(timeout);
        self.core.send("write_str", deadline, |state| {
            let bytes = state.link.charset.encode(text);
            let binary = state.link.binary_out();
            nvt::encode_text(&bytes, binary, &mut state.outgoing);
        })
    }

    /// Waits until everything queued has been handed to the socket.
    pub fn flush(&self, timeout: Option<Duration>) -> Result<()> {
        self.core.flush(self.core.deadline_for(timeout))
    }

    /// Sends `IAC <command>` (AYT, BRK, IP, GA, …).
    pub fn send_command(&self, command: Command) -> Result<()> {
        let deadline = self.core.deadline_for(None);
        self.core.send("send_command", deadline, |state| {
            state.link.engine.send_command(command)
        })
    }

    /// Sends `IAC SB <opt> <payload> IAC SE` (0xFF in the payload doubled).
    pub fn send_subnegotiation(&self, opt: Opt, payload: &[u8]) -> Result<()> {
        let deadline = self.core.deadline_for(None);
        self.core.send("send_subnegotiation", deadline, |state| {
            state.link.engine.send_subnegotiation(opt, payload)
        })
    }

    /// Closes the connection: sends what is queued (for up to a second), shuts the
    /// socket down, wakes every blocked call and joins the reader thread. Idempotent.
    pub fn close(&self) {
        self.core.close();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }

    // ----------------------------------------------------------------- negotiation

    fn request(&self, side: Side, opt: Opt, enable: bool) -> Result<RequestOutcome> {
        let mut outcome = RequestOutcome::AlreadySo;
        let deadline = self.core.deadline_for(None);
        self.core.send("request", deadline, |state| {
            outcome = state.link.engine.request(side, opt, enable);
        })?;
        Ok(outcome)
    }

    /// Asks the server to perform `opt` (`DO`), following RFC 1143.
    pub fn request_do(&self, opt: Opt) -> Result<RequestOutcome> {
        self.request(Side::Remote, opt, true)
    }

    /// Asks the server to stop performing `opt` (`DONT`).
    pub fn request_dont(&self, opt: Opt) -> Result<RequestOutcome> {
        self.request(Side::Remote, opt, false)
    }

    /// Offers to perform `opt` (`WILL`).
    pub fn request_will(&self, opt: Opt) -> Result<RequestOutcome> {
        self.request(Side::Local, opt, true)
    }

    /// Stops performing `opt` (`WONT`).
    pub fn request_wont(&self, opt: Opt) -> Result<RequestOutcome> {
        self.request(Side::Local, opt, false)
    }

    /// Waits until every condition holds; a `Timeout` names the unmet ones. Once the
    /// peer has closed and the conditions can no longer change, fails with `Eof`.
    ///
    /// ```no_run
    /// use telnetlib::{TelnetConnection, Want};
    /// use telnetlib::proto::Opt;
    /// # let conn = TelnetConnection::connect("127.0.0.1:23")?;
    /// conn.wait_for(&[Want::RemoteEnabled(Opt::ECHO), Want::LocalEnabled(Opt::NAWS)], None)?;
    /// # Ok::<(), telnetlib::Error>(())
    /// ```
    pub fn wait_for(&self, wants: &[Want], timeout: Option<Duration>) -> Result<()> {
        self.core.wait_for(wants, timeout)
    }

    /// Whether we perform `opt` (the server sent `DO` and we agreed).
    pub fn local_option(&self, opt: Opt) -> bool {
        self.core.lock().link.engine.is_enabled(Side::Local, opt)
    }

    /// Whether the server performs `opt` (it sent `WILL` and we agreed).
    pub fn remote_option(&self, opt: Opt) -> bool {
        self.core.lock().link.engine.is_enabled(Side::Remote, opt)
    }

    /// The RFC 1143 state of one side of `opt`.
    pub fn option_state(&self, side: Side, opt: Opt) -> QState {
        self.core.lock().link.engine.state(side, opt)
    }

    /// Calls `hook` on the reader thread with every event other than data (negotiations,
    /// option changes, commands, subnegotiations, protocol errors), after the
    /// connection has acted on it. `None` removes it. Keep it short: reading waits
    /// while it runs.
    pub fn set_event_hook(&self, hook: Option<impl Fn(&OwnedEvent) + Send + Sync + 'static>) {
        self.core
            .set_hook(hook.map(|hook| std::sync::Arc::new(hook) as EventHook));
    }

    // ----------------------------------------------------------------- what telnetlib3 calls extra info

    /// The server's address (`peername`).
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.core.peer()
    }

    /// Our address (`sockname`).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.core.shared.local
    }

    /// The terminal type we answer (`term`).
    pub fn terminal_type(&self) -> String {
        self.core.lock().role.term.clone()
    }

    /// The window size we report, `(columns, rows)` (`cols`, `rows`).
    pub fn window_size(&self) -> (u16, u16) {
        let state = self.core.lock();
        (state.role.cols, state.role.rows)
    }

    /// Changes the window size we report, and tells the server at once if NAWS is on.
    pub fn set_window_size(&self, cols: u16, rows: u16) -> Result<()> {
        let deadline = self.core.deadline_for(None);
        self.core.send("set_window_size", deadline, |state| {
            state.role.cols = cols;
            state.role.rows = rows;
            let role = state.role.clone();
            role.send_window_size(&mut state.link);
        })
    }

    /// The terminal speed we report, `(rx, tx)` (`tspeed`).
    pub fn terminal_speed(&self) -> (u32, u32) {
        self.core.lock().role.speed
    }

    /// The X display we report (`xdisploc`).
    pub fn x_display(&self) -> String {
        self.core.lock().role.x_display.clone()
    }

    /// The text encoding in use: the one configured, or the one agreed through CHARSET
    /// (`charset`).
    pub fn encoding(&self) -> String {
        self.core.lock().link.charset.name()
    }

    /// The `LANG` we report (`lang`).
    pub fn lang(&self) -> String {
        let state = self.core.lock();
        state.role.lang(&state.link)
    }

    /// The environment variables we reveal through NEW_ENVIRON, with their values.
    pub fn environment(&self) -> Vec<(String, String)> {
        let state = self.core.lock();
        state
            .role
            .send_environ
            .iter()
            .filter_map(|name| Some((name.clone(), state.role.env_value(name, &state.link)?)))
            .collect()
    }
}

impl io::Read for &TelnetConnection {
    /// Reads what is buffered (waiting for at least one byte with the default timeout);
    /// `Ok(0)` at end of stream.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.core.read(buf.len(), None) {
            Ok(data) => {
                buf[..data.len()].copy_from_slice(&data);
                Ok(data.len())
            }
            Err(Error::Eof { .. }) => Ok(0),
            Err(error) => Err(error.into()),
        }
    }
}

impl io::Read for TelnetConnection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut &*self, buf)
    }
}

impl io::Write for &TelnetConnection {
    /// Writes bytes with 0xFF doubled (see [`TelnetConnection::write`]).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        TelnetConnection::write(self, buf, None)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(TelnetConnection::flush(self, None)?)
    }
}

impl io::Write for TelnetConnection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(&mut &*self, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::Write::flush(&mut &*self)
    }
}
