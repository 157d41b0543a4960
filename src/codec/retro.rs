//! The single-byte character sets of retro BBSes that `encoding_rs` and `oem_cp` lack:
//! ATASCII (Atari 8-bit), PETSCII (Commodore 64/128, shifted mode) and the Atari ST's.
//!
//! Each is written here as the structure of its chart (ASCII ranges, graphics
//! blocks, inverse-video halves) rather than as a flat table, from the machines'
//! published character charts: the Atari 400/800 and XL/XE ATASCII chart, the
//! Commodore 64 Programmer's Reference Guide (appendix C, shifted set) and Unicode's
//! vendor mapping `ATARIST.TXT`. Graphics with no exact Unicode character use the
//! nearest one of Box Drawing, Block Elements, Geometric Shapes and Symbols for Legacy
//! Computing. Every byte decodes; `tests/all/retro_encodings.rs` checks each of the
//! 768 against telnetlib3 5.0.1's codecs of the same names.

use std::collections::HashMap;
use std::sync::OnceLock;

/// One of the retro character sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Retro {
    /// Atari 400/800/XL/XE: ASCII letters and digits, graphics in place of the C0
    /// controls, inverse video in the high half, and 0x9B as the end of a line.
    Atascii,
    /// Commodore 64/128 in shifted (lower-case) mode, the mode BBSes run in.
    Petscii,
    /// The Atari ST: ASCII below 0x80, accented Latin, Hebrew and mathematics above.
    AtariSt,
}

/// ATASCII 0x00..0x20: the graphics that stand where ASCII has control codes.
const ATASCII_GRAPHICS: [char; 32] = [
    '♥',
    '├',
    '⎹',
    '┘',
    '┤',
    '┐',
    '╱',
    '╲',
    '◢',
    '▗',
    '◣',
    '▝',
    '▘',
    '\u{1FB82}',
    '▂',
    '▖', //
    '♣',
    '┌',
    '─',
    '┼',
    '●',
    '▄',
    '▎',
    '┬',
    '┴',
    '▌',
    '└',
    '␛',
    '↑',
    '↓',
    '←',
    '→',
];

/// ATASCII bytes of the inverse-video half whose glyph is a different character from
/// its normal twin's (the complement of a block or a triangle), and the end of line.
const ATASCII_INVERSE: [(u8, char); 15] = [
    (0x82, '▊'),
    (0x88, '◤'),
    (0x89, '▛'),
    (0x8A, '◥'),
    (0x8B, '▙'),
    (0x8C, '▟'),
    (0x8D, '▆'),
    (0x8E, '\u{1FB85}'),
    (0x8F, '▜'),
    (0x94, '◘'),
    (0x95, '▀'),
    (0x96, '\u{1FB8A}'),
    (0x99, '▐'),
    (0x9B, '\n'),
    (0xA0, '█'),
];

/// PETSCII 0x60..0x80 (and again 0xC0 and 0xDB..0xE0): the shifted set's graphics.
const PETSCII_GRAPHICS_LOW: [char; 32] = [
    '─', '♠', '│', '─', '▗', '▖', '▘', '▝', '▙', '▟', '▞', '▕', '▏', '▄', '▀', '█', //
    '▄', '▛', '▃', '♥', '▜', '╭', '╳', '○', '♣', '▚', '♦', '┼', '│', '╱', 'π', '◥',
];

/// PETSCII 0xA0..0xC0 (and again 0xE0..0xFF): the graphics of the Commodore key.
const PETSCII_GRAPHICS_HIGH: [char; 32] = [
    '\u{A0}', '▄', '▀', '─', '─', '─', '│', '│', '│', '╮', '╰', '╯', '╲', '╱', '╳', '•', //
    '◤', '▌', '▗', '└', '┐', '▂', '┌', '┴', '┬', '┤', '├', '▆', '▅', '▐', '█', '╲',
];

/// Atari ST 0x80..0x100.
const ATARI_ST_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', 'ß', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    'ã', 'õ', 'Ø', 'ø', 'œ', 'Œ', 'À', 'Ã', 'Õ', '¨', '´', '†', '¶', '©', '®', '™', //
    'ĳ', 'Ĳ', 'א', 'ב', 'ג', 'ד', 'ה', 'ו', 'ז', 'ח', 'ט', 'י', 'כ', 'ל', 'מ', 'נ', //
    'ס', 'ע', 'פ', 'צ', 'ק', 'ר', 'ש', 'ת', 'ן', 'ך', 'ם', 'ף', 'ץ', '§', '∧', '∞', //
    'α', 'β', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∮', 'φ', '∈', '∩', //
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '³', '¯',
];

