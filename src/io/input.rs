//! The bounded input buffer: application data received and not yet read.

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
}
