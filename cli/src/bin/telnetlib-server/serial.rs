//! `--serial DEVICE`: one serial device (a tty, or one end of a pty pair) bridged to a
//! Telnet client with RFC 2217, as ser2net does: bytes both ways, and the client's
//! COM-PORT-OPTION commands applied to the device with termios and answered with the
//! value in force. One client at a time; the device is opened for each.
//!
//! Every command is answered, SET-CONTROL included (pyserial waits for each answer):
//! DTR, RTS and a held BREAK need modem-line ioctls this tool does not make, so they
//! are answered as asked and not applied; a BREAK on is sent as a `tcsendbreak`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fs::OFlags;
use rustix::termios::{
    ControlModes, InputModes, OptionalActions, QueueSelector, Termios, tcflush, tcgetattr,
    tcsendbreak, tcsetattr,
};
use telnetlib::proto::comport::{
    BaudRate, Command, Control, DataSize, ModemState, Parity, Purge, StopSize,
};
use telnetlib::{Error, ServerConnection};

/// How often the bridge's loops look up from a wait to see whether the session ended.
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
    let port = match open(device) {
        Ok(port) => port,
        Err(error) => {
            log::warn!("cannot open {}: {error}", device.display());
            let _ = client.send(&format!("Cannot open {}.\n", device.display()));
            return;
        }
    };
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| device_to_client(&port, client, &done));
        scope.spawn(|| answer_commands(&port, client, device, &done));
        client_to_device(&port, client, &done);
    });
}

/// The device, raw (no echo, no line editing, 8 bits, every byte as it comes).
fn open(device: &Path) -> std::io::Result<File> {
    let port = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags((OFlags::NOCTTY | OFlags::NONBLOCK).bits() as i32)
        .open(device)?;
    let mut settings = tcgetattr(&port)?;
    settings.make_raw();
    tcsetattr(&port, OptionalActions::Now, &settings)?;
    Ok(port)
}

