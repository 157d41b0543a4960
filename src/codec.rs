//! Text encodings for the `_str` methods: every encoding `encoding_rs` knows (UTF-8,
//! Latin-1, Shift_JIS, Big5, KOI8-R, …) plus the OEM code pages of DOS-era BBSes
//! (CP437, CP850, CP866, … via `oem_cp`) and the retro BBS sets ATASCII, PETSCII and
//! Atari ST (written here), behind one streaming decoder and one encoder.

mod retro;

use std::fmt;
use std::str::FromStr;

use encoding_rs::{DecoderResult, EncoderResult};
use oem_cp::code_table::{DECODING_TABLE_CP_MAP, ENCODING_TABLE_CP_MAP};
use oem_cp::code_table_type::TableType;

use crate::error::Error;
use retro::Retro;

/// A text encoding, checked when it is made: an encoding of the WHATWG Encoding
/// Standard (UTF-8, Latin-1, Shift_JIS, Big5, KOI8-R, …, as `encoding_rs` implements
/// them), an OEM code page of the DOS era (CP437, CP850, CP866, …), or one of the
/// retro BBS sets [`ATASCII`](Encoding::ATASCII), [`PETSCII`](Encoding::PETSCII) and
/// [`ATARI_ST`](Encoding::ATARI_ST).
///
/// ```
/// use telnetlib::Encoding;
///
/// let cp437 = Encoding::for_label("cp437")?;
/// assert_eq!(cp437.name(), "CP437");
/// assert_eq!(cp437.encode("╔═╗"), [0xC9, 0xCD, 0xBB]);
/// assert_eq!("IBM437".parse::<Encoding>()?, cp437);
/// assert!(Encoding::for_label("klingon").is_err());
/// # Ok::<(), telnetlib::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Encoding(pub(crate) Charset);

impl Encoding {
    /// UTF-8, the default.
    pub const UTF_8: Encoding = Encoding(Charset::Standard(encoding_rs::UTF_8));
    /// The IBM PC's code page 437: box drawing and the DOS character set of BBS art.
    pub const CP437: Encoding = Encoding(Charset::Oem(437));
    /// ATASCII, the Atari 400/800/XL/XE's set (labels `atascii`, `atari8bit`): ASCII
    /// letters and digits, graphics in place of control codes, inverse video in the
    /// high half (decoded as the normal character), and 0x9B as the end of a line,
    /// which `\n`, `\r` and CR LF all encode to. Atari BBSes expect it over a binary
    /// stream: see [`force_binary`](crate::ConnectionConfig::force_binary).
    pub const ATASCII: Encoding = Encoding(Charset::Retro(Retro::Atascii));
    /// PETSCII, the Commodore 64/128's set in shifted (lower-case) mode, the mode of
    /// C64 BBSes (labels `petscii`, `cbm`, `commodore`, `c64`, `c128`). Lower-case
    /// letters are 0x41–0x5A and capitals 0xC1–0xDA; colour and cursor codes decode
    /// to the control characters of the same number, SHIFT-RETURN (0x8D) to `\r`.
    /// Where several bytes show the same character, it encodes to the lowest: `\r` to
    /// RETURN (0x0D) where telnetlib3 sends SHIFT-RETURN (0x8D).
    pub const PETSCII: Encoding = Encoding(Charset::Retro(Retro::Petscii));
    /// The Atari ST's set (labels `atarist`, `atari`): ASCII, then accented Latin,
    /// Hebrew, Greek and mathematics (Unicode's `ATARIST.TXT` mapping).
    pub const ATARI_ST: Encoding = Encoding(Charset::Retro(Retro::AtariSt));

    /// The encoding a label names, as users and CHARSET (RFC 2066) peers spell them:
    /// `utf-8`, `UTF8`, `latin1`, `cp437`, `IBM437`, `cp-866`, `shift_jis`, …
    /// ([`Error::InvalidInput`] naming the label when none does). Note that the WHATWG
    /// labels `latin1`, `iso-8859-1` and `ascii` all mean windows-1252.
    pub fn for_label(label: &str) -> Result<Encoding, Error> {
        Charset::for_name(label).map(Encoding).ok_or_else(|| Error::InvalidInput {
            message: format!(
                "unknown encoding {label:?}: use a WHATWG label such as utf-8, latin1, shift_jis, koi8-r, or an OEM code page such as cp437"
            ),
        })
    }

    /// The canonical name, as sent in a CHARSET reply: `UTF-8`, `windows-1252`,
    /// `CP437`.
    pub fn name(&self) -> String {
        self.0.name()
    }

    /// A streaming decoder: bytes of a multi-byte character split across calls are
    /// kept until the rest arrives; malformed input decodes to U+FFFD.
    pub fn decoder(&self) -> TextDecoder {
        self.0.decoder()
    }

