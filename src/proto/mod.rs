//! The sans-IO Telnet protocol core: bytes in, events and replies out.
//!
//! Nothing here touches a socket, a thread or a clock, so the same [`Engine`] drives
//! this crate's blocking connections and can drive any other IO model (async runtimes,
//! event loops, tests).
//!
//! - [`Engine`]: the parser (RFC 854/855) and the RFC 1143 option state of both sides,
//!   answering by a [`Policy`];
//! - [`Event`]: what the peer said, in order; [`ProtocolError`]: how it misbehaved;
//! - [`Opt`], [`Command`], [`Verb`] and the byte constants in [`command`];
//! - [`nvt`]: IAC doubling and the NVT newline rules, for data you send and receive;
//! - subnegotiation payloads, one module per option family: [`naws`], [`terminal`]
//!   (TTYPE, TSPEED, XDISPLOC), [`environ`] (NEW_ENVIRON), [`old_environ`] (OLD-ENVIRON
//!   and RFC 1571's VAR/VALUE guessing), [`charset`], [`status`] (STATUS), [`lflow`]
//!   (TOGGLE-FLOW-CONTROL), [`linemode`] (LINEMODE: its messages, SLC table and the
//!   negotiation state of either side), [`comport`] (COM-PORT-OPTION, RFC 2217: serial
//!   port settings, control lines and line/modem state);
//! - MUD protocols: [`gmcp`] (also ATCP's framing), [`msdp`], [`mssp`], [`zmp`].
//!
//! ```
//! use telnetlib::proto::{Engine, Event, Opt, Policy, Side};
//!
//! // A server: it asks the client for its terminal type on start.
//! let mut server = Engine::new(Policy::server());
//! server.start();
//! assert_eq!(server.output(), b"\xff\xfd\x18"); // IAC DO TTYPE
//! server.clear_output();
//!
//! // The client agrees and says its type; the server sees both.
//! let mut events = Vec::new();
//! server.receive(b"\xff\xfb\x18\xff\xfa\x18\x00XTERM\xff\xf0hello", |event| {
//!     events.push(format!("{event:?}"));
//! });
//! assert!(server.is_enabled(Side::Remote, Opt::TTYPE));
//! assert_eq!(
//!     events[2],
//!     format!("{:?}", Event::Subnegotiation { opt: Opt::TTYPE, data: b"\x00XTERM" })
//! );
//! assert_eq!(events[3], format!("{:?}", Event::Data(b"hello")));
//! ```

pub mod charset;
pub mod command;
pub mod comport;
mod engine;
pub mod environ;
mod event;
pub mod gmcp;
pub mod lflow;
pub mod linemode;
pub mod msdp;
pub mod mssp;
pub mod naws;
pub mod nvt;
pub mod old_environ;
mod option;
mod policy;
mod probe;
mod qmethod;
pub mod status;
pub mod terminal;
pub mod zmp;

pub use command::{Command, Verb};
pub use engine::{DEFAULT_MAX_SUBNEGOTIATION, Decider, Engine};
pub use event::{Event, EventOf, OwnedEvent, ProtocolError};
pub use option::{Opt, ParseOptError};
pub use policy::{Policy, Side};
pub use qmethod::{QState, RequestOutcome};
