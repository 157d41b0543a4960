//! `ServerBuilder`: every setting of a `TelnetServer`.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use crate::codec::Charset;
use crate::config::{ConnectionConfig, config_setters};
use crate::error::{Error, Result};
use crate::io::{
    CoreConfig, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_LINE, OptionDecider, OptionRequest,
};
use crate::proto::{Opt, Policy, Side};
use crate::timeout::Timeout;

use super::TelnetServer;
use super::trusted::Network;
use crate::role::{ENVIRON_REQUEST, ServerSettings};

/// A client that takes none of its output for this long is dropped.
const DEFAULT_WRITE_TIMEOUT: Timeout = Timeout::After(Duration::from_secs(30));

/// The server's settings after `bind` has checked them.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub role: Arc<ServerSettings>,
    pub policy: Policy,
    pub connection: ConnectionConfig,
    pub core: CoreConfig,
    pub max_connections: usize,
    pub handler_stack_size: usize,
    pub refusal: String,
    /// The load balancers PROXY headers are taken from; every other peer is refused.
    /// Empty: any peer's header is taken.
    pub proxy_from: Vec<Network>,
    /// TELNETS: each connection starts with a TLS handshake.
    #[cfg(feature = "tls")]
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Settings for [`TelnetServer::builder`].
///
/// Defaults: at most 1000 connections, no idle timeout, `connect_maxwait` 4 s, UTF-8,
/// kludge mode (the server offers SGA and ECHO and edits lines) unless
/// [`line_mode`](Self::line_mode), CHARSET offered, terminal type `ANSI` and 80×24
/// until the client says otherwise (miniboa's defaults).
///
/// ```no_run
/// use std::time::Duration;
/// use telnetlib::{Encoding, TelnetServer};
///
/// let server = TelnetServer::builder()
///     .max_connections(200)
///     .idle_timeout(Some(Duration::from_secs(600)))
///     .encoding(Encoding::CP437)
///     .bind("0.0.0.0:2323")?;
/// # Ok::<(), telnetlib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    connection: ConnectionConfig,
    write_timeout: Timeout,
    idle_timeout: Timeout,
    proxy_protocol: bool,
    proxy_from: Vec<String>,
    role: ServerSettings,
    policy: Policy,
    max_connections: usize,
    handler_stack_size: usize,
    refusal: String,
    #[cfg(feature = "tls")]
    tls: Option<Arc<rustls::ServerConfig>>,
    tls_auto: Option<Duration>,
    handshake_timeout: Duration,
    decide: Option<OptionDecider>,
    backlog: i32,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        let role = ServerSettings {
            line_mode: false,
            line_editing: true,
            offer_charset: true,
            charsets: Vec::new(),
            default_term: "ANSI".to_owned(),
            default_size: (80, 24),
            max_line: DEFAULT_MAX_LINE,
            environ_names: ENVIRON_REQUEST.map(String::from).to_vec(),
            mssp: Vec::new(),
            connect_maxwait: Duration::from_secs(4),
            never_send_ga: false,
            silent_peer_wait: Duration::from_secs(1),
        };
        ServerBuilder {
            connection: ConnectionConfig::default(),
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            idle_timeout: Timeout::Never,
            proxy_protocol: false,
            proxy_from: Vec::new(),
            policy: Policy::server().accept(Side::Local, Opt::LOGOUT),
            max_connections: 1000,
            handler_stack_size: 2 << 20,
            refusal: "Too many connections; try again later.\r\n".to_owned(),
            #[cfg(feature = "tls")]
            tls: None,
            tls_auto: None,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            decide: None,
            role,
            backlog: 128,
        }
    }
}

