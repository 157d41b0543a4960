//! Caret colour codes and word wrapping for MUD/BBS style servers.
//!
//! This module owns the small text-formatting toolkit of the miniboa-style server:
//!
//! - the caret code table (`^r` for red, `^~` for reset, …) and its named constants
//!   ([`RED`], [`RESET`], …);
//! - [`colorize`], which turns caret codes into ANSI/xterm escape sequences or removes
//!   them for clients that do not want colour, and [`strip_caret_codes`];
//! - [`word_wrap`], which breaks a block of text into indented, padded lines.
//!
//! It mirrors `miniboa/xterm.py` from Python miniboa 1.0.9: the same codes, the same
//! sequences, the same wrapping rules (quirks included, see [`word_wrap`]).
//!
//! One deliberate fix: miniboa protects `^^` by first replacing it with a NUL character
//! and turning every NUL back into `^` at the end, so a NUL already present in the input
//! comes out as a `^`. Here the codes are translated in a single left-to-right pass, so
//! a NUL in the input stays a NUL. For every input without NUL the result is the same as
//! miniboa's.

/// Caret code for black text (`ESC[22;30m`).
pub const BLACK: &str = "^k";
/// Caret code for red text (`ESC[22;31m`).
pub const RED: &str = "^r";
/// Caret code for green text (`ESC[22;32m`).
pub const GREEN: &str = "^g";
/// Caret code for yellow text (`ESC[22;33m`).
pub const YELLOW: &str = "^y";
/// Caret code for blue text (`ESC[22;34m`).
pub const BLUE: &str = "^b";
/// Caret code for magenta text (`ESC[22;35m`).
pub const MAGENTA: &str = "^m";
/// Caret code for cyan text (`ESC[22;36m`).
pub const CYAN: &str = "^c";
/// Caret code for white text (`ESC[22;37m`).
pub const WHITE: &str = "^w";
/// Caret code for bright (bold) black text (`ESC[1;30m`).
pub const BRIGHT_BLACK: &str = "^K";
/// Caret code for bright (bold) red text (`ESC[1;31m`).
pub const BRIGHT_RED: &str = "^R";
/// Caret code for bright (bold) green text (`ESC[1;32m`).
pub const BRIGHT_GREEN: &str = "^G";
/// Caret code for bright (bold) yellow text (`ESC[1;33m`).
pub const BRIGHT_YELLOW: &str = "^Y";
/// Caret code for bright (bold) blue text (`ESC[1;34m`).
pub const BRIGHT_BLUE: &str = "^B";
/// Caret code for bright (bold) magenta text (`ESC[1;35m`).
pub const BRIGHT_MAGENTA: &str = "^M";
/// Caret code for bright (bold) cyan text (`ESC[1;36m`).
pub const BRIGHT_CYAN: &str = "^C";
/// Caret code for bright (bold) white text (`ESC[1;37m`).
pub const BRIGHT_WHITE: &str = "^W";
/// Caret code for a black background (`ESC[40m`).
pub const BLACK_BG: &str = "^0";
/// Caret code for a red background (`ESC[41m`).
pub const RED_BG: &str = "^1";
/// Caret code for a green background (`ESC[42m`).
pub const GREEN_BG: &str = "^2";
/// Caret code for a yellow background (`ESC[43m`).
pub const YELLOW_BG: &str = "^3";
/// Caret code for a blue background (`ESC[44m`).
pub const BLUE_BG: &str = "^4";
/// Caret code for a magenta background (`ESC[45m`).
pub const MAGENTA_BG: &str = "^5";
/// Caret code for a cyan background (`ESC[46m`).
pub const CYAN_BG: &str = "^6";
/// Caret code restoring the default foreground and background colours (`ESC[39;49m`).
pub const DEFAULT: &str = "^d";
/// Caret code turning inverse video on (`ESC[7m`).
pub const INVERSE: &str = "^I";
/// Caret code turning inverse video off (`ESC[27m`).
pub const INVERSE_OFF: &str = "^i";
/// Caret code resetting all attributes (`ESC[0m`).
pub const RESET: &str = "^~";
/// Caret code turning underline on (`ESC[4m`).
pub const UNDERLINE: &str = "^U";
/// Caret code turning underline off (`ESC[24m`).
pub const UNDERLINE_OFF: &str = "^u";
/// Caret code turning bold on (`ESC[1m`).
pub const BOLD: &str = "^!";
/// Caret code turning bold off (`ESC[22m`).
pub const BOLD_OFF: &str = "^.";
/// Caret code clearing the whole screen (`ESC[2J`).
pub const CLEAR_SCREEN: &str = "^s";
/// Caret code clearing the current line (`ESC[2K`).
pub const CLEAR_LINE: &str = "^l";

