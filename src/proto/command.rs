//! Telnet command bytes (RFC 854 and the extensions that add commands), the two-byte
//! [`Command`]s an application sees, and the negotiation [`Verb`]s.

use std::fmt;

/// End of record (RFC 885).
pub const EOR: u8 = 239;
/// End of file (RFC 1184).
pub const EOF: u8 = 236;
/// Suspend process (RFC 1184).
pub const SUSP: u8 = 237;
/// Abort process (RFC 1184).
pub const ABORT: u8 = 238;
/// End of subnegotiation parameters.
pub const SE: u8 = 240;
/// No operation.
pub const NOP: u8 = 241;
/// Data mark: the data-stream part of a Synch.
pub const DM: u8 = 242;
/// Break.
pub const BRK: u8 = 243;
/// Interrupt process.
pub const IP: u8 = 244;
/// Abort output.
pub const AO: u8 = 245;
/// Are you there.
pub const AYT: u8 = 246;
/// Erase character.
pub const EC: u8 = 247;
/// Erase line.
pub const EL: u8 = 248;
/// Go ahead.
pub const GA: u8 = 249;
/// Start of subnegotiation.
pub const SB: u8 = 250;
/// "I will use (or am using) the option."
pub const WILL: u8 = 251;
/// "I won't use (or will stop using) the option."
pub const WONT: u8 = 252;
/// "Please use the option."
pub const DO: u8 = 253;
/// "Please don't use (or stop using) the option."
pub const DONT: u8 = 254;
/// Interpret as command: the escape byte that starts every command.
pub const IAC: u8 = 255;

/// A two-byte command `IAC <byte>` received from the peer, other than the negotiation
/// verbs, `SB` and the data byte `IAC IAC`.
///
/// `Unknown` carries a byte below 236 that no RFC defines; the engine reports it
/// instead of dropping it, so the application decides (telnetlib3 delivers it as data,
/// CPython's telnetlib hands it to the option callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `IAC EOF` (236).
    Eof,
    /// `IAC SUSP` (237).
    Susp,
    /// `IAC ABORT` (238).
    Abort,
    /// `IAC EOR` (239): the end of a record, typically a prompt.
    Eor,
    /// `IAC SE` (240) outside a subnegotiation.
    Se,
    /// `IAC NOP` (241).
    Nop,
    /// `IAC DM` (242).
    Dm,
    /// `IAC BRK` (243).
    Brk,
    /// `IAC IP` (244).
    Ip,
    /// `IAC AO` (245).
    Ao,
    /// `IAC AYT` (246).
    Ayt,
    /// `IAC EC` (247).
    Ec,
    /// `IAC EL` (248).
    El,
    /// `IAC GA` (249): go ahead, typically after a prompt.
    Ga,
    /// `IAC <byte>` for a byte no RFC defines as a command (0 to 235).
    Unknown(u8),
}

impl Command {
    /// The command for the byte that follows `IAC`, or `None` for the bytes that are not
    /// two-byte commands (`SB`, `WILL`, `WONT`, `DO`, `DONT`, `IAC`).
    pub const fn from_byte(byte: u8) -> Option<Command> {
        Some(match byte {
            EOF => Command::Eof,
            SUSP => Command::Susp,
            ABORT => Command::Abort,
            EOR => Command::Eor,
            SE => Command::Se,
            NOP => Command::Nop,
            DM => Command::Dm,
            BRK => Command::Brk,
            IP => Command::Ip,
            AO => Command::Ao,
            AYT => Command::Ayt,
            EC => Command::Ec,
            EL => Command::El,
            GA => Command::Ga,
            SB..=IAC => return None,
            other => Command::Unknown(other),
        })
    }

    /// The byte that follows `IAC` on the wire.
    pub const fn byte(self) -> u8 {
        match self {
            Command::Eof => EOF,
            Command::Susp => SUSP,
            Command::Abort => ABORT,
            Command::Eor => EOR,
            Command::Se => SE,
            Command::Nop => NOP,
            Command::Dm => DM,
            Command::Brk => BRK,
            Command::Ip => IP,
            Command::Ao => AO,
            Command::Ayt => AYT,
            Command::Ec => EC,
            Command::El => EL,
            Command::Ga => GA,
            Command::Unknown(byte) => byte,
        }
    }

    /// The two bytes `IAC <command>` as sent on the wire.
    pub const fn to_bytes(self) -> [u8; 2] {
        [IAC, self.byte()]
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Command::Eof => "EOF",
            Command::Susp => "SUSP",
            Command::Abort => "ABORT",
            Command::Eor => "EOR",
            Command::Se => "SE",
            Command::Nop => "NOP",
            Command::Dm => "DM",
            Command::Brk => "BRK",
            Command::Ip => "IP",
            Command::Ao => "AO",
            Command::Ayt => "AYT",
            Command::Ec => "EC",
            Command::El => "EL",
            Command::Ga => "GA",
            Command::Unknown(byte) => return write!(f, "UNKNOWN({byte})"),
        };
        f.write_str(name)
    }
}

/// One of the four option negotiation verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `WILL`: the sender offers to enable (or confirms) the option on its side.
    Will,
    /// `WONT`: the sender refuses, or disables, the option on its side.
    Wont,
    /// `DO`: the sender asks the receiver to enable the option (or confirms it).
    Do,
    /// `DONT`: the sender asks the receiver to disable the option (or refuses it).
    Dont,
}

impl Verb {
    /// The verb for a byte, if it is one of `WILL`, `WONT`, `DO`, `DONT`.
    pub const fn from_byte(byte: u8) -> Option<Verb> {
        match byte {
            WILL => Some(Verb::Will),
            WONT => Some(Verb::Wont),
            DO => Some(Verb::Do),
            DONT => Some(Verb::Dont),
            _ => None,
        }
    }

    /// The verb's byte on the wire.
    pub const fn byte(self) -> u8 {
        match self {
            Verb::Will => WILL,
            Verb::Wont => WONT,
            Verb::Do => DO,
            Verb::Dont => DONT,
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verb::Will => "WILL",
            Verb::Wont => "WONT",
            Verb::Do => "DO",
            Verb::Dont => "DONT",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_byte_round_trips() {
        for byte in 0..=255u8 {
            match Command::from_byte(byte) {
                Some(cmd) => assert_eq!(cmd.byte(), byte),
                None => assert!(byte >= SB, "{byte} should be a command"),
            }
        }
    }

    #[test]
    fn bytes_below_the_command_range_are_unknown_commands() {
        assert_eq!(Command::from_byte(0x41), Some(Command::Unknown(0x41)));
        assert_eq!(Command::from_byte(GA), Some(Command::Ga));
        assert_eq!(Command::Ga.to_bytes(), [0xff, 0xf9]);
    }

    #[test]
    fn verbs_round_trip() {
        for verb in [Verb::Will, Verb::Wont, Verb::Do, Verb::Dont] {
            assert_eq!(Verb::from_byte(verb.byte()), Some(verb));
        }
        assert_eq!(Verb::from_byte(SB), None);
    }
}
