//! The negotiator against the RFC's rules and telnetlib3's bytes.

use super::negotiator::MAX_UNANSWERED;
use super::*;

fn slc(triplets: &[(u8, u8, u8)]) -> Vec<u8> {
    let mut out = vec![SLC];
    for &(function, modifier, value) in triplets {
        out.extend_from_slice(&[function, modifier, value]);
    }
    out
}

fn sends(outcome: &Outcome) -> Vec<Vec<u8>> {
    outcome.send.clone()
}

#[test]
fn messages_round_trip() {
    let messages = [
        Message::Mode(ModeMask(0x13)),
        Message::Forwardmask {
            verb: Verb::Do,
            mask: ForwardMask::new().with(0).with(255),
        },
        Message::Forwardmask {
            verb: Verb::Wont,
            mask: ForwardMask::new(),
        },
        Message::Slc(vec![
            SlcTriplet::new(SLC_IP, Level::Value, 3)
                .flushing(true, true)
                .acked(true),
            SlcTriplet::nosupport(200),
        ]),
        Message::Slc(Vec::new()),
    ];
    for message in messages {
        assert_eq!(Message::parse(&message.encode()), Some(message));
    }
}

#[test]
fn malformed_payloads_are_none() {
    for payload in [
        &b""[..],
        b"\x01",
        b"\x04\x00",
        b"\x03\x01\x02",
        b"\xfd",
        b"\xfd\x01",
        b"\xf0\x02",
    ] {
        assert_eq!(Message::parse(payload), None, "{payload:02x?}");
    }
    let mut long = vec![Verb::Do.byte(), FORWARDMASK];
    long.extend_from_slice(&[1; 33]);
    assert_eq!(Message::parse(&long), None);
    long.pop();
    assert!(Message::parse(&long).is_some());
    let mut linemode = Linemode::client();
    assert_eq!(linemode.receive(b"\x03\x01"), None);
}

#[test]
fn every_short_payload_parses_or_is_refused_without_panic() {
    let bytes = [0u8, 1, 2, 3, 4, 0x80, 0xfb, 0xfc, 0xfd, 0xfe, 0xff];
    for a in bytes {
        for b in bytes {
            for c in bytes {
                for payload in [&[a][..], &[a, b], &[a, b, c], &[a, b, c, a]] {
                    if let Some(message) = Message::parse(payload) {
                        let _ = message.to_string();
                    }
                    let _ = Linemode::server().receive(payload);
                    let _ = Linemode::client().receive(payload);
                }
            }
        }
    }
}

#[test]
fn the_modifier_byte_splits_into_level_and_flags() {
    let triplet = SlcTriplet::from_bytes([SLC_IP, 0xe2, 3]);
    assert_eq!(triplet.level, Level::Value);
    assert!(triplet.ack && triplet.flushin && triplet.flushout);
    assert_eq!(triplet.to_bytes(), [SLC_IP, 0xe2, 3]);
    assert_eq!(triplet.to_string(), "IP VALUE|FLUSHIN|FLUSHOUT|ACK 3");
    // The unassigned bits 0x04..0x10 are dropped.
    assert_eq!(SlcTriplet::from_bytes([1, 0x1f, 0]).modifier(), 0x03);
}

#[test]
fn the_bsd_forwardmask_marks_cr_lf_and_the_signals() {
    let mask = SlcTable::bsd().forwardmask();
    // ^C ^D | LF CR ^O | ^T | ^Z ^\ (IP EOF, AO, AYT, SUSP ABORT)
    assert_eq!(mask.as_bytes(), [0x18, 0x25, 0x08, 0x28]);
    assert_eq!(
        SlcTable::unsupported().forwardmask().as_bytes(),
        [0x00, 0x24]
    );
    assert_eq!(SlcTable::bsd().function_for(0x7f), Some(SLC_EC));
    assert_eq!(SlcTable::bsd().function_for(0), None);
    let signal = SlcTable::bsd().function_for(0x1a).and_then(command_for);
    assert_eq!(signal, Some(Command::Susp));
}

#[test]
fn display_uses_the_rfc_names() {
    assert_eq!(ModeMask(0).to_string(), "0");
    assert_eq!(ModeMask(0x45).to_string(), "EDIT|MODE_ACK|0x40");
    let message = Message::parse(&slc(&[(SLC_EC, 0x82, 8), (99, 0, 0)])).unwrap();
    assert_eq!(message.to_string(), "SLC EC VALUE|ACK 8 99 NOSUPPORT 0");
    assert_eq!(
        Message::parse(b"\xfd\x02\x00\x04").unwrap().to_string(),
        "DO FORWARDMASK [00, 04]"
    );
    assert_eq!(
        format!("{:?}", ForwardMask::new().with(13)),
        "{13}".to_owned()
    );
}