    /// Encodes text; characters the encoding cannot represent become `?`.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        self.0.encode(text)
    }
}

impl fmt::Debug for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Encoding({})", self.name())
    }
}

impl fmt::Display for Encoding {
    /// The canonical name (see [`name`](Encoding::name)).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Encoding {
    type Err = Error;

    fn from_str(label: &str) -> Result<Encoding, Error> {
        Encoding::for_label(label)
    }
}

/// A character set: an `encoding_rs` encoding or an OEM code page by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Charset {
    /// An encoding of the WHATWG Encoding Standard, as implemented by `encoding_rs`.
    Standard(&'static encoding_rs::Encoding),
    /// A single-byte OEM code page such as 437 (the IBM PC's), one `oem_cp` has.
    Oem(u16),
    /// ATASCII, PETSCII or the Atari ST's set.
    Retro(Retro),
}

impl Charset {
    /// Looks a charset up by name, as users and CHARSET (RFC 2066) peers spell them:
    /// `utf-8`, `UTF8`, `latin1`, `cp437`, `IBM437`, `cp-866`, `shift_jis`, …
    pub fn for_name(name: &str) -> Option<Charset> {
        let lower = name.trim().to_ascii_lowercase();
        let compact: String = lower
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect();
        for prefix in ["cp", "ibm", "oem"] {
            if let Some(number) = compact
                .strip_prefix(prefix)
                .and_then(|n| n.parse::<u16>().ok())
            {
                if DECODING_TABLE_CP_MAP.get(&number).is_some() {
                    return Some(Charset::Oem(number));
                }
            }
        }
        if compact == "utf8" {
            return Some(Charset::Standard(encoding_rs::UTF_8));
        }
        if let Some(retro) = Retro::for_compact_name(&compact) {
            return Some(Charset::Retro(retro));
        }
        encoding_rs::Encoding::for_label(lower.as_bytes()).map(Charset::Standard)
    }

    /// The canonical name, as sent in a CHARSET reply: `UTF-8`, `windows-1252`, `CP437`.
    pub fn name(&self) -> String {
        match self {
            Charset::Standard(encoding) => encoding.name().to_owned(),
            Charset::Oem(number) => format!("CP{number}"),
            Charset::Retro(retro) => retro.name().to_owned(),
        }
    }

    /// A streaming decoder: bytes of a multi-byte character split across calls are
    /// kept until the rest arrives.
    pub fn decoder(&self) -> TextDecoder {
        TextDecoder {
            kind: match self {
                Charset::Standard(encoding) => {
                    DecoderKind::Standard(encoding.new_decoder_without_bom_handling())
                }
                Charset::Oem(number) => DecoderKind::Oem(*number),
                Charset::Retro(retro) => DecoderKind::Retro(*retro),
            },
        }
    }

    /// Decodes `input` whole, with no state carried in: `Ok` with the text and how
    /// many bytes at its end are the first bytes of a character still to come (never
    /// with `last`), `Err` at the first byte that is not valid. For strict reads,
    /// which keep those last bytes themselves so that a failed read can hand back
    /// every byte it stands for.
    pub fn decode_strict(&self, input: &[u8], last: bool) -> Result<(String, usize), ()> {
        let mut out = String::with_capacity(input.len());
        match self {
            Charset::Standard(encoding) => {
                // As a stream: any malformed byte is a real one.
                let mut streaming = encoding.new_decoder_without_bom_handling();
                if decode_all(&mut streaming, input, false, &mut out).is_some() {
                    return Err(());
                }
                // As a whole: the only malformed bytes left are a character cut off
                // at the end, whose first bytes wait for the rest.
                let mut whole = encoding.new_decoder_without_bom_handling();
                let mut scratch = String::new();
                match (decode_all(&mut whole, input, true, &mut scratch), last) {
                    (None, _) => Ok((out, 0)),
                    (Some(bad), false) => Ok((out, bad)),
                    (Some(_), true) => Err(()),
                }
            }
            Charset::Oem(_) | Charset::Retro(_) => {
                let mut decoder = self.decoder();
                match decoder.decode_with(input, true, &mut out, DecodeErrors::Strict) {
                    false => Ok((out, 0)),
                    true => Err(()),
                }
            }
        }
    }

    /// The byte that ends a line in this charset besides LF and CR: ATASCII's
    /// end of line 0x9B, PETSCII's SHIFT-RETURN 0x8D.
    pub fn line_end_byte(&self) -> Option<u8> {
        match self {
            Charset::Retro(retro) => retro.line_end_byte(),
            _ => None,
        }
    }

    /// Whether every character is one byte (everything but UTF-8, the CJK
    /// encodings and UTF-16): a line editor then erases one byte per character.
    pub fn is_single_byte(&self) -> bool {
        match self {
            Charset::Standard(encoding) => encoding.is_single_byte(),
            Charset::Oem(_) | Charset::Retro(_) => true,
        }
    }

