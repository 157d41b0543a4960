//! The negotiation of one side ([`Linemode`]): it answers the peer by the RFC's rules,
//! never answers a reply, and reports what changed ([`Outcome`], [`Change`]).

use std::collections::VecDeque;

use super::*;

/// What the peer changed, as reported in an [`Outcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// The mode in effect is now this (without [`MODE_ACK`]).
    Mode(ModeMask),
    /// This function's setting changed to this (`ack` clear).
    Slc(SlcTriplet),
    /// The forward mask in use: on a client the one it accepted (`None` after
    /// `DONT FORWARDMASK`); on a server the one the client agreed to use (`None` after
    /// `WONT FORWARDMASK`).
    Forwardmask(Option<ForwardMask>),
}

/// The result of a call on [`Linemode`]: payloads to send, and what the peer changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// LINEMODE payloads to send in this order, each with
    /// `engine.send_subnegotiation(Opt::LINEMODE, &payload)`.
    pub send: Vec<Vec<u8>>,
    /// What the peer's message changed, in order. Always empty for calls that are our
    /// own requests (`start`, `set_mode`, …): the caller knows what it asked for.
    pub changes: Vec<Change>,
}

impl Outcome {
    /// Whether there is nothing to send and nothing changed.
    pub fn is_empty(&self) -> bool {
        self.send.is_empty() && self.changes.is_empty()
    }

    /// Appends each payload to `engine`'s output as `IAC SB LINEMODE … IAC SE`.
    pub fn send_to(&self, engine: &mut Engine) {
        for payload in &self.send {
            engine.send_subnegotiation(Opt::LINEMODE, payload);
        }
    }

    fn with_message(message: &Message) -> Outcome {
        Outcome {
            send: vec![message.encode()],
            changes: Vec::new(),
        }
    }
}

/// How many of its `DO`/`DONT FORWARDMASK` a server remembers while it waits for their
/// answers; a client answers each at once, so more means it does not answer at all.
pub(super) const MAX_UNANSWERED: usize = 16;

/// The LINEMODE state of one side of a connection, and its answers to the peer.
///
/// The server is the side that sent `DO LINEMODE`, the client the one that sent
/// `WILL LINEMODE`. The rules, from RFC 1184:
///
/// - **MODE.** The server proposes, the client confirms. A client adopts a `MODE m`
///   (keeping the bits it supports, and always EDIT and TRAPSIG as given) and answers
///   `MODE m|MODE_ACK` only when `m` differs from its current mode. A server accepts a
///   client's request the same way, and switches to the mode of an acknowledgement that
///   differs from its own. A `MODE` with `MODE_ACK` set is never answered.
/// - **FORWARDMASK.** Only the server sends `DO`/`DONT`; the client answers every `DO`
///   with `WILL` (or `WONT` if told not to use masks) and every `DONT` with `WONT`, so
///   the server pairs each answer with its request, even when they cross.
/// - **SLC**, per triplet: a setting equal to the current one is ignored; a triplet with
///   `ACK` is never answered (a client adopts it and a server ignores it, so both
///   settle on the client's value when they change a character at once); otherwise the
///   receiver agrees (switches and echoes the triplet with `ACK`) or disagrees by
///   answering what it has at a *lower* level, so every exchange ends. `DEFAULT` asks the
///   receiver for its own default. `0 DEFAULT 0` from the client makes the server reset
///   its table and send it; `0 VALUE 0` makes it send its current table.
///
/// A side agrees by its *defaults* table, the characters it can do: a `VALUE` there can
/// be changed to anything, a `CANTCHANGE` only kept, a `NOSUPPORT` not supported, and
/// `DEFAULT` (no preference) accepts whatever the peer proposes.
#[derive(Debug, Clone)]
pub struct Linemode {
    server: bool,
    /// Server: the mode `start` proposes.
    proposed_mode: ModeMask,
    /// Client: the mode bits it can do besides EDIT and TRAPSIG.
    supported_modes: ModeMask,
    mode: ModeMask,
    /// The characters this side can do and its system defaults.
    defaults: SlcTable,
    /// Client: export `defaults` on start instead of importing the server's.
    export: bool,
    slc: SlcTable,
    /// Server: send `DO FORWARDMASK` on start; client: accept `DO FORWARDMASK`.
    use_forwardmask: bool,
    /// Server: the mask of our last `DO FORWARDMASK`, until `DONT` or its refusal.
    requested_mask: Option<ForwardMask>,
    /// Server: our `DO FORWARDMASK` (`Some`) and `DONT` (`None`) not answered yet, in
    /// order; at most [`MAX_UNANSWERED`] (a peer that never answers costs no memory).
    pub(super) unanswered: VecDeque<Option<ForwardMask>>,
    /// Server: `requested_mask` follows the SLC table (it was not set by hand).
    mask_follows_table: bool,
    /// The mask in use (client: accepted; server: accepted by the client).
    forwardmask: Option<ForwardMask>,
}

