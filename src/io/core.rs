//! [`Core`]: a running connection, and the calls every connection type is built on:
//! waiting for input (reading the socket itself when nobody else does, see `shared`),
//! queueing and writing output (see `output`), and closing.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::timeout::Timeout;

use super::app_data::AppData;
use super::config::CoreConfig;
use super::decide;
use super::link::{EventHook, Link, Role};
use super::poller::Poller;
use super::receive;
use super::shared::{ReadSide, Shared};
use super::socket::{self, SocketTimeout};
use super::state::{End, Phase, State};
use super::tls::Tls;

/// How long `close` spends sending what is still queued before it shuts the socket.
pub(crate) const CLOSE_FLUSH_LIMIT: Duration = Duration::from_secs(1);

/// How long a second `close` (or a server's shutdown) waits for a close under way.
pub(crate) const CLOSE_WAIT_LIMIT: Duration = Duration::from_millis(1_500);

/// The longest `tls_auto` wait honoured: a day.
const MAX_HANDSHAKE_WAIT: Duration = Duration::from_secs(86_400);

/// A running connection: the shared state, and a handle that keeps its poller running.
pub(crate) struct Core<R: Role> {
    pub shared: Arc<Shared<R>>,
    _poller: Arc<Poller>,
}

impl<R: Role> Core<R> {
    /// Starts a connection over `socket`, driven by `poller` while nobody reads it.
    /// The role's start-up requests go out at once, or, with a PROXY header or TLS to
    /// come first, once those are done.
    pub fn start(
        socket: TcpStream,
        link: Link,
        role: R,
        config: CoreConfig,
        tls: Option<Tls>,
        poller: Arc<Poller>,
    ) -> Result<Core<R>> {
        let handshakes = config.proxy_protocol || tls.is_some();
        let tls_auto = config.tls_auto.map(|wait| wait.min(MAX_HANDSHAKE_WAIT));
        let now = Instant::now();
        let phase = match handshakes {
            true => Phase::Handshake {
                proxy: config.proxy_protocol.then(Vec::new),
                // A `tls_auto` wait comes before the handshake's own time (cut to a
                // day, so the sum never overflows the clock).
                until: now
                    + config.handshake_timeout.min(MAX_HANDSHAKE_WAIT)
                    + tls_auto.unwrap_or_default(),
                sniff: tls_auto.filter(|_| tls.is_some()).map(|wait| now + wait),
            },
            false => Phase::Telnet,
        };
        let proxied_peer = Arc::new(OnceLock::new());
        let mut link = link;
        if let Some(decider) = &config.decide {
            decide::install(
                &mut link.engine,
                decider,
                socket.peer_addr().ok(),
                &proxied_peer,
                tls.is_some(),
            );
        }
        let mut state = State::new(link, role, phase, tls);
        state.idle_timeout = config.idle_timeout;
        if let State {
            tls: Some(tls),
            unsent,
            ..
        } = &mut state
        {
            tls.start(unsent.tail());
        }
        if !handshakes {
            receive::start(&mut state);
        }
        let decoder = state.link.charset.decoder();
        let shared = poller.hub().add(|token| {
            Arc::new(Shared {
                state: Mutex::new(state),
                changed: Condvar::new(),
                reading: Mutex::new(ReadSide {
                    decoder,
                    decoder_generation: 0,
                    carry: Vec::new(),
                    skip_lf: false,
                }),
                peer: socket.peer_addr().ok(),
                local: socket.local_addr().ok(),
                socket,
                writer: Mutex::new(()),
                hook: Mutex::new(None),
                proxied_peer,
                config,
                hub: Arc::clone(poller.hub()),
                token,
                read_timeout: SocketTimeout::default(),
                write_timeout: SocketTimeout::default(),
                never_wait: AtomicBool::new(false),
                app_data: Mutex::new(AppData::default()),
            })
        });
        shared.refresh(&mut shared.state.lock());
        // Start-up requests are a few bytes into an empty send buffer.
        shared.push_now();
        Ok(Core {
            shared,
            _poller: poller,
        })
    }

