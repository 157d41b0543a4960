//! The "IS / SEND" string options: TTYPE (RFC 1091), TSPEED (RFC 1079) and XDISPLOC
//! (RFC 1096). The side that performs the option answers `SB <opt> SEND` with
//! `SB <opt> IS <text>`.

/// `IS`: the payload's first byte in an answer.
pub const IS: u8 = 0;
/// `SEND`: the payload's first byte in a request.
pub const SEND: u8 = 1;

/// Whether a payload is a `SEND` request.
pub fn is_send(payload: &[u8]) -> bool {
    payload == [SEND]
}

/// The `IS <text>` payload.
///
/// ```
/// assert_eq!(telnetlib::proto::terminal::is(b"XTERM"), b"\x00XTERM");
/// ```
pub fn is(text: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(text.len() + 1);
    payload.push(IS);
    payload.extend_from_slice(text);
    payload
}

/// The text of an `IS <text>` payload, or `None` for any other payload.
pub fn parse_is(payload: &[u8]) -> Option<&[u8]> {
    payload.strip_prefix(&[IS])
}

/// Parses a TSPEED value `"<rx>,<tx>"` (bits per second).
///
/// ```
/// assert_eq!(telnetlib::proto::terminal::parse_speed(b"38400,19200"), Some((38400, 19200)));
/// assert_eq!(telnetlib::proto::terminal::parse_speed(b"fast"), None);
/// ```
pub fn parse_speed(text: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(text).ok()?;
    let (rx, tx) = text.split_once(',')?;
    Some((rx.trim().parse().ok()?, tx.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_and_send_frames() {
        assert!(is_send(&[SEND]));
        assert!(!is_send(&[SEND, 0]));
        assert_eq!(parse_is(&is(b"VT100")), Some(&b"VT100"[..]));
        assert_eq!(parse_is(&[SEND]), None);
    }
}
