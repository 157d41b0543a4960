//! The Network Virtual Terminal's byte rules (RFC 854), separate from the engine:
//! doubling IAC on output, newline encoding of outgoing text, and newline decoding of
//! incoming text.
//!
//! | direction | rule |
//! |---|---|
//! | out, always | 0xFF (IAC) is sent as `IAC IAC` ([`escape_iac`]) |
//! | out, text, not BINARY | `\n` and `\r\n` become CR LF; a lone `\r` becomes CR NUL ([`encode_text`]) |
//! | in, text | CR LF becomes `\n`; CR NUL becomes `\r`; a bare CR stays `\r` ([`NewlineDecoder`]) |

use memchr::memchr;

use super::command::IAC;

const CR: u8 = b'\r';
const LF: u8 = b'\n';
const NUL: u8 = 0;

/// Appends `data` to `out` with every 0xFF doubled, as Telnet data must be sent.
///
/// ```
/// let mut out = Vec::new();
/// telnetlib::proto::nvt::escape_iac(b"a\xffb", &mut out);
/// assert_eq!(out, b"a\xff\xffb");
/// ```
pub fn escape_iac(data: &[u8], out: &mut Vec<u8>) {
    let mut rest = data;
    while let Some(at) = memchr(IAC, rest) {
        out.extend_from_slice(&rest[..=at]);
        out.push(IAC);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

/// Appends `text` to `out` as Telnet text: IAC doubled and, unless `binary` (the
/// local side of BINARY is in effect), newlines in NVT form: `\n` and `\r\n` become
/// CR LF and a `\r` not followed by `\n` becomes CR NUL.
///
/// Each call stands alone: a `\r` ending one call and a `\n` starting the next are
/// sent as CR NUL then CR LF, which a terminal shows as one line break.
///
/// ```
/// let mut out = Vec::new();
/// telnetlib::proto::nvt::encode_text(b"one\ntwo\r\nback\r", false, &mut out);
/// assert_eq!(out, b"one\r\ntwo\r\nback\r\0");
/// ```
pub fn encode_text(text: &[u8], binary: bool, out: &mut Vec<u8>) {
    if binary {
        return escape_iac(text, out);
    }
    let mut rest = text;
    while let Some(at) = memchr::memchr3(CR, LF, IAC, rest) {
        out.extend_from_slice(&rest[..at]);
        let mut consumed = at + 1;
        match rest[at] {
            IAC => out.extend_from_slice(&[IAC, IAC]),
            LF => out.extend_from_slice(&[CR, LF]),
            _ if rest.get(at + 1) == Some(&LF) => {
                out.extend_from_slice(&[CR, LF]);
                consumed += 1;
            }
            _ => out.extend_from_slice(&[CR, NUL]),
        }
        rest = &rest[consumed..];
    }
    out.extend_from_slice(rest);
}

/// Decodes NVT newlines in received text: CR LF becomes `\n`, CR NUL becomes `\r`,
/// and a CR followed by anything else stays `\r` (the byte after it is kept).
///
/// It is fed the data the engine delivers, in any split: a CR at the end of one call
/// is held until the next byte shows what it was. [`pending_cr`](Self::pending_cr)
/// says whether one is held, and [`finish`](Self::finish) releases it as `\r` (at end
/// of stream, or when a reader decides it has waited long enough).
///
/// ```
/// use telnetlib::proto::nvt::NewlineDecoder;
///
/// let mut decoder = NewlineDecoder::new();
/// let mut text = Vec::new();
/// decoder.decode(b"one\r", &mut text);
/// assert!(decoder.pending_cr());
/// decoder.decode(b"\ntwo\r\0three\r", &mut text);
/// decoder.finish(&mut text);
/// assert_eq!(text, b"one\ntwo\rthree\r");
/// ```
#[derive(Debug, Clone, Default)]
pub struct NewlineDecoder {
    pending_cr: bool,
}

impl NewlineDecoder {
    /// A decoder with no CR held.
    pub fn new() -> NewlineDecoder {
        NewlineDecoder::default()
    }

    /// Whether a CR from the end of the last call is held, waiting for the next byte.
    pub fn pending_cr(&self) -> bool {
        self.pending_cr
    }

    /// Appends the decoded form of `data` to `out`.
    pub fn decode(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let mut rest = data;
        if self.pending_cr {
            let Some(&next) = rest.first() else { return };
            self.pending_cr = false;
            rest = self.resolve_cr(next, rest, out);
        }
        while let Some(at) = memchr(CR, rest) {
            out.extend_from_slice(&rest[..at]);
            match rest.get(at + 1) {
                Some(&next) => rest = self.resolve_cr(next, &rest[at + 1..], out),
                None => {
                    self.pending_cr = true;
                    return;
                }
            }
        }
        out.extend_from_slice(rest);
    }

    /// Writes the meaning of a CR given the byte after it (the first of `after`), and
    /// returns what remains to decode.
    fn resolve_cr<'a>(&mut self, next: u8, after: &'a [u8], out: &mut Vec<u8>) -> &'a [u8] {
        match next {
            LF => {
                out.push(LF);
                &after[1..]
            }
            NUL => {
                out.push(CR);
                &after[1..]
            }
            _ => {
                out.push(CR);
                after
            }
        }
    }

    /// Releases a held CR as `\r`.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.pending_cr) {
            out.push(CR);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_one(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut decoder = NewlineDecoder::new();
        decoder.decode(data, &mut out);
        decoder.finish(&mut out);
        out
    }

    #[test]
    fn input_newline_rules() {
        assert_eq!(decode_in_one(b"a\r\nb"), b"a\nb");
        assert_eq!(decode_in_one(b"a\r\0b"), b"a\rb");
        assert_eq!(decode_in_one(b"a\rb"), b"a\rb");
        assert_eq!(decode_in_one(b"a\nb"), b"a\nb");
        assert_eq!(decode_in_one(b"\r\r\n"), b"\r\n");
        assert_eq!(decode_in_one(b"a\r"), b"a\r");
    }

    #[test]
    fn a_cr_lf_split_across_calls_is_one_newline() {
        let mut out = Vec::new();
        let mut decoder = NewlineDecoder::new();
        decoder.decode(b"a\r", &mut out);
        assert_eq!(out, b"a");
        decoder.decode(b"", &mut out);
        assert!(decoder.pending_cr());
        decoder.decode(b"\nb", &mut out);
        assert_eq!(out, b"a\nb");
        assert!(!decoder.pending_cr());
    }

    #[test]
    fn output_newline_rules() {
        let encode = |text: &[u8], binary| {
            let mut out = Vec::new();
            encode_text(text, binary, &mut out);
            out
        };
        assert_eq!(encode(b"a\nb", false), b"a\r\nb");
        assert_eq!(encode(b"a\r\nb", false), b"a\r\nb");
        assert_eq!(encode(b"a\rb", false), b"a\r\0b");
        assert_eq!(encode(b"\xff\n", false), b"\xff\xff\r\n");
        assert_eq!(encode(b"a\n\r\xff", true), b"a\n\r\xff\xff");
    }

    #[test]
    fn escape_doubles_every_iac() {
        let mut out = Vec::new();
        escape_iac(b"\xff\xffx\xff", &mut out);
        assert_eq!(out, b"\xff\xff\xff\xffx\xff\xff");
    }
}
