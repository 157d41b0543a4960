//! The PROXY protocol (HAProxy's, versions 1 and 2): the header a TCP load balancer
//! sends before the client's bytes, naming the real client. Parsed before the Telnet
//! stream starts, when the server was built with `proxy_protocol(true)`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Version 2's signature.
const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// Version 1's longest header, CR LF included.
const V1_MAX: usize = 107;

/// The most version 2 may carry after its 16-byte header (addresses and TLVs); the
/// length field allows 65,535, far more than any balancer sends.
const V2_MAX_BODY: usize = 1024;

/// A parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProxyHeader {
    /// The real client's address.
    Proxied(SocketAddr),
    /// A relayed client whose address the balancer does not know (v1 `UNKNOWN`, v2
    /// with no TCP address): the socket's address stands.
    Unknown,
    /// v2 `LOCAL`: the balancer's own connection, a health check (HAProxy's
    /// `check-send-proxy`), not a client.
    Local,
}

/// Why a header is refused; the connection is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProxyError(pub &'static str);

/// Parses a header at the start of `bytes`: `Ok(None)` while more bytes are needed,
/// else the header and how many bytes it took (the rest is Telnet).
pub(crate) fn parse(bytes: &[u8]) -> Result<Option<(ProxyHeader, usize)>, ProxyError> {
    let compared = bytes.len().min(V2_SIGNATURE.len());
    if bytes[..compared] == V2_SIGNATURE[..compared] {
        return if compared < V2_SIGNATURE.len() {
            Ok(None)
        } else {
            parse_v2(bytes)
        };
    }
    let compared = bytes.len().min(6);
    if bytes[..compared] != b"PROXY "[..compared] {
        return Err(ProxyError("no PROXY protocol header"));
    }
    parse_v1(bytes)
}

fn parse_v1(bytes: &[u8]) -> Result<Option<(ProxyHeader, usize)>, ProxyError> {
    let Some(end) = bytes.windows(2).position(|pair| pair == b"\r\n") else {
        return if bytes.len() >= V1_MAX {
            Err(ProxyError("PROXY v1 header longer than 107 bytes"))
        } else {
            Ok(None)
        };
    };
    if end + 2 > V1_MAX {
        return Err(ProxyError("PROXY v1 header longer than 107 bytes"));
    }
    let line = std::str::from_utf8(&bytes[..end]).map_err(|_| ProxyError("PROXY v1: not ASCII"))?;
    let fields: Vec<&str> = line.split(' ').collect();
    let header = match fields.as_slice() {
        ["PROXY", "UNKNOWN", ..] => ProxyHeader::Unknown,
        [
            "PROXY",
            family @ ("TCP4" | "TCP6"),
            source,
            _destination,
            source_port,
            _,
        ] => {
            let ip: IpAddr = source
                .parse()
                .map_err(|_| ProxyError("PROXY v1: bad source address"))?;
            if ip.is_ipv4() != (*family == "TCP4") {
                return Err(ProxyError("PROXY v1: address does not match its family"));
            }
            let port: u16 = source_port
                .parse()
                .map_err(|_| ProxyError("PROXY v1: bad source port"))?;
            ProxyHeader::Proxied(SocketAddr::new(ip, port))
        }
        _ => return Err(ProxyError("PROXY v1: malformed header")),
    };
    Ok(Some((header, end + 2)))
}