    /// The bytes a terminal in this charset sends to erase a character: BS and DEL,
    /// or ATASCII's and PETSCII's own.
    pub fn erase_bytes(&self) -> &'static [u8] {
        match self {
            Charset::Retro(retro) => retro.erase_bytes(),
            _ => b"\x08\x7f",
        }
    }

    /// What moves a terminal in this charset to a new line: CR LF, or ATASCII's end
    /// of line, or PETSCII's RETURN.
    pub fn newline(&self) -> &'static [u8] {
        match self {
            Charset::Retro(retro) => retro.newline().unwrap_or(b"\r\n"),
            _ => b"\r\n",
        }
    }

    /// Encodes text; characters the charset cannot represent become `?`.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        match self {
            Charset::Standard(encoding) if *encoding == encoding_rs::UTF_8 => {
                text.as_bytes().to_vec()
            }
            Charset::Standard(encoding) => encode_standard(encoding.output_encoding(), text),
            Charset::Oem(number) => match ENCODING_TABLE_CP_MAP.get(number) {
                Some(table) => oem_cp::encode_string_lossy(text, table),
                None => text
                    .bytes()
                    .map(|b| if b.is_ascii() { b } else { b'?' })
                    .collect(),
            },
            Charset::Retro(retro) => retro.encode_str(text),
        }
    }
}

/// Decodes `input` into `out` until the first malformed sequence; its length if
/// there is one.
fn decode_all(
    decoder: &mut encoding_rs::Decoder,
    input: &[u8],
    last: bool,
    out: &mut String,
) -> Option<usize> {
    let mut rest = input;
    loop {
        let room = decoder
            .max_utf8_buffer_length_without_replacement(rest.len())
            .unwrap_or(rest.len() * 3 + 16);
        out.reserve(room);
        let (result, read) = decoder.decode_to_string_without_replacement(rest, out, last);
        rest = &rest[read..];
        match result {
            DecoderResult::InputEmpty => return None,
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(bad, _) => return Some(usize::from(bad)),
        }
    }
}

fn encode_standard(encoding: &'static encoding_rs::Encoding, text: &str) -> Vec<u8> {
    let mut encoder = encoding.new_encoder();
    let mut out = Vec::with_capacity(text.len() + 8);
    let mut rest = text;
    loop {
        let room = encoder
            .max_buffer_length_from_utf8_without_replacement(rest.len())
            .unwrap_or(rest.len() * 4 + 16);
        out.reserve(room);
        let (result, read) =
            encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
        rest = &rest[read..];
        match result {
            EncoderResult::InputEmpty => return out,
            EncoderResult::OutputFull => {}
            EncoderResult::Unmappable(_) => out.push(b'?'),
        }
    }
}

/// The decoding state of one direction of a connection.
pub struct TextDecoder {
    kind: DecoderKind,
}

enum DecoderKind {
    Standard(encoding_rs::Decoder),
    Oem(u16),
    Retro(Retro),
}

impl std::fmt::Debug for TextDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TextDecoder")
    }
}

/// What decoding does with bytes that are not valid in the encoding (Python's
/// `errors=`): the connection setting
/// [`ConnectionConfig::decode_errors`](crate::ConnectionConfig::decode_errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DecodeErrors {
    /// Each becomes U+FFFD (the default).
    #[default]
    Replace,
    /// They are dropped.
    Ignore,
    /// The `_str` read fails with [`Error::Decode`], which
    /// holds the bytes it took.
    Strict,
}

impl TextDecoder {
    /// Decodes `bytes`, appending to `out`, with `errors` deciding what malformed
    /// input becomes (with `Strict`, U+FFFD as with `Replace`: the caller fails the
    /// read). Returns whether there was any. With `last`, an incomplete trailing
    /// character counts as malformed instead of being kept for the next call.
    pub fn decode_with(
        &mut self,
        bytes: &[u8],
        last: bool,
        out: &mut String,
        errors: DecodeErrors,
    ) -> bool {
        let mut malformed = false;
        let mut bad = |out: &mut String| {
            malformed = true;
            if errors != DecodeErrors::Ignore {
                out.push('\u{fffd}');
            }
        };
        match &mut self.kind {
            DecoderKind::Standard(decoder) => {
                let mut rest = bytes;
                loop {
                    let room = decoder
                        .max_utf8_buffer_length_without_replacement(rest.len())
                        .unwrap_or(rest.len() * 3 + 16);
                    out.reserve(room);
                    let (result, read) =
                        decoder.decode_to_string_without_replacement(rest, out, last);
                    rest = &rest[read..];
                    match result {
                        DecoderResult::InputEmpty => break,
                        DecoderResult::OutputFull => {}
                        DecoderResult::Malformed(..) => bad(out),
                    }
                }
            }
            DecoderKind::Oem(number) => match DECODING_TABLE_CP_MAP.get(number) {
                Some(TableType::Complete(table)) => {
                    out.push_str(&oem_cp::decode_string_complete_table(bytes, table));
                }
                Some(TableType::Incomplete(table)) => {
                    for &byte in bytes {
                        match byte {
                            0..0x80 => out.push(char::from(byte)),
                            _ => match table[usize::from(byte & 0x7f)] {
                                Some(c) => out.push(c),
                                None => bad(out),
                            },
                        }
                    }
                }
                None => {
                    for chunk in bytes.utf8_chunks() {
                        out.push_str(chunk.valid());
                        if !chunk.invalid().is_empty() {
                            bad(out);
                        }
                    }
                }
            },
            DecoderKind::Retro(retro) => out.extend(bytes.iter().map(|&b| retro.decode(b))),
        }
        malformed
    }

