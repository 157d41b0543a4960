//! The threaded IO layer: the only code that touches sockets, threads and time.
//!
//! Each connection has one reader thread (`reader`) that feeds the socket into the
//! engine, answers negotiations at once and buffers application data up to a bound
//! (`input`); callers block on one condition variable with a deadline (`core`), read
//! through the operations in `reading` and wait on option states through `waiting`.

#[macro_use]
mod api;
mod core;
mod input;
mod mccp;
mod options;
mod proxy;
mod reader;
mod reading;
mod tls;
mod waiting;

pub(crate) use self::api::connection_api;
pub(crate) use self::core::{Core, CoreConfig, DataSink, EventHook, Link, Role, State, deadline};
pub use self::core::{
    DEFAULT_MAX_INPUT, DEFAULT_MAX_LINE, DEFAULT_MAX_OUTPUT, DEFAULT_READER_STACK,
};
pub(crate) use self::options::on_event as on_common_option_event;
pub use self::reading::ExpectMatch;
#[cfg(feature = "tls")]
pub(crate) use self::tls::Tls;
pub use self::waiting::Want;
