//! [`ConnectionConfig`]: the settings every connection has, client or server side,
//! defined and checked once for both builders.

use crate::codec::{DecodeErrors, Encoding};
use crate::error::{Error, Result};
use crate::io::{CoreConfig, DEFAULT_MAX_INPUT, DEFAULT_MAX_LINE, DEFAULT_MAX_OUTPUT, Link};
use crate::proto::{DEFAULT_MAX_SUBNEGOTIATION, Engine, Opt, Policy};
use crate::timeout::Timeout;

/// One setter per [`ConnectionConfig`] field, written once for the three places that
/// have them: the config itself (`config_setters!()`) and both builders, which keep
/// theirs in a `connection` field (`config_setters!(connection)`).
macro_rules! config_setters {
    ($($field:ident)?) => {
        /// Sets [`ConnectionConfig::encoding`](crate::ConnectionConfig::encoding)
        /// (default UTF-8).
        pub fn encoding(mut self, encoding: $crate::Encoding) -> Self {
            self$(.$field)?.encoding = encoding;
            self
        }

        /// Sets [`ConnectionConfig::decode_errors`](crate::ConnectionConfig::decode_errors)
        /// (default `Replace`).
        pub fn decode_errors(mut self, errors: $crate::codec::DecodeErrors) -> Self {
            self$(.$field)?.decode_errors = errors;
            self
        }

        /// Sets [`ConnectionConfig::bytes_only`](crate::ConnectionConfig::bytes_only)
        /// (default off).
        pub fn bytes_only(mut self, on: bool) -> Self {
            self$(.$field)?.bytes_only = on;
            self
        }

        /// Sets [`ConnectionConfig::force_binary`](crate::ConnectionConfig::force_binary)
        /// (default off).
        pub fn force_binary(mut self, on: bool) -> Self {
            self$(.$field)?.force_binary = on;
            self
        }

        /// Sets [`ConnectionConfig::timeout`](crate::ConnectionConfig::timeout): what
        /// `None` means for every call (`None` and `Timeout::Default` here mean no limit).
        pub fn timeout(mut self, timeout: impl Into<$crate::Timeout>) -> Self {
            self$(.$field)?.timeout = timeout.into().or($crate::Timeout::Never);
            self
        }

        /// Sets [`ConnectionConfig::max_input_buffer`](crate::ConnectionConfig::max_input_buffer)
        /// (default 1 MiB).
        pub fn max_input_buffer(mut self, bytes: usize) -> Self {
            self$(.$field)?.max_input_buffer = bytes;
            self
        }

        /// Sets [`ConnectionConfig::max_output_buffer`](crate::ConnectionConfig::max_output_buffer)
        /// (default 1 MiB).
        pub fn max_output_buffer(mut self, bytes: usize) -> Self {
            self$(.$field)?.max_output_buffer = bytes;
            self
        }

        /// Sets [`ConnectionConfig::max_line`](crate::ConnectionConfig::max_line)
        /// (default 64 KiB).
        pub fn max_line(mut self, bytes: usize) -> Self {
            self$(.$field)?.max_line = bytes;
            self
        }

        /// Sets [`ConnectionConfig::max_subnegotiation`](crate::ConnectionConfig::max_subnegotiation)
        /// (default 64 KiB).
        pub fn max_subnegotiation(mut self, bytes: usize) -> Self {
            self$(.$field)?.max_subnegotiation = bytes;
            self
        }

        /// Sets [`ConnectionConfig::nodelay`](crate::ConnectionConfig::nodelay)
        /// (default on).
        pub fn nodelay(mut self, on: bool) -> Self {
            self$(.$field)?.nodelay = on;
            self
        }
    };
}
pub(crate) use config_setters;

