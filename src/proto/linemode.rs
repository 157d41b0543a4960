//! LINEMODE (RFC 1184): the `MODE`, `FORWARDMASK` and `SLC` messages ([`Message`]), the
//! table of special characters ([`SlcTable`]), and the negotiation of either side
//! ([`Linemode`]), which answers the peer by the RFC's rules and never answers a reply.
//!
//! Like the rest of [`proto`](super), nothing here does IO. A [`Linemode`] takes the
//! payloads of `SB LINEMODE` (the bytes after the option byte, as
//! [`Event::Subnegotiation`](super::Event::Subnegotiation) delivers them, `IAC IAC`
//! already undoubled) and returns an [`Outcome`]: the payloads to send back, each with
//! [`Engine::send_subnegotiation`](super::Engine::send_subnegotiation)`(Opt::LINEMODE, …)`
//! (which doubles IAC), and the [`Change`]s the peer made.
//!
//! # Integration
//!
//! - **Server** (it sends `DO LINEMODE`): keep a [`Linemode::server`]. On
//!   `OptionEnabled { side: Remote, opt: LINEMODE }` call [`Linemode::start`] and send
//!   its payloads (`MODE`, the SLC table, `DO FORWARDMASK`); on `OptionDisabled` call
//!   [`Linemode::reset`].
//! - **Client** (it sends `WILL LINEMODE`): keep a [`Linemode::client`]. On
//!   `OptionEnabled { side: Local, opt: LINEMODE }` call [`Linemode::start`] and send its
//!   payload (the SLC import request, or the exported table); on `OptionDisabled` call
//!   [`Linemode::reset`].
//! - Both: on `Subnegotiation { opt: LINEMODE, data }` while the option is enabled, call
//!   [`Linemode::receive`]`(data)`; send [`Outcome::send`] (or call
//!   [`Outcome::send_to`]) and expose [`Outcome::changes`]. `None` means the payload was
//!   malformed: nothing changed and nothing is to be sent. The current state is always
//!   readable: [`Linemode::mode`], [`Linemode::slc`], [`Linemode::forwardmask`],
//!   [`Linemode::forwards`] and [`SlcTable::function_for`].
//!
//! ```
//! use telnetlib::proto::linemode::{Linemode, ModeMask, SLC_IP};
//!
//! let mut server = Linemode::server();
//! let mut client = Linemode::client();
//! // Both start at once, as they do when the option is enabled; then they exchange
//! // payloads until neither has anything to say.
//! let mut to_client = server.start().send;
//! let mut to_server = client.start().send;
//! while !to_client.is_empty() || !to_server.is_empty() {
//!     let from_client: Vec<Vec<u8>> =
//!         to_client.iter().flat_map(|p| client.receive(p).unwrap().send).collect();
//!     to_client = to_server.iter().flat_map(|p| server.receive(p).unwrap().send).collect();
//!     to_server = from_client;
//! }
//! assert_eq!(client.mode(), ModeMask::EDIT | ModeMask::TRAPSIG);
//! assert_eq!(client.slc().get(SLC_IP).value, 0x03); // imported from the server: ^C
//! assert_eq!(client.slc().function_for(0x03), Some(SLC_IP));
//! assert!(client.forwards(b'\r'));
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::ops::BitOr;

use super::command::{Command, Verb};
use super::engine::Engine;
use super::option::Opt;

/// Suboption `MODE <mask>`: the sender asks for, or confirms, the mode `mask`.
pub const MODE: u8 = 1;
/// Suboption `<verb> FORWARDMASK [mask]`: the characters on which the client sends
/// what it has buffered.
pub const FORWARDMASK: u8 = 2;
/// Suboption `SLC <triplet>…`: set local (special) characters.
pub const SLC: u8 = 3;

/// Mode bit: the client edits lines locally and sends them whole.
pub const EDIT: u8 = 1;
/// Mode bit: the client translates interrupts and signals to Telnet commands.
pub const TRAPSIG: u8 = 2;
/// Mode bit: this `MODE` is an acknowledgement (a reply, never answered).
pub const MODE_ACK: u8 = 4;
/// Mode bit: the client expands horizontal tabs to spaces.
pub const SOFT_TAB: u8 = 8;
/// Mode bit: the client echoes non-printable characters literally.
pub const LIT_ECHO: u8 = 16;

/// SLC function: Synch.
pub const SLC_SYNCH: u8 = 1;
/// SLC function: Break.
pub const SLC_BRK: u8 = 2;
/// SLC function: Interrupt Process.
pub const SLC_IP: u8 = 3;
/// SLC function: Abort Output.
pub const SLC_AO: u8 = 4;
/// SLC function: Are You There.
pub const SLC_AYT: u8 = 5;
/// SLC function: End of Record.
pub const SLC_EOR: u8 = 6;
/// SLC function: Abort.
pub const SLC_ABORT: u8 = 7;
/// SLC function: End of File.
pub const SLC_EOF: u8 = 8;
/// SLC function: Suspend.
pub const SLC_SUSP: u8 = 9;
/// SLC function: Erase Character.
pub const SLC_EC: u8 = 10;
/// SLC function: Erase Line.
pub const SLC_EL: u8 = 11;
/// SLC function: Erase Word.
pub const SLC_EW: u8 = 12;
/// SLC function: Reprint Line.
pub const SLC_RP: u8 = 13;
/// SLC function: Literal Next.
pub const SLC_LNEXT: u8 = 14;
/// SLC function: Start Output.
pub const SLC_XON: u8 = 15;
/// SLC function: Stop Output.
pub const SLC_XOFF: u8 = 16;
/// SLC function: first extra forwarding character.
pub const SLC_FORW1: u8 = 17;
/// SLC function: second extra forwarding character.
pub const SLC_FORW2: u8 = 18;
/// SLC function: move the cursor one character left.
pub const SLC_MCL: u8 = 19;
/// SLC function: move the cursor one character right.
pub const SLC_MCR: u8 = 20;
/// SLC function: move the cursor one word left.
pub const SLC_MCWL: u8 = 21;
/// SLC function: move the cursor one word right.
pub const SLC_MCWR: u8 = 22;
/// SLC function: move the cursor to the beginning of the line.
pub const SLC_MCBOL: u8 = 23;
/// SLC function: move the cursor to the end of the line.
pub const SLC_MCEOL: u8 = 24;
/// SLC function: enter insert mode.
pub const SLC_INSRT: u8 = 25;
/// SLC function: enter overstrike mode.
pub const SLC_OVER: u8 = 26;
/// SLC function: erase one character to the right.
pub const SLC_ECR: u8 = 27;
/// SLC function: erase one word to the right.
pub const SLC_EWR: u8 = 28;
/// SLC function: erase to the beginning of the line.
pub const SLC_EBOL: u8 = 29;
/// SLC function: erase to the end of the line.
pub const SLC_EEOL: u8 = 30;
/// The highest SLC function RFC 1184 defines ([`SLC_EEOL`]).
pub const NSLC: u8 = 30;

/// SLC level: the function is not supported.
pub const SLC_NOSUPPORT: u8 = 0;
/// SLC level: supported, with a value that cannot be changed.
pub const SLC_CANTCHANGE: u8 = 1;
/// SLC level: supported, with the value in the triplet's third byte.
pub const SLC_VALUE: u8 = 2;
/// SLC level: use the system default of the receiving side.
pub const SLC_DEFAULT: u8 = 3;
/// The bits of the modifier byte that hold the level.
pub const SLC_LEVELBITS: u8 = 3;
/// SLC modifier flag: this triplet is a reply agreeing to a change (never answered).
pub const SLC_ACK: u8 = 0x80;
/// SLC modifier flag: flush input (send a Synch) with this function.
pub const SLC_FLUSHIN: u8 = 0x40;
/// SLC modifier flag: flush output with this function.
pub const SLC_FLUSHOUT: u8 = 0x20;

const SLC_NAMES: [&str; NSLC as usize] = [
    "SYNCH", "BRK", "IP", "AO", "AYT", "EOR", "ABORT", "EOF", "SUSP", "EC", "EL", "EW", "RP",
    "LNEXT", "XON", "XOFF", "FORW1", "FORW2", "MCL", "MCR", "MCWL", "MCWR", "MCBOL", "MCEOL",
    "INSRT", "OVER", "ECR", "EWR", "EBOL", "EEOL",
];

/// The RFC name of an SLC function without its `SLC_` prefix (`"IP"`), if it has one.
///
/// ```
/// use telnetlib::proto::linemode::{slc_name, SLC_EC};
/// assert_eq!(slc_name(SLC_EC), Some("EC"));
/// assert_eq!(slc_name(0), None);
/// ```
pub fn slc_name(function: u8) -> Option<&'static str> {
    SLC_NAMES
        .get(usize::from(function).checked_sub(1)?)
        .copied()
}

