//! `--serial DEVICE`: one serial device (a tty, or one end of a pty pair) bridged to a
//! Telnet client with RFC 2217, as ser2net does: bytes both ways, the client's
//! COM-PORT-OPTION commands applied to the device and answered with the value in
//! force, and the modem lines' changes notified. One client at a time; the device is
//! opened for each.
//!
//! The device is driven by the `serialport` crate (termios settings, DTR/RTS, BREAK,
//! the modem lines, all without `unsafe` here). Every command is answered, SET-CONTROL
//! included, since pyserial waits for each answer: what the device cannot do (the
//! modem lines of a pty, mark and space parity, 1.5 stop bits) is answered with the
//! value in force, or, for a control line the device does not have, as asked.

use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use serialport::{ClearBuffer, FlowControl, SerialPort, TTYPort};
use telnetlib::proto::comport::{
    BaudRate, Command, Control, DataSize, LineState, ModemState, Parity, Purge, StopSize,
};
use telnetlib::{Error, ServerConnection};

/// How long the bridge's loops wait before looking again (at the session's end, and
/// at the modem lines).
const TICK: Duration = Duration::from_millis(100);

/// Only one client has the device at a time.
static IN_USE: Mutex<()> = Mutex::new(());

/// Serves `client` with `device` until either side ends.
pub fn serial_bridge(client: &ServerConnection, device: &Path) {
    let Ok(_owner) = IN_USE.try_lock() else {
        log::info!(
            "{}: {} is in use; refusing",
            client.addrport(),
            device.display()
        );
        let _ = client.send("The serial port is in use; try again later.\n");
        return;
    };
    let opened = serialport::new(device.to_string_lossy(), 9600)
        .timeout(TICK)
        .open_native();
    let (port, reader) = match opened.and_then(|port| Ok((port.try_clone_native()?, port))) {
        Ok(pair) => pair,
        Err(error) => {
            log::warn!("cannot open {}: {error}", device.display());
            let _ = client.send(&format!("Cannot open {}.\n", device.display()));
            return;
        }
    };
    let bridge = Bridge {
        port: Mutex::new(port),
        done: AtomicBool::new(false),
        // RFC 2217: the modem state mask starts with every bit.
        modem_mask: AtomicU8::new(ModemState::ALL.0),
    };
    std::thread::scope(|scope| {
        scope.spawn(|| bridge.device_to_client(reader, client));
        scope.spawn(|| bridge.answer_commands(client, device));
        bridge.client_to_device(client);
    });
}

/// What the three loops share.
struct Bridge {
    /// The device, for writing and settings (the reader has a handle of its own).
    port: Mutex<TTYPort>,
    /// Either side has ended.
    done: AtomicBool,
    /// The client's SET-MODEMSTATE-MASK.
    modem_mask: AtomicU8,
}

