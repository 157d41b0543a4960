//! # telnetlib
//!
//! The Telnet protocol for Rust, with a blocking, thread-per-connection API in the
//! spirit of Python's `telnetlib`, `telnetlib3.sync` and `miniboa`.
//!
//! - [`TelnetConnection`]: the blocking client of `telnetlib3.sync` (`read_until`,
//!   `expect`, `readline`, `wait_for`, …), safe to share between threads;
//! - [`TelnetServer`] and [`ServerConnection`]: `telnetlib3`'s blocking server (one
//!   thread per client) and miniboa's game loop (`poll`, `send`, `get_command`, …,
//!   with no thread per client at all);
//! - [`Telnet`]: CPython's `telnetlib.Telnet`, method for method and byte for byte,
//!   for scripts ported from Python (module [`telnetlib`](mod@crate::telnetlib), with
//!   telnetlib's constants);
//! - [`proto`]: the sans-IO engine underneath: a Telnet parser whose state survives any
//!   split of the input, the RFC 1143 "Q method" for both sides of every option,
//!   bounded subnegotiations, and the NVT byte rules; reusable with any IO model;
//! - [`codec`]: the text encodings of the `_str` methods;
//! - `tls` (feature `tls`, off by default): TELNETS configurations for rustls.
//!
//! Porting from Python? COMPAT.md maps every call.
//!
//! Threads: a call that waits for input reads its connection's socket itself, on its
//! own thread, answering negotiation as it goes (one wake-up per line, as with a plain
//! `TcpStream`). While nobody reads a connection, a poller thread does: one per server,
//! and one shared by all client connections, started with the first and stopped with
//! the last. A server's game loop (`poll`) does that work on its own thread while it
//! waits. So a server in `serve` mode has one thread per client (its handler), and in
//! game-loop mode none per client. Unix only (the poller uses `mio`).
//!
//! The engine on its own:
//!
//! ```
//! use telnetlib::proto::{Engine, Event, Policy};
//!
//! let mut client = Engine::new(Policy::client());
//! let mut text = Vec::new();
//! // The server asks for our window size and sends a prompt with IAC GA.
//! client.receive(b"\xff\xfd\x1flogin: \xff\xf9", |event| {
//!     if let Event::Data(bytes) = event {
//!         text.extend_from_slice(bytes);
//!     }
//! });
//! assert_eq!(text, b"login: ");
//! assert_eq!(client.output(), b"\xff\xfb\x1f"); // IAC WILL NAWS
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
pub mod codec;
mod config;
pub mod connection;
mod error;
mod io;
pub mod proto;
mod role;
mod server;
pub mod telnetlib;
mod timeout;
#[cfg(feature = "tls")]
pub mod tls;

pub use client::{ClientBuilder, ComPort, TelnetConnection};
pub use codec::Encoding;
pub use config::ConnectionConfig;
pub use connection::{Connection, WeakConnection};
pub use error::{Error, Result};
pub use io::{
    DEFAULT_MAX_INPUT, DEFAULT_MAX_LINE, DEFAULT_MAX_OUTPUT, ExpectMatch, OptionRequest, Want,
};
pub use server::{HandlerOutcome, ServerBuilder, ServerConnection, TelnetServer, xterm};
pub use telnetlib::Telnet;
pub use timeout::Timeout;

/// The `regex` crate `expect` takes patterns of (`regex::bytes::Regex`), re-exported so
/// that a program need not pick the same version itself.
pub use regex;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
