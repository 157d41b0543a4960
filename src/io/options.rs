//! Options both ends handle alike, whatever their role: STATUS reports both ways, and
//! LFLOW's settings with the XON/XOFF gate on output.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::proto::lflow::{FlowControl, OutputGate};
use crate::proto::status::{self, StatusReport};
use crate::proto::{Opt, OwnedEvent, Side};

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
}

impl Options {
    /// Whether queued output must wait (stopped by XOFF).
    pub fn output_stopped(&self) -> bool {
        self.flow_here && self.gate.stopped
    }
}

/// Handles the events of the options in this module; the roles call it first.
pub(crate) fn on_event(event: &OwnedEvent, link: &mut Link) {
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

impl<R: Role> Core<R> {
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
