//! One LINEMODE subnegotiation payload, parsed and encoded ([`Message`]).

use std::fmt;

use super::*;

/// A LINEMODE subnegotiation payload, the bytes after `IAC SB LINEMODE`.
///
/// ```
/// use telnetlib::proto::Verb;
/// use telnetlib::proto::linemode::{ForwardMask, Level, Message, ModeMask, SlcTriplet};
///
/// assert_eq!(Message::parse(b"\x01\x03"), Some(Message::Mode(ModeMask(3))));
/// assert_eq!(
///     Message::parse(b"\xfd\x02\x00\x04"),
///     Some(Message::Forwardmask { verb: Verb::Do, mask: ForwardMask::new().with(b'\r') })
/// );
/// let slc = Message::Slc(vec![SlcTriplet::new(0, Level::Default, 0)]);
/// assert_eq!(slc.encode(), b"\x03\x00\x03\x00");
/// assert_eq!(Message::parse(b"\x03\x00\x03"), None); // not whole triplets
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// `MODE <mask>`.
    Mode(ModeMask),
    /// `<verb> FORWARDMASK [mask]`: the mask only follows `DO`; for the other verbs it
    /// is empty.
    Forwardmask {
        /// `DO`/`DONT` from the server, `WILL`/`WONT` in reply from the client.
        verb: Verb,
        /// The characters to forward on (`DO` only).
        mask: ForwardMask,
    },
    /// `SLC <triplet>…`.
    Slc(Vec<SlcTriplet>),
}

impl Message {
    /// The message in a payload, or `None` when it is malformed: empty, an unknown
    /// suboption, `MODE` without its mask, a verb not followed by `FORWARDMASK`, a mask
    /// longer than 32 octets, or an `SLC` list that is not whole triplets. Bytes after
    /// a `MODE`'s mask, or after `WILL`/`WONT`/`DONT FORWARDMASK`, are ignored.
    pub fn parse(payload: &[u8]) -> Option<Message> {
        let (&first, rest) = payload.split_first()?;
        match first {
            MODE => rest.first().map(|&mask| Message::Mode(ModeMask(mask))),
            SLC if rest.len() % 3 == 0 => Some(Message::Slc(
                rest.chunks_exact(3)
                    .map(|t| SlcTriplet::from_bytes([t[0], t[1], t[2]]))
                    .collect(),
            )),
            _ => {
                let verb = Verb::from_byte(first)?;
                let (&FORWARDMASK, octets) = rest.split_first()? else {
                    return None;
                };
                let mask = match verb {
                    Verb::Do => ForwardMask::from_bytes(octets)?,
                    _ => ForwardMask::new(),
                };
                Some(Message::Forwardmask { verb, mask })
            }
        }
    }

    /// The payload to send with
    /// [`Engine::send_subnegotiation`](super::Engine::send_subnegotiation).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Message::Mode(mask) => vec![MODE, mask.0],
            Message::Forwardmask { verb, mask } => {
                let mut out = vec![verb.byte(), FORWARDMASK];
                if *verb == Verb::Do {
                    out.extend_from_slice(mask.as_bytes());
                }
                out
            }
            Message::Slc(triplets) => {
                let mut out = Vec::with_capacity(1 + 3 * triplets.len());
                out.push(SLC);
                for triplet in triplets {
                    out.extend_from_slice(&triplet.to_bytes());
                }
                out
            }
        }
    }

    pub(super) fn forwardmask(verb: Verb, mask: ForwardMask) -> Vec<u8> {
        Message::Forwardmask { verb, mask }.encode()
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Mode(mask) => write!(f, "MODE {mask}"),
            Message::Forwardmask { verb, mask } if *verb == Verb::Do => {
                write!(f, "DO FORWARDMASK {:02x?}", mask.as_bytes())
            }
            Message::Forwardmask { verb, .. } => write!(f, "{verb} FORWARDMASK"),
            Message::Slc(triplets) => {
                f.write_str("SLC")?;
                triplets.iter().try_for_each(|t| write!(f, " {t}"))
            }
        }
    }
}
