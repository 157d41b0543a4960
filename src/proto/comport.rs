//! COM-PORT-OPTION (RFC 2217, option 44, [`Opt::COM_PORT`](super::Opt::COM_PORT)): a
//! serial port's speed, framing, control lines and line/modem state, set and reported
//! over Telnet.
//!
//! Every message is a command code and a value. The client sends codes 0–12; the access
//! server (the side with the serial port) acknowledges each command with the same
//! command at code + 100, carrying the value actually in use, which may differ from the
//! one asked for; it also sends NOTIFY-LINESTATE and NOTIFY-MODEMSTATE when they change.
//! [`encode`] builds a subnegotiation payload, [`decode`] parses one.
//!
//! Design choices:
//!
//! - **One [`Command`] enum for both directions, with a [`Sender`].** The RFC gives the
//!   server the very commands of the client, with the same value syntax; only the code
//!   moves by 100. So the acknowledgement of `SetParity(Parity::Even)` is
//!   `SetParity(Parity::Even)` from [`Sender::Server`], and code that handles "the parity
//!   is now even" is written once. Two enums would repeat thirteen variants and the
//!   handling of every value.
//! - **"Request the current value" is a value of its own**, spelled `Query` as in
//!   [`Parity::Query`], [`DataSize::Query`], [`StopSize::Query`], [`BaudRate::QUERY`] (0)
//!   and the `Query*` variants of [`Control`]; an empty [`Command::Signature`] asks for
//!   the receiver's signature. A NOTIFY without a value, which the RFC does not define but
//!   pyserial's client sends to poll the server, is `None`.
//! - **Values outside the RFC's tables** ("Available for Future Use") are refused with
//!   [`ComPortError::UnknownValue`], which carries the byte, rather than passed on as
//!   numbers every user would have to check.
//!
//! Decoding never panics and is bounded: SIGNATURE text is at most [`MAX_SIGNATURE`]
//! bytes, every other value at most four. The encoding is canonical: whatever [`decode`]
//! accepts, [`encode`] gives back byte for byte.
//!
//! The payload is what goes between `IAC SB COM-PORT-OPTION` and `IAC SE`;
//! [`Engine::send_subnegotiation`](super::Engine::send_subnegotiation) doubles 0xFF.
//!
//! ```
//! use telnetlib::proto::comport::{self, BaudRate, Command, ModemState, Parity, Sender};
//! use telnetlib::proto::{Engine, Opt, Policy};
//!
//! // The client asks for 9600 baud (four bytes, network order)…
//! let payload = comport::encode(Sender::Client, &Command::SetBaudRate(BaudRate(9600)));
//! assert_eq!(payload, [1, 0x00, 0x00, 0x25, 0x80]);
//!
//! // …and reads the server's acknowledgements and notifications.
//! assert_eq!(
//!     comport::decode(&[103, 3]),
//!     Ok((Sender::Server, Command::SetParity(Parity::Even)))
//! );
//! let (_, notify) = comport::decode(&[107, 0x90]).unwrap();
//! assert_eq!(
//!     notify,
//!     Command::NotifyModemState(Some(ModemState::CARRIER_DETECT | ModemState::CTS))
//! );
//!
//! // On the wire, the engine frames the payload and doubles 0xFF.
//! let mask = comport::encode(Sender::Client, &Command::SetModemStateMask(ModemState::ALL));
//! let mut engine = Engine::new(Policy::new());
//! engine.send_subnegotiation(Opt::COM_PORT, &mask);
//! assert_eq!(engine.output(), b"\xff\xfa\x2c\x0b\xff\xff\xff\xf0");
//! ```

use std::fmt;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign};

/// `SIGNATURE <text>`: the sender's signature, or a request for the receiver's.
pub const SIGNATURE: u8 = 0;
/// `SET-BAUDRATE <value(4)>`.
pub const SET_BAUDRATE: u8 = 1;
/// `SET-DATASIZE <value>`.
pub const SET_DATASIZE: u8 = 2;
/// `SET-PARITY <value>`.
pub const SET_PARITY: u8 = 3;
/// `SET-STOPSIZE <value>`.
pub const SET_STOPSIZE: u8 = 4;
/// `SET-CONTROL <value>`.
pub const SET_CONTROL: u8 = 5;
/// `NOTIFY-LINESTATE <value>`.
pub const NOTIFY_LINESTATE: u8 = 6;
/// `NOTIFY-MODEMSTATE <value>`.
pub const NOTIFY_MODEMSTATE: u8 = 7;
/// `FLOWCONTROL-SUSPEND`, no value.
pub const FLOWCONTROL_SUSPEND: u8 = 8;
/// `FLOWCONTROL-RESUME`, no value.
pub const FLOWCONTROL_RESUME: u8 = 9;
/// `SET-LINESTATE-MASK <value>`.
pub const SET_LINESTATE_MASK: u8 = 10;
/// `SET-MODEMSTATE-MASK <value>`.
pub const SET_MODEMSTATE_MASK: u8 = 11;
/// `PURGE-DATA <value>`.
pub const PURGE_DATA: u8 = 12;
/// Added to a command's code when the access server sends it (`SET-BAUDRATE` is 1 from
/// the client, 101 from the server).
pub const SERVER_OFFSET: u8 = 100;

