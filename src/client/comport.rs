//! [`ComPort`]: a serial port behind a terminal server, through RFC 2217
//! (COM-PORT-OPTION), as pyserial's `rfc2217://` URLs give Python harnesses.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::proto::comport::{
    BaudRate, Command, Control, DataSize, LineState, ModemState, Notification, Parity, Purge,
    StopSize,
};
use crate::timeout::Timeout;

use super::TelnetConnection;

/// The serial port of a terminal server (ser2net, a console server) that speaks RFC
/// 2217: its line settings, its control lines, BREAK, purging, and the line and modem
/// state it notifies. Made by [`TelnetConnection::com_port`]; the data itself goes
/// through the connection as usual.
///
/// Each setting is sent and answered: the call returns once the server has said
/// which value is in force, and fails with [`Error::NotApplied`] when that is not the
/// one asked for, [`Error::Timeout`] when no answer comes in time (the usual
/// [`Timeout`] rules), and [`Error::Refused`] when the server refused the option.
///
/// ```no_run
/// use std::time::Duration;
/// use telnetlib::TelnetConnection;
/// use telnetlib::proto::comport::{DataSize, Parity, StopSize};
///
/// let t = Some(Duration::from_secs(5));
/// let conn = TelnetConnection::connect("console-server.lab:7001")?;
/// let port = conn.com_port(t)?;
/// port.set_baud_rate(115_200, t)?;
/// port.set_data_size(DataSize::Eight, t)?;
/// port.set_parity(Parity::None, t)?;
/// port.set_stop_size(StopSize::One, t)?;
/// conn.write_bytes(b"\r", t)?;
/// conn.read_until(b"login: ", t)?;
/// # Ok::<(), telnetlib::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ComPort<'a> {
    conn: &'a TelnetConnection,
}

impl TelnetConnection {
    /// Opens the terminal server's serial port: offers COM-PORT-OPTION (`WILL`,
    /// RFC 2217) and waits for the server's `DO` (at once if it is already on).
    /// [`Error::Refused`] when the server will not.
    pub fn com_port(&self, timeout: impl Into<Timeout>) -> Result<ComPort<'_>> {
        self.core().com_port_open(timeout.into())?;
        Ok(ComPort { conn: self })
    }
}

