//! Options both ends handle alike, whatever their role: STATUS reports both ways,
//! LFLOW's settings with the XON/XOFF gate on output, LINEMODE's negotiation (MODE,
//! SLC, FORWARDMASK), the MUD protocols' messages (GMCP, MSDP, MSSP, ZMP, ATCP)
//! queued for the application with ZMP's core requests answered, and MCCP's
//! compression switches (in `mccp`).

use std::collections::VecDeque;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::proto::lflow::{FlowControl, OutputGate};
use crate::proto::linemode::Linemode;
use crate::proto::status::{self, StatusReport};
use crate::proto::{Opt, OwnedEvent, Side};
use crate::proto::{gmcp, msdp, mssp, zmp};

use super::core::{Core, Link, Role};

/// Option state kept beside the engine.
#[derive(Debug, Default)]
pub(crate) struct Options {
    /// The peer's last STATUS report.
    pub status: Option<StatusReport>,
    /// How many STATUS reports have arrived (to wait for the next one).
    pub status_reports: u64,
    /// LFLOW settings: as the server commanded (client), or as told to the client
    /// (server).
    pub flow: FlowControl,
    /// This side acts on XON/XOFF in received data: a server that told its client to
    /// pass them through (`LFLOW OFF`).
    pub flow_here: bool,
    /// Output stopped by XOFF while `flow_here`.
    pub gate: OutputGate,
    /// GMCP messages received and not yet read: (package, JSON text).
    pub gmcp: VecDeque<(String, String)>,
    /// MSDP messages received and not yet read.
    pub msdp: VecDeque<Vec<(String, msdp::Value)>>,
    /// The last MSSP variables received.
    pub mssp: Option<Vec<(String, Vec<String>)>>,
    /// ZMP messages received and not yet read: `[command, arg, …]`.
    pub zmp: VecDeque<Vec<String>>,
    /// ATCP messages received and not yet read: (package, value).
    pub atcp: VecDeque<(String, String)>,
    /// Makes LINEMODE's state for the side this connection plays (set by the role).
    pub new_linemode: Option<fn() -> Linemode>,
    /// LINEMODE's state, made when the option is first enabled (most connections
    /// never use it, and thousands of idle ones should not carry an SLC table).
    pub linemode: Option<Linemode>,
}

/// The most MUD messages of each kind kept unread; older ones are dropped first (a
/// client that never reads them must not grow memory without bound).
pub(crate) const MAX_QUEUED_MESSAGES: usize = 1024;

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, what: &str) {
    if queue.len() >= MAX_QUEUED_MESSAGES {
        log::debug!("{what} queue full: dropping the oldest unread message");
        queue.pop_front();
    }
    queue.push_back(item);
}

impl Options {
    /// Whether queued output must wait (stopped by XOFF).
    pub fn output_stopped(&self) -> bool {
        self.flow_here && self.gate.stopped
    }
}

/// Handles the events of the options in this module; the roles call it first.
pub(crate) fn on_event(event: &OwnedEvent, link: &mut Link) {
    super::mccp::on_event(event, link);
    match event {
        OwnedEvent::Subnegotiation {
            opt: Opt::STATUS,
            data,
        } => match data.first() {
            // Only the side that agreed to send reports (WILL STATUS) sends them, and
            // only the side that asked (DO STATUS) may request or receive them.
            Some(&status::SEND) if link.engine.is_enabled(Side::Local, Opt::STATUS) => {
                let report = status::report(&link.engine);
                link.engine.send_subnegotiation(Opt::STATUS, &report);
            }
            Some(&status::IS) if link.engine.is_enabled(Side::Remote, Opt::STATUS) => {
                match status::parse_report(data) {
                    Some(report) => {
                        link.options.status = Some(report);
                        link.options.status_reports += 1;
                    }
                    None => log::debug!("malformed STATUS report ignored"),
                }
            }
            _ => {}
        },
        OwnedEvent::Subnegotiation {
            opt: Opt::LFLOW,
            data,
        } if link.engine.is_enabled(Side::Local, Opt::LFLOW) && !link.options.flow.apply(data) => {
            log::debug!("unknown LFLOW command {data:?} ignored");
        }
        // LINEMODE: the server's side is the peer's (it sends DO), the client's its own.
        OwnedEvent::OptionEnabled {
            opt: Opt::LINEMODE, ..
        } => {
            let options = &mut link.options;
            if options.linemode.is_none() {
                options.linemode = options.new_linemode.map(|new| new());
            }
            if let Some(linemode) = options.linemode.as_mut() {
                linemode.start().send_to(&mut link.engine);
            }
        }
        OwnedEvent::OptionDisabled {
            opt: Opt::LINEMODE, ..
        } => {
            if let Some(linemode) = link.options.linemode.as_mut() {
                linemode.reset();
            }
        }
        OwnedEvent::Subnegotiation {
            opt: Opt::LINEMODE,
            data,
        } if is_on(link, Opt::LINEMODE) => {
            if let Some(linemode) = link.options.linemode.as_mut() {
                match linemode.receive(data) {
                    Some(outcome) => outcome.send_to(&mut link.engine),
                    None => log::debug!("malformed LINEMODE subnegotiation ignored"),
                }
            }
        }
        // MUD messages count whichever side agreed to the option.
        OwnedEvent::Subnegotiation { opt, data } if is_on(link, *opt) => match *opt {
            Opt::GMCP => {
                if let Some(message) = gmcp::decode(data) {
                    push_bounded(&mut link.options.gmcp, message, "GMCP");
                }
            }
            Opt::MSDP => match msdp::decode(data) {
                Some(variables) => push_bounded(&mut link.options.msdp, variables, "MSDP"),
                None => log::debug!("malformed MSDP message ignored"),
            },
            Opt::MSSP => link.options.mssp = Some(mssp::decode(data)),
            Opt::ZMP => match zmp::decode(data) {
                Some(message) => {
                    if let Some(reply) = zmp::answer(&message, std::time::SystemTime::now()) {
                        link.engine.send_subnegotiation(Opt::ZMP, &reply);
                    }
                    push_bounded(&mut link.options.zmp, message, "ZMP");
                }
                None => log::debug!("ZMP message without a command ignored"),
            },
            // ATCP frames its messages as GMCP does: "Package.Message value".
            Opt::ATCP => {
                if let Some(message) = gmcp::decode(data) {
                    push_bounded(&mut link.options.atcp, message, "ATCP");
                }
            }
            _ => {}
        },
        OwnedEvent::OptionDisabled {
            side: Side::Remote,
            opt: Opt::LFLOW,
        } => {
            link.options.flow_here = false;
            link.options.gate = OutputGate::default();
        }
        _ => {}
    }
}

