//! The constants CPython's `telnetlib` module exports, as `u8` (Python's are one-byte
//! `bytes`): `telnetlib.IAC` is [`IAC`], `IAC + WONT + opt` is `[IAC, WONT, opt]`.

#![allow(missing_docs)] // Each constant is named after its RFC term; Python has no docs for them either.

pub use crate::proto::command::{
    AO, AYT, BRK, DM, DO, DONT, EC, EL, GA, IAC, IP, NOP, SB, SE, WILL, WONT,
};

/// The NUL byte (Python's `theNULL`).
#[allow(non_upper_case_globals)]
pub const theNULL: u8 = 0;
/// The option byte Python passes to the callback for two-byte commands.
pub const NOOPT: u8 = 0;
/// The default debug level of new [`Telnet`](super::Telnet) objects.
pub const DEBUGLEVEL: u32 = 0;
/// The port `open` uses when given port 0.
pub const TELNET_PORT: u16 = 23;

pub const BINARY: u8 = 0;
pub const ECHO: u8 = 1;
pub const RCP: u8 = 2;
pub const SGA: u8 = 3;
pub const NAMS: u8 = 4;
pub const STATUS: u8 = 5;
pub const TM: u8 = 6;
pub const RCTE: u8 = 7;
pub const NAOL: u8 = 8;
pub const NAOP: u8 = 9;
pub const NAOCRD: u8 = 10;
pub const NAOHTS: u8 = 11;
pub const NAOHTD: u8 = 12;
pub const NAOFFD: u8 = 13;
pub const NAOVTS: u8 = 14;
pub const NAOVTD: u8 = 15;
pub const NAOLFD: u8 = 16;
pub const XASCII: u8 = 17;
pub const LOGOUT: u8 = 18;
pub const BM: u8 = 19;
pub const DET: u8 = 20;
pub const SUPDUP: u8 = 21;
pub const SUPDUPOUTPUT: u8 = 22;
pub const SNDLOC: u8 = 23;
pub const TTYPE: u8 = 24;
pub const EOR: u8 = 25;
pub const TUID: u8 = 26;
pub const OUTMRK: u8 = 27;
pub const TTYLOC: u8 = 28;
pub const VT3270REGIME: u8 = 29;
pub const X3PAD: u8 = 30;
pub const NAWS: u8 = 31;
pub const TSPEED: u8 = 32;
pub const LFLOW: u8 = 33;
pub const LINEMODE: u8 = 34;
pub const XDISPLOC: u8 = 35;
pub const OLD_ENVIRON: u8 = 36;
pub const AUTHENTICATION: u8 = 37;
pub const ENCRYPT: u8 = 38;
pub const NEW_ENVIRON: u8 = 39;
pub const TN3270E: u8 = 40;
pub const XAUTH: u8 = 41;
pub const CHARSET: u8 = 42;
pub const RSP: u8 = 43;
pub const COM_PORT_OPTION: u8 = 44;
pub const SUPPRESS_LOCAL_ECHO: u8 = 45;
pub const TLS: u8 = 46;
pub const KERMIT: u8 = 47;
pub const SEND_URL: u8 = 48;
pub const FORWARD_X: u8 = 49;
pub const PRAGMA_LOGON: u8 = 138;
pub const SSPI_LOGON: u8 = 139;
pub const PRAGMA_HEARTBEAT: u8 = 140;
pub const EXOPL: u8 = 255;
