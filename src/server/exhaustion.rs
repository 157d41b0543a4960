//! The acceptor at the descriptor (or memory) limit: pause and retry, log rarely.

use std::time::{Duration, Instant};

/// Accepts that fail for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
/// ENOMEM). Retrying at once fails again (the connection stays in the backlog), and a
/// loop of such retries once burnt a core and logged millions of lines. So the
/// acceptor pauses after each, longer each time up to [`Exhaustion::MAX_PAUSE`], and
/// logs at most once every [`Exhaustion::REPORT_EVERY`] with a count. The clients
/// already accepted are served by other threads meanwhile; as they leave, the next
/// try succeeds and the pause starts short again. The log's rate limit outlives a run
/// of failures: at the limit, every client that leaves lets one in and the next try
/// fails again.
#[derive(Default)]
pub(super) struct Exhaustion {
    /// When the current run of failures began; `None` while accepts succeed.
    run: Option<Instant>,
    /// The pause after the last failure of the run.
    pause: Duration,
    /// Whether anything was logged about the current run (then its end is too).
    run_logged: bool,
    /// Failures not logged yet, and when the last log line was written.
    unreported: u64,
    reported: Option<Instant>,
}

impl Exhaustion {
    const FIRST_PAUSE: Duration = Duration::from_millis(10);
    /// Bounds how long a freed descriptor goes unused.
    const MAX_PAUSE: Duration = Duration::from_millis(500);
    const REPORT_EVERY: Duration = Duration::from_secs(10);

    /// Whether `error` is one that only freed resources cure.
    pub fn caused(error: &std::io::Error) -> bool {
        use rustix::io::Errno;
        matches!(
            Errno::from_io_error(error),
            Some(Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM)
        )
    }

    /// Counts a failure, logs if it is time to, and returns how long to pause.
    pub fn failed(&mut self, error: &std::io::Error) -> Duration {
        let now = Instant::now();
        self.run.get_or_insert(now);
        let since_report = self.reported.map(|at| now.duration_since(at));
        if since_report.is_none_or(|since| since >= Exhaustion::REPORT_EVERY) {
            match (self.unreported, since_report) {
                (1.., Some(since)) => log::warn!(
                    "accept failed {} times in {since:.0?}: {error}",
                    self.unreported + 1
                ),
                _ => log::warn!(
                    "accept failed: {error}; retrying at growing intervals up to {:?} \
                     (logged at most every {:?}); the clients already accepted are served",
                    Exhaustion::MAX_PAUSE,
                    Exhaustion::REPORT_EVERY
                ),
            }
            self.unreported = 0;
            self.reported = Some(now);
            self.run_logged = true;
        } else {
            self.unreported += 1;
        }
        // 10 ms, 20 ms, 40 ms, … from the first failure of the run.
        self.pause = (self.pause * 2).clamp(Exhaustion::FIRST_PAUSE, Exhaustion::MAX_PAUSE);
        self.pause
    }

    /// An accept succeeded.
    pub fn ended(&mut self) {
        self.pause = Duration::ZERO;
        if let Some(started) = self.run.take() {
            if std::mem::take(&mut self.run_logged) {
                log::info!("accepting again after {:.1?}", started.elapsed());
            }
        }
    }
}
