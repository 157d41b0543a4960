//! MCCP2/MCCP3 compression and TELNETS (TLS) against telnetlib3 5.0.1, both ways,
//! library and command-line tools. The compressed cells read the relay's bytes: the
//! marker `IAC SB MCCP2 IAC SE` (or MCCP3), then a zlib stream, inflated here with
//! `flate2` to compare with what arrived and to count negotiations in the plain
//! stream. The TLS cells check that the wire carries TLS records and no plain text,
//! and that MCCP stays off over TLS even when both sides would compress.

use std::process::Command;
use std::time::{Duration, Instant};

use flate2::{Decompress, FlushDecompress, Status};
use telnetlib::proto::{Opt, Policy, Side};
use telnetlib::tls::{self, Roots};
use telnetlib::{Error, TelnetServer, Want};

use crate::certificate::Certificate;
use crate::clis::{info_line, info_then_quit};
use crate::harness::{
    Cell, Proc, Tap, WAIT, assert_no_loop_in, escape, free_port, negotiations, poll_until, venv,
    venv_python, wait_listening,
};
use crate::their_clients::{self, GREETING_BYTES, REPLY, our_server_with, scripted_with};
use crate::their_servers::{self, COLS, LINE, ROWS, TERM, our_client_builder, python_server, seen};

const MCCP2_MARKER: &[u8] = b"\xff\xfa\x56\xff\xf0";
const MCCP3_MARKER: &[u8] = b"\xff\xfa\x57\xff\xf0";

/// How many lines `big N` asks of `tl3_server.py`: about 200 KB.
const BIG_LINES: usize = 5000;

/// What `tl3_server.py` sends for `big N` (its `big_text`).
fn big_text(lines: usize) -> String {
    (0..lines)
        .map(|i| format!("{i:06} héllo wörld ✓ quick brown fox\r\n"))
        .collect()
}

