//! What a client answers beyond the engine's policy: its terminal type, window size,
//! speed, X display, environment and charset, each sent only while the option is on.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::codec::Charset;

use crate::io::{Link, Role, on_common_option_event};
use crate::proto::environ::{self, VarKind, Variable};
use crate::proto::linemode::Linemode;
use crate::proto::old_environ::{self, Dialect};
use crate::proto::{Opt, OwnedEvent, Side, Verb, charset, gmcp, naws, terminal, zmp};

/// The client's answers, configured by the builder.
#[derive(Debug, Clone)]
pub struct ClientRole {
    pub(crate) term: String,
    pub(crate) cols: u16,
    pub(crate) rows: u16,
    pub(crate) speed: (u32, u32),
    pub(crate) x_display: String,
    /// Names of the environment variables the client may reveal, upper-case.
    pub(crate) send_environ: Vec<String>,
    /// Values given explicitly; others come from the connection or the process.
    pub(crate) env_values: HashMap<String, String>,
    /// Sent with SNDLOC (RFC 779) when the server asks.
    pub(crate) location: Option<String>,
    /// How the server numbers OLD-ENVIRON's VAR and VALUE: once a request shows the
    /// BSD numbering, it is used from then on (RFC 1571).
    pub(crate) old_environ_dialect: Dialect,
    /// GMCP modules announced with `Core.Supports.Set` when the server starts GMCP;
    /// `None` announces nothing (not even `Core.Hello`).
    pub(crate) gmcp_modules: Option<Vec<(String, u32)>>,
    /// A CHARSET REQUEST of ours awaits its answer.
    pub(crate) charset_asked: bool,
    /// Computes the terminal type each time the server asks (`TTYPE SEND`).
    pub(crate) terminal_type_answer: Option<Answer<TerminalTypeAnswer>>,
    /// Computes an allowed variable's value each time the server asks for it.
    pub(crate) variable_answer: Option<Answer<VariableAnswer>>,
}

/// The terminal type to report now.
pub(crate) type TerminalTypeAnswer = dyn Fn() -> String + Send + Sync;

/// The value to reveal now for an allowed variable (`None`: the configured one).
pub(crate) type VariableAnswer = dyn Fn(&str) -> Option<String> + Send + Sync;

/// An answer the application computes at the time the server asks.
pub(crate) struct Answer<F: ?Sized>(pub Arc<F>);

impl<F: ?Sized> Clone for Answer<F> {
    fn clone(&self) -> Self {
        Answer(Arc::clone(&self.0))
    }
}

impl<F: ?Sized> std::fmt::Debug for Answer<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Answer")
    }
}

/// Runs the application's `answer`; `None` (and a warning) if it panics, so the
/// caller falls back to the configured answer.
fn guarded<T>(what: &str, answer: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(answer)) {
        Ok(value) => Some(value),
        Err(_) => {
            log::warn!("the {what} answer panicked; the configured one is sent");
            None
        }
    }
}

/// The GMCP modules telnetlib3's client announces, names and versions as it sends them.
pub(crate) const GMCP_MODULES: [(&str, u32); 8] = [
    ("char", 1),
    ("char.vitals", 1),
    ("char.items", 1),
    ("room", 1),
    ("room.info", 1),
    ("comm", 1),
    ("comm.channel", 1),
    ("group", 1),
];

impl ClientRole {
    /// Sends our own CHARSET REQUEST; false while CHARSET is off on both sides.
    pub(crate) fn request_charset(&mut self, names: &[&str], link: &mut Link) -> bool {
        let asked = link.request_charset(names);
        self.charset_asked |= asked;
        asked
    }