/// Default `indent` of [`word_wrap`], as in miniboa.
pub const DEFAULT_INDENT: usize = 4;
/// Default `padding` of [`word_wrap`], as in miniboa.
pub const DEFAULT_PADDING: usize = 2;

/// The code table: the character following `^`, and the ANSI sequence it stands for.
const ANSI_CODES: &[(char, &str)] = &[
    ('k', "\x1b[22;30m"),
    ('K', "\x1b[1;30m"),
    ('r', "\x1b[22;31m"),
    ('R', "\x1b[1;31m"),
    ('g', "\x1b[22;32m"),
    ('G', "\x1b[1;32m"),
    ('y', "\x1b[22;33m"),
    ('Y', "\x1b[1;33m"),
    ('b', "\x1b[22;34m"),
    ('B', "\x1b[1;34m"),
    ('m', "\x1b[22;35m"),
    ('M', "\x1b[1;35m"),
    ('c', "\x1b[22;36m"),
    ('C', "\x1b[1;36m"),
    ('w', "\x1b[22;37m"),
    ('W', "\x1b[1;37m"),
    ('0', "\x1b[40m"),
    ('1', "\x1b[41m"),
    ('2', "\x1b[42m"),
    ('3', "\x1b[43m"),
    ('4', "\x1b[44m"),
    ('5', "\x1b[45m"),
    ('6', "\x1b[46m"),
    ('d', "\x1b[39;49m"),
    ('I', "\x1b[7m"),
    ('i', "\x1b[27m"),
    ('~', "\x1b[0m"),
    ('U', "\x1b[4m"),
    ('u', "\x1b[24m"),
    ('!', "\x1b[1m"),
    ('.', "\x1b[22m"),
    ('s', "\x1b[2J"),
    ('l', "\x1b[2K"),
];

/// The ANSI sequence of the caret code `^code`, if `code` is in the table.
fn ansi_sequence(code: char) -> Option<&'static str> {
    ANSI_CODES
        .iter()
        .find(|&&(c, _)| c == code)
        .map(|&(_, sequence)| sequence)
}

/// Replaces caret codes with ANSI sequences (`ansi == true`) or removes them
/// (`ansi == false`), like miniboa's `colorize`.
///
/// - `^` followed by a character of the code table (see the constants of this module,
///   e.g. [`RED`] = `^r`) becomes that code's sequence, or nothing without `ansi`;
/// - `^^` becomes a literal `^` in both modes (so `^^r` gives `^r`, not red);
/// - a `^` followed by any other character, or at the end of the text, is kept as is;
/// - everything else, NUL included, is copied unchanged.
///
/// The text is scanned once, left to right.
///
/// ```text
/// colorize("^rred^~ ^^r ^s", true)  == "\x1b[22;31mred\x1b[0m ^r \x1b[2J"
/// colorize("^rred^~ ^^r ^s", false) == "red ^r "
/// ```
#[must_use]
pub fn colorize(text: &str, ansi: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '^' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('^') => {
                out.push('^');
                chars.next();
            }
            Some(code) => match ansi_sequence(code) {
                Some(sequence) => {
                    if ansi {
                        out.push_str(sequence);
                    }
                    chars.next();
                }
                // Not a code: keep the caret; the next character is copied on its own.
                None => out.push('^'),
            },
            None => out.push('^'),
        }
    }
    out
}