    /// Decodes `bytes`, appending to `out`. Malformed input becomes U+FFFD; it never
    /// fails and never stalls. With `last`, an incomplete trailing character is
    /// flushed as U+FFFD instead of being kept for the next call.
    pub fn decode(&mut self, bytes: &[u8], last: bool, out: &mut String) {
        self.decode_with(bytes, last, out, DecodeErrors::Replace);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_decoding_keeps_the_first_bytes_of_a_character_to_come() {
        let utf8 = Charset::for_name("UTF-8").unwrap();
        let bytes = "aé€".as_bytes();
        assert_eq!(utf8.decode_strict(bytes, false), Ok(("aé€".to_owned(), 0)));
        assert_eq!(
            utf8.decode_strict(&bytes[..4], false),
            Ok(("aé".to_owned(), 1))
        );
        assert_eq!(
            utf8.decode_strict(&bytes[..5], false),
            Ok(("aé".to_owned(), 2))
        );
        // At the end of the stream a cut character is malformed.
        assert_eq!(utf8.decode_strict(&bytes[..5], true), Err(()));
        assert_eq!(utf8.decode_strict(b"a\xfeb", false), Err(()));
        assert_eq!(utf8.decode_strict(b"a\xfe", false), Err(()));
        let cp437 = Charset::for_name("cp437").unwrap();
        assert_eq!(cp437.decode_strict(b"\x82", false), Ok(("é".to_owned(), 0)));
    }

    #[test]
    fn names_resolve_as_users_and_peers_spell_them() {
        assert_eq!(Charset::for_name("UTF8").unwrap().name(), "UTF-8");
        assert_eq!(Charset::for_name("utf-8").unwrap().name(), "UTF-8");
        assert_eq!(Charset::for_name("cp437"), Some(Charset::Oem(437)));
        assert_eq!(Charset::for_name("IBM437"), Some(Charset::Oem(437)));
        assert_eq!(Charset::for_name("cp-866"), Some(Charset::Oem(866)));
        assert_eq!(Charset::for_name("Shift_JIS").unwrap().name(), "Shift_JIS");
        assert_eq!(Charset::for_name("latin1").unwrap().name(), "windows-1252");
        assert!(Charset::for_name("klingon").is_none());
        assert!(
            Encoding::for_label("klingon")
                .unwrap_err()
                .to_string()
                .contains("klingon")
        );
    }

    #[test]
    fn a_character_split_across_calls_decodes_once() {
        let mut decoder = Charset::for_name("utf-8").unwrap().decoder();
        let mut text = String::new();
        decoder.decode(b"caf\xc3", false, &mut text);
        assert_eq!(text, "caf");
        decoder.decode(b"\xa9!", false, &mut text);
        assert_eq!(text, "café!");
    }

    #[test]
    fn malformed_input_becomes_replacement_characters() {
        let mut decoder = Charset::for_name("utf-8").unwrap().decoder();
        let mut text = String::new();
        decoder.decode(b"a\xffb\xc3", true, &mut text);
        assert_eq!(text, "a\u{fffd}b\u{fffd}");
    }

    #[test]
    fn cp437_round_trips_box_drawing() {
        let cp437 = Charset::for_name("cp437").unwrap();
        let bytes = cp437.encode("╔═╗ ½");
        assert_eq!(bytes, [0xc9, 0xcd, 0xbb, b' ', 0xab]);
        let mut text = String::new();
        cp437.decoder().decode(&bytes, true, &mut text);
        assert_eq!(text, "╔═╗ ½");
    }

    #[test]
    fn unmappable_characters_encode_as_question_marks() {
        let latin1 = Charset::for_name("latin1").unwrap();
        assert_eq!(latin1.encode("é日"), [0xe9, b'?']);
        let koi8 = Charset::for_name("koi8-r").unwrap();
        assert_eq!(koi8.encode("Да"), [0xe4, 0xc1]);
    }
}
