//! MCCP2 and MCCP3 (the MUD Client Compression Protocol): zlib streams that start at
//! the exact byte after `IAC SB MCCP2 IAC SE` (server to client) or `IAC SB MCCP3 IAC
//! SE` (client to server), and end when the sender finishes the zlib stream.
//!
//! Which side compresses follows from the option states alone, whatever the role:
//! - we compress our output once our side of MCCP2 is on (we said `WILL`, the server's
//!   part) or the peer's side of MCCP3 is on (it said `WILL`, we are the client that
//!   answered `DO`);
//! - we decompress our input after the peer's marker: `SB MCCP2` while its side of
//!   MCCP2 is on, `SB MCCP3` while ours is.
//!
//! A peer may send complete Telnet commands uncompressed between its marker and its
//! zlib stream: telnetlib3 5.0.1's client sends `IAC SB MCCP3 IAC SE`, then its answer
//! to a `DO TTYPE` already queued, and only then compresses. Such commands are taken
//! as plain (a zlib stream never starts with IAC, 0xFF); the stream starts at the
//! first byte that is not one, where its zlib header is checked.
//!
//! Both directions are bounded: output is compressed when it is written, from bytes
//! already bounded by `max_outgoing`; input is inflated in steps of at most
//! [`INFLATE_STEP`] bytes and only while the input buffer has room, so a small
//! compressed stream that expands to gigabytes (a decompression bomb) waits in its
//! compressed form, like unread bytes in the socket.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::proto::{Engine, Opt, OwnedEvent, Side};

/// The longest plain subnegotiation taken between a marker and its zlib stream.
const MAX_LEADING_SUBNEGOTIATION: usize = 4096;

const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;

/// The most decompressed bytes produced in one step: the engine, the role and the hook
/// see at most this much before the reader looks at the input buffer's room again.
pub(crate) const INFLATE_STEP: usize = 16 * 1024;

/// Starts or ends our output compression as the options change: queues our marker
/// (`IAC SB MCCP2 IAC SE` or `IAC SB MCCP3 IAC SE`) and records where in the engine's
/// output the compressed stream begins, or where it ends.
pub(crate) fn on_event(event: &OwnedEvent, engine: &mut Engine, switches: &mut Vec<(usize, bool)>) {
    let (on, opt) = match *event {
        OwnedEvent::OptionEnabled {
            side: Side::Local,
            opt: Opt::MCCP2,
        } => (true, Opt::MCCP2),
        OwnedEvent::OptionEnabled {
            side: Side::Remote,
            opt: Opt::MCCP3,
        } => (true, Opt::MCCP3),
        OwnedEvent::OptionDisabled {
            side: Side::Local,
            opt: Opt::MCCP2,
        } => (false, Opt::MCCP2),
        OwnedEvent::OptionDisabled {
            side: Side::Remote,
            opt: Opt::MCCP3,
        } => (false, Opt::MCCP3),
        _ => return,
    };
    if on {
        log::debug!("{opt}: compressing our output from here");
        engine.send_subnegotiation(opt, &[]);
    } else {
        log::debug!("{opt}: ending our compressed stream");
    }
    let at = engine.output().len();
    switches.push((at, on));
}

/// Whether `opt`'s marker, received now, starts a compressed input stream.
pub(crate) fn starts_input(opt: Opt, remote_mccp2: bool, local_mccp3: bool) -> bool {
    (opt == Opt::MCCP2 && remote_mccp2) || (opt == Opt::MCCP3 && local_mccp3)
}

/// Our output on its way to the socket: plain bytes become wire bytes here, compressed
/// from the recorded switch points on.
#[derive(Default)]
pub(crate) struct OutputWire {
    /// Offsets into the plain queue where compression starts (`true`) or ends.
    pub switches: Vec<(usize, bool)>,
    deflate: Option<Compress>,
}

impl std::fmt::Debug for OutputWire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputWire")
            .field("switches", &self.switches)
            .field("compressing", &self.deflate.is_some())
            .finish()
    }
}

impl OutputWire {
    /// Whether output queued now will be compressed (the last switch decides, else
    /// the stream in progress).
    pub fn compressing(&self) -> bool {
        match self.switches.last() {
            Some(&(_, on)) => on,
            None => self.deflate.is_some(),
        }
    }

