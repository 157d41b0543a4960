//! [`Shared`]: what a connection's callers and the poller share, and the input side:
//! who reads the socket, a caller's read, the poller's reads and timers, and how the
//! stream ends.
//!
//! Exactly one party reads the socket at a time (`Driving::reader`). A call that waits
//! for input and finds nothing buffered that satisfies it becomes the reader when
//! nobody is: it reads the socket on its own thread until data comes or its deadline
//! passes, runs the input path (answering negotiation) and looks again: one wake-up
//! per line, as with a plain `TcpStream`. While another party reads, it waits on the
//! condition variable for that one. While nobody reads, the poller does, once a
//! caller that just stopped has had a moment to come back (so a caller reading in a
//! loop keeps the socket and the poller never wakes for it).
//!
//! Locking: the order is `reading` → `writer` → `state` → (the hook, the poller's
//! table). `state` is never held across a socket read or write; it is held across the
//! poller's registration calls, which never block.

use std::cell::Cell;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use mio::{Interest, Token};
use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::codec::TextDecoder;
use crate::proto::OwnedEvent;

use super::app_data::AppData;
use super::config::CoreConfig;
use super::link::{EventHook, Role};
use super::poller::{Driven, Hub, Ready};
use super::receive::{self, Context, Flow};
use super::socket::{self, Received, SocketTimeout};
use super::state::{End, Failure, Phase, Reader, State};

/// How long replies may take to leave when the stream ends in order (the peer logged
/// out, a TLS alert, the idle timeout's `Timeout.`) before the socket is shut anyway.
const REPLY_WRITE_BUDGET: Duration = Duration::from_millis(200);

/// How long the poller leaves a socket alone after a caller stopped reading it. A
/// caller that stops sets a timer for the end of it (unless one is set already): a
/// longer grace costs fewer timers on a busy server, a shorter one answers sooner
/// the negotiation that arrives while a caller is busy elsewhere.
const CALLER_GRACE: Duration = Duration::from_millis(10);

/// The most the poller reads from one connection before it turns to the others.
const POLLER_TURN: usize = 256 * 1024;

/// A caller's first read buffer: small, because most connections are interactive and
/// many threads may hold one. It doubles whenever a read fills it, up to the largest.
const FIRST_READ_CHUNK: usize = 512;
const MAX_READ_CHUNK: usize = 64 * 1024;

