//! [`State`]: everything about one connection that lives behind its lock: the engine
//! and role, the buffers both ways, the TLS and MCCP layers, how the stream ended,
//! and who reads the socket.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::Interest;

use crate::error::Error;

use super::input::InputBuffer;
use super::link::Link;
use super::mccp::{InputWire, OutputWire};
use super::tls::Tls;

/// Why no more data will arrive.
#[derive(Debug, Clone)]
pub(crate) enum End {
    /// The peer closed its side (or logged out, or the idle timeout closed it).
    Eof,
    /// The stream failed.
    Failed(Failure),
}

/// What broke a stream, kept so that every later call reports it as it was.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    /// The socket: the error's kind, raw OS code and message.
    Io {
        kind: io::ErrorKind,
        raw: Option<i32>,
        message: String,
    },
    /// TLS: a handshake or record failure, or a handshake that did not finish.
    Tls(String),
    /// A corrupt MCCP (compressed) stream.
    Compression(String),
    /// A PROXY protocol header that was malformed, missing or late.
    Proxy(String),
}

impl Failure {
    /// A socket error, its raw OS code kept.
    pub fn io(error: &io::Error) -> Failure {
        Failure::Io {
            kind: error.kind(),
            raw: error.raw_os_error(),
            message: error.to_string(),
        }
    }

    /// The socket error again (the OS error itself when there was one).
    pub fn io_error(&self) -> io::Error {
        match self {
            Failure::Io {
                raw: Some(code), ..
            } => io::Error::from_raw_os_error(*code),
            Failure::Io { kind, message, .. } => io::Error::new(*kind, message.clone()),
            Failure::Tls(why) | Failure::Compression(why) | Failure::Proxy(why) => {
                io::Error::new(io::ErrorKind::InvalidData, why.clone())
            }
        }
    }

    /// The error a call gets for it.
    pub fn error(&self, operation: &'static str, peer: Option<SocketAddr>) -> Error {
        let reason = |why: &String| why.clone();
        match self {
            Failure::Io { .. } => Error::Io {
                operation,
                peer,
                source: self.io_error(),
            },
            Failure::Tls(why) => Error::Tls {
                operation,
                peer,
                reason: reason(why),
            },
            Failure::Compression(why) => Error::Compression {
                operation,
                peer,
                reason: reason(why),
            },
            Failure::Proxy(why) => Error::Proxy {
                operation,
                peer,
                reason: reason(why),
            },
        }
    }
}

/// Who reads the socket. Exactly one party does at a time; the others wait for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// Nobody: the poller watches the socket (once a caller's grace period is over).
    Nobody,
    /// A thread waiting for input, in a blocking read on its own thread.
    Caller,
    /// The poller thread, which never waits.
    Poller,
}

/// Bytes that crossed the socket, as they were on the wire: Telnet commands, TLS
/// records and compressed bytes included.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Traffic {
    pub received: u64,
    pub sent: u64,
    /// Counts every pass of input through the engine, compressed bytes inflated
    /// later included: `wait_until` looks again after each.
    pub passes: u64,
}

/// Before the Telnet stream: the handshakes that must finish first.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Waiting for a PROXY header (the bytes so far) and, with TLS, the handshake; the
    /// role has not started and nothing is sent but TLS records.
    Handshake {
        proxy: Option<Vec<u8>>,
        until: Instant,
        /// TLS or plain Telnet is yet to be told from the first byte, which must come
        /// by then (a server's `tls_auto`).
        sniff: Option<Instant>,
    },
    /// The Telnet stream runs.
    Telnet,
}