    /// Turns the queued plain bytes into the bytes to send: compressed where a switch
    /// says so and flushed (`Z_SYNC_FLUSH`) so the peer can decode all of it at once.
    /// Without compression, `plain` is returned as it is.
    pub fn encode(&mut self, plain: Vec<u8>) -> Vec<u8> {
        if self.switches.is_empty() && self.deflate.is_none() {
            return plain;
        }
        let mut wire = Vec::with_capacity(plain.len() / 2 + 64);
        let mut from = 0;
        for (at, on) in std::mem::take(&mut self.switches) {
            self.append(&plain[from..at], &mut wire);
            from = at;
            if on && self.deflate.is_none() {
                self.deflate = Some(new_deflate());
            } else if !on {
                if let Some(mut deflate) = self.deflate.take() {
                    run_deflate(&mut deflate, &[], FlushCompress::Finish, &mut wire);
                }
            }
        }
        self.append(&plain[from..], &mut wire);
        wire
    }

    fn append(&mut self, plain: &[u8], wire: &mut Vec<u8>) {
        match self.deflate.as_mut() {
            None => wire.extend_from_slice(plain),
            Some(_) if plain.is_empty() => {}
            Some(deflate) => run_deflate(deflate, plain, FlushCompress::Sync, wire),
        }
    }
}

/// A zlib compressor with a 4 KiB window (window bits 12, as telnetlib3 uses): a
/// little less compression than zlib's default 32 KiB window, for much less memory
/// per connection on a server with many clients.
fn new_deflate() -> Compress {
    Compress::new_with_window_bits(Compression::default(), true, 12)
}

/// Compresses all of `input` with `flush` into `wire`, growing it as needed.
fn run_deflate(deflate: &mut Compress, mut input: &[u8], flush: FlushCompress, wire: &mut Vec<u8>) {
    loop {
        // Room for the worst case of this piece (zlib's bound is a little over the
        // input), so most calls finish in one pass.
        wire.reserve(input.len() + input.len() / 1000 + 64);
        let before_in = deflate.total_in();
        let before_out = deflate.total_out();
        let status = deflate
            .compress_vec(input, wire, flush)
            .expect("deflate never fails on valid parameters");
        let consumed = usize::try_from(deflate.total_in() - before_in).expect("fits");
        input = &input[consumed..];
        let produced = deflate.total_out() - before_out;
        let done = match flush {
            FlushCompress::Finish => status == Status::StreamEnd,
            // A flush is complete once all input is in and the output had room left.
            _ => input.is_empty() && wire.len() < wire.capacity(),
        };
        if done || (produced == 0 && consumed == 0 && wire.len() < wire.capacity()) {
            return;
        }
    }
}

/// Received bytes not yet given to the engine, and the decompressor while a compressed
/// stream runs.
#[derive(Default)]
pub(crate) struct InputWire {
    /// The option whose stream is being inflated, with its decompressor.
    inflate: Option<(Opt, Decompress)>,
    /// The zlib stream has not begun: complete Telnet commands are still plain.
    before_stream: bool,
    /// Received bytes waiting: compressed while `inflate` is set, otherwise plain
    /// bytes that followed the end of a compressed stream.
    pub pending: Vec<u8>,
    /// The last step could do nothing with `pending` until more bytes arrive.
    stalled: bool,
    /// Where steps inflate to; allocated only while a stream is inflated.
    scratch: Vec<u8>,
}

impl std::fmt::Debug for InputWire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputWire")
            .field("inflating", &self.inflate.as_ref().map(|(opt, _)| *opt))
            .field("pending", &self.pending.len())
            .finish()
    }
}

/// What one inflate step gave.
pub(crate) enum Inflated {
    /// Decompressed bytes for the engine (possibly none, when more input is needed).
    Bytes(usize),
    /// The compressed stream ended; what follows in `pending` is plain again.
    End(usize),
    /// A complete Telnet command sent plain before the zlib stream began, for the
    /// engine as it is.
    Plain(Vec<u8>),
}

/// What starts the bytes after a marker: a complete Telnet command (its length), a
/// command not complete yet, or something else (the zlib stream, or garbage).
#[derive(Debug, PartialEq, Eq)]
enum Leading {
    Command(usize),
    Incomplete,
    Other,
}

fn leading_command(bytes: &[u8]) -> Leading {
    match bytes {
        [] | [IAC] => Leading::Incomplete,
        [IAC, SB, rest @ ..] => {
            // Up to IAC SE, IAC IAC being an escaped 0xFF inside.
            let mut at = 0;
            while at + 1 < rest.len() {
                match (rest[at], rest[at + 1]) {
                    (IAC, SE) => return Leading::Command(at + 4),
                    (IAC, _) => at += 2,
                    _ => at += 1,
                }
                if at > MAX_LEADING_SUBNEGOTIATION {
                    return Leading::Other;
                }
            }
            Leading::Incomplete
        }
        // WILL, WONT, DO, DONT and their option.
        [IAC, 251..=254] => Leading::Incomplete,
        [IAC, 251..=254, _, ..] => Leading::Command(3),
        // The other two-byte commands (SE, NOP, ..., GA); IAC IAC is data, not one.
        [IAC, 240..=249, ..] => Leading::Command(2),
        _ => Leading::Other,
    }
}

