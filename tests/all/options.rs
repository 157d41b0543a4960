//! The options of the RFCs beyond the common set, on both sides: STATUS (859),
//! TIMING-MARK (860), LOGOUT (727), EOR (885), SNDLOC (779), TSPEED (1079) and
//! XDISPLOC (1096) requests, LFLOW (1372), OLD-ENVIRON with RFC 1571's guessing
//! (1408/1571), environment requests in frames, and CHARSET's TTABLE (2066).
//!
//! Each option has exact-byte checks against a scripted peer and a loopback run of
//! our client against our server.

use crate::support;

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use support::loopback::loopback;
use support::peer::{DEADLINE, Peer};
use telnetlib::proto::lflow::FlowControl;
use telnetlib::proto::{Command, Engine, Opt, OwnedEvent, Policy, Side};
use telnetlib::{
    ClientBuilder, Error, ServerBuilder, ServerConnection, TelnetConnection, TelnetServer, Want,
};

const WAIT: Option<Duration> = Some(DEADLINE);

/// Our client connected to a scripted peer playing the server.
fn client_with_peer(builder: ClientBuilder) -> (Peer, TelnetConnection) {
    let mut peer = Peer::bind();
    let conn = builder.connect(peer.addr()).unwrap();
    peer.accept();
    (peer, conn)
}

/// Our server and a scripted client whose answers come from an engine with `policy`,
/// negotiated until the server hands the connection out (at most 300 ms after the
/// last answer: requests the test answers itself stay open).
fn server_with_peer(
    builder: ServerBuilder,
    policy: Policy,
) -> (TelnetServer, ServerConnection, Peer, Engine) {
    let builder = builder.connect_maxwait(Duration::from_millis(300));
    let server = builder.bind("127.0.0.1:0").unwrap();
    let mut peer = Peer::connect(server.local_addr());
    let mut engine = Engine::new(policy);
    let connection = thread::scope(|scope| {
        let accepted = scope.spawn(|| server.accept(WAIT).unwrap());
        peer.negotiate_until(&mut engine, || accepted.is_finished());
        accepted.join().unwrap()
    });
    (server, connection, peer, engine)
}

/// Polls `condition` until it holds (a state another thread changes), failing at the
/// deadline.
fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + DEADLINE;
    while !condition() {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        thread::yield_now();
    }
}

// ------------------------------------------------------------------- STATUS (RFC 859)

#[test]
fn status_send_is_answered_with_both_sides_states_in_option_order() {
    let (mut peer, _conn) = client_with_peer(TelnetConnection::builder());
    peer.send(b"\xff\xfd\x05\xff\xfb\x01"); // DO STATUS, WILL ECHO
    peer.expect(b"\xff\xfb\x05\xff\xfd\x01");
    peer.send(b"\xff\xfa\x05\x01\xff\xf0"); // SB STATUS SEND
    // IS: DO ECHO (the peer echoes), WILL STATUS (we report).
    peer.expect(b"\xff\xfa\x05\x00\xfd\x01\xfb\x05\xff\xf0");
}

#[test]
fn status_send_without_will_status_gets_no_report() {
    let (mut peer, _conn) = client_with_peer(TelnetConnection::builder());
    peer.send(b"\xff\xfa\x05\x01\xff\xf0");
    peer.expect_nothing_more();
}

#[test]
fn request_status_reads_the_peers_report() {
    let (mut peer, conn) = client_with_peer(TelnetConnection::builder());
    let asking = thread::spawn(move || (conn.request_status(WAIT), conn));
    peer.expect(b"\xff\xfd\x05"); // DO STATUS
    peer.send(b"\xff\xfb\x05");
    peer.expect(b"\xff\xfa\x05\x01\xff\xf0");
    // RFC 859's example, with an SB entry whose parameters hold a doubled SE.
    peer.send(
        b"\xff\xfa\x05\x00\xfb\x01\xfd\x03\xfb\x05\xfd\x05\xfa\x1f\x00\x50\x00\x18\xf0\xff\xf0",
    );
    let (report, _conn) = asking.join().unwrap();
    let report = report.unwrap();
    assert_eq!(report.sender_performs, [Opt::ECHO, Opt::STATUS]);
    assert_eq!(report.receiver_performs, [Opt::SGA, Opt::STATUS]);
    assert_eq!(
        report.subnegotiations,
        [(Opt::NAWS, vec![0, 0x50, 0, 0x18])]
    );
}

