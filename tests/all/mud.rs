//! MUD protocols between our server and our client: MSSP on connect, GMCP with the
//! client's `Core.Hello`/`Core.Supports.Set`, MSDP both ways, and the exact bytes of
//! each against a scripted peer.

use crate::support;

use std::time::Duration;

use support::loopback::loopback;
use support::peer::{DEADLINE, Peer};
use telnetlib::proto::Opt;
use telnetlib::proto::msdp::{Command, Value};
use telnetlib::{Error, ServerBuilder, TelnetConnection, TelnetServer, Want};

const WAIT: Option<Duration> = Some(DEADLINE);

fn mud_server() -> ServerBuilder {
    TelnetServer::builder()
        .offer_gmcp(true)
        .offer_msdp(true)
        .mssp([("NAME", vec!["Test Realm"]), ("PORT", vec!["4000", "4001"])])
}

#[test]
fn a_mud_session_uses_mssp_gmcp_and_msdp() {
    let (server, connection, conn) = loopback(mud_server(), TelnetConnection::builder());
    conn.wait_for(
        &[
            Want::RemoteEnabled(Opt::GMCP),
            Want::RemoteEnabled(Opt::MSDP),
            Want::RemoteEnabled(Opt::MSSP),
        ],
        WAIT,
    )
    .unwrap();

    // The client announced itself as soon as GMCP was on.
    let (package, json) = connection.read_gmcp(WAIT).unwrap();
    assert_eq!(package, "Core.Hello");
    assert_eq!(
        json,
        format!(
            r#"{{"client":"telnetlib","version":"{}"}}"#,
            env!("CARGO_PKG_VERSION")
        )
    );
    let (package, json) = connection.read_gmcp(WAIT).unwrap();
    assert_eq!(package, "Core.Supports.Set");
    assert!(json.starts_with(r#"["char 1","char.vitals 1""#), "{json}");

    // GMCP both ways, text kept as sent (including a 0xFF-free UTF-8 payload).
    connection
        .send_gmcp("Room.Info", Some(r#"{"num":6008,"name":"Caf\u00e9"}"#))
        .unwrap();
    assert_eq!(
        conn.read_gmcp(WAIT).unwrap(),
        (
            "Room.Info".to_owned(),
            r#"{"num":6008,"name":"Caf\u00e9"}"#.to_owned()
        )
    );
    conn.send_gmcp("Core.Ping", None).unwrap();
    assert_eq!(
        connection.read_gmcp(WAIT).unwrap(),
        ("Core.Ping".to_owned(), String::new())
    );

    // MSDP: the client asks for reports, the server sends a nested value.
    conn.send_msdp_command(Command::Report, &["HEALTH", "MANA"])
        .unwrap();
    assert_eq!(
        connection.read_msdp(WAIT).unwrap(),
        [(
            "REPORT".to_owned(),
            Value::Array(vec!["HEALTH".into(), "MANA".into()])
        )]
    );
    let room = Value::Table(vec![
        ("VNUM".into(), "6008".into()),
        ("EXITS".into(), Value::Array(vec!["n".into(), "e".into()])),
    ]);
    connection
        .send_msdp(&[("ROOM".to_owned(), room.clone())])
        .unwrap();
    assert_eq!(conn.read_msdp(WAIT).unwrap(), [("ROOM".to_owned(), room)]);

    // MSSP arrived on its own.
    assert_eq!(
        conn.mssp().unwrap(),
        [
            ("NAME".to_owned(), vec!["Test Realm".to_owned()]),
            (
                "PORT".to_owned(),
                vec!["4000".to_owned(), "4001".to_owned()]
            ),
        ]
    );
    drop(server);
}

#[test]
fn sending_a_protocol_nobody_asked_for_is_not_agreed() {
    let (server, connection, conn) = loopback(TelnetServer::builder(), TelnetConnection::builder());
    assert!(matches!(
        connection.send_gmcp("Room.Info", None),
        Err(Error::NotAgreed { opt: Opt::GMCP, .. })
    ));
    assert!(matches!(
        conn.send_msdp_command(Command::List, &["COMMANDS"]),
        Err(Error::NotAgreed { opt: Opt::MSDP, .. })
    ));
    drop(server);
}

#[test]
fn sending_a_protocol_the_peer_declined_is_refused() {
    let (server, connection, _conn) = loopback(
        TelnetServer::builder().offer_gmcp(true),
        TelnetConnection::builder().never_do(Opt::GMCP),
    );
    connection
        .wait_for(&[Want::NotPending(Opt::GMCP)], WAIT)
        .unwrap();
    let error = connection.send_gmcp("Room.Info", None).unwrap_err();
    assert!(
        matches!(error, Error::Refused { opt: Opt::GMCP, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("refused GMCP"), "{error}");
    drop(server);
}

#[test]
fn the_client_says_hello_in_telnetlib3s_bytes_and_can_stay_quiet() {
    let mut peer = Peer::bind();
    let _conn = TelnetConnection::builder()
        .gmcp_modules(Some(&[("Char", 1)]))
        .connect(peer.addr())
        .unwrap();
    peer.accept();
    peer.send(b"\xff\xfb\xc9");
    let hello = format!(
        "\u{ff}\u{fd}\u{c9}\u{ff}\u{fa}\u{c9}Core.Hello {{\"client\":\"telnetlib\",\"version\":\"{}\"}}\u{ff}\u{f0}",
        env!("CARGO_PKG_VERSION")
    );
    let hello: Vec<u8> = hello.chars().map(|c| c as u8).collect();
    peer.expect(&hello);
    peer.expect(b"\xff\xfa\xc9Core.Supports.Set [\"Char 1\"]\xff\xf0");

    let mut peer = Peer::bind();
    let _conn = TelnetConnection::builder()
        .gmcp_modules(None)
        .connect(peer.addr())
        .unwrap();
    peer.accept();
    peer.send(b"\xff\xfb\xc9");
    peer.expect(b"\xff\xfd\xc9");
    peer.expect_nothing_more();
}

#[test]
fn mssp_is_sent_to_a_crawler_that_says_do() {
    let server = mud_server().bind("127.0.0.1:0").unwrap();
    let mut crawler = Peer::connect(server.local_addr());
    // Our offers of MSDP, MSSP and GMCP (in option-code order), then DO TTYPE.
    crawler.expect(b"\xff\xfb\x45\xff\xfb\x46\xff\xfb\xc9\xff\xfd\x18");
    crawler.send(b"\xff\xfd\x46");
    crawler.expect(b"\xff\xfa\x46\x01NAME\x02Test Realm\x01PORT\x024000\x024001\xff\xf0");
}

#[test]
fn send_mssp_replaces_the_variables_the_client_holds() {
    let (server, connection, conn) = loopback(mud_server(), TelnetConnection::builder());
    conn.wait_for(&[Want::RemoteEnabled(Opt::MSSP)], WAIT)
        .unwrap();
    let players = 3.to_string();
    connection
        .send_mssp(&[("NAME", vec!["Test Realm"]), ("PLAYERS", vec![&players])])
        .unwrap();
    // Received in stream order: once the line after it is read, the MSSP is in.
    connection.send("after\n").unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap(), "after\r\n");
    assert_eq!(
        conn.mssp().unwrap(),
        [
            ("NAME".to_owned(), vec!["Test Realm".to_owned()]),
            ("PLAYERS".to_owned(), vec!["3".to_owned()]),
        ]
    );
    drop(server);
}

#[test]
fn send_mssp_is_refused_when_the_client_refused_mssp() {
    let (server, connection, conn) = loopback(
        mud_server(),
        TelnetConnection::builder().never_do(Opt::MSSP),
    );
    assert!(!conn.remote_option(Opt::MSSP));
    let sent = connection.send_mssp(&[("PLAYERS", &["1"][..])]);
    assert!(
        matches!(sent, Err(Error::Refused { opt: Opt::MSSP, .. })),
        "{sent:?}"
    );
    drop(server);
}

#[test]
fn unread_messages_are_bounded() {
    let mut peer = Peer::bind();
    let conn = TelnetConnection::connect(peer.addr()).unwrap();
    peer.accept();
    peer.send(b"\xff\xfb\xc9");
    peer.receive_until(|got| got.ends_with(b"\xff\xf0") && got.len() > 40);
    for i in 0..2000 {
        peer.send(
            format!("\u{ff}\u{fa}\u{c9}Msg.N {i}\u{ff}\u{f0}")
                .chars()
                .map(|c| c as u8)
                .collect::<Vec<u8>>()
                .as_slice(),
        );
    }
    peer.expect_nothing_more();
    // The oldest were dropped: the first one left is number 2000 - 1024.
    assert_eq!(
        conn.read_gmcp(WAIT).unwrap(),
        ("Msg.N".to_owned(), "976".to_owned())
    );
}

#[test]
fn read_prompt_returns_text_up_to_each_ga_or_eor() {
    let mut peer = Peer::bind();
    let conn = TelnetConnection::connect(peer.addr()).unwrap();
    peer.accept();
    peer.send(b"Welcome!\r\nHP 10> \xff\xf9look\r\nA room.\r\nHP 9> \xff\xef\xff\xf9tail");
    assert_eq!(conn.read_prompt(WAIT).unwrap(), b"Welcome!\r\nHP 10> ");
    assert_eq!(
        conn.read_prompt_str(WAIT).unwrap(),
        "look\r\nA room.\r\nHP 9> "
    );
    assert_eq!(conn.read_prompt(WAIT).unwrap(), b"", "GA right after EOR");
    assert!(
        conn.read_prompt(Some(Duration::from_millis(50)))
            .unwrap_err()
            .is_timeout()
    );
    assert_eq!(conn.read_some(WAIT).unwrap(), b"tail");
    // A mark whose data another read consumed is passed over.
    peer.send(b"one> \xff\xf9two> \xff\xf9");
    assert_eq!(conn.read_until(b"two> ", WAIT).unwrap(), b"one> two> ");
    peer.send(b"three> \xff\xf9");
    assert_eq!(conn.read_prompt(WAIT).unwrap(), b"");
    assert_eq!(conn.read_prompt(WAIT).unwrap(), b"three> ");
}

#[test]
fn our_server_prompts_end_in_eor_for_our_client() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder(),
        TelnetConnection::builder().always_do(Opt::EOR),
    );
    conn.wait_for(&[Want::RemoteEnabled(Opt::EOR)], WAIT)
        .unwrap();
    connection.send("You see a door.\n").unwrap();
    connection.send_prompt("HP 10> ").unwrap();
    assert_eq!(
        conn.read_prompt_str(WAIT).unwrap(),
        "You see a door.\r\nHP 10> "
    );
    drop(server);
}

#[test]
fn offer_eor_gives_a_default_client_prompt_boundaries_despite_sga() {
    // Both sides suppress go-ahead by default, so without EOR no prompt is marked.
    let (server, connection, conn) = loopback(TelnetServer::builder(), TelnetConnection::builder());
    assert!(conn.remote_option(Opt::SGA));
    connection.send_prompt("unmarked> ").unwrap();
    let unmarked = conn.read_prompt(Some(Duration::from_millis(200)));
    assert!(
        matches!(unmarked, Err(Error::Timeout { .. })),
        "{unmarked:?}"
    );
    drop(server);

    let (server, connection, conn) = loopback(
        TelnetServer::builder().offer_eor(true),
        TelnetConnection::builder(),
    );
    conn.wait_for(&[Want::RemoteEnabled(Opt::EOR)], WAIT)
        .unwrap();
    connection.send("A dark room.\n").unwrap();
    connection.send_prompt("HP 10> ").unwrap();
    assert_eq!(
        conn.read_prompt_str(WAIT).unwrap(),
        "A dark room.\r\nHP 10> "
    );
    drop(server);
}

#[test]
fn mud_clients_are_recognised_by_name_with_a_version_and_not_offered_echo() {
    for (term, expected) in [
        ("Mudlet 4.17.2", Some("Mudlet 4.17.2")),
        ("tintin++", Some("tintin++")),
        ("MUSHclient-5.07", Some("MUSHclient-5.07")),
        ("xterm-256color", None),
    ] {
        let (server, connection, conn) = loopback(
            TelnetServer::builder(),
            TelnetConnection::builder().terminal_type(term),
        );
        assert_eq!(connection.mud_client().as_deref(), expected, "{term}");
        assert_eq!(conn.remote_option(Opt::ECHO), expected.is_none(), "{term}");
        drop(server);
    }
}
