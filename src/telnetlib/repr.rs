//! Python's `repr()` of a `bytes` object, for debug messages that read exactly like
//! telnetlib's (`recv b'login: '`).

use std::fmt::Write;

/// `b'...'` as CPython 3 prints it: printable ASCII as is, `\t \n \r \\` and the quote
/// escaped, everything else as `\xNN`; double quotes when the bytes hold a single quote
/// and no double quote.
pub(crate) fn bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('b');
    out.push(quote as char);
    for &byte in bytes {
        match byte {
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\\' => out.push_str("\\\\"),
            _ if byte == quote => {
                out.push('\\');
                out.push(byte as char);
            }
            0x20..=0x7e => out.push(byte as char),
            _ => {
                let _ = write!(out, "\\x{byte:02x}");
            }
        }
    }
    out.push(quote as char);
    out
}

#[cfg(test)]
mod tests {
    use super::bytes_repr;

    #[test]
    fn matches_python_repr() {
        assert_eq!(bytes_repr(b""), "b''");
        assert_eq!(bytes_repr(b"login: "), "b'login: '");
        assert_eq!(
            bytes_repr(b"\xff\xfd\x01\r\n\t\\"),
            "b'\\xff\\xfd\\x01\\r\\n\\t\\\\'"
        );
        assert_eq!(bytes_repr(b"it's"), "b\"it's\"");
        assert_eq!(bytes_repr(b"'\""), "b'\\'\"'");
        assert_eq!(bytes_repr(b"\x7f\x00"), "b'\\x7f\\x00'");
    }
}
