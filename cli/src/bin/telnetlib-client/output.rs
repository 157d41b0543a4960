//! Where the server's text goes: standard output, and a copy in the
//! `--typescript` file. Bytes invalid in the encoding were already dealt with by the
//! connection's `--encoding-errors` policy.

use std::fs::File;
use std::io::Write;

use clap::ValueEnum;
use telnetlib::codec::DecodeErrors;

/// What to do with bytes that are not valid in the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EncodingErrors {
    /// Show U+FFFD in their place.
    Replace,
    /// Drop them.
    Ignore,
    /// Stop with an error.
    Strict,
}

impl From<EncodingErrors> for DecodeErrors {
    fn from(errors: EncodingErrors) -> DecodeErrors {
        match errors {
            EncodingErrors::Replace => DecodeErrors::Replace,
            EncodingErrors::Ignore => DecodeErrors::Ignore,
            EncodingErrors::Strict => DecodeErrors::Strict,
        }
    }
}

/// The server's output sink.
pub struct Output {
    pub typescript: Option<File>,
}

impl Output {
    /// Writes text to standard output (and the typescript); `Err` ends the session.
    pub fn show(&mut self, text: &str) -> Result<(), String> {
        if let Some(file) = self.typescript.as_mut() {
            file.write_all(text.as_bytes())
                .map_err(|e| format!("typescript: {e}"))?;
        }
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("standard output: {e}"))
    }
}