#[test]
fn request_status_of_a_peer_that_refuses_fails_with_refused() {
    let (mut peer, conn) = client_with_peer(TelnetConnection::builder());
    let asking = thread::spawn(move || conn.request_status(WAIT));
    peer.expect(b"\xff\xfd\x05");
    peer.send(b"\xff\xfc\x05");
    let error = asking.join().unwrap().unwrap_err();
    assert!(
        matches!(
            error,
            Error::Refused {
                opt: Opt::STATUS,
                ..
            }
        ),
        "{error}"
    );
}

/// Each side's report agrees, option by option, with what the other side believes.
#[test]
fn client_and_server_reports_match_each_others_state() {
    let (server, connection, conn) = loopback(TelnetServer::builder(), TelnetConnection::builder());
    let report = conn.request_status(WAIT).unwrap();
    for opt in (0..=255).map(Opt) {
        assert_eq!(
            report.sender_performs.contains(&opt),
            conn.remote_option(opt),
            "server performs {opt}"
        );
        assert_eq!(
            report.receiver_performs.contains(&opt),
            conn.local_option(opt),
            "client performs {opt}"
        );
    }
    assert!(report.receiver_performs.contains(&Opt::TTYPE));
    let report = connection.request_status(WAIT).unwrap();
    for opt in (0..=255).map(Opt) {
        assert_eq!(
            report.sender_performs.contains(&opt),
            connection.remote_option(opt)
        );
        assert_eq!(
            report.receiver_performs.contains(&opt),
            connection.local_option(opt)
        );
    }
    drop(server);
}

// ------------------------------------------------------------------- TIMING-MARK (RFC 860)

#[test]
fn timing_mark_is_answered_after_the_data_before_it_is_readable() {
    let (mut peer, conn) = client_with_peer(TelnetConnection::builder());
    peer.send(b"before\xff\xfd\x06after");
    peer.expect(b"\xff\xfb\x06");
    // The answer left after "before" was handed over: it is there without waiting.
    assert_eq!(
        conn.read_until(b"before", Some(Duration::ZERO)).unwrap(),
        b"before"
    );
}

#[test]
fn a_timing_mark_we_send_is_reported_when_answered() {
    let (server, connection, conn) = loopback(TelnetServer::builder(), TelnetConnection::builder());
    let (marks, seen) = mpsc::channel();
    conn.set_event_hook(Some(move |event: &OwnedEvent| {
        if let OwnedEvent::TimingMark { marked } = event {
            let _ = marks.send(*marked);
        }
    }));
    connection.send("data\n").unwrap();
    conn.request_do(Opt::TM).unwrap();
    assert!(
        seen.recv_timeout(DEADLINE).unwrap(),
        "the server answers WILL TM"
    );
    assert_eq!(
        conn.read_until(b"data\r\n", Some(Duration::ZERO)).unwrap(),
        b"data\r\n"
    );
    drop(server);
}

// ------------------------------------------------------------------- LOGOUT (RFC 727)

#[test]
fn a_client_asking_the_server_to_log_out_is_disconnected_cleanly() {
    let (server, connection, conn) = loopback(TelnetServer::builder(), TelnetConnection::builder());
    connection.send("bye\n").unwrap();
    conn.request_do(Opt::LOGOUT).unwrap();
    assert_eq!(conn.read_all(WAIT).unwrap(), b"bye\r\n");
    assert!(
        conn.remote_option(Opt::LOGOUT),
        "the server said WILL LOGOUT"
    );
    eventually("the server sees the end", || !connection.active());
    drop(server);
}

#[test]
fn the_client_refuses_to_log_out_and_refuses_to_ask_for_it_by_will() {
    let (mut peer, _conn) = client_with_peer(TelnetConnection::builder());
    peer.send(b"\xff\xfd\x12\xff\xfb\x12");
    peer.expect(b"\xff\xfc\x12\xff\xfe\x12");
}

