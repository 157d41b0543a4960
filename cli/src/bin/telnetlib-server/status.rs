//! `--status-interval`: the number of connected clients in the log, when it changed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Logs `clients` every `interval` when it differs from the last figure logged.
pub fn log_every(interval: Duration, clients: Arc<AtomicUsize>) {
    std::thread::Builder::new()
        .name("status".to_owned())
        .spawn(move || {
            let mut last = 0;
            loop {
                std::thread::sleep(interval);
                let now = clients.load(Ordering::SeqCst);
                if now != last {
                    log::info!(
                        "status: {now} client{} connected",
                        if now == 1 { "" } else { "s" }
                    );
                    last = now;
                }
            }
        })
        .expect("a thread for the status log");
}
