//! The negotiation fuzz check, shared by the cargo-fuzz target
//! (`fuzz/fuzz_targets/negotiation.rs`) and the corpus replay (`tests/all/fuzz_corpus.rs`).
//!
//! Two engines talk to each other. Bytes 0 and 1 of the input choose their policies;
//! the rest is a script, two bytes a step: `op` (low two bits) and `arg`.
//!
//! | op | step |
//! |---|---|
//! | 0 | engine A requests: side = bit 2 of `op`, enable = bit 3, option = `arg % 8` of a list |
//! | 1 | engine B requests, the same way |
//! | 2 | `arg % 16 + 1` bytes in flight from A are delivered to B |
//! | 3 | `arg % 16 + 1` bytes in flight from B are delivered to A |
//!
//! Then everything in flight is delivered, both ways, until nothing is. Checked: no
//! panic; the exchange ends within a few rounds (no negotiation loop, RFC 1143); once it
//! has, no request is pending on either side and the engines agree on every option (A
//! performs it exactly when B sees it performed, and the other way round); and neither
//! engine ever reports that the other broke RFC 1143.

use telnetlib::proto::{Engine, Event, Opt, Policy, ProtocolError, Side};

/// The options the script may name: common ones, TM (no state, answered each time),
/// an unknown one, and 255.
const OPTIONS: [Opt; 8] = [
    Opt::BINARY,
    Opt::ECHO,
    Opt::SGA,
    Opt::TM,
    Opt::TTYPE,
    Opt::NAWS,
    Opt(200),
    Opt(255),
];

/// Rounds of delivering everything in flight, both ways, after which the exchange must
/// be over: a request, its answer, and a queued opposite request and its answer.
const MAX_ROUNDS: usize = 8;

fn policy(selector: u8) -> Policy {
    match selector % 4 {
        0 => Policy::new(),
        1 => Policy::client(),
        2 => Policy::server(),
        _ => OPTIONS.iter().fold(Policy::new(), |p, &opt| {
            p.accept(Side::Local, opt).accept(Side::Remote, opt)
        }),
    }
}

/// One engine and the bytes it has sent that the other has not read yet.
struct End {
    engine: Engine,
    in_flight: Vec<u8>,
}

impl End {
    fn new(selector: u8) -> End {
        let mut engine = Engine::new(policy(selector));
        engine.start();
        let in_flight = engine.take_output();
        End { engine, in_flight }
    }

    fn collect(&mut self) {
        let output = self.engine.take_output();
        self.in_flight.extend_from_slice(&output);
    }
}

/// Delivers up to `n` bytes in flight from `from` to `to`.
fn deliver(from: &mut End, to: &mut End, n: usize) {
    let n = n.min(from.in_flight.len());
    let bytes: Vec<u8> = from.in_flight.drain(..n).collect();
    to.engine.receive(&bytes, |event| {
        if let Event::Error(ProtocolError::UnexpectedEnable { side, opt }) = event {
            panic!("an RFC 1143 engine was answered with an enable of {side} {opt}");
        }
    });
    to.collect();
}

fn request(end: &mut End, op: u8, arg: u8) {
    let side = if op & 4 == 0 {
        Side::Local
    } else {
        Side::Remote
    };
    let enable = op & 8 != 0;
    end.engine
        .request(side, OPTIONS[usize::from(arg % 8)], enable);
    end.collect();
}

/// Runs the checks on one fuzz input.
pub fn check(input: &[u8]) {
    if input.len() < 2 {
        return;
    }
    let mut a = End::new(input[0]);
    let mut b = End::new(input[1]);
    for step in input[2..].chunks_exact(2) {
        let (op, arg) = (step[0], step[1]);
        let n = usize::from(arg % 16) + 1;
        match op % 4 {
            0 => request(&mut a, op, arg),
            1 => request(&mut b, op, arg),
            2 => deliver(&mut a, &mut b, n),
            _ => deliver(&mut b, &mut a, n),
        }
    }
    let mut rounds = 0;
    while !a.in_flight.is_empty() || !b.in_flight.is_empty() {
        rounds += 1;
        assert!(rounds <= MAX_ROUNDS, "negotiation did not end: a loop");
        deliver(&mut a, &mut b, usize::MAX);
        deliver(&mut b, &mut a, usize::MAX);
    }
    for opt in OPTIONS {
        for (side, other) in [(Side::Local, Side::Remote), (Side::Remote, Side::Local)] {
            assert!(
                !a.engine.is_pending(side, opt),
                "A still waits on {side} {opt}"
            );
            assert!(
                !b.engine.is_pending(side, opt),
                "B still waits on {side} {opt}"
            );
            if opt != Opt::TM {
                assert_eq!(
                    a.engine.is_enabled(side, opt),
                    b.engine.is_enabled(other, opt),
                    "A's {side} {opt} disagrees with B's {other} {opt}"
                );
            }
        }
    }
}
