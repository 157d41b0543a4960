//! Telnet option codes: the [`Opt`] type, its named constants and its text form.

use std::fmt;
use std::str::FromStr;

/// A Telnet option code, the byte that follows `WILL`, `WONT`, `DO`, `DONT` and `SB`.
///
/// Every byte value is a valid `Opt`; the named constants cover the options of the RFCs
/// and of the MUD protocols. `Display` prints the name (`NAWS`) or, for a code without
/// one, the decimal number (`99`); `FromStr` accepts either, case-insensitively.
///
/// ```
/// use telnetlib::proto::Opt;
///
/// assert_eq!(Opt::NAWS.code(), 31);
/// assert_eq!(Opt::NAWS.to_string(), "NAWS");
/// assert_eq!(Opt::from(99).to_string(), "99");
/// assert_eq!("new_environ".parse::<Opt>().unwrap(), Opt::NEW_ENVIRON);
/// assert_eq!("201".parse::<Opt>().unwrap(), Opt::GMCP);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Opt(pub u8);

macro_rules! options {
    ($($(#[$doc:meta])* $name:ident = $code:expr, $text:expr;)*) => {
        impl Opt {
            $($(#[$doc])* pub const $name: Opt = Opt($code);)*

            /// The option's conventional name, if it has one.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some($text),)*
                    _ => None,
                }
            }

            /// Every named option, in code order.
            pub const ALL_NAMED: &'static [Opt] = &[$(Opt($code),)*];
        }
    };
}

options! {
    /// RFC 856 Binary Transmission.
    BINARY = 0, "BINARY";
    /// RFC 857 Echo.
    ECHO = 1, "ECHO";
    /// Reconnection (NIC 15391).
    RCP = 2, "RCP";
    /// RFC 858 Suppress Go Ahead.
    SGA = 3, "SGA";
    /// Approximate message size negotiation.
    NAMS = 4, "NAMS";
    /// RFC 859 Status.
    STATUS = 5, "STATUS";
    /// RFC 860 Timing Mark.
    TM = 6, "TM";
    /// RFC 726 Remote Controlled Transmission and Echoing.
    RCTE = 7, "RCTE";
    /// RFC 1043 Output line width.
    NAOL = 8, "NAOL";
    /// Output page size.
    NAOP = 9, "NAOP";
    /// RFC 652 Output carriage-return disposition.
    NAOCRD = 10, "NAOCRD";
    /// RFC 653 Output horizontal tab stops.
    NAOHTS = 11, "NAOHTS";
    /// RFC 654 Output horizontal tab disposition.
    NAOHTD = 12, "NAOHTD";
    /// RFC 655 Output formfeed disposition.
    NAOFFD = 13, "NAOFFD";
    /// RFC 656 Output vertical tab stops.
    NAOVTS = 14, "NAOVTS";
    /// RFC 657 Output vertical tab disposition.
    NAOVTD = 15, "NAOVTD";
    /// RFC 658 Output linefeed disposition.
    NAOLFD = 16, "NAOLFD";
    /// RFC 698 Extended ASCII.
    XASCII = 17, "XASCII";
    /// RFC 727 Logout.
    LOGOUT = 18, "LOGOUT";
    /// RFC 735 Byte Macro.
    BM = 19, "BM";
    /// RFC 1043 Data Entry Terminal.
    DET = 20, "DET";
    /// RFC 736 SUPDUP.
    SUPDUP = 21, "SUPDUP";
    /// RFC 749 SUPDUP output.
    SUPDUP_OUTPUT = 22, "SUPDUP_OUTPUT";
    /// RFC 779 Send Location.
    SNDLOC = 23, "SNDLOC";
    /// RFC 1091 Terminal Type.
    TTYPE = 24, "TTYPE";
    /// RFC 885 End of Record.
    EOR = 25, "EOR";
    /// RFC 927 TACACS user identification.
    TUID = 26, "TUID";
    /// RFC 933 Output marking.
    OUTMRK = 27, "OUTMRK";
    /// RFC 946 Terminal location number.
    TTYLOC = 28, "TTYLOC";
    /// RFC 1041 3270 regime.
    VT3270REGIME = 29, "VT3270REGIME";
    /// RFC 1053 X.3 PAD.
    X3PAD = 30, "X3PAD";
    /// RFC 1073 Negotiate About Window Size.
    NAWS = 31, "NAWS";
    /// RFC 1079 Terminal Speed.
    TSPEED = 32, "TSPEED";
    /// RFC 1372 Remote Flow Control.
    LFLOW = 33, "LFLOW";
    /// RFC 1184 Linemode.
    LINEMODE = 34, "LINEMODE";
    /// RFC 1096 X Display Location.
    XDISPLOC = 35, "XDISPLOC";
    /// RFC 1408 Environment (the old one; see RFC 1571 for its quirks).
    OLD_ENVIRON = 36, "OLD_ENVIRON";
    /// RFC 2941 Authentication.
    AUTHENTICATION = 37, "AUTHENTICATION";
    /// RFC 2946 Data Encryption.
    ENCRYPT = 38, "ENCRYPT";
    /// RFC 1572 New Environment.
    NEW_ENVIRON = 39, "NEW_ENVIRON";
    /// RFC 2355 TN3270 Enhancements.
    TN3270E = 40, "TN3270E";
    /// X authentication.
    XAUTH = 41, "XAUTH";
    /// RFC 2066 Charset.
    CHARSET = 42, "CHARSET";
    /// Remote serial port.
    RSP = 43, "RSP";
    /// RFC 2217 Com Port Control.
    COM_PORT = 44, "COM_PORT";
    /// Suppress local echo.
    SUPPRESS_LOCAL_ECHO = 45, "SUPPRESS_LOCAL_ECHO";
    /// Start TLS.
    START_TLS = 46, "START_TLS";
    /// RFC 2840 Kermit.
    KERMIT = 47, "KERMIT";
    /// Send URL.
    SEND_URL = 48, "SEND_URL";
    /// Forward X.
    FORWARD_X = 49, "FORWARD_X";
    /// MUD Server Data Protocol.
    MSDP = 69, "MSDP";
    /// MUD Server Status Protocol.
    MSSP = 70, "MSSP";
    /// MUD Client Compression Protocol, version 1 (obsolete).
    MCCP1 = 85, "MCCP1";
    /// MUD Client Compression Protocol, version 2 (server to client).
    MCCP2 = 86, "MCCP2";
    /// MUD Client Compression Protocol, version 3 (client to server).
    MCCP3 = 87, "MCCP3";
    /// MUD Sound Protocol.
    MSP = 90, "MSP";
    /// MUD eXtension Protocol.
    MXP = 91, "MXP";
    /// Zenith MUD Protocol.
    ZMP = 93, "ZMP";
    /// Aardwolf's 102 channel.
    AARDWOLF = 102, "AARDWOLF";
    /// Pragma logon.
    PRAGMA_LOGON = 138, "PRAGMA_LOGON";
    /// SSPI logon.
    SSPI_LOGON = 139, "SSPI_LOGON";
    /// Pragma heartbeat.
    PRAGMA_HEARTBEAT = 140, "PRAGMA_HEARTBEAT";
    /// Achaea Telnet Client Protocol.
    ATCP = 200, "ATCP";
    /// Generic MUD Communication Protocol.
    GMCP = 201, "GMCP";
    /// RFC 861 Extended Options List.
    EXOPL = 255, "EXOPL";
}

impl Opt {
    /// The option's byte on the wire.
    pub const fn code(self) -> u8 {
        self.0
    }
}

impl From<u8> for Opt {
    fn from(code: u8) -> Self {
        Opt(code)
    }
}

impl From<Opt> for u8 {
    fn from(opt: Opt) -> Self {
        opt.0
    }
}

impl fmt::Display for Opt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so that width and alignment flags work: `{opt:<9}`.
        match self.name() {
            Some(name) => f.pad(name),
            None => f.pad(&self.0.to_string()),
        }
    }
}

