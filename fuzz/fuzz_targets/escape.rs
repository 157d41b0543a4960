#![no_main]
//! Data escaped and NVT-encoded for sending, received back through an engine in
//! arbitrary splits; see `fuzz/check_escape.rs`.

use libfuzzer_sys::fuzz_target;

#[path = "../check_escape.rs"]
mod check_escape;

fuzz_target!(|data: &[u8]| check_escape::check(data));