/// What the device says goes to the client, as bytes (0xFF doubled).
fn device_to_client(port: &File, client: &ServerConnection, done: &AtomicBool) {
    let mut buffer = [0u8; 4096];
    while !done.load(Ordering::SeqCst) {
        if !readable(port) {
            continue;
        }
        match (&*port).read(&mut buffer) {
            Ok(0) => {}
            Ok(n) => {
                if client.send_bytes(&buffer[..n]).is_err() {
                    break;
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            // A pty whose other end is not open reads EIO: nothing to pass on yet.
            Err(error) if error.raw_os_error() == Some(rustix::io::Errno::IO.raw_os_error()) => {
                std::thread::sleep(TICK)
            }
            Err(error) => {
                log::warn!("reading the serial device failed: {error}");
                break;
            }
        }
    }
    done.store(true, Ordering::SeqCst);
}

/// Whether the device has bytes, waiting up to a tick.
fn readable(port: &File) -> bool {
    let mut fds = [PollFd::new(port, PollFlags::IN)];
    let tick = Timespec {
        tv_sec: 0,
        tv_nsec: TICK.as_nanos() as i64,
    };
    matches!(poll(&mut fds, Some(&tick)), Ok(n) if n > 0)
}

/// What the client types goes to the device.
fn client_to_device(port: &File, client: &ServerConnection, done: &AtomicBool) {
    while !done.load(Ordering::SeqCst) {
        match client.read_some(Some(TICK)) {
            Ok(bytes) => {
                if write_all(port, &bytes).is_err() {
                    log::warn!("writing to the serial device failed");
                    break;
                }
            }
            Err(Error::Timeout { .. }) => {}
            Err(_) => break,
        }
    }
    done.store(true, Ordering::SeqCst);
}

/// Writes everything, waiting while the (non-blocking) device is full.
fn write_all(port: &File, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match (&*port).write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// The client's COM-PORT-OPTION commands, applied and answered.
fn answer_commands(port: &File, client: &ServerConnection, device: &Path, done: &AtomicBool) {
    while !done.load(Ordering::SeqCst) {
        let command = match client.read_com_port(Some(TICK)) {
            Ok(command) => command,
            Err(Error::Timeout { .. }) => continue,
            Err(_) => break,
        };
        let answer = apply(port, &command, device).unwrap_or_else(|error| {
            log::warn!("{command:?} on {}: {error}", device.display());
            current(port, &command).unwrap_or(command.clone())
        });
        log::debug!("{}: {command:?} → {answer:?}", client.addrport());
        if client.answer_com_port(&answer).is_err() {
            break;
        }
    }
}

/// Applies `command` to the device and returns the answer: the value now in force.
fn apply(port: &File, command: &Command, device: &Path) -> std::io::Result<Command> {
    let mut settings = tcgetattr(port)?;
    let set = |settings: &Termios| -> std::io::Result<()> {
        tcsetattr(port, OptionalActions::Drain, settings)?;
        Ok(())
    };
    match command {
        Command::SetBaudRate(rate) if !rate.is_query() => {
            settings.set_speed(rate.0)?;
            set(&settings)?;
        }
        Command::SetDataSize(size) if *size != DataSize::Query => {
            settings.control_modes.remove(ControlModes::CSIZE);
            settings.control_modes.insert(match size {
                DataSize::Five => ControlModes::CS5,
                DataSize::Six => ControlModes::CS6,
                DataSize::Seven => ControlModes::CS7,
                _ => ControlModes::CS8,
            });
            set(&settings)?;
        }
        Command::SetParity(parity) if *parity != Parity::Query => {
            let modes = &mut settings.control_modes;
            modes.remove(ControlModes::PARENB | ControlModes::PARODD | ControlModes::CMSPAR);
            modes.insert(match parity {
                Parity::Odd => ControlModes::PARENB | ControlModes::PARODD,
                Parity::Even => ControlModes::PARENB,
                Parity::Mark => ControlModes::PARENB | ControlModes::CMSPAR | ControlModes::PARODD,
                Parity::Space => ControlModes::PARENB | ControlModes::CMSPAR,
                _ => ControlModes::empty(),
            });
            set(&settings)?;
        }
        // Termios has one or two stop bits; 1.5 is answered with what stays in force.
        Command::SetStopSize(size @ (StopSize::One | StopSize::Two)) => {
            settings
                .control_modes
                .set(ControlModes::CSTOPB, *size == StopSize::Two);
            set(&settings)?;
        }
        Command::SetControl(control) => return apply_control(port, *control, &mut settings),
        Command::PurgeData(purge) => {
            tcflush(
                port,
                match purge {
                    Purge::Receive => QueueSelector::IFlush,
                    Purge::Transmit => QueueSelector::OFlush,
                    Purge::Both => QueueSelector::IOFlush,
                },
            )?;
            return Ok(command.clone());
        }
        Command::Signature(text) if text.is_empty() => {
            let signature = format!(
                "telnetlib-server {} {}",
                env!("CARGO_PKG_VERSION"),
                device.display()
            );
            return Ok(Command::Signature(signature.into_bytes()));
        }
        // pyserial polls with a NOTIFY of no value: a pty has no modem lines to report.
        Command::NotifyModemState(None) => {
            return Ok(Command::NotifyModemState(Some(ModemState::EMPTY)));
        }
        Command::NotifyLineState(None) => {
            return Ok(Command::NotifyLineState(Some(Default::default())));
        }
        _ => {}
    }
    current(port, command)
}

/// SET-CONTROL: flow control with termios; BREAK as one `tcsendbreak`; DTR and RTS
/// answered as asked (see the module's doc).
fn apply_control(
    port: &File,
    control: Control,
    settings: &mut Termios,
) -> std::io::Result<Command> {
    let flow = |settings: &mut Termios, xon_xoff: bool, hardware: bool| -> std::io::Result<()> {
        settings
            .input_modes
            .set(InputModes::IXON | InputModes::IXOFF, xon_xoff);
        settings.control_modes.set(ControlModes::CRTSCTS, hardware);
        tcsetattr(port, OptionalActions::Drain, settings)?;
        Ok(())
    };
    let answer = match control {
        Control::OutboundFlowNone | Control::InboundFlowNone => {
            flow(settings, false, false)?;
            control
        }
        Control::OutboundFlowXonXoff | Control::InboundFlowXonXoff => {
            flow(settings, true, false)?;
            control
        }
        Control::OutboundFlowHardware | Control::InboundFlowHardware => {
            flow(settings, false, true)?;
            control
        }
        Control::QueryOutboundFlow | Control::QueryInboundFlow => {
            let outbound = control == Control::QueryOutboundFlow;
            match (
                settings.input_modes.contains(InputModes::IXON),
                settings.control_modes.contains(ControlModes::CRTSCTS),
            ) {
                (true, _) if outbound => Control::OutboundFlowXonXoff,
                (_, true) if outbound => Control::OutboundFlowHardware,
                _ if outbound => Control::OutboundFlowNone,
                (true, _) => Control::InboundFlowXonXoff,
                (_, true) => Control::InboundFlowHardware,
                _ => Control::InboundFlowNone,
            }
        }
        Control::BreakOn => {
            tcsendbreak(port)?;
            control
        }
        Control::QueryBreak => Control::BreakOff,
        Control::QueryDtr => Control::DtrOn,
        Control::QueryRts => Control::RtsOn,
        other => other,
    };
    Ok(Command::SetControl(answer))
}

/// The device's value for the setting `command` names (for a query, or a setting
/// the device could not take).
fn current(port: &File, command: &Command) -> std::io::Result<Command> {
    let settings = tcgetattr(port)?;
    let modes = settings.control_modes;
    Ok(match command {
        Command::SetBaudRate(_) => Command::SetBaudRate(BaudRate(settings.output_speed())),
        Command::SetDataSize(_) => Command::SetDataSize(match modes & ControlModes::CSIZE {
            size if size == ControlModes::CS5 => DataSize::Five,
            size if size == ControlModes::CS6 => DataSize::Six,
            size if size == ControlModes::CS7 => DataSize::Seven,
            _ => DataSize::Eight,
        }),
        Command::SetParity(_) => Command::SetParity(
            match (
                modes.contains(ControlModes::PARENB),
                modes.contains(ControlModes::CMSPAR),
                modes.contains(ControlModes::PARODD),
            ) {
                (false, _, _) => Parity::None,
                (true, true, true) => Parity::Mark,
                (true, true, false) => Parity::Space,
                (true, false, true) => Parity::Odd,
                (true, false, false) => Parity::Even,
            },
        ),
        Command::SetStopSize(_) => Command::SetStopSize(if modes.contains(ControlModes::CSTOPB) {
            StopSize::Two
        } else {
            StopSize::One
        }),
        other => other.clone(),
    })
}
