//! Asking the client again after connect: ECHO on or off (around a password
//! prompt), the TTYPE cycle, environment variables, CHARSET; and writing back what it
//! typed when the server echoes (telnetlib3's `writer.echo`).
//!
//! Each request goes out at once and its answer arrives like the first ones did;
//! wait for it with [`wait_for`](crate::Connection::wait_for) or
//! [`wait_until`](crate::Connection::wait_until), e.g. until
//! [`awaiting_answers`](crate::Connection::awaiting_answers) is false.

use super::ServerConnection;
use crate::error::Result;
use crate::proto::{Opt, RequestOutcome, Side};

impl ServerConnection {
    /// Turns the server's echo on (`WILL ECHO`: what the client types is echoed by
    /// the server, and not by the client) or off (`WONT ECHO`: the client echoes
    /// locally again). Wait for the client's answer with
    /// `wait_for(&[Want::LocalEnabled(Opt::ECHO)], …)`. Off and on again works with
    /// clients that never acknowledge the `WONT ECHO` too (telnetlib3's): the engine
    /// settles it with a Timing Mark first.
    pub fn set_echo(&self, on: bool) -> Result<RequestOutcome> {
        let mut outcome = RequestOutcome::AlreadySo;
        self.core().queue("set_echo", |state| {
            outcome = state.link.engine.request(Side::Local, Opt::ECHO, on);
        })?;
        Ok(outcome)
    }

    /// Writes `text` back to the client, but only while the server performs ECHO
    /// (telnetlib3's `writer.echo`): for a handler with line editing off that reads
    /// keys and echoes them itself. Returns whether it was written.
    pub fn echo(&self, text: &str) -> Result<bool> {
        if !self.local_option(Opt::ECHO) {
            return Ok(false);
        }
        self.send(text)?;
        Ok(true)
    }

    /// Asks for the client's terminal types afresh: a new TTYPE cycle, whose answers
    /// replace [`terminal_types`](crate::Connection::terminal_types).
    /// `Err(NotAgreed)` while the client does not perform TTYPE.
    pub fn request_terminal_types(&self) -> Result<()> {
        self.ask_if_agreed("request_terminal_types", Opt::TTYPE, |role, link| {
            role.restart_ttype_cycle(link)
        })
    }

    /// Asks for these environment variables (every one the client exports with an
    /// empty list) through NEW-ENVIRON (or OLD-ENVIRON); the answers update
    /// [`environment`](crate::Connection::environment). `Err(NotAgreed)` while the
    /// client performs neither.
    pub fn request_environment(&self, names: &[&str]) -> Result<()> {
        self.ask_if_agreed("request_environment", Opt::NEW_ENVIRON, |role, link| {
            role.request_variables(names, link)
        })
    }

    /// Offers these character sets again (`CHARSET REQUEST`, ours first as we like
    /// it best); the one the client accepts becomes the
    /// [`encoding`](crate::Connection::encoding). `Err(NotAgreed)` while CHARSET is
    /// off, or with no name.
    pub fn request_charset(&self, names: &[&str]) -> Result<()> {
        self.ask_if_agreed("request_charset", Opt::CHARSET, |role, link| {
            role.request_charset(names, link)
        })
    }

    /// Whether an answer the server asked for (terminal type, environment,
    /// CHARSET, speed, X display) is still owed.
    pub fn awaiting_answers(&self) -> bool {
        self.core().lock().role.awaiting_answers()
    }
}
