//! The sans-IO Telnet [`Engine`]: a parser whose state survives across calls, the
//! RFC 1143 state of both sides of every option, and the bytes to send back.

use std::cell::Cell;
use std::ops::ControlFlow;
use std::sync::Arc;

use memchr::memchr;

use super::command::{Command, IAC, SB, SE, Verb};
use super::event::{Event, ProtocolError};
use super::nvt::escape_iac;
use super::option::Opt;
use super::policy::{Policy, Side};
use super::probe::DisableProbes;
use super::qmethod::{self, Answer, QState, RequestOutcome, Transition};

/// The default limit on one subnegotiation's payload: 64 KiB.
pub const DEFAULT_MAX_SUBNEGOTIATION: usize = 64 * 1024;

/// Where the parser stands between two bytes. Kept across calls to `receive`, so any
/// split of the input gives the same events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParseState {
    /// Plain data.
    Data,
    /// After `IAC`.
    Iac,
    /// After `IAC <verb>`, waiting for the option byte.
    Negotiation(Verb),
    /// After `IAC SB`, waiting for the option byte.
    SbOption,
    /// After `IAC SB IAC`: `IAC SE` (empty), `IAC IAC` (option 255) or a command.
    SbOptionIac,
    /// Inside a subnegotiation's payload.
    SbData,
    /// After `IAC` inside a subnegotiation's payload.
    SbIac,
}

/// Decides at run time whether to agree to a peer's request for an option (see
/// [`Engine::set_decider`]): called with the side (`Remote` for the peer's `WILL`,
/// `Local` for its `DO`) and the option.
#[derive(Clone)]
pub struct Decider(pub Arc<dyn Fn(Side, Opt) -> Option<bool> + Send + Sync>);

impl Decider {
    /// A decider from a closure.
    pub fn new(decide: impl Fn(Side, Opt) -> Option<bool> + Send + Sync + 'static) -> Decider {
        Decider(Arc::new(decide))
    }
}

impl std::fmt::Debug for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Decider")
    }
}

/// The Telnet protocol engine, with no sockets, threads or clocks inside.
///
/// Feed it the bytes you read with [`receive`](Engine::receive); it calls you back with
/// [`Event`]s in wire order and collects what must be sent back (negotiation answers)
/// in its output, which you send with [`output`](Engine::output) and
/// [`clear_output`](Engine::clear_output) (or [`take_output`](Engine::take_output)).
/// Requests of your own ([`request`](Engine::request),
/// [`send_subnegotiation`](Engine::send_subnegotiation), …) append to the same output,
/// so replies and requests leave in the order they were made.
///
/// Options follow RFC 1143: a request for a state we are in or already asking for sends
/// nothing, a refusal is obeyed, an enable we did not ask for is answered by the
/// [`Policy`] (or a [`Decider`]), and the disable of an enabled option is acknowledged. No input makes the
/// engine loop, and the output grows by at most the size of the input per call.
///
/// ```
/// use telnetlib::proto::{Engine, Event, Opt, Policy, Side};
///
/// let mut engine = Engine::new(Policy::client());
/// let mut text = Vec::new();
/// let mut enabled = Vec::new();
/// // "hi", then the server offers to echo, then "!" split across two reads.
/// for chunk in [&b"hi\xff\xfb"[..], b"\x01!"] {
///     engine.receive(chunk, |event| match event {
///         Event::Data(bytes) => text.extend_from_slice(bytes),
///         Event::OptionEnabled { side, opt } => enabled.push((side, opt)),
///         _ => {}
///     });
/// }
/// assert_eq!(text, b"hi!");
/// assert_eq!(enabled, [(Side::Remote, Opt::ECHO)]);
/// assert_eq!(engine.output(), b"\xff\xfd\x01"); // IAC DO ECHO, to be sent
/// assert!(engine.is_enabled(Side::Remote, Opt::ECHO));
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    policy: Policy,
    decider: Option<Decider>,
    local: [QState; 256],
    remote: [QState; 256],
    parse: ParseState,
    sb_option: Opt,
    sb_payload: Vec<u8>,
    sb_overflowed: bool,
    /// The subnegotiation being read is for an option enabled on neither side and is
    /// being discarded (only with a gate).
    sb_not_enabled: bool,
    /// With `Some`, subnegotiations are taken only for options enabled on either side
    /// and for the options listed (see [`Engine::with_subnegotiation_gate`]).
    sb_gate: Option<Vec<Opt>>,
    max_subnegotiation: usize,
    output: Vec<u8>,
    /// Disables the peer has not acknowledged, to be settled by a Timing Mark.
    probes: DisableProbes,
}