/// The Telnet command that stands for an SLC function "to be translated to its Telnet
/// equivalent" (RFC 1184 §2.4): what a client in TRAPSIG mode sends instead of the
/// character, and what a server acting on the character should do. `SLC_SYNCH` is
/// `IAC DM` (sent as TCP urgent data: the Synch). The other functions are processed
/// locally and have none.
///
/// ```
/// use telnetlib::proto::Command;
/// use telnetlib::proto::linemode::{command_for, SLC_EC, SLC_IP};
/// assert_eq!(command_for(SLC_IP), Some(Command::Ip));
/// assert_eq!(command_for(SLC_EC), None);
/// ```
pub fn command_for(function: u8) -> Option<Command> {
    Some(match function {
        SLC_SYNCH => Command::Dm,
        SLC_BRK => Command::Brk,
        SLC_IP => Command::Ip,
        SLC_AO => Command::Ao,
        SLC_AYT => Command::Ayt,
        SLC_EOR => Command::Eor,
        SLC_ABORT => Command::Abort,
        SLC_EOF => Command::Eof,
        SLC_SUSP => Command::Susp,
        _ => return None,
    })
}

/// A LINEMODE mode mask: [`EDIT`], [`TRAPSIG`], [`MODE_ACK`], [`SOFT_TAB`],
/// [`LIT_ECHO`], combined with `|`. `Display` prints the RFC names (`EDIT|TRAPSIG`).
///
/// ```
/// use telnetlib::proto::linemode::ModeMask;
/// let mode = ModeMask::EDIT | ModeMask::TRAPSIG;
/// assert_eq!(mode.bits(), 3);
/// assert_eq!(mode.with_ack().to_string(), "EDIT|TRAPSIG|MODE_ACK");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ModeMask(pub u8);

impl ModeMask {
    /// [`EDIT`]: local line editing.
    pub const EDIT: ModeMask = ModeMask(EDIT);
    /// [`TRAPSIG`]: local signal trapping.
    pub const TRAPSIG: ModeMask = ModeMask(TRAPSIG);
    /// [`MODE_ACK`]: an acknowledgement.
    pub const MODE_ACK: ModeMask = ModeMask(MODE_ACK);
    /// [`SOFT_TAB`]: tabs expanded by the client.
    pub const SOFT_TAB: ModeMask = ModeMask(SOFT_TAB);
    /// [`LIT_ECHO`]: literal echo of non-printable characters.
    pub const LIT_ECHO: ModeMask = ModeMask(LIT_ECHO);
    /// Every mode bit RFC 1184 defines except [`MODE_ACK`].
    pub const ALL: ModeMask = ModeMask(EDIT | TRAPSIG | SOFT_TAB | LIT_ECHO);

    /// The mask's byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every bit of `other` is set in `self`.
    pub const fn contains(self, other: ModeMask) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the [`MODE_ACK`] bit is set.
    pub const fn is_ack(self) -> bool {
        self.0 & MODE_ACK != 0
    }

    /// The mask with [`MODE_ACK`] set.
    pub const fn with_ack(self) -> ModeMask {
        ModeMask(self.0 | MODE_ACK)
    }

    /// The mask with [`MODE_ACK`] cleared.
    pub const fn without_ack(self) -> ModeMask {
        ModeMask(self.0 & !MODE_ACK)
    }
}

impl BitOr for ModeMask {
    type Output = ModeMask;

    fn bitor(self, other: ModeMask) -> ModeMask {
        ModeMask(self.0 | other.0)
    }
}

impl fmt::Display for ModeMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0");
        }
        let names = [
            (EDIT, "EDIT"),
            (TRAPSIG, "TRAPSIG"),
            (MODE_ACK, "MODE_ACK"),
            (SOFT_TAB, "SOFT_TAB"),
            (LIT_ECHO, "LIT_ECHO"),
        ];
        let mut separator = "";
        for (bit, name) in names {
            if self.0 & bit != 0 {
                write!(f, "{separator}{name}")?;
                separator = "|";
            }
        }
        let unknown = self.0 & !(ModeMask::ALL.0 | MODE_ACK);
        if unknown != 0 {
            write!(f, "{separator}{unknown:#04x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ModeMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModeMask({self})")
    }
}

/// The level of an SLC triplet, lowest first: a side may only disagree with a value by
/// answering with a lower level, which is why SLC negotiation always ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// [`SLC_NOSUPPORT`]: not supported; the other side should disable it.
    NoSupport,
    /// [`SLC_CANTCHANGE`]: supported, with a value that cannot be changed.
    CantChange,
    /// [`SLC_VALUE`]: supported, with this value.
    Value,
    /// [`SLC_DEFAULT`]: use the receiving side's system default.
    Default,
}

impl Level {
    /// The level in a modifier byte (its [`SLC_LEVELBITS`]).
    pub const fn from_modifier(modifier: u8) -> Level {
        match modifier & SLC_LEVELBITS {
            SLC_NOSUPPORT => Level::NoSupport,
            SLC_CANTCHANGE => Level::CantChange,
            SLC_VALUE => Level::Value,
            _ => Level::Default,
        }
    }

    /// The level's bits.
    pub const fn bits(self) -> u8 {
        match self {
            Level::NoSupport => SLC_NOSUPPORT,
            Level::CantChange => SLC_CANTCHANGE,
            Level::Value => SLC_VALUE,
            Level::Default => SLC_DEFAULT,
        }
    }

    /// Whether a triplet at this level carries a meaningful character (`CANTCHANGE`
    /// and `VALUE`); for the others the third byte "does not matter".
    pub const fn has_value(self) -> bool {
        matches!(self, Level::CantChange | Level::Value)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::NoSupport => "NOSUPPORT",
            Level::CantChange => "CANTCHANGE",
            Level::Value => "VALUE",
            Level::Default => "DEFAULT",
        })
    }
}

/// One SLC triplet: `<function> <modifier> <character>`. The modifier byte is split into
/// the level and the three flags; its other bits (0x04 to 0x10) have no meaning and are
/// dropped. `Display` prints it as RFC 1184's examples do: `IP VALUE|FLUSHIN|FLUSHOUT 3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlcTriplet {
    /// The function, `SLC_SYNCH` to `SLC_EEOL`, or 0 for the special requests.
    pub function: u8,
    /// The level.
    pub level: Level,
    /// [`SLC_ACK`]: a reply agreeing to a change.
    pub ack: bool,
    /// [`SLC_FLUSHIN`].
    pub flushin: bool,
    /// [`SLC_FLUSHOUT`].
    pub flushout: bool,
    /// The character.
    pub value: u8,
}

impl SlcTriplet {
    /// A triplet with no flags.
    pub const fn new(function: u8, level: Level, value: u8) -> SlcTriplet {
        SlcTriplet {
            function,
            level,
            ack: false,
            flushin: false,
            flushout: false,
            value,
        }
    }

    /// `function NOSUPPORT 0`.
    pub const fn nosupport(function: u8) -> SlcTriplet {
        SlcTriplet::new(function, Level::NoSupport, 0)
    }

    /// The same triplet with [`SLC_FLUSHIN`] and [`SLC_FLUSHOUT`] as given.
    pub const fn flushing(self, flushin: bool, flushout: bool) -> SlcTriplet {
        SlcTriplet {
            flushin,
            flushout,
            ..self
        }
    }

    /// The same triplet with [`SLC_ACK`] as given.
    pub const fn acked(self, ack: bool) -> SlcTriplet {
        SlcTriplet { ack, ..self }
    }

    /// The triplet of three wire bytes.
    pub const fn from_bytes([function, modifier, value]: [u8; 3]) -> SlcTriplet {
        SlcTriplet {
            function,
            level: Level::from_modifier(modifier),
            ack: modifier & SLC_ACK != 0,
            flushin: modifier & SLC_FLUSHIN != 0,
            flushout: modifier & SLC_FLUSHOUT != 0,
            value,
        }
    }

    /// The modifier byte: the level's bits and the flags.
    pub const fn modifier(self) -> u8 {
        let mut modifier = self.level.bits();
        if self.ack {
            modifier |= SLC_ACK;
        }
        if self.flushin {
            modifier |= SLC_FLUSHIN;
        }
        if self.flushout {
            modifier |= SLC_FLUSHOUT;
        }
        modifier
    }

    /// The three wire bytes (0xFF is doubled later, by the engine).
    pub const fn to_bytes(self) -> [u8; 3] {
        [self.function, self.modifier(), self.value]
    }

    /// The character that triggers the function, when it is in use: the level is
    /// `CANTCHANGE` or `VALUE` and the character is neither 0 nor 0xFF (the
    /// `_POSIX_VDISABLE` of Linux and of the BSDs, "no character").
    pub const fn active_value(&self) -> Option<u8> {
        if self.level.has_value() && self.value != 0 && self.value != 0xff {
            Some(self.value)
        } else {
            None
        }
    }

