//! What each side adds to the negotiation engine, below the connection types: the
//! client's answers (its terminal, window, environment, charset) and a server's
//! requests and what it learns of its client (the TTYPE cycle, NEW-ENVIRON, CHARSET,
//! ECHO with line editing, when the connection is handed out).

pub mod client;
mod editor;
pub mod server;

pub(crate) use client::{Answer, ClientRole, GMCP_MODULES};
pub(crate) use server::{ENVIRON_REQUEST, Notifier, ServerRole, ServerSettings, Slot};
