//! The access server's side of RFC 2217 (COM-PORT-OPTION): the client's commands
//! for the serial port, for the application to apply and answer with the value it
//! applied, and the line and modem state notified to the client.

use super::ServerConnection;
use crate::error::Result;
use crate::proto::Opt;
use crate::proto::comport::{self, Command, LineState, ModemState, Sender};
use crate::timeout::Timeout;

impl ServerConnection {
    /// The client's next COM-PORT-OPTION command (`SetBaudRate`, `SetControl`,
    /// `PurgeData`, …), oldest first (up to 1,024 are kept unread). Every one must be
    /// answered with [`answer_com_port`](Self::answer_com_port): RFC 2217 clients
    /// (pyserial) wait for the answer. Needs a server built with
    /// [`com_port(true)`](crate::ServerBuilder::com_port).
    pub fn read_com_port(&self, timeout: impl Into<Timeout>) -> Result<Command> {
        self.core()
            .next_message("read_com_port", timeout.into(), |options| {
                options.comport.requests.pop_front()
            })
    }

    /// Answers a command with the value in force once it was applied: the command
    /// itself when it was (`SetBaudRate(BaudRate(115_200))`), another value when the
    /// port could not (`SetBaudRate(BaudRate(9600))`), the current value for a query.
    pub fn answer_com_port(&self, answer: &Command) -> Result<()> {
        let payload = comport::encode(Sender::Server, answer);
        self.core()
            .send_mud("answer_com_port", Opt::COM_PORT, &payload)
    }

    /// Tells the client the serial line's state (NOTIFY-LINESTATE); send only the
    /// bits of its line state mask.
    pub fn notify_line_state(&self, state: LineState) -> Result<()> {
        self.answer_com_port(&Command::NotifyLineState(Some(state)))
    }

    /// Tells the client the modem lines' state (NOTIFY-MODEMSTATE); send only the
    /// bits of its modem state mask (initially all of them).
    pub fn notify_modem_state(&self, state: ModemState) -> Result<()> {
        self.answer_com_port(&Command::NotifyModemState(Some(state)))
    }

    /// Whether the client asked us to stop sending (FLOWCONTROL-SUSPEND) and has not
    /// resumed.
    pub fn com_port_suspended(&self) -> bool {
        self.core().lock().link.options.comport.suspended
    }
}
