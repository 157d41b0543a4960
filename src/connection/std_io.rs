//! The `std::io` traits: `Read` and `Write` on a connection and on a shared reference
//! to one, so `BufReader::new(&conn)`, `write!(conn, …)` and `io::copy` work as with a
//! `TcpStream`.
//!
//! Both wait with the connection's default timeout (`timeout` on its builder; forever
//! unless set). A timeout is `ErrorKind::TimedOut`; the end of the stream is `Ok(0)`
//! from `read`. `write` queues the bytes (0xFF doubled) and writes them to the socket
//! as a `TcpStream` would, blocking while the peer is slow; if the default timeout
//! passes once they are queued, they still count as written (they leave with the
//! next write or flush, or in the background), so a caller never sends them twice.

use std::io::{self, Read, Write};

use super::{Connection, Kind};
use crate::error::Error;
use crate::proto::nvt;
use crate::timeout::Timeout;

impl<K: Kind> Read for &Connection<K> {
    /// What is buffered, as much as fits, once at least one byte is; `Ok(0)` at the
    /// end of the stream. With nothing buffered, the socket is read straight into
    /// `buf`.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.core().read_buf(buf, Timeout::Default) {
            Ok(n) => Ok(n),
            Err(Error::Eof { .. }) => Ok(0),
            Err(error) => Err(error.into()),
        }
    }
}

impl<K: Kind> Read for Connection<K> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut &*self, buf)
    }
}

impl<K: Kind> Write for &Connection<K> {
    /// Queues all of `buf` (0xFF doubled) and writes it out, waiting for the socket
    /// within the default timeout. `Ok(buf.len())` once queued, even when that
    /// timeout passes before the socket has taken it all: the rest goes out with the
    /// next write or flush, or in the background.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Once queued, the bytes count as written even if the socket is slow: a
        // caller retrying after an error would send them twice.
        let deadline = self.core().deadline_for(Timeout::Default);
        self.core().send_accepted("write", deadline, |state| {
            nvt::escape_iac(buf, &mut state.outgoing)
        })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.flush_within(Timeout::Default)?)
    }
}

impl<K: Kind> Write for Connection<K> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Write::write(&mut &*self, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut &*self)
    }
}