fn position(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One direction of a compressed session as recorded by the relay: the plain bytes
/// before the marker, the zlib stream's header and length, whether it ended, and the
/// whole Telnet stream (plain part, marker, inflated stream, plain bytes after its
/// end). The stream need not be finished: each write is flushed, so all that was
/// sent inflates.
struct Compressed {
    before: Vec<u8>,
    header: [u8; 2],
    compressed: usize,
    ended: bool,
    telnet: Vec<u8>,
}

fn split_compressed(wire: &[u8], marker: &[u8], who: &str) -> Compressed {
    let at = position(wire, marker)
        .unwrap_or_else(|| panic!("no {} from the {who}: {}", escape(marker), escape(wire)));
    let stream = &wire[at + marker.len()..];
    assert!(stream.len() >= 2, "no zlib stream after the {who}'s marker");
    let header = [stream[0], stream[1]];
    // A zlib header: method 8 (deflate), check bits making it a multiple of 31.
    assert!(
        header[0] & 0x0f == 8 && u16::from_be_bytes(header) % 31 == 0,
        "not a zlib header after the {who}'s marker: {}",
        escape(&stream[..stream.len().min(32)])
    );
    let mut inflater = Decompress::new(true);
    let mut telnet = wire[..at + marker.len()].to_vec();
    let (used, ended) = loop {
        telnet.reserve(64 * 1024);
        let used = usize::try_from(inflater.total_in()).unwrap();
        let status = inflater
            .decompress_vec(&stream[used..], &mut telnet, FlushDecompress::Sync)
            .unwrap_or_else(|e| panic!("the {who}'s zlib stream is corrupt: {e}"));
        let used = usize::try_from(inflater.total_in()).unwrap();
        if status == Status::StreamEnd {
            break (used, true);
        }
        if used == stream.len() && telnet.len() < telnet.capacity() {
            break (used, false);
        }
    };
    telnet.extend_from_slice(&stream[used..]);
    Compressed {
        before: wire[..at].to_vec(),
        header,
        compressed: used,
        ended,
        telnet,
    }
}

/// The Telnet stream in `wire`: inflated after `marker` if a zlib stream has begun
/// there, else `wire` as it is.
fn telnet_view(wire: &[u8], marker: &[u8], who: &str) -> Vec<u8> {
    match position(wire, marker) {
        Some(at) if wire.len() >= at + marker.len() + 2 => {
            split_compressed(wire, marker, who).telnet
        }
        _ => wire.to_vec(),
    }
}

/// The zlib window a stream header announces, in bytes.
fn window(header: [u8; 2]) -> usize {
    1 << ((header[0] >> 4) + 8)
}

#[test]
fn our_client_against_telnetlib3_server_with_compression() {
    let mut cell = Cell::new(
        "2g-telnetlib3-server-mccp2",
        their_servers::GROUP,
        "telnetlib3 5.0.1 `create_server(compression=True)`; our client refuses MCCP3",
        "server",
    );
    let (_server, address) = python_server("telnetlib3", "tl3_server.py", &["--compression"]);
    let tap = Tap::new(address);
    // It offers MCCP3 only to refuse our DO (see 2g2): MCCP2 alone here.
    let conn = our_client_builder()
        .compression(true)
        .never_do(Opt::MCCP3)
        .connect(tap.addr())
        .expect("connect our client");
    let report = conn.read_until_str("echo> ", WAIT).expect("the prompt");
    assert_eq!(seen(&report, "TERM"), TERM);
    assert_eq!(seen(&report, "cols"), COLS.to_string());
    assert_eq!(seen(&report, "rows"), ROWS.to_string());
    conn.wait_for(&[Want::RemoteEnabled(Opt::MCCP2)], WAIT)
        .expect("MCCP2 agreed");
    // Its report came after its marker, so we inflate by now.
    assert_eq!(conn.compression(), (false, true));
    assert!(!conn.remote_option(Opt::MCCP3));
    cell.note("MCCP2 agreed (MCCP3 offered, refused by us); our compression() = (false, true)");

    conn.write_str(&format!("{LINE}\n"), WAIT).unwrap();
    let echoed = conn.read_until_str("echo> ", WAIT).expect("the echo");
    assert!(echoed.contains(&format!("ECHO:{LINE}\r\n")), "{echoed:?}");
    conn.write_str("mccp\n", WAIT).unwrap();
    let state = conn
        .read_until_str("echo> ", WAIT)
        .expect("the MCCP report");
    assert_eq!(seen(&state, "MCCP2"), "True", "{state:?}");
    assert_eq!(seen(&state, "MCCP2_COMPRESSING"), "True", "{state:?}");
    assert_eq!(seen(&state, "MCCP3_INFLATING"), "False", "{state:?}");
    assert_eq!(seen(&state, "TLS"), "False");
    cell.note("UTF-8 line round trip; telnetlib3 reports it compresses");

    conn.write_str(&format!("big {BIG_LINES}\n"), WAIT).unwrap();
    let big = conn.read_until(b"#BIG-END#", WAIT).expect("the big text");
    let expected = big_text(BIG_LINES);
    let start = position(&big, b"000000 ").expect("the first line");
    let received = &big[start..big.len() - b"#BIG-END#".len()];
    assert!(
        received == expected.as_bytes(),
        "{} bytes received, {} expected, first difference at {:?}",
        received.len(),
        expected.len(),
        received
            .iter()
            .zip(expected.as_bytes())
            .position(|(a, b)| a != b)
    );

    // The relay's view: the server's marker, then zlib holding the text.
    let wire = tap.server_sent();
    let from_server = split_compressed(&wire, MCCP2_MARKER, "server");
    assert!(!from_server.ended);
    assert!(
        position(&from_server.telnet, expected.as_bytes()).is_some(),
        "the inflated MCCP2 stream does not hold the big text"
    );
    assert!(position(&wire, b"quick brown fox").is_none());
    cell.note(format!(
        "{} bytes of text arrived byte for byte, {} bytes on the wire after IAC SB MCCP2 \
         IAC SE (zlib, {} B window), inflated by the test to the same text",
        expected.len(),
        wire.len() - from_server.before.len(),
        window(from_server.header)
    ));
    // Counted on the inflated stream: the raw bytes after the marker are zlib, in
    // which the scanner would find phantom IACs.
    cell.note(assert_no_loop_in(
        &tap.client_sent(),
        &from_server.telnet,
        2,
    ));
}

#[test]
fn our_client_accepting_mccp3_from_telnetlib3_server() {
    let mut cell = Cell::new(
        "2g2-telnetlib3-server-mccp3",
        their_servers::GROUP,
        "telnetlib3 5.0.1 `create_server(compression=True)`; our client accepts MCCP3",
        "server",
    );
    let (server, address) = python_server("telnetlib3", "tl3_server.py", &["--compression"]);
    let tap = Tap::new(address);
    let conn = our_client_builder()
        .compression(true)
        .connect(tap.addr())
        .expect("connect our client");
    // WILL MCCP3 from it, DO MCCP3 and our marker from us, then its WONT MCCP3.
    conn.wait_for(&[Want::NotPending(Opt::MCCP3)], WAIT)
        .expect("an answer about MCCP3");
    assert!(!conn.remote_option(Opt::MCCP3));
    poll_until("our MCCP3 stream to end", || !conn.compression().0);
    poll_until("the relay to see our stream end", || {
        let wire = tap.client_sent();
        position(&wire, MCCP3_MARKER).is_some_and(|at| {
            wire.len() > at + 8 && split_compressed(&wire[at..], MCCP3_MARKER, "client").ended
        })
    });
    let wire = tap.client_sent();
    let from_client = split_compressed(&wire, MCCP3_MARKER, "client");
    // Its answer may come before or after its own MCCP2 marker: our client has read
    // it, so the relay has seen it.
    let theirs = negotiations(&telnet_view(&tap.server_sent(), MCCP2_MARKER, "server"));
    assert_eq!(theirs.get(&(0xfc, Opt::MCCP3.0)), Some(&1), "WONT MCCP3");
    cell.note(format!(
        "it offers WILL MCCP3, then answers our DO MCCP3 with WONT MCCP3 (its handle_do \
         lacks MCCP3); we had sent IAC SB MCCP3 IAC SE and {} compressed bytes, and end the \
         stream (Z_FINISH, {} B window) and go on in plain: compression() = {:?}",
        from_client.compressed,
        window(from_client.header),
        conn.compression()
    ));
    // What that does to the session depends on how our bytes were split into its
    // reads: it starts inflating only after the whole read holding our marker, and
    // takes the zlib bytes in that read for plain Telnet. Sometimes our answers
    // (DO BINARY, WILL NEW_ENVIRON, the CHARSET reply) are lost and the shell no
    // longer answers; recorded, not asserted (its bugs, not ours).
    let report = conn.read_until_str("echo> ", WAIT).expect("the prompt");
    conn.write_str(&format!("{LINE}\n"), WAIT).unwrap();
    let echoed = conn.read_until_str("echo> ", Some(Duration::from_secs(5)));
    let outcome = match echoed {
        Ok(text) if text.contains(&format!("ECHO:{LINE}")) => "the line came back",
        Ok(_) => "the line came back altered",
        Err(_) => "no echo within 5 s",
    };
    cell.note(format!(
        "this run its shell saw BINARY={}, charset={}, INTEROP={}; {outcome}",
        seen(&report, "BINARY"),
        seen(&report, "charset"),
        seen(&report, "INTEROP")
    ));
    let log = server.output();
    if log.contains("MCCP3 decompression error") {
        cell.note("telnetlib3 logged \"MCCP3 decompression error, disabling\"");
    }
}

#[test]
fn telnetlib3_client_against_our_server_with_compression() {
    let mut cell = Cell::new(
        "1h-telnetlib3-client-mccp2",
        their_clients::GROUP,
        "telnetlib3 5.0.1 `open_connection` (default: passive MCCP) → our server offering MCCP2",
        "client",
    );
    let python = venv_python("telnetlib3");
    // MCCP2 alone (1h2 has both).
    let policy = Policy::server()
        .accept(Side::Local, Opt::LOGOUT)
        .request(Side::Local, Opt::MCCP2);
    let server = our_server_with(TelnetServer::builder().policy(policy));
    let mut ours = (false, false);
    let (negotiated, facts, tap) = scripted_with(
        server,
        &python,
        ("telnetlib3", "tl3_client.py", &[]),
        |conn| {
            assert!(conn.local_option(Opt::MCCP2));
            ours = conn.compression();
        },
    );
    cell.note(negotiated);
    assert_eq!(ours, (true, false));
    cell.note(format!(
        "it accepts MCCP2 (DO MCCP2); our compression() = {ours:?}"
    ));
    their_clients::assert_binary_and_echo(&facts);
    assert_eq!(facts["MCCP2"], "True", "{facts:?}");
    assert_eq!(facts["MCCP2_INFLATING"], "True", "{facts:?}");
    assert_eq!(facts["TLS"], "False");
    let from_server = split_compressed(&tap.server_sent(), MCCP2_MARKER, "server");
    let mut reply = Vec::new();
    telnetlib::proto::nvt::escape_iac(REPLY, &mut reply);
    assert!(position(&from_server.telnet, GREETING_BYTES).is_some());
    assert!(position(&from_server.telnet, &reply).is_some());
    assert!(position(&tap.server_sent(), GREETING_BYTES).is_none());
    cell.note(format!(
        "telnetlib3 reports it inflates; greeting and 0xFF reply arrive through our zlib \
         stream ({} B window); line and 0xFF up in plain",
        window(from_server.header)
    ));
    // Counted on the inflated stream (see 2g).
    cell.note(assert_no_loop_in(
        &tap.client_sent(),
        &from_server.telnet,
        2,
    ));
}

#[test]
fn telnetlib3_client_compresses_both_ways_after_plain_commands() {
    let mut cell = Cell::new(
        "1h2-telnetlib3-client-mccp3",
        their_clients::GROUP,
        "telnetlib3 5.0.1 `open_connection` → our server, `compression(true)` (MCCP2 and MCCP3)",
        "client",
    );
    let python = venv_python("telnetlib3");
    let server = our_server_with(TelnetServer::builder().compression(true));
    let (negotiated, facts, tap) = scripted_with(
        server,
        &python,
        ("telnetlib3", "tl3_client.py", &[]),
        |conn| {
            assert!(conn.local_option(Opt::MCCP2) && conn.local_option(Opt::MCCP3));
            // Its stream starts once its plain answers are in.
            poll_until("its MCCP3 stream", || conn.compression() == (true, true));
        },
    );
    cell.note(negotiated);
    their_clients::assert_binary_and_echo(&facts);
    for key in ["MCCP2", "MCCP3", "MCCP2_INFLATING", "MCCP3_COMPRESSING"] {
        assert_eq!(facts[key], "True", "{key} in {facts:?}");
    }
    cell.note("it accepts MCCP2 and MCCP3; both ends report compression in force (our compression() = (true, true))");
    // Its quirk, which our server now takes: plain Telnet between its marker and
    // its zlib stream (the answer to our DO TTYPE, read in the same segment).
    let wire = tap.client_sent();
    let at = position(&wire, MCCP3_MARKER).expect("its MCCP3 marker") + MCCP3_MARKER.len();
    let after = &wire[at..wire.len().min(at + 12)];
    assert_eq!(after.first(), Some(&0xff), "{}", escape(after));
    let line = their_clients::LINE.as_bytes();
    assert!(position(&wire[at..], line).is_none(), "its line went plain");
    let from_server = split_compressed(&tap.server_sent(), MCCP2_MARKER, "server");
    let mut reply = Vec::new();
    telnetlib::proto::nvt::escape_iac(REPLY, &mut reply);
    assert!(position(&from_server.telnet, GREETING_BYTES).is_some());
    assert!(position(&from_server.telnet, &reply).is_some());
    cell.note(format!(
        "after IAC SB MCCP3 IAC SE it sends plain Telnet ({}) and then its zlib stream: \
         our server takes the commands as plain and inflates from the zlib header; its \
         line and 0xFF go up compressed, greeting and reply come down through our MCCP2 stream",
        escape(after)
    ));
}

/// The (type, length) of each TLS record in `bytes`.
fn tls_records(bytes: &[u8]) -> Vec<(u8, usize)> {
    let mut records = Vec::new();
    let mut rest = bytes;
    while let [kind, _, _, high, low, body @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*high, *low]));
        records.push((*kind, len));
        rest = &body[len.min(body.len())..];
    }
    records
}