/// How the socket is driven: who reads it, what the poller watches, and the deadlines
/// the poller keeps for it.
#[derive(Debug)]
pub(crate) struct Driving {
    pub reader: Reader,
    /// What the poller watches the socket for.
    pub watching: Option<Interest>,
    /// The poller stopped reading before the socket was drained (no room, or its
    /// turn was over): it needs a fresh readiness check before it reads again.
    pub stale: bool,
    /// A caller stopped reading then. The poller waits a moment before it takes
    /// over: a caller that reads in a loop is back long before, and the socket is
    /// then never handed back and forth.
    pub caller_left: Option<Instant>,
    /// The poller's timer for this connection.
    pub timer: Option<Instant>,
    /// Winding down: flush what is queued until then, then shut the socket.
    pub shut_at: Option<Instant>,
    /// The socket is shut down: nothing more goes either way.
    pub shut: bool,
    /// Closed here, and the connection gone from the poller.
    pub finished: bool,
    /// Since when the poller has been waiting for the socket to take queued output,
    /// or when some of it last moved since: the peer's write timeout counts from here.
    pub output_moved: Instant,
}

/// Everything a connection's callers and the poller share, behind one lock.
#[derive(Debug)]
pub(crate) struct State<R> {
    pub link: Link,
    pub role: R,
    pub phase: Phase,
    pub input: InputBuffer,
    /// The last data byte received was a CR (for dropping the NUL of CR NUL).
    pub after_cr: bool,
    /// Bytes waiting to be written, in order, before any compression.
    pub outgoing: Vec<u8>,
    /// How `outgoing` is compressed on its way out (MCCP).
    pub wire_out: OutputWire,
    /// Bytes ready for the socket, sent before anything taken from `outgoing`: what
    /// a partial write left, and TLS records (handshake, alerts). Never encoded again.
    pub unsent: Wire,
    /// The TLS session, on a TELNETS connection.
    pub tls: Option<Tls>,
    /// Received bytes waiting for the engine, and the MCCP decompressor.
    pub wire_in: InputWire,
    pub end: Option<End>,
    /// Closed by this side.
    pub closed: bool,
    /// When application data last arrived.
    pub last_input: Instant,
    /// Stream positions where the peer sent GA or EOR (prompt ends), oldest first.
    pub prompts: VecDeque<u64>,
    pub driving: Driving,
    /// Bytes that crossed the socket.
    pub traffic: Traffic,
    /// Close after this long without input (the config's, changeable at run time).
    pub idle_timeout: Option<Duration>,
    /// Our writing side is shut (`write_eof`): nothing more can be sent.
    pub write_shut: bool,
    /// The connection ended before its Telnet stream began, as a load balancer's
    /// health check does (a PROXY `LOCAL` header, or a close before any header): no
    /// client to hand out.
    pub unserved: bool,
    /// The peer has sent a byte of its own (after any PROXY header).
    pub spoke: bool,
}

/// Bytes ready for the socket, consumed from the front without moving the rest (a
/// slow peer takes a large queue a little at a time).
#[derive(Debug, Default)]
pub(crate) struct Wire {
    bytes: Vec<u8>,
    start: usize,
}

impl Wire {
    pub fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    /// Where bytes to send after these are appended.
    pub fn tail(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Drops the first `n` bytes (they were sent).
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.bytes.len());
        if self.start == self.bytes.len() {
            self.bytes = Vec::new();
            self.start = 0;
        }
    }
}

impl From<Vec<u8>> for Wire {
    fn from(bytes: Vec<u8>) -> Wire {
        Wire { bytes, start: 0 }
    }
}

/// The most prompt marks kept; older ones are forgotten first.
pub(crate) const MAX_PROMPT_MARKS: usize = 4096;

impl<R> State<R> {
    pub fn new(link: Link, role: R, phase: Phase, tls: Option<Tls>) -> State<R> {
        let now = Instant::now();
        State {
            link,
            role,
            phase,
            input: InputBuffer::default(),
            after_cr: false,
            outgoing: Vec::new(),
            wire_out: OutputWire::default(),
            wire_in: InputWire::default(),
            unsent: Wire::default(),
            tls,
            end: None,
            closed: false,
            last_input: now,
            prompts: VecDeque::new(),
            traffic: Traffic::default(),
            idle_timeout: None,
            write_shut: false,
            unserved: false,
            spoke: false,
            driving: Driving {
                reader: Reader::Nobody,
                watching: None,
                stale: false,
                caller_left: None,
                timer: None,
                shut_at: None,
                shut: false,
                finished: false,
                output_moved: now,
            },
        }
    }

