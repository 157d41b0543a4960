//! Writing: bytes and text, commands and subnegotiations, waiting for the queue to
//! drain.

use super::{Connection, Kind};
use crate::proto::{Command, Opt, Side, nvt};
use crate::timeout::Timeout;

impl<K: Kind> Connection<K> {
    /// Sends bytes with 0xFF doubled and no newline translation. Returns once they are
    /// handed to the socket; on `Timeout` they stay queued, in order, and go out with
    /// the next write or flush. When `max_output_buffer` bytes are already queued
    /// and the peer takes none before the deadline, the call fails with
    /// [`Error::OutputFull`](crate::Error::OutputFull) and queues nothing.
    pub fn write_bytes(&self, data: &[u8], timeout: impl Into<Timeout>) -> crate::Result<()> {
        let deadline = self.core().deadline_for(timeout.into());
        self.core().send("write_bytes", deadline, |state| {
            nvt::escape_iac(data, &mut state.outgoing)
        })
    }

    /// Sends text in the connection's encoding; unless BINARY is on in our direction
    /// (or `force_binary`), `\n` becomes CR LF and a lone `\r` CR NUL.
    pub fn write_str(&self, text: &str, timeout: impl Into<Timeout>) -> crate::Result<()> {
        self.core().check_text("write_str")?;
        let deadline = self.core().deadline_for(timeout.into());
        self.core().send("write_str", deadline, |state| {
            let bytes = state.link.charset.encode(text);
            let binary = state.link.binary_out();
            nvt::encode_text(&bytes, binary, &mut state.outgoing);
        })
    }

    /// Half-closes the connection (telnetlib3's `write_eof`, `shutdown(SHUT_WR)`):
    /// sends what is queued, then ends our side of the stream, so the peer reads its
    /// end, while we go on reading what it sends. Writes fail afterwards (`Io`,
    /// `BrokenPipe`); negotiation replies the peer would be owed are dropped. Over
    /// TLS our side ends with `close_notify`, which most peers (ours included)
    /// answer by closing their side too: reading then ends soon after.
    pub fn write_eof(&self, timeout: impl Into<Timeout>) -> crate::Result<()> {
        self.core()
            .write_eof(self.core().deadline_for(timeout.into()))
    }

    /// Waits until everything queued has been handed to the socket.
    pub fn flush_within(&self, timeout: impl Into<Timeout>) -> crate::Result<()> {
        self.core().flush(self.core().deadline_for(timeout.into()))
    }

    /// Sends `IAC <command>` (AYT, BRK, IP, GA, …).
    pub fn send_command(&self, command: Command) -> crate::Result<()> {
        let deadline = self.core().deadline_for(Timeout::Default);
        self.core().send("send_command", deadline, |state| {
            state.link.engine.send_command(command)
        })
    }

    /// Sends `IAC SB <opt> <payload> IAC SE` (0xFF in the payload doubled).
    pub fn send_subnegotiation(&self, opt: Opt, payload: &[u8]) -> crate::Result<()> {
        let deadline = self.core().deadline_for(Timeout::Default);
        self.core().send("send_subnegotiation", deadline, |state| {
            state.link.engine.send_subnegotiation(opt, payload)
        })
    }

    /// Sends `IAC EOR` (RFC 885) after a record, typically a prompt, when we
    /// perform EOR; returns whether it was sent (nothing is sent otherwise).
    pub fn send_eor(&self) -> crate::Result<bool> {
        let deadline = self.core().deadline_for(Timeout::Default);
        let mut sent = false;
        self.core().send("send_eor", deadline, |state| {
            let engine = &mut state.link.engine;
            sent = engine.is_enabled(Side::Local, Opt::EOR);
            if sent {
                engine.send_command(Command::Eor);
            }
        })?;
        Ok(sent)
    }
}