/// Checks that the relay saw TLS only: a handshake record first each way, and none of
/// `secrets` in the clear.
fn assert_tls_wire(tap: &Tap, secrets: &[&[u8]]) -> String {
    let (client, server) = (tap.client_sent(), tap.server_sent());
    // Record type 22 (handshake), version 3.x.
    assert_eq!(client[..2], [0x16, 0x03], "{}", escape(&client[..16]));
    assert_eq!(server[..2], [0x16, 0x03], "{}", escape(&server[..16]));
    // Every record a TLS one: change_cipher_spec, alert, handshake, application data.
    let (up, down) = (tls_records(&client), tls_records(&server));
    for (who, records) in [("client", &up), ("server", &down)] {
        assert!(
            records.iter().all(|&(kind, _)| (20..=23).contains(&kind)),
            "the {who} sent something other than TLS records: {records:?}"
        );
    }
    for secret in secrets {
        assert!(position(&client, secret).is_none() && position(&server, secret).is_none());
    }
    format!(
        "wire: TLS records only ({} B in {} records up, {} B in {} down), no plain text",
        client.len(),
        up.len(),
        server.len(),
        down.len()
    )
}

#[test]
fn our_tls_client_against_telnetlib3_tls_server() {
    let mut cell = Cell::new(
        "2h-telnetlib3-server-tls",
        their_servers::GROUP,
        "telnetlib3 5.0.1 `create_server(ssl=SSLContext, compression=True)`",
        "server (TLS)",
    );
    let certificate = Certificate::new();
    let (_server, address) = python_server(
        "telnetlib3",
        "tl3_server.py",
        &[
            "--compression",
            "--certfile",
            certificate.cert.to_str().unwrap(),
            "--keyfile",
            certificate.key.to_str().unwrap(),
        ],
    );
    let tap = Tap::new(address);
    let roots = Roots::PemFile(certificate.cert.clone());
    let conn = our_client_builder()
        .compression(true)
        .tls(tls::client_config(roots).unwrap(), "localhost")
        .connect(tap.addr())
        .expect("connect our client");
    let report = conn.read_until_str("echo> ", WAIT).expect("the prompt");
    assert_eq!(seen(&report, "TERM"), TERM);
    assert_eq!(seen(&report, "cols"), COLS.to_string());
    assert_eq!(seen(&report, "rows"), ROWS.to_string());
    assert_eq!(seen(&report, "charset").to_ascii_uppercase(), "UTF-8");
    cell.note(format!(
        "server saw TERM {TERM}, {COLS}x{ROWS}, CHARSET {} inside TLS",
        seen(&report, "charset")
    ));
    conn.write_str(&format!("{LINE}\n"), WAIT).unwrap();
    let echoed = conn.read_until_str("echo> ", WAIT).expect("the echo");
    assert!(echoed.contains(&format!("ECHO:{LINE}")), "{echoed:?}");
    cell.note("UTF-8 round trip ok");

    // Neither side offers MCCP over TLS, though both were built to compress.
    conn.write_str("mccp\n", WAIT).unwrap();
    let state = conn
        .read_until_str("echo> ", WAIT)
        .expect("the MCCP report");
    assert_eq!(seen(&state, "TLS"), "True");
    for key in ["MCCP2", "MCCP3", "MCCP2_COMPRESSING", "MCCP3_INFLATING"] {
        assert_eq!(seen(&state, key), "False", "{key}: {state:?}");
    }
    assert!(!conn.remote_option(Opt::MCCP2) && !conn.remote_option(Opt::MCCP3));
    // Asked anyway, telnetlib3 refuses (WONT MCCP2).
    conn.request_do(Opt::MCCP2).unwrap();
    conn.wait_for(&[Want::NotPending(Opt::MCCP2)], WAIT)
        .expect("an answer to DO MCCP2");
    assert!(!conn.remote_option(Opt::MCCP2));
    assert_eq!(conn.compression(), (false, false));
    cell.note(
        "MCCP not offered over TLS (telnetlib3 with compression=True); our DO MCCP2 refused; \
         compression() = (false, false)",
    );
    cell.note(assert_tls_wire(&tap, &[LINE.as_bytes(), b"TERM="]));
}

