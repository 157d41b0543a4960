//! LINEMODE (RFC 1184): the `MODE`, `FORWARDMASK` and `SLC` messages ([`Message`]), the
//! table of special characters ([`SlcTable`]), and the negotiation of either side
//! ([`Linemode`]), which answers the peer by the RFC's rules and never answers a reply.
//!
//! Like the rest of [`proto`](super), nothing here does IO. A [`Linemode`] takes the
//! payloads of `SB LINEMODE` (the bytes after the option byte, as
//! [`Event::Subnegotiation`](super::Event::Subnegotiation) delivers them, `IAC IAC`
//! already undoubled) and returns an [`Outcome`]: the payloads to send back, each with
//! [`Engine::send_subnegotiation`](super::Engine::send_subnegotiation)`(Opt::LINEMODE, …)`
//! (which doubles IAC), and the [`Change`]s the peer made.
//!
//! # Integration
//!
//! - **Server** (it sends `DO LINEMODE`): keep a [`Linemode::server`]. On
//!   `OptionEnabled { side: Remote, opt: LINEMODE }` call [`Linemode::start`] and send
//!   its payloads (`MODE`, the SLC table, `DO FORWARDMASK`); on `OptionDisabled` call
//!   [`Linemode::reset`].
//! - **Client** (it sends `WILL LINEMODE`): keep a [`Linemode::client`]. On
//!   `OptionEnabled { side: Local, opt: LINEMODE }` call [`Linemode::start`] and send its
//!   payload (the SLC import request, or the exported table); on `OptionDisabled` call
//!   [`Linemode::reset`].
//! - Both: on `Subnegotiation { opt: LINEMODE, data }` while the option is enabled, call
//!   [`Linemode::receive`]`(data)`; send [`Outcome::send`] (or call
//!   [`Outcome::send_to`]) and expose [`Outcome::changes`]. `None` means the payload was
//!   malformed: nothing changed and nothing is to be sent. The current state is always
//!   readable: [`Linemode::mode`], [`Linemode::slc`], [`Linemode::forwardmask`],
//!   [`Linemode::forwards`] and [`SlcTable::function_for`].
//!
//! ```
//! use telnetlib::proto::linemode::{Linemode, ModeMask, SLC_IP};
//!
//! let mut server = Linemode::server();
//! let mut client = Linemode::client();
//! // Both start at once, as they do when the option is enabled; then they exchange
//! // payloads until neither has anything to say.
//! let mut to_client = server.start().send;
//! let mut to_server = client.start().send;
//! while !to_client.is_empty() || !to_server.is_empty() {
//!     let from_client: Vec<Vec<u8>> =
//!         to_client.iter().flat_map(|p| client.receive(p).unwrap().send).collect();
//!     to_client = to_server.iter().flat_map(|p| server.receive(p).unwrap().send).collect();
//!     to_server = from_client;
//! }
//! assert_eq!(client.mode(), ModeMask::EDIT | ModeMask::TRAPSIG);
//! assert_eq!(client.slc().get(SLC_IP).value, 0x03); // imported from the server: ^C
//! assert_eq!(client.slc().function_for(0x03), Some(SLC_IP));
//! assert!(client.forwards(b'\r'));
//! ```

mod consts;
mod forward;
mod message;
mod mode;
mod negotiator;
mod slc;
#[cfg(test)]
mod tests;

use super::command::{Command, Verb};
use super::engine::Engine;
use super::option::Opt;

pub use consts::*;
pub use forward::ForwardMask;
pub use message::Message;
pub use mode::ModeMask;
pub use negotiator::{Change, Linemode, Outcome};
pub use slc::{Level, SlcTable, SlcTriplet};