    /// Moves what the engine queued into the outgoing bytes. Called before the state
    /// lock is released, so engine output is always empty outside it.
    pub fn commit_output(&mut self) {
        let base = self.outgoing.len();
        for (at, on) in self.link.compress_switches.drain(..) {
            self.wire_out.switches.push((base + at, on));
        }
        let output = self.link.engine.output();
        if !output.is_empty() {
            self.outgoing.extend_from_slice(output);
            self.link.engine.clear_output();
        }
    }

    /// Drops what is queued: it can never be sent (our writing side is shut).
    pub fn discard_output(&mut self) {
        self.outgoing.clear();
        self.unsent = Wire::default();
    }

    /// How many bytes wait to be written (plain bytes queued, wire bytes unsent).
    pub fn queued(&self) -> usize {
        self.outgoing.len() + self.unsent.len()
    }

    /// Takes the next bytes to write, in order: `unsent` if any, else `outgoing`
    /// compressed (MCCP) and encrypted (TLS) as the connection requires. Empty when
    /// nothing is queued.
    pub fn take_wire(&mut self) -> Wire {
        if !self.unsent.is_empty() {
            return std::mem::take(&mut self.unsent);
        }
        let plain = std::mem::take(&mut self.outgoing);
        let mut encoded = self.wire_out.encode(plain);
        if let Some(tls) = self.tls.as_mut() {
            let mut records = Vec::with_capacity(encoded.len() + 64);
            tls.send(&encoded, &mut records);
            encoded = records;
        }
        Wire::from(encoded)
    }

    /// Encodes everything queued into `unsent`, so that what is appended to it next
    /// (a TLS `close_notify`) comes after all of it.
    pub fn encode_queued(&mut self) {
        if self.outgoing.is_empty() {
            return;
        }
        let mut unsent = std::mem::take(&mut self.unsent);
        let encoded = self.take_wire();
        if unsent.is_empty() {
            unsent = encoded;
        } else {
            unsent.tail().extend_from_slice(encoded.as_slice());
        }
        self.unsent = unsent;
    }

    /// Puts back what a write left of `wire` after `written` bytes: it goes before
    /// anything added since (TLS records the input path added meanwhile come after
    /// it in the stream). Nothing is copied unless such records exist.
    pub fn put_back_wire(&mut self, mut wire: Wire, written: usize) {
        wire.consume(written);
        if wire.is_empty() {
            return;
        }
        if !self.unsent.is_empty() {
            wire.tail().extend_from_slice(self.unsent.as_slice());
        }
        self.unsent = wire;
    }

    /// The error a read gets once the buffer is drained and no more data will come.
    pub fn end_error(&self, operation: &'static str, peer: Option<SocketAddr>) -> Option<Error> {
        match self.end.as_ref()? {
            End::Eof => Some(Error::Eof { operation, peer }),
            End::Failed(failure) => Some(failure.error(operation, peer)),
        }
    }

    /// How the stream ends when the peer closes: in order, unless it closed in the
    /// middle of the TLS handshake, which then failed.
    pub fn end_of_stream(&self) -> End {
        if self.tls.as_ref().is_some_and(|tls| tls.is_handshaking()) {
            End::Failed(Failure::Tls(
                "the peer closed the connection during the handshake".to_owned(),
            ))
        } else {
            End::Eof
        }
    }

    /// Whether the stream runs (handshakes done, not ended, not closed here).
    pub fn running(&self) -> bool {
        self.end.is_none() && !self.closed && self.driving.shut_at.is_none() && !self.driving.shut
    }

    /// Whether more input may be taken now: the input buffer has room, and the peer
    /// has not left more than `max_outgoing` of what we owe it unread (replies to
    /// requests it keeps sending must not grow without bound).
    pub fn takes_input(&self, max_input: usize, max_outgoing: usize) -> bool {
        self.input.len() < max_input && self.queued() < max_outgoing
    }
}
