//! [`Timeout`]: how long a blocking call may wait, one type for every call.

use std::time::{Duration, Instant};

/// How long a blocking call may wait.
///
/// Every blocking call of the crate takes `impl Into<Timeout>`, so a plain
/// [`Duration`], `Some(duration)`, `None` and the variants all work, and mean the same
/// thing everywhere:
///
/// | you write | the call waits |
/// |---|---|
/// | `Duration::from_secs(5)`, `Some(Duration::from_secs(5))`, `Timeout::After(…)` | at most 5 s, then fails with `Error::Timeout` |
/// | `None`, `Timeout::Default` | as long as the connection's default says (`timeout` on its builder: forever unless set); calls that have no connection default (`TelnetServer::accept` and `poll`) wait as long as it takes; the legacy `Telnet`'s `None` is Python's (`expect` and `read_all` are bounded by the socket timeout given to `open`) |
/// | `Timeout::Never`, `Duration::MAX` | as long as it takes |
/// | `Duration::ZERO` | not at all: it answers from what is buffered, or times out at once |
///
/// ```
/// use std::time::Duration;
/// use telnetlib::Timeout;
///
/// assert_eq!(Timeout::from(Duration::from_secs(5)), Timeout::After(Duration::from_secs(5)));
/// assert_eq!(Timeout::from(None), Timeout::Default);
/// assert_eq!(Timeout::from(Duration::MAX), Timeout::Never);
/// assert_eq!(Timeout::Default.or(Timeout::Never), Timeout::Never);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Timeout {
    /// The default of whatever the call belongs to (see the table above).
    #[default]
    Default,
    /// No limit.
    Never,
    /// At most this long.
    After(Duration),
}

impl Timeout {
    /// `self`, with [`Default`](Timeout::Default) replaced by `default`.
    pub fn or(self, default: Timeout) -> Timeout {
        match self {
            Timeout::Default => default,
            other => other,
        }
    }

    /// How long, or `None` for no limit (`Default` counts as no limit: resolve it
    /// with [`or`](Self::or) first).
    pub fn duration(self) -> Option<Duration> {
        match self {
            Timeout::After(duration) => Some(duration),
            Timeout::Default | Timeout::Never => None,
        }
    }

    /// When a call started now gives up; `None` for no limit. A duration too large
    /// to add to the clock counts as no limit: this never panics.
    pub(crate) fn deadline(self) -> Option<Instant> {
        self.duration()
            .and_then(|duration| Instant::now().checked_add(duration))
    }
}

impl From<Duration> for Timeout {
    /// `Duration::MAX` is [`Never`](Timeout::Never); any other is
    /// [`After`](Timeout::After) it.
    fn from(duration: Duration) -> Timeout {
        if duration == Duration::MAX {
            Timeout::Never
        } else {
            Timeout::After(duration)
        }
    }
}

impl From<Option<Duration>> for Timeout {
    /// `None` is [`Default`](Timeout::Default); `Some(duration)` as for a
    /// `Duration`.
    fn from(duration: Option<Duration>) -> Timeout {
        duration.map_or(Timeout::Default, Timeout::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_timeout_is_no_limit_and_never_panics() {
        assert_eq!(Timeout::from(Duration::MAX).deadline(), None);
        let almost = Duration::MAX - Duration::from_secs(1);
        assert_eq!(Timeout::from(almost).deadline(), None);
        assert!(Timeout::from(Duration::from_secs(1)).deadline().is_some());
        assert_eq!(Timeout::Default.deadline(), None);
    }
}