fn parse_v2(bytes: &[u8]) -> Result<Option<(ProxyHeader, usize)>, ProxyError> {
    if bytes.len() < 16 {
        return Ok(None);
    }
    let version_command = bytes[12];
    if version_command >> 4 != 2 {
        return Err(ProxyError("PROXY v2: unknown version"));
    }
    let length = usize::from(u16::from_be_bytes([bytes[14], bytes[15]]));
    if length > V2_MAX_BODY {
        return Err(ProxyError("PROXY v2: header too long"));
    }
    if bytes.len() < 16 + length {
        return Ok(None);
    }
    let body = &bytes[16..16 + length];
    let consumed = 16 + length;
    let header = match (version_command & 0x0f, bytes[13]) {
        (0x0, _) => ProxyHeader::Local,
        (0x1, 0x11) if body.len() >= 12 => {
            let ip = Ipv4Addr::new(body[0], body[1], body[2], body[3]);
            let port = u16::from_be_bytes([body[8], body[9]]);
            ProxyHeader::Proxied(SocketAddr::new(ip.into(), port))
        }
        (0x1, 0x21) if body.len() >= 36 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&body[..16]);
            let port = u16::from_be_bytes([body[32], body[33]]);
            ProxyHeader::Proxied(SocketAddr::new(Ipv6Addr::from(octets).into(), port))
        }
        // UNSPEC, UDP or Unix sockets: no TCP client address to report.
        (0x1, 0x00 | 0x12 | 0x22 | 0x31 | 0x32) => ProxyHeader::Unknown,
        (0x1, 0x11 | 0x21) => return Err(ProxyError("PROXY v2: address block too short")),
        (0x1, _) => return Err(ProxyError("PROXY v2: unknown family")),
        _ => return Err(ProxyError("PROXY v2: unknown command")),
    };
    Ok(Some((header, consumed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxied(text: &str) -> ProxyHeader {
        ProxyHeader::Proxied(text.parse().unwrap())
    }

    #[test]
    fn v1_headers() {
        let header = b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 23\r\n\xff\xfb\x18";
        assert_eq!(
            parse(header),
            Ok(Some((proxied("192.0.2.7:56324"), header.len() - 3)))
        );
        let v6 = b"PROXY TCP6 2001:db8::1 2001:db8::2 4000 23\r\n";
        assert_eq!(
            parse(v6),
            Ok(Some((proxied("[2001:db8::1]:4000"), v6.len())))
        );
        assert_eq!(
            parse(b"PROXY UNKNOWN\r\n"),
            Ok(Some((ProxyHeader::Unknown, 15)))
        );
    }

    #[test]
    fn partial_headers_ask_for_more_at_every_length() {
        let v1 = b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 23\r\n".to_vec();
        let mut v2 = V2_SIGNATURE.to_vec();
        v2.extend([
            0x21, 0x11, 0, 12, 192, 0, 2, 7, 198, 51, 100, 1, 0xdc, 0x04, 0, 23,
        ]);
        for header in [v1, v2] {
            for cut in 0..header.len() {
                assert_eq!(parse(&header[..cut]), Ok(None), "cut at {cut}");
            }
            assert_eq!(
                parse(&header),
                Ok(Some((proxied("192.0.2.7:56324"), header.len())))
            );
        }
    }

    #[test]
    fn v2_ipv6_local_and_tlvs() {
        let mut v6 = V2_SIGNATURE.to_vec();
        v6.extend([0x21, 0x21, 0, 40]);
        v6.extend(Ipv6Addr::LOCALHOST.octets());
        v6.extend([0u8; 16]);
        v6.extend([0x0f, 0xa0, 0, 23]);
        v6.extend([0x01, 0, 1, b'x']); // a TLV, skipped
        assert_eq!(parse(&v6), Ok(Some((proxied("[::1]:4000"), v6.len()))));
        let mut local = V2_SIGNATURE.to_vec();
        local.extend([0x20, 0x00, 0, 0]);
        assert_eq!(parse(&local), Ok(Some((ProxyHeader::Local, 16))));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let mut bad_version = V2_SIGNATURE.to_vec();
        bad_version.extend([0x11, 0x11, 0, 0]);
        let mut short = V2_SIGNATURE.to_vec();
        short.extend([0x21, 0x11, 0, 4, 1, 2, 3, 4]);
        let mut huge = V2_SIGNATURE.to_vec();
        huge.extend([0x21, 0x11, 0xff, 0xff]);
        let long_v1 = format!("PROXY TCP4 {}\r\n", "1".repeat(120));
        for bad in [
            &b"GET / HTTP/1.0\r\n"[..],
            b"\xff\xfb\x18",
            b"PROXY TCP4 999.0.0.1 1.2.3.4 1 2\r\n",
            b"PROXY TCP4 ::1 ::1 1 2\r\n",
            b"PROXY TCP4 1.2.3.4 1.2.3.4 99999 2\r\n",
            b"PROXY SCTP\r\n",
            long_v1.as_bytes(),
            &bad_version,
            &short,
            &huge,
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
