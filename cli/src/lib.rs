//! What the two command-line tools of telnetlib, `telnetlib-server` and
//! `telnetlib-client`, share: argument handling, logging set-up, running a program
//! as a session's shell, and text streams. The tools themselves are this package's
//! binaries; the library they are built on is the `telnetlib` crate.

pub mod args;
pub mod exec;
pub mod logging;
pub mod text;

pub use args::{encoding_or_exit, parse_options, parse_or_exit, seconds, warn_ignored};
