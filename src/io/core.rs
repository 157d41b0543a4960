//! The connection core shared by client and server connections: the state behind one
//! mutex and one condition variable, the reader thread's lifetime, serialized writes,
//! and close.
//!
//! Locking: `state` is never held across a socket call. Bytes to send are appended to
//! `State::outgoing` under `state` (so replies and user writes keep their order and never
//! interleave mid-sequence); whoever holds `writer` moves them to the socket. Lock order
//! is `reading` → `writer` → `state`, and `state` is only ever taken last and briefly.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::codec::{Charset, TextDecoder};
use crate::error::{Error, Result};
use crate::proto::{Engine, Opt, OwnedEvent, Side};

use super::input::InputBuffer;
use super::mccp::{InputWire, OutputWire};
use super::options::Options;
use super::reader;
use super::tls::Tls;

/// How long the reader thread may spend pushing negotiation replies into a socket whose
/// send buffer is full before it goes back to reading (the bytes stay queued and leave
/// with the next write). Reading must go on, or two peers that both write without
/// reading would wait for each other forever.
pub(crate) const REPLY_WRITE_BUDGET: Duration = Duration::from_millis(200);

/// How long `close` spends sending what is still queued before it shuts the socket.
pub(crate) const CLOSE_FLUSH_LIMIT: Duration = Duration::from_secs(1);

/// A negotiation observer installed with `set_event_hook`; runs on the reader thread.
pub(crate) type EventHook = Arc<dyn Fn(&OwnedEvent) + Send + Sync>;

/// What a client or server adds to the engine: answers to subnegotiations, and what to
/// do when options change. Runs on the reader thread with the state locked.
pub(crate) trait Role: Send + 'static {
    /// Queues start-up requests (the engine's `start` and anything else).
    fn start(&mut self, link: &mut Link);
    /// Reacts to one non-data event, after the engine has processed the chunk it came in.
    fn on_event(&mut self, event: &OwnedEvent, link: &mut Link);
    /// Takes application data as it arrives. By default it goes to the input buffer
    /// as is (CR NUL becoming CR outside BINARY); a server may edit and echo it.
    fn on_data(&mut self, data: &[u8], sink: &mut DataSink<'_>) {
        sink.push(data);
    }
    /// Runs after each chunk has been processed, and once after `start`.
    fn after_chunk(&mut self, _link: &mut Link) {}
    /// Whether the connection should end once the replies queued so far are sent
    /// (the peer asked us to log out).
    fn wants_close(&self) -> bool {
        false
    }
    /// The stream ended: the peer closed, the socket failed, or the idle timeout hit.
    fn on_end(&mut self) {}
}

/// Where a [`Role`] puts received data and the bytes it echoes.
pub(crate) struct DataSink<'a> {
    pub input: &'a mut InputBuffer,
    pub outgoing: &'a mut Vec<u8>,
    pub after_cr: &'a mut bool,
    /// The peer sends BINARY (or `force_binary`).
    pub binary: bool,
    /// We perform ECHO.
    pub local_echo: bool,
}

impl DataSink<'_> {
    /// Appends data to the input buffer, dropping the NUL of CR NUL unless BINARY.
    pub fn push(&mut self, data: &[u8]) {
        reader::push_data(self.input, data, self.binary, self.after_cr);
    }
}

/// What a [`Role`] may change: the engine and the text codec.
#[derive(Debug)]
pub(crate) struct Link {
    pub engine: Engine,
    pub charset: Charset,
    /// Bumped when `charset` changes, so readers know to start a new decoder.
    pub charset_generation: u64,
    /// Treat both directions as BINARY for newline and NUL handling.
    pub force_binary: bool,
    /// State of the options both roles handle alike (STATUS, LFLOW, LINEMODE, the MUD
    /// protocols).
    pub options: Options,
    /// Offsets into the engine's output where our MCCP compression starts (`true`) or
    /// ends, recorded when the marker is queued (see `mccp::on_event`).
    pub compress_switches: Vec<(usize, bool)>,
}

