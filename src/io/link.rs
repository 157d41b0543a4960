//! What the input path works on besides the buffers: the engine with the text codec
//! and the option state kept beside it ([`Link`]), and the [`Role`] a client or server
//! adds to the engine.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use crate::codec::Charset;
use crate::proto::{Engine, Opt, OwnedEvent, Side, charset};

use super::input::InputBuffer;
use super::mccp;
use super::options::{self, Options};

/// A negotiation observer installed with `set_event_hook`; runs on the thread that
/// processed the input (a caller waiting for input, or the poller).
pub(crate) type EventHook = Arc<dyn Fn(&OwnedEvent) + Send + Sync>;

/// What a client or server adds to the engine: answers to subnegotiations, and what to
/// do when options change. Runs with the connection's state locked, on whichever thread
/// processes the input.
pub(crate) trait Role: Send + 'static {
    /// Queues start-up requests (the engine's `start` and anything else). Runs once the
    /// connection's handshakes (PROXY header, TLS) are done.
    fn start(&mut self, link: &mut Link);
    /// Reacts to one non-data event, after the engine has processed the chunk it came in.
    fn on_event(&mut self, event: &OwnedEvent, link: &mut Link);
    /// Takes application data as it arrives. By default it goes to the input buffer
    /// as is (CR NUL becoming CR outside BINARY); a server may edit and echo it.
    fn on_data(&mut self, data: &[u8], sink: &mut DataSink<'_>) {
        sink.push(data);
    }
    /// Runs after each chunk has been processed, and once after `start`.
    fn after_chunk(&mut self, _link: &mut Link) {}
    /// Whether the connection should end once the replies queued so far are sent
    /// (the peer asked us to log out).
    fn wants_close(&self) -> bool {
        false
    }
    /// The stream ended: the peer closed, the socket failed, or the idle timeout hit.
    fn on_end(&mut self) {}
    /// Output the socket had made wait has moved: the queue is empty, or has just
    /// dropped below half its bound.
    fn on_output_drained(&mut self) {}
    /// When the role next wants [`on_deadline`](Self::on_deadline) called, if ever.
    fn deadline(&self) -> Option<Instant> {
        None
    }
    /// Its deadline has come (it may come a little early or late: check the time).
    fn on_deadline(&mut self, _now: Instant) {}

    /// The terminal type: ours (a client) or the peer's (a server).
    fn terminal_type(&self) -> String;
    /// The window size, `(columns, rows)`: ours or the peer's.
    fn window_size(&self) -> (u16, u16);
    /// The terminal speed `(rx, tx)`: ours or the peer's, if known.
    fn terminal_speed(&self) -> Option<(u32, u32)>;
    /// The X display: ours or the peer's, if any.
    fn x_display(&self) -> Option<String>;
    /// The environment variables: those we reveal, or those the peer sent.
    fn environment(&self, link: &Link) -> BTreeMap<String, String>;
}

/// Where a [`Role`] puts received data and the bytes it echoes.
pub(crate) struct DataSink<'a> {
    pub input: &'a mut InputBuffer,
    pub outgoing: &'a mut Vec<u8>,
    pub after_cr: &'a mut bool,
    /// The peer sends BINARY (or `force_binary`).
    pub binary: bool,
    /// We perform ECHO.
    pub local_echo: bool,
    /// The charset the peer's text is in (its line-end and erase keys).
    pub charset: Charset,
    /// The chunk being processed sits in the reading caller's own buffer: if it is
    /// all plain data, it may stay there instead of being copied in and out.
    pub direct: Option<&'a [u8]>,
    /// The chunk stayed where it was (see `direct`).
    pub in_place: bool,
}

impl DataSink<'_> {
    /// Appends data to the input buffer, dropping the NUL of CR NUL unless BINARY.
    pub fn push(&mut self, data: &[u8]) {
        if let Some(whole) = self.direct.take() {
            // The whole chunk, as it arrived, with nothing buffered before it and no
            // NUL to drop: the caller's buffer already holds what a read returns.
            if std::ptr::eq(data, whole)
                && self.input.is_empty()
                && !InputBuffer::has_nul_to_drop(data, self.binary, *self.after_cr)
            {
                *self.after_cr = !self.binary && data.last() == Some(&b'\r');
                self.input.pass_by(data.len());
                self.in_place = true;
                return;
            }
        }
        self.input.push_nvt(data, self.binary, self.after_cr);
    }
}

