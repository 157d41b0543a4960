//! `wait_for`: block until options reach the wanted states.

use std::fmt;

use crate::error::{Error, Result};
use crate::proto::{Engine, Opt, Side};
use crate::timeout::Timeout;

use super::core::Core;
use super::link::Role;

/// An option state to wait for with `wait_for`.
///
/// `Remote` is the peer's side (the peer `WILL`s it), `Local` ours. "Disabled" holds
/// for an option never negotiated, as in telnetlib3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Want {
    /// The peer performs the option.
    RemoteEnabled(Opt),
    /// The peer does not perform the option.
    RemoteDisabled(Opt),
    /// We perform the option.
    LocalEnabled(Opt),
    /// We do not perform the option.
    LocalDisabled(Opt),
    /// No request of ours about either side of the option awaits an answer.
    NotPending(Opt),
}

impl Want {
    /// Whether the engine's state satisfies this condition.
    pub(crate) fn holds(&self, engine: &Engine) -> bool {
        match *self {
            Want::RemoteEnabled(opt) => engine.is_enabled(Side::Remote, opt),
            Want::RemoteDisabled(opt) => !engine.is_enabled(Side::Remote, opt),
            Want::LocalEnabled(opt) => engine.is_enabled(Side::Local, opt),
            Want::LocalDisabled(opt) => !engine.is_enabled(Side::Local, opt),
            Want::NotPending(opt) => {
                !engine.is_pending(Side::Local, opt) && !engine.is_pending(Side::Remote, opt)
            }
        }
    }
}

impl fmt::Display for Want {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Want::RemoteEnabled(opt) => write!(f, "remote {opt} enabled"),
            Want::RemoteDisabled(opt) => write!(f, "remote {opt} disabled"),
            Want::LocalEnabled(opt) => write!(f, "local {opt} enabled"),
            Want::LocalDisabled(opt) => write!(f, "local {opt} disabled"),
            Want::NotPending(opt) => write!(f, "{opt} negotiation settled"),
        }
    }
}

impl<R: Role> Core<R> {
    /// Waits until `condition` holds. It is checked at once and again after each
    /// chunk of input from the peer (negotiation included, and each step of
    /// inflating compressed input), without the state lock,
    /// so it may look at the connection through any method. Fails with `Timeout`,
    /// or with `Eof`/`Io` once the peer has gone and nothing can change any more.
    pub fn wait_until(&self, mut condition: impl FnMut() -> bool, timeout: Timeout) -> Result<()> {
        let deadline = self.deadline_for(timeout);
        let peer = self.peer();
        loop {
            // Counted before the check: input taken while it runs is not missed.
            let seen = self.lock().traffic.passes;
            if condition() {
                return Ok(());
            }
            let waited = self.wait("wait_until", deadline, |state| {
                if state.traffic.passes != seen {
                    return Some(Ok(()));
                }
                state.end_error("wait_until", peer).map(Err)
            });
            if let Err(Error::Timeout {
                operation, peer, ..
            }) = waited
            {
                return Err(Error::Timeout {
                    operation,
                    peer,
                    unmet: Some("the condition".to_owned()),
                });
            }
            waited?;
        }
    }

    /// Waits until every condition holds. Fails with `Timeout` naming the unmet ones,
    /// or, once the peer has gone and they can no longer change, with `Eof`/`Io`.
    pub fn wait_for(&self, wants: &[Want], timeout: Timeout) -> Result<()> {
        let unmet = |engine: &Engine| -> Vec<String> {
            wants
                .iter()
                .filter(|want| !want.holds(engine))
                .map(|want| want.to_string())
                .collect()
        };
        let peer = self.peer();
        let result = self.wait("wait_for", self.deadline_for(timeout), |state| {
            if wants.iter().all(|want| want.holds(&state.link.engine)) {
                return Some(Ok(()));
            }
            state.end_error("wait_for", peer).map(Err)
        });
        match result {
            Err(Error::Timeout {
                operation, peer, ..
            }) => Err(Error::Timeout {
                operation,
                peer,
                unmet: Some(unmet(&self.lock().link.engine).join(", ")),
            }),
            other => other,
        }
    }
}
