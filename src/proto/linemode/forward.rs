//! The forward mask ([`ForwardMask`]): the characters that make the client send its
//! line at once.

use std::fmt;

/// A forward mask: 256 bits, one per character, set for the characters on which the
/// client sends its buffered input at once. On the wire (RFC 1184 §2.3) the high bit of
/// the first octet is character 0 and trailing zero octets may be left out.
///
/// ```
/// use telnetlib::proto::linemode::ForwardMask;
/// let mask = ForwardMask::new().with(b'\r').with(3);
/// assert!(mask.contains(b'\r') && !mask.contains(b'\n'));
/// assert_eq!(mask.as_bytes(), [0x10, 0x04]);
/// assert_eq!(ForwardMask::from_bytes(&[0x10, 0x04]), Some(mask));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ForwardMask([u8; 32]);

impl ForwardMask {
    /// A mask with no character set.
    pub const fn new() -> ForwardMask {
        ForwardMask([0; 32])
    }

    /// The mask of wire octets, or `None` when there are more than 32.
    pub fn from_bytes(bytes: &[u8]) -> Option<ForwardMask> {
        let mut mask = [0; 32];
        mask.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(ForwardMask(mask))
    }

    /// The mask with `byte` set.
    pub const fn with(mut self, byte: u8) -> ForwardMask {
        self.0[(byte >> 3) as usize] |= 0x80 >> (byte & 7);
        self
    }

    /// Whether `byte` is set.
    pub const fn contains(&self, byte: u8) -> bool {
        self.0[(byte >> 3) as usize] & (0x80 >> (byte & 7)) != 0
    }

    /// Whether no character is set.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// The wire octets without the trailing zero ones.
    pub fn as_bytes(&self) -> &[u8] {
        let len = self
            .0
            .iter()
            .rposition(|&octet| octet != 0)
            .map_or(0, |at| at + 1);
        &self.0[..len]
    }
}

impl fmt::Debug for ForwardMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries((0..=255u8).filter(|&byte| self.contains(byte)))
            .finish()
    }
}
