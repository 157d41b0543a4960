//! The reader thread: socket → engine → input buffer, replies out at once.

use std::io::{self, Read};
use std::net::TcpStream;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use memchr::memmem;

use crate::proto::{Command, Event, Opt, OwnedEvent, Side};

use super::core::{
    DataSink, End, MAX_PROMPT_MARKS, REPLY_WRITE_BUDGET, Role, Shared, State, deadline,
};
use super::input::InputBuffer;
use super::mccp::{self, Inflated};
use super::proxy::{self, ProxyError, ProxyHeader};

/// The first read buffer: small, because most connections are idle or interactive and
/// thousands of them must fit in little memory.
const FIRST_READ_CHUNK: usize = 512;
/// The most read from the socket in one call; the buffer doubles up to it whenever a
/// read fills it (a bulk transfer).
const MAX_READ_CHUNK: usize = 64 * 1024;

/// How long a connection may take to send its PROXY protocol header.
const PROXY_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// While bytes wait to be written, how often the reader thread wakes to push them out
/// (the thread that queued them may have moved on to wait for something else).
const FLUSH_INTERVAL: Duration = Duration::from_millis(50);

/// Runs until the peer closes, the socket fails, or the connection is closed.
pub(crate) fn run<R: Role>(shared: &Shared<R>) {
    let socket = &shared.socket;
    let mut buffer = vec![0u8; FIRST_READ_CHUNK];
    let mut events = Vec::new();
    let mut read_timeout = None;
    if shared.config.proxy_protocol {
        let Some(first) = read_proxy_header(shared) else {
            return;
        };
        if !first.is_empty() && !deliver(shared, &first, &mut events) {
            return;
        }
    }
    loop {
        let Some(room) = wait_for_room(shared) else {
            return;
        };
        // Received bytes still waiting (a compressed stream inflated step by step)
        // come before more are read.
        if shared.state.lock().wire_in.has_work() {
            if !deliver(shared, &[], &mut events) {
                return;
            }
            continue;
        }
        let Some(timeout) = next_read_timeout(shared, socket) else {
            return;
        };
        if timeout != read_timeout {
            if let Err(error) = socket.set_read_timeout(timeout) {
                return finish(shared, End::Failed(error.kind(), error.to_string()));
            }
            read_timeout = timeout;
        }
        let mut stream = socket;
        let want = room.min(buffer.len());
        let received = match stream.read(&mut buffer[..want]) {
            Ok(0) => return finish(shared, End::Eof),
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if is_timeout(&error) => {
                if let Err(error) = shared.pump_without_waiting() {
                    log::trace!("output to {:?} still queued: {error}", shared.peer);
                }
                continue;
            }
            Err(error) => return finish(shared, End::Failed(error.kind(), error.to_string())),
        };
        if received == buffer.len() && buffer.len() < MAX_READ_CHUNK {
            buffer.resize(buffer.len() * 2, 0);
        }
        if !deliver(shared, &buffer[..received], &mut events) {
            return;
        }
    }
}

/// Processes received bytes: data buffered, replies sent, the hook told, waiters
/// woken. False when the connection is over (closed here, or the peer logged out).
fn deliver<R: Role>(shared: &Shared<R>, bytes: &[u8], events: &mut Vec<OwnedEvent>) -> bool {
    let (wants_close, replies, failure) = {
        let mut state = shared.state.lock();
        if state.closed {
            return false;
        }
        let room = shared.config.max_input.saturating_sub(state.input.len());
        let mut tls_closed = false;
        let outcome = if state.tls.is_some() && !bytes.is_empty() {
            let mut plain = Vec::new();
            let State { tls, unsent, .. } = &mut *state;
            let decrypted = tls
                .as_mut()
                .map_or(Ok(false), |tls| tls.receive(bytes, &mut plain, unsent));
            decrypted.and_then(|peer_closed| {
                tls_closed = peer_closed;
                receive(&mut state, &plain, room, events)
            })
        } else {
            receive(&mut state, bytes, room, events)
        };
        // A TLS peer's close_notify ends the session like a TCP end of file would.
        let wants_close = state.role.wants_close() || tls_closed;
        (wants_close, state.queued() > 0, outcome.err())
    };
    // Plain data (the common case) has nothing to send back.
    if replies {
        if let Err(error) = shared.pump(deadline(Some(REPLY_WRITE_BUDGET)), false) {
            log::debug!("replies to {:?} delayed: {error}", shared.peer);
        }
    }
    // The hook sees each event before any caller is woken to read the data that
    // followed it (a NAWS resize lands before the keys typed after it).
    if !events.is_empty() {
        if let Some(hook) = shared.hook() {
            events.iter().for_each(|event| hook(event));
        }
        events.clear();
    }
    shared.changed.notify_all();
    if let Some(why) = failure {
        log::info!("{:?}: {why}; closing", shared.peer);
        // A TLS alert saying why may be queued.
        let _ = shared.pump(deadline(Some(REPLY_WRITE_BUDGET)), true);
        let _ = shared.socket.shutdown(std::net::Shutdown::Both);
        finish(shared, End::Failed(io::ErrorKind::InvalidData, why));
        return false;
    }
    if wants_close {
        log::debug!("{:?} logged out or ended TLS; closing", shared.peer);
        let _ = shared.pump(deadline(Some(REPLY_WRITE_BUDGET)), true);
        let _ = shared.socket.shutdown(std::net::Shutdown::Both);
        finish(shared, End::Eof);
        return false;
    }
    true
}