    /// Whether two triplets set their function the same way: same function and level,
    /// the same character where the level carries one, and the same flush flags unless
    /// the function is not supported (`NOSUPPORT x` means nothing more). `ack` is not
    /// compared. This is RFC 1184's "the same as the current settings".
    pub const fn same_setting(&self, other: &SlcTriplet) -> bool {
        let supported = !matches!(self.level, Level::NoSupport);
        self.function == other.function
            && self.level as u8 == other.level as u8
            && (!self.level.has_value() || self.value == other.value)
            && (!supported || (self.flushin == other.flushin && self.flushout == other.flushout))
    }
}

impl fmt::Display for SlcTriplet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match slc_name(self.function) {
            Some(name) => f.write_str(name)?,
            None => write!(f, "{}", self.function)?,
        }
        write!(f, " {}", self.level)?;
        for (set, name) in [
            (self.flushin, "FLUSHIN"),
            (self.flushout, "FLUSHOUT"),
            (self.ack, "ACK"),
        ] {
            if set {
                write!(f, "|{name}")?;
            }
        }
        write!(f, " {}", self.value)
    }
}

/// A forward mask: 256 bits, one per character, set for the characters on which the
/// client sends its buffered input at once. On the wire (RFC 1184 §2.3) the high bit of
/// the first octet is character 0 and trailing zero octets may be left out.
///
/// ```
/// use telnetlib::proto::linemode::ForwardMask;
/// let mask = ForwardMask::new().with(b'\r').with(3);
/// assert!(mask.contains(b'\r') && !mask.contains(b'\n'));
/// assert_eq!(mask.as_bytes(), [0x10, 0x04]);
/// assert_eq!(ForwardMask::from_bytes(&[0x10, 0x04]), Some(mask));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ForwardMask([u8; 32]);

impl ForwardMask {
    /// A mask with no character set.
    pub const fn new() -> ForwardMask {
        ForwardMask([0; 32])
    }

    /// The mask of wire octets, or `None` when there are more than 32.
    pub fn from_bytes(bytes: &[u8]) -> Option<ForwardMask> {
        let mut mask = [0; 32];
        mask.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(ForwardMask(mask))
    }

    /// The mask with `byte` set.
    pub const fn with(mut self, byte: u8) -> ForwardMask {
        self.0[(byte >> 3) as usize] |= 0x80 >> (byte & 7);
        self
    }

    /// Whether `byte` is set.
    pub const fn contains(&self, byte: u8) -> bool {
        self.0[(byte >> 3) as usize] & (0x80 >> (byte & 7)) != 0
    }

    /// Whether no character is set.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// The wire octets without the trailing zero ones.
    pub fn as_bytes(&self) -> &[u8] {
        let len = self
            .0
            .iter()
            .rposition(|&octet| octet != 0)
            .map_or(0, |at| at + 1);
        &self.0[..len]
    }
}

impl fmt::Debug for ForwardMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries((0..=255u8).filter(|&byte| self.contains(byte)))
            .finish()
    }
}

/// A LINEMODE subnegotiation payload, the bytes after `IAC SB LINEMODE`.
///
/// ```
/// use telnetlib::proto::Verb;
/// use telnetlib::proto::linemode::{ForwardMask, Level, Message, ModeMask, SlcTriplet};
///
/// assert_eq!(Message::parse(b"\x01\x03"), Some(Message::Mode(ModeMask(3))));
/// assert_eq!(
///     Message::parse(b"\xfd\x02\x00\x04"),
///     Some(Message::Forwardmask { verb: Verb::Do, mask: ForwardMask::new().with(b'\r') })
/// );
/// let slc = Message::Slc(vec![SlcTriplet::new(0, Level::Default, 0)]);
/// assert_eq!(slc.encode(), b"\x03\x00\x03\x00");
/// assert_eq!(Message::parse(b"\x03\x00\x03"), None); // not whole triplets
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// `MODE <mask>`.
    Mode(ModeMask),
    /// `<verb> FORWARDMASK [mask]`: the mask only follows `DO`; for the other verbs it
    /// is empty.
    Forwardmask {
        /// `DO`/`DONT` from the server, `WILL`/`WONT` in reply from the client.
        verb: Verb,
        /// The characters to forward on (`DO` only).
        mask: ForwardMask,
    },
    /// `SLC <triplet>…`.
    Slc(Vec<SlcTriplet>),
}

impl Message {
    /// The message in a payload, or `None` when it is malformed: empty, an unknown
    /// suboption, `MODE` without its mask, a verb not followed by `FORWARDMASK`, a mask
    /// longer than 32 octets, or an `SLC` list that is not whole triplets. Bytes after
    /// a `MODE`'s mask, or after `WILL`/`WONT`/`DONT FORWARDMASK`, are ignored.
    pub fn parse(payload: &[u8]) -> Option<Message> {
        let (&first, rest) = payload.split_first()?;
        match first {
            MODE => rest.first().map(|&mask| Message::Mode(ModeMask(mask))),
            SLC if rest.len() % 3 == 0 => Some(Message::Slc(
                rest.chunks_exact(3)
                    .map(|t| SlcTriplet::from_bytes([t[0], t[1], t[2]]))
                    .collect(),
            )),
            _ => {
                let verb = Verb::from_byte(first)?;
                let (&FORWARDMASK, octets) = rest.split_first()? else {
                    return None;
                };
                let mask = match verb {
                    Verb::Do => ForwardMask::from_bytes(octets)?,
                    _ => ForwardMask::new(),
                };
                Some(Message::Forwardmask { verb, mask })
            }
        }
    }

    /// The payload to send with
    /// [`Engine::send_subnegotiation`](super::Engine::send_subnegotiation).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Message::Mode(mask) => vec![MODE, mask.0],
            Message::Forwardmask { verb, mask } => {
                let mut out = vec![verb.byte(), FORWARDMASK];
                if *verb == Verb::Do {
                    out.extend_from_slice(mask.as_bytes());
                }
                out
            }
            Message::Slc(triplets) => {
                let mut out = Vec::with_capacity(1 + 3 * triplets.len());
                out.push(SLC);
                for triplet in triplets {
                    out.extend_from_slice(&triplet.to_bytes());
                }
                out
            }
        }
    }

    fn forwardmask(verb: Verb, mask: ForwardMask) -> Vec<u8> {
        Message::Forwardmask { verb, mask }.encode()
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Mode(mask) => write!(f, "MODE {mask}"),
            Message::Forwardmask { verb, mask } if *verb == Verb::Do => {
                write!(f, "DO FORWARDMASK {:02x?}", mask.as_bytes())
            }
            Message::Forwardmask { verb, .. } => write!(f, "{verb} FORWARDMASK"),
            Message::Slc(triplets) => {
                f.write_str("SLC")?;
                triplets.iter().try_for_each(|t| write!(f, " {t}"))
            }
        }
    }
}

/// The setting of every SLC function, `SLC_SYNCH` (1) to `SLC_EEOL` ([`NSLC`]).
/// Functions outside that range read as `NOSUPPORT` and cannot be set.
///
/// ```
/// use telnetlib::proto::linemode::{SlcTable, SLC_EC, SLC_IP};
/// let table = SlcTable::bsd();
/// assert_eq!(table.get(SLC_EC).value, 0x7f);
/// assert_eq!(table.function_for(0x03), Some(SLC_IP));
/// assert_eq!(table.function_for(b'a'), None);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SlcTable([SlcTriplet; NSLC as usize]);

impl SlcTable {
    /// Every function `NOSUPPORT`: RFC 1184's default ("Character values for SLC
    /// default to SLC_NOSUPPORT").
    pub fn unsupported() -> SlcTable {
        SlcTable(std::array::from_fn(|at| {
            SlcTriplet::nosupport(function_at(at))
        }))
    }

    /// Every function `DEFAULT 0`: no preference of our own, so any value the peer
    /// proposes is agreed to. The capabilities of a client that imports the server's
    /// characters.
    pub fn no_preference() -> SlcTable {
        SlcTable(std::array::from_fn(|at| {
            SlcTriplet::new(function_at(at), Level::Default, 0)
        }))
    }

