//! What a server negotiates beyond the engine's policy (telnetlib3's server, with
//! its defects fixed): the TTYPE cycle, the options offered once the client
//! has spoken, ECHO unless the client is a MUD client or the server runs in line mode,
//! NEW_ENVIRON, CHARSET, BINARY, TSPEED and XDISPLOC, and LOGOUT. It records what the
//! client reveals and says when negotiation has settled.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::Sender;

use crate::codec::Charset;
use std::collections::VecDeque;

use crate::io::{DataSink, Link, Role, on_common_option_event};
use crate::proto::environ::{self, VarKind};
use crate::proto::linemode::Linemode;
use crate::proto::old_environ::{self, Dialect};
use crate::proto::{Opt, OwnedEvent, Side, charset, mssp, naws, terminal};

use super::editor::LineEditor;

/// At most this many TTYPE replies are asked for (telnetlib3's `TTYPE_LOOPMAX`).
const TTYPE_LOOPMAX: usize = 8;

/// The most environment variables kept from one client.
const MAX_ENVIRONMENT: usize = 256;

/// The most bytes of environment (names and values, as kept) from one client: INFO
/// may come at any time, so a count alone would let each value be 64 KiB.
const MAX_ENVIRONMENT_BYTES: usize = 64 * 1024;

/// The longest terminal type kept (RFC 1091 names are at most 40 characters): a
/// longer answer ends the TTYPE cycle without being kept.
const MAX_TERMINAL_NAME: usize = 256;

/// The longest SNDLOC location or X display kept; longer ones are ignored.
const MAX_SHORT_TEXT: usize = 1024;

/// Terminal types of MUD clients, which handle their own echo.
const MUD_CLIENTS: [&str; 13] = [
    "mudlet",
    "cmud",
    "zmud",
    "mushclient",
    "atlantis",
    "tintin++",
    "tt++",
    "blowtorch",
    "mudrammer",
    "kildclient",
    "portal",
    "beip",
    "savitar",
];

/// Options only MUD clients offer.
const MUD_OPTIONS: [Opt; 6] = [
    Opt::GMCP,
    Opt::MSDP,
    Opt::MXP,
    Opt::MSP,
    Opt::ATCP,
    Opt::AARDWOLF,
];

/// The longest environment request sent in one subnegotiation: GNU inetutils'
/// telnetd reads them into 256 bytes (telnetlib3 uses the same figure).
const MAX_ENVIRON_FRAME: usize = 240;

/// The environment variables a server asks for (telnetlib3's list).
pub(crate) const ENVIRON_REQUEST: [&str; 11] = [
    "USER",
    "LOGNAME",
    "DISPLAY",
    "LANG",
    "TERM",
    "TERM_PROGRAM",
    "COLUMNS",
    "LINES",
    "COLORTERM",
    "EDITOR",
    "IPADDRESS",
];

/// Settings shared by every connection of one server.
#[derive(Debug, Clone)]
pub(crate) struct ServerSettings {
    /// Never offer ECHO or SGA: the client edits lines itself.
    pub line_mode: bool,
    /// Echo and edit input on the server while it performs ECHO.
    pub line_editing: bool,
    /// Offer CHARSET and send a REQUEST when the client agrees.
    pub offer_charset: bool,
    /// Charset names offered in the REQUEST, in order of preference.
    pub charsets: Vec<String>,
    pub default_term: String,
    pub default_size: (u16, u16),
    pub max_line: usize,
    /// The environment variables asked for through NEW_ENVIRON or OLD-ENVIRON.
    pub environ_names: Vec<String>,
    /// The MSSP variables sent to a client that agrees to MSSP.
    pub mssp: Vec<(String, Vec<String>)>,
    /// The longest a connection's negotiation may hold back its hand-out.
    pub connect_maxwait: Duration,
    /// `send_prompt` never sends GA.
    pub never_send_ga: bool,
    /// How long a peer that has sent nothing at all is waited for before it is
    /// handed out anyway.
    pub silent_peer_wait: Duration,
}