/// Removes every caret code from `text`, turning `^^` into `^`; the same as
/// [`colorize`]`(text, false)`.
///
/// Useful to measure or log text meant for [`colorize`], or to send it to a client
/// without colour support.
#[must_use]
pub fn strip_caret_codes(text: &str) -> String {
    colorize(text, false)
}

/// Whitespace as Python's `str.isspace` and `str.split()` see it: Unicode `White_Space`
/// plus the ASCII separators U+001C to U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Breaks `text` into lines of at most `columns - padding` characters, like miniboa's
/// `word_wrap` (its defaults are `columns = 80`, [`DEFAULT_INDENT`] and
/// [`DEFAULT_PADDING`]).
///
/// - Paragraphs are separated by a blank line (a run of whitespace holding at least two
///   newlines, miniboa's `\n\s*\n`); paragraphs holding only whitespace are skipped.
/// - Words are split on whitespace; the line width is `columns - padding` (0 if
///   `padding >= columns`); lengths count characters (Unicode scalar values, as Python's
///   `len`).
/// - Each paragraph starts a line with `indent` spaces, and every word is appended as a
///   space plus the word, so the first line of a paragraph begins with `indent + 1`
///   spaces (miniboa's quirk, kept on purpose).
/// - When appending the space and the word would make the line longer than the width,
///   the line is emitted and the next one starts with `padding` spaces followed directly
///   by the word. A word longer than the width therefore ends up alone on its line,
///   which may be longer than the width; the function never splits words.
/// - Each paragraph's last line is emitted; the lines carry no newline.
///
/// Caret codes are not interpreted: like miniboa, the raw text is wrapped and every code
/// counts toward the line length with its two characters. Wrap first, then
/// [`colorize`] each line.
///
/// Only where miniboa would emit a line holding nothing but spaces (the indent alone,
/// when the first word of a paragraph is already too long, or an empty line for empty
/// text with `indent == 0`) is such a line left out.
///
/// ```text
/// word_wrap("The quick brown fox jumps over the lazy dog and keeps running far away.\n\
///            \nSecond paragraph here.", 30, 4, 2)
///     == ["     The quick brown fox",
///         "  jumps over the lazy dog",
///         "  and keeps running far",
///         "  away.",
///         "     Second paragraph here."]
/// ```
#[must_use]
pub fn word_wrap(text: &str, columns: usize, indent: usize, padding: usize) -> Vec<String> {
    let width = columns.saturating_sub(padding);
    let mut lines = Vec::new();
    // The line being built, its length in characters, and whether it holds a word yet.
    let mut line = String::new();
    let mut line_len = 0usize;
    let mut has_word = false;
    // Newlines seen in the whitespace run since the previous word.
    let mut newlines = 0usize;
    let mut rest = text;

    loop {
        // Skip the whitespace before the next word, counting its newlines.
        let start = rest
            .char_indices()
            .find(|&(_, c)| !is_py_space(c))
            .map(|(i, _)| i);
        let Some(start) = start else { break };
        newlines += rest[..start].chars().filter(|&c| c == '\n').count();
        rest = &rest[start..];
        let end = rest
            .char_indices()
            .find(|&(_, c)| is_py_space(c))
            .map_or(rest.len(), |(i, _)| i);
        let (word, tail) = rest.split_at(end);
        rest = tail;

        // A blank line between two words closes the paragraph.
        if has_word && newlines >= 2 {
            lines.push(std::mem::take(&mut line));
            has_word = false;
        }
        newlines = 0;
        if !has_word {
            line = " ".repeat(indent);
            line_len = indent;
        }

        let word_len = word.chars().count();
        if line_len.saturating_add(1).saturating_add(word_len) > width {
            if has_word {
                lines.push(std::mem::take(&mut line));
            }
            line = " ".repeat(padding);
            line.push_str(word);
            line_len = padding.saturating_add(word_len);
        } else {
            line.push(' ');
            line.push_str(word);
            line_len += 1 + word_len;
        }
        has_word = true;
    }
    if has_word {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every named constant with the sequence it must produce.
    const NAMED: &[(&str, &str)] = &[
        (BLACK, "\x1b[22;30m"),
        (RED, "\x1b[22;31m"),
        (GREEN, "\x1b[22;32m"),
        (YELLOW, "\x1b[22;33m"),
        (BLUE, "\x1b[22;34m"),
        (MAGENTA, "\x1b[22;35m"),
        (CYAN, "\x1b[22;36m"),
        (WHITE, "\x1b[22;37m"),
        (BRIGHT_BLACK, "\x1b[1;30m"),
        (BRIGHT_RED, "\x1b[1;31m"),
        (BRIGHT_GREEN, "\x1b[1;32m"),
        (BRIGHT_YELLOW, "\x1b[1;33m"),
        (BRIGHT_BLUE, "\x1b[1;34m"),
        (BRIGHT_MAGENTA, "\x1b[1;35m"),
        (BRIGHT_CYAN, "\x1b[1;36m"),
        (BRIGHT_WHITE, "\x1b[1;37m"),
        (BLACK_BG, "\x1b[40m"),
        (RED_BG, "\x1b[41m"),
        (GREEN_BG, "\x1b[42m"),
        (YELLOW_BG, "\x1b[43m"),
        (BLUE_BG, "\x1b[44m"),
        (MAGENTA_BG, "\x1b[45m"),
        (CYAN_BG, "\x1b[46m"),
        (DEFAULT, "\x1b[39;49m"),
        (INVERSE, "\x1b[7m"),
        (INVERSE_OFF, "\x1b[27m"),
        (RESET, "\x1b[0m"),
        (UNDERLINE, "\x1b[4m"),
        (UNDERLINE_OFF, "\x1b[24m"),
        (BOLD, "\x1b[1m"),
        (BOLD_OFF, "\x1b[22m"),
        (CLEAR_SCREEN, "\x1b[2J"),
        (CLEAR_LINE, "\x1b[2K"),
    ];

    #[test]
    fn explicit_codes() {
        assert_eq!(colorize("^k", true), "\x1b[22;30m");
        assert_eq!(colorize("^R", true), "\x1b[1;31m");
        assert_eq!(colorize("^3", true), "\x1b[43m");
        assert_eq!(colorize("^d", true), "\x1b[39;49m");
        assert_eq!(colorize("^~", true), "\x1b[0m");
        assert_eq!(colorize("^!", true), "\x1b[1m");
        assert_eq!(colorize("^.", true), "\x1b[22m");
        assert_eq!(colorize("^l", true), "\x1b[2K");
    }

    #[test]
    fn every_table_code_colorizes_and_strips() {
        assert_eq!(ANSI_CODES.len(), 33);
        for &(code, sequence) in ANSI_CODES {
            let token = format!("^{code}");
            assert_eq!(colorize(&token, true), sequence, "code {token}");
            assert_eq!(colorize(&token, false), "", "code {token}");
            assert_eq!(strip_caret_codes(&token), "", "code {token}");
            let framed = format!("a{token}b");
            assert_eq!(colorize(&framed, true), format!("a{sequence}b"));
            assert_eq!(strip_caret_codes(&framed), "ab");
        }
    }

    #[test]
    fn named_constants_match_table() {
        assert_eq!(NAMED.len(), ANSI_CODES.len());
        for &(name, sequence) in NAMED {
            assert_eq!(name.len(), 2);
            assert!(name.starts_with('^'));
            assert_eq!(colorize(name, true), sequence, "constant {name}");
            assert_eq!(strip_caret_codes(name), "", "constant {name}");
        }
        // Distinct codes.
        for (i, &(a, _)) in NAMED.iter().enumerate() {
            for &(b, _) in &NAMED[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn brief_example() {
        assert_eq!(
            colorize("^rred^~ ^^r ^s", true),
            "\x1b[22;31mred\x1b[0m ^r \x1b[2J"
        );
        assert_eq!(colorize("^rred^~ ^^r ^s", false), "red ^r ");
        assert_eq!(strip_caret_codes("^rred^~ ^^r ^s"), "red ^r ");
    }

    #[test]
    fn double_caret_is_literal() {
        assert_eq!(colorize("^^", true), "^");
        assert_eq!(colorize("^^", false), "^");
        assert_eq!(colorize("^^^^", true), "^^");
        assert_eq!(colorize("^^^r", true), "^\x1b[22;31m");
        assert_eq!(colorize("^^^r", false), "^");
        assert_eq!(colorize("a^^b", true), "a^b");
    }

    #[test]
    fn unknown_and_trailing_caret_kept() {
        assert_eq!(colorize("^x", true), "^x");
        assert_eq!(colorize("^x", false), "^x");
        assert_eq!(colorize("^ ", true), "^ ");
        assert_eq!(colorize("^é^r", true), "^é\x1b[22;31m");
        assert_eq!(colorize("end^", true), "end^");
        assert_eq!(colorize("end^", false), "end^");
        assert_eq!(colorize("^", true), "^");
        assert_eq!(colorize("^^^", true), "^^");
        assert_eq!(colorize("", true), "");
        assert_eq!(colorize("plain text", true), "plain text");
    }

    #[test]
    fn nul_is_preserved() {
        assert_eq!(colorize("a\0b", true), "a\0b");
        assert_eq!(colorize("a\0b", false), "a\0b");
        assert_eq!(colorize("\0^^\0^r", true), "\0^\0\x1b[22;31m");
        assert_eq!(strip_caret_codes("\0^^\0^r"), "\0^\0");
    }

    #[test]
    fn word_wrap_miniboa_example() {
        let text = "The quick brown fox jumps over the lazy dog and keeps running far away.\n\nSecond paragraph here.";
        assert_eq!(
            word_wrap(text, 30, DEFAULT_INDENT, DEFAULT_PADDING),
            vec![
                "     The quick brown fox",
                "  jumps over the lazy dog",
                "  and keeps running far",
                "  away.",
                "     Second paragraph here.",
            ]
        );
    }

    #[test]
    fn word_wrap_paragraph_breaks() {
        // A single newline does not break the paragraph.
        assert_eq!(word_wrap("a\nb", 80, 4, 2), vec!["     a b"]);
        // Whitespace between the two newlines still makes a blank line.
        assert_eq!(
            word_wrap("a\n \t\n\n b", 80, 4, 2),
            vec!["     a", "     b"]
        );
        // Whitespace-only paragraphs are skipped.
        assert_eq!(word_wrap("\n\n  \n\na\n\n\n\n", 80, 0, 0), vec![" a"]);
    }

    #[test]
    fn word_wrap_too_long_word() {
        let lines = word_wrap("tiny supercalifragilistic end", 12, 0, 2);
        assert_eq!(lines, vec![" tiny", "  supercalifragilistic", "  end"]);
        // First word already too long: no indent-only line.
        let lines = word_wrap("supercalifragilistic end", 12, 4, 2);
        assert_eq!(lines, vec!["  supercalifragilistic", "  end"]);
    }

    #[test]
    fn word_wrap_zero_columns() {
        assert_eq!(word_wrap("a bc", 0, 4, 2), vec!["  a", "  bc"]);
        assert_eq!(word_wrap("a bc", 0, 0, 0), vec!["a", "bc"]);
        assert_eq!(word_wrap("a", 1, 0, 5), vec!["     a"]);
    }

    #[test]
    fn word_wrap_empty_text() {
        assert!(word_wrap("", 80, 4, 2).is_empty());
        assert!(word_wrap("", 80, 0, 0).is_empty());
        assert!(word_wrap(" \n\t\n ", 80, 4, 2).is_empty());
    }

    #[test]
    fn word_wrap_counts_chars_and_caret_codes() {
        // "héllo" is 5 characters (6 bytes): " héllo" fits in 6 columns.
        assert_eq!(word_wrap("héllo", 6, 0, 0), vec![" héllo"]);
        // Caret codes count with their two characters.
        assert_eq!(word_wrap("^rab", 4, 0, 0), vec!["^rab"]);
        assert_eq!(word_wrap("^rab", 5, 0, 0), vec![" ^rab"]);
    }
}
