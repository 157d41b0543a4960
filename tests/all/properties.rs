//! Property tests of the engine: chunking never changes what it reports, escaping
//! round-trips, and two engines negotiating with each other always settle and agree.

use crate::support;

use std::ops::ControlFlow;

use proptest::prelude::*;
use support::{EventLog, run_chunks};
use telnetlib::proto::nvt::{NewlineDecoder, encode_text, escape_iac};
use telnetlib::proto::{Engine, Event, Opt, Policy, Side};

/// Bytes that are mostly Telnet framing, so random input exercises every parser state.
fn telnet_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => Just(0xff),
        1 => 0xf0u8..=0xfe,
        2 => 0u8..8,
        2 => any::<u8>(),
        1 => Just(b'\r'),
    ]
}

/// A random policy over options 0..8 (TM included) on both sides.
fn policy() -> impl Strategy<Value = Policy> {
    (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(al, ar, rl, rr)| {
        let mut policy = Policy::new();
        for code in 0..8u8 {
            let opt = Opt(code);
            if al & (1 << code) != 0 {
                policy = policy.accept(Side::Local, opt);
            }
            if ar & (1 << code) != 0 {
                policy = policy.accept(Side::Remote, opt);
            }
            if rl & (1 << code) != 0 {
                policy = policy.request(Side::Local, opt);
            }
            if rr & (1 << code) != 0 {
                policy = policy.request(Side::Remote, opt);
            }
        }
        policy
    })
}

