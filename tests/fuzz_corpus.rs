//! Replays the fuzz corpus (`fuzz/corpus/engine`) through the fuzz target's checks, so
//! that every input the fuzzer kept is re-checked by a plain `cargo test`.

#[path = "../fuzz/check_engine.rs"]
mod check_engine;

use std::fs;
use std::path::Path;

#[test]
fn every_corpus_input_passes_the_fuzz_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/engine");
    let mut count = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let input = fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check_engine::check(&input));
        assert!(
            outcome.is_ok(),
            "corpus input {} fails the checks",
            path.display()
        );
        count += 1;
    }
    assert!(
        count >= 20,
        "only {count} corpus inputs in {}",
        dir.display()
    );
}