/// Feeds received (decrypted) bytes to the engine. Plain bytes go straight in; from an MCCP
/// marker on, they wait in `wire_in.pending` and are inflated one bounded step per
/// call (at most `room` bytes, the input buffer's room), so the reader comes back
/// for them before it reads the socket again. `Err` when a compressed stream is
/// corrupt (or, from the caller, when TLS fails).
fn receive<R: Role>(
    state: &mut State<R>,
    bytes: &[u8],
    room: usize,
    events: &mut Vec<OwnedEvent>,
) -> Result<(), String> {
    let mut rest = bytes;
    if !state.wire_in.inflating() && state.wire_in.pending.is_empty() {
        let used = process(state, rest, events, true);
        rest = &rest[used..];
    }
    state.wire_in.add_received(rest);
    if state.wire_in.pending.is_empty() {
        return Ok(());
    }
    if !state.wire_in.inflating() {
        // Plain bytes after the end of a compressed stream.
        let pending = std::mem::take(&mut state.wire_in.pending);
        let used = process(state, &pending, events, true);
        state.wire_in.pending = pending[used..].to_vec();
        return Ok(());
    }
    let mut scratch = state.wire_in.take_scratch();
    let limit = room.clamp(1, scratch.len());
    let step = state.wire_in.inflate_step(&mut scratch[..limit]);
    let result = step.map(|inflated| {
        let (Inflated::Bytes(produced) | Inflated::End(produced)) = inflated;
        // Decompressed bytes never switch streams again (a marker inside the
        // compressed stream would be nested compression).
        process(state, &scratch[..produced], events, false);
    });
    state.wire_in.put_scratch(scratch);
    result
}

