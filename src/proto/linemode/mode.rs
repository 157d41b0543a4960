//! The mode bits of `MODE` ([`ModeMask`]).

use std::fmt;
use std::ops::BitOr;

use super::*;

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
