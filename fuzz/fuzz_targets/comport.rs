#![no_main]
//! Arbitrary COM-PORT-OPTION (RFC 2217) payloads decoded, re-encoded and framed; see
//! `fuzz/check_comport.rs`.

use libfuzzer_sys::fuzz_target;

#[path = "../check_comport.rs"]
mod check_comport;

fuzz_target!(|data: &[u8]| check_comport::check(data));