/// Whether `bytes` start with a zlib header (RFC 1950): deflate, a window of at most
/// 32 KiB, and the check bits right.
fn zlib_header(bytes: &[u8]) -> bool {
    let (cmf, flg) = (bytes[0], bytes[1]);
    cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) * 256 + u16::from(flg)) % 31 == 0
}

impl InputWire {
    /// Whether received bytes are being decompressed.
    pub fn inflating(&self) -> bool {
        self.inflate.is_some()
    }

    /// Starts decompressing at the byte after `opt`'s marker.
    pub fn start(&mut self, opt: Opt) {
        log::debug!("{opt}: the peer's output is compressed from here");
        self.inflate = Some((opt, Decompress::new(true)));
        self.before_stream = true;
    }

    /// Adds bytes read from the socket behind those still waiting.
    pub fn add_received(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.pending.extend_from_slice(bytes);
            self.stalled = false;
        }
    }

    /// Whether waiting bytes can be processed without reading more.
    pub fn has_work(&self) -> bool {
        !self.pending.is_empty() && !self.stalled
    }

    /// The buffer one step inflates into (at most [`INFLATE_STEP`] bytes).
    pub fn take_scratch(&mut self) -> Vec<u8> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(INFLATE_STEP, 0);
        scratch
    }

    /// Returns the step buffer, kept while the stream lasts.
    pub fn put_scratch(&mut self, scratch: Vec<u8>) {
        if self.inflating() {
            self.scratch = scratch;
        }
    }

    /// Decompresses pending bytes into `out`, at most its length. `Err` names the
    /// option and zlib's complaint when the stream is corrupt.
    pub fn inflate_step(&mut self, out: &mut [u8]) -> Result<Inflated, String> {
        let Some((opt, inflate)) = self.inflate.as_mut() else {
            return Ok(Inflated::Bytes(0));
        };
        if self.before_stream {
            match leading_command(&self.pending) {
                Leading::Command(length) => {
                    log::debug!("{opt}: a plain command before the compressed stream");
                    return Ok(Inflated::Plain(self.pending.drain(..length).collect()));
                }
                Leading::Incomplete => {
                    self.stalled = true;
                    return Ok(Inflated::Bytes(0));
                }
                Leading::Other if self.pending.len() < 2 => {
                    self.stalled = true;
                    return Ok(Inflated::Bytes(0));
                }
                Leading::Other if !zlib_header(&self.pending) => {
                    return Err(format!(
                        "corrupt {opt} stream: no zlib header after the marker ({:02x} {:02x})",
                        self.pending[0], self.pending[1]
                    ));
                }
                Leading::Other => self.before_stream = false,
            }
        }
        let (before_in, before_out) = (inflate.total_in(), inflate.total_out());
        let result = inflate.decompress(&self.pending, out, FlushDecompress::None);
        let consumed = usize::try_from(inflate.total_in() - before_in).expect("fits");
        let produced = usize::try_from(inflate.total_out() - before_out).expect("fits");
        self.pending.drain(..consumed);
        self.stalled = consumed == 0 && produced == 0;
        match result {
            Ok(Status::StreamEnd) => {
                log::debug!("{opt}: the peer's compressed stream ended");
                self.inflate = None;
                Ok(Inflated::End(produced))
            }
            Ok(_) => Ok(Inflated::Bytes(produced)),
            Err(error) => Err(format!("corrupt {opt} stream: {error}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inflate_all(wire: &[u8]) -> (Vec<u8>, bool) {
        let (plain, all, ended) = inflate_all_after_plain(wire);
        assert!(plain.is_empty());
        (all, ended)
    }

    /// The plain commands before the stream, the bytes inflated (and those after
    /// the stream's end), and whether it ended.
    fn inflate_all_after_plain(wire: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>, bool) {
        let mut input = InputWire::default();
        input.start(Opt::MCCP3);
        input.pending = wire.to_vec();
        let (mut plain, mut all) = (Vec::new(), Vec::new());
        let mut out = [0u8; 7];
        loop {
            match input.inflate_step(&mut out).expect("valid stream") {
                Inflated::Plain(command) => plain.push(command),
                Inflated::Bytes(0) => return (plain, all, false),
                Inflated::Bytes(n) => all.extend_from_slice(&out[..n]),
                Inflated::End(n) => {
                    all.extend_from_slice(&out[..n]);
                    all.extend_from_slice(&input.pending);
                    return (plain, all, true);
                }
            }
        }
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut deflate = new_deflate();
        let mut wire = Vec::new();
        run_deflate(&mut deflate, data, FlushCompress::Sync, &mut wire);
        wire
    }

    #[test]
    fn plain_commands_before_the_zlib_stream_are_taken_as_plain() {
        // telnetlib3's client: its TTYPE answers, then the stream.
        let mut wire = b"\xff\xfb\x18\xff\xfa\x18\x00xterm\xff\xff\xff\xf0\xff\xf1".to_vec();
        wire.extend(zlib(b"look\r\n"));
        let (plain, data, ended) = inflate_all_after_plain(&wire);
        assert_eq!(
            plain,
            [
                &b"\xff\xfb\x18"[..],
                b"\xff\xfa\x18\x00xterm\xff\xff\xff\xf0",
                b"\xff\xf1"
            ]
        );
        assert_eq!(data, b"look\r\n");
        assert!(!ended);
    }

    #[test]
    fn a_command_cut_short_waits_for_the_rest() {
        let mut input = InputWire::default();
        input.start(Opt::MCCP3);
        let mut out = [0u8; 64];
        for piece in [&b"\xff"[..], b"\xfa\x18", b"\x00ab\xff"] {
            input.add_received(piece);
            assert!(matches!(
                input.inflate_step(&mut out),
                Ok(Inflated::Bytes(0))
            ));
            assert!(!input.has_work());
        }
        input.add_received(b"\xf0");
        match input.inflate_step(&mut out) {
            Ok(Inflated::Plain(command)) => assert_eq!(command, b"\xff\xfa\x18\x00ab\xff\xf0"),
            _ => panic!("the whole subnegotiation, plain"),
        }
    }

    #[test]
    fn anything_but_commands_or_a_zlib_header_is_a_corrupt_stream() {
        for bad in [
            &b"hello"[..],
            b"\xff\xff\x78\x9c",
            b"\xff\x01xx",
            b"\x78\x00",
        ] {
            let mut input = InputWire::default();
            input.start(Opt::MCCP3);
            input.add_received(bad);
            let mut out = [0u8; 64];
            let error = loop {
                match input.inflate_step(&mut out) {
                    Ok(Inflated::Plain(_)) => continue,
                    Ok(_) => panic!("{bad:x?} taken"),
                    Err(error) => break error,
                }
            };
            assert!(error.contains("no zlib header"), "{error}");
        }
        let mut endless = b"\xff\xfa\x18".to_vec();
        endless.extend(vec![b'x'; MAX_LEADING_SUBNEGOTIATION + 10]);
        assert_eq!(leading_command(&endless), Leading::Other);
    }

    #[test]
    fn plain_output_passes_through_untouched() {
        let mut output = OutputWire::default();
        assert_eq!(output.encode(b"hello".to_vec()), b"hello");
        assert!(!output.compressing());
    }

    #[test]
    fn output_is_compressed_from_the_switch_and_ends_where_told() {
        let mut output = OutputWire::default();
        output.switches.push((6, true));
        let wire = output.encode(b"plain|compressed one".to_vec());
        assert_eq!(&wire[..6], b"plain|");
        assert!(output.compressing());
        let more = output.encode(b", two".to_vec());
        output.switches.push((6, false));
        let last = output.encode(b"three.after".to_vec());
        assert!(!output.compressing());
        let mut stream = wire[6..].to_vec();
        stream.extend_from_slice(&more);
        stream.extend_from_slice(&last);
        let (decoded, ended) = inflate_all(&stream);
        assert!(ended);
        assert_eq!(decoded, b"compressed one, twothree.after");
    }

    #[test]
    fn a_corrupt_stream_is_an_error_naming_the_option() {
        let mut input = InputWire::default();
        input.start(Opt::MCCP3);
        input.pending = b"not zlib at all".to_vec();
        let error = input.inflate_step(&mut [0u8; 100]).err().expect("rejected");
        assert!(error.contains("MCCP3"), "{error}");
    }

    #[test]
    fn inflating_stops_at_the_limit_and_keeps_the_rest_compressed() {
        let mut output = OutputWire::default();
        output.switches.push((0, true));
        let wire = output.encode(vec![b'z'; 100_000]);
        let mut input = InputWire::default();
        input.start(Opt::MCCP2);
        input.pending = wire;
        let mut out = vec![0u8; 1000];
        match input.inflate_step(&mut out) {
            Ok(Inflated::Bytes(1000)) => {}
            _ => panic!("one bounded step expected"),
        }
        assert!(out.iter().all(|&byte| byte == b'z'));
        assert!(!input.pending.is_empty());
    }
}
