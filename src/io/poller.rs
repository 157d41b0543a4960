//! The shared poller: one thread that does the background work of many connections.
//!
//! A connection nobody is reading is registered here for readiness (through `mio`:
//! epoll, kqueue, …). When its socket becomes readable the poller reads it, runs the
//! engine and answers negotiation; when queued output can move, it writes it; and each
//! connection has one timer here for its deadlines (idle timeout, handshakes, handing a
//! server connection out, closing). A thread that waits for input reads its own socket
//! instead, and the connection is then not watched for reading (see `core`).
//!
//! A server has a poller of its own; client connections share one, started with the
//! first and stopped with the last. The thread ends when the last [`Poller`] handle is
//! dropped, which joins it.
//!
//! A server's game loop drives its poller itself: while a thread waits in
//! [`Hub::drive`] (the server's `poll`), it waits for readiness and does the
//! poller's work on its own thread, as a `select` loop would, and the poller thread
//! stands by. The poller thread takes over again when no game loop has driven for
//! [`STANDBY`], so negotiation is still answered while the game runs a long tick.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, OnceLock, Weak};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use parking_lot::{Condvar, Mutex};

/// What a socket is ready for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ready {
    pub readable: bool,
    pub writable: bool,
    /// The peer's side is closed (or the socket failed): the end of stream is
    /// waiting behind whatever data came with it, and no new event will say so.
    pub peer_closed: bool,
}

/// A connection the poller drives. Both calls run on the poller thread and must not
/// block: every socket call they make is non-blocking.
pub(crate) trait Driven: Send + Sync {
    /// The socket is ready. `scratch` is the poller's read buffer, shared by all.
    fn on_ready(&self, ready: Ready, scratch: &mut [u8]);
    /// A timer set with [`Hub::schedule`] is due (or a stale one: check the time).
    fn on_timer(&self, now: Instant, scratch: &mut [u8]);
    /// The poller stops while the connection is still here (it was closing in the
    /// background): end it now.
    fn on_stop(&self);
}

/// The size of the poller's one read buffer.
const SCRATCH: usize = 64 * 1024;
/// The waker's token; connection tokens are slot numbers with a generation above it.
const WAKER: Token = Token(usize::MAX);
/// Readiness events taken per wait.
const EVENTS: usize = 256;
/// How long the poller thread leaves the work to a game loop that drives it: after
/// this long without a `drive`, it takes over.
pub(crate) const STANDBY: Duration = Duration::from_millis(10);
/// The granularity of the timers: at most one wake-up per slot for all of them.
const TIMER_SLOT: Duration = Duration::from_millis(4);

thread_local! {
    /// This thread is doing a poller's work now (the poller thread, or a game loop in
    /// `drive`): it must never wait on a connection.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// One place in the table: the connection there, and how often the place was reused
/// (so a late event or timer for a connection that left cannot reach its successor).
struct Slot {
    generation: u32,
    entry: Option<Arc<dyn Driven>>,
}

#[derive(Default)]
struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Connections in the table.
    count: usize,
    timers: BinaryHeap<Reverse<(Instant, usize)>>,
    /// When the poller thread will wake by itself; `None`: only for an event.
    wakes_at: Option<Instant>,
    /// The poller is past its wait and will look at the timers before waiting again.
    awake: bool,
    stopping: bool,
}

impl Table {
    fn get(&self, token: Token) -> Option<Arc<dyn Driven>> {
        let (index, generation) = split(token);
        let slot = self.slots.get(index)?;
        (slot.generation == generation)
            .then(|| slot.entry.clone())
            .flatten()
    }
}

/// A token names a slot and its generation.
fn split(token: Token) -> (usize, u32) {
    (token.0 & 0xffff_ffff, (token.0 >> 32) as u32)
}

fn join(index: u32, generation: u32) -> Token {
    Token((index as usize) | ((generation as usize) << 32))
}

