//! `Telnet::interact`: the terminal passed straight through to the connection.
//!
//! Python's version decodes as ASCII (and crashes on anything else) and, on Windows,
//! busy-loops. Here bytes pass through untouched in both directions, the socket side
//! blocks in `recv`, and a second thread blocks reading the input.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{Telnet, Wait, send_all};
use crate::error::{Error, Result};
use crate::proto::nvt::escape_iac;

/// What `interact` prints when the peer closes, as Python does.
const CLOSED_MESSAGE: &[u8] = b"*** Connection closed by remote host ***\n";

/// How often the socket side looks up from `recv` to see whether the input ended.
const INPUT_CHECK_INTERVAL: Duration = Duration::from_millis(100);

impl Telnet {
    /// Connects standard input and output to the connection until either ends
    /// (Python: `interact()`). Typed bytes are sent with IAC doubled and no newline
    /// translation; received data is written to standard output as it arrives, with
    /// no decoding; negotiation is answered as in the `read_*` calls.
    pub fn interact(&mut self) -> Result<()> {
        self.interact_with(std::io::stdin(), std::io::stdout())
    }

    /// [`interact`](Self::interact) with any input and output, for example a pipe
    /// or a test's buffers. Returns when the input ends or the peer closes (after
    /// writing `*** Connection closed by remote host ***`).
    ///
    /// The input is read on a helper thread. If the peer closes first, that thread
    /// stays blocked in its read until the input yields one more chunk, which it then
    /// discards instead of sending.
    pub fn interact_with<I, O>(&mut self, input: I, mut output: O) -> Result<()>
    where
        I: Read + Send + 'static,
        O: Write,
    {
        const OPERATION: &str = "interact";
        let writer = self
            .socket(OPERATION)?
            .try_clone()
            .map_err(|source| Error::Io {
                operation: OPERATION,
                peer: self.peer,
                source,
            })?;
        let over = Arc::new(AtomicBool::new(false));
        let input_ended = Arc::new(AtomicBool::new(false));
        let pump = {
            let (over, input_ended) = (over.clone(), input_ended.clone());
            let (write_lock, peer) = (self.write_lock.clone(), self.peer);
            std::thread::Builder::new()
                .name("telnet-interact".into())
                .spawn(move || {
                    pump_input(input, |chunk| {
                        if over.load(Ordering::Acquire) {
                            return false;
                        }
                        let mut escaped = Vec::with_capacity(chunk.len());
                        escape_iac(chunk, &mut escaped);
                        send_all(&writer, &write_lock, &escaped, OPERATION, peer).is_ok()
                    });
                    input_ended.store(true, Ordering::Release);
                })
                .map_err(|source| Error::Io {
                    operation: OPERATION,
                    peer: self.peer,
                    source,
                })?
        };
        let result = self.pass_output(&mut output, &input_ended);
        over.store(true, Ordering::Release);
        if input_ended.load(Ordering::Acquire) {
            let _ = pump.join();
        }
        result
    }

    /// Copies received data to `output` until the peer closes or the input ends.
    fn pass_output(&mut self, output: &mut impl Write, input_ended: &AtomicBool) -> Result<()> {
        let write_error = |source| Error::Io {
            operation: "interact",
            peer: None,
            source,
        };
        while !input_ended.load(Ordering::Acquire) {
            let wake = Instant::now() + INPUT_CHECK_INTERVAL;
            if !self.recv("interact", Wait::Until(Some(wake)))? {
                continue;
            }
            self.process_rawq();
            let data = std::mem::take(&mut self.cookedq);
            output.write_all(&data).map_err(write_error)?;
            if self.eof {
                output.write_all(CLOSED_MESSAGE).map_err(write_error)?;
                output.flush().map_err(write_error)?;
                return Ok(());
            }
            output.flush().map_err(write_error)?;
        }
        Ok(())
    }
}

/// Reads `input` in chunks and hands each to `send` until the input ends, fails, or
/// `send` returns false.
fn pump_input(mut input: impl Read, mut send: impl FnMut(&[u8]) -> bool) {
    let mut buffer = [0u8; 4096];
    loop {
        match input.read(&mut buffer) {
            Ok(0) => return,
            Ok(count) => {
                if !send(&buffer[..count]) {
                    return;
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}