// ------------------------------------------------------------------- EOR (RFC 885)

#[test]
fn send_eor_sends_iac_eor_only_once_eor_is_on() {
    let (mut peer, conn) = client_with_peer(TelnetConnection::builder());
    assert!(!conn.send_eor().unwrap());
    peer.expect_nothing_more();
    peer.send(b"\xff\xfd\x19");
    peer.expect(b"\xff\xfb\x19");
    conn.write_bytes(b"prompt> ", WAIT).unwrap();
    assert!(conn.send_eor().unwrap());
    peer.expect(b"prompt> \xff\xef");
}

#[test]
fn eor_and_ga_reach_the_client_as_commands_after_the_prompt() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder(),
        TelnetConnection::builder().always_do(Opt::EOR),
    );
    conn.wait_for(&[Want::RemoteEnabled(Opt::EOR)], WAIT)
        .unwrap();
    let (commands, seen) = mpsc::channel();
    conn.set_event_hook(Some(move |event: &OwnedEvent| {
        if let OwnedEvent::Command(command) = event {
            let _ = commands.send(*command);
        }
    }));
    connection.send("> ").unwrap();
    assert!(connection.send_eor().unwrap());
    assert_eq!(seen.recv_timeout(DEADLINE).unwrap(), Command::Eor);
    assert_eq!(conn.read_until(b"> ", Some(Duration::ZERO)).unwrap(), b"> ");
    drop(server);
}

// ------------------------------------------------------------------- SNDLOC, TSPEED, XDISPLOC

#[test]
fn sndloc_is_sent_once_the_server_agrees() {
    let (mut peer, _conn) =
        client_with_peer(TelnetConnection::builder().location("Building 4, room 12"));
    peer.send(b"\xff\xfd\x17");
    peer.expect(b"\xff\xfb\x17\xff\xfa\x17Building 4, room 12\xff\xf0");
}

#[test]
fn the_server_asks_for_location_speed_and_display() {
    let (server, connection, _conn) = loopback(
        TelnetServer::builder(),
        TelnetConnection::builder()
            .location("lab")
            .terminal_speed(9600, 19200)
            .x_display("host:0.0"),
    );
    connection.request_location().unwrap();
    connection.request_terminal_speed().unwrap();
    connection.request_x_display().unwrap();
    eventually("location, speed and display arrive", || {
        connection.location().is_some()
            && connection.terminal_speed().is_some()
            && connection.x_display().is_some()
    });
    assert_eq!(connection.location().unwrap(), "lab");
    assert_eq!(connection.terminal_speed(), Some((9600, 19200)));
    assert_eq!(connection.x_display().unwrap(), "host:0.0");
    drop(server);
}

#[test]
fn the_server_requests_speed_with_do_then_send() {
    let (_server, connection, mut peer, _engine) = server_with_peer(
        TelnetServer::builder(),
        Policy::new().accept(Side::Local, Opt::TSPEED),
    );
    connection.request_terminal_speed().unwrap();
    peer.expect(b"\xff\xfd\x20");
    peer.send(b"\xff\xfb\x20");
    peer.expect(b"\xff\xfa\x20\x01\xff\xf0");
    peer.send(b"\xff\xfa\x20\x0038400,9600\xff\xf0");
    eventually("the speed arrives", || {
        connection.terminal_speed().is_some()
    });
    assert_eq!(connection.terminal_speed(), Some((38400, 9600)));
}

// ------------------------------------------------------------------- LFLOW (RFC 1372)

#[test]
fn set_flow_control_sends_the_two_commands() {
    let (_server, connection, mut peer, _engine) = server_with_peer(
        TelnetServer::builder(),
        Policy::new().accept(Side::Local, Opt::LFLOW),
    );
    let not_yet = connection.set_flow_control(FlowControl::default());
    assert!(matches!(
        not_yet,
        Err(Error::NotAgreed {
            opt: Opt::LFLOW,
            ..
        })
    ));
    connection.request_flow_control().unwrap();
    peer.expect(b"\xff\xfd\x21");
    peer.send(b"\xff\xfb\x21");
    eventually("LFLOW is on", || connection.remote_option(Opt::LFLOW));
    connection
        .set_flow_control(FlowControl {
            client_side: false,
            restart_any: true,
        })
        .unwrap();
    peer.expect(b"\xff\xfa\x21\x00\xff\xf0\xff\xfa\x21\x02\xff\xf0");
}

