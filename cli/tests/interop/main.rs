//! Interoperability with real third-party Telnet peers, built only with
//! `--features interop`: `cargo test -p telnetlib-cli --features interop --test interop`.
//!
//! `.ci/run` installs every peer; a missing peer fails its test with what to install.
//! Each test is one cell of the matrix (peer × direction) and checks bytes or parsed
//! facts on both sides, over real loopback sockets, with a deadline on every step.
//! Each cell writes its result to `target/interop-results/`; `cli/tests/interop/results.sh`
//! turns them into the table in COMPAT.md.
//!
//! - `their_clients`: their clients against our `TelnetServer`;
//! - `their_servers`: our `TelnetConnection` against their servers;
//! - `clis`: our command-line tools against telnetlib3's, both ways;
//! - `ourselves`: our client against our server, option by option;
//! - `compression_tls`: MCCP2/MCCP3 and TELNETS against telnetlib3, both ways, library
//!   and command-line tools;
//! - `cli_parity`: the tools' telnetlib3 flags against telnetlib3's tools (an openssl
//!   certificate, `--tls-auto`, programs as shells);
//! - `encodings`: the retro encodings' golden vectors against telnetlib3's codecs;
//! - `more_peers`: PuTTY's plink, C-Kermit both ways, and `expect` driving netkit telnet;
//! - `pyserial`: pyserial's `rfc2217://` client against `telnetlib-server --serial`;
//! - `serial`: our RFC 2217 client (`ComPort`) against Debian's ser2net on a socat pty.

#[path = "../../../tests/support/certificate.rs"]
mod certificate;
mod cli_parity;
mod clis;
mod compression_tls;
mod encodings;
mod harness;
mod more_peers;
mod ourselves;
#[path = "../../../tests/support/ports.rs"]
mod ports;
mod pyserial;
mod scratch;
mod serial;
mod their_clients;
mod their_servers;
