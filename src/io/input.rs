//! The bounded input buffer: application data received and not yet read.

use memchr::memmem;

/// Received application data, consumed from the front.
///
/// A `Vec` plus a start offset, so reads search one contiguous slice (for `memmem` and
/// regular expressions) and consuming is O(1); the consumed front is reclaimed when it
/// outgrows what is left.
#[derive(Debug, Default)]
pub(crate) struct InputBuffer {
    bytes: Vec<u8>,
    start: usize,
    /// Bytes consumed since the connection began: with `len`, positions in the stream
    /// that survive reads (prompt marks).
    consumed: u64,
}

impl InputBuffer {
    pub fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The unread data.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    pub fn extend(&mut self, data: &[u8]) {
        if self.start > 0 && self.start >= self.len() {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        self.bytes.extend_from_slice(data);
    }

    /// Appends received data, dropping the NUL of each CR NUL (RFC 854: CR NUL is a bare
    /// carriage return) unless the data is BINARY. The pair may straddle two chunks:
    /// `after_cr` carries whether the last byte appended was a CR.
    pub fn push_nvt(&mut self, data: &[u8], binary: bool, after_cr: &mut bool) {
        if data.is_empty() {
            return;
        }
        if binary {
            *after_cr = false;
            self.extend(data);
            return;
        }
        let mut rest = data;
        if *after_cr && rest.first() == Some(&0) {
            rest = &rest[1..];
        }
        *after_cr = false;
        while let Some(at) = memmem::find(rest, b"\r\0") {
            self.extend(&rest[..=at]);
            rest = &rest[at + 2..];
        }
        if let Some(&last) = rest.last() {
            *after_cr = last == b'\r';
        }
        self.extend(rest);
    }

    /// Whether [`push_nvt`](Self::push_nvt) would drop a NUL from `data` (the NUL of a
    /// CR NUL outside BINARY).
    pub fn has_nul_to_drop(data: &[u8], binary: bool, after_cr: bool) -> bool {
        !binary && ((after_cr && data.first() == Some(&0)) || memmem::find(data, b"\r\0").is_some())
    }

    /// Counts `n` bytes of the stream that went straight to a reader without being
    /// buffered (stream positions stay right).
    pub fn pass_by(&mut self, n: usize) {
        self.consumed += n as u64;
    }

    /// Removes and returns the first `n` unread bytes.
    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.len());
        let taken = self.bytes[self.start..self.start + n].to_vec();
        self.discard(n);
        taken
    }

    /// The stream position just after the last byte received.
    pub fn end_position(&self) -> u64 {
        self.consumed + self.len() as u64
    }

    /// The stream position of the first unread byte.
    pub fn start_position(&self) -> u64 {
        self.consumed
    }

    /// Drops the first `n` unread bytes.
    pub fn discard(&mut self, n: usize) {
        let n = n.min(self.len());
        self.consumed += n as u64;
        self.start += n;
        if self.start == self.bytes.len() {
            self.bytes.clear();
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_from_the_front_and_reclaims_space() {
        let mut buffer = InputBuffer::default();
        buffer.extend(b"hello world");
        assert_eq!(buffer.take(6), b"hello ");
        assert_eq!(buffer.as_slice(), b"world");
        buffer.extend(b"!");
        assert_eq!(buffer.as_slice(), b"world!");
        assert_eq!(buffer.take(100), b"world!");
        assert!(buffer.is_empty());
    }

    fn filtered(chunks: &[&[u8]]) -> Vec<u8> {
        let mut input = InputBuffer::default();
        let mut after_cr = false;
        for chunk in chunks {
            input.push_nvt(chunk, false, &mut after_cr);
        }
        input.as_slice().to_vec()
    }

    #[test]
    fn cr_nul_loses_its_nul_even_across_chunks() {
        assert_eq!(filtered(&[b"a\r\0b\r\0"]), b"a\rb\r");
        assert_eq!(filtered(&[b"a\r", b"\0b"]), b"a\rb");
        assert_eq!(filtered(&[b"a\r", b"", b"\0b"]), b"a\rb");
        assert_eq!(filtered(&[b"\0\0"]), b"\0\0");
        assert_eq!(filtered(&[b"a\r\n"]), b"a\r\n");
    }
}