    /// The value the client reveals for `name`, if it is allowed and defined.
    pub(crate) fn env_value(&self, name: &str, link: &Link) -> Option<String> {
        if !self.send_environ.iter().any(|allowed| allowed == name) {
            return None;
        }
        if let Some(answer) = &self.variable_answer {
            if let Some(Some(value)) = guarded("environment", || (answer.0)(name)) {
                return Some(value);
            }
        }
        if let Some(value) = self.env_values.get(name) {
            return Some(value.clone());
        }
        match name {
            "TERM" => Some(self.term.clone()),
            "LANG" => Some(self.lang(link)),
            "COLUMNS" => Some(self.cols.to_string()),
            "LINES" => Some(self.rows.to_string()),
            _ => std::env::var(name).ok(),
        }
    }

    /// `LANG` as telnetlib3's client reports it: `en_US.<charset>`.
    pub(crate) fn lang(&self, link: &Link) -> String {
        format!("en_US.{}", link.charset.name())
    }

    pub(crate) fn send_window_size(&self, link: &mut Link) {
        if link.engine.is_enabled(Side::Local, Opt::NAWS) {
            link.engine
                .send_subnegotiation(Opt::NAWS, &naws::encode(self.cols, self.rows));
        }
    }

    /// The answer to `NEW_ENVIRON SEND`: the variables asked for that are allowed and
    /// defined with their values, the others as undefined (a name without a value, as
    /// RFC 1572 says); a bare `VAR`/`USERVAR` or an empty request asks for every allowed
    /// variable of that kind (or of both). No variable is named twice or with an empty
    /// name.
    fn environment_answer(&self, requested: &[(VarKind, Vec<u8>)], link: &Link) -> Vec<Variable> {
        let mut answer: Vec<Variable> = Vec::new();
        let mut add = |kind: VarKind, name: &str, value: Option<String>| {
            if !name.is_empty() && !answer.iter().any(|v| v.name == name.as_bytes()) {
                answer.push(Variable {
                    kind,
                    name: name.as_bytes().to_vec(),
                    value: value.map(String::into_bytes),
                });
            }
        };
        let everything_of = |kind: Option<VarKind>| {
            self.send_environ
                .iter()
                .filter(move |name| kind.is_none_or(|k| VarKind::for_name(name.as_bytes()) == k))
        };
        if requested.is_empty() {
            for name in everything_of(None) {
                if let Some(value) = self.env_value(name, link) {
                    add(VarKind::for_name(name.as_bytes()), name, Some(value));
                }
            }
        }
        for (kind, name) in requested {
            if name.is_empty() {
                for name in everything_of(Some(*kind)) {
                    if let Some(value) = self.env_value(name, link) {
                        add(*kind, name, Some(value));
                    }
                }
            } else {
                let name = String::from_utf8_lossy(name).into_owned();
                let value = self.env_value(&name, link);
                add(*kind, &name, value);
            }
        }
        answer
    }
}

impl Role for ClientRole {
    fn terminal_type(&self) -> String {
        self.term.clone()
    }

    fn window_size(&self) -> (u16, u16) {
        (self.cols, self.rows)
    }

    fn terminal_speed(&self) -> Option<(u32, u32)> {
        Some(self.speed)
    }

    fn x_display(&self) -> Option<String> {
        Some(self.x_display.clone()).filter(|display| !display.is_empty())
    }

    /// The variables we reveal, with their values.
    fn environment(&self, link: &Link) -> BTreeMap<String, String> {
        self.send_environ
            .iter()
            .filter_map(|name| Some((name.clone(), self.env_value(name, link)?)))
            .collect()
    }

    fn start(&mut self, link: &mut Link) {
        link.options.new_linemode = Some(Linemode::client);
        link.engine.start();
    }