thread_local! {
    /// The read buffer of the calling thread, shared by the connections it reads.
    static READ_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Reader-side state of the callers, held for the whole of one read call so that reads
/// are serialized (a second concurrent reader waits its turn, within its deadline).
#[derive(Debug)]
pub(crate) struct ReadSide {
    pub decoder: TextDecoder,
    pub decoder_generation: u64,
    /// Strict decoding: the first bytes of a character whose rest has not been read
    /// yet (kept here, not in the decoder, so a failed read can hand them back).
    pub carry: Vec<u8>,
    /// A line was ended by a CR that was the last byte available; an LF right after it
    /// belongs to that line ending and is skipped.
    pub skip_lf: bool,
}

/// What a connection's callers and the poller share.
pub(crate) struct Shared<R> {
    pub state: Mutex<State<R>>,
    /// Notified on every change a caller may wait for: data, option states, end of
    /// stream, output written, the socket handed back, close.
    pub changed: Condvar,
    pub reading: Mutex<ReadSide>,
    /// The one socket of the connection, in blocking mode.
    pub socket: TcpStream,
    /// Held by whoever moves queued bytes to the socket.
    pub writer: Mutex<()>,
    pub hook: Mutex<Option<EventHook>>,
    /// The socket's peer (a load balancer's, behind the PROXY protocol).
    pub peer: Option<SocketAddr>,
    /// The real client, from a PROXY protocol header.
    pub proxied_peer: Arc<OnceLock<SocketAddr>>,
    pub local: Option<SocketAddr>,
    pub config: CoreConfig,
    pub hub: Arc<Hub>,
    pub token: Token,
    pub read_timeout: SocketTimeout,
    pub write_timeout: SocketTimeout,
    /// `close` must not wait for the socket (the connection is in a game loop).
    pub never_wait: AtomicBool,
    /// The application's own values (`Connection::set_app_data`).
    pub app_data: Mutex<AppData>,
}

impl<R: Role> Shared<R> {
    pub fn hook(&self) -> Option<EventHook> {
        self.hook.lock().clone()
    }

    /// Marks the connection closed by this side and wakes every waiter; with TLS,
    /// queues `close_notify` after everything queued. False if it was closed already.
    pub(super) fn begin_close(&self) -> bool {
        let mut state = self.state.lock();
        if state.closed {
            return false;
        }
        state.closed = true;
        // What is queued is encrypted first, so `close_notify` comes last: the
        // orderly end of a TLS stream.
        if state.tls.is_some() && !state.driving.shut {
            state.encode_queued();
            let State { tls, unsent, .. } = &mut *state;
            if let Some(tls) = tls.as_mut() {
                tls.close(unsent.tail());
            }
        }
        drop(state);
        self.changed.notify_all();
        true
    }

    /// Sleeps until the state changes or `deadline` passes (forever with none).
    pub(super) fn wait_for_change(
        &self,
        state: &mut MutexGuard<'_, State<R>>,
        deadline: Option<Instant>,
    ) {
        match deadline {
            None => self.changed.wait(state),
            Some(at) => {
                self.changed.wait_until(state, at);
            }
        }
    }

    /// Whether a caller may become the reader now.
    pub(super) fn may_read(&self, state: &mut State<R>) -> bool {
        state.driving.reader == Reader::Nobody && self.takes_input(state)
    }

    /// Whether the stream may take more input now (see [`State::takes_input`]).
    pub(super) fn takes_input(&self, state: &mut State<R>) -> bool {
        let (max_input, max_outgoing) = (self.config.max_input, self.config.max_outgoing);
        if state.queued() >= max_outgoing && state.link.options.output_stopped() {
            // Stopped by XOFF with the queue full: input must go on (XON comes that
            // way), so the stop gives way rather than memory.
            log::debug!(
                "{:?}: output queue full while stopped by XOFF; restarting output",
                self.peer
            );
            state.link.options.gate.stopped = false;
        }
        state.running() && state.takes_input(max_input, max_outgoing)
    }

    /// One read by a caller that has become the reader: pending compressed bytes if
    /// any, else the socket, waiting until data comes or the deadline passes.
    ///
    /// With `direct` (an `io::Read` caller's buffer, while nothing is buffered), the
    /// socket is read straight into it: `Some(n)` when those `n` bytes were all data
    /// and are the answer as they stand (one copy, kernel to caller, as with a plain
    /// `TcpStream`); otherwise they went through the input path as usual.
    pub(super) fn read_once(
        &self,
        state: &mut MutexGuard<'_, State<R>>,
        deadline: Option<Instant>,
        direct: Option<&mut [u8]>,
    ) -> Option<usize> {
        state.driving.reader = Reader::Caller;
        state.driving.caller_left = None;
        // The poller stops watching for input while this thread reads.
        self.refresh(state);
        let mut events = Vec::new();
        let mut answered = None;
        if state.wire_in.has_work() {
            self.deliver(state, &[], &mut events, false);
        } else {
            let room = self.config.max_input.saturating_sub(state.input.len());
            let mut own = match direct {
                Some(_) if state.input.is_empty() => None,
                _ => {
                    let mut buffer = READ_BUFFER.take();
                    if buffer.len() < FIRST_READ_CHUNK {
                        buffer.resize(FIRST_READ_CHUNK, 0);
                    }
                    Some(buffer)
                }
            };
            let is_direct = own.is_none();
            let buffer: &mut [u8] = match (own.as_mut(), direct) {
                (Some(own), _) => own,
                (None, Some(direct)) => direct,
                (None, None) => unreachable!("a buffer of our own unless direct"),
            };
            let want = room.min(buffer.len());
            let received = MutexGuard::unlocked(state, || {
                socket::read_before(
                    &self.socket,
                    &mut buffer[..want],
                    deadline,
                    &self.read_timeout,
                )
            });
            let filled = matches!(received, Received::Data(n) if n == buffer.len());
            match received {
                Received::Data(n) => {
                    if self.deliver(state, &buffer[..n], &mut events, is_direct) {
                        answered = Some(n);
                    }
                }
                Received::Eof => {
                    let end = state.end_of_stream();
                    self.end(state, end)
                }
                Received::Nothing => {}
                Received::Failed(error) => self.end(state, End::Failed(Failure::io(&error))),
            }
            if let Some(mut buffer) = own {
                if filled && buffer.len() < MAX_READ_CHUNK {
                    buffer.resize(buffer.len() * 2, 0);
                }
                READ_BUFFER.set(buffer);
            }
        }
        state.driving.reader = Reader::Nobody;
        state.driving.caller_left = Some(Instant::now());
        self.refresh(state);
        // Others waiting for input look again (and one may read next).
        self.changed.notify_all();
        if state.queued() > 0 {
            MutexGuard::unlocked(state, || self.push_now());
        }
        answered
    }

    /// The poller reads: until the socket has nothing more, the input must wait, or
    /// this connection's turn is over. With `peer_closed`, the readiness event also
    /// carried the peer's end of stream, so reading goes on to it.
    fn poll_input(&self, scratch: &mut [u8], peer_closed: bool) {
        let mut state = self.state.lock();
        if state.driving.reader != Reader::Nobody || state.driving.caller_left.is_some() {
            // A caller reads (or will be back in a moment): it takes the data.
            return;
        }
        if !self.takes_input(&mut state) {
            state.driving.stale = true;
            return;
        }
        state.driving.reader = Reader::Poller;
        let mut events = Vec::new();
        let mut taken = 0;
        let drained = loop {
            if !self.takes_input(&mut state) || taken >= POLLER_TURN {
                break false;
            }
            if state.wire_in.has_work() {
                taken += super::mccp::INFLATE_STEP;
                self.deliver(&mut state, &[], &mut events, false);
                continue;
            }
            let room = self.config.max_input.saturating_sub(state.input.len());
            let want = room.min(scratch.len());
            let received = MutexGuard::unlocked(&mut state, || {
                socket::read_now(&self.socket, &mut scratch[..want])
            });
            match received {
                Received::Data(n) => {
                    taken += n;
                    self.deliver(&mut state, &scratch[..n], &mut events, false);
                    // A short read emptied the socket: with edge-triggered readiness,
                    // data arriving from now on is a new event, so no second read
                    // (to see it would block) is needed. An end of stream that came
                    // with the data is no new event: it is read now or never.
                    if n < want && !peer_closed {
                        break true;
                    }
                }
                Received::Eof => {
                    let end = state.end_of_stream();
                    self.end(&mut state, end);
                    break true;
                }
                Received::Nothing => break true,
                Received::Failed(error) => {
                    self.end(&mut state, End::Failed(Failure::io(&error)));
                    break true;
                }
            }
        };
        if !drained {
            state.driving.stale = true;
        }
        state.driving.reader = Reader::Nobody;
        self.refresh(&mut state);
        let queued = state.queued() > 0;
        drop(state);
        self.changed.notify_all();
        if queued {
            self.push_now();
        }
    }

    /// Runs bytes the reader got (none: compressed bytes still pending) through the
    /// input path, then the hook with the state unlocked: the hook sees each event
    /// before any caller is woken to read the data that followed it.
    fn deliver(
        &self,
        state: &mut MutexGuard<'_, State<R>>,
        bytes: &[u8],
        events: &mut Vec<OwnedEvent>,
        direct: bool,
    ) -> bool {
        state.traffic.received += bytes.len() as u64;
        state.traffic.passes += 1;
        let context = Context {
            max_input: self.config.max_input,
            direct,
            peer: self.peer,
            proxied_peer: &self.proxied_peer,
        };
        let (flow, in_place) = receive::receive(state, bytes, &context, events);
        match flow {
            Flow::Continue => {}
            Flow::Close => {
                log::debug!("{:?} logged out or ended TLS; closing", self.peer);
                self.wind_down(state, End::Eof, REPLY_WRITE_BUDGET);
            }
            Flow::Broken(failure) => {
                log::info!("{:?}: {failure:?}; closing", self.peer);
                let end = End::Failed(failure);
                self.wind_down(state, end, REPLY_WRITE_BUDGET);
            }
        }
        if !events.is_empty() {
            if let Some(hook) = self.hook() {
                MutexGuard::unlocked(state, || events.iter().for_each(|event| hook(event)));
            }
            events.clear();
        }
        in_place
    }

    /// The stream ended: no more input. Waiters are woken.
    pub(super) fn end(&self, state: &mut State<R>, end: End) {
        mark_unserved(state, self.config.proxy_protocol);
        if state.end.is_none() {
            if !state.closed {
                log::debug!("connection to {:?} ended: {end:?}", self.peer);
            }
            state.end = Some(end);
            state.role.on_end();
            state.commit_output();
        }
        self.changed.notify_all();
    }

    /// Ends the stream and shuts the socket once what is queued is sent, or after
    /// `grace` at the latest.
    pub(super) fn wind_down(&self, state: &mut State<R>, end: End, grace: Duration) {
        self.end(state, end);
        let at = Instant::now() + grace;
        if state.driving.shut_at.is_none_or(|shut_at| at < shut_at) {
            state.driving.shut_at = Some(at);
        }
        if state.queued() == 0 {
            self.shut(state);
        }
    }

    /// Shuts the socket (a caller blocked reading it returns), and, once closed by
    /// this side, takes the connection off the poller.
    pub(super) fn shut(&self, state: &mut State<R>) {
        if state.driving.finished {
            return;
        }
        if !std::mem::replace(&mut state.driving.shut, true) {
            let _ = self.socket.shutdown(Shutdown::Both);
        }
        mark_unserved(state, self.config.proxy_protocol);
        // A health check's greeting had nobody to go to: not worth a warning.
        if state.driving.shut_at.take().is_some() && state.queued() > 0 && !state.unserved {
            log::warn!(
                "closing the connection to {:?}: {} queued bytes were not sent",
                self.peer,
                state.queued()
            );
        }
        if state.end.is_none() {
            state.end = Some(End::Eof);
            state.role.on_end();
            state.commit_output();
        }
        if state.closed {
            let fd = self.socket.as_raw_fd();
            self.hub.remove(self.token, fd, &mut state.driving.watching);
            state.driving.finished = true;
        } else {
            self.refresh(state);
        }
        self.changed.notify_all();
    }

    /// Brings the poller up to date with the state: what it watches the socket for,
    /// and when it calls back. Cheap when nothing changed.
    pub(super) fn refresh(&self, state: &mut State<R>) {
        if state.driving.finished {
            return;
        }
        let read = state.driving.reader == Reader::Nobody
            && state.driving.caller_left.is_none()
            && self.takes_input(state);
        let write = state.queued() > 0
            && !state.driving.shut
            && !state.link.options.output_stopped()
            && !matches!(state.end, Some(End::Failed(..)));
        let wanted = match (read, write) {
            (true, true) => Some(Interest::READABLE | Interest::WRITABLE),
            (true, false) => Some(Interest::READABLE),
            (false, true) => Some(Interest::WRITABLE),
            (false, false) => None,
        };
        if wanted != state.driving.watching || (read && state.driving.stale) {
            let watched_writes = state.driving.watching.is_some_and(|i| i.is_writable());
            if write && !watched_writes {
                // The socket has not taken everything: the write timeout starts.
                state.driving.output_moved = Instant::now();
            }
            let fd = self.socket.as_raw_fd();
            match self
                .hub
                .watch(self.token, fd, &mut state.driving.watching, wanted)
            {
                Ok(()) if read => state.driving.stale = false,
                Ok(()) => {}
                Err(error) => log::warn!("cannot watch the socket of {:?}: {error}", self.peer),
            }
        }
        if let Some(at) = self.next_deadline(state) {
            let at = self.hub.round_up(at);
            if state.driving.timer.is_none_or(|timer| at < timer) {
                state.driving.timer = Some(self.hub.schedule(self.token, at));
            }
        }
    }

    /// The next moment the poller must look at this connection without an event.
    fn next_deadline(&self, state: &State<R>) -> Option<Instant> {
        let driving = &state.driving;
        let mut deadlines = [None; 6];
        deadlines[0] = driving.caller_left.map(|left| left + CALLER_GRACE);
        deadlines[1] = driving.shut_at;
        deadlines[2] = match &state.phase {
            Phase::Handshake { until, sniff, .. } => Some(sniff.unwrap_or(*until).min(*until)),
            Phase::Telnet => state.role.deadline(),
        };
        if state.running() {
            // A timeout too long to add to the clock never comes.
            deadlines[3] = state
                .idle_timeout
                .and_then(|idle| state.last_input.checked_add(idle));
        }
        if driving.watching.is_some_and(|i| i.is_writable()) {
            deadlines[4] = self
                .config
                .write_timeout
                .and_then(|t| driving.output_moved.checked_add(t));
        }
        // Compressed bytes wait for room in the input buffer: go on with them.
        if state.wire_in.has_work()
            && driving.reader == Reader::Nobody
            && state.takes_input(self.config.max_input, self.config.max_outgoing)
        {
            deadlines[5] = Some(Instant::now());
        }
        deadlines.into_iter().flatten().min()
    }

    /// A deadline of the poller's has come: the caller's grace, a handshake's time,
    /// the idle timeout, a peer that takes no output, the end of a close, the role's.
    fn on_deadline(&self, now: Instant, scratch: &mut [u8]) {
        let mut state = self.state.lock();
        if state.driving.finished {
            return;
        }
        if state.driving.timer.is_some_and(|at| at <= now) {
            state.driving.timer = None;
        }
        if state
            .driving
            .caller_left
            .is_some_and(|left| left + CALLER_GRACE <= now)
        {
            state.driving.caller_left = None;
        }
        if let Phase::Handshake {
            sniff: Some(at), ..
        } = state.phase
        {
            if at <= now {
                receive::plain_after_silence(&mut state);
            }
        }
        if let Phase::Handshake { until, proxy, .. } = &state.phase {
            if *until <= now && state.end.is_none() {
                let failure = match proxy {
                    Some(_) => Failure::Proxy("no complete PROXY header in time".to_owned()),
                    None => Failure::Tls("the handshake did not finish in time".to_owned()),
                };
                log::info!("{:?}: {failure:?}; closing", self.peer);
                let end = End::Failed(failure);
                self.wind_down(&mut state, end, Duration::ZERO);
            }
        }
        if state.driving.shut_at.is_some_and(|at| at <= now) {
            self.shut(&mut state);
        }
        if let Some(idle) = state.idle_timeout {
            let due = state
                .last_input
                .checked_add(idle)
                .is_some_and(|at| at <= now);
            if state.running() && due {
                log::debug!("{:?} idle for {idle:?}; closing", self.peer);
                state.outgoing.extend_from_slice(b"\r\nTimeout.\r\n");
                self.wind_down(&mut state, End::Eof, REPLY_WRITE_BUDGET);
            }
        }
        if let Some(limit) = self.config.write_timeout {
            let waiting = state.driving.watching.is_some_and(|i| i.is_writable());
            let due = (state.driving.output_moved.checked_add(limit)).is_some_and(|at| at <= now);
            if waiting && due && state.end.is_none() {
                log::info!(
                    "{:?} took none of its output for {limit:?}; dropping it",
                    self.peer
                );
                let failure = Failure::Io {
                    kind: io::ErrorKind::TimedOut,
                    raw: None,
                    message: format!("the peer took none of its output for {limit:?}"),
                };
                self.wind_down(&mut state, End::Failed(failure), Duration::ZERO);
                self.shut(&mut state);
            }
        }
        if let Phase::Telnet = state.phase {
            state.role.on_deadline(now);
            state.commit_output();
        }
        self.refresh(&mut state);
        let pending_input = state.wire_in.has_work() && state.driving.reader == Reader::Nobody;
        let queued = state.queued() > 0;
        drop(state);
        if pending_input {
            self.poll_input(scratch, false);
        }
        if queued {
            self.push_now();
        }
    }
}

impl<R: Role> Driven for Shared<R> {
    fn on_ready(&self, ready: Ready, scratch: &mut [u8]) {
        if ready.writable {
            let before = self.state.lock().queued();
            self.push_now();
            let mut state = self.state.lock();
            // Below half the bound (or empty), whoever streams to this peer may
            // queue more: tell it once per crossing.
            let low = self.config.max_outgoing / 2;
            let after = state.queued();
            if before > 0 && (after == 0 || (before > low && after <= low)) {
                state.role.on_output_drained();
            }
        }
        if ready.readable {
            self.poll_input(scratch, ready.peer_closed);
        }
    }

    fn on_timer(&self, now: Instant, scratch: &mut [u8]) {
        self.on_deadline(now, scratch);
    }

    fn on_stop(&self) {
        let mut state = self.state.lock();
        state.closed = true;
        self.shut(&mut state);
    }
}

/// A connection that ends before its handshakes finished (a PROXY header still
/// awaited or refused, a TLS handshake stalled or failed), or, behind a load
/// balancer, before its peer sent a byte after the header, is no client: a
/// balancer's health check (HAProxy's v1 checks send a header and close), a scanner,
/// or a peer refused. It costs no handler.
fn mark_unserved<R>(state: &mut State<R>, proxied: bool) {
    let handshaking = matches!(state.phase, Phase::Handshake { .. });
    if handshaking || (proxied && !state.spoke) {
        state.unserved = true;
    }
}