impl Bridge {
    /// What the device says goes to the client, as bytes (0xFF doubled); between
    /// reads, changes of the modem lines are notified.
    fn device_to_client(&self, mut reader: TTYPort, client: &ServerConnection) {
        let mut buffer = [0u8; 4096];
        let mut lines = modem_lines(&mut reader);
        while !self.done.load(Ordering::SeqCst) {
            match reader.read(&mut buffer) {
                Ok(0) => {}
                Ok(n) => {
                    if client.send_bytes(&buffer[..n]).is_err() {
                        break;
                    }
                }
                Err(error)
                    if matches!(error.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {}
                // A pty whose other end is not open reads EIO: nothing to pass on yet.
                Err(error) if error.raw_os_error() == Some(5) => std::thread::sleep(TICK),
                Err(error) => {
                    log::warn!("reading the serial device failed: {error}");
                    break;
                }
            }
            if let Some(before) = lines {
                let now = modem_lines(&mut reader).unwrap_or(before);
                if now != before && self.notify_modem(client, before, now).is_err() {
                    break;
                }
                lines = Some(now);
            }
        }
        self.done.store(true, Ordering::SeqCst);
    }

    /// NOTIFY-MODEMSTATE for a change of the lines, with the delta bits, masked.
    fn notify_modem(
        &self,
        client: &ServerConnection,
        before: ModemState,
        now: ModemState,
    ) -> telnetlib::Result<()> {
        let changed = ModemState(before.0 ^ now.0);
        let mut state = now;
        for (line, delta) in [
            (
                ModemState::CARRIER_DETECT,
                ModemState::CARRIER_DETECT_CHANGED,
            ),
            (ModemState::DSR, ModemState::DSR_CHANGED),
            (ModemState::CTS, ModemState::CTS_CHANGED),
        ] {
            if changed.contains(line) {
                state |= delta;
            }
        }
        if changed.contains(ModemState::RING_INDICATOR) && !now.contains(ModemState::RING_INDICATOR)
        {
            state |= ModemState::RING_ENDED;
        }
        let masked = ModemState(state.0 & self.modem_mask.load(Ordering::SeqCst));
        if masked.is_empty() {
            return Ok(());
        }
        client.notify_modem_state(masked)
    }

    /// What the client types goes to the device.
    fn client_to_device(&self, client: &ServerConnection) {
        while !self.done.load(Ordering::SeqCst) {
            match client.read_some(Some(TICK)) {
                Ok(bytes) => {
                    if let Err(error) = self.port.lock().unwrap().write_all(&bytes) {
                        log::warn!("writing to the serial device failed: {error}");
                        break;
                    }
                }
                Err(Error::Timeout { .. }) => {}
                Err(_) => break,
            }
        }
        self.done.store(true, Ordering::SeqCst);
    }

    /// The client's COM-PORT-OPTION commands, applied and answered.
    fn answer_commands(&self, client: &ServerConnection, device: &Path) {
        while !self.done.load(Ordering::SeqCst) {
            let command = match client.read_com_port(Some(TICK)) {
                Ok(command) => command,
                Err(Error::Timeout { .. }) => continue,
                Err(_) => break,
            };
            let answer = self.apply(&command, device);
            log::debug!("{}: {command:?} → {answer:?}", client.addrport());
            if client.answer_com_port(&answer).is_err() {
                break;
            }
        }
    }

    /// Applies `command` to the device and returns the answer: the value now in force.
    fn apply(&self, command: &Command, device: &Path) -> Command {
        let mut port = self.port.lock().unwrap();
        let applied = match command {
            Command::SetBaudRate(rate) if !rate.is_query() => port.set_baud_rate(rate.0),
            Command::SetDataSize(size) if *size != DataSize::Query => {
                port.set_data_bits(match size {
                    DataSize::Five => serialport::DataBits::Five,
                    DataSize::Six => serialport::DataBits::Six,
                    DataSize::Seven => serialport::DataBits::Seven,
                    _ => serialport::DataBits::Eight,
                })
            }
            Command::SetParity(parity @ (Parity::None | Parity::Odd | Parity::Even)) => port
                .set_parity(match parity {
                    Parity::Odd => serialport::Parity::Odd,
                    Parity::Even => serialport::Parity::Even,
                    _ => serialport::Parity::None,
                }),
            Command::SetStopSize(size @ (StopSize::One | StopSize::Two)) => {
                port.set_stop_bits(match size {
                    StopSize::Two => serialport::StopBits::Two,
                    _ => serialport::StopBits::One,
                })
            }
            Command::SetControl(control) => {
                return Command::SetControl(set_control(&mut port, *control));
            }
            Command::PurgeData(purge) => {
                let buffers = match purge {
                    Purge::Receive => ClearBuffer::Input,
                    Purge::Transmit => ClearBuffer::Output,
                    Purge::Both => ClearBuffer::All,
                };
                if let Err(error) = port.clear(buffers) {
                    log::warn!("purging {}: {error}", device.display());
                }
                return command.clone();
            }
            Command::SetModemStateMask(mask) => {
                self.modem_mask.store(mask.0, Ordering::SeqCst);
                return command.clone();
            }
            Command::Signature(text) if text.is_empty() => {
                let signature = format!(
                    "telnetlib-server {} {}",
                    env!("CARGO_PKG_VERSION"),
                    device.display()
                );
                return Command::Signature(signature.into_bytes());
            }
            // pyserial polls with a NOTIFY of no value.
            Command::NotifyModemState(None) => {
                let lines = modem_lines(&mut port).unwrap_or(ModemState::EMPTY);
                return Command::NotifyModemState(Some(lines));
            }
            Command::NotifyLineState(None) => {
                return Command::NotifyLineState(Some(LineState::EMPTY));
            }
            _ => Ok(()),
        };
        if let Err(error) = applied {
            log::warn!("{command:?} on {}: {error}", device.display());
        }
        current(&port, command)
    }
}

/// SET-CONTROL: flow control, BREAK, DTR and RTS. A control line the device does not
/// have (a pty's) is answered as asked.
fn set_control(port: &mut TTYPort, control: Control) -> Control {
    let flow = |port: &mut TTYPort, flow: FlowControl| {
        if let Err(error) = port.set_flow_control(flow) {
            log::warn!("flow control {flow:?}: {error}");
        }
    };
    let line = |result: serialport::Result<()>, what: &str| {
        if let Err(error) = result {
            log::debug!("{what} is not applied (no such line on this device): {error}");
        }
    };
    match control {
        Control::OutboundFlowNone | Control::InboundFlowNone => flow(port, FlowControl::None),
        Control::OutboundFlowXonXoff | Control::InboundFlowXonXoff => {
            flow(port, FlowControl::Software)
        }
        Control::OutboundFlowHardware | Control::InboundFlowHardware => {
            flow(port, FlowControl::Hardware)
        }
        Control::QueryOutboundFlow | Control::QueryInboundFlow => {
            let outbound = control == Control::QueryOutboundFlow;
            return match (port.flow_control(), outbound) {
                (Ok(FlowControl::Software), true) => Control::OutboundFlowXonXoff,
                (Ok(FlowControl::Hardware), true) => Control::OutboundFlowHardware,
                (_, true) => Control::OutboundFlowNone,
                (Ok(FlowControl::Software), false) => Control::InboundFlowXonXoff,
                (Ok(FlowControl::Hardware), false) => Control::InboundFlowHardware,
                (_, false) => Control::InboundFlowNone,
            };
        }
        Control::BreakOn => line(port.set_break(), "BREAK"),
        Control::BreakOff => line(port.clear_break(), "BREAK"),
        Control::DtrOn | Control::DtrOff => line(
            port.write_data_terminal_ready(control == Control::DtrOn),
            "DTR",
        ),
        Control::RtsOn | Control::RtsOff => {
            line(port.write_request_to_send(control == Control::RtsOn), "RTS")
        }
        // The device cannot say: the state last asked for is not kept here either.
        Control::QueryBreak => return Control::BreakOff,
        Control::QueryDtr => return Control::DtrOn,
        Control::QueryRts => return Control::RtsOn,
        // DCD, DTR and DSR flow control: not in termios.
        other => return other,
    }
    control
}

/// The modem lines' state, or `None` on a device without them (a pty).
fn modem_lines(port: &mut TTYPort) -> Option<ModemState> {
    let mut state = ModemState::EMPTY;
    for (read, bit) in [
        (port.read_carrier_detect(), ModemState::CARRIER_DETECT),
        (port.read_ring_indicator(), ModemState::RING_INDICATOR),
        (port.read_data_set_ready(), ModemState::DSR),
        (port.read_clear_to_send(), ModemState::CTS),
    ] {
        if read.ok()? {
            state |= bit;
        }
    }
    Some(state)
}

/// The device's value for the setting `command` names (for a query, or a setting the
/// device could not take).
fn current(port: &TTYPort, command: &Command) -> Command {
    match command {
        Command::SetBaudRate(_) => {
            Command::SetBaudRate(BaudRate(port.baud_rate().unwrap_or_default()))
        }
        Command::SetDataSize(_) => Command::SetDataSize(match port.data_bits() {
            Ok(serialport::DataBits::Five) => DataSize::Five,
            Ok(serialport::DataBits::Six) => DataSize::Six,
            Ok(serialport::DataBits::Seven) => DataSize::Seven,
            _ => DataSize::Eight,
        }),
        Command::SetParity(_) => Command::SetParity(match port.parity() {
            Ok(serialport::Parity::Odd) => Parity::Odd,
            Ok(serialport::Parity::Even) => Parity::Even,
            _ => Parity::None,
        }),
        Command::SetStopSize(_) => Command::SetStopSize(match port.stop_bits() {
            Ok(serialport::StopBits::Two) => StopSize::Two,
            _ => StopSize::One,
        }),
        other => other.clone(),
    }
}