/// What a [`Role`] may change: the engine and the text codec.
#[derive(Debug)]
pub(crate) struct Link {
    pub engine: Engine,
    pub charset: Charset,
    /// Bumped when `charset` changes, so readers know to start a new decoder.
    pub charset_generation: u64,
    /// Treat both directions as BINARY for newline and NUL handling.
    pub force_binary: bool,
    /// The charset never changes (a bytes-only connection): CHARSET requests are
    /// rejected and a client's `LANG` is not followed.
    pub charset_locked: bool,
    /// State of the options both roles handle alike (STATUS, LFLOW, LINEMODE, the MUD
    /// protocols).
    pub options: Options,
    /// Offsets into the engine's output where our MCCP compression starts (`true`) or
    /// ends, recorded when the marker is queued (see `mccp::on_event`).
    pub compress_switches: Vec<(usize, bool)>,
}

impl Link {
    /// A link around `engine`, with no option state yet.
    pub fn new(engine: Engine, charset: Charset, force_binary: bool) -> Link {
        Link {
            engine,
            charset,
            charset_generation: 0,
            force_binary,
            charset_locked: false,
            options: Options::default(),
            compress_switches: Vec::new(),
        }
    }

    pub fn set_charset(&mut self, charset: Charset) {
        if charset != self.charset && !self.charset_locked {
            log::debug!("charset now {}", charset.name());
            self.charset = charset;
            self.charset_generation += 1;
        }
    }

    /// Whether data we send is BINARY (no NVT newline translation).
    pub fn binary_out(&self) -> bool {
        self.force_binary || self.engine.is_enabled(Side::Local, Opt::BINARY)
    }

    /// Whether data we receive is BINARY (CR NUL kept as is).
    pub fn binary_in(&self) -> bool {
        self.force_binary || self.engine.is_enabled(Side::Remote, Opt::BINARY)
    }

    /// Sends our own `CHARSET REQUEST` for `names`; false while CHARSET is off on
    /// both sides, or with no name.
    pub fn request_charset(&mut self, names: &[&str]) -> bool {
        let on = self.engine.is_enabled(Side::Local, Opt::CHARSET)
            || self.engine.is_enabled(Side::Remote, Opt::CHARSET);
        if !on || names.is_empty() || self.charset_locked {
            return false;
        }
        self.engine
            .send_subnegotiation(Opt::CHARSET, &charset::request(names));
        true
    }

    /// The answer to `CHARSET REQUEST`: accept an offered name for our own charset;
    /// on a weak default (Latin-1/ASCII) take the first offer we know and switch to
    /// it; otherwise `REJECTED` (telnetlib3 wrongly sends an empty `ACCEPTED`).
    pub fn answer_charset_request(&mut self, offered: &[String]) -> Vec<u8> {
        if self.charset_locked {
            return charset::rejected();
        }
        let ours = self.charset;
        if let Some(name) = offered
            .iter()
            .find(|name| Charset::for_name(name) == Some(ours))
        {
            return charset::accepted(name);
        }
        if ours == Charset::Standard(encoding_rs::WINDOWS_1252) {
            for name in offered {
                if let Some(theirs) = Charset::for_name(name) {
                    self.set_charset(theirs);
                    return charset::accepted(name);
                }
            }
        }
        charset::rejected()
    }

    /// Whether either side performs `opt`.
    pub fn is_on(&self, opt: Opt) -> bool {
        self.engine.is_enabled(Side::Local, opt) || self.engine.is_enabled(Side::Remote, opt)
    }
}

/// Handles the events of the options both roles treat alike (MCCP's switches, STATUS,
/// LFLOW, LINEMODE, the MUD protocols); the roles call it first.
pub(crate) fn on_common_option_event(event: &OwnedEvent, link: &mut Link) {
    mccp::on_event(event, &mut link.engine, &mut link.compress_switches);
    options::on_event(event, &mut link.engine, &mut link.options);
}
