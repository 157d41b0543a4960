//! [`TelnetConnection`]: the blocking Telnet client of `telnetlib3.sync`, done right.

mod builder;
mod role;

pub(crate) use role::answer_charset_request;

use std::fmt;
use std::net::ToSocketAddrs;

pub use builder::ClientBuilder;
pub(crate) use builder::connect_tcp;

use crate::error::Result;
use crate::io::Core;
use role::ClientRole;

/// A Telnet client connection with blocking calls, safe to share between threads.
///
/// A call waiting for input reads the socket on its own thread, answering negotiations
/// as they arrive; while nobody reads, a poller thread shared by all client connections
/// does, and buffers data (up to a bound) for the read calls. Every call takes an
/// `Option<Duration>` timeout; `None` uses the connection's default (see
/// [`ClientBuilder::timeout`]). A timed-out read consumes nothing. Once the peer closes,
/// reads drain what is buffered and then fail with [`Error::Eof`](crate::Error::Eof); after
/// [`close`](Self::close) every call fails with [`Error::Closed`](crate::Error::Closed). Dropping the
/// connection closes it.
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
            let crate::io::State { role, link, .. } = state;
            role.cols = cols;
            role.rows = rows;
            role.send_window_size(link);
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

    /// How the server told us to do flow control (LFLOW, RFC 1372); the default until
    /// it says otherwise. The library has no terminal to stop: an interactive program
    /// applies it to its own display.
    pub fn flow_control(&self) -> crate::proto::lflow::FlowControl {
        self.core.lock().link.options.flow
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

crate::io::connection_api!(TelnetConnection);
