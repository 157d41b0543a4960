#![no_main]
//! Arbitrary bytes in arbitrary splits into the engine; see `fuzz/check_engine.rs`.

use libfuzzer_sys::fuzz_target;

#[path = "../check_engine.rs"]
mod check_engine;

fuzz_target!(|data: &[u8]| check_engine::check(data));
