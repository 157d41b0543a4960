//! CPython telnetlib's `process_rawq`, byte for byte: the state machine that turns raw
//! socket bytes into cooked data, subnegotiation data and command callbacks.
//!
//! It is deliberately not [`crate::proto::Engine`]: the legacy type promises Python's
//! results, including where Python's parser differs from the RFCs (negotiation verbs
//! inside a subnegotiation are acted on, `IAC <any byte>` is a command, NUL and XON
//! vanish from the data). The one deliberate difference: subnegotiation bytes are kept
//! whole (Python drops their NULs, which corrupts NAWS and TTYPE payloads).

use memchr::{memchr, memchr3};

use crate::proto::command::{DO, DONT, IAC, SB, SE, WILL, WONT};

/// DC1 / XON, which telnetlib removes from the data stream.
const XON: u8 = 0x11;

/// Where the parser is inside an `IAC` sequence (Python's `iacseq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Sequence {
    /// Plain data.
    #[default]
    None,
    /// After `IAC`.
    Iac,
    /// After `IAC DO|DONT|WILL|WONT`, waiting for the option byte.
    Verb(u8),
}

/// The parser's state between chunks (Python's `iacseq` and `sb`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Parser {
    sequence: Sequence,
    /// Inside `IAC SB … IAC SE` (Python's `sb`).
    in_subnegotiation: bool,
    /// Keep NUL and XON in the data (all but the NUL of CR NUL); Python drops them.
    pub keep_nul_and_xon: bool,
    /// The last data byte was CR (for CR NUL when NULs are kept).
    after_cr: bool,
}

/// Where one call's output goes: Python's `buf[0]` (cooked data) and the
/// subnegotiation queue, which is appended to as bytes arrive.
pub(crate) struct Output<'a> {
    pub cooked: &'a mut Vec<u8>,
    pub subnegotiation: &'a mut Vec<u8>,
    /// Subnegotiation bytes beyond this are dropped (Python keeps them all).
    pub subnegotiation_limit: usize,
}

impl Parser {
    /// Forgets a partial command (Python's `close()` resets `iacseq` and `sb`).
    pub fn reset(&mut self) {
        self.sequence = Sequence::None;
        self.in_subnegotiation = false;
        self.after_cr = false;
    }

    /// Processes `raw` in full. `command(cmd, opt, subnegotiation)` runs for every
    /// `IAC DO|DONT|WILL|WONT opt` and, with `opt` 0 (Python's `NOOPT`), for every other
    /// `IAC <byte>` except `IAC IAC`, in the order they arrive. At `IAC SE` the
    /// subnegotiation's data is complete when `command` runs.
    pub fn process(
        &mut self,
        raw: &[u8],
        out: &mut Output<'_>,
        mut command: impl FnMut(u8, u8, &mut Vec<u8>),
    ) {
        // Python collects a call's subnegotiation bytes apart (`buf[1]`) and appends
        // them at `IAC SE` or at the end of the call; a new `IAC SB` empties only the
        // queue, not what this call collected. Mirrored exactly.
        let mut pending_sb = Vec::new();
        let mut rest = raw;
        while let Some((&byte, after)) = rest.split_first() {
            match self.sequence {
                Sequence::None => {
                    if byte != IAC {
                        let run = self.data_run_length(rest);
                        if run > 0 {
                            let (data, after_run) = rest.split_at(run);
                            self.push_data(data, out, &mut pending_sb);
                            rest = after_run;
                            continue;
                        }
                        // A NUL or XON that Python drops.
                        self.after_cr = false;
                    } else {
                        self.sequence = Sequence::Iac;
                    }
                }
                Sequence::Iac => match byte {
                    DO | DONT | WILL | WONT => self.sequence = Sequence::Verb(byte),
                    IAC => {
                        self.sequence = Sequence::None;
                        self.push_data(&[IAC], out, &mut pending_sb);
                    }
                    _ => {
                        self.sequence = Sequence::None;
                        if byte == SB {
                            self.in_subnegotiation = true;
                            out.subnegotiation.clear();
                        } else if byte == SE {
                            self.in_subnegotiation = false;
                            append_limited(out, &pending_sb);
                            pending_sb.clear();
                        }
                        command(byte, 0, out.subnegotiation);
                    }
                },
                Sequence::Verb(verb) => {
                    self.sequence = Sequence::None;
                    command(verb, byte, out.subnegotiation);
                }
            }
            rest = after;
        }
        append_limited(out, &pending_sb);
    }

    /// How many bytes from the start of `bytes` are plain data, kept as they are.
    fn data_run_length(&self, bytes: &[u8]) -> usize {
        let end = if self.in_subnegotiation || self.keep_nul_and_xon {
            // Every byte but IAC is data; a CR NUL's NUL is dealt with in push_data.
            memchr(IAC, bytes)
        } else {
            memchr3(0, XON, IAC, bytes)
        };
        end.unwrap_or(bytes.len())
    }

