//! Options both ends handle alike, whatever their role: STATUS reports both ways,
//! LFLOW's settings with the XON/XOFF gate on output, LINEMODE's negotiation (MODE,
//! SLC, FORWARDMASK), the MUD protocols' messages (GMCP, MSDP, MSSP, ZMP, ATCP)
//! queued for the application with ZMP's core requests answered, .

use super::comport::ComPortState;
use super::retained::{Footprint, MAX_RETAINED_ITEM, MessageQueue};
use crate::proto::lflow::{FlowControl, OutputGate};
use crate::proto::linemode::Linemode;
use crate::proto::status::{self, StatusReport};
use crate::proto::{Engine, Opt, OwnedEvent, Side};
use crate::proto::{gmcp, msdp, mssp, zmp};

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
    pub gmcp: MessageQueue<(String, String)>,
    /// MSDP messages received and not yet read.
    pub msdp: MessageQueue<Vec<(String, msdp::Value)>>,
    /// The last MSSP variables received.
    pub mssp: Option<Vec<(String, Vec<String>)>>,
    /// ZMP messages received and not yet read: `[command, arg, …]`.
    pub zmp: MessageQueue<Vec<String>>,
    /// ATCP messages received and not yet read: (package, value).
    pub atcp: MessageQueue<(String, String)>,
    /// Makes LINEMODE's state for the side this connection plays (set by the role).
    pub new_linemode: Option<fn() -> Linemode>,
    /// LINEMODE's state, made when the option is first enabled (most connections
    /// never use it, and thousands of idle ones should not carry an SLC table).
    pub linemode: Option<Linemode>,
    /// Options the peer refused when asked (and has not enabled since), either side.
    pub refused: OptionSet,
    /// RFC 2217: the terminal server's answers and notifications.
    pub comport: ComPortState,
}

/// A set of option codes.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct OptionSet([u64; 4]);

impl OptionSet {
    pub fn insert(&mut self, opt: Opt) {
        self.0[usize::from(opt.0 >> 6)] |= 1 << (opt.0 & 63);
    }

    pub fn remove(&mut self, opt: Opt) {
        self.0[usize::from(opt.0 >> 6)] &= !(1 << (opt.0 & 63));
    }

    pub fn contains(&self, opt: Opt) -> bool {
        self.0[usize::from(opt.0 >> 6)] & (1 << (opt.0 & 63)) != 0
    }
}

impl Options {
    /// Whether queued output must wait (stopped by XOFF).
    pub fn output_stopped(&self) -> bool {
        self.flow_here && self.gate.stopped
    }
}

/// Handles the events of the options in this module.
pub(crate) fn on_event(event: &OwnedEvent, engine: &mut Engine, options: &mut Options) {
    let is_on = |engine: &Engine, opt| {
        engine.is_enabled(Side::Local, opt) || engine.is_enabled(Side::Remote, opt)
    };
    match *event {
        OwnedEvent::OptionRefused { opt, .. } => options.refused.insert(opt),
        OwnedEvent::OptionEnabled { opt, .. } => options.refused.remove(opt),
        _ => {}
    }
    match event {
        OwnedEvent::Subnegotiation {
            opt: Opt::STATUS,
            data,
        } => match data.first() {
            // Only the side that agreed to send reports (WILL STATUS) sends them, and
            // only the side that asked (DO STATUS) may request or receive them.
            Some(&status::SEND) if engine.is_enabled(Side::Local, Opt::STATUS) => {
                let report = status::report(engine);
                engine.send_subnegotiation(Opt::STATUS, &report);
            }
            Some(&status::IS) if engine.is_enabled(Side::Remote, Opt::STATUS) => {
                match status::parse_report(data) {
                    Some(report) => {
                        options.status = Some(report);
                        options.status_reports += 1;
                    }
                    None => log::debug!("malformed STATUS report ignored"),
                }
            }
            _ => {}
        },
        OwnedEvent::Subnegotiation {
            opt: Opt::LFLOW,
            data,
        } if engine.is_enabled(Side::Local, Opt::LFLOW) && !options.flow.apply(data) => {
            log::debug!("unknown LFLOW command {data:?} ignored");
        }
        // LINEMODE: the server's side is the peer's (it sends DO), the client's its own.
        OwnedEvent::OptionEnabled {
            opt: Opt::LINEMODE, ..
        } => {
            if options.linemode.is_none() {
                options.linemode = options.new_linemode.map(|new| new());
            }
            if let Some(linemode) = options.linemode.as_mut() {
                linemode.start().send_to(engine);
            }
        }
        OwnedEvent::OptionDisabled {
            opt: Opt::LINEMODE, ..
        } => {
            if let Some(linemode) = options.linemode.as_mut() {
                linemode.reset();
            }
        }
        OwnedEvent::Subnegotiation {
            opt: Opt::LINEMODE,
            data,
        } if is_on(engine, Opt::LINEMODE) => {
            if let Some(linemode) = options.linemode.as_mut() {
                match linemode.receive(data) {
                    Some(outcome) => outcome.send_to(engine),
                    None => log::debug!("malformed LINEMODE subnegotiation ignored"),
                }
            }
        }
        // MUD messages count whichever side agreed to the option.
        OwnedEvent::Subnegotiation { opt, data } if is_on(engine, *opt) => match *opt {
            Opt::GMCP => {
                if let Some(message) = gmcp::decode(data) {
                    options.gmcp.push(message, "GMCP");
                }
            }
            Opt::MSDP => match msdp::decode(data) {
                Some(variables) => options.msdp.push(variables, "MSDP"),
                None => log::debug!("malformed MSDP message ignored"),
            },
            Opt::MSSP => {
                let table = mssp::decode(data);
                if table.footprint() <= MAX_RETAINED_ITEM {
                    options.mssp = Some(table);
                } else {
                    log::debug!("an MSSP table of {} bytes ignored", table.footprint());
                }
            }
            Opt::ZMP => match zmp::decode(data) {
                Some(message) => {
                    if let Some(reply) = zmp::answer(&message, std::time::SystemTime::now()) {
                        engine.send_subnegotiation(Opt::ZMP, &reply);
                    }
                    options.zmp.push(message, "ZMP");
                }
                None => log::debug!("ZMP message without a command ignored"),
            },
            Opt::COM_PORT => options.comport.receive(data),
            // ATCP frames its messages as GMCP does: "Package.Message value".
            Opt::ATCP => {
                if let Some(message) = gmcp::decode(data) {
                    options.atcp.push(message, "ATCP");
                }
            }
            _ => {}
        },
        OwnedEvent::OptionDisabled {
            side: Side::Remote,
            opt: Opt::LFLOW,
        } => {
            options.flow_here = false;
            options.gate = OutputGate::default();
        }
        _ => {}
    }
}
