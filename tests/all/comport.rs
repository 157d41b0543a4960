//! RFC 2217 over loopback. The client side (`TelnetConnection::com_port`) against a
//! terminal server played with the engine and the codec: every setting sent and its
//! answer awaited, a different answer refused, notifications kept, data unharmed. Then
//! our own server side (`ServerBuilder::com_port`) against our client.

use crate::support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use support::loopback::loopback;
use support::peer::DEADLINE;
use telnetlib::proto::comport::{
    self, Command, Control, DataSize, ModemState, Notification, Parity, Purge, Sender, StopSize,
};
use telnetlib::proto::{Engine, Event, Opt, Policy, Side};
use telnetlib::{Error, TelnetConnection, TelnetServer};

const WAIT: Option<Duration> = Some(DEADLINE);

/// What the pretend terminal server does with each command: the command it answers
/// with (`None`: no answer), and anything it sends after it.
type Answer = fn(&Command) -> (Option<Command>, Vec<Command>);

/// An access server that agrees to COM-PORT-OPTION (or not), answers every command
/// by `answer`, and echoes data back with `echo:` before it. Returns the commands it
/// received once the client is gone.
fn terminal_server(agree: bool, answer: Answer) -> (SocketAddr, JoinHandle<Vec<Command>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let thread = thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        socket.set_read_timeout(Some(DEADLINE)).unwrap();
        let policy = match agree {
            true => Policy::new().accept(Side::Remote, Opt::COM_PORT),
            false => Policy::new(),
        };
        let mut engine = Engine::new(policy);
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let n = match socket.read(&mut buffer) {
                Ok(0) | Err(_) => return seen,
                Ok(n) => n,
            };
            let (mut commands, mut data) = (Vec::new(), Vec::new());
            engine.receive(&buffer[..n], |event| match event {
                Event::Subnegotiation {
                    opt: Opt::COM_PORT,
                    data: payload,
                } => commands.push(comport::decode(payload).expect("a valid command")),
                Event::Data(bytes) => data.extend_from_slice(bytes),
                _ => {}
            });
            for (sender, command) in commands {
                assert_eq!(sender, Sender::Client);
                let (reply, then) = answer(&command);
                for command in reply.iter().chain(&then) {
                    let payload = comport::encode(Sender::Server, command);
                    engine.send_subnegotiation(Opt::COM_PORT, &payload);
                }
                seen.push(command);
            }
            if !data.is_empty() {
                engine.send_data(&[b"echo:", &data[..]].concat());
            }
            let output = engine.take_output();
            if socket.write_all(&output).is_err() {
                return seen;
            }
        }
    });
    (address, thread)
}

/// A port that does whatever it is asked; queries get 9600 8N1.
fn obliging(command: &Command) -> (Option<Command>, Vec<Command>) {
    let answer = match command {
        Command::SetBaudRate(rate) if rate.is_query() => {
            Command::SetBaudRate(comport::BaudRate(9600))
        }
        Command::SetDataSize(DataSize::Query) => Command::SetDataSize(DataSize::Eight),
        Command::SetParity(Parity::Query) => Command::SetParity(Parity::None),
        Command::SetStopSize(StopSize::Query) => Command::SetStopSize(StopSize::One),
        Command::Signature(text) if text.is_empty() => Command::Signature(b"pretend 1.0".to_vec()),
        other => other.clone(),
    };
    (Some(answer), Vec::new())
}

#[test]
fn every_setting_is_sent_and_answered_and_data_still_flows() {
    let (address, server) = terminal_server(true, obliging);
    let conn = TelnetConnection::connect(address).unwrap();
    let port = conn.com_port(WAIT).unwrap();
    assert_eq!(port.signature(WAIT).unwrap(), "pretend 1.0");
    assert_eq!(port.baud_rate(WAIT).unwrap(), 9600);
    port.set_baud_rate(115_200, WAIT).unwrap();
    port.set_data_size(DataSize::Seven, WAIT).unwrap();
    port.set_parity(Parity::Even, WAIT).unwrap();
    port.set_stop_size(StopSize::Two, WAIT).unwrap();
    assert_eq!(port.parity(WAIT).unwrap(), Parity::None);
    port.set_dtr(true, WAIT).unwrap();
    port.set_rts(false, WAIT).unwrap();
    port.send_break(Duration::from_millis(1), WAIT).unwrap();
    port.purge(Purge::Both, WAIT).unwrap();
    // A byte 0xFF in the data, and the prompt the device printed back.
    conn.write_bytes(b"\xff\r\n", WAIT).unwrap();
    assert_eq!(conn.read_until(b"\r\n", WAIT).unwrap(), b"echo:\xff\r\n");
    conn.close();
    let seen = server.join().unwrap();
    assert_eq!(
        seen[2..],
        [
            Command::SetBaudRate(comport::BaudRate(115_200)),
            Command::SetDataSize(DataSize::Seven),
            Command::SetParity(Parity::Even),
            Command::SetStopSize(StopSize::Two),
            Command::SetParity(Parity::Query),
            Command::SetControl(Control::DtrOn),
            Command::SetControl(Control::RtsOff),
            Command::SetControl(Control::BreakOn),
            Command::SetControl(Control::BreakOff),
            Command::PurgeData(Purge::Both),
        ]
    );
}

