//! OLD-ENVIRON (RFC 1408) and the RFC 1571 interoperability rules.
//!
//! OLD-ENVIRON's messages are NEW_ENVIRON's ([`environ`]), but RFC 1408
//! numbers VAR 0 and VALUE 1 while the BSD implementation it was meant to describe uses
//! VAR 1 and VALUE 0. RFC 1571 says how each side guesses which numbering its peer
//! uses; this module implements those guesses and converts payloads between the two, so
//! the rest of the code only ever sees RFC numbering.

use super::environ::{self, ESC, INFO, IS, SEND, USERVAR, VALUE, VAR};

/// Which numbering of VAR and VALUE an OLD-ENVIRON peer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// RFC 1408 as written: VAR 0, VALUE 1.
    #[default]
    Rfc,
    /// The BSD numbering: VAR 1, VALUE 0.
    Reversed,
}

/// Converts a payload between the two numberings: swaps the VAR and VALUE type bytes
/// after the command byte, leaving escaped bytes alone. Its own inverse, and the
/// identity for [`Dialect::Rfc`].
///
/// ```
/// use telnetlib::proto::old_environ::{convert, Dialect};
/// assert_eq!(convert(b"\x00\x01USER\x00bob", Dialect::Reversed), b"\x00\x00USER\x01bob");
/// ```
pub fn convert(payload: &[u8], dialect: Dialect) -> Vec<u8> {
    let mut out = payload.to_vec();
    if dialect == Dialect::Rfc || out.is_empty() {
        return out;
    }
    let mut escaped = false;
    for byte in &mut out[1..] {
        if escaped {
            escaped = false;
            continue;
        }
        match *byte {
            ESC => escaped = true,
            VAR => *byte = VALUE,
            VALUE => *byte = VAR,
            _ => {}
        }
    }
    out
}

/// RFC 1571 §2, the client's guess from a `SEND`: a VALUE in a request means the
/// server numbers them the BSD way (requests only hold VAR and USERVAR). `None` when
/// the payload is not a `SEND`.
///
/// ```
/// use telnetlib::proto::old_environ::{dialect_of_request, Dialect};
/// assert_eq!(dialect_of_request(b"\x01\x00USER"), Some(Dialect::Rfc));
/// assert_eq!(dialect_of_request(b"\x01\x01USER"), Some(Dialect::Reversed));
/// ```
pub fn dialect_of_request(payload: &[u8]) -> Option<Dialect> {
    let body = payload.strip_prefix(&[SEND])?;
    let has_value = environ::items(body).iter().any(|(kind, _)| *kind == VALUE);
    Some(if has_value {
        Dialect::Reversed
    } else {
        Dialect::Rfc
    })
}

/// RFC 1571 §3 and §5, the server's guess from an `IS`/`INFO`, rule by rule: the type
/// after IS/INFO; two VARs or two VALUEs in a row; an empty VALUE or VAR; the counts of
/// each type; well-known names after VAR or VALUE; else RFC numbering. `None` when the
/// payload is not an `IS`/`INFO`.
///
/// ```
/// use telnetlib::proto::old_environ::{dialect_of_answer, Dialect};
/// assert_eq!(dialect_of_answer(b"\x00\x00USER\x01bob"), Some(Dialect::Rfc));
/// assert_eq!(dialect_of_answer(b"\x00\x01USER\x00bob"), Some(Dialect::Reversed));
/// ```
pub fn dialect_of_answer(payload: &[u8]) -> Option<Dialect> {
    let (&command, body) = payload.split_first()?;
    if command != IS && command != INFO {
        return None;
    }
    let items = environ::items(body);
    let kinds: Vec<u8> = items.iter().map(|(kind, _)| *kind).collect();
    let guess = |ok: bool| if ok { Dialect::Rfc } else { Dialect::Reversed };
    // The first item's type.
    match kinds.first() {
        Some(&VAR) => return Some(Dialect::Rfc),
        Some(&VALUE) => return Some(Dialect::Reversed),
        _ => {}
    }
    // Two of a kind in a row: a VAR without a value is fine, two VALUEs are not.
    for pair in kinds.windows(2) {
        match pair {
            [VAR, VAR] => return Some(Dialect::Rfc),
            [VALUE, VALUE] => return Some(Dialect::Reversed),
            _ => {}
        }
    }
    // An empty value is plausible, an empty name is not.
    for (kind, text) in &items {
        if text.is_empty() && (*kind == VAR || *kind == VALUE) {
            return Some(guess(*kind == VALUE));
        }
    }
    let count = |kind: u8| kinds.iter().filter(|&&k| k == kind).count();
    let (vars, values, uservars) = (count(VAR), count(VALUE), count(USERVAR));
    if uservars + vars == values {
        return Some(Dialect::Rfc);
    }
    if uservars + values == vars {
        return Some(Dialect::Reversed);
    }
    let well_known = |kind: u8| {
        items.iter().any(|(k, text)| {
            *k == kind && environ::VarKind::for_name(text) == environ::VarKind::Var
        })
    };
    if well_known(VAR) {
        return Some(Dialect::Rfc);
    }
    if well_known(VALUE) {
        return Some(Dialect::Reversed);
    }
    Some(Dialect::Rfc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_leaves_escaped_bytes_and_the_command_alone() {
        let payload = b"\x01\x00A\x02\x00B\x01";
        let reversed = convert(payload, Dialect::Reversed);
        assert_eq!(reversed, b"\x01\x01A\x02\x00B\x00");
        assert_eq!(convert(&reversed, Dialect::Reversed), payload);
    }

    /// Each of RFC 1571's server rules decides on its own (the earlier ones not
    /// applying).
    #[test]
    fn every_server_rule() {
        let cases: [(&[u8], Dialect); 10] = [
            (b"\x00\x03X\x00Y\x00Z", Dialect::Rfc), // consecutive VARs
            (b"\x00\x03X\x01Y\x01Z", Dialect::Reversed), // consecutive VALUEs
            (b"\x00\x03X\x01\x00Y", Dialect::Rfc),  // empty VALUE
            (b"\x00\x03X\x00\x01Y", Dialect::Reversed), // empty VAR
            (b"\x00\x03X\x01x\x00Y\x01y", Dialect::Rfc), // USERVAR+VAR == VALUE
            (b"\x00\x03X\x00x\x01Y\x00y", Dialect::Reversed), // USERVAR+VALUE == VAR
            (b"\x00\x03U\x00x", Dialect::Reversed), // USERVAR+VALUE == VAR again
            (b"\x00\x03U", Dialect::Rfc),           // nothing to go on
            (b"\x02\x01USER", Dialect::Reversed),   // INFO followed by VALUE
            (b"\x00", Dialect::Rfc),
        ];
        for (payload, dialect) in cases {
            assert_eq!(dialect_of_answer(payload), Some(dialect), "{payload:?}");
        }
        assert_eq!(dialect_of_answer(b"\x01\x00X"), None);
    }

    #[test]
    fn well_known_names_decide_when_counts_do_not() {
        // USERVAR X, VAR USER, VALUE?  Counts: uservars 2, vars 1, values 1.
        assert_eq!(
            dialect_of_answer(b"\x00\x03A\x03B\x01a\x00USER"),
            Some(Dialect::Rfc)
        );
        assert_eq!(
            dialect_of_answer(b"\x00\x03A\x03B\x00a\x01USER"),
            Some(Dialect::Reversed)
        );
    }
}