/// Splits `input` at the given cut points (taken modulo its length).
fn split<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.push(0);
    points.push(input.len());
    points.sort_unstable();
    points.windows(2).map(|w| &input[w[0]..w[1]]).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_chunking_gives_the_same_events_and_replies(
        input in proptest::collection::vec(telnet_byte(), 0..400),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
        policy in policy(),
        limit in 1usize..64,
    ) {
        let engine = Engine::new(policy).with_max_subnegotiation(limit);
        let whole = run_chunks(&mut engine.clone(), [&input[..]]);
        let chunked = run_chunks(&mut engine.clone(), split(&input, &cuts));
        let bytewise = run_chunks(&mut engine.clone(), input.chunks(1));
        prop_assert_eq!(&whole, &chunked);
        prop_assert_eq!(&whole, &bytewise);
    }

    /// Stopping after every subnegotiation and going on from the byte returned loses
    /// and repeats nothing: the stream switch of MCCP relies on it.
    #[test]
    fn receive_until_stops_exactly_after_the_event(
        input in proptest::collection::vec(telnet_byte(), 0..400),
        policy in policy(),
    ) {
        let engine = Engine::new(policy);
        let whole = run_chunks(&mut engine.clone(), [&input[..]]);
        let mut stopping = engine.clone();
        let mut log = EventLog::default();
        let mut rest = &input[..];
        while !rest.is_empty() {
            let used = stopping.receive_until(rest, |event| {
                log.record(&event);
                match event {
                    Event::Subnegotiation { .. } => ControlFlow::Break(()),
                    _ => ControlFlow::Continue(()),
                }
            });
            prop_assert!(used > 0 && used <= rest.len());
            rest = &rest[used..];
        }
        prop_assert_eq!(whole, (log.finish(), stopping.take_output()));
    }

    #[test]
    fn replies_never_outgrow_the_input(
        input in proptest::collection::vec(telnet_byte(), 0..400),
        policy in policy(),
    ) {
        let mut engine = Engine::new(policy);
        let (_, output) = run_chunks(&mut engine, [&input[..]]);
        prop_assert!(output.len() <= input.len());
    }

    #[test]
    fn escaped_data_comes_back_unchanged(
        data in proptest::collection::vec(telnet_byte(), 0..400),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut wire = Vec::new();
        escape_iac(&data, &mut wire);
        let mut engine = Engine::new(Policy::new());
        let mut received = Vec::new();
        let mut other_events = 0;
        for chunk in split(&wire, &cuts) {
            engine.receive(chunk, |event| match event {
                Event::Data(bytes) => received.extend_from_slice(bytes),
                _ => other_events += 1,
            });
        }
        prop_assert_eq!(received, data);
        prop_assert_eq!(other_events, 0);
        prop_assert!(engine.output().is_empty());
    }

    #[test]
    fn text_round_trips_through_the_nvt_newline_rules(
        text in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(0u8), Just(0xffu8), any::<u8>()], 0..200),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut wire = Vec::new();
        encode_text(&text, false, &mut wire);
        // On the wire every CR is followed by LF or NUL, as RFC 854 requires.
        for (at, &byte) in wire.iter().enumerate() {
            if byte == b'\r' {
                prop_assert!(matches!(wire.get(at + 1), Some(b'\n') | Some(0)));
            }
        }
        let mut engine = Engine::new(Policy::new());
        let mut decoder = NewlineDecoder::new();
        let mut decoded = Vec::new();
        for chunk in split(&wire, &cuts) {
            engine.receive(chunk, |event| {
                if let Event::Data(bytes) = event {
                    decoder.decode(bytes, &mut decoded);
                }
            });
        }
        decoder.finish(&mut decoded);
        // Text newlines come back as "\n" whether written "\n" or "\r\n".
        let mut expected = Vec::new();
        let mut at = 0;
        while at < text.len() {
            if text[at] == b'\r' && text.get(at + 1) == Some(&b'\n') {
                at += 1;
            }
            expected.push(text[at]);
            at += 1;
        }
        prop_assert_eq!(decoded, expected);
    }

    #[test]
    fn two_engines_settle_quickly_and_agree(
        policy_a in policy(),
        policy_b in policy(),
        requests in proptest::collection::vec(
            (any::<bool>(), any::<bool>(), 0u8..8, any::<bool>(), 0usize..3), 0..30),
    ) {
        let mut a = Engine::new(policy_a);
        let mut b = Engine::new(policy_b);
        a.start();
        b.start();
        // Extra requests from either side, each followed by a few deliveries, so that
        // requests cross each other and change their minds mid-flight.
        for (on_a, local, code, enable, deliveries) in requests {
            let side = if local { Side::Local } else { Side::Remote };
            if on_a { a.request(side, Opt(code), enable); } else { b.request(side, Opt(code), enable); }
            for step in 0..deliveries {
                if (step % 2 == 0) == on_a { deliver(&mut a, &mut b); } else { deliver(&mut b, &mut a); }
            }
        }
        // Then nothing but deliveries: both must go quiet within a few round trips.
        let mut rounds = 0;
        while !a.output().is_empty() || !b.output().is_empty() {
            rounds += 1;
            prop_assert!(rounds <= 6, "still negotiating after {} round trips", rounds);
            deliver(&mut a, &mut b);
            deliver(&mut b, &mut a);
        }
        for code in 0..=255u8 {
            let opt = Opt(code);
            prop_assert!(!a.is_pending(Side::Local, opt) && !a.is_pending(Side::Remote, opt), "{} pending on a", opt);
            prop_assert!(!b.is_pending(Side::Local, opt) && !b.is_pending(Side::Remote, opt), "{} pending on b", opt);
            prop_assert_eq!(a.state(Side::Local, opt), b.state(Side::Remote, opt), "{}", opt);
            prop_assert_eq!(a.state(Side::Remote, opt), b.state(Side::Local, opt), "{}", opt);
        }
    }
}

/// Sends everything `from` has queued to `to`, checking that no protocol error occurs
/// between two correct engines.
fn deliver(from: &mut Engine, to: &mut Engine) {
    let bytes = from.take_output();
    let mut log = EventLog::default();
    to.receive(&bytes, |event| {
        assert!(
            !matches!(event, Event::Error(_)),
            "protocol error between two engines: {event:?}"
        );
        log.record(&event);
    });
}
