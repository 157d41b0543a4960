//! [`TelnetConnection`]: the blocking Telnet client of `telnetlib3.sync`, done right.

mod builder;
mod comport;

use std::fmt;
use std::net::ToSocketAddrs;

pub use builder::ClientBuilder;
pub use comport::ComPort;

use crate::connection::{Client, Connection};
use crate::error::Result;
use crate::timeout::Timeout;

/// A Telnet client connection with blocking calls, safe to share between threads.
///
/// A call waiting for input reads the socket on its own thread, answering negotiations
/// as they arrive; while nobody reads, a poller thread shared by all client connections
/// does, and buffers data (up to a bound) for the read calls. Every call takes a
/// [`Timeout`](crate::Timeout); `None` uses the connection's default (see
/// [`ClientBuilder::timeout`]). A timed-out read consumes nothing. Once the peer closes,
/// reads drain what is buffered and then fail with [`Error::Eof`](crate::Error::Eof);
/// after [`close`](Connection::close) every call fails with
/// [`Error::Closed`](crate::Error::Closed). Dropping the last handle closes it.
///
/// It is a [`Connection`] handle: `Send + Sync` and `Clone`, so one thread may read
/// while another writes; concurrent readers are served one at a time. The `std::io`
/// traits work on it and on `&TelnetConnection`.
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
pub type TelnetConnection = Connection<Client>;

impl Connection<Client> {
    /// Settings beyond the defaults: timeouts, encoding, terminal, policy, limits.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// Connects with the default settings.
    pub fn connect<A: ToSocketAddrs + fmt::Debug>(target: A) -> Result<TelnetConnection> {
        ClientBuilder::new().connect(target)
    }

    /// Changes the window size we report, and tells the server at once if NAWS is on.
    pub fn set_window_size(&self, cols: u16, rows: u16) -> Result<()> {
        let deadline = self.core().deadline_for(Timeout::Default);
        self.core().send("set_window_size", deadline, |state| {
            let crate::io::State { role, link, .. } = state;
            role.cols = cols;
            role.rows = rows;
            role.send_window_size(link);
        })
    }

    /// Asks the server to choose among these character sets (our own CHARSET
    /// REQUEST, RFC 2066); the one it accepts becomes the
    /// [`encoding`](crate::Connection::encoding). Wait for it with
    /// [`wait_until`](crate::Connection::wait_until). `Err(NotAgreed)` while CHARSET
    /// is off, or with no name.
    pub fn request_charset(&self, names: &[&str]) -> Result<()> {
        self.ask_if_agreed(
            "request_charset",
            crate::proto::Opt::CHARSET,
            |role, link| role.request_charset(names, link),
        )
    }

    /// The `LANG` we report (`lang`).
    pub fn lang(&self) -> String {
        let state = self.core().lock();
        state.role.lang(&state.link)
    }
}