    /// The BSD `telnetd` defaults, byte for byte the table telnetlib3 sends:
    /// IP ^C, AO ^O, AYT ^T, ABORT ^\, EOF ^D, SUSP ^Z, EC DEL, EL ^U, EW ^W, RP ^R,
    /// LNEXT ^V, XON ^Q, XOFF ^S (IP and ABORT flush input and output, AO output, SUSP
    /// input); SYNCH, BRK and EOR `DEFAULT 0` (no character of ours: the client may use
    /// its own); FORW1, FORW2 and the cursor functions `NOSUPPORT`.
    pub fn bsd() -> SlcTable {
        let mut table = SlcTable::unsupported();
        for function in [SLC_SYNCH, SLC_BRK, SLC_EOR] {
            table.set(SlcTriplet::new(function, Level::Default, 0));
        }
        let values = [
            (SLC_IP, 0x03, true, true),
            (SLC_AO, 0x0f, false, true),
            (SLC_AYT, 0x14, false, false),
            (SLC_ABORT, 0x1c, true, true),
            (SLC_EOF, 0x04, false, false),
            (SLC_SUSP, 0x1a, true, false),
            (SLC_EC, 0x7f, false, false),
            (SLC_EL, 0x15, false, false),
            (SLC_EW, 0x17, false, false),
            (SLC_RP, 0x12, false, false),
            (SLC_LNEXT, 0x16, false, false),
            (SLC_XON, 0x11, false, false),
            (SLC_XOFF, 0x13, false, false),
        ];
        for (function, value, flushin, flushout) in values {
            table.set(SlcTriplet::new(function, Level::Value, value).flushing(flushin, flushout));
        }
        table
    }

    /// The setting of `function` (`NOSUPPORT 0` outside 1..=[`NSLC`]), with `ack` clear.
    pub fn get(&self, function: u8) -> SlcTriplet {
        usize::from(function)
            .checked_sub(1)
            .and_then(|at| self.0.get(at))
            .copied()
            .unwrap_or(SlcTriplet::nosupport(function))
    }

    /// Sets the triplet's function to it (`ack` is cleared). Returns whether the
    /// setting changed ([`SlcTriplet::same_setting`]); a function outside
    /// 1..=[`NSLC`] is ignored and returns `false`.
    pub fn set(&mut self, triplet: SlcTriplet) -> bool {
        let Some(slot) = usize::from(triplet.function)
            .checked_sub(1)
            .and_then(|at| self.0.get_mut(at))
        else {
            return false;
        };
        let changed = !slot.same_setting(&triplet);
        *slot = triplet.acked(false);
        changed
    }

    /// Every function's setting, in function order.
    pub fn iter(&self) -> impl Iterator<Item = SlcTriplet> + '_ {
        self.0.iter().copied()
    }

    /// The function `byte` triggers, if any: the lowest function whose
    /// [`active_value`](SlcTriplet::active_value) is `byte`. A server in character mode
    /// uses it (with [`command_for`]) to act on IP, EOF, SUSP, … typed as plain
    /// characters.
    pub fn function_for(&self, byte: u8) -> Option<u8> {
        self.iter()
            .find(|triplet| triplet.active_value() == Some(byte))
            .map(|triplet| triplet.function)
    }

    /// The forward mask a server asks for with this table: CR, LF and the characters of
    /// the functions the client must not hold back in a buffer (SYNCH, BRK, IP, AO, AYT,
    /// EOR, ABORT, EOF, SUSP, FORW1 and FORW2) where they are in use.
    pub fn forwardmask(&self) -> ForwardMask {
        let signals = (SLC_SYNCH..=SLC_SUSP).chain([SLC_FORW1, SLC_FORW2]);
        signals
            .filter_map(|function| self.get(function).active_value())
            .fold(
                ForwardMask::new().with(b'\r').with(b'\n'),
                ForwardMask::with,
            )
    }
}

/// The function stored at index `at` of a table.
fn function_at(at: usize) -> u8 {
    u8::try_from(at + 1).unwrap_or(0)
}

impl Default for SlcTable {
    /// [`SlcTable::unsupported`].
    fn default() -> SlcTable {
        SlcTable::unsupported()
    }
}

impl fmt::Debug for SlcTable {
    /// The functions that are not `NOSUPPORT`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .filter(|t| t.level != Level::NoSupport)
                    .map(|t| t.to_string()),
            )
            .finish()
    }
}

/// What the peer changed, as reported in an [`Outcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// The mode in effect is now this (without [`MODE_ACK`]).
    Mode(ModeMask),
    /// This function's setting changed to this (`ack` clear).
    Slc(SlcTriplet),
    /// The forward mask in use: on a client the one it accepted (`None` after
    /// `DONT FORWARDMASK`); on a server the one the client agreed to use (`None` after
    /// `WONT FORWARDMASK`).
    Forwardmask(Option<ForwardMask>),
}

/// The result of a call on [`Linemode`]: payloads to send, and what the peer changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// LINEMODE payloads to send in this order, each with
    /// `engine.send_subnegotiation(Opt::LINEMODE, &payload)`.
    pub send: Vec<Vec<u8>>,
    /// What the peer's message changed, in order. Always empty for calls that are our
    /// own requests (`start`, `set_mode`, …): the caller knows what it asked for.
    pub changes: Vec<Change>,
}

impl Outcome {
    /// Whether there is nothing to send and nothing changed.
    pub fn is_empty(&self) -> bool {
        self.send.is_empty() && self.changes.is_empty()
    }

    /// Appends each payload to `engine`'s output as `IAC SB LINEMODE … IAC SE`.
    pub fn send_to(&self, engine: &mut Engine) {
        for payload in &self.send {
            engine.send_subnegotiation(Opt::LINEMODE, payload);
        }
    }

    fn with_message(message: &Message) -> Outcome {
        Outcome {
            send: vec![message.encode()],
            changes: Vec::new(),
        }
    }
}

/// How many of its `DO`/`DONT FORWARDMASK` a server remembers while it waits for their
/// answers; a client answers each at once, so more means it does not answer at all.
const MAX_UNANSWERED: usize = 16;

/// The LINEMODE state of one side of a connection, and its answers to the peer.
///
/// The server is the side that sent `DO LINEMODE`, the client the one that sent
/// `WILL LINEMODE`. The rules, from RFC 1184:
///
/// - **MODE.** The server proposes, the client confirms. A client adopts a `MODE m`
///   (keeping the bits it supports, and always EDIT and TRAPSIG as given) and answers
///   `MODE m|MODE_ACK` only when `m` differs from its current mode. A server accepts a
///   client's request the same way, and switches to the mode of an acknowledgement that
///   differs from its own. A `MODE` with `MODE_ACK` set is never answered.
/// - **FORWARDMASK.** Only the server sends `DO`/`DONT`; the client answers every `DO`
///   with `WILL` (or `WONT` if told not to use masks) and every `DONT` with `WONT`, so
///   the server pairs each answer with its request, even when they cross.
/// - **SLC**, per triplet: a setting equal to the current one is ignored; a triplet with
///   `ACK` is never answered (a client adopts it and a server ignores it, so both
///   settle on the client's value when they change a character at once); otherwise the
///   receiver agrees (switches and echoes the triplet with `ACK`) or disagrees by
///   answering what it has at a *lower* level, so every exchange ends. `DEFAULT` asks the
///   receiver for its own default. `0 DEFAULT 0` from the client makes the server reset
///   its table and send it; `0 VALUE 0` makes it send its current table.
///
/// A side agrees by its *defaults* table, the characters it can do: a `VALUE` there can
/// be changed to anything, a `CANTCHANGE` only kept, a `NOSUPPORT` not supported, and
/// `DEFAULT` (no preference) accepts whatever the peer proposes.
#[derive(Debug, Clone)]
pub struct Linemode {
    server: bool,
    /// Server: the mode `start` proposes.
    proposed_mode: ModeMask,
    /// Client: the mode bits it can do besides EDIT and TRAPSIG.
    supported_modes: ModeMask,
    mode: ModeMask,
    /// The characters this side can do and its system defaults.
    defaults: SlcTable,
    /// Client: export `defaults` on start instead of importing the server's.
    export: bool,
    slc: SlcTable,
    /// Server: send `DO FORWARDMASK` on start; client: accept `DO FORWARDMASK`.
    use_forwardmask: bool,
    /// Server: the mask of our last `DO FORWARDMASK`, until `DONT` or its refusal.
    requested_mask: Option<ForwardMask>,
    /// Server: our `DO FORWARDMASK` (`Some`) and `DONT` (`None`) not answered yet, in
    /// order; at most [`MAX_UNANSWERED`] (a peer that never answers costs no memory).
    unanswered: VecDeque<Option<ForwardMask>>,
    /// Server: `requested_mask` follows the SLC table (it was not set by hand).
    mask_follows_table: bool,
    /// The mask in use (client: accepted; server: accepted by the client).
    forwardmask: Option<ForwardMask>,
}