impl Linemode {
    /// A server that proposes `EDIT|TRAPSIG`, offers the BSD table ([`SlcTable::bsd`])
    /// and asks for a forward mask built from it ([`SlcTable::forwardmask`]).
    ///
    /// `EDIT|TRAPSIG` is RFC 1184's first state, "local line editing and local signal
    /// trapping": the point of LINEMODE, a line per packet with the user's own editing
    /// keys. telnetlib3 proposes `LIT_ECHO` (0x10) alone, which leaves both editing and
    /// signals to the server (character mode, as if LINEMODE were off); its
    /// `LinemodeServer` proposes `EDIT`. Use [`with_mode`](Linemode::with_mode) for
    /// either.
    pub fn server() -> Linemode {
        Linemode {
            server: true,
            proposed_mode: ModeMask::EDIT | ModeMask::TRAPSIG,
            supported_modes: ModeMask::ALL,
            mode: ModeMask(0),
            defaults: SlcTable::bsd(),
            export: false,
            slc: SlcTable::bsd(),
            use_forwardmask: true,
            requested_mask: None,
            unanswered: VecDeque::new(),
            mask_follows_table: true,
            forwardmask: None,
        }
    }

    /// A client that supports every mode bit, accepts forward masks and imports the
    /// server's characters on start (`SLC 0 DEFAULT 0`, as telnetlib3's client does).
    /// [`with_slc`](Linemode::with_slc) makes it export a table instead.
    pub fn client() -> Linemode {
        Linemode {
            server: false,
            defaults: SlcTable::no_preference(),
            slc: SlcTable::unsupported(),
            ..Linemode::server()
        }
    }

    /// Server: the mode [`start`](Linemode::start) proposes ([`MODE_ACK`] is dropped).
    pub fn with_mode(mut self, mode: ModeMask) -> Linemode {
        self.proposed_mode = mode.without_ack();
        self
    }

    /// Client: the mode bits it can do. EDIT and TRAPSIG are always accepted as the
    /// server sets them (RFC 1184 §2.2: the client "MUST agree" with them); other bits
    /// outside `modes` are cleared in its acknowledgement, which the server then adopts.
    pub fn with_supported_modes(mut self, modes: ModeMask) -> Linemode {
        self.supported_modes = modes.without_ack();
        self
    }

    /// The characters this side can do and its defaults. A server sends this table on
    /// start and after `0 DEFAULT 0`; a client exports it on start (instead of
    /// importing), and agrees or disagrees with the server by it.
    pub fn with_slc(mut self, table: SlcTable) -> Linemode {
        self.defaults = table.clone();
        self.slc = table;
        self.export = true;
        self
    }

    /// Server: whether [`start`](Linemode::start) asks for a forward mask (default
    /// yes). Client: whether it accepts one (default yes; otherwise it answers
    /// `WONT FORWARDMASK`).
    pub fn with_forwardmask(mut self, enabled: bool) -> Linemode {
        self.use_forwardmask = enabled;
        self
    }

    /// Whether this is the server side.
    pub fn is_server(&self) -> bool {
        self.server
    }

    /// The current mode (without [`MODE_ACK`]). 0 until the server's first `MODE`.
    pub fn mode(&self) -> ModeMask {
        self.mode
    }

    /// The current special characters.
    pub fn slc(&self) -> &SlcTable {
        &self.slc
    }

    /// The forward mask in use, if any (see [`Change::Forwardmask`]).
    pub fn forwardmask(&self) -> Option<&ForwardMask> {
        self.forwardmask.as_ref()
    }

    /// Whether a client must send its buffered input when `byte` is typed, besides the
    /// line terminators and signals it forwards anyway (RFC 1184 §5.6): `byte` is in
    /// the forward mask in use, or is the SLC_FORW1 or SLC_FORW2 character.
    pub fn forwards(&self, byte: u8) -> bool {
        self.forwardmask.is_some_and(|mask| mask.contains(byte))
            || [SLC_FORW1, SLC_FORW2]
                .into_iter()
                .any(|function| self.slc.get(function).active_value() == Some(byte))
    }

