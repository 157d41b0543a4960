//! The crate's one error type. Every variant says what happened, to which peer, during
//! which operation, and what the caller can do about it.

use std::fmt;
use std::io;
use std::net::SocketAddr;

/// The result of a fallible call in this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong in a Telnet call.
///
/// `operation` fields name the method that failed (`"read_until"`, `"connect"`, …) and
/// `peer` fields the remote address, so a message read out of a log says where to look.
/// The message of an error that wraps another (`Io`, `Connect`) does not repeat it:
/// that one is its [`source`](std::error::Error::source), so error-chain printers
/// (`anyhow`, `main` returning `Err`) show each cause once; `{:#}` prints the message
/// and its causes on one line.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The deadline passed before the call could complete. Nothing was consumed: data
    /// received so far stays buffered for the next read.
    Timeout {
        /// The call that timed out.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// What was still awaited, for calls that wait on a condition (`wait_for`).
        unmet: Option<String>,
    },
    /// The peer closed the connection and every byte it sent has been read.
    Eof {
        /// The call that found the end of the stream.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
    },
    /// The connection was closed by this side (`close()` or drop); it cannot be used again.
    Closed {
        /// The call made after the close.
        operation: &'static str,
    },
    /// The operating system reported an error on the socket (a reset, for example).
    /// `source` is that error, with its raw OS code.
    Io {
        /// The call that failed.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// The underlying error.
        source: io::Error,
    },
    /// Connecting failed for every address the target resolved to.
    Connect {
        /// The target as given, `host:port`.
        target: String,
        /// The error of the last address tried.
        source: io::Error,
    },
    /// TLS failed: the handshake (a certificate not trusted, no protocol in common,
    /// not finished in time) or a record that does not decrypt. The connection is over.
    Tls {
        /// The call that found it.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// Why, as rustls (or the deadline) put it.
        reason: String,
    },
    /// The peer's MCCP (compressed) stream is corrupt. The connection is over; data
    /// received before it stays readable.
    Compression {
        /// The call that found it.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// zlib's complaint, and which stream.
        reason: String,
    },
    /// A PROXY protocol header (from a load balancer) was malformed, missing or late.
    /// The connection is over.
    Proxy {
        /// The call that found it.
        operation: &'static str,
        /// The balancer's address.
        peer: Option<SocketAddr>,
        /// What was wrong with it.
        reason: String,
    },
    /// A line grew past the configured maximum without a line ending. The data stays
    /// buffered; read it with `read_some` or raise the limit.
    LineTooLong {
        /// The call that hit the limit (`readline`, `readline_str`, `get_command`).
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// The limit in bytes.
        limit: usize,
    },
    /// The input buffer is full and what the call waits for is not in it (a
    /// `read_until` pattern or `expect` match that never comes, or a `read_all` of more
    /// than the buffer holds). The data stays buffered.
    BufferFull {
        /// The call that cannot complete.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// The buffer's size in bytes.
        limit: usize,
    },
    /// The peer has left too many bytes unread: the output queue is full. Nothing was
    /// queued by this call; a server usually drops such a connection.
    OutputFull {
        /// The call that could not queue.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// The queue's size in bytes.
        limit: usize,
    },
    /// The peer refused an option the call needs: it answered our request with
    /// `DONT`/`WONT` (`request_status` when the peer will not send STATUS reports,
    /// `send_gmcp` to a client that declined GMCP).
    Refused {
        /// The call that needs the option.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// The option refused.
        opt: crate::proto::Opt,
    },
    /// An option the call needs is not in effect, and the peer did not refuse it: it
    /// was never asked for, the peer has not answered yet (`send_gmcp` before the
    /// client said `DO GMCP`), or it was turned off since (by either side). Try
    /// again after `wait_for` on it.
    NotAgreed {
        /// The call that needs the option.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// The option.
        opt: crate::proto::Opt,
    },
    /// Text that is not valid in the connection's encoding, read with
    /// [`DecodeErrors::Strict`](crate::codec::DecodeErrors::Strict). Every byte the
    /// failed read stands for is here (what it took, after the first bytes of a
    /// character the previous read held over), so nothing received is lost; the next
    /// read goes on after them.
    Decode {
        /// The call that failed.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// The encoding.
        encoding: String,
        /// The bytes, as received.
        bytes: Vec<u8>,
    },
    /// The peer answered a setting with another value than the one asked for: the
    /// value it reports in force is `answered` (an RFC 2217 terminal server whose port
    /// cannot do the speed asked, for example).
    NotApplied {
        /// The call that asked.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// What was asked for.
        asked: String,
        /// What the peer says is in force instead.
        answered: String,
    },
    /// A setting or argument is not valid (an unknown encoding name, a limit of 0).
    InvalidInput {
        /// What is wrong with it.
        message: String,
    },
}

/// Formats an optional peer as ` (1.2.3.4:23)`, or nothing.
struct Peer(Option<SocketAddr>);

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(addr) => write!(f, " ({addr})"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Error {
    /// `{}` is the error's own message; `{:#}` adds each cause after a colon (as
    /// `anyhow` does), for a one-line report: `connecting to host:23 failed:
    /// Connection refused (os error 111)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_message(f)?;
        if f.alternate() {
            let mut source = std::error::Error::source(self);
            while let Some(cause) = source {
                write!(f, ": {cause}")?;
                source = cause.source();
            }
        }
        Ok(())
    }
}

