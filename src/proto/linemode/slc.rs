//! Special characters: one function's setting ([`SlcTriplet`], its [`Level`]) and the
//! table of all of them ([`SlcTable`]).

use std::fmt;

use super::*;

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