    /// Back to the state before [`start`](Linemode::start), for when the option is
    /// disabled: mode 0, no forward mask, and the table of defaults (a client that
    /// imports: every function `NOSUPPORT`).
    pub fn reset(&mut self) {
        self.mode = ModeMask(0);
        self.slc = if self.server || self.export {
            self.defaults.clone()
        } else {
            SlcTable::unsupported()
        };
        self.requested_mask = None;
        self.unanswered.clear();
        self.mask_follows_table = true;
        self.forwardmask = None;
    }

    /// What to send once LINEMODE is enabled (after a [`reset`](Linemode::reset)).
    ///
    /// - Server: `MODE` with the configured mode, its SLC table (the functions its
    ///   defaults support) and, unless disabled, `DO FORWARDMASK` with the table's mask.
    /// - Client: `SLC 0 DEFAULT 0` to import the server's characters, or with
    ///   [`with_slc`](Linemode::with_slc) its own table
    ///   ([`export_slc`](Linemode::export_slc)).
    pub fn start(&mut self) -> Outcome {
        self.reset();
        if !self.server {
            return if self.export {
                self.export_slc()
            } else {
                self.import_slc()
            };
        }
        self.mode = self.proposed_mode;
        let mut outcome = Outcome::with_message(&Message::Mode(self.mode));
        outcome
            .send
            .push(Message::Slc(self.table_with(&[])).encode());
        if self.use_forwardmask {
            let mask = self.slc.forwardmask();
            outcome.send.push(self.send_forwardmask(Some(mask)));
        }
        outcome
    }

    /// Processes one LINEMODE payload from the peer. `None` when it is malformed (see
    /// [`Message::parse`]); then nothing changed.
    pub fn receive(&mut self, payload: &[u8]) -> Option<Outcome> {
        let message = Message::parse(payload);
        match &message {
            Some(message) => log::debug!("recv LINEMODE {message}"),
            None => log::debug!("recv LINEMODE: malformed payload {payload:02x?}"),
        }
        Some(self.handle(message?))
    }

    /// Processes one message from the peer.
    pub fn handle(&mut self, message: Message) -> Outcome {
        let mut outcome = Outcome::default();
        match message {
            Message::Mode(mode) => self.receive_mode(mode, &mut outcome),
            Message::Forwardmask { verb, mask } => {
                self.receive_forwardmask(verb, mask, &mut outcome);
            }
            Message::Slc(triplets) => self.receive_slc(&triplets, &mut outcome),
        }
        outcome
    }

    /// Asks for (server) or requests (client, RFC 1184 §5.1) the mode `mode`, and takes
    /// it as the current one. Nothing is sent when it is the current mode already.
    pub fn set_mode(&mut self, mode: ModeMask) -> Outcome {
        let mode = mode.without_ack();
        if mode == self.mode {
            return Outcome::default();
        }
        self.mode = mode;
        Outcome::with_message(&Message::Mode(mode))
    }

    /// Changes one special character (the triplet's `ack` is ignored), and proposes it
    /// to the peer, as in RFC 1184's example "The user changes his erase character to
    /// ^H". Nothing is sent when it is the current setting, or the function is outside
    /// 1..=[`NSLC`]. A server whose forward mask follows its table asks for the new
    /// mask too.
    pub fn set_slc(&mut self, triplet: SlcTriplet) -> Outcome {
        if !self.slc.set(triplet) {
            return Outcome::default();
        }
        let mut outcome = Outcome::with_message(&Message::Slc(vec![triplet.acked(false)]));
        self.follow_table(&mut outcome);
        outcome
    }

    /// Client: asks for the server's defaults (`SLC 0 DEFAULT 0`). The table is
    /// unchanged until they arrive, so the ones equal to it need no answer (as in
    /// RFC 1184's example). Nothing on a server.
    pub fn import_slc(&mut self) -> Outcome {
        if self.server {
            return Outcome::default();
        }
        Outcome::with_message(&Message::Slc(vec![SlcTriplet::new(0, Level::Default, 0)]))
    }

    /// Client: asks for the server's current characters (`SLC 0 VALUE 0`). Nothing on
    /// a server.
    pub fn request_slc(&mut self) -> Outcome {
        if self.server {
            return Outcome::default();
        }
        Outcome::with_message(&Message::Slc(vec![SlcTriplet::new(0, Level::Value, 0)]))
    }

