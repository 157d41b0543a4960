//! The input path, with no socket in sight: received bytes → PROXY header → TLS →
//! MCCP → engine → input buffer, with the replies queued and the events collected for
//! the hook. Whoever read the bytes (a caller or the poller) calls it with the state
//! locked.

use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::sync::OnceLock;
use std::time::Instant;

use crate::proto::{Command, Event, Opt, OwnedEvent, Side};

use super::link::{DataSink, Role};
use super::mccp::{self, Inflated};
use super::proxy::{self, ProxyError, ProxyHeader};
use super::state::{Failure, MAX_PROMPT_MARKS, Phase, State};

/// The first byte of a TLS handshake record, which starts every ClientHello.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// A server's `tls_auto` waited long enough without a byte: the peer is a plain
/// Telnet client that waits for the server to speak first.
pub(crate) fn plain_after_silence<R: Role>(state: &mut State<R>) {
    if let Phase::Handshake { proxy, sniff, .. } = &mut state.phase {
        if sniff.take().is_some() {
            state.tls = None;
            if proxy.is_none() {
                start(state);
            }
        }
    }
}

/// What the input path needs besides the state.
pub(crate) struct Context<'a> {
    pub max_input: usize,
    /// The bytes given are the reading caller's own buffer (see `DataSink::direct`).
    pub direct: bool,
    /// The socket's peer, for logs.
    pub peer: Option<SocketAddr>,
    /// Where the real client named by a PROXY header goes.
    pub proxied_peer: &'a OnceLock<SocketAddr>,
}

/// What became of the stream after some input.
#[derive(Debug)]
pub(crate) enum Flow {
    /// It goes on.
    Continue,
    /// It ends in order once the replies queued are sent: the peer logged out, or
    /// ended TLS with `close_notify`.
    Close,
    /// It is broken (a bad PROXY header, TLS failure, a corrupt compressed stream).
    /// A TLS alert saying so may be queued.
    Broken(Failure),
}

/// Starts the Telnet stream: the role's start-up requests are queued.
pub(crate) fn start<R: Role>(state: &mut State<R>) {
    state.phase = Phase::Telnet;
    state.role.start(&mut state.link);
    state.role.after_chunk(&mut state.link);
    state.commit_output();
}

/// Takes received bytes; with none, goes on with compressed bytes still pending
/// (one bounded step). Data lands in the input buffer, replies in the outgoing queue,
/// and every other event in `events` for the hook. The flag says whether the bytes,
/// given as the caller's own buffer (`Context::direct`), were all data and stayed
/// there instead.
pub(crate) fn receive<R: Role>(
    state: &mut State<R>,
    bytes: &[u8],
    context: &Context<'_>,
    events: &mut Vec<OwnedEvent>,
) -> (Flow, bool) {
    let original = bytes;
    let after_header;
    let mut bytes = bytes;
    if let Phase::Handshake {
        proxy: Some(received),
        ..
    } = &mut state.phase
    {
        received.extend_from_slice(bytes);
        match proxy::parse(received) {
            Ok(None) => return (Flow::Continue, false),
            Ok(Some((header, used))) => {
                match header {
                    ProxyHeader::Proxied(client) => {
                        log::debug!("{:?} is a proxy for {client}", context.peer);
                        let _ = context.proxied_peer.set(client);
                    }
                    ProxyHeader::Unknown => {}
                    ProxyHeader::Local => {
                        log::debug!("{:?}: a health check (PROXY LOCAL)", context.peer);
                        state.unserved = true;
                        return (Flow::Close, false);
                    }
                }
                after_header = received.split_off(used);
                bytes = &after_header;
            }
            Err(ProxyError(why)) => return (Flow::Broken(Failure::Proxy(why.to_owned())), false),
        }
        if let Phase::Handshake { proxy, .. } = &mut state.phase {
            *proxy = None;
        }
    }
    state.spoke |= !bytes.is_empty();
    if let Phase::Handshake { sniff, .. } = &mut state.phase {
        if sniff.is_some() && !bytes.is_empty() {
            *sniff = None;
            if bytes[0] != TLS_HANDSHAKE_RECORD {
                log::debug!("{:?} speaks plain Telnet", context.peer);
                state.tls = None;
            }
        }
    }
    let mut tls_closed = false;
    let mut plain = Vec::new();
    if state.tls.is_some() && !bytes.is_empty() {
        let State { tls, unsent, .. } = &mut *state;
        let tls = tls.as_mut().expect("checked");
        match tls.receive(bytes, &mut plain, unsent.tail()) {
            Ok(peer_closed) => tls_closed = peer_closed,
            Err(why) => return (Flow::Broken(Failure::Tls(why)), false),
        }
        bytes = &plain;
    }
    if let Phase::Handshake {
        proxy: None,
        sniff: None,
        ..
    } = state.phase
    {
        if state.tls.as_ref().is_some_and(|tls| tls.is_handshaking()) {
            let flow = if tls_closed {
                Flow::Close
            } else {
                Flow::Continue
            };
            return (flow, false);
        }
        start(state);
    }
    let room = context.max_input.saturating_sub(state.input.len());
    // Only the bytes as they came from the socket can stay in the caller's buffer.
    let direct = (context.direct && std::ptr::eq(bytes, original)).then_some(original);
    let in_place = match decompress_and_process(state, bytes, room, events, direct) {
        Ok(in_place) => in_place,
        Err(why) => return (Flow::Broken(Failure::Compression(why)), false),
    };
    let flow = if state.role.wants_close() || tls_closed {
        Flow::Close
    } else {
        Flow::Continue
    };
    (flow, in_place)
}

