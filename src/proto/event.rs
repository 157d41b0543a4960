//! What the engine reports to the application: [`Event`] (borrowed) and [`OwnedEvent`] (kept),
//! the two forms of [`EventOf`], and [`ProtocolError`].

use std::fmt;

use super::command::{Command, Verb};
use super::option::Opt;
use super::policy::Side;

/// One thing the peer said, in the order it said it, as the engine hands it out.
///
/// Events borrow: `Data` points into the bytes handed to
/// [`Engine::receive`](super::Engine::receive), `Subnegotiation` into the engine's
/// subnegotiation buffer. Copy what you keep ([`Event::to_owned_event`]).
pub type Event<'a> = EventOf<&'a [u8]>;

/// An [`Event`] that owns its bytes, for keeping or sending to another thread.
pub type OwnedEvent = EventOf<Vec<u8>>;

/// The events, with their bytes held as `B`: borrowed in [`Event`], owned in
/// [`OwnedEvent`]. The variants are documented here, once for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventOf<B> {
    /// Application data, with Telnet framing removed (`IAC IAC` already turned into
    /// one 0xFF). A run of data may arrive as several `Data` events; only their
    /// concatenation is meaningful.
    Data(B),
    /// A two-byte command such as `IAC GA` or `IAC AYT`, including unknown ones.
    Command(Command),
    /// The peer sent `IAC <verb> <opt>`. Reported for every negotiation received, before
    /// the engine acts on it; the state changes that follow are reported separately.
    Negotiation {
        /// The verb the peer sent.
        verb: Verb,
        /// The option it named.
        opt: Opt,
    },
    /// `side` of `opt` is now in effect.
    OptionEnabled {
        /// Whose side of the option.
        side: Side,
        /// The option.
        opt: Opt,
    },
    /// `side` of `opt` is no longer in effect.
    OptionDisabled {
        /// Whose side of the option.
        side: Side,
        /// The option.
        opt: Opt,
    },
    /// The peer refused our request to enable `side` of `opt`.
    OptionRefused {
        /// Whose side of the option.
        side: Side,
        /// The option.
        opt: Opt,
    },
    /// The peer answered our `DO TM` (RFC 860): `marked` is true for `WILL TM`, false
    /// for `WONT TM`. Everything received before this event was sent before the mark.
    TimingMark {
        /// Whether the peer answered with `WILL TM`.
        marked: bool,
    },
    /// A complete subnegotiation `IAC SB <opt> <data> IAC SE`, with `IAC IAC` inside
    /// already turned into one 0xFF. Reported for every option, known or not.
    Subnegotiation {
        /// The option named after `SB`.
        opt: Opt,
        /// The payload between the option byte and `IAC SE`.
        data: B,
    },
    /// The peer broke the protocol; the engine recovered as described on the variant.
    Error(ProtocolError),
}

/// A protocol violation by the peer. None of them stops the engine: each variant says
/// how it recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A subnegotiation payload grew past the configured limit. The rest of it, up to
    /// `IAC SE`, is discarded and no `Subnegotiation` event is reported for it.
    SubnegotiationTooLong {
        /// The option of the subnegotiation.
        opt: Opt,
        /// The limit in bytes.
        limit: usize,
    },
    /// Inside a subnegotiation, `IAC` was followed by `byte`, neither `IAC` nor `SE`.
    /// The subnegotiation ends there (its payload so far is reported, as libtelnet
    /// does) and `IAC <byte>` is processed as a command.
    SubnegotiationInterrupted {
        /// The option of the subnegotiation.
        opt: Opt,
        /// The byte that followed `IAC`.
        byte: u8,
    },
    /// `IAC SB IAC SE`: a subnegotiation with no option byte. It is skipped.
    EmptySubnegotiation,
    /// A subnegotiation for an option enabled on neither side, with the engine's
    /// gate on ([`Engine::with_subnegotiation_gate`](crate::proto::Engine::with_subnegotiation_gate)):
    /// discarded unread (RFC 855).
    SubnegotiationNotEnabled {
        /// The option of the subnegotiation.
        opt: Opt,
    },
    /// The peer answered our request to disable `side` of `opt` with an enable
    /// (RFC 1143 calls this an error). No reply is sent.
    UnexpectedEnable {
        /// Whose side of the option.
        side: Side,
        /// The option.
        opt: Opt,
    },
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ProtocolError::SubnegotiationTooLong { opt, limit } => write!(
                f,
                "subnegotiation for {opt} is longer than {limit} bytes; discarded up to IAC SE"
            ),
            ProtocolError::SubnegotiationInterrupted { opt, byte } => write!(
                f,
                "subnegotiation for {opt} interrupted by IAC {byte}; ended there"
            ),
            ProtocolError::EmptySubnegotiation => {
                f.write_str("subnegotiation without an option byte (IAC SB IAC SE); skipped")
            }
            ProtocolError::SubnegotiationNotEnabled { opt } => {
                write!(
                    f,
                    "subnegotiation for {opt}, enabled on neither side; ignored"
                )
            }
            ProtocolError::UnexpectedEnable { side, opt } => write!(
                f,
                "peer enabled the {side} side of {opt} in answer to our request to disable it"
            ),
        }
    }
}

impl std::error::Error for ProtocolError {}

impl Event<'_> {
    /// Copies the event's bytes into an [`OwnedEvent`].
    pub fn to_owned_event(&self) -> OwnedEvent {
        match *self {
            Event::Data(data) => OwnedEvent::Data(data.to_vec()),
            Event::Command(command) => OwnedEvent::Command(command),
            Event::Negotiation { verb, opt } => OwnedEvent::Negotiation { verb, opt },
            Event::OptionEnabled { side, opt } => OwnedEvent::OptionEnabled { side, opt },
            Event::OptionDisabled { side, opt } => OwnedEvent::OptionDisabled { side, opt },
            Event::OptionRefused { side, opt } => OwnedEvent::OptionRefused { side, opt },
            Event::TimingMark { marked } => OwnedEvent::TimingMark { marked },
            Event::Subnegotiation { opt, data } => OwnedEvent::Subnegotiation {
                opt,
                data: data.to_vec(),
            },
            Event::Error(error) => OwnedEvent::Error(error),
        }
    }
}