fn is_on(link: &Link, opt: Opt) -> bool {
    link.engine.is_enabled(Side::Local, opt) || link.engine.is_enabled(Side::Remote, opt)
}

impl<R: Role> Core<R> {
    /// Waits for the next GMCP message: (package, JSON text).
    pub fn read_gmcp(&self, timeout: Option<Duration>) -> Result<(String, String)> {
        self.next_message("read_gmcp", timeout, |options| options.gmcp.pop_front())
    }

    /// Waits for the next MSDP message.
    pub fn read_msdp(&self, timeout: Option<Duration>) -> Result<Vec<(String, msdp::Value)>> {
        self.next_message("read_msdp", timeout, |options| options.msdp.pop_front())
    }

    /// Waits for the next ZMP message: `[command, arg, …]`.
    pub fn read_zmp(&self, timeout: Option<Duration>) -> Result<Vec<String>> {
        self.next_message("read_zmp", timeout, |options| options.zmp.pop_front())
    }

    /// Waits for the next ATCP message: (package, value).
    pub fn read_atcp(&self, timeout: Option<Duration>) -> Result<(String, String)> {
        self.next_message("read_atcp", timeout, |options| options.atcp.pop_front())
    }

    /// Waits until `take` finds a queued message, or the connection ends.
    fn next_message<T>(
        &self,
        operation: &'static str,
        timeout: Option<Duration>,
        take: impl Fn(&mut Options) -> Option<T>,
    ) -> Result<T> {
        let peer = self.peer();
        self.wait(operation, self.deadline_for(timeout), |state| {
            match take(&mut state.link.options) {
                Some(message) => Some(Ok(message)),
                None => state.end_error(operation, peer).map(Err),
            }
        })
    }

    /// Sends a MUD protocol message when either side performs `opt`; `Err(Refused)`
    /// otherwise (nothing is sent).
    pub fn send_mud(&self, operation: &'static str, opt: Opt, payload: &[u8]) -> Result<()> {
        let peer = self.peer();
        let mut refused = false;
        self.send(operation, self.deadline_for(None), |state| {
            refused = !is_on(&state.link, opt);
            if !refused {
                state.link.engine.send_subnegotiation(opt, payload);
            }
        })?;
        if refused {
            return Err(Error::Refused {
                operation,
                peer,
                opt,
            });
        }
        Ok(())
    }

    /// Asks the peer for its STATUS report: `DO STATUS` unless it performs STATUS
    /// already, then `SB STATUS SEND`; waits for the `IS` that answers.
    pub fn request_status(&self, timeout: Option<Duration>) -> Result<StatusReport> {
        const OPERATION: &str = "request_status";
        let deadline = self.deadline_for(timeout);
        let peer = self.peer();
        self.send(OPERATION, deadline, |state| {
            state.link.engine.request(Side::Remote, Opt::STATUS, true);
        })?;
        self.wait(OPERATION, deadline, |state| {
            let engine = &state.link.engine;
            if engine.is_enabled(Side::Remote, Opt::STATUS) {
                Some(Ok(()))
            } else if !engine.is_pending(Side::Remote, Opt::STATUS) {
                Some(Err(Error::Refused {
                    operation: OPERATION,
                    peer,
                    opt: Opt::STATUS,
                }))
            } else {
                state.end_error(OPERATION, peer).map(Err)
            }
        })?;
        let mut before = 0;
        self.send(OPERATION, deadline, |state| {
            before = state.link.options.status_reports;
            state
                .link
                .engine
                .send_subnegotiation(Opt::STATUS, &[status::SEND]);
        })?;
        self.wait(OPERATION, deadline, |state| {
            let options = &state.link.options;
            match &options.status {
                Some(report) if options.status_reports > before => Some(Ok(report.clone())),
                _ => state.end_error(OPERATION, peer).map(Err),
            }
        })
    }
}
