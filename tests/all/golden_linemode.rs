//! Golden vectors for LINEMODE (RFC 1184): the exact payloads a `Linemode` sends, and
//! once per kind of message the exact wire bytes through `Engine::send_subnegotiation`.
//! The vectors come from captures of telnetlib3's LINEMODE exchange and from RFC 1184's
//! example connection (§5.10).

use telnetlib::proto::linemode::{
    Change, ForwardMask, Level, Linemode, ModeMask, SLC_ABORT, SLC_EC, SLC_EL, SLC_EOF, SLC_EW,
    SLC_IP, SLC_LNEXT, SLC_RP, SLC_XOFF, SLC_XON, SlcTable, SlcTriplet,
};
use telnetlib::proto::{Engine, Event, Opt, Policy};

/// Bytes written as hexadecimal pairs separated by spaces (`"ff fa 22"`).
fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|pair| u8::from_str_radix(pair, 16).expect("a hexadecimal byte"))
        .collect()
}

fn hexes(texts: &[&str]) -> Vec<Vec<u8>> {
    texts.iter().map(|text| hex(text)).collect()
}

/// The bytes an engine puts on the wire for these LINEMODE payloads.
fn wire(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut engine = Engine::new(Policy::server());
    for payload in payloads {
        engine.send_subnegotiation(Opt::LINEMODE, payload);
    }
    engine.take_output()
}

/// The LINEMODE payloads an engine reports for these wire bytes.
fn unwire(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut engine = Engine::new(Policy::client());
    let mut payloads = Vec::new();
    engine.receive(bytes, |event| {
        if let Event::Subnegotiation { opt, data } = event {
            assert_eq!(opt, Opt::LINEMODE);
            payloads.push(data.to_vec());
        }
    });
    payloads
}

/// Feeds each payload to `side`, returning everything it sends back.
fn answer(side: &mut Linemode, payloads: &[Vec<u8>]) -> Vec<Vec<u8>> {
    payloads
        .iter()
        .flat_map(|payload| side.receive(payload).expect("well-formed").send)
        .collect()
}

/// Feeds `payloads` to `side` and checks that it answers exactly `expected`; returns
/// the answers, for the other side.
#[track_caller]
fn exchange(side: &mut Linemode, payloads: &[Vec<u8>], expected: &[&str]) -> Vec<Vec<u8>> {
    let sent = answer(side, payloads);
    assert_eq!(sent, hexes(expected));
    sent
}

/// The SLC table BSD `telnetd` and telnetlib3 send, after the `SLC` byte.
const BSD_TABLE: &str = "01 03 00 02 03 00 03 62 03 04 22 0f 05 02 14 06 03 00 07 62 1c \
                         08 02 04 09 42 1a 0a 02 7f 0b 02 15 0c 02 17 0d 02 12 0e 02 16 \
                         0f 02 11 10 02 13";

#[test]
fn server_start_sends_mode_table_and_a_real_forwardmask() {
    let mut server = Linemode::server();
    let outcome = server.start();
    assert!(outcome.changes.is_empty());
    assert_eq!(
        outcome.send,
        [
            hex("01 03"), // MODE EDIT|TRAPSIG
            hex(&format!("03 {BSD_TABLE}")),
            // DO FORWARDMASK: ^C ^D | LF CR ^O | ^T | ^Z ^\ (IP EOF, AO, AYT, SUSP ABORT)
            hex("fd 02 18 25 08 28"),
        ]
    );
    let table = format!("ff fa 22 03 {BSD_TABLE} ff f0");
    assert_eq!(
        wire(&outcome.send),
        hex(&format!(
            "ff fa 22 01 03 ff f0 {table} ff fa 22 fd 02 18 25 08 28 ff f0"
        ))
    );
    assert_eq!(server.mode(), ModeMask::EDIT | ModeMask::TRAPSIG);
}

#[test]
fn telnetlib3s_mode_exchange_is_reproduced() {
    // telnetlib3's server proposes LIT_ECHO alone: ff fa 22 01 10 ff f0.
    let mut server = Linemode::server().with_mode(ModeMask::LIT_ECHO);
    let start = server.start().send;
    assert_eq!(wire(&start[..1]), hex("ff fa 22 01 10 ff f0"));
    // Its client acknowledges with 0x14, once (no ACK storm).
    let mut client = Linemode::client();
    let ack = answer(&mut client, &start[..1]);
    assert_eq!(ack, hexes(&["01 14"]));
    assert!(answer(&mut client, &start[..1]).is_empty());
    // The server takes the acknowledgement silently.
    let outcome = server.receive(&ack[0]).unwrap();
    assert!(outcome.is_empty());
}