    /// Client: goes back to its own characters (the [`with_slc`](Linemode::with_slc)
    /// table) and sends them, "export" in RFC 1184's words. As BSD's client does, the
    /// functions that table does not support are left out (the server's table, sent on
    /// start, already had them answered), unless this reset changed them. Nothing on a
    /// server.
    pub fn export_slc(&mut self) -> Outcome {
        if self.server {
            return Outcome::default();
        }
        // Our own request: what it changes is not reported.
        let reset = self.reset_to_defaults(&mut Vec::new());
        Outcome::with_message(&Message::Slc(self.table_with(&reset)))
    }

    /// Server: asks the client to forward on `mask` (`DO FORWARDMASK`), which from now
    /// on no longer follows the SLC table. Nothing on a client.
    pub fn request_forwardmask(&mut self, mask: ForwardMask) -> Outcome {
        if !self.server {
            return Outcome::default();
        }
        self.mask_follows_table = false;
        Outcome {
            send: vec![self.send_forwardmask(Some(mask))],
            changes: Vec::new(),
        }
    }

    /// Server: asks the client to stop using a forward mask (`DONT FORWARDMASK`).
    /// Nothing when none was asked for, or on a client.
    pub fn stop_forwardmask(&mut self) -> Outcome {
        if !self.server || self.requested_mask.is_none() {
            return Outcome::default();
        }
        Outcome {
            send: vec![self.send_forwardmask(None)],
            changes: Vec::new(),
        }
    }

    /// Server: the payload of `DO FORWARDMASK mask` or `DONT FORWARDMASK`, recorded as
    /// awaiting its answer.
    fn send_forwardmask(&mut self, mask: Option<ForwardMask>) -> Vec<u8> {
        self.requested_mask = mask;
        if self.unanswered.len() == MAX_UNANSWERED {
            self.unanswered.pop_front();
        }
        self.unanswered.push_back(mask);
        match mask {
            Some(mask) => Message::forwardmask(Verb::Do, mask),
            None => Message::forwardmask(Verb::Dont, ForwardMask::new()),
        }
    }

    /// The triplets of a whole table: the functions this side's defaults support (as
    /// BSD `telnetd` and `telnet` do) and the `extra` ones, at their current setting.
    fn table_with(&self, extra: &[u8]) -> Vec<SlcTriplet> {
        self.slc
            .iter()
            .filter(|t| self.supports(t.function) || extra.contains(&t.function))
            .collect()
    }

    fn receive_mode(&mut self, mode: ModeMask, outcome: &mut Outcome) {
        let ack = mode.is_ack();
        let mode = mode.without_ack();
        if mode == self.mode || (ack && !self.server) {
            // The mode in use, or (client) an acknowledgement that differs: ignored.
            return;
        }
        let adopted = if self.server {
            mode
        } else {
            ModeMask(mode.0 & (self.supported_modes.0 | EDIT | TRAPSIG))
        };
        if adopted != self.mode {
            self.mode = adopted;
            outcome.changes.push(Change::Mode(adopted));
        }
        if !ack {
            outcome
                .send
                .push(Message::Mode(adopted.with_ack()).encode());
        }
    }

    fn receive_forwardmask(&mut self, verb: Verb, mask: ForwardMask, outcome: &mut Outcome) {
        let (now, reply) = match (self.server, verb) {
            // Only a server may send DO/DONT, only a client WILL/WONT (RFC 1184 §5.7).
            (true, Verb::Do | Verb::Dont) | (false, Verb::Will | Verb::Wont) => return,
            // The answer to our oldest unanswered request: WILL takes up the mask of a
            // DO; WONT refuses a DO or confirms a DONT. Answers to nothing are ignored.
            (true, Verb::Will) => match self.unanswered.pop_front() {
                Some(Some(requested)) => (Some(requested), None),
                _ => return,
            },
            (true, Verb::Wont) => {
                if self.unanswered.pop_front().is_none() {
                    return;
                }
                if self.unanswered.is_empty() {
                    // Refused, and nothing newer asked: no more requests.
                    self.requested_mask = None;
                }
                (None, None)
            }
            (false, Verb::Do) if self.use_forwardmask => (Some(mask), Some(Verb::Will)),
            (false, Verb::Do | Verb::Dont) => (None, Some(Verb::Wont)),
        };
        if let Some(verb) = reply {
            outcome
                .send
                .push(Message::forwardmask(verb, ForwardMask::new()));
        }
        if now != self.forwardmask {
            self.forwardmask = now;
            outcome.changes.push(Change::Forwardmask(now));
        }
    }