impl Link {
    pub fn set_charset(&mut self, charset: Charset) {
        if charset != self.charset {
            log::debug!("charset now {}", charset.name());
            self.charset = charset;
            self.charset_generation += 1;
        }
    }

    /// Whether data we send is BINARY (no NVT newline translation).
    pub fn binary_out(&self) -> bool {
        self.force_binary || self.engine.is_enabled(Side::Local, Opt::BINARY)
    }

    /// Whether data we receive is BINARY (CR NUL kept as is).
    pub fn binary_in(&self) -> bool {
        self.force_binary || self.engine.is_enabled(Side::Remote, Opt::BINARY)
    }
}

/// Why no more data will arrive.
#[derive(Debug, Clone)]
pub(crate) enum End {
    /// The peer closed its side.
    Eof,
    /// The socket failed (kind and message of the `io::Error`).
    Failed(io::ErrorKind, String),
}

/// Everything the reader thread and the callers share, behind `Shared::state`.
#[derive(Debug)]
pub(crate) struct State<R> {
    pub link: Link,
    pub role: R,
    pub input: InputBuffer,
    /// The last data byte received was a CR (for dropping the NUL of CR NUL).
    pub after_cr: bool,
    /// Bytes waiting to be written, in order, before any compression.
    pub outgoing: Vec<u8>,
    /// How `outgoing` is compressed on its way out (MCCP).
    pub wire_out: OutputWire,
    /// Bytes ready for the socket, sent before anything taken from `outgoing`: what
    /// a partial write left, and TLS records (handshake, alerts). Never encoded again.
    pub unsent: Vec<u8>,
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
}

/// The most prompt marks kept; older ones are forgotten first.
pub(crate) const MAX_PROMPT_MARKS: usize = 4096;

impl<R> State<R> {
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

    /// How many bytes wait to be written (plain bytes queued, wire bytes unsent).
    pub fn queued(&self) -> usize {
        self.outgoing.len() + self.unsent.len()
    }

    /// Takes everything queued as the bytes to write, in order: `unsent` first, then
    /// `outgoing` compressed (MCCP) and encrypted (TLS) as the connection requires.
    pub fn take_wire(&mut self) -> Vec<u8> {
        let plain = std::mem::take(&mut self.outgoing);
        let mut encoded = self.wire_out.encode(plain);
        if let Some(tls) = self.tls.as_mut() {
            let mut records = Vec::with_capacity(encoded.len() + 64);
            tls.send(&encoded, &mut records);
            encoded = records;
        }
        if self.unsent.is_empty() {
            encoded
        } else {
            let mut wire = std::mem::take(&mut self.unsent);
            wire.extend_from_slice(&encoded);
            wire
        }
    }

    /// Puts back bytes a write could not send: they go before anything queued since
    /// (TLS records the reader thread added meanwhile come after them in the stream).
    pub fn put_back_wire(&mut self, mut unsent: Vec<u8>) {
        unsent.extend_from_slice(&self.unsent);
        self.unsent = unsent;
    }

    /// The error a read gets once the buffer is drained and no more data will come.
    pub fn end_error(&self, operation: &'static str, peer: Option<SocketAddr>) -> Option<Error> {
        match self.end.as_ref()? {
            End::Eof => Some(Error::Eof { operation, peer }),
            End::Failed(kind, message) => Some(Error::Io {
                operation,
                peer,
                source: io::Error::new(*kind, message.clone()),
            }),
        }
    }
}

/// Reader-side state of the callers, held for the whole of one read call so that reads
/// are serialized (a second concurrent reader waits its turn, within its deadline).
#[derive(Debug)]
pub(crate) struct ReadSide {
    pub decoder: TextDecoder,
    pub decoder_generation: u64,
    /// A line was ended by a CR that was the last byte available; an LF right after it
    /// belongs to that line ending and is skipped.
    pub skip_lf: bool,
}