/// telnetlib3 (asyncio) ends a TLS session with `close_notify` and keeps the TCP
/// connection open until the peer answers with its own, or until asyncio's 30 s
/// shutdown timeout. Our client takes the peer's `close_notify` as the end of the
/// session: it answers in kind and a read reports `Eof` at once. (This test found the
/// bug: before the fix the read waited the full 30 s.)
#[test]
fn telnetlib3_tls_server_close_notify_ends_our_session() {
    let certificate = Certificate::new();
    let (_server, address) = python_server(
        "telnetlib3",
        "tl3_server.py",
        &[
            "--certfile",
            certificate.cert.to_str().unwrap(),
            "--keyfile",
            certificate.key.to_str().unwrap(),
        ],
    );
    let roots = Roots::PemFile(certificate.cert.clone());
    let conn = our_client_builder()
        .tls(tls::client_config(roots).unwrap(), "localhost")
        .connect(address)
        .expect("connect our client");
    conn.read_until_str("echo> ", WAIT).expect("the prompt");
    conn.write_str("quit\n", WAIT).unwrap();
    conn.read_until_str("ECHO:quit\r\n", WAIT)
        .expect("the echo");
    let start = Instant::now();
    let end = conn.read_some(Some(Duration::from_secs(60)));
    assert!(matches!(end, Err(Error::Eof { .. })), "{end:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the end of the session took {:?}",
        start.elapsed()
    );
}

