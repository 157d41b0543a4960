//! Reading: bytes and text, lines, patterns, prompts, everything until the end.

use regex::bytes::Regex;

use super::{Connection, Kind};
use crate::io::ExpectMatch;
use crate::timeout::Timeout;

impl<K: Kind> Connection<K> {
    /// Up to `n` bytes, returning as soon as any data is buffered (not "until EOF",
    /// unlike telnetlib3's `read()`). For a buffer of your own, use `std::io::Read`.
    pub fn read_up_to(&self, n: usize, timeout: impl Into<Timeout>) -> crate::Result<Vec<u8>> {
        self.core().read(n, timeout.into())
    }

    /// Everything buffered, as soon as anything is.
    pub fn read_some(&self, timeout: impl Into<Timeout>) -> crate::Result<Vec<u8>> {
        self.core().read(usize::MAX, timeout.into())
    }

    /// One line including its terminator: LF, CR LF, CR NUL (returned as CR) or a bare
    /// CR. A CR LF split across packets is one terminator (the line then ends in CR and
    /// the LF is skipped). At end of stream an unterminated rest is returned as the last
    /// line. A line longer than `max_line` fails with [`Error::LineTooLong`](crate::Error::LineTooLong) and stays
    /// buffered.
    pub fn readline(&self, timeout: impl Into<Timeout>) -> crate::Result<Vec<u8>> {
        self.core().readline(timeout.into())
    }

    /// Everything up to and including `pattern`. If the peer closes first, `Eof`, and
    /// the data stays buffered.
    pub fn read_until(
        &self,
        pattern: &[u8],
        timeout: impl Into<Timeout>,
    ) -> crate::Result<Vec<u8>> {
        self.core().read_until(pattern, timeout.into())
    }

    /// Everything until the peer closes, bounded by the input buffer
    /// ([`Error::BufferFull`](crate::Error::BufferFull) beyond it).
    pub fn read_all(&self, timeout: impl Into<Timeout>) -> crate::Result<Vec<u8>> {
        self.core().read_all(timeout.into())
    }

    /// Waits for the first of `patterns` (list order wins, as in telnetlib) to match
    /// the buffered data, and consumes through the match.
    ///
    /// ```no_run
    /// # let conn = telnetlib::TelnetConnection::connect("127.0.0.1:23")?;
    /// use regex::bytes::Regex;
    /// let prompts = [Regex::new(r"[Pp]assword: ?$").unwrap(), Regex::new(r"\$ $").unwrap()];
    /// let found = conn.expect(&prompts, None)?;
    /// println!("pattern {} after {:?}", found.index, found.before());
    /// # Ok::<(), telnetlib::Error>(())
    /// ```
    pub fn expect(
        &self,
        patterns: &[Regex],
        timeout: impl Into<Timeout>,
    ) -> crate::Result<ExpectMatch> {
        self.core().expect(patterns, timeout.into())
    }

    /// The data up to the peer's next `IAC GA` or `IAC EOR`: a MUD or BBS
    /// prompt, whatever its text. GA/EOR marks are kept in order (up to 4,096);
    /// data consumed by other reads is skipped. `Err(Eof)` at the end of the
    /// stream (what is buffered stays readable with `read_some`). A server
    /// that suppresses go-ahead (SGA) and does not perform EOR marks no prompts
    /// at all: then this times out (our server marks them with EOR once built
    /// with `offer_eor(true)`).
    pub fn read_prompt(&self, timeout: impl Into<Timeout>) -> crate::Result<Vec<u8>> {
        self.core().read_prompt(timeout.into())
    }

    /// [`read_prompt`](Self::read_prompt), decoded.
    pub fn read_prompt_str(&self, timeout: impl Into<Timeout>) -> crate::Result<String> {
        self.core().read_prompt_str(timeout.into())
    }

    /// [`read_up_to`](Self::read_up_to), decoded with the connection's encoding (a multi-byte
    /// character split across reads is decoded when complete).
    pub fn read_str(&self, n: usize, timeout: impl Into<Timeout>) -> crate::Result<String> {
        self.core().read_str(n, timeout.into())
    }

    /// [`read_some`](Self::read_some), decoded.
    pub fn read_some_str(&self, timeout: impl Into<Timeout>) -> crate::Result<String> {
        self.core().read_str(usize::MAX, timeout.into())
    }

    /// [`readline`](Self::readline), decoded.
    pub fn readline_str(&self, timeout: impl Into<Timeout>) -> crate::Result<String> {
        self.core().readline_str(timeout.into())
    }

    /// [`read_until`](Self::read_until) with a text pattern (encoded with the
    /// connection's encoding), decoded.
    pub fn read_until_str(
        &self,
        pattern: &str,
        timeout: impl Into<Timeout>,
    ) -> crate::Result<String> {
        self.core().read_until_str(pattern, timeout.into())
    }

    /// [`read_all`](Self::read_all), decoded.
    pub fn read_all_str(&self, timeout: impl Into<Timeout>) -> crate::Result<String> {
        self.core().read_all_str(timeout.into())
    }
}
