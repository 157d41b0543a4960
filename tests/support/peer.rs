//! A scripted Telnet peer for integration tests: a real loopback socket that the test
//! drives step by step, sending byte scripts and checking what it receives against
//! deadlines (never sleeping to synchronise).

#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// How long a step that should succeed may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Polls `done` until it holds or `limit` passes; whether it held.
pub fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// One end of a loopback connection, played by the test.
pub struct Peer {
    listener: Option<TcpListener>,
    socket: Option<TcpStream>,
    /// Received and not yet checked.
    pending: Vec<u8>,
}

impl Peer {
    /// Listens on 127.0.0.1 with an ephemeral port.
    pub fn bind() -> Peer {
        Peer {
            listener: Some(TcpListener::bind("127.0.0.1:0").expect("bind loopback")),
            socket: None,
            pending: Vec::new(),
        }
    }

    /// A peer on the connecting side: a raw client of a server under test.
    pub fn connect(address: SocketAddr) -> Peer {
        let socket = TcpStream::connect_timeout(&address, DEADLINE).expect("connect");
        socket.set_nodelay(true).unwrap();
        Peer {
            listener: None,
            socket: Some(socket),
            pending: Vec::new(),
        }
    }

    /// [`connect`](Self::connect) from the local address `source` (the port left to the
    /// kernel): on Linux every 127.x.y.z is a loopback address, so one machine can play
    /// many clients that a server behind a balancer must tell apart.
    pub fn connect_from(source: IpAddr, address: SocketAddr) -> Peer {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(address),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )
        .expect("socket");
        socket
            .bind(&SocketAddr::new(source, 0).into())
            .unwrap_or_else(|e| panic!("bind {source}: {e}"));
        socket
            .connect_timeout(&address.into(), DEADLINE)
            .unwrap_or_else(|e| panic!("connect from {source} to {address}: {e}"));
        let socket = TcpStream::from(socket);
        socket.set_nodelay(true).unwrap();
        Peer {
            listener: None,
            socket: Some(socket),
            pending: Vec::new(),
        }
    }

    /// The listening address (for a listening peer) or the server's (connecting peer).
    pub fn addr(&self) -> SocketAddr {
        match &self.listener {
            Some(listener) => listener.local_addr().unwrap(),
            None => self.socket.as_ref().unwrap().peer_addr().unwrap(),
        }
    }

    /// Accepts the connection (the client has connected already: the kernel completed
    /// the handshake into the backlog).
    pub fn accept(&mut self) {
        let listener = self.listener.as_ref().expect("a listening peer");
        listener.set_nonblocking(true).unwrap();
        let start = Instant::now();
        loop {
            match listener.accept() {
                Ok((socket, _)) => {
                    socket.set_nonblocking(false).unwrap();
                    socket.set_nodelay(true).unwrap();
                    self.socket = Some(socket);
                    return;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock && start.elapsed() < DEADLINE => {
                    std::thread::yield_now()
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }

    pub fn socket(&mut self) -> &mut TcpStream {
        self.socket.as_mut().expect("accept first")
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.socket().write_all(bytes).expect("peer send");
    }

    /// Reads until `done(received)` holds; panics at the deadline with what arrived.
    pub fn receive_until(&mut self, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        let deadline = Instant::now() + DEADLINE;
        let mut buffer = [0u8; 65536];
        while !done(&self.pending) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "peer timed out; received so far: {:?}",
                escape(&self.pending)
            );
            let socket = self.socket.as_mut().expect("accept first");
            socket.set_read_timeout(Some(left)).unwrap();
            match socket.read(&mut buffer) {
                Ok(0) => panic!(
                    "connection closed; received so far: {:?}",
                    escape(&self.pending)
                ),
                Ok(n) => self.pending.extend_from_slice(&buffer[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => panic!("peer read: {e}"),
            }
        }
        std::mem::take(&mut self.pending)
    }

    /// Reads until the connection ends, returning what arrived (panics at the deadline).
    pub fn receive_to_end(&mut self) -> Vec<u8> {
        let socket = self.socket.as_mut().expect("connected");
        socket.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut rest = Vec::new();
        match socket.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("waiting for the end of the stream: {e}"),
        }
        let mut all = std::mem::take(&mut self.pending);
        all.extend(rest);
        all
    }

    /// Whatever arrives within `slice` (possibly nothing): for loops that wait on
    /// something else with their own deadline.
    pub fn receive_for(&mut self, slice: Duration) -> Vec<u8> {
        let mut buffer = [0u8; 65536];
        let socket = self.socket.as_mut().expect("connected");
        socket.set_read_timeout(Some(slice)).unwrap();
        match socket.read(&mut buffer) {
            Ok(n) => self.pending.extend_from_slice(&buffer[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("peer read: {e}"),
        }
        std::mem::take(&mut self.pending)
    }

    /// Plays a Telnet client whose answers come from `engine` (its policy decides),
    /// until `done()` holds; panics at the deadline. Returns the data received.
    pub fn negotiate_until(
        &mut self,
        engine: &mut telnetlib::proto::Engine,
        mut done: impl FnMut() -> bool,
    ) -> Vec<u8> {
        self.negotiate_until_data(engine, |_| done())
    }

    /// [`negotiate_until`](Self::negotiate_until), `done` looking at the data
    /// received so far.
    pub fn negotiate_until_data(
        &mut self,
        engine: &mut telnetlib::proto::Engine,
        mut done: impl FnMut(&[u8]) -> bool,
    ) -> Vec<u8> {
        let deadline = Instant::now() + DEADLINE;
        let mut data = Vec::new();
        while !done(&data) {
            assert!(
                Instant::now() < deadline,
                "negotiation did not get there; data so far: {:?}",
                escape(&data)
            );
            let bytes = self.receive_for(Duration::from_millis(10));
            engine.receive(&bytes, |event| {
                if let telnetlib::proto::Event::Data(d) = event {
                    data.extend_from_slice(d);
                }
            });
            let reply = engine.take_output();
            if !reply.is_empty() {
                self.send(&reply);
            }
        }
        data
    }

    /// Plays a Telnet peer whose answers come from `engine` until `expected.len()`
    /// bytes of data (Telnet commands taken out, IAC IAC as one 0xFF) have arrived,
    /// and asserts they are exactly `expected`.
    pub fn expect_data(&mut self, engine: &mut telnetlib::proto::Engine, expected: &[u8]) {
        let deadline = Instant::now() + DEADLINE;
        let mut data = Vec::new();
        while data.len() < expected.len() {
            assert!(
                Instant::now() < deadline,
                "data expected {:?}, so far {:?}",
                escape(expected),
                escape(&data)
            );
            let bytes = self.receive_for(Duration::from_millis(10));
            engine.receive(&bytes, |event| {
                if let telnetlib::proto::Event::Data(d) = event {
                    data.extend_from_slice(d);
                }
            });
            let reply = engine.take_output();
            if !reply.is_empty() {
                self.send(&reply);
            }
        }
        assert_eq!(escape(&data), escape(expected), "data received by the peer");
    }

    /// Asserts that the next bytes received are exactly `expected`.
    pub fn expect(&mut self, expected: &[u8]) {
        let mut got = self.receive_until(|got| got.len() >= expected.len());
        self.pending = got.split_off(expected.len());
        assert_eq!(escape(&got), escape(expected), "bytes received by the peer");
    }

    /// Asserts that the other side sent nothing since the last check: sends `DO TM`,
    /// which our client and server answer with `WILL TM` after everything they sent
    /// before, and expects exactly that answer.
    pub fn expect_nothing_more(&mut self) {
        self.send(b"\xff\xfd\x06");
        self.expect(b"\xff\xfb\x06");
    }

    /// Closes our side in an orderly way (the client sees end of stream).
    pub fn close(&mut self) {
        drop(self.socket.take());
    }

    /// Resets the connection (RST instead of FIN).
    pub fn reset(&mut self) {
        let socket = self.socket.take().expect("accept first");
        socket2::SockRef::from(&socket)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(socket);
    }
}

/// Bytes as readable text for assertion messages.
pub fn escape(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect()
}