impl Linemode {
    /// A server that proposes `EDIT|TRAPSIG`, offers the BSD table ([`SlcTable::bsd`])
    /// and asks for a forward mask built from it ([`SlcTable::forwardmask`]).
    ///
    /// `EDIT|TRAPSIG` is RFC 1184's first state, "local line editing and local signal
    /// trapping": the point of LINEMODE, a line per packet with the user's own editing
    /// keys. telnetlib3 proposes `LIT_ECHO` (0x10) alone, which leaves both editing and
    /// signals to the server (character mode, as if LINEMODE were off); its
    /// `LinemodeServer` proposes `EDIT`. Use [`with_mode`](Linemode::with_mode) for
    /// either.
    pub fn server() -> Linemode {
        Linemode {
            server: true,
            proposed_mode: ModeMask::EDIT | ModeMask::TRAPSIG,
            supported_modes: ModeMask::ALL,
            mode: ModeMask(0),
            defaults: SlcTable::bsd(),
            export: false,
            slc: SlcTable::bsd(),
            use_forwardmask: true,
            requested_mask: None,
            unanswered: VecDeque::new(),
            mask_follows_table: true,
            forwardmask: None,
        }
    }

    /// A client that supports every mode bit, accepts forward masks and imports the
    /// server's characters on start (`SLC 0 DEFAULT 0`, as telnetlib3's client does).
    /// [`with_slc`](Linemode::with_slc) makes it export a table instead.
    pub fn client() -> Linemode {
        Linemode {
            server: false,
            defaults: SlcTable::no_preference(),
            slc: SlcTable::unsupported(),
            ..Linemode::server()
        }
    }

    /// Server: the mode [`start`](Linemode::start) proposes ([`MODE_ACK`] is dropped).
    pub fn with_mode(mut self, mode: ModeMask) -> Linemode {
        self.proposed_mode = mode.without_ack();
        self
    }

    /// Client: the mode bits it can do. EDIT and TRAPSIG are always accepted as the
    /// server sets them (RFC 1184 §2.2: the client "MUST agree" with them); other bits
    /// outside `modes` are cleared in its acknowledgement, which the server then adopts.
    pub fn with_supported_modes(mut self, modes: ModeMask) -> Linemode {
        self.supported_modes = modes.without_ack();
        self
    }

    /// The characters this side can do and its defaults. A server sends this table on
    /// start and after `0 DEFAULT 0`; a client exports it on start (instead of
    /// importing), and agrees or disagrees with the server by it.
    pub fn with_slc(mut self, table: SlcTable) -> Linemode {
        self.defaults = table.clone();
        self.slc = table;
        self.export = true;
        self
    }

    /// Server: whether [`start`](Linemode::start) asks for a forward mask (default
    /// yes). Client: whether it accepts one (default yes; otherwise it answers
    /// `WONT FORWARDMASK`).
    pub fn with_forwardmask(mut self, enabled: bool) -> Linemode {
        self.use_forwardmask = enabled;
        self
    }

    /// Whether this is the server side.
    pub fn is_server(&self) -> bool {
        self.server
    }

    /// The current mode (without [`MODE_ACK`]). 0 until the server's first `MODE`.
    pub fn mode(&self) -> ModeMask {
        self.mode
    }

    /// The current special characters.
    pub fn slc(&self) -> &SlcTable {
        &self.slc
    }

    /// The forward mask in use, if any (see [`Change::Forwardmask`]).
    pub fn forwardmask(&self) -> Option<&ForwardMask> {
        self.forwardmask.as_ref()
    }

    /// Whether a client must send its buffered input when `byte` is typed, besides the
    /// line terminators and signals it forwards anyway (RFC 1184 §5.6): `byte` is in
    /// the forward mask in use, or is the SLC_FORW1 or SLC_FORW2 character.
    pub fn forwards(&self, byte: u8) -> bool {
        self.forwardmask.is_some_and(|mask| mask.contains(byte))
            || [SLC_FORW1, SLC_FORW2]
                .into_iter()
                .any(|function| self.slc.get(function).active_value() == Some(byte))
    }

    /// Back to the state before [`start`](Linemode::start), for when the option is
    /// disabled: mode 0, no forward mask, and the table of defaults (a client that
    /// imports: every function `NOSUPPORT`).
    pub fn reset(&mut self) {
        self.mode = ModeMask(0);
        self.slc = if self.server || self.export {
            self.defaults.clone()
        } else {
            SlcTable::unsupported()
        };
        self.requested_mask = None;
        self.unanswered.clear();
        self.mask_follows_table = true;
        self.forwardmask = None;
    }

    /// What to send once LINEMODE is enabled (after a [`reset`](Linemode::reset)).
    ///
    /// - Server: `MODE` with the configured mode, its SLC table (the functions its
    ///   defaults support) and, unless disabled, `DO FORWARDMASK` with the table's mask.
    /// - Client: `SLC 0 DEFAULT 0` to import the server's characters, or with
    ///   [`with_slc`](Linemode::with_slc) its own table
    ///   ([`export_slc`](Linemode::export_slc)).
    pub fn start(&mut self) -> Outcome {
        self.reset();
        if !self.server {
            return if self.export {
                self.export_slc()
            } else {
                self.import_slc()
            };
        }
        self.mode = self.proposed_mode;
        let mut outcome = Outcome::with_message(&Message::Mode(self.mode));
        outcome
            .send
            .push(Message::Slc(self.table_with(&[])).encode());
        if self.use_forwardmask {
            let mask = self.slc.forwardmask();
            outcome.send.push(self.send_forwardmask(Some(mask)));
        }
        outcome
    }

    /// Processes one LINEMODE payload from the peer. `None` when it is malformed (see
    /// [`Message::parse`]); then nothing changed.
    pub fn receive(&mut self, payload: &[u8]) -> Option<Outcome> {
        let message = Message::parse(payload);
        match &message {
            Some(message) => log::debug!("recv LINEMODE {message}"),
            None => log::debug!("recv LINEMODE: malformed payload {payload:02x?}"),
        }
        Some(self.handle(message?))
    }

    /// Processes one message from the peer.
    pub fn handle(&mut self, message: Message) -> Outcome {
        let mut outcome = Outcome::default();
        match message {
            Message::Mode(mode) => self.receive_mode(mode, &mut outcome),
            Message::Forwardmask { verb, mask } => {
                self.receive_forwardmask(verb, mask, &mut outcome);
            }
            Message::Slc(triplets) => self.receive_slc(&triplets, &mut outcome),
        }
        outcome
    }

    /// Asks for (server) or requests (client, RFC 1184 §5.1) the mode `mode`, and takes
    /// it as the current one. Nothing is sent when it is the current mode already.
    pub fn set_mode(&mut self, mode: ModeMask) -> Outcome {
        let mode = mode.without_ack();
        if mode == self.mode {
            return Outcome::default();
        }
        self.mode = mode;
        Outcome::with_message(&Message::Mode(mode))
    }

    /// Changes one special character (the triplet's `ack` is ignored), and proposes it
    /// to the peer, as in RFC 1184's example "The user changes his erase character to
    /// ^H". Nothing is sent when it is the current setting, or the function is outside
    /// 1..=[`NSLC`]. A server whose forward mask follows its table asks for the new
    /// mask too.
    pub fn set_slc(&mut self, triplet: SlcTriplet) -> Outcome {
        if !self.slc.set(triplet) {
            return Outcome::default();
        }
        let mut outcome = Outcome::with_message(&Message::Slc(vec![triplet.acked(false)]));
        self.follow_table(&mut outcome);
        outcome
    }

    /// Client: asks for the server's defaults (`SLC 0 DEFAULT 0`). The table is
    /// unchanged until they arrive, so the ones equal to it need no answer (as in
    /// RFC 1184's example). Nothing on a server.
    pub fn import_slc(&mut self) -> Outcome {
        if self.server {
            return Outcome::default();
        }
        Outcome::with_message(&Message::Slc(vec![SlcTriplet::new(0, Level::Default, 0)]))
    }

    /// Client: asks for the server's current characters (`SLC 0 VALUE 0`). Nothing on
    /// a server.
    pub fn request_slc(&mut self) -> Outcome {
        if self.server {
            return Outcome::default();
        }
        Outcome::with_message(&Message::Slc(vec![SlcTriplet::new(0, Level::Value, 0)]))
    }

    /// Client: goes back to its own characters (the [`with_slc`](Linemode::with_slc)
    /// table) and sends them, "export" in RFC 1184's words. As BSD's client does, the
    /// functions that table does not support are left out (the server's table, sent on
    /// start, already had them answered), unless this reset changed them. Nothing on a
    /// server.
    pub fn export_slc(&mut self) -> Outcome {
        if self.server {
            return Outcome::default();
        }
        // Our own request: what it changes is not reported.
        let reset = self.reset_to_defaults(&mut Vec::new());
        Outcome::with_message(&Message::Slc(self.table_with(&reset)))
    }

    /// Server: asks the client to forward on `mask` (`DO FORWARDMASK`), which from now
    /// on no longer follows the SLC table. Nothing on a client.
    pub fn request_forwardmask(&mut self, mask: ForwardMask) -> Outcome {
        if !self.server {
            return Outcome::default();
        }
        self.mask_follows_table = false;
        Outcome {
            send: vec![self.send_forwardmask(Some(mask))],
            changes: Vec::new(),
        }
    }

