//! Local text streams: what a terminal, a pipe or a program gives is UTF-8 that may
//! be cut anywhere, and the network's lines end in CR LF where a program's end in LF.

/// Decodes UTF-8 given in pieces: a character cut between two pieces is held back
/// until its end comes; bytes that can never be UTF-8 become U+FFFD.
#[derive(Debug, Default)]
pub struct Utf8Stream {
    held: Vec<u8>,
}

impl Utf8Stream {
    /// The text of `bytes` (after what was held back), keeping an unfinished
    /// character for the next call.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.held.extend_from_slice(bytes);
        let mut text = String::new();
        let mut rest: &[u8] = &self.held;
        loop {
            match std::str::from_utf8(rest) {
                Ok(valid) => {
                    text.push_str(valid);
                    rest = &[];
                    break;
                }
                Err(error) => {
                    let (valid, after) = rest.split_at(error.valid_up_to());
                    // Checked by from_utf8 up to here.
                    text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match error.error_len() {
                        Some(bad) => {
                            text.push('\u{fffd}');
                            rest = &after[bad..];
                        }
                        None => {
                            rest = after;
                            break;
                        }
                    }
                }
            }
        }
        self.held = rest.to_vec();
        text
    }

    /// What is held back at the end of the stream, as U+FFFD (empty if nothing).
    pub fn finish(&mut self) -> String {
        match std::mem::take(&mut self.held).is_empty() {
            true => String::new(),
            false => "\u{fffd}".to_owned(),
        }
    }
}

/// Turns the network's line ends (CR LF, and CR NUL or a bare CR) into LF for a
/// program, across pieces: a CR at the end of one piece waits for the next.
#[derive(Debug, Default)]
pub struct NetworkLines {
    after_cr: bool,
}

impl NetworkLines {
    /// `text` with its line ends as LF.
    pub fn push(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if self.after_cr {
                self.after_cr = false;
                if c == '\n' || c == '\0' {
                    continue;
                }
            }
            if c == '\r' {
                out.push('\n');
                self.after_cr = true;
            } else {
                out.push(c);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_cut_between_pieces_come_out_whole() {
        let mut stream = Utf8Stream::default();
        let bytes = "é€x".as_bytes();
        assert_eq!(stream.push(&bytes[..1]), "");
        assert_eq!(stream.push(&bytes[1..3]), "é");
        assert_eq!(stream.push(&bytes[3..]), "€x");
        assert_eq!(stream.finish(), "");
        assert_eq!(stream.push(b"a\xffb\xe2\x82"), "a\u{fffd}b");
        assert_eq!(stream.finish(), "\u{fffd}");
    }

    #[test]
    fn network_line_ends_become_lf_across_pieces() {
        let mut lines = NetworkLines::default();
        assert_eq!(lines.push("one\r\ntwo\r"), "one\ntwo\n");
        assert_eq!(lines.push("\nthree\r\0four\rfive"), "three\nfour\nfive");
    }
}
