//! [`Connection`]: one Telnet connection, a client's
//! ([`TelnetConnection`](crate::TelnetConnection), `Connection<Client>`) or one of a
//! server's clients ([`ServerConnection`](crate::ServerConnection),
//! `Connection<Server>`).
//!
//! Both kinds share every method here, defined once: reading (`reading`), writing
//! (`writing`), negotiation (`negotiation`), the MUD protocols (`mud`), the
//! application's own data (`app_data`) and the `std::io` traits (`std_io`); each kind
//! adds its own (the client's builder and
//! window size, the server's miniboa surface) in `client` and `server`.

mod app_data;
mod kind;
mod linemode;
mod mud;
mod negotiation;
mod reading;
mod std_io;
mod writing;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Weak};

pub use kind::{Client, Kind, Server};

use crate::io::Core;
use crate::proto::lflow::FlowControl;

/// One Telnet connection: the client's or one of a server's clients. Use it through
/// its aliases, [`TelnetConnection`](crate::TelnetConnection) and
/// [`ServerConnection`](crate::ServerConnection).
///
/// A `Connection` is a handle: clones share the one connection (like
/// `TcpStream::try_clone`), and every method takes `&self`, so any thread may read
/// while another writes. The connection is closed by [`close`](Self::close), or when
/// the last handle is dropped.
///
/// Every blocking call takes a [`Timeout`](crate::Timeout): a `Duration`, `None` for
/// the connection's default, or `Timeout::Never`. A timed-out read consumes nothing.
/// Once the peer closes, reads drain what is buffered and then fail with
/// [`Error::Eof`](crate::Error::Eof); after `close`, every call fails with
/// [`Error::Closed`](crate::Error::Closed).
pub struct Connection<K: Kind> {
    core: Arc<Core<K>>,
}

/// A handle that does not keep its connection open, from
/// [`Connection::downgrade`]: for lists of connections (a chat room's members) that
/// should not outlive the connections themselves.
pub struct WeakConnection<K: Kind>(Weak<Core<K>>);

impl<K: Kind> WeakConnection<K> {
    /// The connection, if a handle of it still exists.
    pub fn upgrade(&self) -> Option<Connection<K>> {
        self.0.upgrade().map(|core| Connection { core })
    }

    /// Whether every handle of the connection is gone.
    pub fn is_gone(&self) -> bool {
        self.0.strong_count() == 0
    }
}

impl<K: Kind> Clone for WeakConnection<K> {
    fn clone(&self) -> Self {
        WeakConnection(Weak::clone(&self.0))
    }
}

impl<K: Kind> fmt::Debug for WeakConnection<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakConnection")
            .field("gone", &self.is_gone())
            .finish()
    }
}

impl<K: Kind> Clone for Connection<K> {
    fn clone(&self) -> Self {
        Connection {
            core: Arc::clone(&self.core),
        }
    }
}

impl<K: Kind> fmt::Debug for Connection<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer_addr())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<K: Kind> Connection<K> {
    pub(crate) fn new(core: Core<K>) -> Self {
        Connection {
            core: Arc::new(core),
        }
    }

    pub(crate) fn core(&self) -> &Core<K> {
        &self.core
    }

    /// A handle that does not keep the connection open.
    pub fn downgrade(&self) -> WeakConnection<K> {
        WeakConnection(Arc::downgrade(&self.core))
    }

    /// Whether `self` and `other` are handles of the same connection.
    pub fn same_connection(&self, other: &Connection<K>) -> bool {
        Arc::ptr_eq(&self.core, &other.core)
    }

    /// The peer's address (telnetlib3's `peername`): behind a load balancer that
    /// sends a PROXY header, the real client's.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.core().peer()
    }

    /// Our address (`sockname`).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.core().shared.local
    }

    /// What the TELNETS session agreed on (protocol version, cipher suite, the
    /// peer's certificates): telnetlib3's `get_extra_info('ssl_object')`. `None` for
    /// plain Telnet, and until the handshake is done.
    #[cfg(feature = "tls")]
    pub fn tls_info(&self) -> Option<crate::tls::TlsInfo> {
        self.core().lock().tls.as_ref().and_then(|tls| tls.info())
    }

    /// How many bytes came from the peer so far (miniboa's `bytes_received`), counted
    /// on the wire: Telnet commands, TLS records and compressed bytes included.
    pub fn bytes_received(&self) -> u64 {
        self.core().lock().traffic.received
    }

    /// How many bytes went to the peer so far (miniboa's `bytes_sent`), counted on the
    /// wire as they left the socket: what is still queued is not counted yet.
    pub fn bytes_sent(&self) -> u64 {
        self.core().lock().traffic.sent
    }

    /// Closes the connection: sends what is queued (for up to a second), shuts the
    /// socket down and wakes every blocked call. Idempotent: a second call waits for
    /// the first. From an event hook, or on a connection in a server's game loop, it
    /// returns at once and the sending goes on in the background.
    pub fn close(&self) {
        self.core().close();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.core().is_closed()
    }

    /// The terminal type: on a client, the one we report; on a server, the one the
    /// client reported (TTYPE, else its `TERM` variable, else the server's default,
    /// `ANSI` like miniboa).
    pub fn terminal_type(&self) -> String {
        self.core().lock().role.terminal_type()
    }

    /// The window size, `(columns, rows)`: on a client, the one we report; on a
    /// server, the client's from NAWS (80×24 until it says).
    pub fn window_size(&self) -> (u16, u16) {
        self.core().lock().role.window_size()
    }

    /// The window's width: see [`window_size`](Self::window_size).
    pub fn columns(&self) -> u16 {
        self.window_size().0
    }

    /// The window's height: see [`window_size`](Self::window_size).
    pub fn rows(&self) -> u16 {
        self.window_size().1
    }

    /// The terminal speed `(rx, tx)` (TSPEED): on a client, the one we report; on a
    /// server, the client's, once asked for and sent.
    pub fn terminal_speed(&self) -> Option<(u32, u32)> {
        self.core().lock().role.terminal_speed()
    }

    /// The X display (XDISPLOC): on a client, the one we report, if set; on a server,
    /// the client's, once asked for and sent.
    pub fn x_display(&self) -> Option<String> {
        self.core().lock().role.x_display()
    }

    /// The environment variables: on a client, those we reveal through NEW-ENVIRON
    /// with their values; on a server, those the client sent (names upper-cased,
    /// empty values dropped, as telnetlib3 stores them).
    pub fn environment(&self) -> BTreeMap<String, String> {
        let state = self.core().lock();
        state.role.environment(&state.link)
    }

    /// One variable of [`environment`](Self::environment), by name (any case).
    pub fn env(&self, name: &str) -> Option<String> {
        self.environment().remove(&name.to_ascii_uppercase())
    }

    /// The text encoding of the `_str` methods (and of a server's `send`): the one
    /// configured, or the one agreed through CHARSET.
    pub fn encoding(&self) -> String {
        self.core().lock().link.charset.name()
    }

    /// LFLOW flow control (RFC 1372): on a client, as the server told us (the
    /// library has no terminal to stop: an interactive program applies it to its own
    /// display); on a server, as we told the client with `set_flow_control`.
    pub fn flow_control(&self) -> FlowControl {
        self.core().lock().link.options.flow
    }
}
