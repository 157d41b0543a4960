//! The blocking read operations shared by every connection type.
//!
//! Each waits (reading the socket itself when nobody else does) until it can answer,
//! and consumes input only when it answers: a timed-out, failed or interrupted read leaves every
//! buffered byte for the next call. `Eof` comes only once the buffer is drained.

use std::net::SocketAddr;
use std::ops::Range;
use std::time::{Duration, Instant};

use memchr::{memchr2, memchr3, memmem};
use parking_lot::MutexGuard;
use regex::bytes::Regex;

use crate::codec::DecodeErrors;
use crate::error::{Error, Result};
use crate::timeout::Timeout;

use super::core::Core;
use super::link::Role;
use super::shared::ReadSide;
use super::state::State;

/// What [`expect`](crate::Connection::expect) found: which pattern matched, and the
/// data read up to and including the match, all of it consumed from the input.
///
/// The same names as the legacy [`Expected`](crate::telnetlib::Expected) (Python's
/// `(index, match, text)`): `index`, `text`, `groups` as ranges of `text`, and
/// `matched()`, `group(n)`, `before()`. Here `index` is a plain number, because
/// `expect` returns a match or an error, never Python's `-1`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpectMatch {
    /// Which pattern matched, in list order.
    pub index: usize,
    /// The match's groups as ranges of `text` (group 0 is the whole match; `None` for
    /// a group that did not take part).
    pub groups: Vec<Option<Range<usize>>>,
    /// The data read, up to and including the match.
    pub text: Vec<u8>,
}

impl ExpectMatch {
    /// The bytes the pattern matched (Python's `match.group(0)`).
    pub fn matched(&self) -> &[u8] {
        self.group(0).unwrap_or_default()
    }

    /// Capture group `index` (Python's `match.group(index)`); `None` for a group that
    /// did not take part or does not exist.
    pub fn group(&self, index: usize) -> Option<&[u8]> {
        let range = self.groups.get(index)?.clone()?;
        self.text.get(range)
    }

    /// The data before the match.
    pub fn before(&self) -> &[u8] {
        let start = self
            .groups
            .first()
            .cloned()
            .flatten()
            .map_or(0, |r| r.start);
        &self.text[..start]
    }
}

/// Where the first line of `buffer` ends: `(bytes to consume, length of the line
/// including its terminator, whether a following LF must be skipped)`.
///
/// Terminators: LF, CR LF, CR NUL (the NUL is dropped), a bare CR, and the charset's
/// own end-of-line byte if it has one (`eol`: ATASCII's 0x9B). A CR that is the last
/// byte available ends the line at once; an LF arriving right after it is then part
/// of the same line ending and skipped by the next read.
fn line_end(buffer: &[u8], eol: Option<u8>) -> Option<(usize, usize, bool)> {
    let at = first_line_end(buffer, eol)?;
    if buffer[at] != b'\r' {
        return Some((at + 1, at + 1, false));
    }
    Some(match buffer.get(at + 1) {
        Some(b'\n') => (at + 2, at + 2, false),
        Some(0) => (at + 2, at + 1, false),
        Some(_) => (at + 1, at + 1, false),
        None => (at + 1, at + 1, true),
    })
}

/// Where the first LF, CR or `eol` byte of `buffer` is.
pub(crate) fn first_line_end(buffer: &[u8], eol: Option<u8>) -> Option<usize> {
    match eol {
        Some(eol) => memchr3(b'\n', b'\r', eol, buffer),
        None => memchr2(b'\n', b'\r', buffer),
    }
}

