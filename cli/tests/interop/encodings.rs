//! The golden vectors of the retro encodings (`tests/encodings/retro.txt`,
//! checked by the library's own tests) are still what telnetlib3's codecs say.

use std::path::Path;
use std::process::Command;

use crate::harness::venv_python;

#[test]
fn retro_encoding_vectors_are_what_telnetlib3_decodes_and_encodes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/encodings");
    let output = Command::new(venv_python("telnetlib3"))
        .arg(dir.join("retro.py"))
        .output()
        .expect("run the generator");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let committed = std::fs::read_to_string(dir.join("retro.txt")).unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout) == committed,
        "tests/encodings/retro.txt differs from what telnetlib3 says now: regenerate it"
    );
}
