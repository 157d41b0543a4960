//! [`TelnetServer`]: a listening socket whose clients are served either one thread
//! each ([`serve`](TelnetServer::serve), [`accept`](TelnetServer::accept), like
//! telnetlib3's `BlockingTelnetServer`) or from the caller's game loop
//! ([`poll`](TelnetServer::poll), like miniboa).
//!
//! Threads: one acceptor, one poller that drives every connection nobody is reading
//! (negotiation, buffered input, queued output, deadlines such as `connect_maxwait`),
//! and in `serve` mode one handler per connection, which reads its own socket.
//! Shutdown and drop join them all.

mod builder;
mod comport;
mod connection;
mod exhaustion;
mod renegotiation;
mod trusted;
pub mod xterm;

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select};
use parking_lot::{Condvar, Mutex};

pub use builder::ServerBuilder;
pub use connection::ServerConnection;

use crate::connection::{Server, WeakConnection};
use crate::error::{Error, Result};
#[cfg(feature = "tls")]
use crate::io::Tls;
use crate::io::{Core, Poller};
use crate::proto::Opt;
use crate::role::{Notifier, ServerRole, Slot};
use crate::timeout::Timeout;
use builder::Settings;
use exhaustion::Exhaustion;

/// How long shutdown waits for handler threads to return once their connections are
/// closed, before leaving the stragglers behind (logged).
const HANDLER_JOIN_LIMIT: Duration = Duration::from_secs(2);

/// A callback of the game loop, run on the thread calling [`TelnetServer::poll`].
type LoopCallback = Box<dyn FnMut(&ServerConnection) + Send>;

/// One game-loop callback and the clients waiting for it.
#[derive(Default)]
struct CallbackSlot {
    callback: Option<LoopCallback>,
    /// A `poll` is calling the callback now (it is out of the slot).
    running: bool,
    backlog: std::collections::VecDeque<ServerConnection>,
}

/// The game loop's own state.
#[derive(Default)]
struct PollState {
    clients: Vec<ServerConnection>,
}

/// What the acceptor and the callers share.
struct Inner {
    settings: Settings,
    listener: TcpListener,
    stopping: AtomicBool,
    next_id: AtomicU64,
    live: Arc<AtomicUsize>,
    /// Accepted connections not yet handed out, by id.
    pending: Mutex<HashMap<u64, ServerConnection>>,
    /// Every connection ever accepted and still alive, for shutdown.
    all: Mutex<Vec<WeakConnection<Server>>>,
    settled_tx: Sender<u64>,
    settled_rx: Receiver<u64>,
    activity_tx: Sender<()>,
    activity_rx: Receiver<()>,
    /// Dropped at shutdown, which wakes every `select!` on `stop_rx`.
    stop_tx: Mutex<Option<Sender<()>>>,
    stop_rx: Receiver<()>,
    /// Handler threads still running (serve mode), and a condvar for shutdown.
    running_handlers: Mutex<usize>,
    handlers_done: Condvar,
}

/// What a [`TelnetServer::serve`] handler may return: nothing, or a `Result` whose
/// error is logged with the client's address when the handler ends with it (at
/// `warn`; at `debug` when it is this crate's `Eof` or `Closed`, a client that left).
pub trait HandlerOutcome {
    /// Reports how the handler of `client` ended.
    fn report(self, client: &str);
}

impl HandlerOutcome for () {
    fn report(self, _client: &str) {}
}

impl<T, E: std::fmt::Display + 'static> HandlerOutcome for std::result::Result<T, E> {
    fn report(self, client: &str) {
        let Err(error) = self else {
            return;
        };
        let left = (&error as &dyn std::any::Any)
            .downcast_ref::<Error>()
            .is_some_and(|e| matches!(e, Error::Eof { .. } | Error::Closed { .. }));
        if left {
            log::debug!("the handler of {client} ended: {error:#}");
        } else {
            log::warn!("the handler of {client} ended with an error: {error:#}");
        }
    }
}

