//! CHARSET (RFC 2066) messages: `REQUEST` with a list of names, and the `ACCEPTED` /
//! `REJECTED` answers; translation tables (`TTABLE-*`) are recognised so they can be
//! refused.

/// `REQUEST [TTABLE] <sep> <name> <sep> <name> …`.
pub const REQUEST: u8 = 1;
/// `ACCEPTED <name>`.
pub const ACCEPTED: u8 = 2;
/// `REJECTED`.
pub const REJECTED: u8 = 3;
/// `TTABLE-IS`: a translation table follows.
pub const TTABLE_IS: u8 = 4;
/// `TTABLE-REJECTED`.
pub const TTABLE_REJECTED: u8 = 5;
/// `TTABLE-ACK`.
pub const TTABLE_ACK: u8 = 6;
/// `TTABLE-NAK`.
pub const TTABLE_NAK: u8 = 7;

/// The charset names offered by a `REQUEST` payload, or `None` if it is not one.
/// The optional `[TTABLE] <version>` prefix is skipped; the first byte after it is the
/// separator.
///
/// ```
/// use telnetlib::proto::charset::parse_request;
/// assert_eq!(parse_request(b"\x01;ISO-8859-1;UTF-8").unwrap(), ["ISO-8859-1", "UTF-8"]);
/// assert_eq!(parse_request(b"\x01[TTABLE]\x01 UTF-8").unwrap(), ["UTF-8"]);
/// ```
pub fn parse_request(payload: &[u8]) -> Option<Vec<String>> {
    let mut body = payload.strip_prefix(&[REQUEST])?;
    if let Some(rest) = body.strip_prefix(b"[TTABLE]") {
        body = rest.get(1..).unwrap_or_default();
    }
    let Some((&separator, names)) = body.split_first() else {
        return Some(Vec::new());
    };
    Some(
        names
            .split(|&b| b == separator)
            .filter(|name| !name.is_empty())
            .map(|name| String::from_utf8_lossy(name).trim().to_owned())
            .collect(),
    )
}

/// A `REQUEST` payload offering `names`, separated by a space.
///
/// ```
/// assert_eq!(telnetlib::proto::charset::request(&["UTF-8", "CP437"]), b"\x01 UTF-8 CP437");
/// ```
pub fn request(names: &[&str]) -> Vec<u8> {
    let mut out = vec![REQUEST];
    for name in names {
        out.push(b' ');
        out.extend_from_slice(name.as_bytes());
    }
    out
}

/// The `ACCEPTED <name>` payload.
pub fn accepted(name: &str) -> Vec<u8> {
    let mut out = vec![ACCEPTED];
    out.extend_from_slice(name.as_bytes());
    out
}

/// The `REJECTED` payload.
pub fn rejected() -> Vec<u8> {
    vec![REJECTED]
}

/// The name in an `ACCEPTED <name>` payload.
pub fn parse_accepted(payload: &[u8]) -> Option<String> {
    let name = payload.strip_prefix(&[ACCEPTED])?;
    Some(String::from_utf8_lossy(name).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips() {
        assert_eq!(
            parse_request(&request(&["UTF-8", "CP437"])).unwrap(),
            ["UTF-8", "CP437"]
        );
        assert_eq!(parse_request(b"\x01").unwrap(), Vec::<String>::new());
        assert_eq!(parse_request(b"\x02UTF-8"), None);
    }

    #[test]
    fn answers() {
        assert_eq!(accepted("UTF-8"), b"\x02UTF-8");
        assert_eq!(parse_accepted(b"\x02UTF-8"), Some("UTF-8".to_owned()));
        assert_eq!(rejected(), [REJECTED]);
    }
}
