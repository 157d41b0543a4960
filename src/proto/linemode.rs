//! LINEMODE (RFC 1184): the `MODE`, `FORWARDMASK` and `SLC` messages ([`Message`]) and
//! the table of special characters ([`SlcTable`]).
//!
//! Like the rest of [`proto`](super), nothing here does IO: payloads are the bytes after
//! `IAC SB LINEMODE`, as [`Event::Subnegotiation`](super::Event::Subnegotiation)
//! delivers them (`IAC IAC` already undoubled), and are sent with
//! [`Engine::send_subnegotiation`](super::Engine::send_subnegotiation), which doubles
//! IAC.

use std::fmt;
use std::ops::BitOr;

use super::command::Verb;

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
    /// uses it to act on IP, EOF, SUSP, … typed as plain characters.
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
}