impl ServerBuilder {
    /// A builder with the defaults.
    pub fn new() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Every setting a client connection has too, at once (see
    /// [`ConnectionConfig`]); the setters below change one each.
    pub fn connection(mut self, config: ConnectionConfig) -> Self {
        self.connection = config;
        self
    }

    config_setters!(connection);

    /// The most connections at once (default 1000); the next client gets the refusal
    /// line and is closed.
    pub fn max_connections(mut self, count: usize) -> Self {
        self.max_connections = count;
        self
    }

    /// The line a refused client gets (default `Too many connections; try again later.`).
    pub fn refusal_message(mut self, text: &str) -> Self {
        self.refusal = text.replace('\n', "\r\n").replace("\r\r\n", "\r\n");
        self
    }

    /// Close a client after this long without input, sending `\r\nTimeout.\r\n` first
    /// (default: never).
    pub fn idle_timeout(mut self, timeout: impl Into<Timeout>) -> Self {
        self.idle_timeout = timeout.into().or(Timeout::Never);
        self
    }

    /// The longest a client's negotiation may hold back its handler (default 4 s); a
    /// client that settles sooner is handed out at once.
    pub fn connect_maxwait(mut self, wait: Duration) -> Self {
        self.role.connect_maxwait = wait;
        self
    }

    /// How long a peer that has sent nothing at all (no negotiation: `nc`, a raw
    /// socket, a script) is waited for before its handler runs or the game loop gets
    /// it (default 1 s, as miniboa greets at once). A Telnet client answers the
    /// server's first requests within a round trip, and is then waited for up to
    /// [`connect_maxwait`](Self::connect_maxwait) to settle.
    pub fn silent_peer_wait(mut self, wait: Duration) -> Self {
        self.role.silent_peer_wait = wait;
        self
    }

    /// How long a client may leave output unread before it is dropped (default 30 s):
    /// `send` on a handler's thread waits this long at most, and output queued in the
    /// game loop (or by the poller) that the client takes none of for this long ends
    /// the connection with `Error::Timeout`. `Timeout::Never` keeps such clients;
    /// `None` (`Timeout::Default`) is the default, 30 s.
    pub fn write_timeout(mut self, timeout: impl Into<Timeout>) -> Self {
        self.write_timeout = timeout.into().or(DEFAULT_WRITE_TIMEOUT);
        self
    }

    /// The environment variables asked of each client through NEW_ENVIRON (or
    /// OLD-ENVIRON), replacing telnetlib3's list (USER, LOGNAME, DISPLAY, LANG, TERM,
    /// TERM_PROGRAM, COLUMNS, LINES, COLORTERM, EDITOR, IPADDRESS). A bare VAR and
    /// USERVAR ("everything else") always follow. Long lists go out in several
    /// requests of at most 240 bytes, each after the answer to the one before.
    pub fn environ_request<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.role.environ_names = names.into_iter().map(Into::into).collect();
        self
    }

    /// Line mode: never offer ECHO or SGA; the client edits lines and echoes itself.
    /// The server also asks for LINEMODE (RFC 1184, `DO LINEMODE`); a client that
    /// agrees gets MODE EDIT|TRAPSIG, the BSD SLC table and a forward mask.
    pub fn line_mode(mut self, on: bool) -> Self {
        self.role.line_mode = on;
        self.policy = if on {
            self.policy.accept(Side::Remote, Opt::LINEMODE)
        } else {
            self.policy.refuse(Side::Remote, Opt::LINEMODE)
        };
        self
    }

    /// Whether the server echoes and edits input (BS/DEL) while it performs ECHO
    /// (default on). Off, the data arrives as typed and echoing is up to the handler.
    pub fn line_editing(mut self, on: bool) -> Self {
        self.role.line_editing = on;
        self
    }

    /// Whether to offer CHARSET (default on).
    pub fn offer_charset(mut self, on: bool) -> Self {
        self.role.offer_charset = on;
        self
    }

    /// Offers GMCP (`IAC WILL GMCP` on connect): `send_gmcp` and `read_gmcp` then work
    /// once the client agrees.
    pub fn offer_gmcp(mut self, on: bool) -> Self {
        self.policy = offer(self.policy, Opt::GMCP, on);
        self
    }

    /// Offers MSDP (`IAC WILL MSDP` on connect): `send_msdp` and `read_msdp`.
    pub fn offer_msdp(mut self, on: bool) -> Self {
        self.policy = offer(self.policy, Opt::MSDP, on);
        self
    }

    /// Offers ZMP (`IAC WILL ZMP` on connect): `send_zmp` and `read_zmp` then work once
    /// the client agrees; the connection answers the core `zmp.ping` and `zmp.check`.
    pub fn offer_zmp(mut self, on: bool) -> Self {
        self.policy = offer(self.policy, Opt::ZMP, on);
        self
    }