    /// Server: asks the client to stop using a forward mask (`DONT FORWARDMASK`).
    /// Nothing when none was asked for, or on a client.
    pub fn stop_forwardmask(&mut self) -> Outcome {
        if !self.server || self.requested_mask.is_none() {
            return Outcome::default();
        }
        Outcome {
            send: vec![self.send_forwardmask(None)],
            changes: Vec::new(),
        }
    }

    /// Server: the payload of `DO FORWARDMASK mask` or `DONT FORWARDMASK`, recorded as
    /// awaiting its answer.
    fn send_forwardmask(&mut self, mask: Option<ForwardMask>) -> Vec<u8> {
        self.requested_mask = mask;
        if self.unanswered.len() == MAX_UNANSWERED {
            self.unanswered.pop_front();
        }
        self.unanswered.push_back(mask);
        match mask {
            Some(mask) => Message::forwardmask(Verb::Do, mask),
            None => Message::forwardmask(Verb::Dont, ForwardMask::new()),
        }
    }

    /// The triplets of a whole table: the functions this side's defaults support (as
    /// BSD `telnetd` and `telnet` do) and the `extra` ones, at their current setting.
    fn table_with(&self, extra: &[u8]) -> Vec<SlcTriplet> {
        self.slc
            .iter()
            .filter(|t| self.supports(t.function) || extra.contains(&t.function))
            .collect()
    }

    fn receive_mode(&mut self, mode: ModeMask, outcome: &mut Outcome) {
        let ack = mode.is_ack();
        let mode = mode.without_ack();
        if mode == self.mode || (ack && !self.server) {
            // The mode in use, or (client) an acknowledgement that differs: ignored.
            return;
        }
        let adopted = if self.server {
            mode
        } else {
            ModeMask(mode.0 & (self.supported_modes.0 | EDIT | TRAPSIG))
        };
        if adopted != self.mode {
            self.mode = adopted;
            outcome.changes.push(Change::Mode(adopted));
        }
        if !ack {
            outcome
                .send
                .push(Message::Mode(adopted.with_ack()).encode());
        }
    }

    fn receive_forwardmask(&mut self, verb: Verb, mask: ForwardMask, outcome: &mut Outcome) {
        let (now, reply) = match (self.server, verb) {
            // Only a server may send DO/DONT, only a client WILL/WONT (RFC 1184 §5.7).
            (true, Verb::Do | Verb::Dont) | (false, Verb::Will | Verb::Wont) => return,
            // The answer to our oldest unanswered request: WILL takes up the mask of a
            // DO; WONT refuses a DO or confirms a DONT. Answers to nothing are ignored.
            (true, Verb::Will) => match self.unanswered.pop_front() {
                Some(Some(requested)) => (Some(requested), None),
                _ => return,
            },
            (true, Verb::Wont) => {
                if self.unanswered.pop_front().is_none() {
                    return;
                }
                if self.unanswered.is_empty() {
                    // Refused, and nothing newer asked: no more requests.
                    self.requested_mask = None;
                }
                (None, None)
            }
            (false, Verb::Do) if self.use_forwardmask => (Some(mask), Some(Verb::Will)),
            (false, Verb::Do | Verb::Dont) => (None, Some(Verb::Wont)),
        };
        if let Some(verb) = reply {
            outcome
                .send
                .push(Message::forwardmask(verb, ForwardMask::new()));
        }
        if now != self.forwardmask {
            self.forwardmask = now;
            outcome.changes.push(Change::Forwardmask(now));
        }
    }

    fn receive_slc(&mut self, triplets: &[SlcTriplet], outcome: &mut Outcome) {
        let mut replies = Vec::new();
        // The functions to send besides the supported ones, when 0 DEFAULT 0 or
        // 0 VALUE 0 asked for the table: it goes once, after the other replies, as it
        // stands then, however many requests the message holds (the answer stays
        // within a table's size of the question).
        let mut table: Option<Vec<u8>> = None;
        for &triplet in triplets {
            if triplet.function != 0 {
                self.receive_triplet(triplet, &mut replies, &mut outcome.changes);
                continue;
            }
            // Only a client sends them, only a server answers, and an ACK never.
            if !self.server || triplet.ack {
                continue;
            }
            let reset = match triplet.level {
                Level::Default => self.reset_to_defaults(&mut outcome.changes),
                Level::Value => Vec::new(),
                Level::CantChange | Level::NoSupport => continue,
            };
            table.get_or_insert_with(Vec::new).extend(reset);
        }
        if let Some(reset) = table {
            replies.extend(self.table_with(&reset));
        }
        if !replies.is_empty() {
            outcome.send.push(Message::Slc(replies).encode());
        }
        self.follow_table(outcome);
    }

    /// Server: after its table changed, asks for the forward mask that goes with it,
    /// unless the mask was set by hand or is not wanted.
    fn follow_table(&mut self, outcome: &mut Outcome) {
        if let (true, true, Some(requested)) =
            (self.server, self.mask_follows_table, self.requested_mask)
        {
            let mask = self.slc.forwardmask();
            if mask != requested {
                outcome.send.push(self.send_forwardmask(Some(mask)));
            }
        }
    }

    /// Takes the defaults as the current table; returns the functions outside them
    /// that this changed (set by hand), which the whole table must include too, or the
    /// peer would keep the setting we just dropped.
    fn reset_to_defaults(&mut self, changes: &mut Vec<Change>) -> Vec<u8> {
        let mut reset = Vec::new();
        for default in self.defaults.clone().iter() {
            if self.switch(default, changes) && !self.supports(default.function) {
                reset.push(default.function);
            }
        }
        reset
    }

    /// Whether this side's defaults support `function` (it is in the tables it sends).
    fn supports(&self, function: u8) -> bool {
        self.defaults.get(function).level != Level::NoSupport
    }

    /// RFC 1184 §5.5 and the table of §5.9, for one function.
    fn receive_triplet(
        &mut self,
        triplet: SlcTriplet,
        replies: &mut Vec<SlcTriplet>,
        changes: &mut Vec<Change>,
    ) {
        let current = self.slc.get(triplet.function);
        if triplet.same_setting(&current) {
            return; // 1) the same as the current setting
        }
        if triplet.ack {
            // 2) A reply is never answered. The server has switched to what it
            // acknowledges, so a client takes it and a server ignores it: both settle on
            // the client's value when they change the same character at once. RFC 1184
            // says so for the same level; at another level (BSD ignores those) taking
            // it too is what keeps crossing requests from leaving the sides apart.
            if !self.server {
                self.switch(triplet, changes);
            }
            return;
        }
        // 3) agree: switch and echo it with ACK; 4) disagree: switch to, and send, what
        // we have at a lower level, without ACK.
        let function = triplet.function;
        let mine = self.defaults.get(function);
        let answer = match triplet.level {
            Level::NoSupport => triplet.acked(true),
            Level::CantChange
                if mine.level >= Level::Value
                    || (mine.level == Level::CantChange && mine.value == triplet.value) =>
            {
                triplet.acked(true)
            }
            Level::CantChange => SlcTriplet::nosupport(function),
            Level::Value if mine.level >= Level::Value => triplet.acked(true),
            Level::Value => match mine.level {
                Level::CantChange => mine,
                _ => SlcTriplet::nosupport(function),
            },
            // "Use your default": ours, or NOSUPPORT when we have none either.
            Level::Default if mine.level == Level::Default => SlcTriplet::nosupport(function),
            Level::Default => mine,
        };
        self.switch(answer, changes);
        replies.push(answer);
    }