/// A Telnet server. Build it with [`TelnetServer::builder`] or bind it with defaults
/// with [`TelnetServer::bind`].
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use telnetlib::{ServerConnection, TelnetConnection, TelnetServer};
///
/// let timeout = Some(Duration::from_secs(5));
/// let server = Arc::new(TelnetServer::bind("127.0.0.1:0")?);
/// let serving = Arc::clone(&server);
/// let thread = std::thread::spawn(move || {
///     serving.serve(|client: ServerConnection| {
///         let _ = client.send(&format!("Hello, {}! Type a line:\n", client.terminal_type()));
///         if let Some(line) = client.readline_str(None).ok() {
///             let _ = client.send(&format!("You said: {}\n", line.trim()));
///         }
///     })
/// });
///
/// let client = TelnetConnection::builder().terminal_type("xterm").connect(server.local_addr())?;
/// client.read_until(b"Type a line:\r\n", timeout)?;
/// client.write_str("hi there\n", timeout)?;
/// // The server echoes what we type (it performs ECHO), then answers.
/// let answer = client.read_until_str("You said: hi there\r\n", timeout)?;
/// assert!(answer.starts_with("hi there\r\n"));
/// server.shutdown();
/// thread.join().unwrap()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TelnetServer {
    inner: Arc<Inner>,
    /// Drives the connections nobody reads; the game loop drives it from `poll`.
    poller: Arc<Poller>,
    local_addr: SocketAddr,
    threads: Mutex<Vec<JoinHandle<()>>>,
    handlers: Mutex<Vec<JoinHandle<()>>>,
    poll_state: Mutex<PollState>,
    on_connect: Mutex<CallbackSlot>,
    on_disconnect: Mutex<CallbackSlot>,
}

impl std::fmt::Debug for TelnetServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelnetServer")
            .field("local_addr", &self.local_addr)
            .field("connections", &self.client_count())
            .finish()
    }
}