impl ComPort<'_> {
    /// Sends `command` and returns the server's answer (the value in force).
    fn ask(&self, operation: &'static str, command: Command, timeout: Timeout) -> Result<Command> {
        let core = self.conn.core();
        core.com_port_command(operation, &command, core.deadline_for(timeout))
    }

    /// Sends a setting and checks that the answer is the setting itself.
    fn set(&self, operation: &'static str, command: Command, timeout: Timeout) -> Result<()> {
        let answer = self.ask(operation, command.clone(), timeout)?;
        if answer == command {
            Ok(())
        } else {
            Err(Error::NotApplied {
                operation,
                peer: self.conn.peer_addr(),
                asked: describe(&command),
                answered: describe(&answer),
            })
        }
    }

    /// The server's signature (SIGNATURE with no text asks for it), as text.
    pub fn signature(&self, timeout: impl Into<Timeout>) -> Result<String> {
        match self.ask("signature", Command::Signature(Vec::new()), timeout.into())? {
            Command::Signature(text) => Ok(String::from_utf8_lossy(&text).into_owned()),
            _ => unreachable!("answers are matched by command"),
        }
    }

    /// Sets the speed in bits per second.
    pub fn set_baud_rate(&self, rate: u32, timeout: impl Into<Timeout>) -> Result<()> {
        let command = Command::SetBaudRate(BaudRate(rate));
        self.set("set_baud_rate", command, timeout.into())
    }

    /// The speed in force.
    pub fn baud_rate(&self, timeout: impl Into<Timeout>) -> Result<u32> {
        match self.ask(
            "baud_rate",
            Command::SetBaudRate(BaudRate::QUERY),
            timeout.into(),
        )? {
            Command::SetBaudRate(BaudRate(rate)) => Ok(rate),
            _ => unreachable!("answers are matched by command"),
        }
    }

    /// Sets the bits per character.
    pub fn set_data_size(&self, size: DataSize, timeout: impl Into<Timeout>) -> Result<()> {
        self.set("set_data_size", Command::SetDataSize(size), timeout.into())
    }

    /// The bits per character in force.
    pub fn data_size(&self, timeout: impl Into<Timeout>) -> Result<DataSize> {
        match self.ask(
            "data_size",
            Command::SetDataSize(DataSize::Query),
            timeout.into(),
        )? {
            Command::SetDataSize(size) => Ok(size),
            _ => unreachable!("answers are matched by command"),
        }
    }

    /// Sets the parity.
    pub fn set_parity(&self, parity: Parity, timeout: impl Into<Timeout>) -> Result<()> {
        self.set("set_parity", Command::SetParity(parity), timeout.into())
    }

    /// The parity in force.
    pub fn parity(&self, timeout: impl Into<Timeout>) -> Result<Parity> {
        match self.ask("parity", Command::SetParity(Parity::Query), timeout.into())? {
            Command::SetParity(parity) => Ok(parity),
            _ => unreachable!("answers are matched by command"),
        }
    }

    /// Sets the stop bits.
    pub fn set_stop_size(&self, size: StopSize, timeout: impl Into<Timeout>) -> Result<()> {
        self.set("set_stop_size", Command::SetStopSize(size), timeout.into())
    }

    /// The stop bits in force.
    pub fn stop_size(&self, timeout: impl Into<Timeout>) -> Result<StopSize> {
        match self.ask(
            "stop_size",
            Command::SetStopSize(StopSize::Query),
            timeout.into(),
        )? {
            Command::SetStopSize(size) => Ok(size),
            _ => unreachable!("answers are matched by command"),
        }
    }

    /// SET-CONTROL as it is: flow control, BREAK, DTR or RTS, set or queried.
    /// Returns the server's answer (for a query, the state in force).
    pub fn control(&self, control: Control, timeout: impl Into<Timeout>) -> Result<Control> {
        match self.ask("control", Command::SetControl(control), timeout.into())? {
            Command::SetControl(answer) => Ok(answer),
            _ => unreachable!("answers are matched by command"),
        }
    }

    /// Raises or drops DTR.
    pub fn set_dtr(&self, on: bool, timeout: impl Into<Timeout>) -> Result<()> {
        let control = if on { Control::DtrOn } else { Control::DtrOff };
        self.set("set_dtr", Command::SetControl(control), timeout.into())
    }

    /// Raises or drops RTS.
    pub fn set_rts(&self, on: bool, timeout: impl Into<Timeout>) -> Result<()> {
        let control = if on { Control::RtsOn } else { Control::RtsOff };
        self.set("set_rts", Command::SetControl(control), timeout.into())
    }

    /// Starts or ends a BREAK on the line.
    pub fn set_break(&self, on: bool, timeout: impl Into<Timeout>) -> Result<()> {
        let control = if on {
            Control::BreakOn
        } else {
            Control::BreakOff
        };
        self.set("set_break", Command::SetControl(control), timeout.into())
    }

    /// Sends a BREAK of `length` (a quarter of a second is usual; it wakes a boot
    /// loader or a kernel's SysRq): on, `length` later off. Blocks for `length`.
    pub fn send_break(&self, length: Duration, timeout: impl Into<Timeout>) -> Result<()> {
        let timeout = timeout.into();
        self.set_break(true, timeout)?;
        std::thread::sleep(length);
        self.set_break(false, timeout)
    }

    /// Empties the server's receive buffer, transmit buffer, or both.
    pub fn purge(&self, purge: Purge, timeout: impl Into<Timeout>) -> Result<()> {
        self.set("purge", Command::PurgeData(purge), timeout.into())
    }

    /// Which line state changes the server notifies.
    pub fn set_line_state_mask(&self, mask: LineState, timeout: impl Into<Timeout>) -> Result<()> {
        let command = Command::SetLineStateMask(mask);
        self.set("set_line_state_mask", command, timeout.into())
    }

    /// Which modem state changes the server notifies (RFC 2217's initial mask is all).
    pub fn set_modem_state_mask(
        &self,
        mask: ModemState,
        timeout: impl Into<Timeout>,
    ) -> Result<()> {
        let command = Command::SetModemStateMask(mask);
        self.set("set_modem_state_mask", command, timeout.into())
    }

    /// The line state the server last notified, if it has.
    pub fn line_state(&self) -> Option<LineState> {
        self.conn.core().lock().link.options.comport.line_state
    }

    /// The modem state the server last notified, if it has.
    pub fn modem_state(&self) -> Option<ModemState> {
        self.conn.core().lock().link.options.comport.modem_state
    }

    /// The notifications received since the last call, oldest first (at most 1,024
    /// are kept; older ones are dropped first).
    pub fn notifications(&self) -> Vec<Notification> {
        let mut state = self.conn.core().lock();
        state.link.options.comport.notifications.take_all()
    }

    /// Whether the server asked us to stop sending (FLOWCONTROL-SUSPEND) and has not
    /// resumed.
    pub fn suspended(&self) -> bool {
        self.conn.core().lock().link.options.comport.suspended
    }
}

/// A command's value as a person reads it, for errors.
fn describe(command: &Command) -> String {
    match command {
        Command::SetBaudRate(BaudRate(rate)) => format!("{rate} baud"),
        Command::SetDataSize(size) => format!("data size {size:?}"),
        Command::SetParity(parity) => format!("parity {parity:?}"),
        Command::SetStopSize(size) => format!("stop size {size:?}"),
        Command::SetControl(control) => format!("{control:?}"),
        Command::PurgeData(purge) => format!("purge {purge:?}"),
        other => format!("{other:?}"),
    }
}
