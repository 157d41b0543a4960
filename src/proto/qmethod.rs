//! The RFC 1143 "Q method": the state of one side of one option, and the pure
//! transitions that decide what to send when a message arrives or the user asks.
//!
//! The same table serves both sides: for the peer's side ("him") the positive message we
//! send is `DO` and the negative one `DONT`; for our side ("us") they are `WILL` and
//! `WONT`. The engine maps [`Answer`]s to bytes. Because every transition either sends
//! nothing or moves towards a settled state, and a settled state never answers a message
//! that confirms it, no sequence of input can make two engines loop.

/// The RFC 1143 state of one side of one option.
///
/// The `…Opposite` variants are RFC 1143's `WANTNO`/`WANTYES` with the queue bit set to
/// `OPPOSITE`: the user changed their mind while the request was in flight, and the
/// opposite request goes out once the peer has answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum QState {
    /// Disabled, nothing in flight.
    #[default]
    No,
    /// Enabled, nothing in flight.
    Yes,
    /// We asked to disable and wait for the acknowledgement.
    WantNo,
    /// We asked to disable, then asked to enable again (queued).
    WantNoOpposite,
    /// We asked to enable and wait for the answer.
    WantYes,
    /// We asked to enable, then asked to disable again (queued).
    WantYesOpposite,
}

impl QState {
    /// Whether the option is in effect on this side.
    ///
    /// An option we asked to disable counts as enabled until the peer acknowledges
    /// (`WantNo…`), and one we asked to enable counts as disabled until the peer agrees
    /// (`WantYes…`): both sides then agree on every byte exchanged in between.
    pub const fn is_enabled(self) -> bool {
        matches!(self, QState::Yes | QState::WantNo | QState::WantNoOpposite)
    }

    /// Whether a request of ours is waiting for the peer's answer.
    pub const fn is_pending(self) -> bool {
        !matches!(self, QState::No | QState::Yes)
    }
}

/// What to send in answer: the positive (`DO`/`WILL`) or negative (`DONT`/`WONT`) verb
/// for this side of the option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Positive,
    Negative,
}

/// What became of a user's request to enable or disable one side of an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// The request went out (`DO`/`DONT`/`WILL`/`WONT` is in the engine's output).
    Sent,
    /// A request in flight already leads to the wanted state; the change, if any, was
    /// queued and nothing was sent now.
    Pending,
    /// The option is already in the wanted state; nothing was sent.
    AlreadySo,
}

/// The result of one transition: the new state, what to send, and whether the peer
/// broke the protocol (answered a request we never made in a way RFC 1143 calls an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    pub next: QState,
    pub send: Option<Answer>,
    pub violation: bool,
}

const fn to(next: QState, send: Option<Answer>) -> Transition {
    Transition {
        next,
        send,
        violation: false,
    }
}

const fn violation(next: QState) -> Transition {
    Transition {
        next,
        send: None,
        violation: true,
    }
}

/// The peer sent the positive message for this side (`WILL` for him, `DO` for us).
/// `accept` is the policy's answer to an enable we did not ask for.
pub(crate) const fn on_positive(state: QState, accept: bool) -> Transition {
    use Answer::*;
    use QState::*;
    match state {
        No if accept => to(Yes, Some(Positive)),
        No => to(No, Some(Negative)),
        Yes => to(Yes, None),
        // The peer answered our disable with an enable. RFC 1143 calls it an error and
        // settles without answering, so the error cannot start an exchange.
        WantNo => violation(No),
        WantNoOpposite => violation(Yes),
        WantYes => to(Yes, None),
        WantYesOpposite => to(WantNo, Some(Negative)),
    }
}

/// The peer sent the negative message for this side (`WONT` for him, `DONT` for us).
pub(crate) const fn on_negative(state: QState) -> Transition {
    use Answer::*;
    use QState::*;
    match state {
        No => to(No, None),
        Yes => to(No, Some(Negative)),
        WantNo => to(No, None),
        WantNoOpposite => to(WantYes, Some(Positive)),
        WantYes | WantYesOpposite => to(No, None),
    }
}

/// The user asks for this side to be enabled.
pub(crate) const fn request_enable(state: QState) -> (Transition, RequestOutcome) {
    use Answer::*;
    use QState::*;
    use RequestOutcome::*;
    match state {
        No => (to(WantYes, Some(Positive)), Sent),
        Yes => (to(Yes, None), AlreadySo),
        WantNo => (to(WantNoOpposite, None), Pending),
        WantNoOpposite | WantYes => (to(state, None), Pending),
        WantYesOpposite => (to(WantYes, None), Pending),
    }
}

/// The user asks for this side to be disabled.
pub(crate) const fn request_disable(state: QState) -> (Transition, RequestOutcome) {
    use Answer::*;
    use QState::*;
    use RequestOutcome::*;
    match state {
        No => (to(No, None), AlreadySo),
        Yes => (to(WantNo, Some(Negative)), Sent),
        WantNo | WantYesOpposite => (to(state, None), Pending),
        WantNoOpposite => (to(WantNo, None), Pending),
        WantYes => (to(WantYesOpposite, None), Pending),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Answer::*;
    use QState::*;

    const ALL: [QState; 6] = [No, Yes, WantNo, WantNoOpposite, WantYes, WantYesOpposite];

    #[test]
    fn settled_states_never_answer_a_message_that_confirms_them() {
        assert_eq!(on_positive(Yes, true).send, None);
        assert_eq!(on_positive(Yes, false).send, None);
        assert_eq!(on_negative(No).send, None);
    }

    #[test]
    fn an_unasked_enable_is_answered_by_policy() {
        assert_eq!(on_positive(No, true), to(Yes, Some(Positive)));
        assert_eq!(on_positive(No, false), to(No, Some(Negative)));
    }

    #[test]
    fn a_disable_of_an_enabled_option_is_acknowledged() {
        assert_eq!(on_negative(Yes), to(No, Some(Negative)));
    }

    #[test]
    fn a_refusal_is_obeyed() {
        assert_eq!(on_negative(WantYes).next, No);
        assert_eq!(on_negative(WantYes).send, None);
    }

    #[test]
    fn queued_opposite_requests_go_out_after_the_answer() {
        assert_eq!(
            on_positive(WantYesOpposite, true),
            to(WantNo, Some(Negative))
        );
        assert_eq!(on_negative(WantNoOpposite), to(WantYes, Some(Positive)));
    }

    #[test]
    fn an_enable_answering_our_disable_is_a_violation() {
        assert!(on_positive(WantNo, true).violation);
        assert!(on_positive(WantNoOpposite, true).violation);
    }

    #[test]
    fn requests_for_the_current_or_pending_state_send_nothing() {
        for state in ALL {
            let (enable, outcome) = request_enable(state);
            assert_eq!(enable.send.is_some(), state == No, "{state:?}");
            assert_eq!(outcome == RequestOutcome::Sent, state == No);
            let (disable, outcome) = request_disable(state);
            assert_eq!(disable.send.is_some(), state == Yes, "{state:?}");
            assert_eq!(outcome == RequestOutcome::Sent, state == Yes);
        }
    }

    #[test]
    fn enabled_and_pending_partition_the_states() {
        let enabled: Vec<_> = ALL.iter().filter(|s| s.is_enabled()).collect();
        assert_eq!(enabled, [&Yes, &WantNo, &WantNoOpposite]);
        let settled: Vec<_> = ALL.iter().filter(|s| !s.is_pending()).collect();
        assert_eq!(settled, [&No, &Yes]);
    }
}