/// The settings every connection has, client or server side. Both builders take one
/// whole ([`ClientBuilder::connection`](crate::ClientBuilder::connection),
/// [`ServerBuilder::connection`](crate::ServerBuilder::connection)) and have a setter
/// of the same name for each field.
///
/// Limits bound memory per connection; each must be at least 1, and a value that is
/// not is refused with [`Error::InvalidInput`] at `connect` or `bind` (never clamped).
///
/// ```
/// use std::time::Duration;
/// use telnetlib::{ConnectionConfig, Encoding};
///
/// let config = ConnectionConfig::new()
///     .timeout(Duration::from_secs(10))
///     .encoding(Encoding::for_label("cp437")?)
///     .max_line(4096);
/// assert_eq!(config.max_input_buffer, 1 << 20);
/// # Ok::<(), telnetlib::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectionConfig {
    /// The text encoding of the `_str` methods (and of a server's `send`); it applies
    /// whether or not BINARY is negotiated. Default UTF-8.
    pub encoding: Encoding,
    /// What the `_str` reads do with bytes not valid in the encoding: U+FFFD in
    /// their place (`Replace`, the default), drop them (`Ignore`), or fail with
    /// [`Error::Decode`] holding them (`Strict`).
    pub decode_errors: DecodeErrors,
    /// Bytes only, telnetlib3's `encoding=False`: no text layer at all. Every `_str`
    /// method and every text send ([`write_str`](crate::Connection::write_str), a
    /// server's `send`, `send_prompt`, …) fails with [`Error::InvalidInput`] naming
    /// it, CHARSET is refused in both directions (nothing the peer says changes how
    /// bytes are read), and a server's [`get_command`](crate::ServerConnection::get_command)
    /// has no lines to give: read with `readline`, `read_some` or `io::Read`.
    /// Default off.
    pub bytes_only: bool,
    /// Behave as if BINARY were on in both directions: no CR LF translation of text
    /// written, CR NUL kept in data received. Default off.
    pub force_binary: bool,
    /// What [`Timeout::Default`] (and `None`) means for every blocking call on the
    /// connection, the `std::io` traits included. Default: no limit.
    pub timeout: Timeout,
    /// The most received data waiting to be read (default 1 MiB): when it is full the
    /// socket is not read, TCP flow control holds the peer back, nothing is dropped.
    pub max_input_buffer: usize,
    /// The most bytes queued for sending, replies included (default 1 MiB): a write
    /// waits within its timeout while the queue is over it, then fails with
    /// [`Error::OutputFull`] having queued nothing; the peer's input is not taken
    /// while it leaves that much unread.
    pub max_output_buffer: usize,
    /// The longest line `readline` returns (default 64 KiB); a longer one is
    /// [`Error::LineTooLong`].
    pub max_line: usize,
    /// The largest subnegotiation accepted (default 64 KiB); a longer one is cut off
    /// and reported as a protocol error.
    pub max_subnegotiation: usize,
    /// `TCP_NODELAY` (default on: prompts and keystrokes leave at once).
    pub nodelay: bool,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            encoding: Encoding::UTF_8,
            decode_errors: DecodeErrors::Replace,
            bytes_only: false,
            force_binary: false,
            timeout: Timeout::Never,
            max_input_buffer: DEFAULT_MAX_INPUT,
            max_output_buffer: DEFAULT_MAX_OUTPUT,
            max_line: DEFAULT_MAX_LINE,
            max_subnegotiation: DEFAULT_MAX_SUBNEGOTIATION,
            nodelay: true,
        }
    }
}

impl ConnectionConfig {
    /// The defaults.
    pub fn new() -> ConnectionConfig {
        ConnectionConfig::default()
    }

    config_setters!();

    /// Refuses a limit of 0, naming the setting.
    pub(crate) fn check(&self) -> Result<()> {
        let limits = [
            ("max_input_buffer", self.max_input_buffer),
            ("max_output_buffer", self.max_output_buffer),
            ("max_line", self.max_line),
            ("max_subnegotiation", self.max_subnegotiation),
        ];
        match limits.iter().find(|(_, value)| *value == 0) {
            Some((name, _)) => Err(Error::InvalidInput {
                message: format!("{name} must be at least 1 byte"),
            }),
            None => Ok(()),
        }
    }

    /// The negotiation and text state a connection starts with: an engine answering
    /// by `policy` within this configuration's limits, taking subnegotiations only for
    /// options enabled on either side or in `exempt` (RFC 855), and the text layer
    /// (its charset fixed on a bytes-only connection).
    pub(crate) fn link(&self, policy: Policy, exempt: &[Opt]) -> Link {
        let engine = Engine::new(policy)
            .with_max_subnegotiation(self.max_subnegotiation)
            .with_subnegotiation_gate(exempt);
        let mut link = Link::new(engine, self.encoding.0, self.force_binary);
        link.charset_locked = self.bytes_only;
        link
    }

    /// The core's part of it, with the settings only a server has left at their
    /// defaults (the server builder sets them).
    pub(crate) fn core(&self) -> CoreConfig {
        CoreConfig {
            max_input: self.max_input_buffer,
            max_outgoing: self.max_output_buffer,
            max_line: self.max_line,
            default_timeout: self.timeout,
            decode_errors: self.decode_errors,
            bytes_only: self.bytes_only,
            ..CoreConfig::default()
        }
    }
}