impl Retro {
    /// Looks a set up by the names telnetlib3 registers for it, compacted (lower
    /// case, no `-`, `_` or spaces): `atascii`, `atari8bit`; `petscii`, `cbm`,
    /// `commodore`, `c64`, `c128`; `atarist`, `atari`.
    pub fn for_compact_name(compact: &str) -> Option<Retro> {
        match compact {
            "atascii" | "atari8bit" => Some(Retro::Atascii),
            "petscii" | "cbm" | "commodore" | "c64" | "c128" => Some(Retro::Petscii),
            "atarist" | "atari" => Some(Retro::AtariSt),
            _ => None,
        }
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Retro::Atascii => "ATASCII",
            Retro::Petscii => "PETSCII",
            Retro::AtariSt => "ATARIST",
        }
    }

    /// The byte that ends a line besides CR and LF, which `readline` splits at too.
    pub fn line_end_byte(self) -> Option<u8> {
        match self {
            Retro::Atascii => Some(0x9B),
            Retro::Petscii => Some(0x8D),
            Retro::AtariSt => None,
        }
    }

    /// The keys that erase the character before the cursor: ATASCII's BACK S 0x7E,
    /// PETSCII's DEL 0x14, the Atari ST's BS and DEL.
    pub fn erase_bytes(self) -> &'static [u8] {
        match self {
            Retro::Atascii => b"\x7e",
            Retro::Petscii => b"\x14",
            Retro::AtariSt => b"\x08\x7f",
        }
    }

    /// What moves the machine's cursor to a new line (`None`: CR LF).
    pub fn newline(self) -> Option<&'static [u8]> {
        match self {
            Retro::Atascii => Some(b"\x9b"),
            Retro::Petscii => Some(b"\r"),
            Retro::AtariSt => None,
        }
    }

    /// The character a byte stands for; every byte stands for one.
    pub fn decode(self, byte: u8) -> char {
        let index = usize::from(byte);
        match self {
            Retro::Atascii => {
                if let Some(&(_, c)) = ATASCII_INVERSE.iter().find(|(b, _)| *b == byte) {
                    return c;
                }
                // The high half is the low half in inverse video.
                match byte & 0x7F {
                    low @ 0x00..0x20 => ATASCII_GRAPHICS[usize::from(low)],
                    0x60 => '♦',
                    0x7B => '♠',
                    0x7D => '↰', // clear screen
                    0x7E => '◀', // backspace
                    0x7F => '▶', // tab
                    ascii => char::from(ascii),
                }
            }
            Retro::Petscii => match byte {
                // RETURN; 0x8D is SHIFT-RETURN, a new line as well.
                0x8D => '\r',
                // C0 and C1 control codes (colours, cursor moves) pass through as
                // the code points of the same number.
                0x00..0x20 | 0x80..0xA0 => char::from(byte),
                0x41..0x5B => char::from(byte + 0x20),
                0x5C => '£',
                0x5E => '↑',
                0x5F => '←',
                0x20..0x60 => char::from(byte),
                0x60..0x80 => PETSCII_GRAPHICS_LOW[index - 0x60],
                0xA0..0xC0 => PETSCII_GRAPHICS_HIGH[index - 0xA0],
                0xC1..0xDB => char::from(byte - 0x80),
                0xC0..0xE0 => PETSCII_GRAPHICS_LOW[index - 0xC0],
                0xE0..0xFF => PETSCII_GRAPHICS_HIGH[index - 0xE0],
                0xFF => 'π',
            },
            Retro::AtariSt => match byte {
                0x00..0x80 => char::from(byte),
                _ => ATARI_ST_HIGH[index - 0x80],
            },
        }
    }

    /// The byte a character encodes to: the lowest that decodes to it (the normal
    /// rather than the inverse-video ATASCII byte, PETSCII's RETURN 0x0D rather than
    /// SHIFT-RETURN), except that ATASCII writes `\n` and `\r` as its end of line 0x9B.
    /// `None` when no byte stands for it.
    pub fn encode(self, c: char) -> Option<u8> {
        if self == Retro::Atascii && matches!(c, '\n' | '\r') {
            return Some(0x9B);
        }
        self.encoding_table().get(&c).copied()
    }

    /// Encodes text, `?` for characters no byte stands for; ATASCII's CR LF is one
    /// end of line.
    pub fn encode_str(self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if self == Retro::Atascii && c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push(self.encode(c).unwrap_or(b'?'));
        }
        out
    }

    /// Character to byte, built once per set: the lowest byte wins.
    fn encoding_table(self) -> &'static HashMap<char, u8> {
        static TABLES: [OnceLock<HashMap<char, u8>>; 3] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let slot = match self {
            Retro::Atascii => 0,
            Retro::Petscii => 1,
            Retro::AtariSt => 2,
        };
        TABLES[slot].get_or_init(|| {
            let mut table = HashMap::with_capacity(256);
            for byte in (0..=u8::MAX).rev() {
                table.insert(self.decode(byte), byte);
            }
            table
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Retro; 3] = [Retro::Atascii, Retro::Petscii, Retro::AtariSt];

    #[test]
    fn every_character_a_byte_decodes_to_encodes_back_to_a_byte_of_the_same_character() {
        for set in ALL {
            for byte in 0..=u8::MAX {
                let c = set.decode(byte);
                let back = set.encode(c).expect("every decoded character encodes");
                assert_eq!(set.decode(back), c, "{set:?} byte {byte:#04x}");
                assert!(
                    back <= byte || c == '\n',
                    "{set:?} {byte:#04x} → {back:#04x}"
                );
            }
        }
    }

    #[test]
    fn line_ends_are_each_machines_own() {
        assert_eq!(
            Retro::Atascii.encode_str("A\r\nB\nC\rD"),
            b"A\x9bB\x9bC\x9bD"
        );
        assert_eq!(Retro::Atascii.decode(0x9B), '\n');
        assert_eq!(Retro::Petscii.encode_str("Hi\r"), b"\xc8I\x0d");
        assert_eq!(Retro::Petscii.decode(0x8D), '\r');
    }

    #[test]
    fn inverse_video_bytes_encode_as_their_normal_twin() {
        // 0xC1 is an inverse 'A'; 'A' is written as the normal 0x41.
        assert_eq!(Retro::Atascii.decode(0xC1), 'A');
        assert_eq!(Retro::Atascii.encode('A'), Some(0x41));
        // A complement has its own character and byte.
        assert_eq!(Retro::Atascii.encode('█'), Some(0xA0));
    }

    #[test]
    fn characters_no_byte_stands_for_become_question_marks() {
        assert_eq!(Retro::AtariSt.encode_str("é日"), [0x82, b'?']);
        assert_eq!(Retro::Petscii.encode('€'), None);
    }
}
