//! Server-side line editing for clients that let the server echo (WILL ECHO, "kludge
//! mode"): typed characters are echoed as they arrive, BS and DEL erase, and a finished
//! line goes to the input buffer. In password mode nothing is echoed.

use crate::io::DataSink;
use crate::proto::nvt::escape_iac;

/// The line being typed.
#[derive(Debug, Default, Clone)]
pub(crate) struct LineEditor {
    line: Vec<u8>,
    /// The last byte ended a line with CR: a following LF or NUL is part of it.
    after_cr: bool,
}

impl LineEditor {
    /// Edits and echoes `data`. A line longer than `max_line` is handed over unfinished
    /// (the reader then reports it as too long) so the editor never grows without bound.
    pub fn feed(&mut self, data: &[u8], password: bool, max_line: usize, sink: &mut DataSink<'_>) {
        let mut echo = Vec::new();
        // The charset's own keys: ATASCII ends a line with 0x9B and erases with 0x7E.
        let charset = sink.charset;
        let eol = charset.line_end_byte();
        let erase = charset.erase_bytes();
        for &byte in data {
            let after_cr = std::mem::take(&mut self.after_cr);
            match byte {
                b'\n' | 0 if after_cr => {}
                b'\r' | b'\n' => {
                    self.line.extend_from_slice(b"\r\n");
                    sink.input.extend(&self.line);
                    self.line.clear();
                    self.after_cr = byte == b'\r';
                    echo.extend_from_slice(charset.newline());
                }
                _ if Some(byte) == eol => {
                    self.line.push(byte);
                    sink.input.extend(&self.line);
                    self.line.clear();
                    echo.extend_from_slice(charset.newline());
                }
                _ if erase.contains(&byte) => {
                    if self.erase_last_char(charset.is_single_byte()) && !password {
                        match charset.newline() {
                            // A retro terminal erases on its own key.
                            b"\r\n" => echo.extend_from_slice(b"\x08 \x08"),
                            _ => echo.push(byte),
                        }
                    }
                }
                _ => {
                    self.line.push(byte);
                    let printable = byte >= 0x20 || byte == b'\t';
                    if printable && !password {
                        echo.push(byte);
                    }
                    if self.line.len() >= max_line {
                        sink.input.extend(&self.line);
                        self.line.clear();
                    }
                }
            }
        }
        escape_iac(&echo, sink.outgoing);
    }

    /// Removes the last character (one byte in a single-byte charset, else all bytes
    /// of a UTF-8 sequence); false if the line was empty.
    fn erase_last_char(&mut self, single_byte: bool) -> bool {
        let Some(mut last) = self.line.pop() else {
            return false;
        };
        while !single_byte && (0x80..0xc0).contains(&last) {
            match self.line.pop() {
                Some(byte) => last = byte,
                None => break,
            }
        }
        true
    }

    /// Hands an unfinished line over as is (echo was switched off mid-line).
    pub fn flush(&mut self, sink: &mut DataSink<'_>) {
        if !self.line.is_empty() {
            sink.input.extend(&self.line);
            self.line.clear();
        }
    }
}