/// What one turn of polling needs; whoever holds it polls.
struct Driver {
    poll: Poll,
    events: Events,
    scratch: Vec<u8>,
    due: Vec<(Arc<dyn Driven>, Option<Ready>)>,
}

/// Game loops driving the poller, for the poller thread to stand by.
#[derive(Default)]
struct Standby {
    /// Threads in `drive` now.
    driving: usize,
    /// When a game loop last left `drive`.
    last: Option<Instant>,
}

impl Standby {
    /// Whether the poller thread should leave the work to a game loop now; if so,
    /// until when at most.
    fn until(&self, now: Instant) -> Option<Instant> {
        if self.driving > 0 {
            return Some(now + STANDBY);
        }
        self.last
            .map(|last| last + STANDBY)
            .filter(|&until| until > now)
    }
}

/// What connections use of the poller: registration, timers.
pub(crate) struct Hub {
    registry: Registry,
    waker: Waker,
    table: Mutex<Table>,
    driver: Mutex<Driver>,
    standby: Mutex<Standby>,
    standby_changed: Condvar,
    /// Notified when the last connection leaves the table.
    emptied: Condvar,
    /// Timers are rounded to slots counted from here.
    epoch: Instant,
    thread: OnceLock<ThreadId>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

impl Hub {
    /// Adds a connection made by `make` from its token. It is watched for nothing
    /// until [`watch`](Self::watch) says what.
    pub fn add<T: Driven + 'static>(&self, make: impl FnOnce(Token) -> Arc<T>) -> Arc<T> {
        let mut table = self.table.lock();
        let index = match table.free.pop() {
            Some(index) => index,
            None => {
                table.slots.push(Slot {
                    generation: 0,
                    entry: None,
                });
                u32::try_from(table.slots.len() - 1).expect("fewer than 2^32 connections")
            }
        };
        table.count += 1;
        let slot = &mut table.slots[index as usize];
        let entry = make(join(index, slot.generation));
        slot.entry = Some(Arc::clone(&entry) as Arc<dyn Driven>);
        entry
    }

    /// Removes a connection: it is no longer watched, and its events and timers are
    /// ignored from now on.
    pub fn remove(&self, token: Token, fd: RawFd, watching: &mut Option<Interest>) {
        if watching.take().is_some() {
            let _ = self.registry.deregister(&mut SourceFd(&fd));
        }
        let (index, generation) = split(token);
        let dropped = {
            let mut table = self.table.lock();
            match table.slots.get_mut(index) {
                Some(slot) if slot.generation == generation && slot.entry.is_some() => {
                    slot.generation = slot.generation.wrapping_add(1);
                    let entry = slot.entry.take();
                    table.free.push(index as u32);
                    table.count -= 1;
                    if table.count == 0 {
                        self.emptied.notify_all();
                    }
                    entry
                }
                _ => None,
            }
        };
        // Dropped outside the table's lock: it may be the connection's last handle.
        drop(dropped);
    }

    /// Watches the socket for `wanted` (nothing: not at all). `watching` is what it is
    /// watched for now, updated here. Re-registering with the same interest is how a
    /// caller asks for a fresh readiness check (readiness is edge-triggered).
    pub fn watch(
        &self,
        token: Token,
        fd: RawFd,
        watching: &mut Option<Interest>,
        wanted: Option<Interest>,
    ) -> io::Result<()> {
        let source = &mut SourceFd(&fd);
        let result = match (*watching, wanted) {
            (None, None) => Ok(()),
            (None, Some(interest)) => self.registry.register(source, token, interest),
            (Some(_), Some(interest)) => self.registry.reregister(source, token, interest),
            (Some(_), None) => self.registry.deregister(source),
        };
        if result.is_ok() {
            *watching = wanted;
        }
        result
    }