    /// Takes `triplet` as the current setting of its function; returns (and reports)
    /// whether that changed it.
    fn switch(&mut self, triplet: SlcTriplet, changes: &mut Vec<Change>) -> bool {
        let changed = self.slc.set(triplet);
        if changed {
            changes.push(Change::Slc(triplet.acked(false)));
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slc(triplets: &[(u8, u8, u8)]) -> Vec<u8> {
        let mut out = vec![SLC];
        for &(function, modifier, value) in triplets {
            out.extend_from_slice(&[function, modifier, value]);
        }
        out
    }

    fn sends(outcome: &Outcome) -> Vec<Vec<u8>> {
        outcome.send.clone()
    }

    #[test]
    fn messages_round_trip() {
        let messages = [
            Message::Mode(ModeMask(0x13)),
            Message::Forwardmask {
                verb: Verb::Do,
                mask: ForwardMask::new().with(0).with(255),
            },
            Message::Forwardmask {
                verb: Verb::Wont,
                mask: ForwardMask::new(),
            },
            Message::Slc(vec![
                SlcTriplet::new(SLC_IP, Level::Value, 3)
                    .flushing(true, true)
                    .acked(true),
                SlcTriplet::nosupport(200),
            ]),
            Message::Slc(Vec::new()),
        ];
        for message in messages {
            assert_eq!(Message::parse(&message.encode()), Some(message));
        }
    }

    #[test]
    fn malformed_payloads_are_none() {
        for payload in [
            &b""[..],
            b"\x01",
            b"\x04\x00",
            b"\x03\x01\x02",
            b"\xfd",
            b"\xfd\x01",
            b"\xf0\x02",
        ] {
            assert_eq!(Message::parse(payload), None, "{payload:02x?}");
        }
        let mut long = vec![Verb::Do.byte(), FORWARDMASK];
        long.extend_from_slice(&[1; 33]);
        assert_eq!(Message::parse(&long), None);
        long.pop();
        assert!(Message::parse(&long).is_some());
        let mut linemode = Linemode::client();
        assert_eq!(linemode.receive(b"\x03\x01"), None);
    }

    #[test]
    fn every_short_payload_parses_or_is_refused_without_panic() {
        let bytes = [0u8, 1, 2, 3, 4, 0x80, 0xfb, 0xfc, 0xfd, 0xfe, 0xff];
        for a in bytes {
            for b in bytes {
                for c in bytes {
                    for payload in [&[a][..], &[a, b], &[a, b, c], &[a, b, c, a]] {
                        if let Some(message) = Message::parse(payload) {
                            let _ = message.to_string();
                        }
                        let _ = Linemode::server().receive(payload);
                        let _ = Linemode::client().receive(payload);
                    }
                }
            }
        }
    }

    #[test]
    fn the_modifier_byte_splits_into_level_and_flags() {
        let triplet = SlcTriplet::from_bytes([SLC_IP, 0xe2, 3]);
        assert_eq!(triplet.level, Level::Value);
        assert!(triplet.ack && triplet.flushin && triplet.flushout);
        assert_eq!(triplet.to_bytes(), [SLC_IP, 0xe2, 3]);
        assert_eq!(triplet.to_string(), "IP VALUE|FLUSHIN|FLUSHOUT|ACK 3");
        // The unassigned bits 0x04..0x10 are dropped.
        assert_eq!(SlcTriplet::from_bytes([1, 0x1f, 0]).modifier(), 0x03);
    }

    #[test]
    fn the_bsd_forwardmask_marks_cr_lf_and_the_signals() {
        let mask = SlcTable::bsd().forwardmask();
        // ^C ^D | LF CR ^O | ^T | ^Z ^\ (IP EOF, AO, AYT, SUSP ABORT)
        assert_eq!(mask.as_bytes(), [0x18, 0x25, 0x08, 0x28]);
        assert_eq!(
            SlcTable::unsupported().forwardmask().as_bytes(),
            [0x00, 0x24]
        );
        assert_eq!(SlcTable::bsd().function_for(0x7f), Some(SLC_EC));
        assert_eq!(SlcTable::bsd().function_for(0), None);
        let signal = SlcTable::bsd().function_for(0x1a).and_then(command_for);
        assert_eq!(signal, Some(Command::Susp));
    }

    #[test]
    fn display_uses_the_rfc_names() {
        assert_eq!(ModeMask(0).to_string(), "0");
        assert_eq!(ModeMask(0x45).to_string(), "EDIT|MODE_ACK|0x40");
        let message = Message::parse(&slc(&[(SLC_EC, 0x82, 8), (99, 0, 0)])).unwrap();
        assert_eq!(message.to_string(), "SLC EC VALUE|ACK 8 99 NOSUPPORT 0");
        assert_eq!(
            Message::parse(b"\xfd\x02\x00\x04").unwrap().to_string(),
            "DO FORWARDMASK [00, 04]"
        );
        assert_eq!(
            format!("{:?}", ForwardMask::new().with(13)),
            "{13}".to_owned()
        );
    }

    #[test]
    fn the_client_acks_a_new_mode_once() {
        let mut client = Linemode::client();
        let outcome = client.receive(b"\x01\x03").unwrap();
        assert_eq!(sends(&outcome), [b"\x01\x07"]);
        assert_eq!(outcome.changes, [Change::Mode(ModeMask(3))]);
        // The same mode again, or any acknowledgement: no answer.
        assert!(client.receive(b"\x01\x03").unwrap().is_empty());
        assert!(client.receive(b"\x01\x07").unwrap().is_empty());
        assert!(client.receive(b"\x01\x04").unwrap().is_empty());
        assert_eq!(client.mode(), ModeMask(3));
    }

    #[test]
    fn a_client_keeps_edit_and_trapsig_but_drops_unsupported_bits() {
        let mut client = Linemode::client().with_supported_modes(ModeMask(0));
        let outcome = client
            .receive(&[MODE, EDIT | TRAPSIG | SOFT_TAB | 0x40])
            .unwrap();
        assert_eq!(sends(&outcome), [vec![MODE, EDIT | TRAPSIG | MODE_ACK]]);
        // Told SOFT_TAB alone: it stays at 0 but must say so.
        let outcome = client.receive(&[MODE, SOFT_TAB]).unwrap();
        assert_eq!(sends(&outcome), [vec![MODE, MODE_ACK]]);
        assert_eq!(outcome.changes, [Change::Mode(ModeMask(0))]);
    }

    #[test]
    fn the_server_follows_a_differing_ack_and_accepts_requests() {
        let mut server = Linemode::server();
        server.start();
        let outcome = server.receive(&[MODE, EDIT | MODE_ACK]).unwrap();
        assert!(outcome.send.is_empty());
        assert_eq!(outcome.changes, [Change::Mode(ModeMask::EDIT)]);
        let outcome = server.receive(&[MODE, TRAPSIG]).unwrap();
        assert_eq!(sends(&outcome), [vec![MODE, TRAPSIG | MODE_ACK]]);
        assert!(server.receive(&[MODE, TRAPSIG]).unwrap().is_empty());
        assert_eq!(server.set_mode(ModeMask::TRAPSIG), Outcome::default());
        assert_eq!(sends(&server.set_mode(ModeMask(0))), [vec![MODE, 0]]);
    }

    #[test]
    fn slc_levels_agree_and_disagree_downwards() {
        let mut defaults = SlcTable::unsupported();
        defaults.set(SlcTriplet::new(SLC_EC, Level::Value, 0x7f));
        defaults.set(SlcTriplet::new(SLC_EL, Level::CantChange, 0x15));
        defaults.set(SlcTriplet::new(SLC_EW, Level::Default, 0));
        let mut client = Linemode::client().with_slc(defaults);
        let outcome = client
            .receive(&slc(&[
                (SLC_EC, SLC_VALUE, 8),       // agree
                (SLC_EL, SLC_VALUE, 8),       // can't change: our value
                (SLC_IP, SLC_VALUE, 3),       // not supported
                (SLC_EW, SLC_CANTCHANGE, 23), // no preference: agree
                (SLC_AO, SLC_NOSUPPORT, 0),   // already NOSUPPORT: ignored
                (SLC_RP, SLC_DEFAULT, 0),     // our default: NOSUPPORT
            ]))
            .unwrap();
        assert_eq!(
            sends(&outcome),
            [slc(&[
                (SLC_EC, SLC_VALUE | SLC_ACK, 8),
                (SLC_EL, SLC_CANTCHANGE, 0x15),
                (SLC_IP, SLC_NOSUPPORT, 0),
                (SLC_EW, SLC_CANTCHANGE | SLC_ACK, 23),
                (SLC_RP, SLC_NOSUPPORT, 0),
            ])]
        );
        assert_eq!(
            outcome.changes,
            [
                Change::Slc(SlcTriplet::new(SLC_EC, Level::Value, 8)),
                Change::Slc(SlcTriplet::new(SLC_EW, Level::CantChange, 23)),
            ]
        );
        // The default of EC is its own value, at VALUE.
        let outcome = client.receive(&slc(&[(SLC_EC, SLC_DEFAULT, 0)])).unwrap();
        assert_eq!(sends(&outcome), [slc(&[(SLC_EC, SLC_VALUE, 0x7f)])]);
    }

    #[test]
    fn an_ack_is_never_answered_and_the_client_takes_its_value() {
        let mut client = Linemode::client().with_slc(SlcTable::bsd());
        let outcome = client
            .receive(&slc(&[(SLC_EC, SLC_VALUE | SLC_ACK, 8)]))
            .unwrap();
        assert!(outcome.send.is_empty());
        assert_eq!(client.slc().get(SLC_EC).value, 8);
        // At another level too (the server has switched to it), still unanswered.
        let outcome = client
            .receive(&slc(&[(SLC_EL, SLC_CANTCHANGE | SLC_ACK, 1)]))
            .unwrap();
        assert!(outcome.send.is_empty());
        assert_eq!(
            outcome.changes,
            [Change::Slc(SlcTriplet::new(SLC_EL, Level::CantChange, 1))]
        );

        let mut server = Linemode::server();
        let outcome = server
            .receive(&slc(&[(SLC_EC, SLC_VALUE | SLC_ACK, 8)]))
            .unwrap();
        assert!(outcome.is_empty());
        assert_eq!(server.slc().get(SLC_EC).value, 0x7f);
    }

    #[test]
    fn the_special_triplets_are_for_the_server_only() {
        let mut server = Linemode::server();
        server.set_slc(SlcTriplet::new(SLC_EC, Level::Value, 8));
        // 0 VALUE 0: the current table, EC ^H included.
        let outcome = server.receive(&slc(&[(0, SLC_VALUE, 0)])).unwrap();
        let Some(Message::Slc(table)) = Message::parse(&outcome.send[0]) else {
            panic!("not an SLC table: {outcome:?}");
        };
        assert_eq!(table.len(), 16);
        assert!(table.contains(&SlcTriplet::new(SLC_EC, Level::Value, 8)));
        // 0 DEFAULT 0: back to DEL, reported as a change.
        let outcome = server.receive(&slc(&[(0, SLC_DEFAULT, 0)])).unwrap();
        assert_eq!(
            outcome.changes,
            [Change::Slc(SlcTriplet::new(SLC_EC, Level::Value, 0x7f))]
        );
        assert_eq!(server.slc(), &SlcTable::bsd());
        // However many requests a message holds, one table answers them.
        let requests: Vec<(u8, u8, u8)> = (0..1000)
            .map(|n| (0, [SLC_DEFAULT, SLC_VALUE][n % 2], 0))
            .collect();
        let one = server.receive(&slc(&[(0, SLC_VALUE, 0)])).unwrap().send;
        assert_eq!(server.receive(&slc(&requests)).unwrap().send, one);
        // With ACK, or sent to a client: ignored.
        assert!(
            server
                .receive(&slc(&[(0, SLC_DEFAULT | SLC_ACK, 0)]))
                .unwrap()
                .is_empty()
        );
        assert!(
            Linemode::client()
                .receive(&slc(&[(0, SLC_DEFAULT, 0)]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn unknown_functions_are_not_supported() {
        let mut server = Linemode::server();
        let outcome = server
            .receive(&slc(&[(99, SLC_VALUE, 1), (98, SLC_NOSUPPORT, 0)]))
            .unwrap();
        assert_eq!(sends(&outcome), [slc(&[(99, SLC_NOSUPPORT, 0)])]);
        assert!(outcome.changes.is_empty());
    }

    #[test]
    fn forwardmask_both_ways() {
        let mask = SlcTable::bsd().forwardmask();
        assert_eq!(mask.as_bytes(), [0x18, 0x25, 0x08, 0x28]);
        let mut client = Linemode::client();
        let mut payload = vec![Verb::Do.byte(), FORWARDMASK];
        payload.extend_from_slice(mask.as_bytes());
        let outcome = client.receive(&payload).unwrap();
        assert_eq!(sends(&outcome), [vec![Verb::Will.byte(), FORWARDMASK]]);
        assert_eq!(outcome.changes, [Change::Forwardmask(Some(mask))]);
        assert!(client.forwards(3) && client.forwards(b'\n') && !client.forwards(b'a'));
        let outcome = client.receive(&[Verb::Dont.byte(), FORWARDMASK]).unwrap();
        assert_eq!(sends(&outcome), [vec![Verb::Wont.byte(), FORWARDMASK]]);
        assert!(!client.forwards(3));
        // DONT again: answered all the same (the server pairs answers with requests),
        // but nothing changes.
        let outcome = client.receive(&[Verb::Dont.byte(), FORWARDMASK]).unwrap();
        assert_eq!(sends(&outcome), [vec![Verb::Wont.byte(), FORWARDMASK]]);
        assert!(outcome.changes.is_empty());
        // A client told not to use masks refuses.
        let mut refusing = Linemode::client().with_forwardmask(false);
        let outcome = refusing.receive(&payload).unwrap();
        assert_eq!(sends(&outcome), [vec![Verb::Wont.byte(), FORWARDMASK]]);
        assert!(outcome.changes.is_empty());
    }

    #[test]
    fn the_server_records_what_the_client_said_of_its_mask() {
        let mut server = Linemode::server();
        // WILL before any DO: ignored.
        assert!(
            server
                .receive(&[Verb::Will.byte(), FORWARDMASK])
                .unwrap()
                .is_empty()
        );
        server.start();
        let mask = SlcTable::bsd().forwardmask();
        let outcome = server.receive(&[Verb::Will.byte(), FORWARDMASK]).unwrap();
        assert_eq!(outcome.changes, [Change::Forwardmask(Some(mask))]);
        // An answer to no request: ignored.
        assert!(
            server
                .receive(&[Verb::Wont.byte(), FORWARDMASK])
                .unwrap()
                .is_empty()
        );
        assert_eq!(server.forwardmask(), Some(&mask));
        server.stop_forwardmask();
        let outcome = server.receive(&[Verb::Wont.byte(), FORWARDMASK]).unwrap();
        assert_eq!(outcome.changes, [Change::Forwardmask(None)]);

        // Refused: a changed table does not ask again.
        let mut server = Linemode::server();
        server.start();
        let outcome = server.receive(&[Verb::Wont.byte(), FORWARDMASK]).unwrap();
        assert!(outcome.is_empty());
        let outcome = server.receive(&slc(&[(SLC_IP, SLC_VALUE, 5)])).unwrap();
        assert_eq!(outcome.send.len(), 1);
        assert_eq!(server.stop_forwardmask(), Outcome::default());
    }

    #[test]
    fn crossing_forwardmask_requests_pair_with_their_answers() {
        let mut server = Linemode::server();
        let mut client = Linemode::client();
        let mut requests = server.start().send.split_off(2); // DO FORWARDMASK
        requests.extend(server.stop_forwardmask().send);
        let custom = ForwardMask::new().with(b'x');
        requests.extend(server.request_forwardmask(custom).send);
        // The client answers WILL, WONT, WILL; the server sees each in turn.
        let answers: Vec<Vec<u8>> = requests
            .iter()
            .flat_map(|p| client.receive(p).unwrap().send)
            .collect();
        assert_eq!(answers.len(), 3);
        for answer in &answers {
            server.receive(answer).unwrap();
        }
        assert_eq!(server.forwardmask(), Some(&custom));
        assert_eq!(client.forwardmask(), Some(&custom));
        // A peer that never answers costs a bounded memory.
        for _ in 0..100 {
            server.request_forwardmask(custom);
        }
        assert_eq!(server.unanswered.len(), MAX_UNANSWERED);
    }

    #[test]
    fn the_server_asks_for_a_new_mask_when_its_table_changes() {
        let mut server = Linemode::server();
        server.start();
        let outcome = server.receive(&slc(&[(SLC_IP, SLC_VALUE, 5)])).unwrap();
        let mask = server.slc().forwardmask();
        assert!(mask.contains(5) && !mask.contains(3));
        let mut request = vec![Verb::Do.byte(), FORWARDMASK];
        request.extend_from_slice(mask.as_bytes());
        assert_eq!(
            sends(&outcome),
            [slc(&[(SLC_IP, SLC_VALUE | SLC_ACK, 5)]), request]
        );
        // A mask set by hand stays.
        let custom = ForwardMask::new().with(b'x');
        server.request_forwardmask(custom);
        let outcome = server.receive(&slc(&[(SLC_IP, SLC_VALUE, 6)])).unwrap();
        assert_eq!(outcome.send.len(), 1);
        assert_eq!(
            sends(&server.stop_forwardmask()),
            [vec![Verb::Dont.byte(), FORWARDMASK]]
        );
    }

    #[test]
    fn reset_forgets_the_session() {
        let mut client = Linemode::client();
        client.receive(b"\x01\x03");
        client.receive(&slc(&[(SLC_IP, SLC_VALUE, 3)]));
        client.receive(b"\xfd\x02\x10");
        client.reset();
        assert_eq!(client.mode(), ModeMask(0));
        assert_eq!(client.slc(), &SlcTable::unsupported());
        assert_eq!(client.forwardmask(), None);
    }

    #[test]
    fn role_specific_requests_do_nothing_on_the_other_side() {
        let mut server = Linemode::server();
        assert!(server.import_slc().is_empty());
        assert!(server.request_slc().is_empty());
        assert!(server.export_slc().is_empty());
        let mut client = Linemode::client();
        assert!(client.request_forwardmask(ForwardMask::new()).is_empty());
        assert!(client.stop_forwardmask().is_empty());
        assert!(
            client
                .set_slc(SlcTriplet::new(0, Level::Value, 1))
                .is_empty()
        );
    }
}
