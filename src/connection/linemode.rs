//! LINEMODE (RFC 1184) on a running connection: what is agreed (mode, special
//! characters, forward mask), and changes to it after connect, on either side where
//! the RFC lets that side make them.

use super::{Connection, Kind};
use crate::error::Result;
use crate::proto::linemode::{ForwardMask, Linemode, ModeMask, Outcome, SlcTable, SlcTriplet};
use crate::proto::{Opt, Side};

impl<K: Kind> Connection<K> {
    /// The LINEMODE mode agreed (RFC 1184: EDIT, TRAPSIG, SOFT_TAB, LIT_ECHO);
    /// `None` while LINEMODE is off.
    pub fn linemode_mode(&self) -> Option<ModeMask> {
        self.with_linemode(true, |linemode| linemode.mode())
    }

    /// The SLC table (which character does IP, EC, EOF, …) as agreed so far.
    pub fn linemode_slc(&self) -> Option<SlcTable> {
        self.with_linemode(false, |linemode| linemode.slc().clone())
    }

    /// Whether typing `byte` makes the client send its line at once (the
    /// server's forward mask); false with no mask.
    pub fn linemode_forwards(&self, byte: u8) -> bool {
        self.with_linemode(false, |linemode| linemode.forwards(byte))
            .unwrap_or(false)
    }

    /// `read` applied to the LINEMODE negotiator, if there is one (and, with
    /// `only_while_on`, only while either side has the option enabled).
    fn with_linemode<T>(
        &self,
        only_while_on: bool,
        read: impl FnOnce(&Linemode) -> T,
    ) -> Option<T> {
        let state = self.core().lock();
        let engine = &state.link.engine;
        let on = engine.is_enabled(Side::Local, Opt::LINEMODE)
            || engine.is_enabled(Side::Remote, Opt::LINEMODE);
        if only_while_on && !on {
            return None;
        }
        state.link.options.linemode.as_ref().map(read)
    }

    /// Changes the LINEMODE mode (EDIT, TRAPSIG, SOFT_TAB, LIT_ECHO): a server asks
    /// the client to use it (`MODE`; the client answers with its `MODE … ACK`), a
    /// client proposes it to the server (RFC 1184 §5.1). It is the mode in effect here
    /// at once; the peer's [`linemode_mode`](Self::linemode_mode) shows it once it
    /// agreed (wait for it with [`wait_until`](Self::wait_until)). Nothing is sent
    /// for the mode in effect already. `Err(NotAgreed)` while LINEMODE is off.
    pub fn set_linemode_mode(&self, mode: ModeMask) -> Result<()> {
        self.change_linemode("set_linemode_mode", |linemode| linemode.set_mode(mode))
    }

    /// Changes one special character (the function, its level and value, e.g. erase
    /// to `^H`) and proposes it to the peer, which agrees or answers with its own
    /// (RFC 1184 §5.2). `Err(NotAgreed)` while LINEMODE is off.
    pub fn set_linemode_slc(&self, triplet: SlcTriplet) -> Result<()> {
        self.change_linemode("set_linemode_slc", |linemode| linemode.set_slc(triplet))
    }

    /// Server: asks the client to send its line at once whenever it types one of the
    /// characters of `mask` (`DO FORWARDMASK`), or, with `None`, to stop
    /// (`DONT FORWARDMASK`). Nothing on a client, whose mask is the server's to set.
    /// `Err(NotAgreed)` while LINEMODE is off.
    pub fn set_linemode_forwardmask(&self, mask: Option<ForwardMask>) -> Result<()> {
        self.change_linemode("set_linemode_forwardmask", |linemode| match mask {
            Some(mask) => linemode.request_forwardmask(mask),
            None => linemode.stop_forwardmask(),
        })
    }

    /// Runs `change` on the LINEMODE negotiator and sends what it says to send.
    fn change_linemode(
        &self,
        operation: &'static str,
        change: impl FnOnce(&mut Linemode) -> Outcome,
    ) -> Result<()> {
        self.ask_if_agreed(operation, Opt::LINEMODE, |_, link| {
            let on = link.engine.is_enabled(Side::Local, Opt::LINEMODE)
                || link.engine.is_enabled(Side::Remote, Opt::LINEMODE);
            match (on, link.options.linemode.as_mut()) {
                (true, Some(linemode)) => {
                    change(linemode).send_to(&mut link.engine);
                    true
                }
                _ => false,
            }
        })
    }
}