    /// Calls the connection's `on_timer` at `at` (or soon after).
    ///
    /// A time to come is rounded up to the next multiple of [`TIMER_SLOT`], so that
    /// the timers of many connections (a caller's grace ends after each line it reads)
    /// fire together in one wake-up; the time it will fire at is returned.
    pub fn schedule(&self, token: Token, at: Instant) -> Instant {
        let at = self.round_up(at);
        let mut table = self.table.lock();
        table.timers.push(Reverse((at, token.0)));
        // The poller looks at the timers after every wait; wake it only if it sleeps
        // past this one.
        let sleeps_past = match table.wakes_at {
            _ if table.awake => false,
            None => true,
            Some(wakes) => at < wakes,
        };
        if sleeps_past {
            table.wakes_at = Some(at);
            drop(table);
            let _ = self.waker.wake();
        }
        at
    }

    /// `at` rounded up to a multiple of [`TIMER_SLOT`] since the hub began, unless it
    /// has come already: when [`schedule`](Self::schedule) would fire it.
    pub fn round_up(&self, at: Instant) -> Instant {
        let slot = TIMER_SLOT.as_nanos();
        let since = at.saturating_duration_since(self.epoch).as_nanos();
        if at <= Instant::now() || since % slot == 0 {
            return at;
        }
        let rounded = (since / slot + 1) * slot;
        u64::try_from(rounded)
            .ok()
            .and_then(|nanos| self.epoch.checked_add(Duration::from_nanos(nanos)))
            .unwrap_or(at)
    }

    /// Whether this thread is doing a poller's work now (and so must never wait on a
    /// connection).
    pub fn is_poller_thread(&self) -> bool {
        DRIVING.get() || self.thread.get() == Some(&thread::current().id())
    }

    /// Does the poller's work on this thread for one turn: waits (at most `timeout`,
    /// less if a timer is due sooner) for readiness, then serves every connection
    /// that is ready and every timer that is due. The poller thread stands by while
    /// game loops call this often enough. Does nothing when called from within a
    /// turn (a hook or callback of the same thread): then it returns false at once.
    pub fn drive(&self, timeout: Duration) -> bool {
        if DRIVING.get() {
            return false;
        }
        self.standby.lock().driving += 1;
        let mut driver = match self.driver.try_lock() {
            Some(driver) => driver,
            None => {
                // The poller thread is waiting for readiness: make it let go.
                let _ = self.waker.wake();
                self.driver.lock()
            }
        };
        self.turn(&mut driver, Some(timeout));
        drop(driver);
        let mut standby = self.standby.lock();
        standby.driving -= 1;
        standby.last = Some(Instant::now());
        true
    }

    /// Makes whoever waits for readiness return from the wait.
    pub fn wake(&self) {
        let _ = self.waker.wake();
    }

    /// Waits (until `deadline` at the latest) for every connection to leave: those
    /// closing in the background finish sending what they had queued.
    pub fn wait_empty(&self, deadline: Instant) {
        let mut table = self.table.lock();
        while table.count > 0 {
            if self.emptied.wait_until(&mut table, deadline).timed_out() {
                log::warn!("{} connections were still closing", table.count);
                return;
            }
        }
    }

