//! Opening a connection: every address a target resolves to, in turn.

use std::fmt;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use crate::error::{Error, Result, describe_target};

/// Tries each resolved address in turn, each within `timeout`.
pub(crate) fn connect_tcp<A: ToSocketAddrs + fmt::Debug>(
    target: &A,
    timeout: Option<Duration>,
    nodelay: bool,
) -> Result<TcpStream> {
    let failed = |source| Error::Connect {
        target: describe_target(target),
        source,
    };
    let addresses: Vec<SocketAddr> = target.to_socket_addrs().map_err(failed)?.collect();
    let mut last_error = std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "the name resolved to no address",
    );
    for address in addresses {
        let attempt = || -> std::io::Result<TcpStream> {
            let socket = Socket::new(
                Domain::for_address(address),
                Type::STREAM,
                Some(Protocol::TCP),
            )?;
            match timeout {
                Some(timeout) => socket.connect_timeout(&address.into(), timeout)?,
                None => socket.connect(&address.into())?,
            }
            socket.set_nodelay(nodelay)?;
            Ok(socket.into())
        };
        match attempt() {
            Ok(stream) => return Ok(stream),
            Err(error) => {
                log::debug!("connect to {address} failed: {error}");
                last_error = error;
            }
        }
    }
    Err(failed(last_error))
}