/// Reads the PROXY protocol header a load balancer sends first, and records the real
/// client. Returns the Telnet bytes that followed it, or `None` when the header was
/// malformed, late or missing (the connection is then over).
fn read_proxy_header<R: Role>(shared: &Shared<R>) -> Option<Vec<u8>> {
    let deadline = Instant::now() + PROXY_HEADER_TIMEOUT;
    let mut received = Vec::new();
    let mut buffer = [0u8; 512];
    let failure = loop {
        match proxy::parse(&received) {
            Ok(Some((header, used))) => {
                if let ProxyHeader::Proxied(client) = header {
                    log::debug!("{:?} is a proxy for {client}", shared.peer);
                    let _ = shared.proxied_peer.set(client);
                }
                return Some(received.split_off(used));
            }
            Ok(None) => {}
            Err(ProxyError(why)) => break why.to_owned(),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break "no complete PROXY header in time".to_owned();
        }
        if let Err(error) = shared.socket.set_read_timeout(Some(left)) {
            break error.to_string();
        }
        match (&shared.socket).read(&mut buffer) {
            Ok(0) => break "the connection ended before its PROXY header".to_owned(),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if is_timeout(&error) => {}
            Err(error) => break error.to_string(),
        }
    };
    log::info!("{:?}: {failure}; closing", shared.peer);
    let _ = shared.socket.shutdown(std::net::Shutdown::Both);
    finish(shared, End::Failed(io::ErrorKind::InvalidData, failure));
    None
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Decides how long the next read may block: until the idle timeout, and no longer
/// than [`FLUSH_INTERVAL`] while output waits. Before that, a peer that leaves our
/// replies unread (more than `max_outgoing`) is not read from until it takes them, so
/// its requests cannot grow our memory. `None` when the connection is over (idle
/// timeout reached, or closed).
fn next_read_timeout<R: Role>(shared: &Shared<R>, socket: &TcpStream) -> Option<Option<Duration>> {
    loop {
        let (queued, idle_left, closed, stopped) = {
            let mut state = shared.state.lock();
            let idle_left = shared
                .config
                .idle_timeout
                .map(|idle| idle.saturating_sub(state.last_input.elapsed()));
            let queued = state.queued();
            if queued >= shared.config.max_outgoing && state.link.options.output_stopped() {
                // Stopped by XOFF with the queue full: reading must go on (XON comes
                // that way), so the stop gives way rather than memory.
                log::debug!(
                    "{:?}: output queue full while stopped by XOFF; restarting output",
                    shared.peer
                );
                state.link.options.gate.stopped = false;
            }
            let stopped = state.link.options.output_stopped();
            (queued, idle_left, state.closed, stopped)
        };
        if closed {
            return None;
        }
        if idle_left.is_some_and(|left| left.is_zero()) {
            idle_expired(shared, socket);
            return None;
        }
        if queued >= shared.config.max_outgoing {
            match shared.pump(deadline(Some(REPLY_WRITE_BUDGET)), true) {
                Ok(()) => continue,
                Err(error) if is_timeout(&error) => continue,
                Err(error) => {
                    finish(shared, End::Failed(error.kind(), error.to_string()));
                    return None;
                }
            }
        }
        let flush = (queued > 0 && !stopped).then_some(FLUSH_INTERVAL);
        return Some(match (idle_left, flush) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        });
    }
}

/// The idle timeout hit: says `Timeout.`, shuts the socket and ends the stream.
fn idle_expired<R: Role>(shared: &Shared<R>, socket: &TcpStream) {
    shared
        .state
        .lock()
        .outgoing
        .extend_from_slice(b"\r\nTimeout.\r\n");
    log::debug!(
        "{:?} idle for {:?}; closing",
        shared.peer,
        shared.config.idle_timeout
    );
    let _ = shared.pump(deadline(Some(REPLY_WRITE_BUDGET)), true);
    let _ = socket.shutdown(std::net::Shutdown::Both);
    finish(shared, End::Eof);
}

/// Blocks while the input buffer is full (TCP flow control then pushes back on the
/// peer); returns how many bytes may be read, or `None` once the connection is closed.
fn wait_for_room<R>(shared: &Shared<R>) -> Option<usize> {
    let mut state = shared.state.lock();
    loop {
        if state.closed {
            return None;
        }
        let room = shared.config.max_input.saturating_sub(state.input.len());
        if room > 0 {
            return Some(room);
        }
        shared.changed.wait(&mut state);
    }
}

fn finish<R: Role>(shared: &Shared<R>, end: End) {
    {
        let mut state = shared.state.lock();
        if !state.closed {
            log::debug!("connection to {:?} ended: {end:?}", shared.peer);
            state.end = Some(end);
        }
        state.role.on_end();
    }
    shared.changed.notify_all();
}

