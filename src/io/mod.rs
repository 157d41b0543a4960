//! The IO layer: the only code that touches sockets, threads and time.
//!
//! A connection's state sits behind one lock (`state`). A thread that waits for input
//! reads the socket itself (`shared`, through the operations of `core`, `reading`,
//! `waiting` and `messages`); while nobody does, one shared poller thread (`poller`)
//! reads it, answers negotiation and buffers input up to a bound, and writes what
//! could not be written at once (`output`). Received bytes go through `receive`
//! (PROXY header, TLS, MCCP, the engine) into the input buffer (`input`); the socket
//! calls are in `socket`.
//!
//! Modules form layers, each importing only those below it: `input`, `mccp`,
//! `options`, `proxy`, `tls`, `decide`, `connect`, `socket`, `app_data` and `poller`
//! are leaves, `config` uses `decide`; `link` uses
//! `options` and `mccp`; `state` uses `link`; `receive` uses `state`; `shared` uses
//! `receive`, `socket` and `poller`; `output` adds the writing to `shared`; `core`
//! uses both; `reading`, `waiting` and `messages` use `core`.

mod app_data;
mod comport;
mod config;
mod connect;
mod core;
mod decide;
mod input;
mod link;
mod mccp;
mod messages;
mod options;
mod output;
mod poller;
mod proxy;
mod reading;
mod receive;
mod retained;
mod shared;
mod socket;
mod state;
mod tls;
mod waiting;

pub(crate) use self::config::{CoreConfig, DEFAULT_HANDSHAKE_TIMEOUT};
pub use self::config::{DEFAULT_MAX_INPUT, DEFAULT_MAX_LINE, DEFAULT_MAX_OUTPUT};
pub(crate) use self::connect::connect_tcp;
pub(crate) use self::core::{CLOSE_WAIT_LIMIT, Core};
pub(crate) use self::decide::OptionDecider;
pub use self::decide::OptionRequest;
pub(crate) use self::link::{DataSink, EventHook, Link, Role, on_common_option_event};
pub(crate) use self::poller::Poller;
pub use self::reading::ExpectMatch;
pub(crate) use self::reading::first_line_end;
pub(crate) use self::state::State;
#[cfg(feature = "tls")]
pub(crate) use self::tls::Tls;
#[cfg(feature = "tls")]
pub use self::tls::TlsInfo;
pub use self::waiting::Want;