/// The default input buffer bound: 1 MiB.
pub const DEFAULT_MAX_INPUT: usize = 1 << 20;
/// The default longest line `readline` returns: 64 KiB.
pub const DEFAULT_MAX_LINE: usize = 64 << 10;
/// The default bound on bytes queued for sending: 1 MiB.
pub const DEFAULT_MAX_OUTPUT: usize = 1 << 20;
/// The default reader thread stack: 256 KiB (event hooks run on it).
pub const DEFAULT_READER_STACK: usize = 256 << 10;

/// Limits and settings of one connection's core, shared by the client and server
/// builders.
#[derive(Debug, Clone)]
pub(crate) struct CoreConfig {
    pub max_input: usize,
    pub max_outgoing: usize,
    pub max_line: usize,
    pub reader_stack_size: usize,
    pub default_timeout: Option<Duration>,
    /// Close the connection after this long without application data, sending
    /// `\r\nTimeout.\r\n` first.
    pub idle_timeout: Option<Duration>,
    /// The connection starts with a PROXY protocol header naming the real peer.
    pub proxy_protocol: bool,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            max_input: DEFAULT_MAX_INPUT,
            max_outgoing: DEFAULT_MAX_OUTPUT,
            max_line: DEFAULT_MAX_LINE,
            reader_stack_size: DEFAULT_READER_STACK,
            default_timeout: None,
            idle_timeout: None,
            proxy_protocol: false,
        }
    }
}

pub(crate) struct Shared<R> {
    pub state: Mutex<State<R>>,
    /// Notified on every change a caller may wait for: data, option states, end of
    /// stream, room in the input buffer, outgoing bytes written, close.
    pub changed: Condvar,
    pub reading: Mutex<ReadSide>,
    /// The one socket of the connection (one descriptor: the reader thread reads and
    /// writers write through `&TcpStream`).
    pub socket: TcpStream,
    /// Held by whoever moves queued bytes to the socket.
    writer: Mutex<()>,
    hook: Mutex<Option<EventHook>>,
    /// The socket's peer (a load balancer's, behind the PROXY protocol).
    pub peer: Option<SocketAddr>,
    /// The real client, from a PROXY protocol header.
    pub proxied_peer: OnceLock<SocketAddr>,
    pub local: Option<SocketAddr>,
    pub config: CoreConfig,
}

/// A running connection: the shared state and the reader thread.
pub(crate) struct Core<R: Role> {
    pub shared: Arc<Shared<R>>,
    reader: Mutex<Option<JoinHandle<()>>>,
}

/// The deadline for a call given its timeout (`None`: never).
/// A timeout too large to add to now (`Duration::MAX` as "forever") means no deadline.
pub(crate) fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