/// The longest SIGNATURE text [`decode`] accepts and [`encode`] sends, in bytes. The RFC
/// sets no limit; signatures in the wild are a product name and a version.
pub const MAX_SIGNATURE: usize = 256;

/// Who sent a message, which the command code tells: the client uses 0–12, the access
/// server the same commands at 100–112.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sender {
    /// The client, which sets up the port and asks for its state.
    Client,
    /// The access server, which has the port: it acknowledges each client command with
    /// the value in use and notifies line and modem state changes.
    Server,
}

/// A change of the serial port's state the access server notified (NOTIFY-LINESTATE
/// or NOTIFY-MODEMSTATE), as a client collects them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notification {
    /// The serial line's state (data ready, break, errors, …).
    LineState(LineState),
    /// The modem lines (carrier detect, DSR, CTS, ring, …).
    ModemState(ModemState),
}

/// A COM-PORT-OPTION command, from either side (see [`Sender`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command {
    /// SIGNATURE: free text (a product name, a version…). Empty, it asks the receiver
    /// for its signature. At most [`MAX_SIGNATURE`] bytes are sent.
    Signature(Vec<u8>),
    /// SET-BAUDRATE: the speed in bits per second, or [`BaudRate::QUERY`].
    SetBaudRate(BaudRate),
    /// SET-DATASIZE: bits per character.
    SetDataSize(DataSize),
    /// SET-PARITY.
    SetParity(Parity),
    /// SET-STOPSIZE: stop bits.
    SetStopSize(StopSize),
    /// SET-CONTROL: flow control, BREAK, DTR or RTS, set or queried.
    SetControl(Control),
    /// NOTIFY-LINESTATE: the server's UART line state, masked by the client's
    /// [`SetLineStateMask`](Command::SetLineStateMask). `None` (no value byte) is not in
    /// the RFC; pyserial's client sends it to poll the server.
    NotifyLineState(Option<LineState>),
    /// NOTIFY-MODEMSTATE: the server's modem lines, masked by the client's
    /// [`SetModemStateMask`](Command::SetModemStateMask). `None` (no value byte) is not
    /// in the RFC; pyserial's client sends it to poll the server.
    NotifyModemState(Option<ModemState>),
    /// FLOWCONTROL-SUSPEND: the sender asks the receiver to stop sending data and
    /// commands until FLOWCONTROL-RESUME.
    FlowControlSuspend,
    /// FLOWCONTROL-RESUME: the sender asks the receiver to send again.
    FlowControlResume,
    /// SET-LINESTATE-MASK: which line state bits the server notifies.
    SetLineStateMask(LineState),
    /// SET-MODEMSTATE-MASK: which modem state bits the server notifies (the RFC's
    /// initial mask is [`ModemState::ALL`]).
    SetModemStateMask(ModemState),
    /// PURGE-DATA: empty the server's buffers.
    PurgeData(Purge),
}

impl Command {
    /// The command's code as the client sends it (0–12); the server's is this plus
    /// [`SERVER_OFFSET`].
    pub fn code(&self) -> u8 {
        match self {
            Command::Signature(_) => SIGNATURE,
            Command::SetBaudRate(_) => SET_BAUDRATE,
            Command::SetDataSize(_) => SET_DATASIZE,
            Command::SetParity(_) => SET_PARITY,
            Command::SetStopSize(_) => SET_STOPSIZE,
            Command::SetControl(_) => SET_CONTROL,
            Command::NotifyLineState(_) => NOTIFY_LINESTATE,
            Command::NotifyModemState(_) => NOTIFY_MODEMSTATE,
            Command::FlowControlSuspend => FLOWCONTROL_SUSPEND,
            Command::FlowControlResume => FLOWCONTROL_RESUME,
            Command::SetLineStateMask(_) => SET_LINESTATE_MASK,
            Command::SetModemStateMask(_) => SET_MODEMSTATE_MASK,
            Command::PurgeData(_) => PURGE_DATA,
        }
    }
}

/// A speed in bits per second, sent as four bytes in network order. 0 is
/// [`BaudRate::QUERY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BaudRate(pub u32);

impl BaudRate {
    /// 0: asks the server for the current speed.
    pub const QUERY: BaudRate = BaudRate(0);

    /// Whether this is [`BaudRate::QUERY`].
    pub fn is_query(self) -> bool {
        self == BaudRate::QUERY
    }
}

/// A value table of the RFC as an enum: each variant is its value byte, with `code`
/// and `from_code` (`None` for a byte the RFC leaves for future use).
macro_rules! value_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant = $code, )*
        }

        impl $name {
            /// The value byte.
            pub fn code(self) -> u8 {
                self as u8
            }

            /// The value of a byte; `None` for one the RFC leaves for future use.
            pub fn from_code(code: u8) -> Option<$name> {
                match code {
                    $( $code => Some($name::$variant), )*
                    _ => None,
                }
            }
        }
    };
}

