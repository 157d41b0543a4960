//! Settling a disable the peer never acknowledged, with a Timing Mark.
//!
//! RFC 1143 waits for the peer to acknowledge our `WONT` (with `DONT`) or our `DONT`
//! (with `WONT`) before the option may be asked for again. Some peers take the disable
//! and never answer (telnetlib3 5.0.1's client after `WONT ECHO`): the option is then
//! stuck, and a server cannot turn ECHO back on after a password prompt. When the
//! user asks for such an option again, the engine sends `DO TM` (RFC 860): the peer
//! answers it after everything it received before, our disable included, so when its
//! answer comes and the disable is still unacknowledged, the peer has taken it
//! without a word. The engine then settles the disable as if acknowledged, and the
//! queued enable goes out (RFC 1143's `WANTNO OPPOSITE` → `WANTYES`). Each probe
//! settles once; a peer that does acknowledge is never affected (its answer comes
//! before its Timing Mark).

use super::option::Opt;
use super::policy::Side;

/// The disables waiting to be settled by a Timing Mark.
#[derive(Debug, Default, Clone)]
pub(crate) struct DisableProbes {
    /// Settled by the answer to the `DO TM` in flight.
    armed: Vec<(Side, Opt)>,
    /// Settled by the next `DO TM`, sent once the one in flight is answered (an
    /// answer to a mark sent before they were recorded proves nothing).
    waiting: Vec<(Side, Opt)>,
    /// The `DO TM` in flight is the probes' own: its answer is no event for the user.
    pub owns_mark: bool,
}

impl DisableProbes {
    /// Records an unacknowledged disable of `side` of `opt` that the user wants
    /// undone (at most once per side and option).
    pub fn record(&mut self, side: Side, opt: Opt) {
        let entry = (side, opt);
        if !self.armed.contains(&entry) && !self.waiting.contains(&entry) {
            self.waiting.push(entry);
        }
    }

    /// Drops the probe of `side` of `opt`: its disable was answered, or replaced by
    /// another request.
    pub fn forget(&mut self, side: Side, opt: Opt) {
        if !self.armed.is_empty() || !self.waiting.is_empty() {
            self.armed.retain(|&entry| entry != (side, opt));
            self.waiting.retain(|&entry| entry != (side, opt));
        }
    }

    /// Whether a `DO TM` should go out now for probes not yet armed.
    pub fn wants_mark(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// A `DO TM` was sent: the waiting probes ride on it.
    pub fn arm(&mut self) {
        self.armed.append(&mut self.waiting);
    }

    /// The answer to the `DO TM` in flight came: the probes it settles.
    pub fn answered(&mut self) -> Vec<(Side, Opt)> {
        self.owns_mark = false;
        std::mem::take(&mut self.armed)
    }
}

#[cfg(test)]
mod tests {
    use crate::proto::{Engine, Event, OwnedEvent, Policy};

    use super::*;

    const WILL_ECHO: &[u8] = b"\xff\xfb\x01";
    const WONT_ECHO: &[u8] = b"\xff\xfc\x01";
    const DO_ECHO: &[u8] = b"\xff\xfd\x01";
    const DONT_ECHO: &[u8] = b"\xff\xfe\x01";
    const DO_TM: &[u8] = b"\xff\xfd\x06";
    const WILL_TM: &[u8] = b"\xff\xfb\x06";

    fn receive(engine: &mut Engine, bytes: &[u8]) -> Vec<OwnedEvent> {
        let mut events = Vec::new();
        engine.receive(bytes, |event| {
            if !matches!(event, Event::Negotiation { .. }) {
                events.push(event.to_owned_event());
            }
        });
        events
    }

    /// A server engine whose ECHO is on, then turned off: `WONT ECHO` sent.
    fn echo_turned_off() -> Engine {
        let mut engine = Engine::new(Policy::new().accept(Side::Local, Opt::ECHO));
        engine.request(Side::Local, Opt::ECHO, true);
        receive(&mut engine, DO_ECHO);
        engine.request(Side::Local, Opt::ECHO, false);
        assert_eq!(engine.take_output(), [WILL_ECHO, WONT_ECHO].concat());
        engine
    }

    #[test]
    fn a_disable_taken_without_an_answer_is_settled_by_a_timing_mark() {
        let mut engine = echo_turned_off();
        // The peer never sends DONT ECHO. Asking for ECHO again probes it.
        engine.request(Side::Local, Opt::ECHO, true);
        assert_eq!(engine.take_output(), DO_TM);
        // Its answer comes after it took our WONT: settled, and WILL ECHO goes out.
        let events = receive(&mut engine, WILL_TM);
        assert_eq!(
            events,
            [OwnedEvent::OptionDisabled {
                side: Side::Local,
                opt: Opt::ECHO
            }]
        );
        assert_eq!(engine.take_output(), WILL_ECHO);
        receive(&mut engine, DO_ECHO);
        assert!(engine.is_enabled(Side::Local, Opt::ECHO));
        assert!(!engine.any_pending());
    }

    #[test]
    fn a_peer_that_acknowledges_is_never_probed_nor_answered_twice() {
        // Acknowledged before we ask again: no probe at all.
        let mut engine = echo_turned_off();
        receive(&mut engine, DONT_ECHO);
        engine.request(Side::Local, Opt::ECHO, true);
        assert_eq!(engine.take_output(), WILL_ECHO);

        // Acknowledged after the probe went out: the answer settles it, the mark's
        // answer finds nothing left to do.
        let mut engine = echo_turned_off();
        engine.request(Side::Local, Opt::ECHO, true);
        assert_eq!(engine.take_output(), DO_TM);
        receive(&mut engine, DONT_ECHO);
        assert_eq!(engine.take_output(), WILL_ECHO);
        assert!(receive(&mut engine, WILL_TM).is_empty());
        assert!(engine.take_output().is_empty());
    }

    #[test]
    fn the_users_own_timing_mark_is_still_reported() {
        let mut engine = echo_turned_off();
        engine.request(Side::Local, Opt::ECHO, true);
        engine.request(Side::Remote, Opt::TM, true);
        assert_eq!(engine.take_output(), DO_TM);
        let events = receive(&mut engine, WILL_TM);
        assert!(events.contains(&OwnedEvent::TimingMark { marked: true }));
        // A probe's own mark is not.
        let mut engine = echo_turned_off();
        engine.request(Side::Local, Opt::ECHO, true);
        let events = receive(&mut engine, WILL_TM);
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, OwnedEvent::TimingMark { .. }))
        );
    }
}
