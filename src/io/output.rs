//! The output side of a connection: moving queued bytes to the socket, waiting for it
//! (a caller's own thread, within its deadline) or not (the poller, the game loop).
//!
//! Bytes to send are appended to `State::outgoing` under the lock, so replies and user
//! writes keep their order; whoever holds `writer` moves them to the socket. What the
//! socket does not take stays queued (bounded), and the poller writes it when the
//! socket is writable.

use std::io;
use std::net::TcpStream;
use std::time::Instant;

use super::link::Role;
use super::shared::Shared;
use super::socket;
use super::state::{End, Failure};

impl<R: Role> Shared<R> {
    /// Moves queued bytes to the socket until none are left or the deadline passes.
    ///
    /// With `wait_for_writer` false, it returns at once when another thread is writing:
    /// that thread re-checks the queue before it lets go of the writer, so the bytes
    /// are not stranded.
    pub fn pump(&self, deadline: Option<Instant>, wait_for_writer: bool) -> io::Result<()> {
        self.pump_with(wait_for_writer, deadline, |socket, bytes| {
            socket::write_before(socket, bytes, deadline, &self.write_timeout)
        })
    }

    /// Moves queued bytes to the socket as far as its send buffer takes them now; the
    /// poller writes the rest when the socket is writable.
    pub fn push_now(&self) {
        if let Err(error) = self.pump_with(false, None, socket::write_now) {
            if !socket::is_timeout(&error) {
                log::debug!("output to {:?} failed: {error}", self.peer);
            }
        }
    }

    fn pump_with(
        &self,
        wait_for_writer: bool,
        deadline: Option<Instant>,
        write: impl Fn(&TcpStream, &[u8]) -> std::result::Result<(), (usize, io::Error)>,
    ) -> io::Result<()> {
        loop {
            let writer = match (wait_for_writer, deadline) {
                (false, _) => self.writer.try_lock(),
                (true, None) => Some(self.writer.lock()),
                (true, Some(at)) => self.writer.try_lock_until(at),
            };
            let Some(writing) = writer else {
                return if wait_for_writer {
                    Err(io::ErrorKind::TimedOut.into())
                } else {
                    Ok(())
                };
            };
            loop {
                let bytes = {
                    let mut state = self.state.lock();
                    // XOFF from a client whose flow control we do (LFLOW OFF): the
                    // output waits for XON, and a blocking writer with it.
                    while state.link.options.output_stopped() && !state.closed {
                        if !wait_for_writer {
                            self.refresh(&mut state);
                            return Ok(());
                        }
                        match deadline {
                            None => self.changed.wait(&mut state),
                            Some(at) => {
                                if self.changed.wait_until(&mut state, at).timed_out() {
                                    return Err(io::ErrorKind::TimedOut.into());
                                }
                            }
                        }
                    }
                    if state.write_shut {
                        // Replies owed after `write_eof` cannot be sent.
                        state.discard_output();
                    }
                    if state.queued() > 0 && state.driving.shut {
                        // Whoever shut it saw why: a failure says so, else it was
                        // closed in order.
                        return Err(match &state.end {
                            Some(End::Failed(failure)) => failure.io_error(),
                            _ => io::ErrorKind::NotConnected.into(),
                        });
                    }
                    state.take_wire()
                };
                if bytes.is_empty() {
                    break;
                }
                let result = write(&self.socket, bytes.as_slice());
                let mut state = self.state.lock();
                state.traffic.sent += match &result {
                    Ok(()) => bytes.len(),
                    Err((written, _)) => *written,
                } as u64;
                if let Err((written, error)) = result {
                    if written > 0 {
                        state.driving.output_moved = Instant::now();
                    }
                    // Already encoded: they go out first next time, as they are.
                    state.put_back_wire(bytes, written);
                    if socket::is_timeout(&error) {
                        self.refresh(&mut state);
                    } else {
                        // The peer is gone: what is queued can never be sent, and
                        // nothing more is read.
                        let end = End::Failed(Failure::io(&error));
                        self.end(&mut state, end);
                        self.shut(&mut state);
                    }
                    drop(state);
                    self.changed.notify_all();
                    return Err(error);
                }
            }
            drop(writing);
            let mut state = self.state.lock();
            // Bytes queued by a thread whose try_lock failed while we wrote: go again.
            if state.queued() == 0 {
                if state.driving.shut_at.is_some() {
                    self.shut(&mut state);
                } else {
                    self.refresh(&mut state);
                }
                drop(state);
                self.changed.notify_all();
                return Ok(());
            }
        }
    }
}