value_enum! {
    /// SET-DATASIZE values: bits per character.
    DataSize {
        /// 0: asks for the current data size.
        Query = 0,
        /// 5 bits.
        Five = 5,
        /// 6 bits.
        Six = 6,
        /// 7 bits.
        Seven = 7,
        /// 8 bits.
        Eight = 8,
    }
}

impl DataSize {
    /// The number of bits, or `None` for [`DataSize::Query`].
    pub fn bits(self) -> Option<u8> {
        (self != DataSize::Query).then_some(self.code())
    }
}

value_enum! {
    /// SET-PARITY values.
    Parity {
        /// 0: asks for the current parity.
        Query = 0,
        /// No parity bit.
        None = 1,
        /// Odd parity.
        Odd = 2,
        /// Even parity.
        Even = 3,
        /// The parity bit is always 1.
        Mark = 4,
        /// The parity bit is always 0.
        Space = 5,
    }
}

value_enum! {
    /// SET-STOPSIZE values: stop bits.
    StopSize {
        /// 0: asks for the current number of stop bits.
        Query = 0,
        /// 1 stop bit.
        One = 1,
        /// 2 stop bits.
        Two = 2,
        /// 1.5 stop bits (code 3).
        OneAndHalf = 3,
    }
}

value_enum! {
    /// SET-CONTROL values, the RFC's whole table (0–19).
    ///
    /// "Outbound" flow control settings are, in the RFC's words, "outbound/both": they
    /// apply to both directions unless an inbound setting says otherwise. The server answers
    /// a `Query*` with the setting in use (`QueryDtr` with `DtrOn` or `DtrOff`, and so on).
    Control {
        /// 0: asks for the outbound (or both-ways) flow control setting.
        QueryOutboundFlow = 0,
        /// 1: no outbound flow control.
        OutboundFlowNone = 1,
        /// 2: XON/XOFF outbound flow control.
        OutboundFlowXonXoff = 2,
        /// 3: hardware (RTS/CTS) outbound flow control.
        OutboundFlowHardware = 3,
        /// 4: asks whether BREAK is on.
        QueryBreak = 4,
        /// 5: BREAK on.
        BreakOn = 5,
        /// 6: BREAK off.
        BreakOff = 6,
        /// 7: asks for the DTR line.
        QueryDtr = 7,
        /// 8: DTR on.
        DtrOn = 8,
        /// 9: DTR off.
        DtrOff = 9,
        /// 10: asks for the RTS line.
        QueryRts = 10,
        /// 11: RTS on.
        RtsOn = 11,
        /// 12: RTS off.
        RtsOff = 12,
        /// 13: asks for the inbound flow control setting.
        QueryInboundFlow = 13,
        /// 14: no inbound flow control.
        InboundFlowNone = 14,
        /// 15: XON/XOFF inbound flow control.
        InboundFlowXonXoff = 15,
        /// 16: hardware (RTS/CTS) inbound flow control.
        InboundFlowHardware = 16,
        /// 17: DCD outbound flow control.
        OutboundFlowDcd = 17,
        /// 18: DTR inbound flow control.
        InboundFlowDtr = 18,
        /// 19: DSR outbound flow control.
        OutboundFlowDsr = 19,
    }
}

value_enum! {
    /// PURGE-DATA values: which of the server's buffers to empty.
    Purge {
        /// 1: the server's receive buffer (data from the serial port not yet sent on).
        Receive = 1,
        /// 2: the server's transmit buffer (data for the serial port not yet written).
        Transmit = 2,
        /// 3: both buffers.
        Both = 3,
    }
}