    /// One turn: wait for readiness or the next timer (`limit` at most), then call
    /// the connections.
    fn turn(&self, driver: &mut Driver, limit: Option<Duration>) {
        let Driver {
            poll,
            events,
            scratch,
            due,
        } = driver;
        let timeout = {
            let mut table = self.table.lock();
            let next = table.timers.peek().map(|Reverse((at, _))| *at);
            let now = Instant::now();
            let until_timer = next.map(|at| at.saturating_duration_since(now));
            let timeout = match (until_timer, limit) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            table.wakes_at = timeout.and_then(|t| now.checked_add(t));
            table.awake = false;
            timeout
        };
        if let Err(error) = poll.poll(events, timeout) {
            if error.kind() != io::ErrorKind::Interrupted {
                log::error!("the poller failed: {error}");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let now = Instant::now();
        {
            let mut table = self.table.lock();
            table.awake = true;
            for event in events.iter() {
                if event.token() == WAKER {
                    continue;
                }
                let closed = event.is_read_closed() || event.is_write_closed() || event.is_error();
                let ready = Ready {
                    readable: event.is_readable() || closed,
                    writable: event.is_writable() || closed,
                    peer_closed: event.is_read_closed() || event.is_error(),
                };
                if let Some(entry) = table.get(event.token()) {
                    due.push((entry, Some(ready)));
                }
            }
            while let Some(&Reverse((at, token))) = table.timers.peek() {
                if at > now {
                    break;
                }
                table.timers.pop();
                if let Some(entry) = table.get(Token(token)) {
                    due.push((entry, None));
                }
            }
        }
        DRIVING.set(true);
        for (entry, ready) in due.drain(..) {
            match ready {
                Some(ready) => entry.on_ready(ready, scratch),
                None => entry.on_timer(now, scratch),
            }
        }
        DRIVING.set(false);
    }
}

/// A poller thread; dropping the last handle stops and joins it.
pub(crate) struct Poller {
    hub: Arc<Hub>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller").finish_non_exhaustive()
    }
}

impl Poller {
    /// Starts a poller thread named `name`.
    pub fn start(name: String) -> io::Result<Arc<Poller>> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let hub = Arc::new(Hub {
            registry,
            waker,
            table: Mutex::new(Table::default()),
            driver: Mutex::new(Driver {
                poll,
                events: Events::with_capacity(EVENTS),
                scratch: vec![0u8; SCRATCH],
                due: Vec::new(),
            }),
            standby: Mutex::new(Standby::default()),
            standby_changed: Condvar::new(),
            emptied: Condvar::new(),
            epoch: Instant::now(),
            thread: OnceLock::new(),
        });
        let thread_hub = Arc::clone(&hub);
        let handle = thread::Builder::new()
            .name(name)
            // Event hooks run here too.
            .stack_size(256 << 10)
            .spawn(move || run(&thread_hub))?;
        let _ = hub.thread.set(handle.thread().id());
        Ok(Arc::new(Poller {
            hub,
            thread: Mutex::new(Some(handle)),
        }))
    }

    /// The poller client connections share: the running one, or a new one.
    pub fn for_clients() -> io::Result<Arc<Poller>> {
        static SHARED: Mutex<Weak<Poller>> = Mutex::new(Weak::new());
        let mut shared = SHARED.lock();
        if let Some(poller) = shared.upgrade() {
            return Ok(poller);
        }
        let poller = Poller::start("telnet-poll".to_owned())?;
        *shared = Arc::downgrade(&poller);
        Ok(poller)
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.hub.table.lock().stopping = true;
        let _ = self.hub.waker.wake();
        self.hub.standby_changed.notify_all();
        if let Some(handle) = self.thread.lock().take() {
            // The last handle may go on the poller thread itself (a hook holding its
            // own connection); it then ends by itself once it returns.
            if handle.thread().id() != thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

/// The poller thread: turn after turn, except while a game loop drives.
fn run(hub: &Hub) {
    loop {
        if hub.table.lock().stopping {
            return stop(hub);
        }
        {
            let mut standby = hub.standby.lock();
            while let Some(until) = standby.until(Instant::now()) {
                hub.standby_changed.wait_until(&mut standby, until);
                if hub.table.lock().stopping {
                    drop(standby);
                    return stop(hub);
                }
            }
        }
        let mut driver = hub.driver.lock();
        hub.turn(&mut driver, None);
    }
}

/// The poller stops: connections still closing in the background are ended now (each
/// holds the hub, so they would otherwise keep each other, and their sockets, alive).
fn stop(hub: &Hub) {
    let left: Vec<Arc<dyn Driven>> = {
        let mut table = hub.table.lock();
        table.timers.clear();
        table
            .slots
            .iter_mut()
            .filter_map(|slot| slot.entry.take())
            .collect()
    };
    for entry in left {
        entry.on_stop();
    }
}
