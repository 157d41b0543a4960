//! Bytes that are not valid in the connection's encoding. The library's one
//! error policy is replacement: each malformed sequence reads as U+FFFD (never a panic,
//! never an error, never a stall), and a character the encoding cannot represent is
//! written as `?`.

use telnetlib::{Encoding, TelnetConnection, TelnetServer};

use super::*;

/// Invalid UTF-8 sent to a UTF-8 server reads as replacement characters.
#[test]
fn invalid_utf8_from_a_client_reads_as_replacement_characters() {
    let _serial = serial();
    let served = Served::start(
        TelnetServer::builder()
            .line_mode(true)
            .connect_maxwait(std::time::Duration::from_millis(200)),
        echo_handler,
    );
    let mut peer = ready_peer(served.addr());
    let cases: [(&[u8], &str); 6] = [
        (b"a\x80b", "a\u{fffd}b"),             // a lone continuation byte
        (b"a\xc3(b", "a\u{fffd}(b"),           // a truncated two-byte sequence
        (b"a\xc0\xafb", "a\u{fffd}\u{fffd}b"), // an overlong '/'
        (b"a\xed\xa0\x80b", "a\u{fffd}\u{fffd}\u{fffd}b"), // a surrogate
        (
            b"a\xf8\x88\x80\x80\x80b",
            "a\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}b",
        ),
        (b"end\xe2\x82", "end\u{fffd}"), // truncated by the line end
    ];
    for (sent, read) in cases {
        let mut line = sent.to_vec();
        line.extend_from_slice(b"\r\n");
        peer.send(&line);
        let expected = format!("pong {read}\r\n");
        let got = peer.receive_until(|got| got.ends_with(b"\r\n"));
        assert_eq!(
            String::from_utf8_lossy(&got),
            expected,
            "for {:?}",
            support::escape(sent)
        );
    }
    drop(peer);
    served.stop();
}

/// A client reading a Shift_JIS stream with invalid and split sequences: every `_str`
/// read decodes without panicking, a character split across reads is decoded once,
/// and malformed bytes become U+FFFD.
#[test]
fn invalid_shift_jis_from_a_server_reads_as_replacement_characters() {
    let _serial = serial();
    let (conn, mut server) = client_of_raw_server(
        TelnetConnection::builder().encoding(Encoding::for_label("shift_jis").unwrap()),
    );
    // 0x82 0xA0 is あ; 0x82 then a line end is truncated; 0xA0 alone is unassigned.
    server.send(b"\x82\xa0\x82\r\n\xa0x\r\n");
    assert_eq!(conn.readline_str(Some(DEADLINE)).unwrap(), "あ\u{fffd}\r\n");
    assert_eq!(conn.readline_str(Some(DEADLINE)).unwrap(), "\u{fffd}x\r\n");
    // あ split across two packets, read in between.
    server.send(b"\x82");
    server.expect_nothing_more();
    let error = conn.read_some_str(Duration::from_millis(50)).unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    server.send(b"\xa0!");
    assert_eq!(conn.read_until_str("!", Some(DEADLINE)).unwrap(), "あ!");
}

/// Every byte value, in every encoding a user may pick, through every `_str` read:
/// no panic, and the text arrives (the only bytes the decoders may drop are those of
/// an incomplete final character, which become U+FFFD).
#[test]
fn every_byte_value_decodes_in_every_encoding_without_panicking() {
    let _serial = serial();
    let all: Vec<u8> = (0..=255u8)
        .flat_map(|b| if b == 255 { vec![255, 255] } else { vec![b] })
        .collect();
    for encoding in [
        "utf-8",
        "latin1",
        "shift_jis",
        "big5",
        "euc-kr",
        "gb18030",
        "koi8-r",
        "cp437",
        "cp866",
    ] {
        let (conn, mut server) = client_of_raw_server(
            TelnetConnection::builder().encoding(Encoding::for_label(encoding).unwrap()),
        );
        for chunk in all.chunks(7) {
            server.send(chunk);
        }
        server.send(b"\r\n<end>\r\n");
        let text = conn.read_until_str("<end>", Some(DEADLINE)).unwrap();
        assert!(text.ends_with("<end>"), "{encoding}: {text:?}");
        // Writing the decoded text back encodes without panicking ('?' if unmappable).
        conn.write_str(&text, Some(DEADLINE)).unwrap();
        server.receive_until(|got| got.ends_with(b"<end>"));
    }
}

/// Text the encoding cannot represent is written as `?`.
#[test]
fn unrepresentable_text_is_written_as_question_marks() {
    let _serial = serial();
    let (conn, mut server) = client_of_raw_server(
        TelnetConnection::builder().encoding(Encoding::for_label("latin1").unwrap()),
    );
    conn.write_str("café 日本\n", Some(DEADLINE)).unwrap();
    server.expect(b"caf\xe9 ??\r\n");
}
