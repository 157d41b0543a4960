//! STATUS (RFC 859): a `SEND` request and the `IS` report of every option's state.
//!
//! Inside `IS`, `WILL x` means "I perform x" and `DO x` means "you perform x", as the
//! sender sees it; options not listed are off. A literal SE byte (an option code of
//! 240, or in subnegotiation parameters) is doubled, and `SB` parameters end with a
//! single SE; IAC doubling is applied on top by
//! [`Engine::send_subnegotiation`](super::Engine::send_subnegotiation).

use super::command::{DO, DONT, SB, SE, WILL, WONT};
use super::engine::Engine;
use super::option::Opt;
use super::policy::Side;

/// `IS`: a report follows.
pub const IS: u8 = 0;
/// `SEND`: please send your report.
pub const SEND: u8 = 1;

/// A STATUS report: which options the sender performs and which it sees the receiver
/// perform, plus any subnegotiation parameters it included.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StatusReport {
    /// Options the sender of the report performs (its `WILL x` entries).
    pub sender_performs: Vec<Opt>,
    /// Options the sender sees the receiver perform (its `DO x` entries).
    pub receiver_performs: Vec<Opt>,
    /// `SB x <parameters> SE` entries, in order.
    pub subnegotiations: Vec<(Opt, Vec<u8>)>,
}

/// The `IS` payload describing `engine`'s options: `WILL x` for each option we
/// perform, `DO x` for each the peer performs, in option-code order.
///
/// ```
/// use telnetlib::proto::{status, Engine, Opt, Policy, Side};
///
/// let mut engine = Engine::new(Policy::new().accept(Side::Local, Opt::ECHO).accept(Side::Remote, Opt::SGA));
/// engine.receive(b"\xff\xfd\x01\xff\xfb\x03", |_| {});
/// assert_eq!(status::report(&engine), b"\x00\xfb\x01\xfd\x03");
/// ```
pub fn report(engine: &Engine) -> Vec<u8> {
    let mut out = vec![IS];
    for opt in (0..=255u8).map(Opt) {
        for (side, verb) in [(Side::Local, WILL), (Side::Remote, DO)] {
            if engine.is_enabled(side, opt) {
                out.push(verb);
                push_doubling_se(&mut out, &[opt.0]);
            }
        }
    }
    out
}

fn push_doubling_se(out: &mut Vec<u8>, bytes: &[u8]) {
    for &byte in bytes {
        out.push(byte);
        if byte == SE {
            out.push(SE);
        }
    }
}

/// Parses an `IS` payload; `None` if it is not an `IS` or is malformed. `WONT`/`DONT`
/// entries (allowed, meaning "off") are accepted and need no record.
///
/// ```
/// use telnetlib::proto::{status, Opt};
///
/// // RFC 859's example: IS WILL ECHO DO SUPPRESS-GO-AHEAD WILL STATUS DO STATUS.
/// let report = status::parse_report(b"\x00\xfb\x01\xfd\x03\xfb\x05\xfd\x05").unwrap();
/// assert_eq!(report.sender_performs, [Opt::ECHO, Opt::STATUS]);
/// assert_eq!(report.receiver_performs, [Opt::SGA, Opt::STATUS]);
/// ```
pub fn parse_report(payload: &[u8]) -> Option<StatusReport> {
    let (&IS, mut rest) = payload.split_first()? else {
        return None;
    };
    let mut report = StatusReport::default();
    while let Some((&verb, after)) = rest.split_first() {
        let (opt, after) = take_byte(after)?;
        rest = after;
        match verb {
            WILL => report.sender_performs.push(Opt(opt)),
            DO => report.receiver_performs.push(Opt(opt)),
            WONT | DONT => {}
            SB => {
                let (parameters, after) = take_parameters(rest)?;
                report.subnegotiations.push((Opt(opt), parameters));
                rest = after;
            }
            _ => return None,
        }
    }
    Some(report)
}

/// One byte, where SE must be doubled.
fn take_byte(bytes: &[u8]) -> Option<(u8, &[u8])> {
    match bytes {
        [SE, SE, rest @ ..] => Some((SE, rest)),
        [SE, ..] => None,
        [byte, rest @ ..] => Some((*byte, rest)),
        [] => None,
    }
}

/// Parameters up to a single SE (SE SE is a literal SE).
fn take_parameters(mut bytes: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut parameters = Vec::new();
    loop {
        match bytes {
            [SE, SE, rest @ ..] => {
                parameters.push(SE);
                bytes = rest;
            }
            [SE, rest @ ..] => return Some((parameters, rest)),
            [byte, rest @ ..] => {
                parameters.push(*byte);
                bytes = rest;
            }
            [] => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Policy;

    #[test]
    fn an_option_code_of_se_is_doubled_both_ways() {
        let mut engine = Engine::new(Policy::new().accept(Side::Remote, Opt(SE)));
        engine.receive(&[0xff, WILL, SE], |_| {});
        let payload = report(&engine);
        assert_eq!(payload, [IS, DO, SE, SE]);
        let parsed = parse_report(&payload).unwrap();
        assert_eq!(parsed.receiver_performs, [Opt(SE)]);
    }

    #[test]
    fn subnegotiation_parameters_end_at_a_single_se() {
        let parsed = parse_report(b"\x00\xfa\x1f\x00\x50\xf0\xf0\x00\x18\xf0\xfb\x01").unwrap();
        assert_eq!(
            parsed.subnegotiations,
            [(Opt::NAWS, b"\x00\x50\xf0\x00\x18".to_vec())]
        );
        assert_eq!(parsed.sender_performs, [Opt::ECHO]);
    }

    #[test]
    fn malformed_reports_are_refused() {
        for bad in [
            &b""[..],
            b"\x01",
            b"\x00\xfb",
            b"\x00\x42\x01",
            b"\x00\xfa\x1f\x00",
            b"\x00\xfb\xf0",
        ] {
            assert_eq!(parse_report(bad), None, "{bad:?}");
        }
        assert_eq!(parse_report(b"\x00"), Some(StatusReport::default()));
    }
}
