//! Replays the fuzz corpora (`fuzz/corpus/<target>`) through the fuzz targets' checks,
//! so that every input the fuzzers kept is re-checked by a plain `cargo test`.

#[path = "../../fuzz/check_comport.rs"]
mod check_comport;
#[path = "../../fuzz/check_engine.rs"]
mod check_engine;
#[path = "../../fuzz/check_escape.rs"]
mod check_escape;
#[path = "../../fuzz/check_negotiation.rs"]
mod check_negotiation;

use std::fs;
use std::path::Path;

/// Runs `check` on every file of `fuzz/corpus/<target>`, which must hold at least
/// `minimum` of them.
fn replay(target: &str, minimum: usize, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let input = fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&input));
        assert!(
            outcome.is_ok(),
            "corpus input {} fails the checks",
            path.display()
        );
        count += 1;
    }
    assert!(
        count >= minimum,
        "only {count} corpus inputs in {}",
        dir.display()
    );
}

#[test]
fn every_engine_corpus_input_passes_the_fuzz_checks() {
    replay("engine", 20, check_engine::check);
}

#[test]
fn every_escape_corpus_input_passes_the_fuzz_checks() {
    replay("escape", 10, check_escape::check);
}

#[test]
fn every_negotiation_corpus_input_passes_the_fuzz_checks() {
    replay("negotiation", 10, check_negotiation::check);
}

#[test]
fn every_comport_corpus_input_passes_the_fuzz_checks() {
    replay("comport", 40, check_comport::check);
}
