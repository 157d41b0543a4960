//! What the Enter key (and the end of a piped line) sends.

use telnetlib::proto::Opt;
use telnetlib::{Encoding, TelnetConnection};

/// The bytes of a line end in this session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enter {
    /// The encoding's own end of line: ATASCII's 0x9B, PETSCII's RETURN.
    native: Option<u8>,
}

impl Enter {
    /// The encoding's own end of line for ATASCII and PETSCII unless `ascii_eol`
    /// (telnetlib3's `--ascii-eol`); Telnet's otherwise.
    pub fn new(encoding: Encoding, ascii_eol: bool) -> Enter {
        let retro = [Encoding::ATASCII, Encoding::PETSCII].contains(&encoding);
        let native = match (retro, ascii_eol, encoding.encode("\r").as_slice()) {
            (true, false, &[byte]) => Some(byte),
            _ => None,
        };
        Enter { native }
    }

    /// CR LF in NVT; a bare CR once we send BINARY, where servers such as inetutils
    /// telnetd pass CR and LF to their pty as two line ends (BSD telnet does the
    /// same); or the encoding's own.
    pub fn bytes(&self, conn: &TelnetConnection) -> &[u8] {
        match &self.native {
            Some(byte) => std::slice::from_ref(byte),
            None if conn.local_option(Opt::BINARY) => b"\r",
            None => b"\r\n",
        }
    }
}