#[test]
fn client_start_imports_the_servers_characters() {
    // telnetlib3's client after DO LINEMODE: ff fa 22 03 00 03 00 ff f0.
    let outcome = Linemode::client().start();
    assert_eq!(wire(&outcome.send), hex("ff fa 22 03 00 03 00 ff f0"));
}

#[test]
fn client_answers_mode_only_when_it_changes_and_never_an_ack() {
    let mut client = Linemode::client();
    let outcome = client.receive(&hex("01 03")).unwrap();
    assert_eq!(outcome.send, hexes(&["01 07"]));
    assert_eq!(outcome.changes, [Change::Mode(ModeMask(3))]);
    assert!(client.receive(&hex("01 03")).unwrap().is_empty()); // unchanged
    assert!(client.receive(&hex("01 07")).unwrap().is_empty()); // an ACK, the same
    assert!(client.receive(&hex("01 05")).unwrap().is_empty()); // an ACK, another mode
    assert_eq!(client.mode(), ModeMask(3));
    // A mode the client cannot do fully: it acknowledges the part it does.
    let mut plain = Linemode::client().with_supported_modes(ModeMask(0));
    let outcome = plain.receive(&hex("01 1b")).unwrap();
    assert_eq!(outcome.send, hexes(&["01 07"]));
}

/// The SLC tables of RFC 1184's example connection (§5.10). The client exports its
/// own characters; the server can set IP, ABORT, EOF, EC and EL, takes whatever the
/// client wants for EW, RP, LNEXT, XON and XOFF (`DEFAULT`: RFC 1184 §5.5), supports
/// nothing else, and starts with every function `NOSUPPORT` (§3).
fn rfc_example_sides() -> (Linemode, Linemode) {
    let mut client_table = SlcTable::unsupported();
    let client_values = "01 03 00 03 62 03 04 02 0f 05 03 00 07 62 1c 08 02 04 09 42 1a \
                         0a 02 7f 0b 02 15 0c 02 17 0d 02 12 0e 02 16 0f 02 11 10 02 13";
    for triplet in hex(client_values).chunks(3) {
        client_table.set(SlcTriplet::from_bytes([triplet[0], triplet[1], triplet[2]]));
    }
    let mut server_table = SlcTable::unsupported();
    for (function, value, flush) in [
        (SLC_IP, 3, true),
        (SLC_ABORT, 28, true),
        (SLC_EOF, 4, false),
        (SLC_EC, 127, false),
        (SLC_EL, 21, false),
    ] {
        server_table.set(SlcTriplet::new(function, Level::Value, value).flushing(flush, flush));
    }
    for function in [SLC_EW, SLC_RP, SLC_LNEXT, SLC_XON, SLC_XOFF] {
        server_table.set(SlcTriplet::new(function, Level::Default, 0));
    }
    let mut server = Linemode::server().with_slc(server_table.clone());
    for triplet in server_table.iter() {
        let _ = server.set_slc(SlcTriplet::nosupport(triplet.function));
    }
    let client = Linemode::client().with_slc(client_table);
    (client, server)
}

