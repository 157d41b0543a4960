//! [`ServerConnection`]: one client of a [`TelnetServer`](super::TelnetServer), with
//! everything a [`Connection`] reads, writes and waits for, plus miniboa's surface.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use crate::connection::{Connection, Server};
use crate::error::{Error, Result};
use crate::io::{State, first_line_end};
use crate::proto::lflow::FlowControl;
use crate::proto::{Command, Opt, RequestOutcome, Side, nvt};
use crate::timeout::Timeout;

use super::xterm;
use crate::role::ServerRole;

/// One client of a [`TelnetServer`](super::TelnetServer): a [`Connection`] handle
/// (clones share the connection; every method takes `&self` and is safe from any
/// thread), with everything a [`TelnetConnection`](crate::TelnetConnection) reads,
/// writes and waits for, plus miniboa's surface (`send`, `get_command`, `active`, …).
///
/// The miniboa methods never block the game loop: there `send` queues and writes
/// what the socket takes at once, and fails with [`Error::OutputFull`] when a client
/// has left `max_output_buffer` bytes unread (the connection is then closed).
pub type ServerConnection = Connection<Server>;

impl Connection<Server> {
    // ------------------------------------------------------------- miniboa: state

    /// Whether the connection is usable: false once the peer has gone, after
    /// [`deactivate`](Self::deactivate), or after `close` (miniboa's `active` stays true
    /// after the peer leaves).
    pub fn active(&self) -> bool {
        if self.core().lock().role.deactivated {
            return false;
        }
        let state = self.core().lock();
        !state.closed && state.end.is_none()
    }

    /// `set_active(false)` is [`deactivate`](Self::deactivate). `set_active(true)`
    /// keeps an active connection as it is, and fails on one that is no longer
    /// active, which cannot be brought back: `Error::Closed` after a close or
    /// `deactivate`, `Error::Eof` (or the failure) once the peer has gone.
    pub fn set_active(&self, active: bool) -> Result<()> {
        if !active {
            self.deactivate();
            return Ok(());
        }
        let state = self.core().lock();
        if state.closed || state.role.deactivated {
            return Err(Error::Closed {
                operation: "set_active",
            });
        }
        match state.end_error("set_active", self.core().peer()) {
            Some(gone) => Err(gone),
            None => Ok(()),
        }
    }

    /// Closes the connection without waiting: [`active`](Self::active) is false at
    /// once, and what is queued is sent in the background (for up to a second) before
    /// the socket is shut. A game loop never stalls on it.
    pub fn deactivate(&self) {
        self.core().lock().role.deactivated = true;
        self.core().close_soon();
    }

    /// The client's IP address as text (behind a load balancer speaking the PROXY
    /// protocol, the client's as the balancer saw it).
    pub fn address(&self) -> String {
        self.core()
            .peer()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    }

    /// The client's port.
    pub fn port(&self) -> u16 {
        self.core().peer().map(|a| a.port()).unwrap_or_default()
    }

    /// `"address:port"` (IPv6 in brackets, unlike miniboa).
    pub fn addrport(&self) -> String {
        self.core()
            .peer()
            .map(|a| a.to_string())
            .unwrap_or_default()
    }

    /// The load balancer's own address when a PROXY header named the client (see
    /// [`ServerBuilder::proxy_protocol`](crate::ServerBuilder::proxy_protocol));
    /// `None` for a client connected directly.
    pub fn balancer_addr(&self) -> Option<SocketAddr> {
        self.core().balancer()
    }

    /// When the client connected (at TCP accept, not after negotiation).
    pub fn connect_time(&self) -> SystemTime {
        self.core().lock().role.connect_time
    }

    /// When application data last arrived from the client (not when it was read).
    pub fn last_input_time(&self) -> SystemTime {
        let since = self.core().lock().last_input.elapsed();
        SystemTime::now() - since
    }