#[test]
fn the_client_records_the_flow_control_it_is_told() {
    let (server, connection, conn) = loopback(TelnetServer::builder(), TelnetConnection::builder());
    connection.request_flow_control().unwrap();
    eventually("LFLOW is on", || connection.remote_option(Opt::LFLOW));
    let wanted = FlowControl {
        client_side: false,
        restart_any: true,
    };
    connection.set_flow_control(wanted).unwrap();
    eventually("the client applies it", || conn.flow_control() == wanted);
    drop(server);
}

/// Told to pass XON/XOFF through, the client's XOFF stops the server's output until
/// XON; with RESTART-ANY any other character restarts it (and is data).
#[test]
fn the_server_honours_xoff_and_xon_when_it_does_flow_control() {
    for restart_any in [false, true] {
        let (server, connection, conn) =
            loopback(TelnetServer::builder(), TelnetConnection::builder());
        connection.request_flow_control().unwrap();
        eventually("LFLOW is on", || connection.remote_option(Opt::LFLOW));
        connection
            .set_flow_control(FlowControl {
                client_side: false,
                restart_any,
            })
            .unwrap();
        conn.write_bytes(b"\x13", WAIT).unwrap(); // XOFF
        eventually("output stops", || connection.output_stopped());
        let sender = connection.clone();
        let sending = thread::spawn(move || sender.send_bytes(b"held back"));
        eventually("the bytes wait in the queue", || {
            connection.queued_output() > 0
        });
        assert!(
            conn.read_some(Some(Duration::from_millis(50)))
                .unwrap_err()
                .is_timeout(),
            "nothing arrives while stopped"
        );
        // The server edits lines (it echoes), so a restarting character shows once
        // its line ends.
        let restart: &[u8] = if restart_any { b"k\r\n" } else { b"\x11" };
        conn.write_bytes(restart, WAIT).unwrap();
        assert_eq!(conn.read_until(b"held back", WAIT).unwrap(), b"held back");
        sending.join().unwrap().unwrap();
        assert!(!connection.output_stopped());
        if restart_any {
            assert_eq!(connection.read_until(b"k", WAIT).unwrap(), b"k");
        }
        drop(server);
    }
}

// ------------------------------------------------------------------- OLD-ENVIRON (RFC 1408/1571)

#[test]
fn the_server_falls_back_to_old_environ_and_reads_a_bsd_numbered_answer() {
    let policy = Policy::new().accept(Side::Local, Opt::OLD_ENVIRON);
    let (_server, connection, mut peer, _engine) =
        server_with_peer(TelnetServer::builder(), policy);
    // The request went out in RFC 1408 numbering (VAR = 0) during negotiation; the
    // client answers in BSD numbering (VAR = 1, VALUE = 0).
    peer.send(b"\xff\xfa\x24\x00\x01USER\x00alice\x01LANG\x00C.UTF-8\xff\xf0");
    eventually("the environment arrives", || {
        connection.env("USER").is_some()
    });
    assert_eq!(connection.env("USER").unwrap(), "alice");
    assert_eq!(connection.env("LANG").unwrap(), "C.UTF-8");
}

#[test]
fn the_server_reads_an_rfc_numbered_old_environ_answer() {
    let policy = Policy::new().accept(Side::Local, Opt::OLD_ENVIRON);
    let (_server, connection, mut peer, _engine) =
        server_with_peer(TelnetServer::builder(), policy);
    peer.send(b"\xff\xfa\x24\x00\x00USER\x01bob\xff\xf0");
    eventually("the environment arrives", || {
        connection.env("USER").is_some()
    });
    assert_eq!(connection.env("USER").unwrap(), "bob");
}