    /// Appends data to the subnegotiation or the cooked data, dropping the NUL of CR
    /// NUL when NULs are otherwise kept (Python drops every NUL anyway).
    fn push_data(&mut self, data: &[u8], out: &mut Output<'_>, pending_sb: &mut Vec<u8>) {
        if self.in_subnegotiation {
            pending_sb.extend_from_slice(data);
            return;
        }
        let mut data = data;
        if self.keep_nul_and_xon {
            if self.after_cr && data.first() == Some(&0) {
                data = &data[1..];
            }
            let mut rest = data;
            while let Some(at) = memchr::memmem::find(rest, b"\r\0") {
                out.cooked.extend_from_slice(&rest[..=at]);
                rest = &rest[at + 2..];
            }
            data = rest;
        }
        if let Some(&last) = data.last() {
            self.after_cr = last == b'\r';
        }
        out.cooked.extend_from_slice(data);
    }
}

fn append_limited(out: &mut Output<'_>, bytes: &[u8]) {
    let room = out
        .subnegotiation_limit
        .saturating_sub(out.subnegotiation.len());
    if bytes.len() > room {
        log::debug!(
            "subnegotiation data past {} bytes dropped",
            out.subnegotiation_limit
        );
    }
    out.subnegotiation
        .extend_from_slice(&bytes[..bytes.len().min(room)]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::command::{GA, NOP};

    /// Runs chunks through one parser; returns (cooked, subnegotiation, commands).
    fn run(keep: bool, chunks: &[&[u8]]) -> (Vec<u8>, Vec<u8>, Vec<(u8, u8)>) {
        let mut parser = Parser {
            keep_nul_and_xon: keep,
            ..Parser::default()
        };
        let (mut cooked, mut sb, mut seen) = (Vec::new(), Vec::new(), Vec::new());
        for chunk in chunks {
            let mut out = Output {
                cooked: &mut cooked,
                subnegotiation: &mut sb,
                subnegotiation_limit: 1 << 16,
            };
            parser.process(chunk, &mut out, |cmd, opt, _| seen.push((cmd, opt)));
        }
        (cooked, sb, seen)
    }

    #[test]
    fn nul_and_xon_vanish_and_cr_nul_becomes_cr() {
        let (cooked, _, _) = run(false, &[b"a\r\nb\r\x00c\x00d\x11e\rf"]);
        assert_eq!(cooked, b"a\r\nb\rcde\rf");
    }

    #[test]
    fn kept_nul_and_xon_still_lose_the_nul_of_cr_nul() {
        let (cooked, _, _) = run(true, &[b"a\r\x00b\x00c\x11", b"\r", b"\x00d"]);
        assert_eq!(cooked, b"a\rb\x00c\x11\rd");
    }

    #[test]
    fn a_command_split_across_chunks_is_resumed() {
        let (cooked, _, seen) = run(false, &[b"ab\xff", b"\xfd", b"\x01cd"]);
        assert_eq!(cooked, b"abcd");
        assert_eq!(seen, [(DO, 1)]);
    }

    #[test]
    fn any_byte_after_iac_is_a_command_with_option_zero() {
        let (cooked, _, seen) = run(false, &[b"ab\xffxcd\xff\xf1\xff\xf9"]);
        assert_eq!(cooked, b"abcd");
        assert_eq!(seen, [(b'x', 0), (NOP, 0), (GA, 0)]);
    }

    #[test]
    fn subnegotiation_keeps_every_byte_including_nul() {
        let (cooked, sb, seen) = run(false, &[b"\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0after"]);
        assert_eq!(cooked, b"after");
        assert_eq!(sb, b"\x1f\x00\x50\x00\x18");
        assert_eq!(seen, [(SB, 0), (SE, 0)]);
    }

    #[test]
    fn negotiation_inside_a_subnegotiation_is_acted_on_as_python_does() {
        let (_, sb, seen) = run(false, &[b"\xff\xfa\x18a\xff\xfd\x01b\xff\xf0"]);
        assert_eq!(sb, b"\x18ab");
        assert_eq!(seen, [(SB, 0), (DO, 1), (SE, 0)]);
    }

    #[test]
    fn partial_subnegotiation_data_is_visible_before_se() {
        let (_, sb, _) = run(false, &[b"\xff\xfa\x18xte"]);
        assert_eq!(sb, b"\x18xte");
    }

    #[test]
    fn subnegotiation_data_is_bounded() {
        let mut parser = Parser::default();
        let (mut cooked, mut sb) = (Vec::new(), Vec::new());
        let mut out = Output {
            cooked: &mut cooked,
            subnegotiation: &mut sb,
            subnegotiation_limit: 4,
        };
        parser.process(b"\xff\xfa\x18abcdefgh\xff\xf0ok", &mut out, |_, _, _| {});
        assert_eq!(sb, b"\x18abc");
        assert_eq!(cooked, b"ok");
    }
}