    /// Offers ATCP (`IAC WILL ATCP` on connect): `send_atcp` and `read_atcp` then work
    /// once the client agrees.
    pub fn offer_atcp(mut self, on: bool) -> Self {
        self.policy = offer(self.policy, Opt::ATCP, on);
        self
    }

    /// Offers MSP (`IAC WILL MSP` on connect). MSP's sound triggers (`!!SOUND(…)`)
    /// travel in the text; a client that agrees plays them instead of showing them.
    pub fn offer_msp(mut self, on: bool) -> Self {
        self.policy = offer(self.policy, Opt::MSP, on);
        self
    }

    /// Offers MXP (`IAC WILL MXP` on connect). Once the client agrees, send
    /// `send_subnegotiation(Opt::MXP, b"")` to start MXP, then its markup in the text.
    pub fn offer_mxp(mut self, on: bool) -> Self {
        self.policy = offer(self.policy, Opt::MXP, on);
        self
    }

    /// Offers MCCP2 and MCCP3 compression (`IAC WILL MCCP2`, `IAC WILL MCCP3` on
    /// connect; default off). A client that agrees to MCCP2 gets everything after
    /// `IAC SB MCCP2 IAC SE` as one zlib stream; one that agrees to MCCP3 compresses
    /// what it sends after its own marker. Each compressing connection holds a zlib
    /// state of a few hundred KiB, which is why it is opt-in.
    pub fn compression(mut self, on: bool) -> Self {
        for opt in [Opt::MCCP2, Opt::MCCP3] {
            self.policy = offer(self.policy, opt, on);
        }
        self
    }

    /// Takes MCCP2 and MCCP3 when a client asks (`DO MCCP2`, `DO MCCP3`) without
    /// offering them: telnetlib3-server's default ("passive").
    /// [`compression`](Self::compression) offers them; `compression(false)` refuses
    /// them (the library's default). Not over TLS.
    pub fn accept_compression(mut self, on: bool) -> Self {
        for opt in [Opt::MCCP2, Opt::MCCP3] {
            self.policy = if on {
                self.policy.accept(Side::Local, opt)
            } else {
                self.policy.refuse(Side::Local, opt)
            };
        }
        self
    }

    /// Serves TELNETS: every connection is TLS with this configuration (see
    /// [`tls::server_config`](crate::tls::server_config) to load a certificate and
    /// key). MCCP is then never offered nor accepted.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// TLS and plain Telnet on one port (with [`tls`](Self::tls)): a client whose
    /// first byte starts a TLS record (`0x16`, as every ClientHello does) gets TLS;
    /// one that sends anything else, or nothing for `wait`, gets plain Telnet (a
    /// plain client that waits for the server to speak first waits that long for its
    /// first bytes; telnetlib3's `--tls-auto` waits 0.5 s). MCCP is never offered nor
    /// accepted on such a port, TLS or not. `bind` fails without `tls`.
    #[cfg(feature = "tls")]
    pub fn tls_auto(mut self, wait: Duration) -> Self {
        self.tls_auto = Some(wait);
        self
    }

    /// How long a connection's handshakes, its PROXY header and its TLS handshake, may
    /// take together (default 10 s; after a [`tls_auto`](Self::tls_auto) wait). Until
    /// they finish nothing is sent and no handler runs; a connection that has not
    /// finished them by then is closed, unserved. Without PROXY and TLS there is none.
    pub fn handshake_timeout(mut self, wait: Duration) -> Self {
        self.handshake_timeout = wait;
        self
    }

    /// Offers MSSP (`IAC WILL MSSP` on connect) and sends these variables to each
    /// client that agrees (MUD crawlers ask this way): `NAME`, `PLAYERS`, `UPTIME`, …
    pub fn mssp<I, N, V>(mut self, variables: I) -> Self
    where
        I: IntoIterator<Item = (N, Vec<V>)>,
        N: Into<String>,
        V: Into<String>,
    {
        self.role.mssp = variables
            .into_iter()
            .map(|(name, values)| (name.into(), values.into_iter().map(Into::into).collect()))
            .collect();
        self.policy = offer(self.policy, Opt::MSSP, true);
        self
    }