#[test]
fn a_setting_answered_with_another_value_is_not_applied() {
    // A port that cannot go faster than 9600.
    let (address, _server) = terminal_server(true, |command| match command {
        Command::SetBaudRate(_) => (
            Some(Command::SetBaudRate(comport::BaudRate(9600))),
            Vec::new(),
        ),
        other => (Some(other.clone()), Vec::new()),
    });
    let conn = TelnetConnection::connect(address).unwrap();
    let port = conn.com_port(WAIT).unwrap();
    match port.set_baud_rate(115_200, WAIT) {
        Err(Error::NotApplied {
            operation,
            asked,
            answered,
            ..
        }) => {
            assert_eq!(operation, "set_baud_rate");
            assert_eq!(
                (asked.as_str(), answered.as_str()),
                ("115200 baud", "9600 baud")
            );
        }
        other => panic!("{other:?}"),
    }
    // The connection goes on.
    port.set_parity(Parity::Odd, WAIT).unwrap();
}

#[test]
fn a_server_without_the_option_refuses_it_and_one_that_never_answers_times_out() {
    let (address, _server) = terminal_server(false, obliging);
    let conn = TelnetConnection::connect(address).unwrap();
    assert!(matches!(
        conn.com_port(WAIT),
        Err(Error::Refused {
            opt: Opt::COM_PORT,
            ..
        })
    ));

    let (address, _server) = terminal_server(true, |_| (None, Vec::new()));
    let conn = TelnetConnection::connect(address).unwrap();
    let port = conn.com_port(WAIT).unwrap();
    let error = port
        .set_baud_rate(9600, Some(Duration::from_millis(200)))
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
}

#[test]
fn notifications_and_flow_control_from_the_server_are_kept() {
    let (address, _server) = terminal_server(true, |command| {
        let carrier = ModemState::CARRIER_DETECT | ModemState::DSR;
        let then = vec![
            Command::NotifyModemState(Some(carrier)),
            Command::FlowControlSuspend,
        ];
        (Some(command.clone()), then)
    });
    let conn = TelnetConnection::connect(address).unwrap();
    let port = conn.com_port(WAIT).unwrap();
    assert_eq!(port.modem_state(), None);
    port.set_modem_state_mask(ModemState::ALL, WAIT).unwrap();
    // What follows the answer arrives with it or just after.
    conn.wait_until(|_| port.suspended(), WAIT).unwrap();
    let carrier = ModemState::CARRIER_DETECT | ModemState::DSR;
    assert_eq!(port.modem_state(), Some(carrier));
    assert_eq!(port.notifications(), [Notification::ModemState(carrier)]);
    assert!(port.notifications().is_empty());
}

#[test]
fn our_server_sees_each_command_and_answers_with_what_it_applied() {
    let (_server, connection, conn) = loopback(
        TelnetServer::builder().com_port(true),
        TelnetConnection::builder(),
    );
    // The application: a port whose fastest speed is 57,600 baud.
    let port_side = thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..4 {
            let command = connection.read_com_port(WAIT).unwrap();
            let applied = match &command {
                Command::SetBaudRate(rate) if rate.0 > 57_600 => {
                    Command::SetBaudRate(comport::BaudRate(57_600))
                }
                other => other.clone(),
            };
            connection.answer_com_port(&applied).unwrap();
            seen.push(command);
        }
        connection.notify_modem_state(ModemState::CTS).unwrap();
        seen
    });
    let port = conn.com_port(WAIT).unwrap();
    port.set_parity(Parity::Mark, WAIT).unwrap();
    let error = port.set_baud_rate(115_200, WAIT).unwrap_err();
    assert!(matches!(error, Error::NotApplied { .. }), "{error:?}");
    port.set_baud_rate(38_400, WAIT).unwrap();
    port.set_dtr(true, WAIT).unwrap();
    let seen = port_side.join().unwrap();
    assert_eq!(
        seen,
        [
            Command::SetParity(Parity::Mark),
            Command::SetBaudRate(comport::BaudRate(115_200)),
            Command::SetBaudRate(comport::BaudRate(38_400)),
            Command::SetControl(Control::DtrOn),
        ]
    );
    conn.wait_until(|_| port.modem_state().is_some(), WAIT)
        .unwrap();
    assert_eq!(port.modem_state(), Some(ModemState::CTS));
}

#[test]
fn a_server_not_built_for_it_refuses_the_option() {
    let (_server, _connection, conn) =
        loopback(TelnetServer::builder(), TelnetConnection::builder());
    assert!(matches!(conn.com_port(WAIT), Err(Error::Refused { .. })));
}