#[test]
fn the_client_answers_old_environ_in_the_servers_numbering() {
    let (mut peer, _conn) = client_with_peer(TelnetConnection::builder().env("USER", "carol"));
    peer.send(b"\xff\xfd\x24");
    peer.expect(b"\xff\xfb\x24");
    // RFC numbering: VAR 0.
    peer.send(b"\xff\xfa\x24\x01\x00USER\xff\xf0");
    peer.expect(b"\xff\xfa\x24\x00\x00USER\x01carol\xff\xf0");
    // A VALUE (1) in a request: the server numbers the BSD way, from now on.
    peer.send(b"\xff\xfa\x24\x01\x01USER\xff\xf0");
    peer.expect(b"\xff\xfa\x24\x00\x01USER\x00carol\xff\xf0");
    peer.send(b"\xff\xfa\x24\x01\xff\xf0");
    peer.expect(b"\xff\xfa\x24\x00\x03TERM\x00unknown");
}

#[test]
fn our_client_without_new_environ_gives_its_environment_through_old_environ() {
    let (server, connection, _conn) = loopback(
        TelnetServer::builder(),
        TelnetConnection::builder()
            .never_will(Opt::NEW_ENVIRON)
            .env("USER", "dave"),
    );
    eventually("the environment arrives", || {
        connection.env("USER").is_some()
    });
    assert_eq!(connection.env("USER").unwrap(), "dave");
    assert!(connection.remote_option(Opt::OLD_ENVIRON));
    drop(server);
}

#[test]
fn long_environment_requests_go_out_in_frames_one_after_each_answer() {
    let names: Vec<String> = (0..40).map(|i| format!("VARIABLE_NUMBER_{i:02}")).collect();
    let policy = Policy::new().accept(Side::Local, Opt::NEW_ENVIRON);
    let builder = TelnetServer::builder().environ_request(names.clone());
    let server = builder.bind("127.0.0.1:0").unwrap();
    let mut peer = Peer::connect(server.local_addr());
    let mut engine = Engine::new(policy);
    let mut requested = Vec::new();
    let mut frames = 0;
    let done = thread::scope(|scope| {
        let accepted = scope.spawn(|| server.accept(WAIT).unwrap());
        let mut frame_sizes = Vec::new();
        while !accepted.is_finished() {
            let bytes = peer.receive_for(Duration::from_millis(10));
            let mut answers = 0;
            engine.receive(&bytes, |event| {
                if let telnetlib::proto::Event::Subnegotiation {
                    opt: Opt::NEW_ENVIRON,
                    data,
                } = event
                {
                    frame_sizes.push(data.len());
                    for name in names.iter() {
                        if memchr::memmem::find(data, name.as_bytes()).is_some() {
                            requested.push(name.clone());
                        }
                    }
                    answers += 1;
                }
            });
            for _ in 0..answers {
                // Each request gets an (empty) answer; the next frame follows it.
                engine.send_subnegotiation(Opt::NEW_ENVIRON, b"\x00");
                frames += 1;
            }
            let reply = engine.take_output();
            if !reply.is_empty() {
                peer.send(&reply);
            }
        }
        accepted.join().unwrap();
        frame_sizes
    });
    assert!(frames >= 4, "{frames} frames");
    assert!(done.iter().all(|&size| size <= 240), "{done:?}");
    requested.sort();
    requested.dedup();
    assert_eq!(requested, names, "every name was asked for");
}

// ------------------------------------------------------------------- CHARSET (RFC 2066)

#[test]
fn ttable_is_rejected_politely_by_client_and_server() {
    let (mut peer, _conn) = client_with_peer(TelnetConnection::builder());
    peer.send(b"\xff\xfb\x2a\xff\xfd\x2a");
    peer.expect(b"\xff\xfd\x2a\xff\xfb\x2a");
    peer.send(b"\xff\xfa\x2a\x04\x01ascii\xff\xf0"); // TTABLE-IS version 1
    peer.expect(b"\xff\xfa\x2a\x05\xff\xf0"); // TTABLE-REJECTED

    let policy = Policy::new()
        .accept(Side::Local, Opt::CHARSET)
        .accept(Side::Remote, Opt::CHARSET);
    let (_server, _connection, mut peer, _engine) =
        server_with_peer(TelnetServer::builder(), policy);
    peer.send(b"\xff\xfa\x2a\x04\x01ascii\xff\xf0");
    peer.expect(b"\xff\xfa\x2a\x05\xff\xf0");
}

