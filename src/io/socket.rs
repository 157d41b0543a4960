//! The socket calls: reads and writes that wait until a deadline (a caller's own
//! thread) and reads and writes that never wait (the poller, the game loop).
//!
//! Sockets stay in blocking mode, so a thread waiting for input sleeps in `read` like
//! on a plain `TcpStream` (the read timeout bounds it); the calls that must not wait
//! say so per call (`MSG_DONTWAIT`).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustix::net::{RecvFlags, SendFlags};

/// Writes that never wait, and never raise SIGPIPE where the flag exists.
#[cfg(any(target_os = "linux", target_os = "android"))]
const SEND_NOW: SendFlags = SendFlags::DONTWAIT.union(SendFlags::NOSIGNAL);
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SEND_NOW: SendFlags = SendFlags::DONTWAIT;

/// What one read gave.
#[derive(Debug)]
pub(crate) enum Received {
    /// This many bytes.
    Data(usize),
    /// The peer closed its side.
    Eof,
    /// Nothing arrived before the deadline, or nothing was there (not waiting).
    Nothing,
    /// The socket failed.
    Failed(io::Error),
}

impl From<io::Result<usize>> for Received {
    fn from(result: io::Result<usize>) -> Self {
        match result {
            Ok(0) => Received::Eof,
            Ok(n) => Received::Data(n),
            Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {
                Received::Nothing
            }
            Err(error) => Received::Failed(error),
        }
    }
}

/// Whether an error means "not now" rather than failure.
pub(crate) fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Reads what is there now, without waiting.
pub(crate) fn read_now(socket: &TcpStream, buffer: &mut [u8]) -> Received {
    rustix::net::recv(socket, buffer, RecvFlags::DONTWAIT)
        .map(|(n, _)| n)
        .map_err(io::Error::from)
        .into()
}

/// A timeout a socket has (read or write), as nanoseconds (0: none), so that calls
/// without a deadline set it once. Only the party that reads (or writes) sets it.
#[derive(Debug, Default)]
pub(crate) struct SocketTimeout(AtomicU64);

impl SocketTimeout {
    /// Sets the timeout through `set` unless the socket has it already.
    fn apply(
        &self,
        timeout: Option<Duration>,
        set: impl FnOnce(Option<Duration>) -> io::Result<()>,
    ) -> io::Result<()> {
        let nanos = timeout.map_or(0, |t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX));
        if self.0.load(Ordering::Relaxed) != nanos {
            set(timeout)?;
            self.0.store(nanos, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Reads, waiting until data arrives or the deadline passes (`None`: forever).
pub(crate) fn read_before(
    socket: &TcpStream,
    buffer: &mut [u8],
    deadline: Option<Instant>,
    current: &SocketTimeout,
) -> Received {
    let timeout = match deadline {
        None => None,
        Some(at) => match at.checked_duration_since(Instant::now()) {
            // A zero timeout means "forever" to the socket: take the smallest instead.
            Some(left) => Some(left.max(Duration::from_micros(1))),
            None => return read_now(socket, buffer),
        },
    };
    if let Err(error) = current.apply(timeout, |t| socket.set_read_timeout(t)) {
        return Received::Failed(error);
    }
    let mut stream = socket;
    stream.read(buffer).into()
}

/// Writes what the socket's send buffer takes right now, never waiting; on failure
/// (`WouldBlock` when it is full) how many bytes were written.
pub(crate) fn write_now(socket: &TcpStream, bytes: &[u8]) -> Result<(), (usize, io::Error)> {
    let mut written = 0;
    while written < bytes.len() {
        match rustix::net::send(socket, &bytes[written..], SEND_NOW) {
            Ok(0) => return Err((written, io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(error) => return Err((written, error.into())),
        }
    }
    Ok(())
}

/// Writes all of `bytes` before the deadline (`None`: however long it takes); on
/// failure, how many were written.
pub(crate) fn write_before(
    socket: &TcpStream,
    bytes: &[u8],
    deadline: Option<Instant>,
    current: &SocketTimeout,
) -> Result<(), (usize, io::Error)> {
    let mut written = 0;
    while written < bytes.len() {
        let timeout = match deadline {
            None => None,
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err((written, io::ErrorKind::TimedOut.into()));
                }
                Some(left)
            }
        };
        if let Err(error) = current.apply(timeout, |t| socket.set_write_timeout(t)) {
            return Err((written, error));
        }
        let mut stream = socket;
        match stream.write(&bytes[written..]) {
            Ok(0) => return Err((written, io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err((written, error)),
        }
    }
    Ok(())
}