#[test]
fn the_client_acks_a_new_mode_once() {
    let mut client = Linemode::client();
    let outcome = client.receive(b"\x01\x03").unwrap();
    assert_eq!(sends(&outcome), [b"\x01\x07"]);
    assert_eq!(outcome.changes, [Change::Mode(ModeMask(3))]);
    // The same mode again, or any acknowledgement: no answer.
    assert!(client.receive(b"\x01\x03").unwrap().is_empty());
    assert!(client.receive(b"\x01\x07").unwrap().is_empty());
    assert!(client.receive(b"\x01\x04").unwrap().is_empty());
    assert_eq!(client.mode(), ModeMask(3));
}

#[test]
fn a_client_keeps_edit_and_trapsig_but_drops_unsupported_bits() {
    let mut client = Linemode::client().with_supported_modes(ModeMask(0));
    let outcome = client
        .receive(&[MODE, EDIT | TRAPSIG | SOFT_TAB | 0x40])
        .unwrap();
    assert_eq!(sends(&outcome), [vec![MODE, EDIT | TRAPSIG | MODE_ACK]]);
    // Told SOFT_TAB alone: it stays at 0 but must say so.
    let outcome = client.receive(&[MODE, SOFT_TAB]).unwrap();
    assert_eq!(sends(&outcome), [vec![MODE, MODE_ACK]]);
    assert_eq!(outcome.changes, [Change::Mode(ModeMask(0))]);
}

#[test]
fn the_server_follows_a_differing_ack_and_accepts_requests() {
    let mut server = Linemode::server();
    server.start();
    let outcome = server.receive(&[MODE, EDIT | MODE_ACK]).unwrap();
    assert!(outcome.send.is_empty());
    assert_eq!(outcome.changes, [Change::Mode(ModeMask::EDIT)]);
    let outcome = server.receive(&[MODE, TRAPSIG]).unwrap();
    assert_eq!(sends(&outcome), [vec![MODE, TRAPSIG | MODE_ACK]]);
    assert!(server.receive(&[MODE, TRAPSIG]).unwrap().is_empty());
    assert_eq!(server.set_mode(ModeMask::TRAPSIG), Outcome::default());
    assert_eq!(sends(&server.set_mode(ModeMask(0))), [vec![MODE, 0]]);
}

#[test]
fn slc_levels_agree_and_disagree_downwards() {
    let mut defaults = SlcTable::unsupported();
    defaults.set(SlcTriplet::new(SLC_EC, Level::Value, 0x7f));
    defaults.set(SlcTriplet::new(SLC_EL, Level::CantChange, 0x15));
    defaults.set(SlcTriplet::new(SLC_EW, Level::Default, 0));
    let mut client = Linemode::client().with_slc(defaults);
    let outcome = client
        .receive(&slc(&[
            (SLC_EC, SLC_VALUE, 8),       // agree
            (SLC_EL, SLC_VALUE, 8),       // can't change: our value
            (SLC_IP, SLC_VALUE, 3),       // not supported
            (SLC_EW, SLC_CANTCHANGE, 23), // no preference: agree
            (SLC_AO, SLC_NOSUPPORT, 0),   // already NOSUPPORT: ignored
            (SLC_RP, SLC_DEFAULT, 0),     // our default: NOSUPPORT
        ]))
        .unwrap();
    assert_eq!(
        sends(&outcome),
        [slc(&[
            (SLC_EC, SLC_VALUE | SLC_ACK, 8),
            (SLC_EL, SLC_CANTCHANGE, 0x15),
            (SLC_IP, SLC_NOSUPPORT, 0),
            (SLC_EW, SLC_CANTCHANGE | SLC_ACK, 23),
            (SLC_RP, SLC_NOSUPPORT, 0),
        ])]
    );
    assert_eq!(
        outcome.changes,
        [
            Change::Slc(SlcTriplet::new(SLC_EC, Level::Value, 8)),
            Change::Slc(SlcTriplet::new(SLC_EW, Level::CantChange, 23)),
        ]
    );
    // The default of EC is its own value, at VALUE.
    let outcome = client.receive(&slc(&[(SLC_EC, SLC_DEFAULT, 0)])).unwrap();
    assert_eq!(sends(&outcome), [slc(&[(SLC_EC, SLC_VALUE, 0x7f)])]);
}