    /// The peer: the real client named by a PROXY protocol header, else the socket's.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.shared.proxied_peer.get().copied().or(self.shared.peer)
    }

    /// The socket's peer when a PROXY header named another client: the balancer.
    pub fn balancer(&self) -> Option<SocketAddr> {
        self.shared.proxied_peer.get().and(self.shared.peer)
    }

    /// Changes how long the connection may go without input before it is closed;
    /// the poller's timer follows.
    pub fn set_idle_timeout(&self, idle: Option<Duration>) {
        let mut state = self.lock();
        state.idle_timeout = idle;
        self.shared.refresh(&mut state);
    }

    pub fn lock(&self) -> MutexGuard<'_, State<R>> {
        self.shared.state.lock()
    }

    /// The deadline for a call: its own timeout, or the connection's default.
    pub fn deadline_for(&self, timeout: Timeout) -> Option<Instant> {
        timeout.or(self.shared.config.default_timeout).deadline()
    }

    /// The error of `operation` when its deadline passed with nothing to answer.
    pub fn timed_out(&self, operation: &'static str) -> Error {
        Error::Timeout {
            operation,
            peer: self.peer(),
            unmet: None,
        }
    }

    /// Refuses a text method on a bytes-only connection.
    pub fn check_text(&self, operation: &'static str) -> Result<()> {
        if self.shared.config.bytes_only {
            return Err(Error::InvalidInput {
                message: format!(
                    "{operation}: the connection is bytes-only (ConnectionConfig::bytes_only); use the byte methods"
                ),
            });
        }
        Ok(())
    }

    /// From now on, `close` never waits for the socket: what is queued is sent by the
    /// poller (for up to [`CLOSE_FLUSH_LIMIT`]) after `close` has returned.
    pub fn never_wait(&self) {
        self.shared.never_wait.store(true, Ordering::SeqCst);
    }

    /// Waits until `ready` gives an answer, the deadline passes (`Timeout`), or the
    /// connection is closed by this side (`Closed`). `ready` runs with the state
    /// locked, first at once and then after each change. While it has no answer and
    /// nobody else reads the socket, this thread reads it.
    pub fn wait<T>(
        &self,
        operation: &'static str,
        deadline: Option<Instant>,
        mut ready: impl FnMut(&mut State<R>) -> Option<Result<T>>,
    ) -> Result<T> {
        let shared = &*self.shared;
        let mut state = shared.state.lock();
        loop {
            if state.closed {
                return Err(Error::Closed { operation });
            }
            if let Some(answer) = ready(&mut state) {
                state.commit_output();
                // A read may have made room for more input, a request may have
                // queued bytes.
                shared.refresh(&mut state);
                let queued = state.queued() > 0;
                drop(state);
                if queued {
                    shared.push_now();
                }
                return answer;
            }
            if deadline.is_some_and(|at| Instant::now() >= at) {
                return Err(self.timed_out(operation));
            }
            if shared.may_read(&mut state) {
                shared.read_once(&mut state, deadline, None);
                continue;
            }
            shared.wait_for_change(&mut state, deadline);
        }
    }

    /// [`wait`](Self::wait) with a deadline that has passed already: `ready` runs
    /// once, on what is buffered, and the socket is not read.
    pub fn check<T>(
        &self,
        operation: &'static str,
        ready: impl FnOnce(&mut State<R>) -> Option<Result<T>>,
    ) -> Result<T> {
        let mut state = self.lock();
        if state.closed {
            return Err(Error::Closed { operation });
        }
        match ready(&mut state) {
            Some(answer) => {
                state.commit_output();
                self.shared.refresh(&mut state);
                answer
            }
            None => Err(self.timed_out(operation)),
        }
    }

    /// Copies buffered data into `buf`, waiting like [`wait`](Self::wait) for some;
    /// when nothing is buffered and this thread reads the socket, it reads straight
    /// into `buf`. `before` runs first on each look (the reader's own bookkeeping).
    pub fn read_into(
        &self,
        operation: &'static str,
        deadline: Option<Instant>,
        buf: &mut [u8],
        mut before: impl FnMut(&mut State<R>),
    ) -> Result<usize> {
        let shared = &*self.shared;
        let mut state = shared.state.lock();
        loop {
            if state.closed {
                return Err(Error::Closed { operation });
            }
            before(&mut state);
            if !state.input.is_empty() {
                let n = buf.len().min(state.input.len());
                buf[..n].copy_from_slice(&state.input.as_slice()[..n]);
                state.input.discard(n);
                shared.refresh(&mut state);
                return Ok(n);
            }
            if let Some(end) = state.end_error(operation, self.peer()) {
                return Err(end);
            }
            if deadline.is_some_and(|at| Instant::now() >= at) {
                return Err(self.timed_out(operation));
            }
            if shared.may_read(&mut state) {
                if let Some(n) = shared.read_once(&mut state, deadline, Some(&mut *buf)) {
                    return Ok(n);
                }
                continue;
            }
            shared.wait_for_change(&mut state, deadline);
        }
    }

    /// Queues bytes produced by `produce` (with the state locked, after the outgoing
    /// backlog is under its limit) and writes them out before the deadline.
    ///
    /// On `Timeout` the bytes already queued stay queued, in order, and leave with the
    /// next write or flush, or with the poller; nothing queued is ever dropped.
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
    /// writing them is not an error: they leave later. For `io::Write::write`, whose
    /// caller would otherwise send them twice.
    pub fn send_accepted(
        &self,
        operation: &'static str,
        deadline: Option<Instant>,
        produce: impl FnOnce(&mut State<R>),
    ) -> Result<()> {
        self.enqueue(operation, deadline, produce)?;
        match self.shared.pump(deadline, true) {
            Err(error) if !socket::is_timeout(&error) => Err(self.write_error(operation, error)),
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
                if state.write_shut {
                    return Err(self.write_shut_error(operation));
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
    /// leaves the rest to the poller, in order. A game loop sending to many clients
    /// never stalls on one that stopped reading.
    pub fn queue(
        &self,
        operation: &'static str,
        produce: impl FnOnce(&mut State<R>),
    ) -> Result<()> {
        {
            let mut state = self.lock();
            if state.closed {
                return Err(Error::Closed { operation });
            }
            if state.write_shut {
                return Err(self.write_shut_error(operation));
            }
            if state.queued() >= self.shared.config.max_outgoing {
                // What the socket takes now may make room.
                drop(state);
                self.shared.push_now();
                state = self.lock();
                if state.queued() >= self.shared.config.max_outgoing {
                    return Err(Error::OutputFull {
                        operation,
                        peer: self.peer(),
                        limit: self.shared.config.max_outgoing,
                    });
                }
            }
            produce(&mut state);
            state.commit_output();
        }
        self.shared.push_now();
        Ok(())
    }

    /// How many bytes wait to be written.
    pub fn queued(&self) -> usize {
        self.lock().queued()
    }

    /// Half-closes the connection: sends what is queued (and, over TLS, its
    /// `close_notify`) before `deadline`, then shuts the socket's writing side. The
    /// peer reads the end of the stream; reading goes on. Calling it again does
    /// nothing.
    pub fn write_eof(&self, deadline: Option<Instant>) -> Result<()> {
        self.flush(deadline)?;
        {
            let mut state = self.lock();
            if state.write_shut {
                return Ok(());
            }
            if state.tls.is_some() {
                state.encode_queued();
                let State { tls, unsent, .. } = &mut *state;
                if let Some(tls) = tls.as_mut() {
                    tls.close(unsent.tail());
                }
            }
        }
        self.flush(deadline)?;
        self.lock().write_shut = true;
        self.shared
            .socket
            .shutdown(std::net::Shutdown::Write)
            .map_err(|error| self.write_error("write_eof", error))
    }

    fn write_shut_error(&self, operation: &'static str) -> Error {
        Error::Io {
            operation,
            peer: self.peer(),
            source: io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the writing side is shut (write_eof)",
            ),
        }
    }

    fn write_error(&self, operation: &'static str, error: io::Error) -> Error {
        if socket::is_timeout(&error) {
            return self.timed_out(operation);
        }
        Error::Io {
            operation,
            peer: self.peer(),
            source: error,
        }
    }

    pub fn set_hook(&self, hook: Option<EventHook>) {
        *self.shared.hook.lock() = hook;
    }

    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Sends what is queued (for at most [`CLOSE_FLUSH_LIMIT`]), shuts the socket down,
    /// wakes every waiter and leaves the poller. Idempotent: a second call waits for
    /// the first to finish.
    ///
    /// On a thread that must not wait (the poller's, or any once
    /// [`never_wait`](Self::never_wait) was called) it is [`close_soon`](Self::close_soon).
    /// Bytes that could not be sent are not dropped silently: they stay counted in
    /// [`queued`](Self::queued) and a warning is logged.
    pub fn close(&self) {
        let shared = &*self.shared;
        if shared.hub.is_poller_thread() || shared.never_wait.load(Ordering::SeqCst) {
            return self.close_soon();
        }
        if shared.begin_close() {
            let flushed = shared.pump(Instant::now().checked_add(CLOSE_FLUSH_LIMIT), true);
            if let Err(error) = flushed {
                // A health check's greeting had nobody to go to: not worth a warning.
                if !self.lock().unserved {
                    log::warn!(
                        "closing the connection to {:?}: {} queued bytes were not sent ({error})",
                        self.peer(),
                        self.queued()
                    );
                }
            }
            shared.shut(&mut shared.state.lock());
        } else {
            self.wait_closed(Instant::now() + CLOSE_WAIT_LIMIT);
        }
    }

    /// Closes without waiting: every call fails with `Closed` from now on, and the
    /// poller sends what is queued (for at most [`CLOSE_FLUSH_LIMIT`]), then shuts the
    /// socket.
    pub fn close_soon(&self) {
        let shared = &*self.shared;
        if !shared.begin_close() {
            return;
        }
        shared.push_now();
        let mut state = shared.state.lock();
        if state.queued() == 0 || state.driving.shut {
            shared.shut(&mut state);
        } else if !state.driving.finished {
            state.driving.shut_at = Some(Instant::now() + CLOSE_FLUSH_LIMIT);
            shared.refresh(&mut state);
        }
    }

    /// Waits (until `deadline` at the latest) for a close under way to finish.
    pub fn wait_closed(&self, deadline: Instant) {
        let shared = &*self.shared;
        let mut state = shared.state.lock();
        while !state.driving.finished {
            if shared.changed.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
    }
}

impl<R: Role> Drop for Core<R> {
    fn drop(&mut self) {
        self.close();
    }
}