/// Feeds decrypted bytes to the engine. Plain bytes go straight in; from an MCCP
/// marker on, they wait in `wire_in.pending` and are inflated one bounded step per
/// call (at most `room` bytes, the input buffer's room), so the reader comes back
/// for them before it reads the socket again. `Err` when a compressed stream is
/// corrupt.
/// `Ok(true)` when the bytes were all data and stayed in `direct` (see
/// `DataSink::direct`).
fn decompress_and_process<R: Role>(
    state: &mut State<R>,
    bytes: &[u8],
    room: usize,
    events: &mut Vec<OwnedEvent>,
    direct: Option<&[u8]>,
) -> Result<bool, String> {
    let mut rest = bytes;
    let mut in_place = false;
    if !state.wire_in.inflating() && state.wire_in.pending.is_empty() {
        let (used, stayed) = process(state, rest, events, true, direct);
        in_place = stayed;
        rest = &rest[used..];
    }
    state.wire_in.add_received(rest);
    if state.wire_in.pending.is_empty() {
        return Ok(in_place);
    }
    if !state.wire_in.inflating() {
        // Plain bytes after the end of a compressed stream.
        let pending = std::mem::take(&mut state.wire_in.pending);
        let (used, _) = process(state, &pending, events, true, None);
        state.wire_in.pending = pending[used..].to_vec();
        return Ok(false);
    }
    let mut scratch = state.wire_in.take_scratch();
    let limit = room.clamp(1, scratch.len());
    let step = state.wire_in.inflate_step(&mut scratch[..limit]);
    let result = step.map(|inflated| {
        // Neither decompressed bytes nor plain commands before the stream switch
        // streams again (a marker there would be nested compression).
        match inflated {
            Inflated::Bytes(produced) | Inflated::End(produced) => {
                process(state, &scratch[..produced], events, false, None);
            }
            Inflated::Plain(command) => {
                process(state, &command, events, false, None);
            }
        }
    });
    state.wire_in.put_scratch(scratch);
    result.map(|()| false)
}

/// Feeds one chunk through the engine: data into the input buffer, every other event
/// to the role (and into `events` for the hook), replies into the outgoing queue.
///
/// With `may_switch`, it stops right after the peer's MCCP marker, starts inflating,
/// and returns how much of the chunk it used (the rest is compressed); otherwise it
/// uses all of it. The flag says whether the chunk stayed in `direct`.
fn process<R: Role>(
    state: &mut State<R>,
    chunk: &[u8],
    events: &mut Vec<OwnedEvent>,
    may_switch: bool,
    direct: Option<&[u8]>,
) -> (usize, bool) {
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
        charset: link.charset,
        direct,
        in_place: false,
    };
    let length_before = sink.input.len();
    let first_event = events.len();
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
    let in_place = sink.in_place;
    if sink.input.len() != length_before || in_place {
        *last_input = Instant::now();
    }
    for event in &events[first_event..] {
        role.on_event(event, link);
    }
    role.after_chunk(link);
    state.commit_output();
    (used, in_place)
}
