//! Negotiation: requests (RFC 1143), waiting for option states or a condition,
//! option state, STATUS, compression, and the event hook.

use std::sync::Arc;

use super::{Connection, Kind};
use crate::io::{EventHook, Link, State, Want};
use crate::proto::status::StatusReport;
use crate::proto::{Opt, OwnedEvent, QState, RequestOutcome, Side};
use crate::timeout::Timeout;

impl<K: Kind> Connection<K> {
    fn request(&self, side: Side, opt: Opt, enable: bool) -> crate::Result<RequestOutcome> {
        let mut outcome = RequestOutcome::AlreadySo;
        let deadline = self.core().deadline_for(Timeout::Default);
        self.core().send("request", deadline, |state| {
            outcome = state.link.engine.request(side, opt, enable);
        })?;
        Ok(outcome)
    }

    /// Asks the peer to perform `opt` (`DO`), following RFC 1143.
    pub fn request_do(&self, opt: Opt) -> crate::Result<RequestOutcome> {
        self.request(Side::Remote, opt, true)
    }

    /// Asks the peer to stop performing `opt` (`DONT`).
    pub fn request_dont(&self, opt: Opt) -> crate::Result<RequestOutcome> {
        self.request(Side::Remote, opt, false)
    }

    /// Offers to perform `opt` (`WILL`).
    pub fn request_will(&self, opt: Opt) -> crate::Result<RequestOutcome> {
        self.request(Side::Local, opt, true)
    }

    /// Stops performing `opt` (`WONT`).
    pub fn request_wont(&self, opt: Opt) -> crate::Result<RequestOutcome> {
        self.request(Side::Local, opt, false)
    }

    /// Waits until every condition holds; a `Timeout` names the unmet ones. Once the
    /// peer has closed and the conditions can no longer change, fails with `Eof`.
    ///
    /// ```no_run
    /// use telnetlib::{TelnetConnection, Want};
    /// use telnetlib::proto::Opt;
    /// # let conn = TelnetConnection::connect("127.0.0.1:23")?;
    /// conn.wait_for(&[Want::RemoteEnabled(Opt::ECHO), Want::LocalEnabled(Opt::NAWS)], None)?;
    /// # Ok::<(), telnetlib::Error>(())
    /// ```
    pub fn wait_for(&self, wants: &[Want], timeout: impl Into<Timeout>) -> crate::Result<()> {
        self.core().wait_for(wants, timeout.into())
    }

    /// Waits until `condition` holds: a predicate over the connection, for what
    /// option states alone cannot say. It is checked at once, then again each time
    /// something arrives from the peer, on this thread and without the connection's
    /// lock (it may call any method that does not block). The same rules as
    /// [`wait_for`](Self::wait_for): `Timeout` when it still does not hold at the
    /// deadline, `Eof` once the peer has closed and it can no longer change.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use telnetlib::proto::Opt;
    /// # fn demo(client: telnetlib::ServerConnection) -> telnetlib::Result<()> {
    /// // Terminal type and window size both known, or 5 s passed.
    /// client.wait_until(
    ///     |c| !c.terminal_types().is_empty() && c.remote_option(Opt::NAWS),
    ///     Duration::from_secs(5),
    /// )?;
    /// # Ok(()) }
    /// ```
    pub fn wait_until(
        &self,
        mut condition: impl FnMut(&Self) -> bool,
        timeout: impl Into<Timeout>,
    ) -> crate::Result<()> {
        self.core().wait_until(|| condition(self), timeout.into())
    }

    /// Runs `ask` on the role and link under the lock and queues what it sent (never
    /// waiting: a game loop may call it); `NotAgreed` naming `opt` when it could not
    /// ask because the option is off.
    pub(crate) fn ask_if_agreed(
        &self,
        operation: &'static str,
        opt: Opt,
        ask: impl FnOnce(&mut K, &mut Link) -> bool,
    ) -> crate::Result<()> {
        let mut asked = false;
        self.core().queue(operation, |state| {
            let State { role, link, .. } = state;
            asked = ask(role, link);
        })?;
        if asked {
            Ok(())
        } else {
            Err(crate::Error::NotAgreed {
                operation,
                opt,
                peer: self.peer_addr(),
            })
        }
    }

    /// Whether we perform `opt` (the peer sent `DO` and we agreed).
    pub fn local_option(&self, opt: Opt) -> bool {
        self.core().lock().link.engine.is_enabled(Side::Local, opt)
    }

    /// Whether the peer performs `opt` (it sent `WILL` and we agreed).
    pub fn remote_option(&self, opt: Opt) -> bool {
        self.core().lock().link.engine.is_enabled(Side::Remote, opt)
    }

    /// Whether MCCP compression is in effect: `(ours, theirs)`, true for our
    /// output once our marker is queued (MCCP2 on a server, MCCP3 on a client)
    /// and for the peer's output from its marker until its stream ends.
    pub fn compression(&self) -> (bool, bool) {
        let state = self.core().lock();
        (state.wire_out.compressing(), state.wire_in.inflating())
    }

    /// The RFC 1143 state of one side of `opt`.
    pub fn option_state(&self, side: Side, opt: Opt) -> QState {
        self.core().lock().link.engine.state(side, opt)
    }

    /// Calls `hook` with every event other than data (negotiations, option
    /// changes, commands, subnegotiations, protocol errors), after the connection
    /// has acted on it and before any caller sees the data that followed it.
    /// `None` removes it.
    ///
    /// It runs on the thread that read the event: a caller waiting for input on
    /// this connection, or the poller (a server's game loop, while it is in
    /// `poll`). Keep it short: on the poller it holds up every connection the
    /// poller serves. A read on this connection from inside the hook waits for
    /// the hook itself and times out.
    pub fn set_event_hook(&self, hook: Option<impl Fn(&OwnedEvent) + Send + Sync + 'static>) {
        self.core()
            .set_hook(hook.map(|hook| Arc::new(hook) as EventHook));
    }

    /// The peer's view of every option (STATUS, RFC 859): asks it to perform
    /// STATUS if it does not yet, sends `SB STATUS SEND` and waits for the report.
    /// `Err(Refused)` when the peer will not send reports.
    pub fn request_status(&self, timeout: impl Into<Timeout>) -> crate::Result<StatusReport> {
        self.core().request_status(timeout.into())
    }
}