/// Counts a server's live connections; the count drops when the connection does.
#[derive(Debug)]
pub(crate) struct Slot(pub Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Tells the server that a connection's negotiation settled, or that something
/// happened that its game loop should look at.
#[derive(Debug, Clone)]
pub(crate) struct Notifier {
    pub id: u64,
    pub settled: Sender<u64>,
    pub activity: Sender<()>,
}

/// Subnegotiation answers we asked for and have not received.
#[derive(Debug, Default, Clone, Copy)]
struct Awaiting {
    ttype: bool,
    environ: bool,
    charset: bool,
    tspeed: bool,
    xdisploc: bool,
}

impl Awaiting {
    fn any(&self) -> bool {
        self.ttype || self.environ || self.charset || self.tspeed || self.xdisploc
    }
}

/// One server connection's negotiation state and what the client told us.
#[derive(Debug)]
pub struct ServerRole {
    settings: Arc<ServerSettings>,
    notifier: Option<Notifier>,
    announced: bool,
    /// The connection is in a game loop, which wants to hear of its activity (and
    /// whose `send` must never wait).
    pub(crate) in_game_loop: bool,
    /// `deactivate` was called.
    pub(crate) deactivated: bool,
    /// When the client connected (at TCP accept).
    pub(crate) connect_time: SystemTime,
    pub(crate) connected_at: Instant,
    /// Counts the connection among the server's live ones while it exists.
    _slot: Option<Slot>,
    /// When the connection is handed out even if its negotiation has not settled.
    hand_out_by: Option<Instant>,
    /// When a peer that has said nothing at all is handed out.
    silent_hand_out_by: Option<Instant>,
    /// The peer has sent something: data or Telnet commands.
    heard: bool,
    advanced: bool,
    echo_decided: bool,
    environ_decided: bool,
    /// A bare `SEND` (all variables) followed an empty answer to our named one.
    environ_asked_all: bool,
    awaiting: Awaiting,
    /// Environment requests not yet sent (each goes after the answer to the last).
    environ_frames: VecDeque<Vec<u8>>,
    /// OLD-ENVIRON was asked for, after NEW_ENVIRON was refused.
    old_environ_tried: bool,
    /// How the client numbers OLD-ENVIRON's VAR and VALUE, once guessed (RFC 1571).
    old_environ_dialect: Option<Dialect>,
    logout: bool,
    editor: LineEditor,
    /// Echo nothing typed (a password is being entered).
    pub(crate) password_mode: bool,
    /// `send_cc` turns caret codes into ANSI sequences (else strips them).
    pub(crate) use_ansi: bool,
    /// ECHO was switched on by `password_mode_on` and goes off with it.
    pub(crate) echo_for_password: bool,
    pub(crate) ttypes: Vec<String>,
    pub(crate) term: Option<String>,
    pub(crate) cols: u16,
    pub(crate) rows: u16,
    pub(crate) environment: BTreeMap<String, String>,
    /// The bytes of names and values in `environment`.
    environment_bytes: usize,
    pub(crate) charset: Option<String>,
    pub(crate) speed: Option<(u32, u32)>,
    pub(crate) x_display: Option<String>,
    /// What the client sent with SNDLOC (RFC 779).
    pub(crate) location: Option<String>,
}

impl ServerRole {
    pub(crate) fn new(
        settings: Arc<ServerSettings>,
        notifier: Option<Notifier>,
        slot: Option<Slot>,
    ) -> ServerRole {
        let (cols, rows) = settings.default_size;
        ServerRole {
            settings,
            notifier,
            announced: false,
            in_game_loop: false,
            deactivated: false,
            connect_time: SystemTime::now(),
            connected_at: Instant::now(),
            _slot: slot,
            hand_out_by: None,
            silent_hand_out_by: None,
            heard: false,
            advanced: false,
            echo_decided: false,
            environ_decided: false,
            environ_asked_all: false,
            awaiting: Awaiting::default(),
            environ_frames: VecDeque::new(),
            old_environ_tried: false,
            old_environ_dialect: None,
            logout: false,
            editor: LineEditor::default(),
            password_mode: false,
            use_ansi: true,
            echo_for_password: false,
            ttypes: Vec::new(),
            term: None,
            cols,
            rows,
            environment: BTreeMap::new(),
            environment_bytes: 0,
            charset: None,
            speed: None,
            x_display: None,
            location: None,
        }
    }

    /// `send_prompt` never sends GA (`ServerBuilder::never_send_ga`).
    pub(crate) fn never_send_ga(&self) -> bool {
        self.settings.never_send_ga
    }

    /// No request of ours and no subnegotiation answer is outstanding.
    pub(crate) fn settled(&self, link: &Link) -> bool {
        !self.awaiting.any() && (!link.engine.any_pending() || only_courtesy_pending(link))
    }

    /// The MUD client on the other end, by name: a TTYPE answer whose first word
    /// names a known MUD client (`Mudlet 4.17`, `tintin++`), else the first answer
    /// when the client speaks MTTS or a MUD-only option (GMCP, MSDP, …). `None` for
    /// other clients.
    pub(crate) fn mud_client(&self, link: &Link) -> Option<String> {
        let first_word = |t: &String| {
            let word = t.split([' ', '/', '-']).next().unwrap_or_default();
            MUD_CLIENTS.contains(&word.to_ascii_lowercase().as_str())
        };
        if let Some(name) = self.ttypes.iter().find(|t| first_word(t)) {
            return Some(name.clone());
        }
        let mtts = self.ttypes.iter().any(|t| t.starts_with("MTTS "));
        let mud_option = MUD_OPTIONS
            .iter()
            .any(|&opt| link.engine.is_enabled(Side::Remote, opt));
        (mtts || mud_option).then(|| {
            self.ttypes
                .first()
                .cloned()
                .unwrap_or_else(|| "unknown MUD client".to_owned())
        })
    }

    /// What a server offers once the client has spoken (answered TTYPE either way).
    fn begin_advanced(&mut self, link: &mut Link) {
        if std::mem::replace(&mut self.advanced, true) {
            return;
        }
        if self.settings.line_mode {
            // RFC 1184: the client edits lines and traps signals itself.
            link.engine.request(Side::Remote, Opt::LINEMODE, true);
        } else {
            link.engine.request(Side::Local, Opt::SGA, true);
        }
        link.engine.request(Side::Local, Opt::BINARY, true);
        link.engine.request(Side::Remote, Opt::NAWS, true);
        if self.settings.offer_charset {
            link.engine.request(Side::Remote, Opt::CHARSET, true);
        }
    }

    fn decide_echo(&mut self, link: &mut Link) {
        if std::mem::replace(&mut self.echo_decided, true) {
            return;
        }
        if !self.settings.line_mode && self.mud_client(link).is_none() {
            link.engine.request(Side::Local, Opt::ECHO, true);
        }
    }

    fn decide_environ(&mut self, link: &mut Link) {
        if !std::mem::replace(&mut self.environ_decided, true) {
            link.engine.request(Side::Remote, Opt::NEW_ENVIRON, true);
        }
    }

    /// One TTYPE answer: record it, and ask again unless the cycle is over.
    fn on_ttype(&mut self, name: String, link: &mut Link) {
        // Only answers to our SEND count: unrequested ones could grow without end.
        if !self.awaiting.ttype {
            return;
        }
        if name.is_empty() {
            self.awaiting.ttype = false;
        } else {
            self.ttypes.push(name.clone());
            self.term = Some(name.clone());
            let n = self.ttypes.len();
            let repeated = n > 1 && (name == self.ttypes[0] || name == self.ttypes[n - 2]);
            let mtts = n == 3 && name.starts_with("MTTS ");
            if mtts {
                // Mudlet/TinTin++ style: the second answer is the terminal type.
                self.term = Some(self.ttypes[1].clone());
            }
            self.awaiting.ttype = !(repeated || mtts || n >= TTYPE_LOOPMAX);
        }
        if self.awaiting.ttype {
            link.engine
                .send_subnegotiation(Opt::TTYPE, &[terminal::SEND]);
        }
        self.decide_echo(link);
        // Microsoft telnet answers ANSI then VT100 and crashes on a request for USER:
        // for an "ANSI" client, wait for the second answer before asking.
        let first_is_ansi = self.ttypes.first().is_some_and(|t| t == "ANSI");
        if !first_is_ansi || self.ttypes.len() >= 2 || !self.awaiting.ttype {
            self.decide_environ(link);
        }
    }

    /// Whether an answer the server asked for (TTYPE, environment, CHARSET, TSPEED,
    /// XDISPLOC) is still owed.
    pub(crate) fn awaiting_answers(&self) -> bool {
        self.awaiting.any()
    }

    /// Starts the TTYPE cycle again (the terminal type may have changed, or the
    /// application wants the list afresh); false while the client does not perform
    /// TTYPE.
    pub(crate) fn restart_ttype_cycle(&mut self, link: &mut Link) -> bool {
        if !link.engine.is_enabled(Side::Remote, Opt::TTYPE) {
            return false;
        }
        self.ttypes.clear();
        self.awaiting.ttype = true;
        link.engine
            .send_subnegotiation(Opt::TTYPE, &[terminal::SEND]);
        true
    }

    /// Asks for these environment variables (all of them with none) through
    /// NEW_ENVIRON, or OLD-ENVIRON when that is what the client performs; false when
    /// it performs neither.
    pub(crate) fn request_variables(&mut self, names: &[&str], link: &mut Link) -> bool {
        let opt = if link.engine.is_enabled(Side::Remote, Opt::NEW_ENVIRON) {
            Opt::NEW_ENVIRON
        } else if link.engine.is_enabled(Side::Remote, Opt::OLD_ENVIRON) {
            Opt::OLD_ENVIRON
        } else {
            return false;
        };
        let mut wanted: Vec<(VarKind, &[u8])> = names
            .iter()
            .map(|name| (VarKind::Var, name.as_bytes()))
            .collect();
        if wanted.is_empty() {
            wanted = vec![(VarKind::Var, b""), (VarKind::UserVar, b"")];
        }
        self.environ_frames = environ::request_frames(&wanted, MAX_ENVIRON_FRAME).into();
        // A bare SEND after an empty answer is only for the first round.
        self.environ_asked_all = true;
        self.send_environ_frame(opt, link)
    }

    /// Offers these character sets again (CHARSET REQUEST); false while CHARSET is
    /// off on both sides.
    pub(crate) fn request_charset(&mut self, names: &[&str], link: &mut Link) -> bool {
        let asked = link.request_charset(names);
        self.awaiting.charset |= asked;
        asked
    }

    /// Asks for the environment through `opt` (NEW_ENVIRON, or OLD-ENVIRON in RFC
    /// 1408 numbering), in frames of at most [`MAX_ENVIRON_FRAME`] bytes sent one
    /// after another's answer.
    fn request_environ(&mut self, opt: Opt, link: &mut Link) {
        let microsoft =
            self.ttypes.len() >= 2 && self.ttypes[0] == "ANSI" && self.ttypes[1] == "VT100";
        let mut names: Vec<(VarKind, &[u8])> = self
            .settings
            .environ_names
            .iter()
            .filter(|name| !(microsoft && *name == "USER"))
            .map(|name| (VarKind::Var, name.as_bytes()))
            .collect();
        names.push((VarKind::Var, b""));
        names.push((VarKind::UserVar, b""));
        self.environ_frames = environ::request_frames(&names, MAX_ENVIRON_FRAME).into();
        self.send_environ_frame(opt, link);
    }

    /// Sends the next environment request, if any; true if one went out.
    fn send_environ_frame(&mut self, opt: Opt, link: &mut Link) -> bool {
        let Some(frame) = self.environ_frames.pop_front() else {
            return false;
        };
        link.engine.send_subnegotiation(opt, &frame);
        self.awaiting.environ = true;
        true
    }

    /// An OLD-ENVIRON answer: guessed numbering (RFC 1571) from the first one, then
    /// read as NEW_ENVIRON.
    fn on_old_environ(&mut self, payload: &[u8], link: &mut Link) {
        let dialect = match self.old_environ_dialect {
            Some(dialect) => dialect,
            None => {
                let Some(guess) = old_environ::dialect_of_answer(payload) else {
                    return;
                };
                log::debug!("OLD-ENVIRON numbering of the client: {guess:?}");
                *self.old_environ_dialect.insert(guess)
            }
        };
        self.on_environ(
            Opt::OLD_ENVIRON,
            &old_environ::convert(payload, dialect),
            link,
        );
    }

    fn on_environ(&mut self, opt: Opt, payload: &[u8], link: &mut Link) {
        let Some((info, variables)) = environ::parse_answer(payload) else {
            return;
        };
        let answered_ours = !info && self.awaiting.environ;
        self.awaiting.environ = self.send_environ_frame(opt, link);
        if answered_ours
            && !self.awaiting.environ
            && variables.is_empty()
            && !self.environ_asked_all
        {
            // netkit telnet (Debian's telnet and telnet-ssl 0.17) answers a SEND that
            // names variables with an empty IS, yet sends what it exports (DISPLAY,
            // USER, ...) for a bare SEND: ask once more, for everything.
            self.environ_asked_all = true;
            link.engine.send_subnegotiation(opt, &environ::request(&[]));
            self.awaiting.environ = true;
            return;
        }
        for variable in variables {
            let Some(value) = variable.value.filter(|v| !v.is_empty()) else {
                continue;
            };
            let name = String::from_utf8_lossy(&variable.name).to_ascii_uppercase();
            let value = String::from_utf8_lossy(&value).into_owned();
            // INFO may come at any time: keep the names and their bytes bounded.
            let replaced = self
                .environment
                .get(&name)
                .map(|old| name.len() + old.len());
            let bytes = self.environment_bytes - replaced.unwrap_or(0) + name.len() + value.len();
            let too_many = replaced.is_none() && self.environment.len() >= MAX_ENVIRONMENT;
            if too_many || bytes > MAX_ENVIRONMENT_BYTES {
                log::debug!("environment variable {name:.40} not kept: the bound is reached");
                continue;
            }
            self.environment_bytes = bytes;
            self.environment.insert(name, value);
        }
        // LANG's codeset names the client's charset when CHARSET did not.
        if self.charset.is_none() {
            let codeset = self.environment.get("LANG").and_then(|lang| {
                let codeset = lang.split_once('.')?.1;
                Some(codeset.split('@').next().unwrap_or(codeset).to_owned())
            });
            if let Some(charset) = codeset.as_deref().and_then(Charset::for_name) {
                link.set_charset(charset);
            }
        }
    }

    fn offer_charsets(&mut self, link: &mut Link) {
        let names: Vec<&str> = self.settings.charsets.iter().map(String::as_str).collect();
        link.engine.request(Side::Local, Opt::CHARSET, true);
        link.engine
            .send_subnegotiation(Opt::CHARSET, &charset::request(&names));
        self.awaiting.charset = true;
    }

    fn on_charset(&mut self, payload: &[u8], link: &mut Link) {
        match payload.first() {
            Some(&charset::ACCEPTED) => {
                self.awaiting.charset = false;
                if let Some(name) = charset::parse_accepted(payload) {
                    if let Some(chosen) = Charset::for_name(&name) {
                        link.set_charset(chosen);
                    }
                    self.charset = Some(name);
                }
            }
            Some(&charset::REJECTED) => self.awaiting.charset = false,
            Some(&charset::REQUEST) => {
                let offered = charset::parse_request(payload).unwrap_or_default();
                let answer = link.answer_charset_request(&offered);
                // Accepting the client's own request settles the charset as
                // surely as its answer to ours does.
                if let Some(name) = charset::parse_accepted(&answer) {
                    self.charset = Some(name);
                }
                link.engine.send_subnegotiation(Opt::CHARSET, &answer);
            }
            Some(&charset::TTABLE_IS) => link
                .engine
                .send_subnegotiation(Opt::CHARSET, &[charset::TTABLE_REJECTED]),
            _ => {}
        }
    }

    fn on_option_enabled(&mut self, side: Side, opt: Opt, link: &mut Link) {
        match (side, opt) {
            (Side::Remote, Opt::TTYPE) => {
                link.engine
                    .send_subnegotiation(Opt::TTYPE, &[terminal::SEND]);
                self.awaiting.ttype = true;
                self.begin_advanced(link);
            }
            (Side::Local, Opt::BINARY) => {
                link.engine.request(Side::Remote, Opt::BINARY, true);
            }
            (Side::Remote, Opt::CHARSET) if self.settings.offer_charset => {
                self.offer_charsets(link);
            }
            (Side::Remote, Opt::NEW_ENVIRON | Opt::OLD_ENVIRON) => self.request_environ(opt, link),
            (Side::Remote, Opt::TSPEED) => {
                link.engine
                    .send_subnegotiation(Opt::TSPEED, &[terminal::SEND]);
                self.awaiting.tspeed = true;
            }
            (Side::Remote, Opt::XDISPLOC) => {
                link.engine
                    .send_subnegotiation(Opt::XDISPLOC, &[terminal::SEND]);
                self.awaiting.xdisploc = true;
            }
            (Side::Local, Opt::LOGOUT) => self.logout = true,
            (Side::Local, Opt::MSSP) => {
                link.engine
                    .send_subnegotiation(Opt::MSSP, &mssp::encode(&self.settings.mssp));
            }
            _ => {}
        }
    }

    /// An option we waited on will not answer: stop waiting for its subnegotiation.
    fn on_option_off(&mut self, side: Side, opt: Opt, link: &mut Link) {
        match (side, opt) {
            (Side::Remote, Opt::TTYPE) => {
                // A client refusing TTYPE still gets every other offer (telnetlib3
                // stops negotiating altogether).
                self.awaiting.ttype = false;
                self.begin_advanced(link);
                self.decide_echo(link);
                self.decide_environ(link);
            }
            (Side::Remote, Opt::NEW_ENVIRON) => {
                self.awaiting.environ = false;
                // A client without NEW_ENVIRON may have RFC 1408's older option.
                if !std::mem::replace(&mut self.old_environ_tried, true) {
                    link.engine.request(Side::Remote, Opt::OLD_ENVIRON, true);
                }
            }
            (Side::Remote, Opt::OLD_ENVIRON) => self.awaiting.environ = false,
            (Side::Remote, Opt::CHARSET) => self.awaiting.charset = false,
            (Side::Remote, Opt::TSPEED) => self.awaiting.tspeed = false,
            (Side::Remote, Opt::XDISPLOC) => self.awaiting.xdisploc = false,
            _ => {}
        }
    }

    /// Tells the server, once, that this connection can be handed out.
    fn announce(&mut self) {
        if !std::mem::replace(&mut self.announced, true) {
            if let Some(notifier) = &self.notifier {
                let _ = notifier.settled.send(notifier.id);
            }
        }
    }

    fn notify_activity(&self) {
        if !self.in_game_loop {
            return;
        }
        if let Some(notifier) = &self.notifier {
            let _ = notifier.activity.try_send(());
        }
    }
}

/// Whether the only request of ours still unanswered is our WILL CHARSET. It only
/// reciprocates the client's WILL (which is all the REQUEST needs), and TinTin++ never
/// answers it: waiting for it held every such client back until `connect_maxwait`.
fn only_courtesy_pending(link: &Link) -> bool {
    (0..=u8::MAX).map(Opt).all(|opt| {
        !link.engine.is_pending(Side::Remote, opt)
            && (opt == Opt::CHARSET || !link.engine.is_pending(Side::Local, opt))
    })
}

impl Role for ServerRole {
    /// The TTYPE answer, else NEW_ENVIRON's TERM, else the default.
    fn terminal_type(&self) -> String {
        self.term
            .clone()
            .or_else(|| self.environment.get("TERM").cloned())
            .unwrap_or_else(|| self.settings.default_term.clone())
    }

    fn window_size(&self) -> (u16, u16) {
        (self.cols, self.rows)
    }

    fn terminal_speed(&self) -> Option<(u32, u32)> {
        self.speed
    }

    fn x_display(&self) -> Option<String> {
        self.x_display.clone()
    }

    fn environment(&self, _link: &Link) -> BTreeMap<String, String> {
        self.environment.clone()
    }

    fn start(&mut self, link: &mut Link) {
        link.options.new_linemode = Some(Linemode::server);
        link.engine.start();
        // A wait too long to represent means "wait for the negotiation, however long".
        let now = Instant::now();
        self.hand_out_by = now.checked_add(self.settings.connect_maxwait);
        self.silent_hand_out_by = now.checked_add(self.settings.silent_peer_wait);
    }

    fn on_event(&mut self, event: &OwnedEvent, link: &mut Link) {
        self.heard = true;
        on_common_option_event(event, link);
        match event {
            OwnedEvent::OptionEnabled { side, opt } => self.on_option_enabled(*side, *opt, link),
            OwnedEvent::OptionDisabled { side, opt } | OwnedEvent::OptionRefused { side, opt } => {
                self.on_option_off(*side, *opt, link)
            }
            OwnedEvent::Subnegotiation { opt, data } => match *opt {
                Opt::TTYPE => {
                    if let Some(name) = terminal::parse_is(data) {
                        if name.len() <= MAX_TERMINAL_NAME {
                            self.on_ttype(String::from_utf8_lossy(name).into_owned(), link);
                        } else {
                            log::debug!("a terminal type of {} bytes ends the cycle", name.len());
                            // As an empty answer does.
                            self.on_ttype(String::new(), link);
                        }
                    }
                }
                // Accepted without WILL NAWS, as telnetlib3 does; zero means unknown.
                Opt::NAWS => {
                    if let Some((cols, rows)) = naws::decode(data) {
                        if cols > 0 {
                            self.cols = cols;
                        }
                        if rows > 0 {
                            self.rows = rows;
                        }
                    }
                }
                Opt::NEW_ENVIRON => self.on_environ(Opt::NEW_ENVIRON, data, link),
                Opt::OLD_ENVIRON => self.on_old_environ(data, link),
                Opt::SNDLOC if data.len() <= MAX_SHORT_TEXT => {
                    self.location = Some(String::from_utf8_lossy(data).into_owned());
                }
                Opt::CHARSET => self.on_charset(data, link),
                Opt::TSPEED => {
                    if let Some(text) = terminal::parse_is(data) {
                        self.speed = terminal::parse_speed(text).or(self.speed);
                        self.awaiting.tspeed = false;
                    }
                }
                Opt::XDISPLOC => {
                    if let Some(text) =
                        terminal::parse_is(data).filter(|t| t.len() <= MAX_SHORT_TEXT)
                    {
                        self.x_display = Some(String::from_utf8_lossy(text).into_owned());
                        self.awaiting.xdisploc = false;
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn on_data(&mut self, data: &[u8], sink: &mut DataSink<'_>) {
        self.heard = true;
        if self.settings.line_editing && sink.local_echo {
            self.editor
                .feed(data, self.password_mode, self.settings.max_line, sink);
        } else {
            self.editor.flush(sink);
            sink.push(data);
        }
    }

    fn after_chunk(&mut self, link: &mut Link) {
        if !self.announced && self.settled(link) {
            self.announce();
        }
        self.notify_activity();
    }

    fn wants_close(&self) -> bool {
        self.logout
    }

    fn on_end(&mut self) {
        // A client gone before it settled is handed out now, to be seen leaving.
        self.announce();
        self.notify_activity();
    }

    fn on_output_drained(&mut self) {
        // A game loop streaming output to this client may queue more now.
        self.notify_activity();
    }

    fn deadline(&self) -> Option<Instant> {
        if self.announced {
            return None;
        }
        // A peer that has said nothing at all (nc, a raw socket) is not a Telnet
        // client that is slow to answer: it gets its handler soon.
        let silent = self.silent_hand_out_by.filter(|_| !self.heard);
        [self.hand_out_by, silent].into_iter().flatten().min()
    }

    fn on_deadline(&mut self, now: Instant) {
        if self.announced {
            return;
        }
        if self.hand_out_by.is_some_and(|by| by <= now) {
            log::debug!("connection did not settle negotiation in time; handing it out");
            self.announce();
        } else if !self.heard && self.silent_hand_out_by.is_some_and(|by| by <= now) {
            log::debug!("the peer has sent nothing; handing it out");
            self.announce();
        }
    }
}