/// Feeds one chunk through the engine: data into the input buffer, every other event
/// to the role (and into `events` for the hook), replies into the outgoing queue.
///
/// With `may_switch`, it stops right after the peer's MCCP marker, starts inflating,
/// and returns how much of the chunk it used (the rest is compressed); otherwise it
/// uses all of it.
fn process<R: Role>(
    state: &mut State<R>,
    chunk: &[u8],
    events: &mut Vec<OwnedEvent>,
    may_switch: bool,
) -> usize {
    let State {
        link,
        role,
        input,
        after_cr,
        outgoing,
        last_input,
        prompts,
        wire_in,
        ..
    } = state;
    let force_binary = link.force_binary;
    let mut sink = DataSink {
        input,
        outgoing,
        after_cr,
        binary: link.binary_in(),
        local_echo: link.engine.is_enabled(Side::Local, Opt::ECHO),
    };
    let length_before = sink.input.len();
    let flow_here = link.options.flow_here;
    let restart_any = link.options.flow.restart_any;
    let gate = &mut link.options.gate;
    let mut remote_mccp2 = link.engine.is_enabled(Side::Remote, Opt::MCCP2);
    let mut local_mccp3 = link.engine.is_enabled(Side::Local, Opt::MCCP3);
    let mut compressed_from_here = None;
    let used = link.engine.receive_until(chunk, |event| match event {
        // XON/XOFF are ours to act on, not data, when we do the client's flow control.
        Event::Data(data) if flow_here => {
            gate.filter(data, restart_any, |run| role.on_data(run, &mut sink));
            ControlFlow::Continue(())
        }
        Event::Data(data) => {
            role.on_data(data, &mut sink);
            ControlFlow::Continue(())
        }
        other => {
            // Keep the data's interpretation in step with options changing mid-chunk.
            match other {
                // `IAC <undefined byte>`: the byte is delivered as data, as telnetlib3
                // does (and still reported to the hook).
                Event::Command(Command::Unknown(byte)) => role.on_data(&[byte], &mut sink),
                // A prompt ends here: `read_prompt` reads up to this point.
                Event::Command(Command::Ga | Command::Eor) => {
                    if prompts.len() >= MAX_PROMPT_MARKS {
                        prompts.pop_front();
                    }
                    prompts.push_back(sink.input.end_position());
                }
                Event::OptionEnabled {
                    side: Side::Remote,
                    opt: Opt::BINARY,
                } => sink.binary = true,
                Event::OptionDisabled {
                    side: Side::Remote,
                    opt: Opt::BINARY,
                } => sink.binary = force_binary,
                Event::OptionEnabled {
                    side: Side::Local,
                    opt: Opt::ECHO,
                } => sink.local_echo = true,
                Event::OptionDisabled {
                    side: Side::Local,
                    opt: Opt::ECHO,
                } => sink.local_echo = false,
                Event::OptionEnabled { side, opt } | Event::OptionDisabled { side, opt } => {
                    let on = matches!(other, Event::OptionEnabled { .. });
                    match (side, opt) {
                        (Side::Remote, Opt::MCCP2) => remote_mccp2 = on,
                        (Side::Local, Opt::MCCP3) => local_mccp3 = on,
                        _ => {}
                    }
                }
                Event::Subnegotiation { opt, .. }
                    if may_switch && mccp::starts_input(opt, remote_mccp2, local_mccp3) =>
                {
                    compressed_from_here = Some(opt);
                }
                _ => {}
            }
            events.push(other.to_owned_event());
            match compressed_from_here {
                Some(_) => ControlFlow::Break(()),
                None => ControlFlow::Continue(()),
            }
        }
    });
    if let Some(opt) = compressed_from_here {
        wire_in.start(opt);
    }
    if sink.input.len() != length_before {
        *last_input = Instant::now();
    }
    for event in events.iter() {
        role.on_event(event, link);
    }
    role.after_chunk(link);
    state.commit_output();
    used
}

/// Appends received data, dropping the NUL of each CR NUL (RFC 854: CR NUL is a bare
/// carriage return) unless the data is BINARY. The pair may straddle two chunks.
pub(crate) fn push_data(input: &mut InputBuffer, data: &[u8], binary: bool, after_cr: &mut bool) {
    if data.is_empty() {
        return;
    }
    if binary {
        *after_cr = false;
        input.extend(data);
        return;
    }
    let mut rest = data;
    if *after_cr && rest.first() == Some(&0) {
        rest = &rest[1..];
    }
    *after_cr = false;
    while let Some(at) = memmem::find(rest, b"\r\0") {
        input.extend(&rest[..=at]);
        rest = &rest[at + 2..];
    }
    if let Some(&last) = rest.last() {
        *after_cr = last == b'\r';
    }
    input.extend(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filtered(chunks: &[&[u8]]) -> Vec<u8> {
        let mut input = InputBuffer::default();
        let mut after_cr = false;
        for chunk in chunks {
            push_data(&mut input, chunk, false, &mut after_cr);
        }
        input.as_slice().to_vec()
    }

    #[test]
    fn cr_nul_loses_its_nul_even_across_chunks() {
        assert_eq!(filtered(&[b"a\r\0b\r\0"]), b"a\rb\r");
        assert_eq!(filtered(&[b"a\r", b"\0b"]), b"a\rb");
        assert_eq!(filtered(&[b"a\r", b"", b"\0b"]), b"a\rb");
        assert_eq!(filtered(&[b"\0\0"]), b"\0\0");
        assert_eq!(filtered(&[b"a\r\n"]), b"a\r\n");
    }
}
