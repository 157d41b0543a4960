//! TELNETS: a TLS session between the socket and the Telnet stream.
//!
//! Whoever reads the socket still reads it and the writers still write it; the
//! session sits in the connection's state, so decrypting happens where received bytes
//! are processed and encrypting where queued bytes are taken for writing, both under
//! the state lock and in stream order. Records the session wants to send on its own
//! (the handshake, alerts, `close_notify`) go straight to the wire queue.
//!
//! Without the `tls` feature, [`Tls`] has no values, so every branch on it compiles
//! away.

#[cfg(feature = "tls")]
mod session {
    use std::io::{Read, Write};
    use std::sync::Arc;

    use rustls::pki_types::ServerName;

    /// What a TELNETS session agreed on: telnetlib3's `get_extra_info('ssl_object')`
    /// (its `version()`, `cipher()` and `getpeercert()`), typed.
    #[derive(Debug, Clone)]
    #[non_exhaustive]
    pub struct TlsInfo {
        /// TLS 1.2 or 1.3.
        pub protocol_version: rustls::ProtocolVersion,
        /// The cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
        pub cipher_suite: rustls::CipherSuite,
        /// The key exchange group, e.g. `X25519MLKEM768` (post-quantum hybrid).
        pub key_exchange_group: Option<rustls::NamedGroup>,
        /// The peer's certificate chain, its own first: on a client the server's; on
        /// a server empty (clients are not asked for certificates).
        pub peer_certificates: Vec<rustls::pki_types::CertificateDer<'static>>,
        /// On a server, the host name the client asked for (SNI), if it sent one.
        pub server_name: Option<String>,
    }

    /// A rustls client or server session. Boxed: a session is over a kilobyte, and
    /// every connection's state holds an `Option<Tls>`, TLS or not.
    pub(crate) struct Tls(Box<rustls::Connection>);

    impl std::fmt::Debug for Tls {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Tls")
                .field("handshaking", &self.0.is_handshaking())
                .finish()
        }
    }

    impl Tls {
        /// The server side of a new connection.
        pub fn server(config: &Arc<rustls::ServerConfig>) -> Result<Tls, String> {
            let session = rustls::ServerConnection::new(Arc::clone(config))
                .map_err(|error| format!("TLS: {error}"))?;
            Ok(Tls::new(session.into()))
        }

        /// The client side, checking the server's certificate against `name`.
        pub fn client(
            config: &Arc<rustls::ClientConfig>,
            name: ServerName<'static>,
        ) -> Result<Tls, String> {
            let session = rustls::ClientConnection::new(Arc::clone(config), name)
                .map_err(|error| format!("TLS: {error}"))?;
            Ok(Tls::new(session.into()))
        }

        fn new(mut session: rustls::Connection) -> Tls {
            // What we write before the handshake completes waits inside the session;
            // the connection's own `max_outgoing` bounds it, not a second limit.
            session.set_buffer_limit(None);
            Tls(Box::new(session))
        }

        /// Whether the handshake is still going on.
        pub fn is_handshaking(&self) -> bool {
            self.0.is_handshaking()
        }

        /// What the session agreed on, once the handshake is done.
        pub fn info(&self) -> Option<TlsInfo> {
            if self.0.is_handshaking() {
                return None;
            }
            let server_name = match &*self.0 {
                rustls::Connection::Server(server) => server.server_name().map(str::to_owned),
                rustls::Connection::Client(_) => None,
            };
            Some(TlsInfo {
                protocol_version: self.0.protocol_version()?,
                cipher_suite: self.0.negotiated_cipher_suite()?.suite(),
                key_exchange_group: self.0.negotiated_key_exchange_group().map(|g| g.name()),
                peer_certificates: self.0.peer_certificates().unwrap_or_default().to_vec(),
                server_name,
            })
        }

        /// Appends the records the session sends first (a client's ClientHello).
        pub fn start(&mut self, wire: &mut Vec<u8>) {
            self.flush(wire);
        }

        /// Decrypts received bytes into `plain`; records to send back (handshake,
        /// alerts) are appended to `wire`. `Ok(true)` when the peer sent
        /// `close_notify`: the TLS stream is over, our own `close_notify` is in `wire`
        /// and whatever followed the alert is ignored. `Err` when the peer breaks the
        /// protocol or fails the handshake (the alert saying so is in `wire`).
        pub fn receive(
            &mut self,
            mut raw: &[u8],
            plain: &mut Vec<u8>,
            wire: &mut Vec<u8>,
        ) -> Result<bool, String> {
            let mut peer_closed = false;
            while !raw.is_empty() && !peer_closed {
                if let Err(error) = self.0.read_tls(&mut raw) {
                    return Err(format!("TLS: {error}"));
                }
                let state = match self.0.process_new_packets() {
                    Ok(state) => state,
                    Err(error) => {
                        self.flush(wire);
                        return Err(format!("TLS: {error}"));
                    }
                };
                peer_closed = state.peer_has_closed();
                let available = state.plaintext_bytes_to_read();
                if available > 0 {
                    let start = plain.len();
                    plain.resize(start + available, 0);
                    if let Err(error) = self.0.reader().read_exact(&mut plain[start..]) {
                        return Err(format!("TLS: {error}"));
                    }
                }
            }
            if peer_closed {
                // Answering in kind lets the peer tell an orderly end from truncation.
                self.0.send_close_notify();
            }
            self.flush(wire);
            Ok(peer_closed)
        }

        /// Encrypts `plain` (buffered by the session until the handshake is done)
        /// and appends the records ready to send to `wire`.
        pub fn send(&mut self, plain: &[u8], wire: &mut Vec<u8>) {
            if !plain.is_empty() {
                // Cannot fail: the session's buffer is unlimited.
                let _ = self.0.writer().write_all(plain);
            }
            self.flush(wire);
        }

        /// Queues `close_notify`, the orderly end of the TLS stream.
        pub fn close(&mut self, wire: &mut Vec<u8>) {
            self.0.send_close_notify();
            self.flush(wire);
        }

        /// Moves the records the session has ready into `wire`.
        fn flush(&mut self, wire: &mut Vec<u8>) {
            while self.0.wants_write() {
                // Writing into a Vec cannot fail.
                if self.0.write_tls(wire).is_err() {
                    break;
                }
            }
        }
    }
}

#[cfg(not(feature = "tls"))]
mod session {
    /// No TLS in this build: there are no sessions.
    #[derive(Debug)]
    pub(crate) enum Tls {}

    impl Tls {
        pub fn is_handshaking(&self) -> bool {
            match *self {}
        }

        pub fn start(&mut self, _wire: &mut Vec<u8>) {
            match *self {}
        }

        pub fn receive(
            &mut self,
            _raw: &[u8],
            _plain: &mut Vec<u8>,
            _wire: &mut Vec<u8>,
        ) -> Result<bool, String> {
            match *self {}
        }

        pub fn send(&mut self, _plain: &[u8], _wire: &mut Vec<u8>) {
            match *self {}
        }

        pub fn close(&mut self, _wire: &mut Vec<u8>) {
            match *self {}
        }
    }
}

pub(crate) use session::Tls;
#[cfg(feature = "tls")]
pub use session::TlsInfo;