#[test]
fn telnetlib3_tls_client_against_our_tls_server() {
    let mut cell = Cell::new(
        "1i-telnetlib3-client-tls",
        their_clients::GROUP,
        "telnetlib3 5.0.1 `open_connection(ssl=SSLContext)` → our server, `tls` + `compression(true)`",
        "client (TLS)",
    );
    let certificate = Certificate::new();
    let python = venv_python("telnetlib3");
    let server = our_server_with(
        TelnetServer::builder()
            .tls(tls::server_config(&certificate.cert, &certificate.key).unwrap())
            .compression(true),
    );
    let (negotiated, facts, tap) = scripted_with(
        server,
        &python,
        (
            "telnetlib3",
            "tl3_client.py",
            &["--cafile", certificate.cert.to_str().unwrap()],
        ),
        |conn| {
            assert_eq!(conn.terminal_type(), "xterm-tl3");
            assert_eq!((conn.columns(), conn.rows()), (132, 43));
            assert_eq!(conn.charset().as_deref(), Some("UTF-8"));
            assert!(conn.local_option(Opt::BINARY) && conn.remote_option(Opt::BINARY));
            assert!(!conn.local_option(Opt::MCCP2) && !conn.local_option(Opt::MCCP3));
            assert_eq!(conn.compression(), (false, false));
        },
    );
    cell.note(negotiated);
    their_clients::assert_binary_and_echo(&facts);
    assert_eq!(facts["TLS"], "True");
    for key in ["MCCP2", "MCCP3", "MCCP2_INFLATING", "MCCP3_COMPRESSING"] {
        assert_eq!(facts[key], "False", "{key} in {facts:?}");
    }
    cell.note(
        "it verified our certificate (its own SSLContext, name 127.0.0.1); line, UTF-8 both \
         ways and 0xFF both ways in BINARY: ok; no MCCP over TLS though our server compresses \
         plain connections",
    );
    cell.note(assert_tls_wire(&tap, &[LINE.as_bytes(), GREETING_BYTES]));
}

