//! The two kinds of [`Connection`](super::Connection): [`Client`] and [`Server`].
//!
//! Each is the negotiation state of its side (what the client reports, what a server
//! learnt about its client), kept inside the connection; as a type it only says which
//! side a connection plays, and has no public API of its own.

pub use crate::role::client::ClientRole as Client;
pub use crate::role::server::ServerRole as Server;

/// The side a [`Connection`](super::Connection) plays: [`Client`]
/// ([`TelnetConnection`](crate::TelnetConnection)) or [`Server`]
/// ([`ServerConnection`](crate::ServerConnection)). Write code generic over `K: Kind`
/// to take either.
///
/// Sealed: its supertrait is the crate's own negotiation role, which only these two
/// types implement.
#[allow(private_bounds)]
pub trait Kind: crate::io::Role {}

impl Kind for Client {}
impl Kind for Server {}