#[test]
fn rfc_1184_example_connection() {
    let (mut client, mut server) = rfc_example_sides();
    // CLIENT: LINEMODE SLC SYNCH DEFAULT 0 IP VALUE|FLUSHIN|FLUSHOUT 3 AO VALUE 15
    // AYT DEFAULT 0 ABORT VALUE|FLUSHIN|FLUSHOUT 28 EOF VALUE 4 SUSP VALUE|FLUSHIN 26
    // EC VALUE 127 EL VALUE 21 EW VALUE 23 RP VALUE 18 LNEXT VALUE 22 XON VALUE 17
    // XOFF VALUE 19
    let export = client.start().send;
    assert_eq!(
        export,
        hexes(&[
            "03 01 03 00 03 62 03 04 02 0f 05 03 00 07 62 1c 08 02 04 09 42 1a \
                 0a 02 7f 0b 02 15 0c 02 17 0d 02 12 0e 02 16 0f 02 11 10 02 13"
        ])
    );
    // SERVER: LINEMODE MODE EDIT
    let mode = server.set_mode(ModeMask::EDIT).send;
    assert_eq!(mode, hexes(&["01 01"]));
    // SERVER: LINEMODE SLC SYNCH NOSUPPORT 0 IP VALUE|FLUSHIN|FLUSHOUT|ACK 3
    // AO NOSUPPORT 0 AYT NOSUPPORT 0 ABORT VALUE|FLUSHIN|FLUSHOUT|ACK 28 EOF VALUE|ACK 4
    // SUSP NOSUPPORT 0 EC VALUE|ACK 127 EL VALUE|ACK 21 EW VALUE|ACK 23 RP VALUE|ACK 18
    // LNEXT VALUE|ACK 22 XON VALUE|ACK 17 XOFF VALUE|ACK 19
    let acks = exchange(
        &mut server,
        &export,
        &[
            "03 01 00 00 03 e2 03 04 00 00 05 00 00 07 e2 1c 08 82 04 09 00 00 \
                 0a 82 7f 0b 82 15 0c 82 17 0d 82 12 0e 82 16 0f 82 11 10 82 13",
        ],
    );
    // CLIENT: LINEMODE MODE EDIT|MODE_ACK
    exchange(&mut client, &mode, &["01 05"]);
    // CLIENT: LINEMODE SLC SYNCH NOSUPPORT|ACK 0 AO NOSUPPORT|ACK 0
    // AYT NOSUPPORT|ACK 0 SUSP NOSUPPORT|ACK 0
    let client_acks = exchange(
        &mut client,
        &acks,
        &["03 01 80 00 04 80 00 05 80 00 09 80 00"],
    );
    exchange(&mut server, &client_acks, &[]);

    // The mode changes of the example (TRAPSIG, EDIT|TRAPSIG, 0), each acknowledged
    // once, the acknowledgement taken silently.
    for (mode, request, ack) in [
        (ModeMask::TRAPSIG, "01 02", "01 06"),
        (ModeMask::EDIT | ModeMask::TRAPSIG, "01 03", "01 07"),
        (ModeMask(0), "01 00", "01 04"),
    ] {
        let request_sent = server.set_mode(mode).send;
        assert_eq!(request_sent, hexes(&[request]));
        let ack_sent = exchange(&mut client, &request_sent, &[ack]);
        exchange(&mut server, &ack_sent, &[]);
        assert_eq!(client.mode(), mode);
    }

    // [The user changes his erase character to ^H.]
    // SERVER: LINEMODE SLC EC VALUE 8; CLIENT: LINEMODE SLC EC VALUE|ACK 8
    let change = server
        .set_slc(SlcTriplet::new(SLC_EC, Level::Value, 8))
        .send;
    assert_eq!(change, hexes(&["03 0a 02 08"]));
    let ack = exchange(&mut client, &change, &["03 0a 82 08"]);
    exchange(&mut server, &ack, &[]);

    // [The user decides to revert to all the original client side special characters.]
    let export_again = client.export_slc().send;
    assert_eq!(export_again, export);
    // The RFC's server answers SYNCH NOSUPPORT 0 AO NOSUPPORT 15 AYT NOSUPPORT 0
    // SUSP NOSUPPORT|FLUSHIN 26 EC VALUE|ACK 127, and acknowledges EW, RP, LNEXT, XON
    // and XOFF again. Ours sends 0 with NOSUPPORT (the value "does not matter") and
    // leaves out what is already the current setting, by the RFC's own first rule.
    let acks = exchange(
        &mut server,
        &export_again,
        &["03 01 00 00 04 00 00 05 00 00 09 00 00 0a 82 7f"],
    );
    let client_acks = exchange(
        &mut client,
        &acks,
        &["03 01 80 00 04 80 00 05 80 00 09 80 00"],
    );
    exchange(&mut server, &client_acks, &[]);

    // [The user decides to import the remote sides default special characters.]
    // CLIENT: LINEMODE SLC 0 DEFAULT 0
    let import = client.import_slc().send;
    assert_eq!(import, hexes(&["03 00 03 00"]));
    // SERVER: LINEMODE SLC IP VALUE|FLUSHIN|FLUSHOUT 3 ABORT VALUE|FLUSHIN|FLUSHOUT 28
    // EOF VALUE 4 EC VALUE 127 EL VALUE 21, and (RFC 1184 §5.5) EW, RP, LNEXT, XON and
    // XOFF as DEFAULT 0, "so that the client may choose to use its own values".
    let table = exchange(
        &mut server,
        &import,
        &[
            "03 03 62 03 07 62 1c 08 02 04 0a 02 7f 0b 02 15 0c 03 00 0d 03 00 \
                 0e 03 00 0f 03 00 10 03 00",
        ],
    );
    // [Since these are the same as the current local settings, no response is
    // generated] for the five values; the client names its own for the other five,
    // which the server takes.
    let own = exchange(
        &mut client,
        &table,
        &["03 0c 02 17 0d 02 12 0e 02 16 0f 02 11 10 02 13"],
    );
    let acks = exchange(
        &mut server,
        &own,
        &["03 0c 82 17 0d 82 12 0e 82 16 0f 82 11 10 82 13"],
    );
    exchange(&mut client, &acks, &[]);
}