#[test]
fn our_client_cli_with_ssl_cafile_against_telnetlib3_server_cli() {
    let mut cell = Cell::new(
        "3g-cli-client-tls-vs-telnetlib3-server",
        crate::clis::GROUP,
        "`telnetlib-client --ssl-cafile` → `telnetlib3-server --ssl-certfile --ssl-keyfile --compression`",
        "scripted (TLS)",
    );
    venv_python("telnetlib3");
    let certificate = Certificate::new();
    let port = free_port();
    let _server = Proc::spawn(
        "telnetlib3-server",
        Command::new(venv().join("bin/telnetlib3-server"))
            .args(["127.0.0.1", &port.to_string(), "--connect-maxwait", "10"])
            .arg("--compression")
            .arg("--ssl-certfile")
            .arg(&certificate.cert)
            .arg("--ssl-keyfile")
            .arg(&certificate.key),
    );
    let tap = Tap::new(wait_listening(port));
    let mut client = Proc::spawn(
        "telnetlib-client",
        Command::new(crate::clis::OUR_CLIENT)
            .arg("--ssl-cafile")
            .arg(&certificate.cert)
            .args(["--term", "vt-cli-tls", "127.0.0.1", &tap.port()]),
    );
    let banner = client.wait_output("tel:sh> ");
    assert!(banner.contains("Ready (secure: TLS"), "{banner}");
    client.input("version\n");
    client.wait_output("5.0.1");
    client.input("writer\n");
    let shown = client.wait_output("client-will:");
    let writer = shown
        .lines()
        .find(|l| l.contains("client-will:"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    assert!(
        writer.contains("TTYPE") && writer.contains("NAWS"),
        "{writer}"
    );
    assert!(!writer.contains("MCCP"), "{writer}");
    client.input("quit\n");
    client.wait_output("Goodbye.");
    // telnetlib3 sends close_notify and keeps TCP open until ours arrives (asyncio's
    // 30 s SSL shutdown timeout): our client answers it and exits well before that.
    let quit = Instant::now();
    let (status, _) = client.wait_exit();
    assert!(status.success(), "{status:?}");
    assert!(
        quit.elapsed() < Duration::from_secs(5),
        "the client took {:?} to leave after close_notify",
        quit.elapsed()
    );
    cell.note(format!(
        "banner \"Ready (secure: TLSv1.3)\", `version`, `quit` → Goodbye; server's view: {writer} \
         (no MCCP over TLS despite --compression); the server's close_notify ends the client \
         at once"
    ));
    cell.note(assert_tls_wire(&tap, &[b"Ready", b"vt-cli-tls"]));
}

#[test]
fn telnetlib3_client_cli_with_ssl_against_our_server_cli() {
    let mut cell = Cell::new(
        "3h-telnetlib3-client-tls-vs-cli-server",
        crate::clis::GROUP,
        "`telnetlib3-client --ssl --ssl-cafile` → `telnetlib-server --ssl-certfile --ssl-keyfile`",
        "scripted (TLS)",
    );
    venv_python("telnetlib3");
    let certificate = Certificate::new();
    let port = free_port();
    let _server = Proc::spawn(
        "telnetlib-server",
        Command::new(crate::clis::OUR_SERVER)
            .args(["127.0.0.1", &port.to_string(), "--connect-maxwait", "10"])
            .arg("--ssl-certfile")
            .arg(&certificate.cert)
            .arg("--ssl-keyfile")
            .arg(&certificate.key),
    );
    let tap = Tap::new(wait_listening(port));
    let mut client = Proc::spawn(
        "telnetlib3-client",
        Command::new(venv().join("bin/telnetlib3-client"))
            .arg("--ssl")
            .arg("--ssl-cafile")
            .arg(&certificate.cert)
            .args(["--term", "vt-tl3cli-tls", "127.0.0.1", &tap.port()]),
    );
    let (info, output) = info_then_quit(&mut client);
    // Our server's last records: "Goodbye.\r\n" (10 bytes, 27 as a TLS 1.3 record),
    // then close_notify (an encrypted alert, 19), then FIN. telnetlib3-client
    // sometimes prints "Connection closed by foreign host." without that last line.
    let records = tls_records(&tap.server_sent());
    assert_eq!(
        records[records.len() - 2..],
        [(23, 27), (23, 19)],
        "{records:?}"
    );
    let goodbye = if output.contains("Goodbye.") {
        "shown"
    } else {
        "sent but not shown (its quirk over TLS)"
    };
    assert!(info.contains("terminal_type: vt-tl3cli-tls"), "{info}");
    let fact = |key: &str| info_line(&info, key);
    assert!(!fact("local_options:").contains("MCCP"), "{info}");
    cell.note(format!(
        "`info` round trip, `quit` → exit 0 (\"Goodbye.\" {goodbye}); our server saw {}, {}, \
         {}, {}",
        fact("terminal_type:"),
        fact("columns:"),
        fact("rows:"),
        fact("encoding:")
    ));
    cell.note(assert_tls_wire(&tap, &[b"vt-tl3cli-tls", b"terminal_type"]));
}

#[test]
fn telnetlib3_client_cli_against_our_server_cli_with_compression() {
    let mut cell = Cell::new(
        "3i-telnetlib3-client-vs-cli-server-mccp2",
        crate::clis::GROUP,
        "`telnetlib3-client --always-dont MCCP3_COMPRESS` → `telnetlib-server --compression`",
        "scripted",
    );
    venv_python("telnetlib3");
    let port = free_port();
    let _server = Proc::spawn(
        "telnetlib-server",
        Command::new(crate::clis::OUR_SERVER).args([
            "127.0.0.1",
            &port.to_string(),
            "--connect-maxwait",
            "10",
            "--compression",
        ]),
    );
    let tap = Tap::new(wait_listening(port));
    // MCCP2 alone here (1h2 has its MCCP3 too).
    let mut client = Proc::spawn(
        "telnetlib3-client",
        Command::new(venv().join("bin/telnetlib3-client")).args([
            "--always-dont",
            "MCCP3_COMPRESS",
            "--term",
            "vt-tl3cli-z",
            "127.0.0.1",
            &tap.port(),
        ]),
    );
    let (info, output) = info_then_quit(&mut client);
    assert!(output.contains("Goodbye."), "{output}");
    assert!(info.contains("terminal_type: vt-tl3cli-z"), "{info}");
    let fact = |key: &str| info_line(&info, key);
    let local = fact("local_options:");
    assert!(
        local.split_whitespace().any(|o| o == "MCCP2") && !local.contains("MCCP3"),
        "{info}"
    );
    // The relay's view: our marker, then zlib holding the shell's text.
    let wire = tap.server_sent();
    let from_server = split_compressed(&wire, MCCP2_MARKER, "server");
    assert!(position(&from_server.telnet, b"terminal_type: vt-tl3cli-z").is_some());
    assert!(position(&from_server.telnet, b"Goodbye.").is_some());
    assert!(position(&wire, b"terminal_type").is_none());
    let theirs = negotiations(&tap.client_sent());
    assert_eq!(theirs.get(&(0xfd, Opt::MCCP2.0)), Some(&1), "DO MCCP2");
    assert_eq!(theirs.get(&(0xfe, Opt::MCCP3.0)), Some(&1), "DONT MCCP3");
    cell.note(format!(
        "it answers DO MCCP2, DONT MCCP3; `info` round trip through our zlib stream \
         ({} B window, {} bytes, {}), `quit` → exit 0; our server saw {local}, {}",
        window(from_server.header),
        from_server.compressed,
        if from_server.ended {
            "ended before the close"
        } else {
            "not ended before the close"
        },
        fact("terminal_type:")
    ));
    cell.note(assert_no_loop_in(
        &tap.client_sent(),
        &from_server.telnet,
        2,
    ));
}

#[test]
fn our_client_cli_refusing_compression_against_telnetlib3_server_cli() {
    let mut cell = Cell::new(
        "3j-cli-client-no-compression-vs-telnetlib3-server",
        crate::clis::GROUP,
        "`telnetlib-client --no-compression` → `telnetlib3-server --compression`",
        "scripted",
    );
    venv_python("telnetlib3");
    let port = free_port();
    let _server = Proc::spawn(
        "telnetlib3-server",
        Command::new(venv().join("bin/telnetlib3-server")).args([
            "127.0.0.1",
            &port.to_string(),
            "--connect-maxwait",
            "10",
            "--compression",
        ]),
    );
    let tap = Tap::new(wait_listening(port));
    let mut client = Proc::spawn(
        "telnetlib-client",
        Command::new(crate::clis::OUR_CLIENT).args([
            "--no-compression",
            "--term",
            "vt-cli-plain",
            "127.0.0.1",
            &tap.port(),
        ]),
    );
    client.wait_output("tel:sh> ");
    client.input("version\n");
    client.wait_output("5.0.1");
    client.input("quit\n");
    let (status, output) = client.wait_exit();
    assert!(status.success(), "{output}");
    assert!(
        output.contains("Ready.") && output.contains("Goodbye."),
        "{output}"
    );
    let (ours, theirs) = (
        negotiations(&tap.client_sent()),
        negotiations(&tap.server_sent()),
    );
    for opt in [Opt::MCCP2, Opt::MCCP3] {
        assert_eq!(theirs.get(&(0xfb, opt.0)), Some(&1), "WILL {opt:?}");
        assert_eq!(ours.get(&(0xfe, opt.0)), Some(&1), "DONT {opt:?}");
    }
    assert!(position(&tap.server_sent(), MCCP2_MARKER).is_none());
    assert!(position(&tap.client_sent(), MCCP3_MARKER).is_none());
    cell.note(
        "it offers WILL MCCP2 and WILL MCCP3, we answer DONT to both; the session stays \
         plain (no marker either way); `version`, `quit` → exit 0",
    );
    cell.note(tap.assert_no_loop(2));
}
