//! NAWS, Negotiate About Window Size (RFC 1073): `IAC SB NAWS <cols16> <rows16> IAC SE`,
//! big-endian, columns first.

/// The four payload bytes for a window of `cols` × `rows` (0xFF doubling is done by
/// [`Engine::send_subnegotiation`](super::Engine::send_subnegotiation)).
///
/// ```
/// assert_eq!(telnetlib::proto::naws::encode(80, 25), [0, 80, 0, 25]);
/// ```
pub fn encode(cols: u16, rows: u16) -> [u8; 4] {
    let [c1, c0] = cols.to_be_bytes();
    let [r1, r0] = rows.to_be_bytes();
    [c1, c0, r1, r0]
}

/// The `(cols, rows)` of a NAWS payload, or `None` when it is not four bytes long.
///
/// ```
/// assert_eq!(telnetlib::proto::naws::decode(&[0, 40, 0, 20]), Some((40, 20)));
/// assert_eq!(telnetlib::proto::naws::decode(&[0, 40]), None);
/// ```
pub fn decode(payload: &[u8]) -> Option<(u16, u16)> {
    match *payload {
        [c1, c0, r1, r0] => Some((u16::from_be_bytes([c1, c0]), u16::from_be_bytes([r1, r0]))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_corner() {
        for (cols, rows) in [(0, 0), (80, 25), (511, 255), (u16::MAX, u16::MAX)] {
            assert_eq!(decode(&encode(cols, rows)), Some((cols, rows)));
        }
        assert_eq!(encode(511, 255), [0x01, 0xff, 0x00, 0xff]);
    }
}
