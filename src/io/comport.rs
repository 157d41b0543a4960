//! RFC 2217 (COM-PORT-OPTION) beside the engine. On a client: what the terminal
//! server last answered to each of our commands, and the line and modem states it
//! notified; the client's calls send a command and wait for the answer of the same
//! kind that arrives after it (`ComPort` in `client/comport.rs`). On a server: the
//! client's commands, queued for the application to apply and answer
//! (`server/comport.rs`).

use std::time::Instant;

use crate::error::Result;
use crate::proto::comport::{self, Command, LineState, ModemState, Notification, Sender};
use crate::proto::{Opt, Side};
use crate::timeout::Timeout;

use super::core::Core;
use super::link::Role;
use super::retained::MessageQueue;

/// How many command codes RFC 2217 defines (SIGNATURE 0 to PURGE-DATA 12).
const COMMANDS: usize = comport::PURGE_DATA as usize + 1;

/// The server's side of the conversation, as the client has seen it.
#[derive(Debug, Default)]
pub(crate) struct ComPortState {
    /// Answers received so far, counted: each command's last answer and its number.
    answers: [Option<(u64, Command)>; COMMANDS],
    received: u64,
    /// The last line and modem states notified.
    pub line_state: Option<LineState>,
    pub modem_state: Option<ModemState>,
    /// Notifications not yet read.
    pub notifications: MessageQueue<Notification>,
    /// FLOWCONTROL-SUSPEND received and no RESUME since: the peer asks us to stop
    /// sending data.
    pub suspended: bool,
    /// The client's commands not yet taken by the application (server side).
    pub requests: MessageQueue<Command>,
}

impl ComPortState {
    /// Takes one COM-PORT-OPTION subnegotiation from the peer.
    pub fn receive(&mut self, payload: &[u8]) {
        let (sender, command) = match comport::decode(payload) {
            Ok(decoded) => decoded,
            Err(error) => {
                log::debug!("COM-PORT-OPTION subnegotiation ignored: {error}");
                return;
            }
        };
        // Either side may ask the other to suspend or resume (and peers disagree on
        // the codes they use for it).
        match command {
            Command::FlowControlSuspend => self.suspended = true,
            Command::FlowControlResume => self.suspended = false,
            _ => {}
        }
        if sender == Sender::Client {
            if !matches!(
                command,
                Command::FlowControlSuspend | Command::FlowControlResume
            ) {
                self.requests.push(command, "COM-PORT-OPTION command");
            }
            return;
        }
        match command {
            Command::NotifyLineState(Some(state)) => {
                self.line_state = Some(state);
                self.notify(Notification::LineState(state));
            }
            Command::NotifyModemState(Some(state)) => {
                self.modem_state = Some(state);
                self.notify(Notification::ModemState(state));
            }
            _ => {}
        }
        self.received += 1;
        let code = usize::from(command.code());
        self.answers[code] = Some((self.received, command));
    }

    fn notify(&mut self, notification: Notification) {
        self.notifications
            .push(notification, "COM-PORT-OPTION notification");
    }

    /// The answer to command `code` received after the `after`th answer.
    fn answer_after(&self, code: u8, after: u64) -> Option<&Command> {
        match &self.answers[usize::from(code)] {
            Some((number, command)) if *number > after => Some(command),
            _ => None,
        }
    }
}

impl<R: Role> Core<R> {
    /// Offers COM-PORT-OPTION (`WILL`, RFC 2217's client side) unless it is on, and
    /// waits for the server's `DO`.
    pub fn com_port_open(&self, timeout: Timeout) -> Result<()> {
        let deadline = self.deadline_for(timeout);
        self.request_option("com_port", Side::Local, Opt::COM_PORT, deadline)
    }

    /// Sends `command` and returns the server's answer to it: the next answer with
    /// the same command code.
    pub fn com_port_command(
        &self,
        operation: &'static str,
        command: &Command,
        deadline: Option<Instant>,
    ) -> Result<Command> {
        let peer = self.peer();
        let mut before = 0;
        let mut missing = None;
        self.send(operation, deadline, |state| {
            missing = self.missing_option(state, operation, Opt::COM_PORT);
            if missing.is_none() {
                before = state.link.options.comport.received;
                let payload = comport::encode(Sender::Client, command);
                state
                    .link
                    .engine
                    .send_subnegotiation(Opt::COM_PORT, &payload);
            }
        })?;
        if let Some(error) = missing {
            return Err(error);
        }
        let code = command.code();
        self.wait(operation, deadline, |state| {
            match state.link.options.comport.answer_after(code, before) {
                Some(answer) => Some(Ok(answer.clone())),
                None => state.end_error(operation, peer).map(Err),
            }
        })
    }
}
