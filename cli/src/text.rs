//! The network's lines end in CR LF where a program's end in LF. (UTF-8 cut
//! anywhere, from a terminal or a program, is decoded with the library's
//! `Encoding::UTF_8.decoder()`.)

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
    fn network_line_ends_become_lf_across_pieces() {
        let mut lines = NetworkLines::default();
        assert_eq!(lines.push("one\r\ntwo\r"), "one\ntwo\n");
        assert_eq!(lines.push("\nthree\r\0four\rfive"), "three\nfour\nfive");
    }
}