#[test]
fn rfc_1184_forwardmask_example_through_the_engine() {
    // SERVER: LINEMODE DO FORWARDMASK IAC 0377 IAC 0377 IAC 0377 IAC 0377 0 0 0 0 0 0 0
    // 0 0 0 0 01: every control character and DEL.
    let mask = (0..32u8)
        .chain([127])
        .fold(ForwardMask::new(), ForwardMask::with);
    let mut server = Linemode::server();
    let request = server.request_forwardmask(mask).send;
    assert_eq!(
        request,
        hexes(&["fd 02 ff ff ff ff 00 00 00 00 00 00 00 00 00 00 00 01"])
    );
    let bytes = wire(&request);
    assert_eq!(
        bytes,
        hex("ff fa 22 fd 02 ff ff ff ff ff ff ff ff 00 00 00 00 00 00 00 00 00 00 00 01 ff f0")
    );
    // The client reads it back through its engine and agrees: WILL FORWARDMASK.
    let mut client = Linemode::client();
    let will = answer(&mut client, &unwire(&bytes));
    assert_eq!(wire(&will), hex("ff fa 22 fb 02 ff f0"));
    assert!(client.forwards(0x1b) && client.forwards(0x7f) && !client.forwards(b' '));
    let outcome = server.receive(&will[0]).unwrap();
    assert_eq!(outcome.changes, [Change::Forwardmask(Some(mask))]);
    // SERVER: LINEMODE DONT FORWARDMASK; CLIENT: LINEMODE WONT FORWARDMASK
    let dont = server.stop_forwardmask().send;
    assert_eq!(wire(&dont), hex("ff fa 22 fe 02 ff f0"));
    let wont = answer(&mut client, &dont);
    assert_eq!(wire(&wont), hex("ff fa 22 fc 02 ff f0"));
    assert!(!client.forwards(0x1b));
    let outcome = server.receive(&wont[0]).unwrap();
    assert_eq!(outcome.changes, [Change::Forwardmask(None)]);
}

#[test]
fn the_special_triplets_send_the_current_or_the_default_table() {
    let mut server = Linemode::server();
    server.start();
    // 0 VALUE 0: the current table.
    assert_eq!(
        answer(&mut server, &hexes(&["03 00 02 00"])),
        [hex(&format!("03 {BSD_TABLE}"))]
    );
    // A change of IP to ^X comes with the forward mask that goes with it...
    let change = server
        .set_slc(SlcTriplet::new(SLC_IP, Level::Value, 0x18))
        .send;
    assert_eq!(change, hexes(&["03 03 02 18", "fd 02 08 25 08 a8"]));
    // ... and 0 DEFAULT 0 resets the table, sends it, and the mask of the defaults.
    let outcome = server.receive(&hex("03 00 03 00")).unwrap();
    assert_eq!(
        outcome.send,
        [hex(&format!("03 {BSD_TABLE}")), hex("fd 02 18 25 08 28")]
    );
    assert_eq!(
        outcome.changes,
        [Change::Slc(
            SlcTriplet::new(SLC_IP, Level::Value, 3).flushing(true, true)
        )]
    );
    // As a reply (ACK set) they are not answered.
    assert!(answer(&mut server, &hexes(&["03 00 83 00", "03 00 82 00"])).is_empty());
}

#[test]
fn an_importing_client_settles_with_the_bsd_table() {
    let mut server = Linemode::server();
    let mut client = Linemode::client();
    let table = server.start().send.remove(1);
    // The client has no characters of its own: it takes every value (ACK) and, having
    // no default for SYNCH, BRK and EOR either, says NOSUPPORT for them.
    let reply = answer(&mut client, &[table]);
    assert_eq!(
        reply,
        hexes(&[
            "03 01 00 00 02 00 00 03 e2 03 04 a2 0f 05 82 14 06 00 00 07 e2 1c \
                 08 82 04 09 c2 1a 0a 82 7f 0b 82 15 0c 82 17 0d 82 12 0e 82 16 \
                 0f 82 11 10 82 13"
        ])
    );
    let acks = exchange(&mut server, &reply, &["03 01 80 00 02 80 00 06 80 00"]);
    exchange(&mut client, &acks, &[]);
    assert_eq!(client.slc(), server.slc());
    assert_eq!(client.slc().function_for(0x1a), Some(9)); // ^Z is SUSP
}

#[test]
fn a_character_0xff_is_doubled_on_the_wire_and_undoubled_on_receipt() {
    let mut server = Linemode::server();
    let change = server
        .set_slc(SlcTriplet::new(SLC_EOF, Level::Value, 0xff))
        .send;
    assert_eq!(change, hexes(&["03 08 02 ff"]));
    let bytes = wire(&change);
    assert_eq!(bytes, hex("ff fa 22 03 08 02 ff ff ff f0"));
    let mut client = Linemode::client();
    let ack = answer(&mut client, &unwire(&bytes));
    assert_eq!(wire(&ack), hex("ff fa 22 03 08 82 ff ff ff f0"));
    assert_eq!(client.slc().get(SLC_EOF).value, 0xff);
    // 0xFF is "no character" (_POSIX_VDISABLE): it triggers nothing.
    assert_eq!(client.slc().function_for(0xff), None);
}
