#![no_main]
//! Two engines negotiating under a fuzzed script of requests and partial deliveries;
//! see `fuzz/check_negotiation.rs`.

use libfuzzer_sys::fuzz_target;

#[path = "../check_negotiation.rs"]
mod check_negotiation;

fuzz_target!(|data: &[u8]| check_negotiation::check(data));