    /// Expects each connection to start with a PROXY protocol header (version 1 or 2,
    /// as HAProxy and other TCP load balancers send): `address()`, `port()` and
    /// `peer_addr()` then give the real client, and
    /// [`balancer_addr`](crate::ServerConnection::balancer_addr) the balancer. A
    /// connection without a valid header within
    /// [`handshake_timeout`](Self::handshake_timeout) (10 s) is closed, with the reason
    /// logged. Health checks are served quietly, never handed out: a version 2
    /// `LOCAL` header (HAProxy's `check-send-proxy`) is answered by closing, and so
    /// is a connection closed before its header. Off by default. With it on and no
    /// [`proxy_from`](Self::proxy_from), anyone who can reach the port can claim any
    /// address: name the balancers.
    pub fn proxy_protocol(mut self, on: bool) -> Self {
        self.proxy_protocol = on;
        self
    }

    /// Takes PROXY headers from this network only (repeatable; a CIDR block such as
    /// `10.0.0.0/8` or `2001:db8::/32`, or one address) and turns
    /// [`proxy_protocol`](Self::proxy_protocol) on: a connection from any other
    /// address is closed at once, before it can send a header, with the reason
    /// logged, so nobody can forge a client address by connecting directly. A
    /// malformed block is [`Error::InvalidInput`] at `bind`.
    pub fn proxy_from(mut self, network: &str) -> Self {
        self.proxy_protocol = true;
        self.proxy_from.push(network.to_owned());
        self
    }

    /// Acts as an RFC 2217 access server (default off): agrees when a client offers
    /// COM-PORT-OPTION (`WILL`; pyserial's `rfc2217://` and `ComPort` do), so that its
    /// commands for the serial port reach
    /// [`read_com_port`](crate::ServerConnection::read_com_port). The application
    /// applies them and answers each.
    pub fn com_port(mut self, on: bool) -> Self {
        self.policy = match on {
            true => self.policy.accept(Side::Remote, Opt::COM_PORT),
            false => self.policy.refuse(Side::Remote, Opt::COM_PORT),
        };
        self
    }

    /// Offers EOR (`IAC WILL EOR` on connect; default off, as telnetlib3 never offers
    /// it). A client that agrees gets `IAC EOR` after each
    /// [`send_prompt`](crate::ServerConnection::send_prompt): MUD clients (Mudlet,
    /// TinTin++, our `read_prompt`) mark prompts by it, and it is the only prompt
    /// boundary left once the client has suppressed go-ahead (SGA), which our own and
    /// most clients do.
    pub fn offer_eor(mut self, on: bool) -> Self {
        self.policy = offer(self.policy, Opt::EOR, on);
        self
    }

    /// Never send `IAC GA` after prompts.
    pub fn never_send_ga(mut self, on: bool) -> Self {
        self.role.never_send_ga = on;
        self
    }

    /// The terminal type and window size assumed until the client says (default
    /// `ANSI`, 80×24).
    pub fn default_terminal(mut self, term: &str, cols: u16, rows: u16) -> Self {
        self.role.default_term = term.to_owned();
        self.role.default_size = (cols, rows);
        self
    }

    /// Decides the peer's option requests at run time, per option and per peer:
    /// `decide` gets each unsolicited `WILL`/`DO` for an option that is off (its
    /// side, the option, the peer's address) and answers `Some(true)` to agree,
    /// `Some(false)` to refuse, or `None` to leave it to the policy. RFC 1143 still
    /// decides what is sent, so no decision can start a negotiation loop.
    ///
    /// It runs on the thread that processes the peer's input (a call waiting for
    /// input, or the poller thread that serves connections nobody reads), with the
    /// connection locked: keep it quick, and call no method of the same connection
    /// from it. A decider that panics refuses; the panic is logged.
    pub fn decide_options(
        mut self,
        decide: impl Fn(&OptionRequest) -> Option<bool> + Send + Sync + 'static,
    ) -> Self {
        self.decide = Some(OptionDecider(Arc::new(decide)));
        self
    }

