//! ATASCII, PETSCII and Atari ST against telnetlib3 5.0.1's codecs of the same names:
//! `tests/encodings/retro.txt` holds what they decode every byte to and encode
//! every character and line ending to (written by `retro.py` beside it; the
//! interop suite checks it is still what telnetlib3 says). Then a session in each
//! direction in ATASCII, whose end of line is not CR or LF.

use crate::support;

use std::time::Duration;

use support::loopback::loopback;
use support::peer::DEADLINE;
use telnetlib::{Encoding, TelnetConnection, TelnetServer};

const WAIT: Option<Duration> = Some(DEADLINE);

const GOLDEN: &str = include_str!("../encodings/retro.txt");

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).expect("hex byte"))
        .collect()
}

fn code_points(hex: &str) -> String {
    hex.split('+')
        .map(|point| char::from_u32(u32::from_str_radix(point, 16).expect("hex")).expect("char"))
        .collect()
}

fn decode(encoding: Encoding, bytes: &[u8]) -> String {
    let mut text = String::new();
    encoding.decoder().decode(bytes, true, &mut text);
    text
}

/// Each golden line as (codec, kind, input, expected).
fn golden() -> impl Iterator<Item = (&'static str, &'static str, &'static str, &'static str)> {
    GOLDEN.lines().filter(|l| !l.starts_with('#')).map(|line| {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 4, "malformed golden line {line:?}");
        (fields[0], fields[1], fields[2], fields[3])
    })
}

#[test]
fn every_byte_decodes_as_telnetlib3_decodes_it() {
    let mut checked = 0;
    for (codec, kind, byte, expected) in golden().filter(|(_, kind, ..)| *kind == "decode") {
        let encoding = Encoding::for_label(codec).unwrap();
        let got = decode(encoding, &hex_bytes(byte));
        assert_eq!(got, code_points(expected), "{codec} {kind} {byte}");
        checked += 1;
    }
    assert_eq!(checked, 3 * 256);
}

/// Where several bytes show the same character, telnetlib3's PETSCII encodes it to
/// the last (its `charmap_build` keeps the last), and so `\r` to SHIFT-RETURN 0x8D;
/// we encode to the first, so `\r` is RETURN 0x0D, what a Commodore's own key sends.
/// Everything else must be byte for byte what telnetlib3 sends.
#[test]
fn text_encodes_as_telnetlib3_encodes_it_but_to_the_lowest_of_equal_bytes() {
    let mut lower = Vec::new();
    for (codec, _, text, expected) in golden().filter(|(_, kind, ..)| *kind == "encode") {
        let encoding = Encoding::for_label(codec).unwrap();
        let text = String::from_utf8(hex_bytes(text)).unwrap();
        let ours = encoding.encode(&text);
        if expected == "unmappable" {
            assert!(
                ours.iter().all(|&b| b == b'?'),
                "{codec} {text:?}: {ours:x?}"
            );
            continue;
        }
        let theirs = hex_bytes(expected);
        if ours != theirs {
            assert_eq!(
                codec, "petscii",
                "{text:?}: ours {ours:x?}, theirs {theirs:x?}"
            );
            assert_eq!(
                decode(encoding, &ours),
                decode(encoding, &theirs),
                "{text:?}"
            );
            assert!(
                ours < theirs,
                "{text:?}: ours {ours:x?}, theirs {theirs:x?}"
            );
            lower.push(text);
        }
    }
    // The difference that matters on the wire.
    assert!(lower.iter().any(|text| text == "\r"), "{lower:?}");
    assert_eq!(Encoding::PETSCII.encode("\r"), [0x0D]);
}

#[test]
fn labels_name_the_retro_sets_as_telnetlib3_does() {
    for (label, encoding) in [
        ("atascii", Encoding::ATASCII),
        ("atari8bit", Encoding::ATASCII),
        ("atari_8bit", Encoding::ATASCII),
        ("PETSCII", Encoding::PETSCII),
        ("cbm", Encoding::PETSCII),
        ("commodore", Encoding::PETSCII),
        ("c64", Encoding::PETSCII),
        ("c128", Encoding::PETSCII),
        ("atarist", Encoding::ATARI_ST),
        ("atari", Encoding::ATARI_ST),
    ] {
        assert_eq!(Encoding::for_label(label).unwrap(), encoding, "{label}");
    }
    assert_eq!(Encoding::ATARI_ST.name(), "ATARIST");
}

#[test]
fn an_atascii_server_sends_its_end_of_line_and_reads_lines_ended_by_it() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().encoding(Encoding::ATASCII),
        TelnetConnection::builder().encoding(Encoding::ATASCII),
    );
    connection.send("READY ♥\n").unwrap();
    assert_eq!(conn.readline(WAIT).unwrap(), b"READY \x00\x9b");
    // The \x00 above is the heart (ATASCII 0x00), not a CR NUL.

    conn.write_bytes(b"LOAD \x7b\x9b", WAIT).unwrap();
    assert_eq!(connection.readline_str(WAIT).unwrap(), "LOAD ♠\n");
    drop(server);
}

#[test]
fn an_atascii_client_writes_lines_the_server_takes_as_commands() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().encoding(Encoding::ATASCII),
        TelnetConnection::builder().encoding(Encoding::ATASCII),
    );
    conn.write_str("look\r\n", WAIT).unwrap();
    assert!(
        support::peer::eventually(DEADLINE, || connection.cmd_ready()),
        "the 0x9B line end makes a command"
    );
    assert_eq!(connection.get_command().as_deref(), Some("look"));
    // The server echoes what it edits, its end of line in ATASCII too.
    assert_eq!(conn.readline(WAIT).unwrap(), b"look\x9b");

    connection.send("♣ room\n").unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "♣ room\n");
    drop(server);
}
