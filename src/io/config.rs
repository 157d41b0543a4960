//! The limits and timeouts of one connection, shared by the client and server builders.

use std::time::Duration;

use crate::codec::DecodeErrors;
use crate::timeout::Timeout;

use super::decide::OptionDecider;

/// The default input buffer bound: 1 MiB.
pub const DEFAULT_MAX_INPUT: usize = 1 << 20;
/// The default longest line `readline` returns: 64 KiB.
pub const DEFAULT_MAX_LINE: usize = 64 << 10;
/// The default bound on bytes queued for sending: 1 MiB.
pub const DEFAULT_MAX_OUTPUT: usize = 1 << 20;

/// The default time a PROXY header and a TLS handshake may take together: 10 s.
pub(crate) const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Limits and settings of one connection's core.
#[derive(Debug, Clone)]
pub(crate) struct CoreConfig {
    pub max_input: usize,
    /// The most bytes queued for the peer, replies included: past it, writes wait
    /// (or fail with `OutputFull` where they must not wait) and the peer's input is
    /// not taken until it reads what it is owed.
    pub max_outgoing: usize,
    pub max_line: usize,
    /// What `Timeout::Default` means for the connection's calls.
    pub default_timeout: Timeout,
    /// Close the connection after this long without application data, sending
    /// `\r\nTimeout.\r\n` first.
    pub idle_timeout: Option<Duration>,
    /// Drop the connection when output stays queued this long without any of it
    /// being taken by the peer.
    pub write_timeout: Option<Duration>,
    /// The connection starts with a PROXY protocol header naming the real peer.
    pub proxy_protocol: bool,
    /// TLS only if the peer's first byte starts a TLS record, waiting this long for
    /// it before going on in plain Telnet (a server's `tls_auto`).
    pub tls_auto: Option<Duration>,
    /// How long the PROXY header and the TLS handshake may take together (after a
    /// `tls_auto` wait); a connection that has not finished them by then is closed.
    pub handshake_timeout: Duration,
    /// The application's decider of the peer's option requests.
    pub decide: Option<OptionDecider>,
    /// What the `_str` reads do with bytes not valid in the encoding.
    pub decode_errors: DecodeErrors,
    /// No text layer: the `_str` methods and text sends are refused.
    pub bytes_only: bool,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            max_input: DEFAULT_MAX_INPUT,
            max_outgoing: DEFAULT_MAX_OUTPUT,
            max_line: DEFAULT_MAX_LINE,
            default_timeout: Timeout::Never,
            idle_timeout: None,
            write_timeout: None,
            proxy_protocol: false,
            tls_auto: None,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            decide: None,
            decode_errors: DecodeErrors::Replace,
            bytes_only: false,
        }
    }
}