impl TelnetServer {
    /// Settings beyond the defaults.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::new()
    }

    /// Binds with the default settings.
    pub fn bind<A: std::net::ToSocketAddrs + std::fmt::Debug>(address: A) -> Result<TelnetServer> {
        ServerBuilder::new().bind(address)
    }

    pub(crate) fn start(listener: TcpListener, settings: Settings) -> Result<TelnetServer> {
        let local_addr = listener.local_addr().map_err(|source| Error::Io {
            operation: "bind",
            peer: None,
            source,
        })?;
        let (settled_tx, settled_rx) = crossbeam_channel::unbounded();
        let (activity_tx, activity_rx) = crossbeam_channel::bounded(1);
        let (stop_tx, stop_rx) = crossbeam_channel::bounded(0);
        let inner = Arc::new(Inner {
            settings,
            listener,
            stopping: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            live: Arc::new(AtomicUsize::new(0)),
            pending: Mutex::new(HashMap::new()),
            all: Mutex::new(Vec::new()),
            settled_tx,
            settled_rx,
            activity_tx,
            activity_rx,
            stop_tx: Mutex::new(Some(stop_tx)),
            stop_rx,
            running_handlers: Mutex::new(0),
            handlers_done: Condvar::new(),
        });
        let poller =
            Poller::start(format!("telnet-poll-{}", local_addr.port())).map_err(|source| {
                Error::Io {
                    operation: "start server thread",
                    peer: None,
                    source,
                }
            })?;
        let spawn = |name: &str, body: Box<dyn FnOnce() + Send>| {
            thread::Builder::new()
                .name(name.to_owned())
                .stack_size(128 << 10)
                .spawn(body)
                .map_err(|source| Error::Io {
                    operation: "start server thread",
                    peer: None,
                    source,
                })
        };
        let acceptor_inner = Arc::clone(&inner);
        let acceptor_poller = Arc::clone(&poller);
        let acceptor = spawn(
            &format!("telnet-accept-{}", local_addr.port()),
            Box::new(move || accept_loop(&acceptor_inner, &acceptor_poller)),
        )?;
        Ok(TelnetServer {
            inner,
            poller,
            local_addr,
            threads: Mutex::new(vec![acceptor]),
            handlers: Mutex::new(Vec::new()),
            poll_state: Mutex::new(PollState::default()),
            on_connect: Mutex::new(CallbackSlot::default()),
            on_disconnect: Mutex::new(CallbackSlot::default()),
        })
    }

    /// The bound address (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Live connections: negotiating, handed out, or in the game loop.
    pub fn client_count(&self) -> usize {
        self.inner.live.load(Ordering::SeqCst)
    }

    /// The next connection whose negotiation has settled (or whose `connect_maxwait`
    /// passed, or, for a peer that has sent nothing at all, whose `silent_peer_wait`
    /// passed). `Timeout` when none comes in time, `Closed` after shutdown.
    pub fn accept(&self, timeout: impl Into<Timeout>) -> Result<ServerConnection> {
        let deadline = timeout.into().deadline();
        loop {
            if self.inner.stopping.load(Ordering::SeqCst) {
                return Err(Error::Closed {
                    operation: "accept",
                });
            }
            let never = crossbeam_channel::never();
            let timer = match deadline {
                Some(at) => crossbeam_channel::at(at),
                None => never,
            };
            select! {
                recv(self.inner.settled_rx) -> id => {
                    if let Some(connection) = id.ok().and_then(|id| self.inner.hand_out(id)) {
                        return Ok(connection);
                    }
                }
                recv(self.inner.stop_rx) -> _ => return Err(Error::Closed { operation: "accept" }),
                recv(timer) -> _ => return Err(Error::Timeout { operation: "accept", peer: None, unmet: None }),
            }
        }
    }

    /// Serves every client with `handler` on a thread of its own until
    /// [`shutdown`](Self::shutdown); the connection is closed when the handler returns.
    /// The handler may return nothing or a `Result` (so `?` works inside it); an error
    /// it ends with is logged with the client's address. A handler that panics ends
    /// its own connection only. Returns `Ok(())` after shutdown.
    pub fn serve<F, O>(&self, handler: F) -> Result<()>
    where
        F: Fn(ServerConnection) -> O + Send + Sync + 'static,
        O: HandlerOutcome,
    {
        let handler = Arc::new(handler);
        loop {
            let connection = match self.accept(None) {
                Ok(connection) => connection,
                Err(Error::Closed { .. }) => return Ok(()),
                Err(other) => return Err(other),
            };
            self.spawn_handler(connection, Arc::clone(&handler));
        }
    }

    fn spawn_handler<F, O>(&self, connection: ServerConnection, handler: Arc<F>)
    where
        F: Fn(ServerConnection) -> O + Send + Sync + 'static,
        O: HandlerOutcome,
    {
        *self.inner.running_handlers.lock() += 1;
        let inner = Arc::clone(&self.inner);
        let client = connection.clone();
        let spawned = thread::Builder::new()
            .name(format!("telnet-handler-{}", connection.addrport()))
            .stack_size(self.inner.settings.handler_stack_size)
            .spawn(move || {
                let outcome = catch_unwind(AssertUnwindSafe(|| handler(client.clone())));
                if let Ok(outcome) = outcome {
                    outcome.report(&client.addrport());
                } else {
                    log::warn!(
                        "the handler of {} panicked; its connection is closed",
                        client.addrport()
                    );
                }
                client.close();
                let mut running = inner.running_handlers.lock();
                *running -= 1;
                inner.handlers_done.notify_all();
            });
        match spawned {
            Ok(handle) => {
                let mut handlers = self.handlers.lock();
                handlers.retain(|h| !h.is_finished());
                handlers.push(handle);
            }
            Err(error) => {
                log::warn!(
                    "no thread for {}: {error}; refusing it",
                    connection.addrport()
                );
                *self.inner.running_handlers.lock() -= 1;
                let _ = connection.send(&self.inner.settings.refusal);
                connection.close();
            }
        }
    }

    /// Sets the game loop's callback for a new client (run by [`poll`](Self::poll)).
    pub fn set_on_connect(&self, callback: impl FnMut(&ServerConnection) + Send + 'static) {
        self.on_connect.lock().callback = Some(Box::new(callback));
    }

    /// Sets the game loop's callback for a client that left or was deactivated.
    pub fn set_on_disconnect(&self, callback: impl FnMut(&ServerConnection) + Send + 'static) {
        self.on_disconnect.lock().callback = Some(Box::new(callback));
    }

    /// The game loop's clients, in the order they connected.
    pub fn clients(&self) -> Vec<ServerConnection> {
        self.poll_state.lock().clients.clone()
    }

    /// One turn of the miniboa game loop, on the caller's thread: waits up to
    /// `timeout` for something to happen, then calls `on_connect` for each new client
    /// (whose negotiation settled) and `on_disconnect` exactly once for each client
    /// that left or was deactivated (which is then closed and dropped from
    /// [`clients`](Self::clients)). Lines typed by clients wait in each one's
    /// [`get_command`](ServerConnection::get_command).
    ///
    /// While it waits, this thread does the server's network work itself, as a
    /// `select` loop would: it reads the sockets that have data, answers negotiation
    /// and writes what `send` left queued. Between calls (a game tick) the server's
    /// poller thread takes that work over after a few milliseconds. `poll` never waits
    /// for a slow client: a client that reads nothing only fills its own bounded
    /// queue.
    pub fn poll(&self, timeout: impl Into<Timeout>) -> Result<()> {
        if self.inner.stopping.load(Ordering::SeqCst) {
            return Err(Error::Closed { operation: "poll" });
        }
        // This thread does the poller's work until something happens (the poller
        // thread stands by meanwhile), holding no lock: other threads may look at
        // `clients()`.
        let deadline = timeout.into().deadline();
        let mut settled: Vec<u64> = Vec::new();
        loop {
            settled.extend(self.inner.settled_rx.try_iter());
            if self.inner.stopping.load(Ordering::SeqCst) {
                return Err(Error::Closed { operation: "poll" });
            }
            if self.inner.activity_rx.try_recv().is_ok() || !settled.is_empty() {
                break;
            }
            let left = match deadline {
                Some(at) => at.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                break;
            }
            if !self.poller.hub().drive(left) {
                // Called from within the poller's own work (a hook): just wait.
                select! {
                    recv(self.inner.settled_rx) -> id => settled.extend(id.ok()),
                    recv(self.inner.activity_rx) -> _ => {}
                    recv(self.inner.stop_rx) -> _ => return Err(Error::Closed { operation: "poll" }),
                    default(left) => {}
                }
                break;
            }
        }
        let (joined, left) = {
            let mut state = self.poll_state.lock();
            let joined: Vec<ServerConnection> = settled
                .into_iter()
                .filter_map(|id| self.inner.hand_out(id))
                .collect();
            for client in &joined {
                client.enter_game_loop();
            }
            state.clients.extend(joined.iter().cloned());
            let mut left = Vec::new();
            state.clients.retain(|client| {
                let active = client.active();
                if !active {
                    left.push(client.clone());
                }
                active
            });
            (joined, left)
        };
        // Callbacks run with no lock held, so they may call `clients()`, `send` to
        // everyone, or even `poll` again.
        for client in &joined {
            self.run_callback(&self.on_connect, client, false);
        }
        for client in &left {
            self.run_callback(&self.on_disconnect, client, true);
        }
        Ok(())
    }

    /// Runs a game-loop callback for `client`, exactly once, even when another `poll`
    /// (nested in a callback, or on another thread) is running that callback now: the
    /// client then waits in the slot's backlog for that run to take it.
    fn run_callback(
        &self,
        slot: &Mutex<CallbackSlot>,
        client: &ServerConnection,
        close_after: bool,
    ) {
        let mut guard = slot.lock();
        if guard.running {
            guard.backlog.push_back(client.clone());
            return; // the running one drains the backlog
        }
        let Some(mut callback) = guard.callback.take() else {
            drop(guard);
            if close_after {
                client.close();
            }
            return;
        };
        guard.running = true;
        guard.backlog.push_back(client.clone());
        while let Some(next) = guard.backlog.pop_front() {
            drop(guard);
            callback(&next);
            if close_after {
                next.close();
            }
            guard = slot.lock();
        }
        guard.running = false;
        // Keep a callback the callback itself installed meanwhile.
        if guard.callback.is_none() {
            guard.callback = Some(callback);
        }
    }

    /// Stops accepting, sends what every connection has queued (bounded), closes them,
    /// and joins every thread the server started (handlers get up to two seconds to
    /// return once their connections are closed). Idempotent; `Drop` calls it.
    pub fn shutdown(&self) {
        if self.inner.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        drop(self.inner.stop_tx.lock().take());
        // A game loop waiting in `poll` returns now.
        self.poller.hub().wake();
        // Wake the acceptor out of accept(): shut the listener, and connect to it in
        // case the platform does not wake on that.
        let _ = socket2::SockRef::from(&self.inner.listener).shutdown(std::net::Shutdown::Read);
        let _ =
            TcpStream::connect_timeout(&wake_address(self.local_addr), Duration::from_millis(200));
        for handle in self.threads.lock().drain(..) {
            let _ = handle.join();
        }
        let connections: Vec<ServerConnection> = self
            .inner
            .all
            .lock()
            .drain(..)
            .filter_map(|weak| weak.upgrade())
            .collect();
        // Every close starts at once; the poller sends what each has queued (bounded)
        // while we wait for them all, and for those the game loop had closed already.
        connections
            .iter()
            .for_each(|connection| connection.core().close_soon());
        let deadline = Instant::now() + crate::io::CLOSE_WAIT_LIMIT;
        self.poller.hub().wait_empty(deadline);
        self.inner.pending.lock().clear();
        self.poll_state.lock().clients.clear();
        let deadline = Instant::now() + HANDLER_JOIN_LIMIT;
        let mut running = self.inner.running_handlers.lock();
        while *running > 0 {
            if self
                .inner
                .handlers_done
                .wait_until(&mut running, deadline)
                .timed_out()
            {
                log::warn!("{} handler threads did not return after shutdown", *running);
                break;
            }
        }
        drop(running);
        for handle in self.handlers.lock().drain(..) {
            if handle.is_finished() {
                let _ = handle.join();
            }
        }
    }
}