impl<R: Role> Core<R> {
    /// Starts the reader thread over `socket` and sends the role's start-up requests
    /// (through `tls` on a TELNETS connection, after its handshake).
    pub fn spawn(
        socket: TcpStream,
        mut link: Link,
        mut role: R,
        config: CoreConfig,
        tls: Option<Tls>,
    ) -> Result<Core<R>> {
        let peer = socket.peer_addr().ok();
        let io_error = |source| Error::Io {
            operation: "start connection",
            peer,
            source,
        };
        role.start(&mut link);
        role.after_chunk(&mut link);
        let decoder = link.charset.decoder();
        let mut state = State {
            link,
            role,
            input: InputBuffer::default(),
            after_cr: false,
            outgoing: Vec::new(),
            wire_out: OutputWire::default(),
            wire_in: InputWire::default(),
            unsent: Vec::new(),
            tls,
            end: None,
            closed: false,
            last_input: Instant::now(),
            prompts: VecDeque::new(),
        };
        state.commit_output();
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            changed: Condvar::new(),
            reading: Mutex::new(ReadSide {
                decoder,
                decoder_generation: 0,
                skip_lf: false,
            }),
            local: socket.local_addr().ok(),
            socket,
            writer: Mutex::new(()),
            hook: Mutex::new(None),
            peer,
            proxied_peer: OnceLock::new(),
            config,
        });
        let name = match peer {
            Some(addr) => format!("telnet-rx-{addr}"),
            None => "telnet-rx".to_owned(),
        };
        let thread_shared = Arc::clone(&shared);
        let handle = thread::Builder::new()
            .name(name)
            .stack_size(shared.config.reader_stack_size)
            .spawn(move || reader::run(&thread_shared))
            .map_err(io_error)?;
        let core = Core {
            shared,
            reader: Mutex::new(Some(handle)),
        };
        // Start-up requests are a few bytes into an empty send buffer.
        let _ = core.shared.pump(deadline(Some(REPLY_WRITE_BUDGET)), false);
        Ok(core)
    }

    /// The peer: the real client named by a PROXY protocol header, else the socket's.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.shared.proxied_peer.get().copied().or(self.shared.peer)
    }

    pub fn lock(&self) -> MutexGuard<'_, State<R>> {
        self.shared.state.lock()
    }

    /// The deadline for a call: its own timeout, or the connection's default.
    pub fn deadline_for(&self, timeout: Option<Duration>) -> Option<Instant> {
        deadline(timeout.or(self.shared.config.default_timeout))
    }

    /// Waits until `ready` gives an answer, the deadline passes (`Timeout`), or the
    /// connection is closed by this side (`Closed`). `ready` runs with the state locked,
    /// each time something changes.
    pub fn wait<T>(
        &self,
        operation: &'static str,
        deadline: Option<Instant>,
        mut ready: impl FnMut(&mut State<R>) -> Option<Result<T>>,
    ) -> Result<T> {
        let mut state = self.lock();
        let mut timed_out = false;
        loop {
            if state.closed {
                return Err(Error::Closed { operation });
            }
            if let Some(answer) = ready(&mut state) {
                state.commit_output();
                drop(state);
                // A read may have made room for the reader thread, a request may have
                // queued bytes: wake whoever waits on either.
                self.shared.changed.notify_all();
                return answer;
            }
            if timed_out {
                return Err(Error::Timeout {
                    operation,
                    peer: self.peer(),
                    unmet: None,
                });
            }
            match deadline {
                None => self.shared.changed.wait(&mut state),
                Some(at) => timed_out = self.shared.changed.wait_until(&mut state, at).timed_out(),
            }
        }
    }

    /// Queues bytes produced by `produce` (with the state locked, after the outgoing
    /// backlog is under its limit) and writes them out before the deadline.
    ///
    /// On `Timeout` the bytes already queued stay queued, in order, and leave with the
    /// next write or flush; nothing queued is ever dropped.
    pub fn send(
        &self,
        operation: &'static str,
        deadline: Option<Instant>,
        produce: impl FnOnce(&mut State<R>),
    ) -> Result<()> {
        self.enqueue(operation, deadline, produce)?;
        self.shared
            .pump(deadline, true)
            .map_err(|e| self.write_error(operation, e))
    }

    /// Like [`send`](Self::send), but once the bytes are queued a timeout while
    /// writing them is not an error: they leave with the next write or flush. For
    /// `io::Write::write`, whose caller would otherwise send them twice.
    pub fn send_accepted(
        &self,
        operation: &'static str,
        deadline: Option<Instant>,
        produce: impl FnOnce(&mut State<R>),
    ) -> Result<()> {
        self.enqueue(operation, deadline, produce)?;
        match self.shared.pump(deadline, true) {
            Err(error)
                if !matches!(
                    error.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                Err(self.write_error(operation, error))
            }
            _ => Ok(()),
        }
    }

    /// Makes room under `max_outgoing` by writing (nobody else may be), then queues.
    ///
    /// When the deadline passes before there is room, nothing of this call has been
    /// queued: that is `OutputFull`, not `Timeout` (whose bytes stay queued and leave
    /// later), so the caller knows to send them again.
    fn enqueue(
        &self,
        operation: &'static str,
        deadline: Option<Instant>,
        produce: impl FnOnce(&mut State<R>),
    ) -> Result<()> {
        let limit = self.shared.config.max_outgoing;
        loop {
            {
                let mut state = self.lock();
                if state.closed {
                    return Err(Error::Closed { operation });
                }
                if let Some(End::Failed(..)) = state.end {
                    return Err(state.end_error(operation, self.peer()).expect("ended"));
                }
                if state.queued() < limit {
                    produce(&mut state);
                    state.commit_output();
                    return Ok(());
                }
            }
            self.shared
                .pump(deadline, true)
                .map_err(|e| match self.write_error(operation, e) {
                    Error::Timeout { peer, .. } => Error::OutputFull {
                        operation,
                        peer,
                        limit,
                    },
                    other => other,
                })?;
        }
    }

    /// Writes everything queued before the deadline.
    pub fn flush(&self, deadline: Option<Instant>) -> Result<()> {
        if self.lock().closed {
            return Err(Error::Closed { operation: "flush" });
        }
        self.shared
            .pump(deadline, true)
            .map_err(|e| self.write_error("flush", e))
    }

    /// Queues bytes without waiting: fails with `OutputFull` when the peer has left
    /// `max_outgoing` bytes unread, otherwise writes what the socket takes at once and
    /// leaves the rest queued, in order. A game loop sending to many clients never
    /// stalls on one that stopped reading.
    pub fn queue(
        &self,
        operation: &'static str,
        produce: impl FnOnce(&mut State<R>),
    ) -> Result<()> {
        // What the socket takes now makes room first.
        self.push_queued();
        {
            let mut state = self.lock();
            if state.closed {
                return Err(Error::Closed { operation });
            }
            if state.queued() >= self.shared.config.max_outgoing {
                return Err(Error::OutputFull {
                    operation,
                    peer: self.peer(),
                    limit: self.shared.config.max_outgoing,
                });
            }
            produce(&mut state);
            state.commit_output();
        }
        self.push_queued();
        Ok(())
    }

    /// Writes what is queued as far as the socket takes it at once, unless another
    /// thread is writing already.
    pub fn push_queued(&self) {
        if let Err(error) = self.shared.pump_without_waiting() {
            log::trace!("output to {:?} stays queued: {error}", self.peer());
        }
    }

    /// How many bytes wait to be written.
    pub fn queued(&self) -> usize {
        self.lock().queued()
    }

    fn write_error(&self, operation: &'static str, error: io::Error) -> Error {
        match error.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout {
                operation,
                peer: self.peer(),
                unmet: None,
            },
            _ => Error::Io {
                operation,
                peer: self.peer(),
                source: error,
            },
        }
    }

    pub fn set_hook(&self, hook: Option<EventHook>) {
        *self.shared.hook.lock() = hook;
    }

    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Sends what is queued (for at most [`CLOSE_FLUSH_LIMIT`]), shuts the socket down,
    /// wakes every waiter and joins the reader thread. Idempotent.
    ///
    /// Bytes that could not be sent are not dropped silently: they stay counted in
    /// [`queued`](Self::queued) and a warning is logged.
    pub fn close(&self) {
        let first = !self.lock().closed;
        if first {
            {
                // `close_notify` goes after everything queued (take_wire encrypts it
                // first): the orderly end of a TLS stream.
                let mut state = self.lock();
                if state.tls.is_some() {
                    let mut wire = state.take_wire();
                    if let Some(tls) = state.tls.as_mut() {
                        tls.close(&mut wire);
                    }
                    state.put_back_wire(wire);
                }
            }
            if let Err(error) = self.shared.pump(deadline(Some(CLOSE_FLUSH_LIMIT)), true) {
                log::warn!(
                    "closing the connection to {:?}: {} queued bytes were not sent ({error})",
                    self.peer(),
                    self.queued()
                );
            }
            self.lock().closed = true;
            let _ = self.shared.socket.shutdown(Shutdown::Both);
            self.shared.changed.notify_all();
        }
        let handle = self.reader.lock().take();
        if let Some(handle) = handle {
            // A hook that closes its own connection runs on the reader thread, which
            // cannot join itself; it ends by itself once it returns.
            if handle.thread().id() != thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

impl<R: Role> Drop for Core<R> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<R> Shared<R> {
    pub fn hook(&self) -> Option<EventHook> {
        self.hook.lock().clone()
    }

    /// Moves queued bytes to the socket until none are left or the deadline passes.
    ///
    /// With `wait_for_writer` false (the reader thread), it returns at once when another
    /// thread is writing: that thread re-checks the queue before it lets go of the
    /// writer, so the bytes are not stranded.
    pub fn pump(&self, deadline: Option<Instant>, wait_for_writer: bool) -> io::Result<()> {
        self.pump_with(wait_for_writer, deadline, |socket, bytes| {
            write_before(socket, bytes, deadline)
        })
    }

    /// Moves queued bytes to the socket as far as its send buffer takes them now,
    /// without blocking; the rest stays queued.
    pub fn pump_without_waiting(&self) -> io::Result<()> {
        self.pump_with(false, None, write_without_waiting)
    }

    fn pump_with(
        &self,
        wait_for_writer: bool,
        deadline: Option<Instant>,
        write: impl Fn(&TcpStream, &[u8]) -> std::result::Result<(), (usize, io::Error)>,
    ) -> io::Result<()> {
        loop {
            let writer = match (wait_for_writer, deadline) {
                (false, _) => self.writer.try_lock(),
                (true, None) => Some(self.writer.lock()),
                (true, Some(at)) => self.writer.try_lock_until(at),
            };
            let Some(writing) = writer else {
                return if wait_for_writer {
                    Err(io::ErrorKind::TimedOut.into())
                } else {
                    Ok(())
                };
            };
            loop {
                let bytes = {
                    let mut state = self.state.lock();
                    // XOFF from a client whose flow control we do (LFLOW OFF): the
                    // output waits for XON, and a blocking writer with it.
                    while state.link.options.output_stopped() && !state.closed {
                        if !wait_for_writer {
                            return Ok(());
                        }
                        match deadline {
                            None => self.changed.wait(&mut state),
                            Some(at) => {
                                if self.changed.wait_until(&mut state, at).timed_out() {
                                    return Err(io::ErrorKind::TimedOut.into());
                                }
                            }
                        }
                    }
                    state.take_wire()
                };
                if bytes.is_empty() {
                    break;
                }
                let result = write(&self.socket, &bytes);
                self.changed.notify_all();
                if let Err((written, error)) = result {
                    // Already encoded: they go out first next time, as they are.
                    self.state.lock().put_back_wire(bytes[written..].to_vec());
                    return Err(error);
                }
            }
            drop(writing);
            // Bytes queued by a thread whose try_lock failed while we wrote: go again.
            if self.state.lock().queued() == 0 {
                return Ok(());
            }
        }
    }
}

/// Writes what the socket's send buffer takes right now (`MSG_DONTWAIT`), never
/// blocking; `WouldBlock` with the count written when it is full.
#[cfg(unix)]
fn write_without_waiting(
    socket: &TcpStream,
    bytes: &[u8],
) -> std::result::Result<(), (usize, io::Error)> {
    let socket = socket2::SockRef::from(socket);
    let mut written = 0;
    while written < bytes.len() {
        match socket.send_with_flags(&bytes[written..], libc::MSG_DONTWAIT) {
            Ok(0) => return Err((written, io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err((written, error)),
        }
    }
    Ok(())
}

/// Without `MSG_DONTWAIT`, a write bounded by a very short timeout.
#[cfg(not(unix))]
fn write_without_waiting(
    socket: &TcpStream,
    bytes: &[u8],
) -> std::result::Result<(), (usize, io::Error)> {
    write_before(socket, bytes, deadline(Some(Duration::from_millis(1))))
}

/// Writes all of `bytes` before the deadline; on failure, how many were written.
fn write_before(
    socket: &TcpStream,
    bytes: &[u8],
    deadline: Option<Instant>,
) -> std::result::Result<(), (usize, io::Error)> {
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
        if let Err(error) = socket.set_write_timeout(timeout) {
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
