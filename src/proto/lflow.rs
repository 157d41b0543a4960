//! TOGGLE-FLOW-CONTROL (LFLOW, RFC 1372): the host tells the client whether to do
//! XON/XOFF flow control itself (`ON`) or pass the characters through (`OFF`), and
//! whether any character or only XON restarts output.
//!
//! [`FlowControl`] is the settings one side has been told or has told; [`OutputGate`]
//! is XON/XOFF applied to the input of the side that performs flow control.

/// `OFF`: stop doing flow control (pass XON/XOFF through as data).
pub const OFF: u8 = 0;
/// `ON`: do flow control.
pub const ON: u8 = 1;
/// `RESTART-ANY`: any character but XOFF restarts stopped output.
pub const RESTART_ANY: u8 = 2;
/// `RESTART-XON`: only XON restarts stopped output.
pub const RESTART_XON: u8 = 3;

/// DC1: restart output.
pub const XON: u8 = 0x11;
/// DC3: stop output.
pub const XOFF: u8 = 0x13;

/// Flow-control settings exchanged with LFLOW.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowControl {
    /// The client does XON/XOFF flow control itself (`ON`); when false it passes the
    /// characters to the host, which may act on them.
    pub client_side: bool,
    /// Any character restarts output (`RESTART-ANY`), not only XON (`RESTART-XON`).
    pub restart_any: bool,
}

impl Default for FlowControl {
    /// Client-side flow control restarted by XON only: BSD telnet's default.
    fn default() -> Self {
        FlowControl {
            client_side: true,
            restart_any: false,
        }
    }
}

impl FlowControl {
    /// Applies one LFLOW subnegotiation payload; false for an unknown command (the
    /// settings are unchanged).
    ///
    /// ```
    /// use telnetlib::proto::lflow::{FlowControl, OFF, RESTART_ANY};
    /// let mut flow = FlowControl::default();
    /// assert!(flow.apply(&[OFF]) && flow.apply(&[RESTART_ANY]));
    /// assert_eq!(flow, FlowControl { client_side: false, restart_any: true });
    /// ```
    pub fn apply(&mut self, payload: &[u8]) -> bool {
        match payload {
            [OFF] => self.client_side = false,
            [ON] => self.client_side = true,
            [RESTART_ANY] => self.restart_any = true,
            [RESTART_XON] => self.restart_any = false,
            _ => return false,
        }
        true
    }

    /// The payloads that tell a client these settings: `ON`/`OFF`, then
    /// `RESTART-ANY`/`RESTART-XON`.
    pub fn commands(&self) -> [[u8; 1]; 2] {
        [
            [if self.client_side { ON } else { OFF }],
            [if self.restart_any {
                RESTART_ANY
            } else {
                RESTART_XON
            }],
        ]
    }
}

/// XON/XOFF applied to received data: XOFF stops output, XON (or, with
/// `restart_any`, any other character) restarts it. XON and XOFF are consumed; the
/// character that restarts output under `RESTART-ANY` is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputGate {
    /// Output is stopped.
    pub stopped: bool,
}

impl OutputGate {
    /// Filters `data`, updating [`stopped`](Self::stopped), and hands the rest to
    /// `keep` in runs.
    ///
    /// ```
    /// use telnetlib::proto::lflow::OutputGate;
    /// let mut gate = OutputGate::default();
    /// let mut kept = Vec::new();
    /// gate.filter(b"ab\x13cd", false, |run| kept.extend_from_slice(run));
    /// assert!(gate.stopped);
    /// gate.filter(b"\x11e", false, |run| kept.extend_from_slice(run));
    /// assert!(!gate.stopped);
    /// assert_eq!(kept, b"abcde");
    /// ```
    pub fn filter(&mut self, data: &[u8], restart_any: bool, mut keep: impl FnMut(&[u8])) {
        let mut rest = data;
        while !rest.is_empty() {
            if self.stopped && restart_any && rest[0] != XOFF && rest[0] != XON {
                self.stopped = false;
            }
            let Some(at) = memchr::memchr2(XON, XOFF, rest) else {
                keep(rest);
                return;
            };
            if at > 0 {
                keep(&rest[..at]);
            }
            self.stopped = rest[at] == XOFF;
            rest = &rest[at + 1..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(gate: &mut OutputGate, data: &[u8], any: bool) -> Vec<u8> {
        let mut kept = Vec::new();
        gate.filter(data, any, |run| kept.extend_from_slice(run));
        kept
    }

    #[test]
    fn restart_any_resumes_on_the_next_character_and_keeps_it() {
        let mut gate = OutputGate::default();
        assert_eq!(run(&mut gate, b"\x13", true), b"");
        assert!(gate.stopped);
        assert_eq!(
            run(&mut gate, b"\x13", true),
            b"",
            "another XOFF does not restart"
        );
        assert!(gate.stopped);
        assert_eq!(run(&mut gate, b"x", true), b"x");
        assert!(!gate.stopped);
    }

    #[test]
    fn restart_xon_ignores_other_characters() {
        let mut gate = OutputGate::default();
        assert_eq!(run(&mut gate, b"\x13abc", false), b"abc");
        assert!(gate.stopped);
        assert_eq!(run(&mut gate, b"d\x11", false), b"d");
        assert!(!gate.stopped);
    }

    #[test]
    fn unknown_commands_change_nothing() {
        let mut flow = FlowControl::default();
        assert!(!flow.apply(&[4]));
        assert!(!flow.apply(&[]));
        assert!(!flow.apply(&[ON, ON]));
        assert_eq!(flow, FlowControl::default());
        assert_eq!(flow.commands(), [[ON], [RESTART_XON]]);
    }
}