impl Drop for TelnetServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Where to connect to wake our own acceptor (an unspecified address is not
/// connectable).
fn wake_address(local: SocketAddr) -> SocketAddr {
    let mut address = local;
    if address.ip().is_unspecified() {
        address.set_ip(match address {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    address
}

/// The acceptor thread: accepts, refuses over the limit, and starts each connection
/// on the server's poller.
fn accept_loop(inner: &Arc<Inner>, poller: &Arc<Poller>) {
    let mut exhaustion = Exhaustion::default();
    loop {
        let accepted = inner.listener.accept();
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
        match accepted {
            Ok((socket, peer)) => {
                exhaustion.ended();
                admit_socket(inner, socket, peer, poller);
            }
            Err(error) if Exhaustion::caused(&error) => {
                let pause = exhaustion.failed(&error);
                // Shutdown drops the sender, which ends the pause at once.
                if inner.stop_rx.recv_timeout(pause)
                    != Err(crossbeam_channel::RecvTimeoutError::Timeout)
                {
                    return;
                }
            }
            Err(error) => {
                log::warn!("accept failed: {error}");
                if error.kind() == std::io::ErrorKind::InvalidInput {
                    return;
                }
            }
        }
    }
}

impl Inner {
    /// The connection `id`, settled or gone, to be handed out; `None` for one that
    /// ended before its Telnet stream began (a balancer's health check), which is
    /// dropped here without ever reaching the application.
    fn hand_out(&self, id: u64) -> Option<ServerConnection> {
        let connection = self.pending.lock().remove(&id)?;
        if connection.core().lock().unserved {
            log::debug!("{:?} was a health check", connection.core().shared.peer);
            return None;
        }
        Some(connection)
    }
}

fn refuse(mut socket: TcpStream, message: &str) {
    let _ = socket.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = socket.write_all(message.as_bytes());
    let _ = socket.shutdown(std::net::Shutdown::Both);
}

fn admit_socket(inner: &Arc<Inner>, socket: TcpStream, peer: SocketAddr, poller: &Arc<Poller>) {
    let settings = &inner.settings;
    if !settings.proxy_from.is_empty() {
        // The address accept gave: a health check reset at once has no peer_addr().
        let ip = peer.ip();
        let trusted = settings
            .proxy_from
            .iter()
            .any(|network| network.contains(ip));
        if !trusted {
            // Not one of the balancers: it could forge any client address.
            log::warn!("refusing {peer}: not a trusted proxy (proxy_from)");
            let _ = socket.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
    if inner.live.load(Ordering::SeqCst) >= settings.max_connections {
        log::info!(
            "refusing {:?}: {} connections",
            socket.peer_addr(),
            settings.max_connections
        );
        return refuse(socket, &settings.refusal);
    }
    let _ = socket.set_nodelay(settings.connection.nodelay);
    let id = inner.next_id.fetch_add(1, Ordering::SeqCst);
    let notifier = Notifier {
        id,
        settled: inner.settled_tx.clone(),
        activity: inner.activity_tx.clone(),
    };
    let connection = &settings.connection;
    // NAWS is taken without WILL NAWS, as telnetlib3 does (its tests assert it): a
    // window size is four bytes, and some clients send it unasked.
    let link = connection.link(settings.policy.clone(), &[Opt::NAWS]);
    #[cfg(feature = "tls")]
    let tls = match settings.tls.as_ref().map(Tls::server).transpose() {
        Ok(tls) => tls,
        Err(why) => {
            log::warn!("cannot start TLS for {:?}: {why}", socket.peer_addr());
            return;
        }
    };
    #[cfg(not(feature = "tls"))]
    let tls = None;
    let config = settings.core.clone();
    // Held while the connection starts, so a connection that settles at once is found.
    let mut pending = inner.pending.lock();
    inner.live.fetch_add(1, Ordering::SeqCst);
    let slot = Slot(Arc::clone(&inner.live));
    let role = ServerRole::new(Arc::clone(&settings.role), Some(notifier), Some(slot));
    let refusal_socket = socket.try_clone();
    let core = match Core::start(socket, link, role, config, tls, Arc::clone(poller)) {
        Ok(core) => core,
        Err(error) => {
            log::warn!("cannot start a connection: {error}; refusing it");
            if let Ok(socket) = refusal_socket {
                refuse(socket, &settings.refusal);
            }
            return;
        }
    };
    let connection = ServerConnection::new(core);
    inner.all.lock().retain(|weak| !weak.is_gone());
    inner.all.lock().push(connection.downgrade());
    log::debug!("accepted {:?} as #{id}", connection.peer_addr());
    pending.insert(id, connection);
}