impl Engine {
    /// An engine that answers by `policy`, with the default subnegotiation limit.
    pub fn new(policy: Policy) -> Engine {
        Engine {
            policy,
            decider: None,
            local: [QState::No; 256],
            remote: [QState::No; 256],
            parse: ParseState::Data,
            sb_option: Opt(0),
            sb_payload: Vec::new(),
            sb_overflowed: false,
            sb_not_enabled: false,
            sb_gate: None,
            max_subnegotiation: DEFAULT_MAX_SUBNEGOTIATION,
            output: Vec::new(),
            probes: DisableProbes::default(),
        }
    }

    /// Sets the largest subnegotiation payload accepted, in bytes (default
    /// [`DEFAULT_MAX_SUBNEGOTIATION`]). Longer ones are reported as
    /// [`ProtocolError::SubnegotiationTooLong`] and discarded.
    pub fn with_max_subnegotiation(mut self, limit: usize) -> Engine {
        self.max_subnegotiation = limit;
        self
    }

    /// Takes subnegotiations only for options enabled on either side (RFC 855: the
    /// parameters of an option are negotiated once it is in effect), and for the
    /// options in `exempt`. Any other is discarded unread and reported as
    /// [`ProtocolError::SubnegotiationNotEnabled`], so a peer cannot hand us state
    /// for an option it refused or never offered. Without this call (a bare parser)
    /// every subnegotiation is reported.
    pub fn with_subnegotiation_gate(mut self, exempt: &[Opt]) -> Engine {
        self.sb_gate = Some(exempt.to_vec());
        self
    }

    /// The policy the engine answers by.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Replaces the policy. It applies to negotiations received from now on; options
    /// already agreed stay as they are.
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    /// Lets `decider` answer the peer's unsolicited `WILL`/`DO` at run time: it is
    /// asked once per request of an option that is off, gets the side and option,
    /// and says `Some(true)` to agree, `Some(false)` to refuse, or `None` to leave it
    /// to the policy. Our own requests, and answers to them, are not put to it, and
    /// RFC 1143 still decides what is sent, so no answer of it can start a loop. A
    /// decider that panics refuses (the panic is caught and logged).
    pub fn set_decider(&mut self, decider: Option<Decider>) {
        self.decider = decider;
    }