impl fmt::Debug for Opt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "Opt::{name}"),
            None => write!(f, "Opt({})", self.0),
        }
    }
}

/// The error from parsing an [`Opt`]: the text is neither a known option name nor a
/// number from 0 to 255.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptError {
    text: String,
}

impl fmt::Display for ParseOptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown telnet option {:?}: give a name such as NAWS or a number from 0 to 255",
            self.text
        )
    }
}

impl std::error::Error for ParseOptError {}

impl FromStr for Opt {
    type Err = ParseOptError;

    /// Parses a name (`"NAWS"`, `"naws"`, `"new-environ"`) or a decimal code (`"31"`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if let Ok(code) = trimmed.parse::<u8>() {
            return Ok(Opt(code));
        }
        let wanted = trimmed.replace('-', "_");
        Opt::ALL_NAMED
            .iter()
            .copied()
            .find(|opt| {
                opt.name()
                    .is_some_and(|name| name.eq_ignore_ascii_case(&wanted))
            })
            .ok_or_else(|| ParseOptError {
                text: text.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_option_round_trips_through_its_name() {
        for &opt in Opt::ALL_NAMED {
            let text = opt.to_string();
            assert_eq!(text.parse::<Opt>(), Ok(opt), "{text}");
        }
    }

    #[test]
    fn codes_without_a_name_print_and_parse_as_numbers() {
        assert_eq!(Opt(99).to_string(), "99");
        assert_eq!(format!("{:?}", Opt(99)), "Opt(99)");
        assert_eq!("99".parse::<Opt>(), Ok(Opt(99)));
    }

    #[test]
    fn mud_options_have_their_registered_codes() {
        let expected = [
            (Opt::MSDP, 69),
            (Opt::MSSP, 70),
            (Opt::MCCP2, 86),
            (Opt::MCCP3, 87),
            (Opt::MSP, 90),
            (Opt::MXP, 91),
            (Opt::ZMP, 93),
            (Opt::ATCP, 200),
            (Opt::GMCP, 201),
        ];
        for (opt, code) in expected {
            assert_eq!(opt.code(), code, "{opt}");
        }
    }

    #[test]
    fn garbage_is_rejected_with_the_text_in_the_message() {
        let err = "NOPE".parse::<Opt>().unwrap_err();
        assert!(err.to_string().contains("\"NOPE\""));
        assert!("256".parse::<Opt>().is_err());
    }
}
