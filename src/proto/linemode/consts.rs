//! LINEMODE's numbers (RFC 1184): the message types, the mode bits, the SLC functions
//! and their levels and flags, with the names and Telnet commands of the functions.

use super::*;

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