    /// Whether to agree to the peer's request for `side` of `opt`: the decider's
    /// answer, else the policy's.
    fn accepts(&self, side: Side, opt: Opt) -> bool {
        if let Some(decider) = &self.decider {
            let asked =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (decider.0)(side, opt)));
            match asked {
                Ok(Some(answer)) => return answer,
                Ok(None) => {}
                Err(_) => {
                    log::warn!("the option decider panicked on {side:?} {opt}; refusing");
                    return false;
                }
            }
        }
        self.policy.accepts(side, opt)
    }

    /// Sends the policy's start-up requests: `WILL x` for each option it requests on
    /// our side, then `DO x` for each it requests on the peer's side, in code order.
    pub fn start(&mut self) {
        for opt in self.policy.requested(Side::Local) {
            self.request(Side::Local, opt, true);
        }
        for opt in self.policy.requested(Side::Remote) {
            self.request(Side::Remote, opt, true);
        }
    }

    /// Processes bytes received from the peer, calling `sink` with each [`Event`] in
    /// the order the peer sent it. Replies are appended to the output.
    ///
    /// The parser's state carries over between calls, so the input may be split
    /// anywhere. Runs of data are handed out as slices of `input` without copying.
    pub fn receive(&mut self, input: &[u8], mut sink: impl FnMut(Event<'_>)) {
        self.receive_until(input, |event| {
            sink(event);
            ControlFlow::Continue(())
        });
    }

    /// Like [`receive`](Engine::receive), but stops right after the input byte whose
    /// event made `sink` return [`ControlFlow::Break`], and returns how many bytes of
    /// `input` were consumed (all of them when it never stops).
    ///
    /// This is where a stream changes its encoding mid-chunk: after `IAC SB MCCP2 IAC
    /// SE` every following byte is compressed, so the caller stops on that
    /// subnegotiation and hands the rest of the chunk to a decompressor.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use telnetlib::proto::{Engine, Event, Opt, Policy};
    ///
    /// let mut engine = Engine::new(Policy::client());
    /// let chunk = b"hi\xff\xfa\x56\xff\xf0\x78\x9c"; // "hi", IAC SB MCCP2 IAC SE, zlib...
    /// let used = engine.receive_until(chunk, |event| match event {
    ///     Event::Subnegotiation { opt: Opt::MCCP2, .. } => ControlFlow::Break(()),
    ///     _ => ControlFlow::Continue(()),
    /// });
    /// assert_eq!(&chunk[used..], b"\x78\x9c"); // the compressed stream starts here
    /// ```
    pub fn receive_until(
        &mut self,
        input: &[u8],
        mut sink: impl FnMut(Event<'_>) -> ControlFlow<()>,
    ) -> usize {
        let stop = Cell::new(false);
        let mut sink = |event: Event<'_>| {
            if sink(event).is_break() {
                stop.set(true);
            }
        };
        let mut at = 0;
        while at < input.len() && !stop.get() {
            match self.parse {
                ParseState::Data => {
                    let rest = &input[at..];
                    let Some(iac) = memchr(IAC, rest) else {
                        sink(Event::Data(rest));
                        return input.len();
                    };
                    if rest.get(iac + 1) == Some(&IAC) {
                        // `IAC IAC` is one 0xFF: hand out the run up to and including
                        // the first IAC and skip the second, without copying.
                        sink(Event::Data(&rest[..=iac]));
                        at += iac + 2;
                    } else {
                        if iac > 0 {
                            sink(Event::Data(&rest[..iac]));
                        }
                        at += iac + 1;
                        self.parse = ParseState::Iac;
                    }
                }
                ParseState::SbData => {
                    let rest = &input[at..];
                    let end = memchr(IAC, rest).unwrap_or(rest.len());
                    self.collect_subnegotiation(&rest[..end], &mut sink);
                    at += end;
                    if end < rest.len() {
                        at += 1;
                        self.parse = ParseState::SbIac;
                    }
                }
                state => {
                    let byte = input[at];
                    at += 1;
                    self.receive_framing_byte(state, byte, &mut sink);
                }
            }
        }
        at
    }

    /// One byte of a command, negotiation or subnegotiation frame.
    fn receive_framing_byte(
        &mut self,
        state: ParseState,
        byte: u8,
        sink: &mut impl FnMut(Event<'_>),
    ) {
        match state {
            ParseState::Iac => self.receive_after_iac(byte, sink),
            ParseState::Negotiation(verb) => {
                self.parse = ParseState::Data;
                self.receive_negotiation(verb, Opt(byte), sink);
            }
            ParseState::SbOption if byte == IAC => self.parse = ParseState::SbOptionIac,
            ParseState::SbOption => self.begin_subnegotiation(Opt(byte)),
            ParseState::SbOptionIac => match byte {
                IAC => self.begin_subnegotiation(Opt(IAC)),
                SE => {
                    self.parse = ParseState::Data;
                    sink(Event::Error(ProtocolError::EmptySubnegotiation));
                }
                other => {
                    sink(Event::Error(ProtocolError::EmptySubnegotiation));
                    self.receive_after_iac(other, sink);
                }
            },
            ParseState::SbIac => match byte {
                IAC => {
                    self.parse = ParseState::SbData;
                    self.collect_subnegotiation(&[IAC], sink);
                }
                SE => {
                    self.parse = ParseState::Data;
                    self.finish_subnegotiation(sink);
                }
                other => {
                    // libtelnet's recovery: report, deliver what was collected, and
                    // process `IAC <other>` as the command it is.
                    sink(Event::Error(ProtocolError::SubnegotiationInterrupted {
                        opt: self.sb_option,
                        byte: other,
                    }));
                    self.finish_subnegotiation(sink);
                    self.receive_after_iac(other, sink);
                }
            },
            ParseState::Data | ParseState::SbData => {
                unreachable!("data states are scanned in bulk by receive")
            }
        }
    }

    /// The byte after an `IAC` outside a subnegotiation.
    fn receive_after_iac(&mut self, byte: u8, sink: &mut impl FnMut(Event<'_>)) {
        self.parse = ParseState::Data;
        if byte == IAC {
            sink(Event::Data(&[IAC]));
        } else if byte == SB {
            self.parse = ParseState::SbOption;
        } else if let Some(verb) = Verb::from_byte(byte) {
            self.parse = ParseState::Negotiation(verb);
        } else if let Some(command) = Command::from_byte(byte) {
            log::trace!("recv IAC {command}");
            sink(Event::Command(command));
        }
    }

    fn begin_subnegotiation(&mut self, opt: Opt) {
        self.parse = ParseState::SbData;
        self.sb_option = opt;
        self.sb_payload.clear();
        self.sb_overflowed = false;
        // No negotiation can come before its end: the option's state holds throughout.
        self.sb_not_enabled = self.sb_gate.as_ref().is_some_and(|exempt| {
            !exempt.contains(&opt)
                && !self.local[usize::from(opt.0)].is_enabled()
                && !self.remote[usize::from(opt.0)].is_enabled()
        });
    }

    /// Appends payload bytes, enforcing the limit on every path (`IAC IAC` included).
    fn collect_subnegotiation(&mut self, bytes: &[u8], sink: &mut impl FnMut(Event<'_>)) {
        if self.sb_overflowed || self.sb_not_enabled || bytes.is_empty() {
            return;
        }
        if self.sb_payload.len() + bytes.len() > self.max_subnegotiation {
            self.sb_overflowed = true;
            self.sb_payload.clear();
            sink(Event::Error(ProtocolError::SubnegotiationTooLong {
                opt: self.sb_option,
                limit: self.max_subnegotiation,
            }));
        } else {
            self.sb_payload.extend_from_slice(bytes);
        }
    }

    fn finish_subnegotiation(&mut self, sink: &mut impl FnMut(Event<'_>)) {
        if self.sb_not_enabled {
            log::debug!(
                "recv SB {} for an option not enabled; ignored",
                self.sb_option
            );
            sink(Event::Error(ProtocolError::SubnegotiationNotEnabled {
                opt: self.sb_option,
            }));
            return;
        }
        if self.sb_overflowed {
            return;
        }
        log::debug!(
            "recv SB {} ({} bytes)",
            self.sb_option,
            self.sb_payload.len()
        );
        sink(Event::Subnegotiation {
            opt: self.sb_option,
            data: &self.sb_payload,
        });
    }

    fn receive_negotiation(&mut self, verb: Verb, opt: Opt, sink: &mut impl FnMut(Event<'_>)) {
        log::debug!("recv {verb} {opt}");
        sink(Event::Negotiation { verb, opt });
        let (side, positive) = match verb {
            Verb::Will => (Side::Remote, true),
            Verb::Wont => (Side::Remote, false),
            Verb::Do => (Side::Local, true),
            Verb::Dont => (Side::Local, false),
        };
        if opt == Opt::TM {
            return self.receive_timing_mark(side, positive, sink);
        }
        let state = self.state(side, opt);
        let transition = if positive {
            let excluded = self
                .policy
                .excluded_by(side, opt)
                .is_some_and(|other| self.is_enabled(side, other));
            // Only a request for an option that is off is decided (RFC 1143 answers
            // the others by itself).
            let accept = state == QState::No && !excluded && self.accepts(side, opt);
            qmethod::on_positive(state, accept)
        } else {
            qmethod::on_negative(state)
        };
        if transition.violation {
            sink(Event::Error(ProtocolError::UnexpectedEnable { side, opt }));
        }
        self.settle(side, opt, state, transition, sink);
    }

    /// Moves `side` of `opt` from `before` by `transition`, sends what it says, and
    /// reports the change.
    fn settle(
        &mut self,
        side: Side,
        opt: Opt,
        before: QState,
        transition: Transition,
        sink: &mut impl FnMut(Event<'_>),
    ) {
        self.apply(side, opt, transition);
        let now = transition.next;
        if now.is_enabled() && !before.is_enabled() {
            sink(Event::OptionEnabled { side, opt });
        } else if before.is_enabled() && !now.is_enabled() {
            sink(Event::OptionDisabled { side, opt });
        } else if before.is_pending() && now == QState::No {
            sink(Event::OptionRefused { side, opt });
        }
    }

    /// RFC 860: `DO TM` is answered every time it arrives (it is a one-shot mark, not a
    /// state); `WILL`/`WONT TM` answer our `DO TM` and are ignored when we sent none.
    fn receive_timing_mark(
        &mut self,
        side: Side,
        positive: bool,
        sink: &mut impl FnMut(Event<'_>),
    ) {
        match side {
            Side::Local if positive => {
                let answer = if self.policy.accepts(Side::Local, Opt::TM) {
                    Answer::Positive
                } else {
                    Answer::Negative
                };
                self.send_answer(Side::Local, Opt::TM, answer);
            }
            Side::Local => {}
            Side::Remote => {
                if self.remote[usize::from(Opt::TM.0)].is_pending() {
                    self.remote[usize::from(Opt::TM.0)] = QState::No;
                    if !self.probes.owns_mark {
                        sink(Event::TimingMark { marked: positive });
                    }
                    self.settle_probes(sink);
                }
            }
        }
    }

    /// The Timing Mark came back: every disable it probed that is still
    /// unacknowledged was taken by the peer without an answer (see `probe`).
    fn settle_probes(&mut self, sink: &mut impl FnMut(Event<'_>)) {
        for (side, opt) in self.probes.answered() {
            let state = self.state(side, opt);
            if matches!(state, QState::WantNo | QState::WantNoOpposite) {
                log::debug!("{side:?} {opt}: the peer took our disable without answering");
                self.settle(side, opt, state, qmethod::on_negative(state), sink);
            }
        }
        self.send_probe_mark();
    }

    /// Sends `DO TM` for the probes waiting, unless a mark is already in flight.
    fn send_probe_mark(&mut self) {
        let tm = usize::from(Opt::TM.0);
        if self.probes.wants_mark() && !self.remote[tm].is_pending() {
            let (transition, _) = qmethod::request_enable(self.remote[tm]);
            self.probes.owns_mark = true;
            self.apply(Side::Remote, Opt::TM, transition);
            self.probes.arm();
        }
    }

    fn apply(&mut self, side: Side, opt: Opt, transition: Transition) {
        self.states_mut(side)[usize::from(opt.0)] = transition.next;
        if !matches!(transition.next, QState::WantNo | QState::WantNoOpposite) {
            // The disable was answered or replaced: a later one is no longer the one
            // a mark sent before it can prove taken.
            self.probes.forget(side, opt);
        }
        if let Some(answer) = transition.send {
            self.send_answer(side, opt, answer);
        }
    }

    fn send_answer(&mut self, side: Side, opt: Opt, answer: Answer) {
        let verb = match (side, answer) {
            (Side::Local, Answer::Positive) => Verb::Will,
            (Side::Local, Answer::Negative) => Verb::Wont,
            (Side::Remote, Answer::Positive) => Verb::Do,
            (Side::Remote, Answer::Negative) => Verb::Dont,
        };
        log::debug!("send {verb} {opt}");
        self.output.extend_from_slice(&[IAC, verb.byte(), opt.0]);
    }

    fn states_mut(&mut self, side: Side) -> &mut [QState; 256] {
        match side {
            Side::Local => &mut self.local,
            Side::Remote => &mut self.remote,
        }
    }

    /// Asks for `side` of `opt` to be enabled (`WILL`/`DO`) or disabled
    /// (`WONT`/`DONT`), following RFC 1143: nothing is sent when the option is already
    /// in that state or a request in flight leads there.
    ///
    /// Enabling an option whose disable the peer has not acknowledged yet is queued
    /// (RFC 1143) and also sends `DO TM`: should the peer have taken the disable
    /// without answering (telnetlib3's client does), the answer to that Timing Mark
    /// settles it and the enable goes out then (see `probe.rs`).
    ///
    /// The local side of TM cannot be requested (a `WILL TM` only answers a `DO TM`,
    /// which the engine does by itself); asking returns
    /// [`RequestOutcome::AlreadySo`] and sends nothing. `request(Side::Remote,
    /// Opt::TM, true)` sends `DO TM`, answered by an [`Event::TimingMark`].
    pub fn request(&mut self, side: Side, opt: Opt, enable: bool) -> RequestOutcome {
        if side == Side::Local && opt == Opt::TM {
            return RequestOutcome::AlreadySo;
        }
        let state = self.state(side, opt);
        let (transition, outcome) = if enable {
            qmethod::request_enable(state)
        } else {
            qmethod::request_disable(state)
        };
        self.apply(side, opt, transition);
        if side == Side::Remote && opt == Opt::TM && enable {
            // The user's own mark (or a share of the probes'): its answer is theirs.
            self.probes.owns_mark = false;
        }
        if enable && state == QState::WantNo {
            // Undoing a disable still unacknowledged: find out whether it ever will be.
            self.probes.record(side, opt);
            self.send_probe_mark();
        }
        outcome
    }

    /// The RFC 1143 state of `side` of `opt`.
    pub fn state(&self, side: Side, opt: Opt) -> QState {
        match side {
            Side::Local => self.local[usize::from(opt.0)],
            Side::Remote => self.remote[usize::from(opt.0)],
        }
    }

    /// Whether `side` of `opt` is in effect (see [`QState::is_enabled`]), except
    /// that our own side stops at once when we send `WONT`: everything we send after
    /// it reaches the peer after it, and a disable cannot be refused (RFC 854).
    /// Waiting for the `DONT` that acknowledges it would leave the option on for good
    /// with peers that never send one (telnetlib3 5.0.1: a server that turned ECHO
    /// off would go on echoing beside the client's own echo).
    pub fn is_enabled(&self, side: Side, opt: Opt) -> bool {
        match (side, self.state(side, opt)) {
            (Side::Local, QState::WantNo | QState::WantNoOpposite) => false,
            (_, state) => state.is_enabled(),
        }
    }

    /// Whether a request of ours about `side` of `opt` awaits the peer's answer.
    pub fn is_pending(&self, side: Side, opt: Opt) -> bool {
        self.state(side, opt).is_pending()
    }

    /// Whether any request of ours awaits the peer's answer.
    pub fn any_pending(&self) -> bool {
        self.local
            .iter()
            .chain(&self.remote)
            .any(|s| s.is_pending())
    }

    /// Appends `IAC <command>` to the output.
    pub fn send_command(&mut self, command: Command) {
        log::debug!("send IAC {command}");
        self.output.extend_from_slice(&command.to_bytes());
    }

    /// Appends `IAC SB <opt> <payload> IAC SE` to the output, with every 0xFF in the
    /// option byte and the payload doubled.
    pub fn send_subnegotiation(&mut self, opt: Opt, payload: &[u8]) {
        log::debug!("send SB {opt} ({} bytes)", payload.len());
        self.output.extend_from_slice(&[IAC, SB]);
        escape_iac(&[opt.0], &mut self.output);
        escape_iac(payload, &mut self.output);
        self.output.extend_from_slice(&[IAC, SE]);
    }

    /// Appends application data to the output, with every 0xFF doubled. No newline
    /// translation: see [`nvt::encode_text`](super::nvt::encode_text) for text.
    pub fn send_data(&mut self, data: &[u8]) {
        escape_iac(data, &mut self.output);
    }

    /// The bytes waiting to be sent to the peer.
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// Forgets the output once it has been sent, keeping the buffer's memory.
    pub fn clear_output(&mut self) {
        self.output.clear();
    }

    /// Takes the bytes waiting to be sent, leaving the output empty.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }
}
