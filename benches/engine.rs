//! Throughput of `Engine::receive` on 4 MiB inputs, each next to a `memchr` scan for
//! IAC over the same buffer (the speed limit of any Telnet parser that finds commands
//! by scanning): `cargo bench --bench engine`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use telnetlib::proto::{Engine, Event, Policy, nvt};

const SIZE: usize = 4 << 20;
const LINE: &[u8] =
    b"The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs.\r\n";

fn text(len: usize) -> Vec<u8> {
    LINE.iter().copied().cycle().take(len).collect()
}

/// Text with `IAC GA` after every 80 bytes.
fn text_with_ga() -> Vec<u8> {
    let mut out = Vec::with_capacity(SIZE);
    while out.len() < SIZE {
        out.extend_from_slice(&text(80));
        out.extend_from_slice(&[0xff, 0xf9]);
    }
    out
}

/// Pseudo-random bytes (xorshift, fixed seed) with every 0xFF doubled.
fn random_binary_escaped() -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let raw: Vec<u8> = (0..SIZE)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let mut out = Vec::with_capacity(SIZE + SIZE / 128);
    nvt::escape_iac(&raw, &mut out);
    out
}

/// Text with a NAWS subnegotiation (80x24) after every 1 KiB.
fn text_with_naws() -> Vec<u8> {
    let mut out = Vec::with_capacity(SIZE);
    while out.len() < SIZE {
        out.extend_from_slice(&text(1024));
        out.extend_from_slice(&[0xff, 0xfa, 0x1f, 0x00, 0x50, 0x00, 0x18, 0xff, 0xf0]);
    }
    out
}

fn receive_all(engine: &mut Engine, input: &[u8]) -> usize {
    let mut data = 0;
    let mut other = 0;
    engine.receive(input, |event| match event {
        Event::Data(bytes) => data += bytes.len(),
        _ => other += 1,
    });
    engine.clear_output();
    data + other
}

fn bench_engine(c: &mut Criterion) {
    let inputs = [
        ("a_plain_text", text(SIZE)),
        ("b_text_iac_ga_every_80", text_with_ga()),
        ("c_random_binary_iac_doubled", random_binary_escaped()),
        ("d_text_naws_every_1k", text_with_naws()),
    ];
    let mut group = c.benchmark_group("receive");
    for (name, input) in &inputs {
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(format!("{name}/memchr_scan"), |b| {
            b.iter(|| memchr::memchr_iter(0xff, black_box(input)).count())
        });
        group.bench_function(format!("{name}/engine"), |b| {
            let mut engine = Engine::new(Policy::server());
            b.iter(|| receive_all(&mut engine, black_box(input)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