    /// The idle timeout in force: after this long without input from the client,
    /// it is sent `Timeout.` and closed. The server's
    /// [`idle_timeout`](super::ServerBuilder::idle_timeout) to begin with.
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.core().lock().idle_timeout
    }

    /// Changes this client's idle timeout at run time (telnetlib3's `set_timeout`):
    /// `Timeout::Never` (or `Duration::MAX`) turns it off, `None` is the server's
    /// default. It counts from the client's last input, not from the call.
    pub fn set_idle_timeout(&self, timeout: impl Into<Timeout>) {
        let idle = match timeout.into() {
            Timeout::Default => self.core().shared.config.idle_timeout,
            other => other.duration(),
        };
        self.core().set_idle_timeout(idle);
    }

    /// How long since application data last arrived.
    pub fn idle(&self) -> Duration {
        self.core().lock().last_input.elapsed()
    }

    /// How long the client has been connected.
    pub fn duration(&self) -> Duration {
        self.core().lock().role.connected_at.elapsed()
    }

    /// Every TTYPE answer in order (`ttype1`, `ttype2`, … in telnetlib3).
    pub fn terminal_types(&self) -> Vec<String> {
        self.core().lock().role.ttypes.clone()
    }

    /// The MUD client on the other end (Mudlet, TinTin++, MUSHclient, zMUD, CMUD, …),
    /// from its TTYPE answers, MTTS, or a MUD-only option such as GMCP; `None` for
    /// other clients. MUD clients echo for themselves: the server does not offer
    /// ECHO to them.
    pub fn mud_client(&self) -> Option<String> {
        let state = self.core().lock();
        state.role.mud_client(&state.link)
    }

    /// The charset name the client accepted through CHARSET, if any.
    pub fn charset(&self) -> Option<String> {
        self.core().lock().role.charset.clone()
    }

    /// The location the client sent with SNDLOC (RFC 779), once asked with
    /// [`request_location`](Self::request_location).
    pub fn location(&self) -> Option<String> {
        self.core().lock().role.location.clone()
    }

    /// Whether output to the client is stopped by its XOFF (only after the client was
    /// told to pass XON/XOFF through: `set_flow_control` with `client_side: false`).
    pub fn output_stopped(&self) -> bool {
        self.core().lock().link.options.output_stopped()
    }

    /// Bytes queued for the client and not yet written. After the connection is
    /// closed (by `deactivate`, a dropped slow client, or server shutdown), the bytes
    /// that `send` accepted but that could not be written before the close.
    pub fn queued_output(&self) -> usize {
        self.core().queued()
    }

    // ------------------------------------------------------------- miniboa: text

    /// Sends text: encoded, 0xFF doubled, `\n` as CR LF (an existing CR LF is not
    /// doubled, unlike miniboa) whatever BINARY says, because terminals need the CR.
    ///
    /// In the game loop ([`TelnetServer::poll`](super::TelnetServer::poll)) it never
    /// blocks: it writes what the socket takes and queues the rest, which each `poll`
    /// pushes on. On a handler's own thread it returns once everything is written. A
    /// client that leaves `max_output_buffer` unread (game loop), or takes none of it
    /// within the server's [`write_timeout`](super::ServerBuilder::write_timeout) (30 s
    /// by default) or its default [`timeout`](super::ServerBuilder::timeout), whichever
    /// is shorter, is dropped: the connection is closed and `OutputFull` or `Timeout`
    /// returned.
    pub fn send(&self, text: &str) -> Result<()> {
        self.core().check_text("send")?;
        self.deliver("send", |state| {
            let bytes = state.link.charset.encode(text);
            nvt::encode_text(&bytes, false, &mut state.outgoing);
        })
    }

    /// Sends bytes as they are (0xFF doubled), like [`send`](Self::send).
    pub fn send_bytes(&self, data: &[u8]) -> Result<()> {
        self.deliver("send_bytes", |state| {
            nvt::escape_iac(data, &mut state.outgoing)
        })
    }

    /// Queues (game loop) or writes (handler thread) what `produce` appends, and drops
    /// a client that does not take it.
    fn deliver(
        &self,
        operation: &'static str,
        produce: impl FnOnce(&mut State<ServerRole>),
    ) -> Result<()> {
        let in_game_loop = self.core().lock().role.in_game_loop;
        let result = if in_game_loop {
            self.core().queue(operation, produce)
        } else {
            // Bounded by the connection's default timeout and by the server's write
            // timeout, whichever comes first; a client that takes none of it by
            // then is dropped.
            let by_default = self.core().deadline_for(Timeout::Default);
            let by_write = Timeout::from(self.core().shared.config.write_timeout).deadline();
            let deadline = match (by_default, by_write) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.core().send(operation, deadline, produce)
        };
        if let Err(Error::OutputFull { .. } | Error::Timeout { .. }) = &result {
            log::info!("{} is not reading its output; dropping it", self.addrport());
            self.deactivate();
        }
        result
    }

    /// From now on neither `send` nor `close` waits for the socket (the client
    /// joined the game loop).
    pub(crate) fn enter_game_loop(&self) {
        self.core().never_wait();
        self.core().lock().role.in_game_loop = true;
    }

    /// [`send`](Self::send) with miniboa's caret colour codes (`^r` red, `^~` reset, …)
    /// turned into ANSI sequences, or removed when [`use_ansi`](Self::use_ansi) is off.
    pub fn send_cc(&self, text: &str) -> Result<()> {
        self.send(&xterm::colorize(text, self.use_ansi()))
    }

    /// Whether [`send_cc`](Self::send_cc) and [`send_wrapped`](Self::send_wrapped)
    /// send colour (miniboa's `use_ansi`; on by default).
    pub fn use_ansi(&self) -> bool {
        self.core().lock().role.use_ansi
    }

    /// Turns colour off for a client without ANSI support (caret codes are then
    /// stripped), or back on.
    pub fn set_use_ansi(&self, on: bool) {
        self.core().lock().role.use_ansi = on;
    }

    /// Word-wraps `text` to [`columns`](Self::columns) as miniboa does, then sends each
    /// line with [`send_cc`](Self::send_cc).
    pub fn send_wrapped(&self, text: &str) -> Result<()> {
        let columns = usize::from(self.columns());
        for line in xterm::word_wrap(text, columns, xterm::DEFAULT_INDENT, xterm::DEFAULT_PADDING) {
            self.send_cc(&(line + "\n"))?;
        }
        Ok(())
    }

    /// Sends a prompt: the text, then `IAC GA` unless the client suppressed go-ahead
    /// (we perform SGA) or the server was built with `never_send_ga`, and `IAC EOR`
    /// when EOR is on.
    pub fn send_prompt(&self, text: &str) -> Result<()> {
        self.core().check_text("send_prompt")?;
        self.deliver("send_prompt", |state| {
            let bytes = state.link.charset.encode(text);
            nvt::encode_text(&bytes, false, &mut state.outgoing);
            let engine = &mut state.link.engine;
            if !state.role.never_send_ga() && !engine.is_enabled(Side::Local, Opt::SGA) {
                engine.send_command(Command::Ga);
            }
            if engine.is_enabled(Side::Local, Opt::EOR) {
                engine.send_command(Command::Eor);
            }
        })
    }

    /// Sends MSSP variables now, replacing what the client holds from
    /// [`ServerBuilder::mssp`](crate::ServerBuilder::mssp) (a live `PLAYERS` or
    /// `UPTIME`); `Err(Refused)` if the client declined MSSP, `Err(NotAgreed)` until it agreed.
    ///
    /// ```no_run
    /// # fn demo(client: &telnetlib::ServerConnection) -> telnetlib::Result<()> {
    /// client.send_mssp(&[("PLAYERS", &["12"][..]), ("UPTIME", &["1764000000"])])?;
    /// # Ok(()) }
    /// ```
    pub fn send_mssp<N, V, S>(&self, variables: &[(N, V)]) -> Result<()>
    where
        N: AsRef<str>,
        V: AsRef<[S]>,
        S: AsRef<str>,
    {
        let payload = crate::proto::mssp::encode(variables);
        self.core().send_mud("send_mssp", Opt::MSSP, &payload)
    }

    /// The next complete line the client typed, trimmed, without waiting; `None` when
    /// no complete line is buffered.
    pub fn get_command(&self) -> Option<String> {
        match self.core().readline_str(Timeout::After(Duration::ZERO)) {
            Ok(line) => Some(line.trim().to_owned()),
            // A line longer than the limit is handed over alone (or in pieces while
            // its ending has not come) rather than stuck.
            Err(Error::LineTooLong { .. }) => self
                .core()
                .take_overlong_line_str()
                .map(|text| text.trim().to_owned()),
            Err(_) => None,
        }
    }

    /// Whether a complete line is buffered for [`get_command`](Self::get_command).
    pub fn cmd_ready(&self) -> bool {
        let state = self.core().lock();
        let eol = state.link.charset.line_end_byte();
        first_line_end(state.input.as_slice(), eol).is_some()
    }

    // ------------------------------------------------------------- miniboa: negotiation

    fn request_now(&self, side: Side, opt: Opt, enable: bool) -> Result<RequestOutcome> {
        let mut outcome = RequestOutcome::AlreadySo;
        self.core().queue("request", |state| {
            outcome = state.link.engine.request(side, opt, enable);
        })?;
        Ok(outcome)
    }

    /// `IAC DO SGA`.
    pub fn request_do_sga(&self) -> Result<RequestOutcome> {
        self.request_now(Side::Remote, Opt::SGA, true)
    }

    /// `IAC WILL ECHO`: the server echoes (and edits) what the client types.
    pub fn request_will_echo(&self) -> Result<RequestOutcome> {
        self.request_now(Side::Local, Opt::ECHO, true)
    }

    /// `IAC WONT ECHO`: the client echoes locally again.
    pub fn request_wont_echo(&self) -> Result<RequestOutcome> {
        self.request_now(Side::Local, Opt::ECHO, false)
    }

    /// `IAC DO NAWS`.
    pub fn request_naws(&self) -> Result<RequestOutcome> {
        self.request_now(Side::Remote, Opt::NAWS, true)
    }

    /// `IAC DO TTYPE`; when the client agrees, its terminal type is asked for.
    pub fn request_terminal_type(&self) -> Result<RequestOutcome> {
        self.request_now(Side::Remote, Opt::TTYPE, true)
    }

    /// `IAC DO TSPEED`; when the client agrees, its speed is asked for and shows in
    /// [`terminal_speed`](Self::terminal_speed).
    pub fn request_terminal_speed(&self) -> Result<RequestOutcome> {
        self.request_now(Side::Remote, Opt::TSPEED, true)
    }

    /// `IAC DO XDISPLOC`; when the client agrees, its X display is asked for and shows
    /// in [`x_display`](Self::x_display).
    pub fn request_x_display(&self) -> Result<RequestOutcome> {
        self.request_now(Side::Remote, Opt::XDISPLOC, true)
    }

    /// `IAC DO SNDLOC`; a client that agrees sends its location, shown by
    /// [`location`](Self::location).
    pub fn request_location(&self) -> Result<RequestOutcome> {
        self.request_now(Side::Remote, Opt::SNDLOC, true)
    }

    /// `IAC DO LFLOW`: asks the client to take flow-control commands
    /// ([`set_flow_control`](Self::set_flow_control)).
    pub fn request_flow_control(&self) -> Result<RequestOutcome> {
        self.request_now(Side::Remote, Opt::LFLOW, true)
    }

    /// Tells the client how to do XON/XOFF flow control (RFC 1372): with
    /// `client_side`, it stops and restarts its own display; without, it passes XON
    /// and XOFF through and this server honours them, holding output from XOFF until
    /// XON (or, with `restart_any`, any other character). `Err(Refused)` or `Err(NotAgreed)` unless the
    /// client performs LFLOW.
    pub fn set_flow_control(&self, flow: FlowControl) -> Result<()> {
        if !self.remote_option(Opt::LFLOW) {
            let state = self.core().lock();
            let missing = self
                .core()
                .missing_option(&state, "set_flow_control", Opt::LFLOW);
            return Err(missing.unwrap_or(Error::NotAgreed {
                operation: "set_flow_control",
                peer: self.peer_addr(),
                opt: Opt::LFLOW,
            }));
        }
        self.core().queue("set_flow_control", |state| {
            for command in flow.commands() {
                state.link.engine.send_subnegotiation(Opt::LFLOW, &command);
            }
            let options = &mut state.link.options;
            options.flow = flow;
            options.flow_here = !flow.client_side;
            if flow.client_side {
                options.gate = Default::default();
            }
        })
    }

    /// Hides what the client types: the server claims ECHO (`IAC WILL ECHO` if it was
    /// off) and echoes nothing until [`password_mode_off`](Self::password_mode_off).
    pub fn password_mode_on(&self) -> Result<()> {
        self.core().queue("password_mode_on", |state| {
            state.role.password_mode = true;
            let was_on = state.link.engine.is_enabled(Side::Local, Opt::ECHO);
            if !was_on {
                state.role.echo_for_password = true;
                state.link.engine.request(Side::Local, Opt::ECHO, true);
            }
        })
    }

    /// Shows typing again: echo resumes, and if ECHO was turned on only for the
    /// password, `IAC WONT ECHO` gives echoing back to the client.
    pub fn password_mode_off(&self) -> Result<()> {
        self.core().queue("password_mode_off", |state| {
            state.role.password_mode = false;
            if std::mem::take(&mut state.role.echo_for_password) {
                state.link.engine.request(Side::Local, Opt::ECHO, false);
            }
        })
    }
}