    fn receive_slc(&mut self, triplets: &[SlcTriplet], outcome: &mut Outcome) {
        let mut replies = Vec::new();
        // The functions to send besides the supported ones, when 0 DEFAULT 0 or
        // 0 VALUE 0 asked for the table: it goes once, after the other replies, as it
        // stands then, however many requests the message holds (the answer stays
        // within a table's size of the question).
        let mut table: Option<Vec<u8>> = None;
        for &triplet in triplets {
            if triplet.function != 0 {
                self.receive_triplet(triplet, &mut replies, &mut outcome.changes);
                continue;
            }
            // Only a client sends them, only a server answers, and an ACK never.
            if !self.server || triplet.ack {
                continue;
            }
            let reset = match triplet.level {
                Level::Default => self.reset_to_defaults(&mut outcome.changes),
                Level::Value => Vec::new(),
                Level::CantChange | Level::NoSupport => continue,
            };
            table.get_or_insert_with(Vec::new).extend(reset);
        }
        if let Some(reset) = table {
            replies.extend(self.table_with(&reset));
        }
        if !replies.is_empty() {
            outcome.send.push(Message::Slc(replies).encode());
        }
        self.follow_table(outcome);
    }

    /// Server: after its table changed, asks for the forward mask that goes with it,
    /// unless the mask was set by hand or is not wanted.
    fn follow_table(&mut self, outcome: &mut Outcome) {
        if let (true, true, Some(requested)) =
            (self.server, self.mask_follows_table, self.requested_mask)
        {
            let mask = self.slc.forwardmask();
            if mask != requested {
                outcome.send.push(self.send_forwardmask(Some(mask)));
            }
        }
    }

    /// Takes the defaults as the current table; returns the functions outside them
    /// that this changed (set by hand), which the whole table must include too, or the
    /// peer would keep the setting we just dropped.
    fn reset_to_defaults(&mut self, changes: &mut Vec<Change>) -> Vec<u8> {
        let mut reset = Vec::new();
        for default in self.defaults.clone().iter() {
            if self.switch(default, changes) && !self.supports(default.function) {
                reset.push(default.function);
            }
        }
        reset
    }

    /// Whether this side's defaults support `function` (it is in the tables it sends).
    fn supports(&self, function: u8) -> bool {
        self.defaults.get(function).level != Level::NoSupport
    }

    /// RFC 1184 §5.5 and the table of §5.9, for one function.
    fn receive_triplet(
        &mut self,
        triplet: SlcTriplet,
        replies: &mut Vec<SlcTriplet>,
        changes: &mut Vec<Change>,
    ) {
        let current = self.slc.get(triplet.function);
        if triplet.same_setting(&current) {
            return; // 1) the same as the current setting
        }
        if triplet.ack {
            // 2) A reply is never answered. The server has switched to what it
            // acknowledges, so a client takes it and a server ignores it: both settle on
            // the client's value when they change the same character at once. RFC 1184
            // says so for the same level; at another level (BSD ignores those) taking
            // it too is what keeps crossing requests from leaving the sides apart.
            if !self.server {
                self.switch(triplet, changes);
            }
            return;
        }
        // 3) agree: switch and echo it with ACK; 4) disagree: switch to, and send, what
        // we have at a lower level, without ACK.
        let function = triplet.function;
        let mine = self.defaults.get(function);
        let answer = match triplet.level {
            Level::NoSupport => triplet.acked(true),
            Level::CantChange
                if mine.level >= Level::Value
                    || (mine.level == Level::CantChange && mine.value == triplet.value) =>
            {
                triplet.acked(true)
            }
            Level::CantChange => SlcTriplet::nosupport(function),
            Level::Value if mine.level >= Level::Value => triplet.acked(true),
            Level::Value => match mine.level {
                Level::CantChange => mine,
                _ => SlcTriplet::nosupport(function),
            },
            // "Use your default": ours, or NOSUPPORT when we have none either.
            Level::Default if mine.level == Level::Default => SlcTriplet::nosupport(function),
            Level::Default => mine,
        };
        self.switch(answer, changes);
        replies.push(answer);
    }

    /// Takes `triplet` as the current setting of its function; returns (and reports)
    /// whether that changed it.
    fn switch(&mut self, triplet: SlcTriplet, changes: &mut Vec<Change>) -> bool {
        let changed = self.slc.set(triplet);
        if changed {
            changes.push(Change::Slc(triplet.acked(false)));
        }
        changed
    }
}