/// A set of the eight bits of a state byte: a struct around the byte with a named
/// constant per bit, `|` and `&`, and a `Debug` that lists the names.
macro_rules! bit_set {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$flag_meta:meta])* $flag:ident = $bit:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub u8);

        impl $name {
            $( $(#[$flag_meta])* pub const $flag: $name = $name($bit); )*
            /// No bit set.
            pub const EMPTY: $name = $name(0);
            /// Every bit set.
            pub const ALL: $name = $name(0xff);
            const NAMES: [(&'static str, u8); 8] = [$((stringify!($flag), $bit)),*];

            /// Whether every bit of `bits` is set in `self`.
            pub fn contains(self, bits: $name) -> bool {
                self.0 & bits.0 == bits.0
            }

            /// Whether no bit is set.
            pub fn is_empty(self) -> bool {
                self.0 == 0
            }
        }

        impl BitOr for $name {
            type Output = $name;
            fn bitor(self, other: $name) -> $name {
                $name(self.0 | other.0)
            }
        }

        impl BitOrAssign for $name {
            fn bitor_assign(&mut self, other: $name) {
                self.0 |= other.0;
            }
        }

        impl BitAnd for $name {
            type Output = $name;
            fn bitand(self, other: $name) -> $name {
                $name(self.0 & other.0)
            }
        }

        impl BitAndAssign for $name {
            fn bitand_assign(&mut self, other: $name) {
                self.0 &= other.0;
            }
        }

        impl fmt::Debug for $name {
            /// The names of the bits set: `LineState(BREAK_DETECT | DATA_READY)`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let names: Vec<&str> = Self::NAMES
                    .iter()
                    .filter(|(_, bit)| self.0 & bit != 0)
                    .map(|(name, _)| *name)
                    .collect();
                let names = if names.is_empty() { "EMPTY".to_owned() } else { names.join(" | ") };
                write!(f, "{}({names})", stringify!($name))
            }
        }
    };
}

bit_set! {
    /// NOTIFY-LINESTATE bits (and SET-LINESTATE-MASK's): the server's UART line status
    /// register.
    LineState {
        /// Bit 7 (128): time-out error.
        TIMEOUT = 0x80;
        /// Bit 6 (64): transfer shift register empty.
        SHIFT_REGISTER_EMPTY = 0x40;
        /// Bit 5 (32): transfer holding register empty.
        HOLDING_REGISTER_EMPTY = 0x20;
        /// Bit 4 (16): break-detect error.
        BREAK_DETECT = 0x10;
        /// Bit 3 (8): framing error.
        FRAMING_ERROR = 0x08;
        /// Bit 2 (4): parity error.
        PARITY_ERROR = 0x04;
        /// Bit 1 (2): overrun error.
        OVERRUN_ERROR = 0x02;
        /// Bit 0 (1): data ready.
        DATA_READY = 0x01;
    }
}

bit_set! {
    /// NOTIFY-MODEMSTATE bits (and SET-MODEMSTATE-MASK's): the server's modem lines and
    /// their changes.
    ModemState {
        /// Bit 7 (128): receive line signal detect, also known as carrier detect (CD).
        CARRIER_DETECT = 0x80;
        /// Bit 6 (64): ring indicator (RI).
        RING_INDICATOR = 0x40;
        /// Bit 5 (32): data set ready (DSR).
        DSR = 0x20;
        /// Bit 4 (16): clear to send (CTS).
        CTS = 0x10;
        /// Bit 3 (8): delta receive line signal detect: CD changed.
        CARRIER_DETECT_CHANGED = 0x08;
        /// Bit 2 (4): trailing-edge ring detector: a ring ended.
        RING_ENDED = 0x04;
        /// Bit 1 (2): delta data set ready: DSR changed.
        DSR_CHANGED = 0x02;
        /// Bit 0 (1): delta clear to send: CTS changed.
        CTS_CHANGED = 0x01;
    }
}

/// Why a payload is not a COM-PORT-OPTION message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ComPortError {
    /// The payload is empty: there is no command code.
    Empty,
    /// The command code is neither 0–12 (client) nor 100–112 (server).
    UnknownCommand(u8),
    /// A known command whose value has the wrong length.
    WrongLength {
        /// The command code, as received.
        command: u8,
        /// The value's length in bytes.
        len: usize,
    },
    /// A value byte outside the RFC's table for its command.
    UnknownValue {
        /// The command code, as received.
        command: u8,
        /// The value byte.
        value: u8,
    },
    /// SIGNATURE text longer than [`MAX_SIGNATURE`].
    SignatureTooLong {
        /// The text's length in bytes.
        len: usize,
    },
}

impl fmt::Display for ComPortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ComPortError::Empty => f.write_str("empty COM-PORT-OPTION subnegotiation"),
            ComPortError::UnknownCommand(code) => write!(
                f,
                "unknown COM-PORT-OPTION command {code}: RFC 2217 defines 0-12 and 100-112"
            ),
            ComPortError::WrongLength { command, len } => write!(
                f,
                "COM-PORT-OPTION {} ({command}) with a value of {len} bytes; it takes {}",
                name(command),
                expected_length(command)
            ),
            ComPortError::UnknownValue { command, value } => write!(
                f,
                "COM-PORT-OPTION {} ({command}) value {value} is not in RFC 2217's table",
                name(command)
            ),
            ComPortError::SignatureTooLong { len } => write!(
                f,
                "COM-PORT-OPTION SIGNATURE of {len} bytes, over the limit of {MAX_SIGNATURE}"
            ),
        }
    }
}

impl std::error::Error for ComPortError {}

/// A command's code without the server's offset.
fn base(code: u8) -> u8 {
    code.checked_sub(SERVER_OFFSET).unwrap_or(code)
}

/// A command's name in the RFC.
fn name(code: u8) -> &'static str {
    match base(code) {
        SIGNATURE => "SIGNATURE",
        SET_BAUDRATE => "SET-BAUDRATE",
        SET_DATASIZE => "SET-DATASIZE",
        SET_PARITY => "SET-PARITY",
        SET_STOPSIZE => "SET-STOPSIZE",
        SET_CONTROL => "SET-CONTROL",
        NOTIFY_LINESTATE => "NOTIFY-LINESTATE",
        NOTIFY_MODEMSTATE => "NOTIFY-MODEMSTATE",
        FLOWCONTROL_SUSPEND => "FLOWCONTROL-SUSPEND",
        FLOWCONTROL_RESUME => "FLOWCONTROL-RESUME",
        SET_LINESTATE_MASK => "SET-LINESTATE-MASK",
        SET_MODEMSTATE_MASK => "SET-MODEMSTATE-MASK",
        PURGE_DATA => "PURGE-DATA",
        _ => "unknown command",
    }
}