    fn on_event(&mut self, event: &OwnedEvent, link: &mut Link) {
        on_common_option_event(event, link);
        let enabled = |link: &Link, opt| link.engine.is_enabled(Side::Local, opt);
        match event {
            OwnedEvent::OptionEnabled {
                side: Side::Remote,
                opt: Opt::GMCP,
            } => {
                if let Some(modules) = &self.gmcp_modules {
                    let hello = gmcp::hello("telnetlib", env!("CARGO_PKG_VERSION"));
                    link.engine
                        .send_subnegotiation(Opt::GMCP, &gmcp::encode("Core.Hello", Some(&hello)));
                    let modules: Vec<(&str, u32)> = modules
                        .iter()
                        .map(|(name, v)| (name.as_str(), *v))
                        .collect();
                    let supports = gmcp::supports(&modules);
                    link.engine.send_subnegotiation(
                        Opt::GMCP,
                        &gmcp::encode("Core.Supports.Set", Some(&supports)),
                    );
                }
            }
            // ZMP's handshake, as telnetlib3 5.0.1 sends it: who we are.
            OwnedEvent::OptionEnabled {
                side: Side::Remote,
                opt: Opt::ZMP,
            } => {
                let ident = zmp::encode("zmp.ident", &["telnetlib", env!("CARGO_PKG_VERSION")]);
                link.engine.send_subnegotiation(Opt::ZMP, &ident);
            }
            OwnedEvent::OptionEnabled {
                side: Side::Local,
                opt: Opt::SNDLOC,
            } => {
                if let Some(location) = &self.location {
                    link.engine
                        .send_subnegotiation(Opt::SNDLOC, location.as_bytes());
                }
            }
            // Every DO NAWS (the first one and any repeat) gets the current size.
            OwnedEvent::Negotiation {
                verb: Verb::Do,
                opt: Opt::NAWS,
            } => self.send_window_size(link),
            OwnedEvent::Subnegotiation { opt, data } => {
                let opt = *opt;
                match opt {
                    Opt::TTYPE | Opt::TSPEED | Opt::XDISPLOC
                        if terminal::is_send(data) && enabled(link, opt) =>
                    {
                        let text = match opt {
                            Opt::TTYPE => {
                                if let Some(answer) = &self.terminal_type_answer {
                                    if let Some(term) = guarded("terminal type", || (answer.0)()) {
                                        self.term = term;
                                    }
                                }
                                self.term.clone()
                            }
                            Opt::TSPEED => format!("{},{}", self.speed.0, self.speed.1),
                            _ => self.x_display.clone(),
                        };
                        link.engine
                            .send_subnegotiation(opt, &terminal::is(text.as_bytes()));
                    }
                    Opt::NEW_ENVIRON if enabled(link, opt) => {
                        if let Some(requested) = environ::parse_request(data) {
                            let answer = self.environment_answer(&requested, link);
                            link.engine
                                .send_subnegotiation(opt, &environ::answer(&answer));
                        }
                    }
                    Opt::OLD_ENVIRON if enabled(link, opt) => {
                        if old_environ::dialect_of_request(data) == Some(Dialect::Reversed) {
                            self.old_environ_dialect = Dialect::Reversed;
                        }
                        let dialect = self.old_environ_dialect;
                        let request = old_environ::convert(data, dialect);
                        if let Some(requested) = environ::parse_request(&request) {
                            let answer = self.environment_answer(&requested, link);
                            let answer = old_environ::convert(&environ::answer(&answer), dialect);
                            link.engine.send_subnegotiation(opt, &answer);
                        }
                    }
                    Opt::CHARSET
                        if enabled(link, opt) || link.engine.is_enabled(Side::Remote, opt) =>
                    {
                        if let Some(offered) = charset::parse_request(data) {
                            let answer = link.answer_charset_request(&offered);
                            link.engine.send_subnegotiation(opt, &answer);
                        } else if data.first() == Some(&charset::ACCEPTED) && self.charset_asked {
                            // The answer to our own REQUEST.
                            self.charset_asked = false;
                            if let Some(chosen) =
                                charset::parse_accepted(data).and_then(|n| Charset::for_name(&n))
                            {
                                link.set_charset(chosen);
                            }
                        } else if data.first() == Some(&charset::REJECTED) {
                            self.charset_asked = false;
                        } else if data.first() == Some(&charset::TTABLE_IS) {
                            link.engine
                                .send_subnegotiation(opt, &[charset::TTABLE_REJECTED]);
                        }
                    }
                    _ => log::trace!("no answer to SB {opt} from a client"),
                }
            }
            _ => {}
        }
    }
}
