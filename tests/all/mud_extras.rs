//! The MUD protocols beyond GMCP/MSDP/MSSP: ZMP (with its core package answered by
//! the connection), ATCP, and MXP/MSP passed through to the application; offered by
//! the server on request, accepted or refused by the client's policy, in exact bytes.

use crate::support;

use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use support::loopback::loopback;
use support::peer::{DEADLINE, Peer};
use telnetlib::proto::{Opt, OwnedEvent, Policy, Side, zmp};
use telnetlib::{Error, TelnetConnection, TelnetServer, Want};

const WAIT: Option<Duration> = Some(DEADLINE);

#[test]
fn the_server_offers_zmp_msp_mxp_and_atcp_only_when_asked() {
    let server = TelnetServer::builder()
        .offer_zmp(true)
        .offer_msp(true)
        .offer_mxp(true)
        .offer_atcp(true)
        .bind("127.0.0.1:0")
        .unwrap();
    let mut client = Peer::connect(server.local_addr());
    // WILL MSP, MXP, ZMP, ATCP (option-code order), then DO TTYPE.
    client.expect(b"\xff\xfb\x5a\xff\xfb\x5b\xff\xfb\x5d\xff\xfb\xc8\xff\xfd\x18");

    let plain = TelnetServer::builder().bind("127.0.0.1:0").unwrap();
    let mut client = Peer::connect(plain.local_addr());
    client.expect(b"\xff\xfd\x18");
    client.expect_nothing_more();
}

#[test]
fn our_client_accepts_zmp_with_its_ident_and_refuses_msp_mxp_and_atcp() {
    let mut server = Peer::bind();
    let _conn = TelnetConnection::connect(server.addr()).unwrap();
    server.accept();
    server.send(b"\xff\xfb\x5d");
    let mut ident = b"\xff\xfd\x5d\xff\xfa\x5dzmp.ident\0telnetlib\0".to_vec();
    ident.extend_from_slice(env!("CARGO_PKG_VERSION").as_bytes());
    ident.extend_from_slice(b"\0\xff\xf0");
    server.expect(&ident);
    server.send(b"\xff\xfb\x5a\xff\xfb\x5b\xff\xfb\xc8");
    server.expect(b"\xff\xfe\x5a\xff\xfe\x5b\xff\xfe\xc8");
    server.expect_nothing_more();
}

#[test]
fn zmp_core_requests_are_answered_and_every_message_is_queued() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().offer_zmp(true),
        TelnetConnection::builder(),
    );
    conn.wait_for(&[Want::RemoteEnabled(Opt::ZMP)], WAIT)
        .unwrap();
    assert_eq!(
        connection.read_zmp(WAIT).unwrap(),
        ["zmp.ident", "telnetlib", env!("CARGO_PKG_VERSION")]
    );

    // zmp.ping is answered with the sender's UTC time.
    let before = zmp::utc_time(SystemTime::now());
    connection.send_zmp("zmp.ping", &[]).unwrap();
    let time = connection.read_zmp(WAIT).unwrap();
    let after = zmp::utc_time(SystemTime::now());
    assert_eq!(time.len(), 2, "{time:?}");
    assert_eq!(time[0], "zmp.time");
    assert!(
        before <= time[1] && time[1] <= after,
        "{before} <= {time:?} <= {after}"
    );
    assert_eq!(conn.read_zmp(WAIT).unwrap(), ["zmp.ping"]);

    // zmp.check: the core package is supported, anything else is not.
    connection.send_zmp("zmp.check", &["zmp."]).unwrap();
    connection.send_zmp("zmp.check", &["color.define"]).unwrap();
    assert_eq!(connection.read_zmp(WAIT).unwrap(), ["zmp.support", "zmp."]);
    assert_eq!(
        connection.read_zmp(WAIT).unwrap(),
        ["zmp.no-support", "color.define"]
    );

    // Application messages both ways, UTF-8 and empty arguments kept.
    connection
        .send_zmp("room.exits", &["north", "", "süd"])
        .unwrap();
    conn.send_zmp("zmp.input", &["look"]).unwrap();
    assert_eq!(conn.read_zmp(WAIT).unwrap(), ["zmp.check", "zmp."]);
    assert_eq!(conn.read_zmp(WAIT).unwrap(), ["zmp.check", "color.define"]);
    assert_eq!(
        conn.read_zmp(WAIT).unwrap(),
        ["room.exits", "north", "", "süd"]
    );
    assert_eq!(connection.read_zmp(WAIT).unwrap(), ["zmp.input", "look"]);
    drop(server);
}

#[test]
fn atcp_travels_both_ways_once_the_client_accepts_it() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().offer_atcp(true),
        TelnetConnection::builder().policy(Policy::client().accept(Side::Remote, Opt::ATCP)),
    );
    conn.wait_for(&[Want::RemoteEnabled(Opt::ATCP)], WAIT)
        .unwrap();
    connection
        .send_atcp("Room.Brief", Some("A dusty road"))
        .unwrap();
    conn.send_atcp("Auth.Request", Some("CH")).unwrap();
    assert_eq!(
        conn.read_atcp(WAIT).unwrap(),
        ("Room.Brief".to_owned(), "A dusty road".to_owned())
    );
    assert_eq!(
        connection.read_atcp(WAIT).unwrap(),
        ("Auth.Request".to_owned(), "CH".to_owned())
    );
    drop(server);
}

#[test]
fn mxp_and_msp_pass_through_to_the_event_hook_and_the_text() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().offer_mxp(true).offer_msp(true),
        TelnetConnection::builder().policy(
            Policy::client()
                .accept(Side::Remote, Opt::MXP)
                .accept(Side::Remote, Opt::MSP),
        ),
    );
    let (events, seen) = mpsc::channel();
    conn.set_event_hook(Some(move |event: &OwnedEvent| {
        if let OwnedEvent::Subnegotiation { .. } = event {
            let _ = events.send(event.clone());
        }
    }));
    conn.wait_for(
        &[Want::RemoteEnabled(Opt::MXP), Want::RemoteEnabled(Opt::MSP)],
        WAIT,
    )
    .unwrap();
    // MXP starts with an empty subnegotiation; its markup and MSP's triggers are text.
    connection.send_subnegotiation(Opt::MXP, b"").unwrap();
    connection
        .send("\x1b[1z<B>Bold</B> !!SOUND(thunder.wav V=80)\n")
        .unwrap();
    assert_eq!(
        seen.recv_timeout(DEADLINE).unwrap(),
        OwnedEvent::Subnegotiation {
            opt: Opt::MXP,
            data: Vec::new()
        }
    );
    assert_eq!(
        conn.readline_str(WAIT).unwrap(),
        "\x1b[1z<B>Bold</B> !!SOUND(thunder.wav V=80)\r\n"
    );
    drop(server);
}

#[test]
fn sending_zmp_or_atcp_before_agreement_fails_and_says_why() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder(),
        TelnetConnection::builder().never_do(Opt::ZMP),
    );
    assert!(matches!(
        connection.send_zmp("zmp.ping", &[]),
        Err(Error::NotAgreed { opt: Opt::ZMP, .. })
    ));
    assert!(matches!(
        conn.send_atcp("Auth.Request", Some("CH")),
        Err(Error::NotAgreed { opt: Opt::ATCP, .. })
    ));
    drop(server);
}
