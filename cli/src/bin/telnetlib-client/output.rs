//! Where the server's text goes: standard output, after the `--encoding-errors`
//! policy, and a copy in the `--typescript` file.

use std::fs::File;
use std::io::Write;

use clap::ValueEnum;

/// What to do with bytes that are not valid in the encoding (the decoder has already
/// turned each into U+FFFD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EncodingErrors {
    /// Show U+FFFD in their place.
    Replace,
    /// Drop them.
    Ignore,
    /// Stop with an error.
    Strict,
}

/// The server's output sink.
pub struct Output {
    pub errors: EncodingErrors,
    pub typescript: Option<File>,
}

impl Output {
    /// Writes text to standard output (and the typescript); `Err` ends the session.
    pub fn show(&mut self, text: &str) -> Result<(), String> {
        let text = match self.errors {
            EncodingErrors::Replace => std::borrow::Cow::Borrowed(text),
            EncodingErrors::Ignore => std::borrow::Cow::Owned(text.replace('\u{fffd}', "")),
            EncodingErrors::Strict if text.contains('\u{fffd}') => {
                return Err("the server sent bytes that are not valid in the encoding".to_owned());
            }
            EncodingErrors::Strict => std::borrow::Cow::Borrowed(text),
        };
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