#[test]
fn a_charset_request_with_nothing_we_know_is_rejected_not_accepted_empty() {
    let policy = Policy::new()
        .accept(Side::Local, Opt::CHARSET)
        .accept(Side::Remote, Opt::CHARSET);
    let (_server, _connection, mut peer, _engine) =
        server_with_peer(TelnetServer::builder(), policy);
    peer.send(b"\xff\xfa\x2a\x01 klingon martian\xff\xf0");
    peer.expect(b"\xff\xfa\x2a\x03\xff\xf0");
}

// ------------------------------------------------------------------- LINEMODE (RFC 1184)

#[test]
fn a_line_mode_server_and_a_linemode_client_agree_on_mode_slc_and_forward_mask() {
    let (server, connection, conn) = loopback(
        TelnetServer::builder().line_mode(true),
        TelnetConnection::builder().line_mode(true),
    );
    let wanted =
        telnetlib::proto::linemode::ModeMask::EDIT | telnetlib::proto::linemode::ModeMask::TRAPSIG;
    eventually("the mode is agreed", || {
        conn.linemode_mode() == Some(wanted) && connection.linemode_mode() == Some(wanted)
    });
    eventually("the forward mask arrives", || conn.linemode_forwards(b'\r'));
    assert!(!conn.linemode_forwards(b'a'));
    let slc = conn.linemode_slc().unwrap();
    assert_eq!(
        slc.function_for(0x03),
        Some(telnetlib::proto::linemode::SLC_IP),
        "^C interrupts"
    );
    assert_eq!(
        connection.linemode_slc().unwrap().function_for(0x03),
        Some(telnetlib::proto::linemode::SLC_IP)
    );
    assert!(!connection.local_option(Opt::ECHO));
    drop(server);
}

#[test]
fn a_line_mode_server_takes_the_clients_mode_acknowledgement() {
    let policy = Policy::new().accept(Side::Local, Opt::LINEMODE);
    let (_server, connection, mut peer, _engine) =
        server_with_peer(TelnetServer::builder().line_mode(true), policy);
    assert!(connection.remote_option(Opt::LINEMODE));
    // The server proposed MODE EDIT|TRAPSIG during negotiation; the client's ACK
    // makes it the agreed mode.
    peer.send(b"\xff\xfa\x22\x01\x07\xff\xf0"); // MODE EDIT|TRAPSIG|ACK
    eventually("the server records the acknowledged mode", || {
        connection.linemode_mode().map(|m| m.bits()) == Some(0x03)
    });
}

#[test]
fn our_client_refuses_linemode_unless_asked_to_accept_it() {
    let (mut peer, _conn) = client_with_peer(TelnetConnection::builder());
    peer.send(b"\xff\xfd\x22");
    peer.expect(b"\xff\xfc\x22");
    let (mut peer, _conn) = client_with_peer(TelnetConnection::builder().line_mode(true));
    peer.send(b"\xff\xfd\x22");
    peer.expect(b"\xff\xfb\x22");
    peer.send(b"\xff\xfa\x22\x01\x03\xff\xf0"); // MODE EDIT|TRAPSIG
    // WILL LINEMODE's start (import the server's SLC), then the MODE acknowledgement.
    let got = peer.receive_until(|got| got.ends_with(b"\x01\x07\xff\xf0"));
    assert!(got.ends_with(b"\xff\xfa\x22\x01\x07\xff\xf0"), "{got:?}");
}

/// inetutils telnetd asks for both environment options and, given both, waits for an
/// OLD-ENVIRON answer it never requests: like BSD clients, ours takes OLD-ENVIRON
/// only from a server without NEW_ENVIRON.
#[test]
fn the_client_prefers_new_environ_over_old_environ() {
    let (mut peer, _conn) = client_with_peer(TelnetConnection::builder());
    peer.send(b"\xff\xfd\x27\xff\xfd\x24");
    peer.expect(b"\xff\xfb\x27\xff\xfc\x24");
}
