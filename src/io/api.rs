//! The blocking API every connection type shares (reads, writes, negotiation, close,
//! `std::io` traits), written once and stamped onto `TelnetConnection` and
//! `ServerConnection`, which both wrap a [`Core`](super::Core) in a field named `core`.

/// Adds the shared blocking methods and the `Read`/`Write` impls to `$type`.
macro_rules! connection_api {
    ($type:ident) => {
        impl $type {
            // ------------------------------------------------------------- reading

            /// Up to `n` bytes, returning as soon as any data is buffered (not "until EOF",
            /// unlike telnetlib3's `read()`).
            pub fn read(
                &self,
                n: usize,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<Vec<u8>> {
                self.core.read(n, timeout)
            }

            /// Everything buffered, as soon as anything is.
            pub fn read_some(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<Vec<u8>> {
                self.core.read(usize::MAX, timeout)
            }

            /// One line including its terminator: LF, CR LF, CR NUL (returned as CR) or a bare
            /// CR. A CR LF split across packets is one terminator (the line then ends in CR and
            /// the LF is skipped). At end of stream an unterminated rest is returned as the last
            /// line. A line longer than `max_line` fails with [`Error::LineTooLong`](crate::Error::LineTooLong) and stays
            /// buffered.
            pub fn readline(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<Vec<u8>> {
                self.core.readline(timeout)
            }

            /// Everything up to and including `pattern`. If the peer closes first, `Eof`, and
            /// the data stays buffered.
            pub fn read_until(
                &self,
                pattern: &[u8],
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<Vec<u8>> {
                self.core.read_until(pattern, timeout)
            }

            /// Everything until the peer closes, bounded by the input buffer
            /// ([`Error::BufferFull`](crate::Error::BufferFull) beyond it).
            pub fn read_all(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<Vec<u8>> {
                self.core.read_all(timeout)
            }

            /// Waits for the first of `patterns` (list order wins, as in telnetlib) to match
            /// the buffered data, and consumes through the match.
            ///
            /// ```no_run
            /// # let conn = telnetlib::TelnetConnection::connect("127.0.0.1:23")?;
            /// use regex::bytes::Regex;
            /// let prompts = [Regex::new(r"[Pp]assword: ?$").unwrap(), Regex::new(r"\$ $").unwrap()];
            /// let found = conn.expect(&prompts, None)?;
            /// println!("pattern {} after {:?}", found.index, found.before);
            /// # Ok::<(), telnetlib::Error>(())
            /// ```
            pub fn expect(
                &self,
                patterns: &[::regex::bytes::Regex],
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<$crate::ExpectMatch> {
                self.core.expect(patterns, timeout)
            }

            /// The data up to the peer's next `IAC GA` or `IAC EOR`: a MUD or BBS
            /// prompt, whatever its text. GA/EOR marks are kept in order (up to 4,096);
            /// data consumed by other reads is skipped. `Err(Eof)` at the end of the
            /// stream (what is buffered stays readable with `read_some`). A server
            /// that suppresses go-ahead (SGA) and does not perform EOR marks no prompts
            /// at all: then this times out (our server marks them with EOR once built
            /// with `offer_eor(true)`).
            pub fn read_prompt(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<Vec<u8>> {
                self.core.read_prompt(timeout)
            }

            /// [`read_prompt`](Self::read_prompt), decoded.
            pub fn read_prompt_str(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<String> {
                self.core.read_prompt_str(timeout)
            }

            /// [`read`](Self::read), decoded with the connection's encoding (a multi-byte
            /// character split across reads is decoded when complete).
            pub fn read_str(
                &self,
                n: usize,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<String> {
                self.core.read_str(n, timeout)
            }

            /// [`read_some`](Self::read_some), decoded.
            pub fn read_some_str(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<String> {
                self.core.read_str(usize::MAX, timeout)
            }

            /// [`readline`](Self::readline), decoded.
            pub fn readline_str(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<String> {
                self.core.readline_str(timeout)
            }

            /// [`read_until`](Self::read_until) with a text pattern (encoded with the
            /// connection's encoding), decoded.
            pub fn read_until_str(
                &self,
                pattern: &str,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<String> {
                self.core.read_until_str(pattern, timeout)
            }

            /// [`read_all`](Self::read_all), decoded.
            pub fn read_all_str(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<String> {
                self.core.read_all_str(timeout)
            }

            // ----------------------------------------------------------------- writing

            /// Sends bytes with 0xFF doubled and no newline translation. Returns once they are
            /// handed to the socket; on `Timeout` they stay queued, in order, and go out with
            /// the next write or flush. When `max_output_buffer` bytes are already queued
            /// and the peer takes none before the deadline, the call fails with
            /// [`Error::OutputFull`](crate::Error::OutputFull) and queues nothing.
            pub fn write(
                &self,
                data: &[u8],
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<()> {
                let deadline = self.core.deadline_for(timeout);
                self.core.send("write", deadline, |state| {
                    $crate::proto::nvt::escape_iac(data, &mut state.outgoing)
                })
            }

            /// Sends text in the connection's encoding; unless BINARY is on in our direction
            /// (or `force_binary`), `\n` becomes CR LF and a lone `\r` CR NUL.
            pub fn write_str(
                &self,
                text: &str,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<()> {
                let deadline = self.core.deadline_for(timeout);
                self.core.send("write_str", deadline, |state| {
                    let bytes = state.link.charset.encode(text);
                    let binary = state.link.binary_out();
                    $crate::proto::nvt::encode_text(&bytes, binary, &mut state.outgoing);
                })
            }

            /// Waits until everything queued has been handed to the socket.
            pub fn flush(&self, timeout: Option<::std::time::Duration>) -> $crate::Result<()> {
                self.core.flush(self.core.deadline_for(timeout))
            }

            /// Sends `IAC <command>` (AYT, BRK, IP, GA, …).
            pub fn send_command(&self, command: $crate::proto::Command) -> $crate::Result<()> {
                let deadline = self.core.deadline_for(None);
                self.core.send("send_command", deadline, |state| {
                    state.link.engine.send_command(command)
                })
            }

            /// Sends `IAC SB <opt> <payload> IAC SE` (0xFF in the payload doubled).
            pub fn send_subnegotiation(
                &self,
                opt: $crate::proto::Opt,
                payload: &[u8],
            ) -> $crate::Result<()> {
                let deadline = self.core.deadline_for(None);
                self.core.send("send_subnegotiation", deadline, |state| {
                    state.link.engine.send_subnegotiation(opt, payload)
                })
            }

            /// Sends `IAC EOR` (RFC 885) after a record, typically a prompt, when we
            /// perform EOR; returns whether it was sent (nothing is sent otherwise).
            pub fn send_eor(&self) -> $crate::Result<bool> {
                let deadline = self.core.deadline_for(None);
                let mut sent = false;
                self.core.send("send_eor", deadline, |state| {
                    let engine = &mut state.link.engine;
                    sent = engine.is_enabled($crate::proto::Side::Local, $crate::proto::Opt::EOR);
                    if sent {
                        engine.send_command($crate::proto::Command::Eor);
                    }
                })?;
                Ok(sent)
            }

            /// The peer's view of every option (STATUS, RFC 859): asks it to perform
            /// STATUS if it does not yet, sends `SB STATUS SEND` and waits for the report.
            /// `Err(Refused)` when the peer will not send reports.
            pub fn request_status(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<$crate::proto::status::StatusReport> {
                self.core.request_status(timeout)
            }

            // ----------------------------------------------------------------- LINEMODE

            /// The LINEMODE mode agreed (RFC 1184: EDIT, TRAPSIG, SOFT_TAB, LIT_ECHO);
            /// `None` while LINEMODE is off.
            pub fn linemode_mode(&self) -> Option<$crate::proto::linemode::ModeMask> {
                let state = self.core.lock();
                let on = state
                    .link
                    .engine
                    .is_enabled($crate::proto::Side::Local, $crate::proto::Opt::LINEMODE)
                    || state
                        .link
                        .engine
                        .is_enabled($crate::proto::Side::Remote, $crate::proto::Opt::LINEMODE);
                state
                    .link
                    .options
                    .linemode
                    .as_ref()
                    .filter(|_| on)
                    .map(|l| l.mode())
            }

            /// The SLC table (which character does IP, EC, EOF, …) as agreed so far.
            pub fn linemode_slc(&self) -> Option<$crate::proto::linemode::SlcTable> {
                self.core
                    .lock()
                    .link
                    .options
                    .linemode
                    .as_ref()
                    .map(|l| l.slc().clone())
            }

            /// Whether typing `byte` makes the client send its line at once (the
            /// server's forward mask); false with no mask.
            pub fn linemode_forwards(&self, byte: u8) -> bool {
                self.core
                    .lock()
                    .link
                    .options
                    .linemode
                    .as_ref()
                    .is_some_and(|l| l.forwards(byte))
            }

            // ----------------------------------------------------------------- MUD protocols

            /// Sends a GMCP message, `package` then the JSON text if any (`Room.Info
            /// {"num":1}`); `Err(Refused)` unless GMCP was agreed.
            pub fn send_gmcp(&self, package: &str, json: Option<&str>) -> $crate::Result<()> {
                let payload = $crate::proto::gmcp::encode(package, json);
                self.core
                    .send_mud("send_gmcp", $crate::proto::Opt::GMCP, &payload)
            }

            /// The next GMCP message received: `(package, JSON text)`, oldest first (up
            /// to 1,024 are kept unread).
            pub fn read_gmcp(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<(String, String)> {
                self.core.read_gmcp(timeout)
            }

            /// Sends MSDP variables; `Err(Refused)` unless MSDP was agreed.
            pub fn send_msdp(
                &self,
                variables: &[(String, $crate::proto::msdp::Value)],
            ) -> $crate::Result<()> {
                let payload = $crate::proto::msdp::encode(variables);
                self.core
                    .send_mud("send_msdp", $crate::proto::Opt::MSDP, &payload)
            }

            /// Sends an MSDP command (`LIST`, `REPORT`, `SEND`, `UNREPORT`, `RESET`) with
            /// its arguments; `Err(Refused)` unless MSDP was agreed.
            pub fn send_msdp_command(
                &self,
                command: $crate::proto::msdp::Command,
                arguments: &[&str],
            ) -> $crate::Result<()> {
                let payload = $crate::proto::msdp::command(command, arguments);
                self.core
                    .send_mud("send_msdp_command", $crate::proto::Opt::MSDP, &payload)
            }

            /// The next MSDP message received (its variables), oldest first.
            pub fn read_msdp(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<Vec<(String, $crate::proto::msdp::Value)>> {
                self.core.read_msdp(timeout)
            }

            /// The MSSP variables last received, each with its values.
            pub fn mssp(&self) -> Option<Vec<(String, Vec<String>)>> {
                self.core.lock().link.options.mssp.clone()
            }

            /// Sends a ZMP command with its arguments (`send_zmp("zmp.ident",
            /// &["MyMud", "1.0"])`); `Err(Refused)` unless ZMP was agreed.
            pub fn send_zmp(&self, command: &str, args: &[&str]) -> $crate::Result<()> {
                let payload = $crate::proto::zmp::encode(command, args);
                self.core
                    .send_mud("send_zmp", $crate::proto::Opt::ZMP, &payload)
            }

            /// The next ZMP message received, `[command, arg, …]`, oldest first (up to
            /// 1,024 are kept unread). The core requests (`zmp.ping`, `zmp.check`) are
            /// answered before they are queued.
            pub fn read_zmp(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<Vec<String>> {
                self.core.read_zmp(timeout)
            }

            /// Sends an ATCP message, `package` then a space and `value` if any
            /// (`Room.Num 6008`); `Err(Refused)` unless ATCP was agreed.
            pub fn send_atcp(&self, package: &str, value: Option<&str>) -> $crate::Result<()> {
                let payload = $crate::proto::gmcp::encode(package, value);
                self.core
                    .send_mud("send_atcp", $crate::proto::Opt::ATCP, &payload)
            }

            /// The next ATCP message received: `(package, value)`, oldest first (up to
            /// 1,024 are kept unread).
            pub fn read_atcp(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<(String, String)> {
                self.core.read_atcp(timeout)
            }

            /// Closes the connection: sends what is queued (for up to a second), shuts the
            /// socket down and wakes every blocked call. Idempotent: a second call waits
            /// for the first. From an event hook, or on a connection in a server's game
            /// loop, it returns at once and the sending goes on in the background.
            pub fn close(&self) {
                self.core.close();
            }

            /// Whether [`close`](Self::close) was called.
            pub fn is_closed(&self) -> bool {
                self.core.is_closed()
            }

            // ----------------------------------------------------------------- negotiation

            fn request(
                &self,
                side: $crate::proto::Side,
                opt: $crate::proto::Opt,
                enable: bool,
            ) -> $crate::Result<$crate::proto::RequestOutcome> {
                let mut outcome = $crate::proto::RequestOutcome::AlreadySo;
                let deadline = self.core.deadline_for(None);
                self.core.send("request", deadline, |state| {
                    outcome = state.link.engine.request(side, opt, enable);
                })?;
                Ok(outcome)
            }

            /// Asks the peer to perform `opt` (`DO`), following RFC 1143.
            pub fn request_do(
                &self,
                opt: $crate::proto::Opt,
            ) -> $crate::Result<$crate::proto::RequestOutcome> {
                self.request($crate::proto::Side::Remote, opt, true)
            }

            /// Asks the peer to stop performing `opt` (`DONT`).
            pub fn request_dont(
                &self,
                opt: $crate::proto::Opt,
            ) -> $crate::Result<$crate::proto::RequestOutcome> {
                self.request($crate::proto::Side::Remote, opt, false)
            }

            /// Offers to perform `opt` (`WILL`).
            pub fn request_will(
                &self,
                opt: $crate::proto::Opt,
            ) -> $crate::Result<$crate::proto::RequestOutcome> {
                self.request($crate::proto::Side::Local, opt, true)
            }

            /// Stops performing `opt` (`WONT`).
            pub fn request_wont(
                &self,
                opt: $crate::proto::Opt,
            ) -> $crate::Result<$crate::proto::RequestOutcome> {
                self.request($crate::proto::Side::Local, opt, false)
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
            pub fn wait_for(
                &self,
                wants: &[$crate::Want],
                timeout: Option<::std::time::Duration>,
            ) -> $crate::Result<()> {
                self.core.wait_for(wants, timeout)
            }

            /// Whether we perform `opt` (the peer sent `DO` and we agreed).
            pub fn local_option(&self, opt: $crate::proto::Opt) -> bool {
                self.core
                    .lock()
                    .link
                    .engine
                    .is_enabled($crate::proto::Side::Local, opt)
            }

            /// Whether the peer performs `opt` (it sent `WILL` and we agreed).
            pub fn remote_option(&self, opt: $crate::proto::Opt) -> bool {
                self.core
                    .lock()
                    .link
                    .engine
                    .is_enabled($crate::proto::Side::Remote, opt)
            }

            /// Whether MCCP compression is in effect: `(ours, theirs)`, true for our
            /// output once our marker is queued (MCCP2 on a server, MCCP3 on a client)
            /// and for the peer's output from its marker until its stream ends.
            pub fn compression(&self) -> (bool, bool) {
                let state = self.core.lock();
                (state.wire_out.compressing(), state.wire_in.inflating())
            }

            /// The RFC 1143 state of one side of `opt`.
            pub fn option_state(
                &self,
                side: $crate::proto::Side,
                opt: $crate::proto::Opt,
            ) -> $crate::proto::QState {
                self.core.lock().link.engine.state(side, opt)
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
            pub fn set_event_hook(
                &self,
                hook: Option<impl Fn(&$crate::proto::OwnedEvent) + Send + Sync + 'static>,
            ) {
                self.core.set_hook(
                    hook.map(|hook| ::std::sync::Arc::new(hook) as $crate::io::EventHook),
                );
            }

            // ----------------------------------------------------------------- what telnetlib3 calls extra info

            /// The peer's address (`peername`).
            pub fn peer_addr(&self) -> Option<::std::net::SocketAddr> {
                self.core.peer()
            }

            /// Our address (`sockname`).
            pub fn local_addr(&self) -> Option<::std::net::SocketAddr> {
                self.core.shared.local
            }
        }

        impl ::std::io::Read for &$type {
            /// Reads what is buffered (waiting for at least one byte with the default timeout);
            /// `Ok(0)` at end of stream.
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                match self.core.read_buf(buf, None) {
                    Ok(n) => Ok(n),
                    Err($crate::Error::Eof { .. }) => Ok(0),
                    Err(error) => Err(error.into()),
                }
            }
        }

        impl ::std::io::Read for $type {
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                ::std::io::Read::read(&mut &*self, buf)
            }
        }

        impl ::std::io::Write for &$type {
            /// Writes bytes with 0xFF doubled. Once queued they count as written, even
            /// if the peer is slow to take them: `flush` reports that.
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                // Once queued, the bytes count as written even if the socket is slow:
                // a caller retrying after an error would send them twice.
                let deadline = self.core.deadline_for(None);
                self.core.send_accepted("write", deadline, |state| {
                    $crate::proto::nvt::escape_iac(buf, &mut state.outgoing)
                })?;
                Ok(buf.len())
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                Ok($type::flush(self, None)?)
            }
        }

        impl ::std::io::Write for $type {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                ::std::io::Write::write(&mut &*self, buf)
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                ::std::io::Write::flush(&mut &*self)
            }
        }
    };
}

pub(crate) use connection_api;