#[test]
fn an_ack_is_never_answered_and_the_client_takes_its_value() {
    let mut client = Linemode::client().with_slc(SlcTable::bsd());
    let outcome = client
        .receive(&slc(&[(SLC_EC, SLC_VALUE | SLC_ACK, 8)]))
        .unwrap();
    assert!(outcome.send.is_empty());
    assert_eq!(client.slc().get(SLC_EC).value, 8);
    // At another level too (the server has switched to it), still unanswered.
    let outcome = client
        .receive(&slc(&[(SLC_EL, SLC_CANTCHANGE | SLC_ACK, 1)]))
        .unwrap();
    assert!(outcome.send.is_empty());
    assert_eq!(
        outcome.changes,
        [Change::Slc(SlcTriplet::new(SLC_EL, Level::CantChange, 1))]
    );

    let mut server = Linemode::server();
    let outcome = server
        .receive(&slc(&[(SLC_EC, SLC_VALUE | SLC_ACK, 8)]))
        .unwrap();
    assert!(outcome.is_empty());
    assert_eq!(server.slc().get(SLC_EC).value, 0x7f);
}

#[test]
fn the_special_triplets_are_for_the_server_only() {
    let mut server = Linemode::server();
    server.set_slc(SlcTriplet::new(SLC_EC, Level::Value, 8));
    // 0 VALUE 0: the current table, EC ^H included.
    let outcome = server.receive(&slc(&[(0, SLC_VALUE, 0)])).unwrap();
    let Some(Message::Slc(table)) = Message::parse(&outcome.send[0]) else {
        panic!("not an SLC table: {outcome:?}");
    };
    assert_eq!(table.len(), 16);
    assert!(table.contains(&SlcTriplet::new(SLC_EC, Level::Value, 8)));
    // 0 DEFAULT 0: back to DEL, reported as a change.
    let outcome = server.receive(&slc(&[(0, SLC_DEFAULT, 0)])).unwrap();
    assert_eq!(
        outcome.changes,
        [Change::Slc(SlcTriplet::new(SLC_EC, Level::Value, 0x7f))]
    );
    assert_eq!(server.slc(), &SlcTable::bsd());
    // However many requests a message holds, one table answers them.
    let requests: Vec<(u8, u8, u8)> = (0..1000)
        .map(|n| (0, [SLC_DEFAULT, SLC_VALUE][n % 2], 0))
        .collect();
    let one = server.receive(&slc(&[(0, SLC_VALUE, 0)])).unwrap().send;
    assert_eq!(server.receive(&slc(&requests)).unwrap().send, one);
    // With ACK, or sent to a client: ignored.
    assert!(
        server
            .receive(&slc(&[(0, SLC_DEFAULT | SLC_ACK, 0)]))
            .unwrap()
            .is_empty()
    );
    assert!(
        Linemode::client()
            .receive(&slc(&[(0, SLC_DEFAULT, 0)]))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn unknown_functions_are_not_supported() {
    let mut server = Linemode::server();
    let outcome = server
        .receive(&slc(&[(99, SLC_VALUE, 1), (98, SLC_NOSUPPORT, 0)]))
        .unwrap();
    assert_eq!(sends(&outcome), [slc(&[(99, SLC_NOSUPPORT, 0)])]);
    assert!(outcome.changes.is_empty());
}

#[test]
fn forwardmask_both_ways() {
    let mask = SlcTable::bsd().forwardmask();
    assert_eq!(mask.as_bytes(), [0x18, 0x25, 0x08, 0x28]);
    let mut client = Linemode::client();
    let mut payload = vec![Verb::Do.byte(), FORWARDMASK];
    payload.extend_from_slice(mask.as_bytes());
    let outcome = client.receive(&payload).unwrap();
    assert_eq!(sends(&outcome), [vec![Verb::Will.byte(), FORWARDMASK]]);
    assert_eq!(outcome.changes, [Change::Forwardmask(Some(mask))]);
    assert!(client.forwards(3) && client.forwards(b'\n') && !client.forwards(b'a'));
    let outcome = client.receive(&[Verb::Dont.byte(), FORWARDMASK]).unwrap();
    assert_eq!(sends(&outcome), [vec![Verb::Wont.byte(), FORWARDMASK]]);
    assert!(!client.forwards(3));
    // DONT again: answered all the same (the server pairs answers with requests),
    // but nothing changes.
    let outcome = client.receive(&[Verb::Dont.byte(), FORWARDMASK]).unwrap();
    assert_eq!(sends(&outcome), [vec![Verb::Wont.byte(), FORWARDMASK]]);
    assert!(outcome.changes.is_empty());
    // A client told not to use masks refuses.
    let mut refusing = Linemode::client().with_forwardmask(false);
    let outcome = refusing.receive(&payload).unwrap();
    assert_eq!(sends(&outcome), [vec![Verb::Wont.byte(), FORWARDMASK]]);
    assert!(outcome.changes.is_empty());
}

#[test]
fn the_server_records_what_the_client_said_of_its_mask() {
    let mut server = Linemode::server();
    // WILL before any DO: ignored.
    assert!(
        server
            .receive(&[Verb::Will.byte(), FORWARDMASK])
            .unwrap()
            .is_empty()
    );
    server.start();
    let mask = SlcTable::bsd().forwardmask();
    let outcome = server.receive(&[Verb::Will.byte(), FORWARDMASK]).unwrap();
    assert_eq!(outcome.changes, [Change::Forwardmask(Some(mask))]);
    // An answer to no request: ignored.
    assert!(
        server
            .receive(&[Verb::Wont.byte(), FORWARDMASK])
            .unwrap()
            .is_empty()
    );
    assert_eq!(server.forwardmask(), Some(&mask));
    server.stop_forwardmask();
    let outcome = server.receive(&[Verb::Wont.byte(), FORWARDMASK]).unwrap();
    assert_eq!(outcome.changes, [Change::Forwardmask(None)]);

    // Refused: a changed table does not ask again.
    let mut server = Linemode::server();
    server.start();
    let outcome = server.receive(&[Verb::Wont.byte(), FORWARDMASK]).unwrap();
    assert!(outcome.is_empty());
    let outcome = server.receive(&slc(&[(SLC_IP, SLC_VALUE, 5)])).unwrap();
    assert_eq!(outcome.send.len(), 1);
    assert_eq!(server.stop_forwardmask(), Outcome::default());
}

#[test]
fn crossing_forwardmask_requests_pair_with_their_answers() {
    let mut server = Linemode::server();
    let mut client = Linemode::client();
    let mut requests = server.start().send.split_off(2); // DO FORWARDMASK
    requests.extend(server.stop_forwardmask().send);
    let custom = ForwardMask::new().with(b'x');
    requests.extend(server.request_forwardmask(custom).send);
    // The client answers WILL, WONT, WILL; the server sees each in turn.
    let answers: Vec<Vec<u8>> = requests
        .iter()
        .flat_map(|p| client.receive(p).unwrap().send)
        .collect();
    assert_eq!(answers.len(), 3);
    for answer in &answers {
        server.receive(answer).unwrap();
    }
    assert_eq!(server.forwardmask(), Some(&custom));
    assert_eq!(client.forwardmask(), Some(&custom));
    // A peer that never answers costs a bounded memory.
    for _ in 0..100 {
        server.request_forwardmask(custom);
    }
    assert_eq!(server.unanswered.len(), MAX_UNANSWERED);
}

#[test]
fn the_server_asks_for_a_new_mask_when_its_table_changes() {
    let mut server = Linemode::server();
    server.start();
    let outcome = server.receive(&slc(&[(SLC_IP, SLC_VALUE, 5)])).unwrap();
    let mask = server.slc().forwardmask();
    assert!(mask.contains(5) && !mask.contains(3));
    let mut request = vec![Verb::Do.byte(), FORWARDMASK];
    request.extend_from_slice(mask.as_bytes());
    assert_eq!(
        sends(&outcome),
        [slc(&[(SLC_IP, SLC_VALUE | SLC_ACK, 5)]), request]
    );
    // A mask set by hand stays.
    let custom = ForwardMask::new().with(b'x');
    server.request_forwardmask(custom);
    let outcome = server.receive(&slc(&[(SLC_IP, SLC_VALUE, 6)])).unwrap();
    assert_eq!(outcome.send.len(), 1);
    assert_eq!(
        sends(&server.stop_forwardmask()),
        [vec![Verb::Dont.byte(), FORWARDMASK]]
    );
}

#[test]
fn reset_forgets_the_session() {
    let mut client = Linemode::client();
    client.receive(b"\x01\x03");
    client.receive(&slc(&[(SLC_IP, SLC_VALUE, 3)]));
    client.receive(b"\xfd\x02\x10");
    client.reset();
    assert_eq!(client.mode(), ModeMask(0));
    assert_eq!(client.slc(), &SlcTable::unsupported());
    assert_eq!(client.forwardmask(), None);
}

#[test]
fn role_specific_requests_do_nothing_on_the_other_side() {
    let mut server = Linemode::server();
    assert!(server.import_slc().is_empty());
    assert!(server.request_slc().is_empty());
    assert!(server.export_slc().is_empty());
    let mut client = Linemode::client();
    assert!(client.request_forwardmask(ForwardMask::new()).is_empty());
    assert!(client.stop_forwardmask().is_empty());
    assert!(
        client
            .set_slc(SlcTriplet::new(0, Level::Value, 1))
            .is_empty()
    );
}
