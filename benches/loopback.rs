//! Loopback throughput of the client types, each beside its baseline:
//!
//! - `bulk`: `TelnetConnection` reading 64 MiB from a server, and a plain `TcpStream`
//!   reading the same bytes from the same server;
//! - `read_until_late_match`: `TelnetConnection::read_until` with the match after 10 MiB
//!   and after 100 MiB (linear means the second takes about ten times the first),
//!   beside a plain `TcpStream::read_to_end` of the same streams: the same growing
//!   buffer without Telnet, to tell our scaling from the memory system's;
//! - `legacy_read_until`: `telnetlib::Telnet::read_until` over 1 MiB then `END`, the
//!   stream `benches/python/telnetlib_read_until.py` times with CPython's telnetlib.
//!
//! `cargo bench --bench loopback`

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use telnetlib::{Telnet, TelnetConnection};

const MIB: usize = 1 << 20;

/// A server that writes `payload` to every connection and closes it.
fn serve(payload: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let payload = Arc::new(payload);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let payload = Arc::clone(&payload);
            thread::spawn(move || {
                let _ = stream.write_all(&payload);
            });
        }
    });
    address
}

/// `len` bytes of text lines (no 0xFF, so Telnet and plain TCP carry the same bytes),
/// then `END`.
fn stream_ending_in_end(len: usize) -> Vec<u8> {
    let line =
        b"The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs.\r\n";
    let mut out: Vec<u8> = line.iter().copied().cycle().take(len).collect();
    out.extend_from_slice(b"END");
    out
}

fn bench_bulk(c: &mut Criterion) {
    let payload = stream_ending_in_end(64 * MIB);
    let total = payload.len();
    let address = serve(payload);
    let mut group = c.benchmark_group("bulk");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("tcp_stream", |b| {
        let mut buffer = vec![0u8; 64 * 1024];
        b.iter(|| {
            let mut stream = TcpStream::connect(address).unwrap();
            let mut read = 0;
            loop {
                match stream.read(&mut buffer).unwrap() {
                    0 => break,
                    n => read += n,
                }
            }
            assert_eq!(read, total);
        })
    });
    group.bench_function("telnet_connection", |b| {
        let mut buffer = vec![0u8; 64 * 1024];
        b.iter(|| {
            let mut conn = TelnetConnection::connect(address).unwrap();
            let mut read = 0;
            loop {
                match Read::read(&mut conn, &mut buffer).unwrap() {
                    0 => break,
                    n => read += n,
                }
            }
            assert_eq!(read, total);
        })
    });
    group.finish();
}

fn bench_read_until(c: &mut Criterion) {
    let mut group = c.benchmark_group("read_until_late_match");
    group.sample_size(10);
    for mib in [10, 100] {
        let address = serve(stream_ending_in_end(mib * MIB));
        group.throughput(Throughput::Bytes((mib * MIB) as u64));
        group.bench_function(format!("{mib}_mib"), |b| {
            b.iter(|| {
                let conn = TelnetConnection::builder()
                    .max_input_buffer((mib + 1) * MIB)
                    .connect(address)
                    .unwrap();
                let found = conn
                    .read_until(b"END", Some(Duration::from_secs(60)))
                    .unwrap();
                assert_eq!(black_box(found).len(), mib * MIB + 3);
            })
        });
        group.bench_function(format!("tcp_stream_read_to_end_{mib}_mib"), |b| {
            b.iter(|| {
                let mut stream = TcpStream::connect(address).unwrap();
                let mut received = Vec::new();
                stream.read_to_end(&mut received).unwrap();
                assert_eq!(black_box(received).len(), mib * MIB + 3);
            })
        });
    }
    group.finish();
}

fn bench_legacy(c: &mut Criterion) {
    let address = serve(stream_ending_in_end(MIB));
    let mut group = c.benchmark_group("legacy_read_until");
    group.throughput(Throughput::Bytes(MIB as u64));
    group.bench_function("1_mib", |b| {
        b.iter(|| {
            let mut tn = Telnet::connect("127.0.0.1", address.port(), None).unwrap();
            let found = tn.read_until(b"END", None).unwrap();
            assert_eq!(black_box(found).len(), MIB + 3);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_bulk, bench_read_until, bench_legacy);
criterion_main!(benches);
