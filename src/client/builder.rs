//! `ClientBuilder`: every setting of a `TelnetConnection`, with telnetlib3's defaults.

use std::collections::HashMap;
use std::fmt;
use std::net::ToSocketAddrs;
use std::time::Duration;

use crate::config::{ConnectionConfig, config_setters};
use crate::error::{Error, Result};
#[cfg(feature = "tls")]
use crate::io::Tls;
use crate::io::{Core, CoreConfig, OptionDecider, OptionRequest, Poller, connect_tcp};
use crate::proto::{Opt, Policy, Side};
use crate::timeout::Timeout;

use super::TelnetConnection;
use crate::role::{Answer, ClientRole, GMCP_MODULES};

/// Settings for [`TelnetConnection::builder`]. Defaults follow `telnetlib3.sync`:
/// no timeouts, UTF-8, terminal type `unknown`, 80×25, 38400 baud, and the environment
/// allow-list TERM, LANG, COLUMNS, LINES, COLORTERM.
///
/// ```no_run
/// use std::time::Duration;
/// use telnetlib::TelnetConnection;
/// use telnetlib::proto::Opt;
///
/// let conn = TelnetConnection::builder()
///     .connect_timeout(Duration::from_secs(5))
///     .timeout(Some(Duration::from_secs(10)))
///     .terminal_type("xterm-256color")
///     .window_size(132, 43)
///     .always_do(Opt::SGA)
///     .connect("127.0.0.1:23")?;
/// # Ok::<(), telnetlib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    connect_timeout: Option<Duration>,
    connection: ConnectionConfig,
    role: ClientRole,
    policy: Policy,
    /// TELNETS: the configuration and the name the certificate must carry.
    #[cfg(feature = "tls")]
    tls: Option<(std::sync::Arc<rustls::ClientConfig>, String)>,
    decide: Option<OptionDecider>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            connect_timeout: None,
            connection: ConnectionConfig::default(),
            role: ClientRole {
                term: "unknown".to_owned(),
                cols: 80,
                rows: 25,
                speed: (38400, 38400),
                x_display: String::new(),
                send_environ: ["TERM", "LANG", "COLUMNS", "LINES", "COLORTERM"]
                    .map(String::from)
                    .to_vec(),
                env_values: HashMap::new(),
                location: None,
                old_environ_dialect: Default::default(),
                gmcp_modules: Some(
                    GMCP_MODULES
                        .iter()
                        .map(|(name, version)| ((*name).to_owned(), *version))
                        .collect(),
                ),
                charset_asked: false,
                terminal_type_answer: None,
                variable_answer: None,
            },
            decide: None,
            policy: Policy::client(),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ClientBuilder {
    /// A builder with the defaults.
    pub fn new() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Limits each TCP connect attempt (per resolved address). Default: the system's.
    pub fn connect_timeout(mut self, timeout: impl Into<Timeout>) -> Self {
        self.connect_timeout = timeout.into().duration();
        self
    }

    /// Every setting a server connection has too, at once (see
    /// [`ConnectionConfig`]); the setters below change one each.
    pub fn connection(mut self, config: ConnectionConfig) -> Self {
        self.connection = config;
        self
    }

    config_setters!(connection);

    /// The terminal type answered to TTYPE (default `unknown`).
    pub fn terminal_type(mut self, term: &str) -> Self {
        self.role.term = term.to_owned();
        self
    }

    /// The window size answered to NAWS (default 80×25).
    pub fn window_size(mut self, cols: u16, rows: u16) -> Self {
        self.role.cols = cols;
        self.role.rows = rows;
        self
    }

    /// The terminal speed answered to TSPEED (default 38400,38400).
    pub fn terminal_speed(mut self, rx: u32, tx: u32) -> Self {
        self.role.speed = (rx, tx);
        self
    }

    /// The X display answered to XDISPLOC (default empty).
    pub fn x_display(mut self, display: &str) -> Self {
        self.role.x_display = display.to_owned();
        self
    }

    /// The location sent with SNDLOC (RFC 779) when the server asks for it; without
    /// one, the client refuses SNDLOC.
    pub fn location(mut self, location: &str) -> Self {
        self.role.location = Some(location.to_owned());
        self.policy = self.policy.accept(Side::Local, Opt::SNDLOC);
        self
    }

    /// Accepts LINEMODE (RFC 1184) when the server asks (`DO LINEMODE`): the client
    /// then answers MODE with its ACK, exchanges the SLC table and takes the forward
    /// mask, all readable with `linemode_mode`, `linemode_slc` and `linemode_forwards`.
    /// Off by default: the library does not edit lines itself, so accept it when your
    /// program does (an interactive client in line mode).
    pub fn line_mode(mut self, on: bool) -> Self {
        self.policy = if on {
            self.policy.accept(Side::Local, Opt::LINEMODE)
        } else {
            self.policy.refuse(Side::Local, Opt::LINEMODE)
        };
        self
    }

    /// Accepts MCCP2 and MCCP3 compression when the server offers it (default on, as
    /// MUD clients do): the server's output is inflated after its `IAC SB MCCP2 IAC
    /// SE`, and ours compressed after our `IAC SB MCCP3 IAC SE`. Reads see plain data
    /// either way; `false` answers the offers with `DONT`.
    pub fn compression(mut self, on: bool) -> Self {
        for opt in [Opt::MCCP2, Opt::MCCP3] {
            self.policy = if on {
                self.policy.accept(Side::Remote, opt)
            } else {
                self.policy.refuse(Side::Remote, opt)
            };
        }
        self
    }

    /// Connects with TLS (TELNETS), checking the server's certificate against
    /// `server_name` (a host name or an IP address) with this configuration (see
    /// [`tls::client_config`](crate::tls::client_config)). MCCP is then refused.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: std::sync::Arc<rustls::ClientConfig>, server_name: &str) -> Self {
        self.tls = Some((config, server_name.to_owned()));
        self
    }

    /// The GMCP modules announced with `Core.Supports.Set` (after `Core.Hello`) when
    /// the server starts GMCP; default telnetlib3's list (`char 1`, `char.vitals 1`,
    /// `char.items 1`, `room 1`, `room.info 1`, `comm 1`, `comm.channel 1`, `group 1`).
    /// `None` announces nothing.
    pub fn gmcp_modules(mut self, modules: Option<&[(&str, u32)]>) -> Self {
        self.role.gmcp_modules = modules.map(|modules| {
            modules
                .iter()
                .map(|(name, version)| ((*name).to_owned(), *version))
                .collect()
        });
        self
    }

    /// The environment variables the client may reveal through NEW_ENVIRON and
    /// OLD-ENVIRON (replaces the default allow-list). TERM, LANG, COLUMNS and LINES take their values from
    /// the connection's settings, others from [`env`](Self::env) or the process.
    pub fn send_environ<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.role.send_environ = names
            .into_iter()
            .map(|n| n.into().to_ascii_uppercase())
            .collect();
        self
    }

    /// Computes the terminal type each time the server asks for it (`TTYPE SEND`),
    /// instead of the fixed [`terminal_type`](Self::terminal_type): a type that
    /// changes during the session, or a cycle of several (the server asks until an
    /// answer repeats). The last answer is what
    /// [`terminal_type`](crate::Connection::terminal_type) reports. It runs like a
    /// [`decide_options`](Self::decide_options) decider; one that panics sends the
    /// last answer again.
    pub fn answer_terminal_type(
        mut self,
        answer: impl Fn() -> String + Send + Sync + 'static,
    ) -> Self {
        self.role.terminal_type_answer = Some(Answer(std::sync::Arc::new(answer)));
        self
    }

    /// Computes an environment variable's value each time the server asks for it
    /// (NEW_ENVIRON or OLD-ENVIRON `SEND`), and each time this client's own
    /// [`environment`](crate::Connection::environment) or
    /// [`env`](crate::Connection::env) is read (they report what would be sent
    /// now). Only names on the allow-list
    /// ([`send_environ`](Self::send_environ), [`env`](Self::env)) are ever asked
    /// about; `None` sends the configured value (or none). It runs like a
    /// [`decide_options`](Self::decide_options) decider; one that panics sends the
    /// configured value.
    pub fn answer_environment(
        mut self,
        answer: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.role.variable_answer = Some(Answer(std::sync::Arc::new(answer)));
        self
    }

    /// Reveals `name` with `value` through NEW_ENVIRON (adds it to the allow-list).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        let name = name.to_ascii_uppercase();
        if !self.role.send_environ.contains(&name) {
            self.role.send_environ.push(name.clone());
        }
        self.role.env_values.insert(name, value.to_owned());
        self
    }

    /// Request the server to perform `opt` on connect (`DO opt`) and accept it.
    pub fn always_do(mut self, opt: Opt) -> Self {
        self.policy = self.policy.request(Side::Remote, opt);
        self
    }

    /// Offer to perform `opt` on connect (`WILL opt`) and accept it.
    pub fn always_will(mut self, opt: Opt) -> Self {
        self.policy = self.policy.request(Side::Local, opt);
        self
    }

    /// Refuse the server's offer to perform `opt` (`DONT opt`).
    pub fn never_do(mut self, opt: Opt) -> Self {
        self.policy = self.policy.refuse(Side::Remote, opt);
        self
    }

    /// Refuse to perform `opt` (`WONT opt`).
    pub fn never_will(mut self, opt: Opt) -> Self {
        self.policy = self.policy.refuse(Side::Local, opt);
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
    ///
    /// ```no_run
    /// use telnetlib::TelnetConnection;
    /// use telnetlib::proto::Opt;
    ///
    /// // Take MSP only from the servers of one network.
    /// let conn = TelnetConnection::builder()
    ///     .decide_options(|request| match request.opt {
    ///         Opt::MSP => Some(request.peer.is_some_and(|p| p.ip().is_loopback())),
    ///         _ => None,
    ///     })
    ///     .connect("127.0.0.1:4000")?;
    /// # Ok::<(), telnetlib::Error>(())
    /// ```
    pub fn decide_options(
        mut self,
        decide: impl Fn(&OptionRequest) -> Option<bool> + Send + Sync + 'static,
    ) -> Self {
        self.decide = Some(OptionDecider(std::sync::Arc::new(decide)));
        self
    }

    /// Replaces the whole negotiation policy (default [`Policy::client`]).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Connects to the first address of `target` that accepts. Negotiation goes on in
    /// the background (on the poller shared by client connections while nobody reads); use
    /// [`wait_for`](TelnetConnection::wait_for) to wait for an option.
    pub fn connect<A: ToSocketAddrs + fmt::Debug>(self, target: A) -> Result<TelnetConnection> {
        self.connection.check()?;
        let mut policy = self.policy;
        if self.connection.bytes_only {
            // No text layer, so no character set to agree on.
            for side in [Side::Local, Side::Remote] {
                policy = policy.refuse(side, Opt::CHARSET);
            }
        }
        #[cfg(feature = "tls")]
        let tls = match &self.tls {
            Some((config, name)) => {
                // Compression beside secrets leaks them (CRIME, BREACH).
                for opt in [Opt::MCCP2, Opt::MCCP3] {
                    policy = policy.refuse(Side::Remote, opt);
                }
                let name = crate::tls::server_name(name)?;
                let session =
                    Tls::client(config, name).map_err(|message| Error::InvalidInput { message })?;
                Some(session)
            }
            None => None,
        };
        #[cfg(not(feature = "tls"))]
        let tls = None;
        let connection = &self.connection;
        let stream = connect_tcp(&target, self.connect_timeout, connection.nodelay)?;
        let link = connection.link(policy, &[]);
        let poller = Poller::for_clients().map_err(|source| Error::Io {
            operation: "start the client poller",
            peer: None,
            source,
        })?;
        let config = CoreConfig {
            decide: self.decide,
            ..connection.core()
        };
        let core = Core::start(stream, link, self.role, config, tls, poller)?;
        Ok(TelnetConnection::new(core))
    }
}
