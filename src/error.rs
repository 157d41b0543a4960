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
        /// The target as given (host and port).
        target: String,
        /// The error of the last address tried.
        source: io::Error,
    },
    /// A line grew past the configured maximum without a line ending. The data stays
    /// buffered; read it with `read_some` or raise the limit.
    LineTooLong {
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
    /// The peer refused an option the call needs (`request_status` when the peer
    /// will not send STATUS reports, for example).
    Refused {
        /// The call that needs the option.
        operation: &'static str,
        /// The remote address.
        peer: Option<SocketAddr>,
        /// The option refused.
        opt: crate::proto::Opt,
    },
    /// A setting or argument is not valid (an unknown encoding name, for example).
    InvalidInput {
        /// What is wrong with it.
        message: String,
    },
}

/// Formats an optional peer as ` from 1.2.3.4:23`, or nothing.
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
                operation,
                peer,
                source,
            } => write!(f, "{operation}{}: {source}", Peer(*peer)),
            Error::Connect { target, source } => {
                write!(f, "connect to {target} failed: {source}")
            }
            Error::LineTooLong { peer, limit } => write!(
                f,
                "readline{}: no line ending within {limit} bytes; the data is kept, read it with read_some or raise max_line",
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
    /// `NotConnected`/`UnexpectedEof`, and socket errors keep their kind.
    fn from(error: Error) -> io::Error {
        let kind = match &error {
            Error::Timeout { .. } | Error::OutputFull { .. } => io::ErrorKind::TimedOut,
            Error::Eof { .. } => io::ErrorKind::UnexpectedEof,
            Error::Closed { .. } => io::ErrorKind::NotConnected,
            Error::Io { source, .. } | Error::Connect { source, .. } => source.kind(),
            Error::LineTooLong { .. } | Error::BufferFull { .. } | Error::InvalidInput { .. } => {
                io::ErrorKind::InvalidData
            }
            Error::Refused { .. } => io::ErrorKind::Unsupported,
        };
        io::Error::new(kind, error)
    }
}