/// The value length a command takes, in words.
fn expected_length(code: u8) -> &'static str {
    match base(code) {
        SIGNATURE => "any text",
        SET_BAUDRATE => "exactly 4 bytes",
        NOTIFY_LINESTATE | NOTIFY_MODEMSTATE => "one byte or none",
        FLOWCONTROL_SUSPEND | FLOWCONTROL_RESUME => "no value",
        _ => "exactly one byte",
    }
}

/// The payload for `command` sent by `sender`. SIGNATURE text beyond [`MAX_SIGNATURE`]
/// bytes is dropped.
///
/// ```
/// use telnetlib::proto::comport::{encode, Command, Control, Sender};
/// assert_eq!(encode(Sender::Client, &Command::SetControl(Control::DtrOn)), [5, 8]);
/// assert_eq!(encode(Sender::Server, &Command::SetControl(Control::DtrOn)), [105, 8]);
/// assert_eq!(encode(Sender::Client, &Command::Signature(b"x".to_vec())), b"\x00x");
/// ```
pub fn encode(sender: Sender, command: &Command) -> Vec<u8> {
    let code = match sender {
        Sender::Client => command.code(),
        Sender::Server => command.code() + SERVER_OFFSET,
    };
    let mut out = vec![code];
    match command {
        Command::Signature(text) => out.extend(text.iter().take(MAX_SIGNATURE)),
        Command::SetBaudRate(rate) => out.extend_from_slice(&rate.0.to_be_bytes()),
        Command::SetDataSize(size) => out.push(size.code()),
        Command::SetParity(parity) => out.push(parity.code()),
        Command::SetStopSize(size) => out.push(size.code()),
        Command::SetControl(control) => out.push(control.code()),
        Command::NotifyLineState(state) => out.extend(state.map(|state| state.0)),
        Command::NotifyModemState(state) => out.extend(state.map(|state| state.0)),
        Command::FlowControlSuspend | Command::FlowControlResume => {}
        Command::SetLineStateMask(mask) => out.push(mask.0),
        Command::SetModemStateMask(mask) => out.push(mask.0),
        Command::PurgeData(purge) => out.push(purge.code()),
    }
    out
}

/// The sender and command of a payload.
///
/// Refused: an empty payload, a code outside 0–12 and 100–112, a value of the wrong
/// length (four bytes for SET-BAUDRATE, none for FLOWCONTROL-SUSPEND/RESUME, one or none
/// for the NOTIFYs, one for the rest), a value byte outside the RFC's table, and
/// SIGNATURE text over [`MAX_SIGNATURE`] bytes.
///
/// ```
/// use telnetlib::proto::comport::{decode, BaudRate, Command, ComPortError, Sender};
/// assert_eq!(
///     decode(&[101, 0x00, 0x01, 0xc2, 0x00]),
///     Ok((Sender::Server, Command::SetBaudRate(BaudRate(115_200))))
/// );
/// assert_eq!(decode(&[1, 0x25, 0x80]), Err(ComPortError::WrongLength { command: 1, len: 2 }));
/// assert_eq!(decode(&[3, 9]), Err(ComPortError::UnknownValue { command: 3, value: 9 }));
/// ```
pub fn decode(payload: &[u8]) -> Result<(Sender, Command), ComPortError> {
    let (&code, value) = payload.split_first().ok_or(ComPortError::Empty)?;
    let sender = match code {
        0..=PURGE_DATA => Sender::Client,
        100..=112 => Sender::Server,
        _ => return Err(ComPortError::UnknownCommand(code)),
    };
    let wrong_length = ComPortError::WrongLength {
        command: code,
        len: value.len(),
    };
    let command = match base(code) {
        SIGNATURE if value.len() > MAX_SIGNATURE => {
            return Err(ComPortError::SignatureTooLong { len: value.len() });
        }
        SIGNATURE => Command::Signature(value.to_vec()),
        SET_BAUDRATE => {
            let bytes: [u8; 4] = value.try_into().map_err(|_| wrong_length)?;
            Command::SetBaudRate(BaudRate(u32::from_be_bytes(bytes)))
        }
        SET_DATASIZE => Command::SetDataSize(one_value(code, value, DataSize::from_code)?),
        SET_PARITY => Command::SetParity(one_value(code, value, Parity::from_code)?),
        SET_STOPSIZE => Command::SetStopSize(one_value(code, value, StopSize::from_code)?),
        SET_CONTROL => Command::SetControl(one_value(code, value, Control::from_code)?),
        NOTIFY_LINESTATE => Command::NotifyLineState(match *value {
            [] => None,
            [bits] => Some(LineState(bits)),
            _ => return Err(wrong_length),
        }),
        NOTIFY_MODEMSTATE => Command::NotifyModemState(match *value {
            [] => None,
            [bits] => Some(ModemState(bits)),
            _ => return Err(wrong_length),
        }),
        FLOWCONTROL_SUSPEND if value.is_empty() => Command::FlowControlSuspend,
        FLOWCONTROL_RESUME if value.is_empty() => Command::FlowControlResume,
        FLOWCONTROL_SUSPEND | FLOWCONTROL_RESUME => return Err(wrong_length),
        SET_LINESTATE_MASK => Command::SetLineStateMask(LineState(one_byte(code, value)?)),
        SET_MODEMSTATE_MASK => Command::SetModemStateMask(ModemState(one_byte(code, value)?)),
        PURGE_DATA => Command::PurgeData(one_value(code, value, Purge::from_code)?),
        _ => return Err(ComPortError::UnknownCommand(code)),
    };
    Ok((sender, command))
}

