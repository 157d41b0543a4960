//! The engine's fuzz check, shared by the cargo-fuzz target (`fuzz/fuzz_targets/engine.rs`)
//! and by the plain test that replays the checked-in corpus (`tests/all/fuzz_corpus.rs`).
//!
//! The input's first bytes choose the set-up, the rest is fed to the engine:
//! byte 0: subnegotiation limit (1..=256), byte 1: policy (0 none, 1 client, 2 server,
//! else everything accepted), bytes 2..10: chunk lengths (1..=32, used in turn).
//! Checked: no panic; the same events and replies whether fed whole, in those chunks, or
//! one byte at a time; replies never longer than the input; no subnegotiation payload
//! over the limit.

use telnetlib::proto::{Engine, Event, Opt, Policy, Side};

const SETUP: usize = 10;

fn policy(selector: u8) -> Policy {
    match selector {
        0 => Policy::new(),
        1 => Policy::client(),
        2 => Policy::server(),
        _ => (0..=255u8).fold(Policy::new(), |p, code| {
            p.accept(Side::Local, Opt(code))
                .accept(Side::Remote, Opt(code))
        }),
    }
}

/// Feeds `chunks` and returns the event log (data runs merged) and the replies.
fn run<'a>(
    engine: &mut Engine,
    chunks: impl Iterator<Item = &'a [u8]>,
    limit: usize,
) -> (Vec<String>, Vec<u8>) {
    let mut log = Vec::new();
    let mut data = Vec::new();
    for chunk in chunks {
        engine.receive(chunk, |event| {
            if let Event::Data(bytes) = event {
                data.extend_from_slice(bytes);
                return;
            }
            if let Event::Subnegotiation { data: payload, .. } = event {
                assert!(
                    payload.len() <= limit,
                    "subnegotiation payload over the limit"
                );
            }
            if !data.is_empty() {
                log.push(format!("{:?}", Event::Data(&data)));
                data.clear();
            }
            log.push(format!("{event:?}"));
        });
    }
    if !data.is_empty() {
        log.push(format!("{:?}", Event::Data(&data)));
    }
    (log, engine.take_output())
}

/// Runs the checks on one fuzz input.
pub fn check(input: &[u8]) {
    if input.len() < SETUP {
        return;
    }
    let limit = usize::from(input[0]) + 1;
    let mut engine = Engine::new(policy(input[1])).with_max_subnegotiation(limit);
    if input[0] & 1 == 1 {
        // Half the runs with the gate our client and server use.
        engine = engine.with_subnegotiation_gate(&[Opt::NAWS]);
    }
    let lengths: Vec<usize> = input[2..SETUP]
        .iter()
        .map(|&b| usize::from(b % 32) + 1)
        .collect();
    let payload = &input[SETUP..];

    let whole = run(&mut engine.clone(), std::iter::once(payload), limit);
    assert!(
        whole.1.len() <= payload.len(),
        "replies longer than the input"
    );

    let mut rest = payload;
    let chunks = lengths.iter().cycle().map_while(|&len| {
        if rest.is_empty() {
            return None;
        }
        let (head, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        Some(head)
    });
    assert_eq!(
        whole,
        run(&mut engine.clone(), chunks, limit),
        "chunked differs from whole"
    );
    assert_eq!(
        whole,
        run(&mut engine.clone(), payload.chunks(1), limit),
        "bytewise differs from whole"
    );
}
