//! The integration suite in one test binary, a module per area, so it links once.
//!
//! Tests that measure the whole process (its threads, its peak memory, or a thousand
//! hostile peers) stay in binaries of their own: `core_handover`, `server_shutdown`,
//! `backpressure` and `hostile`.
//!
//! `cargo test --test all` runs it; a module's name filters it (`cargo test --test all
//! -- golden::`). `telnetlib_differential` needs Python's `telnetlib` and is
//! `#[ignore]`d: `cargo test --test all -- --ignored telnetlib_differential::`.

#[path = "../support/mod.rs"]
mod support;

mod api;
mod client;
mod comport;
mod fuzz_corpus;
mod golden;
mod golden_linemode;
mod linemode_settle;
mod mccp;
mod mud;
mod mud_extras;
mod options;
mod properties;
mod proxy_protocol;
mod retained_state;
mod retro_encodings;
mod runtime;
mod server;
mod telnetlib_cpython;
mod telnetlib_differential;
mod telnetlib_legacy;
#[cfg(feature = "tls")]
mod tls;