impl<R: Role> Core<R> {
    /// The reading side, for one reader at a time: waits for it until `deadline`
    /// (forever with none); `None` when another reader holds it past then.
    fn lock_reading(&self, deadline: Option<Instant>) -> Option<MutexGuard<'_, ReadSide>> {
        match deadline {
            None => Some(self.shared.reading.lock()),
            Some(at) => self.shared.reading.try_lock_until(at),
        }
    }

    /// Runs one read: serialized with other readers, waiting until `attempt` answers.
    fn read_with<T>(
        &self,
        operation: &'static str,
        timeout: Timeout,
        mut attempt: impl FnMut(&mut State<R>, &mut ReadSide, Option<SocketAddr>) -> Option<Result<T>>,
    ) -> Result<T> {
        let timed_out = || self.timed_out(operation);
        let peer = self.peer();
        let mut attempt = |state: &mut State<R>, side: &mut ReadSide| {
            if side.skip_lf && !state.input.is_empty() {
                if state.input.as_slice()[0] == b'\n' {
                    state.input.discard(1);
                }
                side.skip_lf = false;
            }
            attempt(state, side, peer)
        };
        // A zero timeout looks at what is buffered and nothing else: a game loop
        // asks every client this on every turn.
        if timeout.or(self.shared.config.default_timeout) == Timeout::After(Duration::ZERO) {
            let mut side = self.shared.reading.try_lock().ok_or_else(timed_out)?;
            return self.check(operation, |state| attempt(state, &mut side));
        }
        let deadline = self.deadline_for(timeout);
        let mut side = self.lock_reading(deadline).ok_or_else(timed_out)?;
        self.wait(operation, deadline, |state| attempt(state, &mut side))
    }

    /// Like `read_with`, decoding the bytes with the connection's charset.
    fn read_text(
        &self,
        operation: &'static str,
        timeout: Timeout,
        last: bool,
        mut attempt: impl FnMut(
            &mut State<R>,
            &mut ReadSide,
            Option<SocketAddr>,
        ) -> Option<Result<Vec<u8>>>,
    ) -> Result<String> {
        self.check_text(operation)?;
        let errors = self.shared.config.decode_errors;
        self.read_with(operation, timeout, |state, side, peer| {
            let bytes = attempt(state, side, peer)?;
            Some(bytes.and_then(|bytes| {
                Self::follow_charset(state, side);
                if errors == DecodeErrors::Strict {
                    let mut input = std::mem::take(&mut side.carry);
                    input.extend_from_slice(&bytes);
                    return match state.link.charset.decode_strict(&input, last) {
                        Ok((text, keep)) => {
                            side.carry = input.split_off(input.len() - keep);
                            Ok(text)
                        }
                        Err(()) => Err(Self::decode_error(state, operation, peer, input)),
                    };
                }
                let mut text = String::with_capacity(bytes.len());
                side.decoder.decode_with(&bytes, last, &mut text, errors);
                Ok(text)
            }))
        })
    }

    /// A new decoder (and no carried bytes) once the charset has changed.
    fn follow_charset(state: &State<R>, side: &mut ReadSide) {
        if side.decoder_generation != state.link.charset_generation {
            side.decoder = state.link.charset.decoder();
            side.decoder_generation = state.link.charset_generation;
            side.carry.clear();
        }
    }

    /// `Error::Decode` for the bytes a strict read stands for.
    fn decode_error(
        state: &State<R>,
        operation: &'static str,
        peer: Option<SocketAddr>,
        bytes: Vec<u8>,
    ) -> Error {
        Error::Decode {
            operation,
            peer,
            encoding: state.link.charset.name(),
            bytes,
        }
    }

    fn attempt_read(
        state: &mut State<R>,
        n: usize,
        operation: &'static str,
        peer: Option<SocketAddr>,
    ) -> Option<Result<Vec<u8>>> {
        if !state.input.is_empty() {
            return Some(Ok(state.input.take(n)));
        }
        state.end_error(operation, peer).map(Err)
    }

    /// Up to `n` bytes, as soon as any are buffered.
    pub fn read(&self, n: usize, timeout: Timeout) -> Result<Vec<u8>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        self.read_with("read", timeout, |state, _, peer| {
            Self::attempt_read(state, n, "read", peer)
        })
    }

    /// `io::Read`: as many buffered bytes as fit in `buf`, as soon as any are there;
    /// a socket read with nothing buffered lands in `buf` itself.
    pub fn read_buf(&self, buf: &mut [u8], timeout: Timeout) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let timed_out = || self.timed_out("read");
        let deadline = self.deadline_for(timeout);
        let mut side = self.lock_reading(deadline).ok_or_else(timed_out)?;
        self.read_into("read", deadline, buf, |state| {
            if side.skip_lf && !state.input.is_empty() {
                if state.input.as_slice()[0] == b'\n' {
                    state.input.discard(1);
                }
                side.skip_lf = false;
            }
        })
    }

    /// [`read`](Self::read), decoded: at most `n` bytes of input, but at least one
    /// whole character (a character split at the `n`th byte is completed, so up to
    /// `n + 3` bytes may be taken). `n == 0` returns `""` at once, taking nothing.
    pub fn read_str(&self, n: usize, timeout: Timeout) -> Result<String> {
        self.check_text("read_str")?;
        if n == 0 {
            return Ok(String::new());
        }
        let errors = self.shared.config.decode_errors;
        self.read_with("read_str", timeout, |state, side, peer| {
            Self::follow_charset(state, side);
            if errors == DecodeErrors::Strict {
                return Self::read_str_strict(state, side, n, peer);
            }
            let mut text = String::new();
            if !state.input.is_empty() && state.end.is_none() && !Self::holds_a_character(state) {
                // Only the first bytes of a character so far: wait for the rest
                // without taking them, so a timeout leaves them buffered.
                return None;
            }
            let mut take = n;
            while text.is_empty() && !state.input.is_empty() {
                let bytes = state.input.take(take);
                side.decoder.decode_with(&bytes, false, &mut text, errors);
                // A character is still incomplete (or was malformed and ignored):
                // one more byte at a time.
                take = 1;
            }
            if !text.is_empty() {
                return Some(Ok(text));
            }
            let end = state.end_error("read_str", peer)?;
            // The stream ended inside a character: what is left is malformed.
            side.decoder.decode_with(&[], true, &mut text, errors);
            Some(if text.is_empty() { Err(end) } else { Ok(text) })
        })
    }

    /// `read_str` with strict decoding: looks at the carried bytes and up to `n`
    /// buffered ones (more while they end inside a character), and takes them only
    /// when they hold a whole character or are not valid. Nothing is taken while it
    /// waits, so a timeout leaves the input as it was.
    fn read_str_strict(
        state: &mut State<R>,
        side: &mut ReadSide,
        n: usize,
        peer: Option<SocketAddr>,
    ) -> Option<Result<String>> {
        let buffered = state.input.len();
        let mut look = n.min(buffered);
        loop {
            let mut candidate = side.carry.clone();
            candidate.extend_from_slice(&state.input.as_slice()[..look]);
            let at_end = look == buffered && state.end.is_some();
            match state.link.charset.decode_strict(&candidate, at_end) {
                Ok((text, keep)) if !text.is_empty() => {
                    state.input.discard(look);
                    side.carry = candidate.split_off(candidate.len() - keep);
                    return Some(Ok(text));
                }
                Ok(_) if look < buffered => look += 1,
                Ok(_) => {
                    // Nothing whole yet: wait, or the stream ended.
                    return state.end_error("read_str", peer).map(Err);
                }
                Err(()) => {
                    state.input.discard(look);
                    side.carry.clear();
                    return Some(Err(Self::decode_error(state, "read_str", peer, candidate)));
                }
            }
        }
    }

    /// Whether the buffered input starts with at least one whole character (a
    /// malformed byte counts: it decodes as U+FFFD). Looked at with a decoder of its
    /// own, so nothing is taken; a character is at most 4 bytes in every encoding.
    fn holds_a_character(state: &State<R>) -> bool {
        let head = &state.input.as_slice()[..state.input.len().min(4)];
        let mut text = String::new();
        state.link.charset.decoder().decode(head, false, &mut text);
        !text.is_empty()
    }

    fn attempt_readline(
        &self,
        state: &mut State<R>,
        side: &mut ReadSide,
        operation: &'static str,
        peer: Option<SocketAddr>,
    ) -> Option<Result<Vec<u8>>> {
        let buffer = state.input.as_slice();
        let limit = self
            .shared
            .config
            .max_line
            .min(self.shared.config.max_input);
        let too_long = Error::LineTooLong {
            operation,
            peer,
            limit,
        };
        // The same line is refused whether it arrived in one piece or several: its
        // text (without the line ending) is measured against the limit either way.
        let eol = state.link.charset.line_end_byte();
        if let Some((consume, length, skip_lf)) = line_end(buffer, eol) {
            // The text ends before the terminator kept in the line: CR LF, or one byte.
            let text = length - 1 - usize::from(buffer[..length].ends_with(b"\r\n"));
            if text > limit {
                return Some(Err(too_long));
            }
            let line = buffer[..length].to_vec();
            state.input.discard(consume);
            side.skip_lf = skip_lf;
            return Some(Ok(line));
        }
        if buffer.len() > limit || buffer.len() >= self.shared.config.max_input {
            return Some(Err(too_long));
        }
        let end = state.end_error(operation, peer)?;
        if buffer.is_empty() {
            return Some(Err(end));
        }
        // The peer is gone: the unterminated rest is the last line.
        Some(Ok(state.input.take(buffer.len())))
    }

    /// One line, including its terminator.
    pub fn readline(&self, timeout: Timeout) -> Result<Vec<u8>> {
        self.read_with("readline", timeout, |state, side, peer| {
            self.attempt_readline(state, side, "readline", peer)
        })
    }

    /// [`readline`](Self::readline), decoded.
    pub fn readline_str(&self, timeout: Timeout) -> Result<String> {
        self.read_text("readline_str", timeout, false, |state, side, peer| {
            self.attempt_readline(state, side, "readline_str", peer)
        })
    }

    /// The first line when it is longer than `max_line`, handed over rather than left
    /// stuck (miniboa's `get_command` has no limit): the line with its ending, or,
    /// while the ending has not come, `max_line` bytes of it. Never waits; `None`
    /// when nothing is buffered.
    pub fn take_overlong_line_str(&self) -> Option<String> {
        let limit = self.shared.config.max_line;
        let zero = Timeout::After(Duration::ZERO);
        self.read_text("get_command", zero, false, |state, side, _| {
            let buffer = state.input.as_slice();
            if buffer.is_empty() {
                return None;
            }
            let piece = match line_end(buffer, state.link.charset.line_end_byte()) {
                Some((consume, length, skip_lf)) => {
                    side.skip_lf = skip_lf;
                    let line = buffer[..length].to_vec();
                    state.input.discard(consume);
                    line
                }
                None => state.input.take(limit),
            };
            Some(Ok(piece))
        })
        .ok()
    }

    fn full_error(&self, operation: &'static str, peer: Option<SocketAddr>) -> Error {
        Error::BufferFull {
            operation,
            peer,
            limit: self.shared.config.max_input,
        }
    }

    /// The attempt of `read_until`: bytes already searched in earlier wake-ups of the
    /// same call are not searched again.
    fn attempt_until<'a>(
        &'a self,
        operation: &'static str,
        pattern: &'a [u8],
    ) -> impl FnMut(&mut State<R>, &mut ReadSide, Option<SocketAddr>) -> Option<Result<Vec<u8>>> + 'a
    {
        let finder = memmem::Finder::new(pattern);
        let mut searched: usize = 0;
        move |state, _, peer| {
            let buffer = state.input.as_slice();
            let from = searched
                .saturating_sub(pattern.len().saturating_sub(1))
                .min(buffer.len());
            if let Some(at) = finder.find(&buffer[from..]) {
                return Some(Ok(state.input.take(from + at + pattern.len())));
            }
            searched = buffer.len();
            if buffer.len() >= self.shared.config.max_input {
                return Some(Err(self.full_error(operation, peer)));
            }
            state.end_error(operation, peer).map(Err)
        }
    }

    /// Everything up to and including the first occurrence of `pattern`.
    pub fn read_until(&self, pattern: &[u8], timeout: Timeout) -> Result<Vec<u8>> {
        self.read_with(
            "read_until",
            timeout,
            self.attempt_until("read_until", pattern),
        )
    }

    /// [`read_until`](Self::read_until) with a text pattern, encoded with the
    /// connection's charset; the result is decoded.
    pub fn read_until_str(&self, pattern: &str, timeout: Timeout) -> Result<String> {
        let encoded = self.lock().link.charset.encode(pattern);
        self.read_text(
            "read_until_str",
            timeout,
            false,
            self.attempt_until("read_until_str", &encoded),
        )
    }

    /// Everything up to the next prompt end (the peer's GA or EOR), without the
    /// command; marks for data already consumed by other reads are passed over.
    fn attempt_prompt(
        state: &mut State<R>,
        operation: &'static str,
        peer: Option<SocketAddr>,
    ) -> Option<Result<Vec<u8>>> {
        let start = state.input.start_position();
        while state.prompts.front().is_some_and(|&mark| mark < start) {
            state.prompts.pop_front();
        }
        match state.prompts.pop_front() {
            Some(mark) => Some(Ok(state.input.take((mark - start) as usize))),
            None => state.end_error(operation, peer).map(Err),
        }
    }

    /// The data up to the peer's next GA or EOR: a MUD or BBS prompt, whatever its
    /// text. Waits for one; at the end of the stream `Err(Eof)` (the data stays
    /// readable with the other reads).
    pub fn read_prompt(&self, timeout: Timeout) -> Result<Vec<u8>> {
        self.read_with("read_prompt", timeout, |state, _, peer| {
            Self::attempt_prompt(state, "read_prompt", peer)
        })
    }

    /// [`read_prompt`](Self::read_prompt), decoded.
    pub fn read_prompt_str(&self, timeout: Timeout) -> Result<String> {
        self.read_text("read_prompt_str", timeout, false, |state, _, peer| {
            Self::attempt_prompt(state, "read_prompt_str", peer)
        })
    }

    fn attempt_read_all(
        &self,
        state: &mut State<R>,
        operation: &'static str,
        peer: Option<SocketAddr>,
    ) -> Option<Result<Vec<u8>>> {
        match state.end_error(operation, peer) {
            Some(Error::Eof { .. }) => Some(Ok(state.input.take(state.input.len()))),
            Some(error) => Some(Err(error)),
            None if state.input.len() >= self.shared.config.max_input => {
                Some(Err(self.full_error(operation, peer)))
            }
            None => None,
        }
    }

    /// Everything until the peer closes (possibly nothing).
    pub fn read_all(&self, timeout: Timeout) -> Result<Vec<u8>> {
        self.read_with("read_all", timeout, |state, _, peer| {
            self.attempt_read_all(state, "read_all", peer)
        })
    }

    /// [`read_all`](Self::read_all), decoded.
    pub fn read_all_str(&self, timeout: Timeout) -> Result<String> {
        self.read_text("read_all_str", timeout, true, |state, _, peer| {
            self.attempt_read_all(state, "read_all_str", peer)
        })
    }

    /// Waits until one of `patterns` matches the buffered data; the first pattern in
    /// list order that matches wins, as in telnetlib.
    pub fn expect(&self, patterns: &[Regex], timeout: Timeout) -> Result<ExpectMatch> {
        self.read_with("expect", timeout, |state, _, peer| {
            let buffer = state.input.as_slice();
            for (index, pattern) in patterns.iter().enumerate() {
                if let Some(captures) = pattern.captures(buffer) {
                    let end = captures.get(0).expect("group 0 is the whole match").end();
                    let found = ExpectMatch {
                        index,
                        groups: captures.iter().map(|g| g.map(|g| g.range())).collect(),
                        text: buffer[..end].to_vec(),
                    };
                    state.input.discard(end);
                    return Some(Ok(found));
                }
            }
            if buffer.len() >= self.shared.config.max_input {
                return Some(Err(self.full_error("expect", peer)));
            }
            state.end_error("expect", peer).map(Err)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::line_end;

    #[test]
    fn line_terminators() {
        assert_eq!(line_end(b"ab\ncd", None), Some((3, 3, false)));
        assert_eq!(line_end(b"ab\r\ncd", None), Some((4, 4, false)));
        assert_eq!(line_end(b"ab\r\0cd", None), Some((4, 3, false)));
        assert_eq!(line_end(b"ab\rcd", None), Some((3, 3, false)));
        assert_eq!(line_end(b"ab\r", None), Some((3, 3, true)));
        assert_eq!(line_end(b"abc", None), None);
        assert_eq!(line_end(b"ab\x9bcd", Some(0x9b)), Some((3, 3, false)));
        assert_eq!(line_end(b"ab\x9bcd", None), None);
    }
}
