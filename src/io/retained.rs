//! What a peer tells us and we keep until the application asks: bounded in memory,
//! not only in count. A count alone lets each item be as large as a subnegotiation
//! (64 KiB by default), and decoding can make it larger still (every separator of a
//! ZMP or MSDP message becomes an empty string of its own), so the bounds here are on
//! an estimate of the memory each item holds.

use std::collections::VecDeque;
use std::mem::size_of;

use crate::proto::comport::{Command, Notification};
use crate::proto::msdp;

/// The most MUD messages of each kind kept unread; older ones are dropped first (a
/// peer whose messages the application never reads must not grow memory without
/// bound).
pub(crate) const MAX_QUEUED_MESSAGES: usize = 1024;

/// The most memory the unread messages of one kind hold (the newest message is kept
/// whatever its size, so the bound is this plus one message).
pub(crate) const MAX_QUEUED_BYTES: usize = 256 * 1024;

/// The largest single piece of peer state kept outside a queue (an MSSP table); a
/// larger one is ignored.
pub(crate) const MAX_RETAINED_ITEM: usize = 256 * 1024;

/// The memory a value holds: its own size plus what it owns on the heap, as
/// allocated (capacity, not length).
pub(crate) trait Footprint {
    fn footprint(&self) -> usize;
}

impl Footprint for String {
    fn footprint(&self) -> usize {
        size_of::<String>() + self.capacity()
    }
}

impl<T: Footprint> Footprint for Vec<T> {
    fn footprint(&self) -> usize {
        let unused = self.capacity() - self.len();
        size_of::<Vec<T>>()
            + unused * size_of::<T>()
            + self.iter().map(Footprint::footprint).sum::<usize>()
    }
}

impl Footprint for u8 {
    fn footprint(&self) -> usize {
        1
    }
}

impl<A: Footprint, B: Footprint> Footprint for (A, B) {
    fn footprint(&self) -> usize {
        self.0.footprint() + self.1.footprint()
    }
}

impl Footprint for msdp::Value {
    fn footprint(&self) -> usize {
        // Its own size and what its variant owns (whose header is counted again:
        // the estimate errs high).
        let owned = match self {
            msdp::Value::Text(text) => text.footprint(),
            msdp::Value::Array(values) => values.footprint(),
            msdp::Value::Table(pairs) => pairs.footprint(),
        };
        owned + size_of::<msdp::Value>()
    }
}

impl Footprint for Command {
    fn footprint(&self) -> usize {
        let owned = match self {
            Command::Signature(text) => text.capacity(),
            _ => 0,
        };
        size_of::<Command>() + owned
    }
}

impl Footprint for Notification {
    fn footprint(&self) -> usize {
        size_of::<Notification>()
    }
}

/// Messages received and not yet read, oldest first, bounded in count
/// ([`MAX_QUEUED_MESSAGES`]) and in memory ([`MAX_QUEUED_BYTES`]).
#[derive(Debug)]
pub(crate) struct MessageQueue<T> {
    items: VecDeque<(T, usize)>,
    bytes: usize,
}

impl<T> Default for MessageQueue<T> {
    fn default() -> Self {
        MessageQueue {
            items: VecDeque::new(),
            bytes: 0,
        }
    }
}

impl<T: Footprint> MessageQueue<T> {
    /// Queues `item`, dropping the oldest unread ones to stay within the bounds.
    pub fn push(&mut self, item: T, what: &str) {
        let size = item.footprint();
        let mut dropped = 0;
        while !self.items.is_empty()
            && (self.items.len() >= MAX_QUEUED_MESSAGES || self.bytes + size > MAX_QUEUED_BYTES)
        {
            self.pop_front();
            dropped += 1;
        }
        if dropped > 0 {
            log::debug!("{what} queue full: dropped the {dropped} oldest unread messages");
        }
        self.bytes += size;
        self.items.push_back((item, size));
    }

    pub fn pop_front(&mut self) -> Option<T> {
        let (item, size) = self.items.pop_front()?;
        self.bytes -= size;
        Some(item)
    }

    /// Every queued message, oldest first; the queue is left empty.
    pub fn take_all(&mut self) -> Vec<T> {
        self.bytes = 0;
        self.items.drain(..).map(|(item, _)| item).collect()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The memory the queued messages hold, as estimated.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: usize) -> (String, String) {
        ("Char.Vitals".to_owned(), "x".repeat(len))
    }

    #[test]
    fn the_count_bound_drops_the_oldest_first() {
        let mut queue = MessageQueue::default();
        for n in 0..MAX_QUEUED_MESSAGES + 5 {
            queue.push(vec![n.to_string()], "ZMP");
        }
        assert_eq!(queue.len(), MAX_QUEUED_MESSAGES);
        assert_eq!(queue.pop_front(), Some(vec!["5".to_owned()]));
    }

    #[test]
    fn the_memory_bound_holds_for_large_messages_and_keeps_the_newest() {
        let mut queue = MessageQueue::default();
        for _ in 0..100 {
            queue.push(message(60 * 1024), "GMCP");
        }
        assert!(queue.bytes() <= MAX_QUEUED_BYTES, "{}", queue.bytes());
        assert_eq!(queue.len(), MAX_QUEUED_BYTES / (60 * 1024 + 100));
        // One message larger than the whole bound is still delivered, alone.
        queue.push(message(MAX_QUEUED_BYTES * 2), "GMCP");
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.pop_front().unwrap().1.len(), MAX_QUEUED_BYTES * 2);
        assert_eq!(queue.bytes(), 0);
    }

    #[test]
    fn decoded_separators_count_as_the_strings_they_become() {
        // A 64 KiB ZMP payload of separators decodes to 64 Ki empty strings: their
        // memory counts, not the 64 KiB they came from.
        let separators = vec![String::new(); 64 * 1024];
        assert!(separators.footprint() >= 64 * 1024 * size_of::<String>());
        let nested = msdp::Value::Array(vec![msdp::Value::Text(String::new()); 1000]);
        assert!(nested.footprint() >= 1000 * size_of::<msdp::Value>());
    }
}