    /// Replaces the negotiation policy (default [`Policy::server`] plus LOGOUT).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Each handler thread's stack size in `serve` mode (default 2 MiB).
    pub fn handler_stack_size(mut self, bytes: usize) -> Self {
        self.handler_stack_size = bytes;
        self
    }

    /// The listen backlog (default 128).
    pub fn backlog(mut self, backlog: i32) -> Self {
        self.backlog = backlog;
        self
    }

    fn uses_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// Binds and starts accepting. Fails at once if the address cannot be bound
    /// (telnetlib3 hangs).
    pub fn bind<A: ToSocketAddrs + fmt::Debug>(self, address: A) -> Result<TelnetServer> {
        self.connection.check()?;
        if self.tls_auto.is_some() && !self.uses_tls() {
            return Err(Error::InvalidInput {
                message: "tls_auto needs a TLS configuration (tls)".to_owned(),
            });
        }
        if self.max_connections == 0 {
            return Err(Error::InvalidInput {
                message: "max_connections must be at least 1".to_owned(),
            });
        }
        let policy = if self.uses_tls() {
            // Compression beside secrets leaks them (CRIME, BREACH).
            [Opt::MCCP2, Opt::MCCP3]
                .into_iter()
                .fold(self.policy, |policy, opt| offer(policy, opt, false))
        } else {
            self.policy
        };
        let connection = self.connection;
        let mut role = self.role;
        let policy = if connection.bytes_only {
            // No text layer, so no character set to agree on.
            role.offer_charset = false;
            policy
                .refuse(Side::Local, Opt::CHARSET)
                .refuse(Side::Remote, Opt::CHARSET)
        } else {
            policy
        };
        role.max_line = connection.max_line;
        if role.charsets.is_empty() {
            role.charsets = offered_charsets(connection.encoding.0);
        }
        let proxy_from = self
            .proxy_from
            .iter()
            .map(|text| text.parse::<Network>())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|why| Error::InvalidInput {
                message: format!("proxy_from: {why}"),
            })?;
        let settings = Settings {
            role: Arc::new(role),
            policy,
            core: CoreConfig {
                idle_timeout: self.idle_timeout.duration(),
                write_timeout: self.write_timeout.duration(),
                proxy_protocol: self.proxy_protocol,
                tls_auto: self.tls_auto,
                handshake_timeout: self.handshake_timeout,
                decide: self.decide,
                ..connection.core()
            },
            connection,
            max_connections: self.max_connections,
            handler_stack_size: self.handler_stack_size,
            refusal: self.refusal,
            proxy_from,
            #[cfg(feature = "tls")]
            tls: self.tls,
        };
        let failed = |source| Error::Io {
            operation: "bind",
            peer: None,
            source,
        };
        let addresses: Vec<SocketAddr> = address.to_socket_addrs().map_err(failed)?.collect();
        let mut last = std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{address:?} resolved to no address"),
        );
        for candidate in addresses {
            match listen(candidate, self.backlog) {
                Ok(listener) => return TelnetServer::start(listener, settings),
                Err(error) => {
                    last = std::io::Error::new(error.kind(), format!("{candidate}: {error}"))
                }
            }
        }
        Err(failed(last))
    }
}

fn listen(address: SocketAddr, backlog: i32) -> std::io::Result<std::net::TcpListener> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    if address.is_ipv6() {
        // Dual-stack where the system allows: [::] also takes IPv4 clients.
        let _ = socket.set_only_v6(false);
    }
    socket.bind(&address.into())?;
    socket.listen(backlog)?;
    Ok(socket.into())
}

/// The names a server offers in CHARSET REQUEST: its own encoding first, then the
/// common ones, each once.
fn offered_charsets(ours: Charset) -> Vec<String> {
    let mut names = vec![ours.name()];
    for name in ["UTF-8", "ISO-8859-1", "CP437", "US-ASCII"] {
        let same = Charset::for_name(name) == Some(ours);
        if !same && !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    names
}

/// `policy` with `opt` offered on our side from the start, or not at all.
fn offer(policy: Policy, opt: Opt, on: bool) -> Policy {
    if on {
        policy.request(Side::Local, opt)
    } else {
        policy.refuse(Side::Local, opt)
    }
}