impl Error {
    fn write_message(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout {
                operation,
                peer,
                unmet,
            } => {
                write!(f, "{operation}{} timed out", Peer(*peer))?;
                if let Some(unmet) = unmet {
                    write!(f, " waiting for {unmet}")?;
                }
                f.write_str("; buffered data is kept, call again or raise the timeout")
            }
            Error::Eof { operation, peer } => write!(
                f,
                "{operation}{}: the peer closed the connection and all its data has been read",
                Peer(*peer)
            ),
            Error::Closed { operation } => write!(
                f,
                "{operation}: the connection was closed by this side; open a new one"
            ),
            Error::Io {
                operation, peer, ..
            } => write!(f, "{operation}{}: the socket failed", Peer(*peer)),
            Error::Connect { target, .. } => write!(f, "connecting to {target} failed"),
            Error::Tls {
                operation,
                peer,
                reason,
            } => write!(f, "{operation}{}: TLS failed: {reason}", Peer(*peer)),
            Error::Compression {
                operation,
                peer,
                reason,
            } => write!(
                f,
                "{operation}{}: the peer's compressed stream is broken: {reason}",
                Peer(*peer)
            ),
            Error::Proxy {
                operation,
                peer,
                reason,
            } => write!(
                f,
                "{operation}{}: bad PROXY protocol header: {reason}",
                Peer(*peer)
            ),
            Error::LineTooLong {
                operation,
                peer,
                limit,
            } => write!(
                f,
                "{operation}{}: no line ending within {limit} bytes; the data is kept, read it with read_some or raise max_line",
                Peer(*peer)
            ),
            Error::BufferFull {
                operation,
                peer,
                limit,
            } => write!(
                f,
                "{operation}{}: the input buffer is full ({limit} bytes) without what was asked for; the data is kept, read some of it or raise max_input_buffer",
                Peer(*peer)
            ),
            Error::OutputFull {
                operation,
                peer,
                limit,
            } => write!(
                f,
                "{operation}{}: the peer is not reading and {limit} bytes are already queued; nothing more was queued",
                Peer(*peer)
            ),
            Error::Refused {
                operation,
                peer,
                opt,
            } => write!(
                f,
                "{operation}{}: the peer refused {opt}, which this call needs",
                Peer(*peer)
            ),
            Error::NotAgreed {
                operation,
                peer,
                opt,
            } => write!(
                f,
                "{operation}{}: {opt} is not in effect (not asked for, no answer yet, or turned off since)",
                Peer(*peer)
            ),
            Error::Decode {
                operation,
                peer,
                encoding,
                bytes,
            } => write!(
                f,
                "{operation}{}: {} bytes received are not valid {encoding}",
                Peer(*peer),
                bytes.len()
            ),
            Error::NotApplied {
                operation,
                peer,
                asked,
                answered,
            } => write!(
                f,
                "{operation}{}: asked for {asked}, the peer answered {answered}",
                Peer(*peer)
            ),
            Error::InvalidInput { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::Connect { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A connect target as `host:port`: what `ToSocketAddrs` values print as with
/// `Debug` (`("example.org", 23)`, `"example.org:23"`, `127.0.0.1:23`), made plain.
pub(crate) fn describe_target(target: &dyn fmt::Debug) -> String {
    let text = format!("{target:?}");
    if let Some(pair) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        if let Some((host, port)) = pair.rsplit_once(", ") {
            return format!("{}:{port}", host.trim_matches('"'));
        }
    }
    text.trim_matches('"').to_owned()
}

impl Error {
    /// Whether this is a [`Error::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// Whether this is an [`Error::Eof`].
    pub fn is_eof(&self) -> bool {
        matches!(self, Error::Eof { .. })
    }
}

impl From<Error> for io::Error {
    /// For `impl Read`/`impl Write`: timeouts become `TimedOut`, a close by either side
    /// `NotConnected`/`UnexpectedEof`, bad settings `InvalidInput`, a broken stream
    /// (TLS, compression, PROXY, an over-long line) `InvalidData`, and socket errors
    /// keep their kind.
    fn from(error: Error) -> io::Error {
        let kind = match &error {
            Error::Timeout { .. } | Error::OutputFull { .. } => io::ErrorKind::TimedOut,
            Error::Eof { .. } => io::ErrorKind::UnexpectedEof,
            Error::Closed { .. } => io::ErrorKind::NotConnected,
            Error::Io { source, .. } | Error::Connect { source, .. } => source.kind(),
            Error::InvalidInput { .. } => io::ErrorKind::InvalidInput,
            Error::LineTooLong { .. }
            | Error::BufferFull { .. }
            | Error::Tls { .. }
            | Error::Compression { .. }
            | Error::Proxy { .. }
            | Error::Decode { .. } => io::ErrorKind::InvalidData,
            Error::Refused { .. } | Error::NotAgreed { .. } | Error::NotApplied { .. } => {
                io::ErrorKind::Unsupported
            }
        };
        io::Error::new(kind, error)
    }
}