/// The single byte of a value.
fn one_byte(code: u8, value: &[u8]) -> Result<u8, ComPortError> {
    match *value {
        [byte] => Ok(byte),
        _ => Err(ComPortError::WrongLength {
            command: code,
            len: value.len(),
        }),
    }
}

/// A one-byte value looked up in its table.
fn one_value<T>(code: u8, value: &[u8], lookup: fn(u8) -> Option<T>) -> Result<T, ComPortError> {
    let byte = one_byte(code, value)?;
    lookup(byte).ok_or(ComPortError::UnknownValue {
        command: code,
        value: byte,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Engine, Event, Opt, Policy};

    const SENDERS: [Sender; 2] = [Sender::Client, Sender::Server];

    /// Golden vectors from the RFC's tables: every command code, every tabled value.
    fn golden() -> Vec<(Sender, Command, Vec<u8>)> {
        use Command::*;
        use Sender::{Client, Server};
        let mut vectors = vec![
            (Client, Signature(Vec::new()), vec![0]),
            (Server, Signature(Vec::new()), vec![100]),
            (
                Server,
                Signature(b"ser2net 4.0".to_vec()),
                b"\x64ser2net 4.0".to_vec(),
            ),
            (Client, Signature(vec![0xff, 0]), vec![0, 0xff, 0]),
            (Client, SetBaudRate(BaudRate::QUERY), vec![1, 0, 0, 0, 0]),
            (
                Client,
                SetBaudRate(BaudRate(9600)),
                vec![1, 0, 0, 0x25, 0x80],
            ),
            (
                Server,
                SetBaudRate(BaudRate(115_200)),
                vec![101, 0, 1, 0xc2, 0],
            ),
            (
                Server,
                SetBaudRate(BaudRate(u32::MAX)),
                vec![101, 0xff, 0xff, 0xff, 0xff],
            ),
            (Client, SetDataSize(DataSize::Query), vec![2, 0]),
            (Client, SetDataSize(DataSize::Five), vec![2, 5]),
            (Client, SetDataSize(DataSize::Six), vec![2, 6]),
            (Client, SetDataSize(DataSize::Seven), vec![2, 7]),
            (Server, SetDataSize(DataSize::Eight), vec![102, 8]),
            (Client, SetParity(Parity::Query), vec![3, 0]),
            (Client, SetParity(Parity::None), vec![3, 1]),
            (Client, SetParity(Parity::Odd), vec![3, 2]),
            (Client, SetParity(Parity::Even), vec![3, 3]),
            (Client, SetParity(Parity::Mark), vec![3, 4]),
            (Server, SetParity(Parity::Space), vec![103, 5]),
            (Client, SetStopSize(StopSize::Query), vec![4, 0]),
            (Client, SetStopSize(StopSize::One), vec![4, 1]),
            (Client, SetStopSize(StopSize::Two), vec![4, 2]),
            (Server, SetStopSize(StopSize::OneAndHalf), vec![104, 3]),
            (
                Server,
                NotifyLineState(Some(LineState::EMPTY)),
                vec![106, 0],
            ),
            (
                Server,
                NotifyLineState(Some(LineState::BREAK_DETECT | LineState::DATA_READY)),
                vec![106, 0x11],
            ),
            (Client, NotifyLineState(None), vec![6]),
            (
                Server,
                NotifyModemState(Some(ModemState::CARRIER_DETECT | ModemState::DSR)),
                vec![107, 0xa0],
            ),
            (Client, NotifyModemState(None), vec![7]),
            (Client, FlowControlSuspend, vec![8]),
            (Server, FlowControlSuspend, vec![108]),
            (Client, FlowControlResume, vec![9]),
            (Server, FlowControlResume, vec![109]),
            (Client, SetLineStateMask(LineState::EMPTY), vec![10, 0]),
            (
                Server,
                SetLineStateMask(LineState::TIMEOUT),
                vec![110, 0x80],
            ),
            (Client, SetModemStateMask(ModemState::ALL), vec![11, 0xff]),
            (
                Server,
                SetModemStateMask(ModemState::CTS_CHANGED),
                vec![111, 1],
            ),
            (Client, PurgeData(Purge::Receive), vec![12, 1]),
            (Client, PurgeData(Purge::Transmit), vec![12, 2]),
            (Server, PurgeData(Purge::Both), vec![112, 3]),
        ];
        let controls = [
            Control::QueryOutboundFlow,
            Control::OutboundFlowNone,
            Control::OutboundFlowXonXoff,
            Control::OutboundFlowHardware,
            Control::QueryBreak,
            Control::BreakOn,
            Control::BreakOff,
            Control::QueryDtr,
            Control::DtrOn,
            Control::DtrOff,
            Control::QueryRts,
            Control::RtsOn,
            Control::RtsOff,
            Control::QueryInboundFlow,
            Control::InboundFlowNone,
            Control::InboundFlowXonXoff,
            Control::InboundFlowHardware,
            Control::OutboundFlowDcd,
            Control::InboundFlowDtr,
            Control::OutboundFlowDsr,
        ];
        for (code, control) in (0u8..).zip(controls) {
            vectors.push((Client, SetControl(control), vec![5, code]));
            vectors.push((Server, SetControl(control), vec![105, code]));
        }
        vectors
    }

    #[test]
    fn golden_vectors_encode_and_decode() {
        for (sender, command, bytes) in golden() {
            assert_eq!(encode(sender, &command), bytes, "{sender:?} {command:?}");
            assert_eq!(decode(&bytes), Ok((sender, command)), "{bytes:?}");
        }
    }

    #[test]
    fn the_value_tables_match_the_rfc() {
        let valid = |lookup: fn(u8) -> Option<u8>| -> Vec<u8> {
            (0..=255).filter(|&b| lookup(b).is_some()).collect()
        };
        assert_eq!(
            valid(|b| DataSize::from_code(b).map(DataSize::code)),
            [0, 5, 6, 7, 8]
        );
        assert_eq!(
            valid(|b| Parity::from_code(b).map(Parity::code)),
            [0, 1, 2, 3, 4, 5]
        );
        assert_eq!(
            valid(|b| StopSize::from_code(b).map(StopSize::code)),
            [0, 1, 2, 3]
        );
        assert_eq!(
            valid(|b| Control::from_code(b).map(Control::code)),
            (0..20).collect::<Vec<u8>>()
        );
        assert_eq!(valid(|b| Purge::from_code(b).map(Purge::code)), [1, 2, 3]);
        for byte in 0..=255 {
            for code in [
                DataSize::from_code(byte).map(DataSize::code),
                Parity::from_code(byte).map(Parity::code),
                StopSize::from_code(byte).map(StopSize::code),
                Control::from_code(byte).map(Control::code),
                Purge::from_code(byte).map(Purge::code),
            ] {
                assert!(code.is_none() || code == Some(byte), "byte {byte}");
            }
        }
        assert_eq!(DataSize::Seven.bits(), Some(7));
        assert_eq!(DataSize::Query.bits(), None);
        assert!(BaudRate::QUERY.is_query() && !BaudRate(300).is_query());
    }

    #[test]
    fn empty_and_unknown_commands_are_refused() {
        assert_eq!(decode(&[]), Err(ComPortError::Empty));
        for code in (13..100).chain(113..=255) {
            assert_eq!(decode(&[code, 1]), Err(ComPortError::UnknownCommand(code)));
        }
    }

    #[test]
    fn every_wrong_length_is_refused() {
        for offset in [0, SERVER_OFFSET] {
            for base in SET_BAUDRATE..=PURGE_DATA {
                let code = base + offset;
                let accepted: &[usize] = match base {
                    SET_BAUDRATE => &[4],
                    NOTIFY_LINESTATE | NOTIFY_MODEMSTATE => &[0, 1],
                    FLOWCONTROL_SUSPEND | FLOWCONTROL_RESUME => &[0],
                    _ => &[1],
                };
                // A value byte that every table holds but DataSize's.
                let fill = if base == SET_DATASIZE { 8 } else { 1 };
                for len in 0..16 {
                    let mut payload = vec![code];
                    payload.resize(len + 1, fill);
                    let result = decode(&payload);
                    if accepted.contains(&len) {
                        assert!(result.is_ok(), "{payload:?}");
                    } else {
                        assert_eq!(
                            result,
                            Err(ComPortError::WrongLength { command: code, len }),
                            "{payload:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn values_left_for_future_use_are_refused() {
        let cases: [(u8, &[u8]); 5] = [
            (SET_DATASIZE, &[1, 2, 3, 4, 9, 127, 128, 255]),
            (SET_PARITY, &[6, 127, 128, 255]),
            (SET_STOPSIZE, &[4, 127, 128, 255]),
            (SET_CONTROL, &[20, 127, 128, 255]),
            (PURGE_DATA, &[0, 4, 127, 128, 255]),
        ];
        for (base, values) in cases {
            for offset in [0, SERVER_OFFSET] {
                let command = base + offset;
                for &value in values {
                    assert_eq!(
                        decode(&[command, value]),
                        Err(ComPortError::UnknownValue { command, value })
                    );
                }
            }
        }
    }

    #[test]
    fn signatures_are_bounded() {
        let mut payload = vec![SIGNATURE];
        payload.resize(1 + MAX_SIGNATURE, 0xff);
        assert!(decode(&payload).is_ok());
        payload.push(b'x');
        assert_eq!(
            decode(&payload),
            Err(ComPortError::SignatureTooLong {
                len: MAX_SIGNATURE + 1
            })
        );
        let long = Command::Signature(vec![b'a'; MAX_SIGNATURE + 50]);
        let sent = encode(Sender::Server, &long);
        assert_eq!(sent.len(), 1 + MAX_SIGNATURE, "encode drops the excess");
        assert_eq!(
            decode(&sent),
            Ok((
                Sender::Server,
                Command::Signature(vec![b'a'; MAX_SIGNATURE])
            ))
        );
    }

    /// Decodes never panic, and what decodes re-encodes to the same bytes: every code,
    /// lengths 0..16, filled with each byte value and with a counting pattern.
    #[test]
    fn decode_is_total_and_canonical() {
        let mut accepted = 0;
        for code in 0..=255u8 {
            for len in 0..16usize {
                for fill in 0..=255u8 {
                    let same = std::iter::repeat_n(fill, len);
                    let counting = (0..len).map(|i| fill.wrapping_add(i as u8));
                    for value in [same.collect::<Vec<u8>>(), counting.collect()] {
                        let mut payload = vec![code];
                        payload.extend_from_slice(&value);
                        if let Ok((sender, command)) = decode(&payload) {
                            accepted += 1;
                            assert_eq!(encode(sender, &command), payload, "{payload:?}");
                        }
                    }
                }
            }
        }
        assert!(accepted > 0);
    }

    /// decode(encode(x)) == x for every command of every fixed-size value, many baud
    /// rates and signatures, from both senders.
    #[test]
    fn every_command_round_trips() {
        let mut commands = vec![Command::FlowControlSuspend, Command::FlowControlResume];
        for byte in 0..=255u8 {
            commands.extend(DataSize::from_code(byte).map(Command::SetDataSize));
            commands.extend(Parity::from_code(byte).map(Command::SetParity));
            commands.extend(StopSize::from_code(byte).map(Command::SetStopSize));
            commands.extend(Control::from_code(byte).map(Command::SetControl));
            commands.extend(Purge::from_code(byte).map(Command::PurgeData));
            commands.push(Command::NotifyLineState(Some(LineState(byte))));
            commands.push(Command::NotifyModemState(Some(ModemState(byte))));
            commands.push(Command::SetLineStateMask(LineState(byte)));
            commands.push(Command::SetModemStateMask(ModemState(byte)));
            let spread = u32::from(byte) * 0x0101_0101;
            commands.push(Command::SetBaudRate(BaudRate(spread)));
            commands.push(Command::SetBaudRate(BaudRate(u32::from(byte) << 24 | 0xff)));
            commands.push(Command::Signature(vec![byte; usize::from(byte) + 1]));
        }
        commands.push(Command::NotifyLineState(None));
        commands.push(Command::NotifyModemState(None));
        commands.push(Command::Signature(Vec::new()));
        commands.push(Command::Signature((0..=255).collect()));
        for rate in [
            0,
            50,
            300,
            9600,
            38_400,
            115_200,
            921_600,
            4_000_000,
            u32::MAX,
        ] {
            commands.push(Command::SetBaudRate(BaudRate(rate)));
        }
        for command in commands {
            for sender in SENDERS {
                let bytes = encode(sender, &command);
                assert_eq!(decode(&bytes), Ok((sender, command.clone())), "{bytes:?}");
            }
        }
    }

    #[test]
    fn payloads_survive_the_engine_framing() {
        for (sender, command, payload) in golden() {
            let mut sending = Engine::new(Policy::new());
            sending.send_subnegotiation(Opt::COM_PORT, &payload);
            let wire = sending.take_output();
            let mut received = Vec::new();
            Engine::new(Policy::new()).receive(&wire, |event| {
                if let Event::Subnegotiation { opt, data } = event {
                    assert_eq!(opt, Opt::COM_PORT);
                    received.push(decode(data));
                }
            });
            assert_eq!(received, [Ok((sender, command))]);
        }
    }

    #[test]
    fn bit_sets_combine_and_print_their_names() {
        let mut state = LineState::BREAK_DETECT | LineState::DATA_READY;
        assert_eq!(state, LineState(0x11));
        assert!(state.contains(LineState::DATA_READY));
        assert!(!state.contains(LineState::DATA_READY | LineState::TIMEOUT));
        assert_eq!(format!("{state:?}"), "LineState(BREAK_DETECT | DATA_READY)");
        state &= LineState::TIMEOUT;
        assert!(state.is_empty());
        assert_eq!(format!("{state:?}"), "LineState(EMPTY)");
        state |= LineState::ALL;
        assert_eq!(state.0, 0xff);
        assert_eq!(
            format!("{:?}", ModemState(0xa1)),
            "ModemState(CARRIER_DETECT | DSR | CTS_CHANGED)"
        );
        assert_eq!(ModemState::ALL & ModemState::CTS, ModemState::CTS);
        assert_eq!(LineState::default(), LineState::EMPTY);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            (ComPortError::Empty, "empty"),
            (ComPortError::UnknownCommand(50), "50"),
            (
                ComPortError::WrongLength {
                    command: 101,
                    len: 2,
                },
                "SET-BAUDRATE (101) with a value of 2 bytes; it takes exactly 4 bytes",
            ),
            (
                ComPortError::UnknownValue {
                    command: 3,
                    value: 9,
                },
                "SET-PARITY (3) value 9",
            ),
            (ComPortError::SignatureTooLong { len: 300 }, "300"),
        ];
        for (error, text) in cases {
            assert!(error.to_string().contains(text), "{error}");
        }
    }
}
