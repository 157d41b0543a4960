//! `telnetlib::Telnet` beyond CPython's own suite: the default refusal (loop-free),
//! the option callback's context, calls after `close`, the deliberate fixes (NUL/XON
//! switch, whole subnegotiation data), the buffer bounds, and `interact`.

use crate::support;

use std::io::{self, Read};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use support::peer::{DEADLINE, Peer, eventually};
use telnetlib::regex::bytes::Regex;
use telnetlib::telnetlib::{DO, IAC, NAWS, SB, SE, TTYPE, Telnet, WILL};
use telnetlib::{Error, Timeout};

fn connected() -> (Telnet, Peer) {
    let mut peer = Peer::bind();
    let telnet = Telnet::connect("127.0.0.1", peer.addr().port(), Some(DEADLINE)).unwrap();
    peer.accept();
    (telnet, peer)
}

#[test]
fn do_and_will_are_refused_and_dont_and_wont_get_no_reply() {
    let (mut tn, mut peer) = connected();
    // DONT ECHO, WONT SGA (already the state: no reply), then DO TTYPE, WILL ECHO.
    peer.send(b"\xff\xfe\x01\xff\xfc\x03\xff\xfd\x18\xff\xfb\x01ready");
    assert_eq!(tn.read_until(b"ready", Some(DEADLINE)).unwrap(), b"ready");
    // Nothing for the DONT/WONT: the first bytes are the two refusals.
    peer.expect(b"\xff\xfc\x18\xff\xfe\x01");
    tn.write(b"end").unwrap();
    peer.expect(b"end");
}

#[test]
fn a_repeated_request_is_refused_each_time_but_never_loops() {
    let (mut tn, mut peer) = connected();
    for _ in 0..100 {
        peer.send(b"\xff\xfd\x18\xff\xfe\x18");
    }
    peer.send(b"!");
    tn.read_until(b"!", Some(DEADLINE)).unwrap();
    tn.write(b"end").unwrap();
    let mut want = b"\xff\xfc\x18".repeat(100);
    want.extend_from_slice(b"end");
    peer.expect(&want);
}

#[test]
fn the_callback_replaces_automatic_replies_and_can_send_raw_or_escaped() {
    let (mut tn, mut peer) = connected();
    tn.set_option_negotiation_callback(Some(Box::new(|context, cmd, opt| {
        if cmd == DO && opt == TTYPE {
            context.send_command(WILL, TTYPE).unwrap();
        }
        if cmd == DO && opt == NAWS {
            // Escaped data: the 0xFF column count is doubled.
            context.send_raw(&[IAC, WILL, NAWS, IAC, SB, NAWS]).unwrap();
            context.send(&[0, 0xff, 0, 24]).unwrap();
            context.send_raw(&[IAC, SE]).unwrap();
        }
    })));
    peer.send(b"\xff\xfd\x18\xff\xfd\x1f\xff\xfd\x01go");
    tn.read_until(b"go", Some(DEADLINE)).unwrap();
    // DO ECHO got nothing: with a callback set, only the callback answers.
    peer.expect(b"\xff\xfb\x18\xff\xfb\x1f\xff\xfa\x1f\x00\xff\xff\x00\x18\xff\xf0");
    tn.set_option_negotiation_callback(None);
    peer.send(b"\xff\xfd\x01again");
    tn.read_until(b"again", Some(DEADLINE)).unwrap();
    peer.expect(b"\xff\xfc\x01");
}

#[test]
fn subnegotiation_data_keeps_its_nul_bytes() {
    let (mut tn, mut peer) = connected();
    peer.send(b"\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0x");
    assert_eq!(tn.read_until(b"x", Some(DEADLINE)).unwrap(), b"x");
    assert_eq!(tn.read_sb_data(), b"\x1f\x00\x50\x00\x18");
}

#[test]
fn subnegotiation_data_is_bounded_and_the_data_after_it_intact() {
    let (mut tn, mut peer) = connected();
    tn.set_max_subnegotiation(8);
    let mut flood = b"\xff\xfa\x18".to_vec();
    flood.extend(std::iter::repeat_n(b'a', 100_000));
    flood.extend_from_slice(b"\xff\xf0after");
    peer.send(&flood);
    assert_eq!(tn.read_until(b"after", Some(DEADLINE)).unwrap(), b"after");
    assert_eq!(tn.read_sb_data(), b"\x18aaaaaaa");
}

#[test]
fn nul_and_xon_can_be_kept() {
    let (mut tn, mut peer) = connected();
    tn.set_keep_nul_and_xon(true);
    peer.send(b"a\x00b\x11c\r\x00d\r\nend");
    assert_eq!(
        tn.read_until(b"end", Some(DEADLINE)).unwrap(),
        b"a\x00b\x11c\rd\r\nend"
    );
}

#[test]
fn a_full_buffer_fails_with_buffer_full_and_keeps_the_data() {
    let (mut tn, mut peer) = connected();
    tn.set_max_buffer(1000);
    let data = vec![b'x'; 5000];
    peer.send(&data);
    let error = tn.read_until(b"never", Some(DEADLINE)).unwrap_err();
    assert!(
        matches!(error, Error::BufferFull { limit: 1000, .. }),
        "{error}"
    );
    let mut kept = tn.read_very_lazy().unwrap();
    while kept.len() < data.len() {
        kept.extend(tn.read_some().unwrap());
    }
    assert_eq!(kept, data, "nothing was lost");
}

#[test]
fn calls_after_close_report_closed_or_return_what_is_buffered() {
    let (mut tn, mut peer) = connected();
    peer.send(b"abc");
    assert_eq!(tn.read_until(b"b", Some(DEADLINE)).unwrap(), b"ab");
    tn.close();
    tn.close(); // idempotent
    assert!(matches!(tn.write(b"x"), Err(Error::Closed { .. })));
    assert!(matches!(
        tn.read_until(b"zzz", None),
        Err(Error::Closed { .. })
    ));
    assert_eq!(tn.read_very_lazy().unwrap(), b"c");
    assert!(tn.read_very_lazy().unwrap_err().is_eof());
    assert_eq!(tn.read_some().unwrap(), b"");
    assert!(tn.is_eof());
    assert_eq!(peer.receive_to_end(), b"", "the socket was closed");
}

#[test]
fn a_never_opened_telnet_reports_closed() {
    let mut tn = Telnet::new();
    assert!(tn.get_socket().is_none());
    assert!(matches!(tn.read_all(), Err(Error::Closed { .. })));
    assert!(matches!(tn.sock_avail(), Err(Error::Closed { .. })));
    assert_eq!(tn.read_very_lazy().unwrap(), b"");
}

#[test]
fn reopening_closes_the_previous_socket() {
    let (mut tn, mut first) = connected();
    let mut second = Peer::bind();
    tn.open("127.0.0.1", second.addr().port(), Some(DEADLINE))
        .unwrap();
    second.accept();
    assert_eq!(first.receive_to_end(), b"");
    tn.write(b"hi").unwrap();
    second.expect(b"hi");
}

#[test]
fn sock_avail_is_true_for_data_and_for_end_of_stream() {
    let (tn, mut peer) = connected();
    assert!(!tn.sock_avail().unwrap());
    peer.send(b"x");
    wait_until(|| tn.sock_avail().unwrap());
    let (tn, mut peer) = connected();
    peer.close();
    wait_until(|| tn.sock_avail().unwrap());
}

fn wait_until(mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + DEADLINE;
    while !condition() {
        assert!(std::time::Instant::now() < deadline, "condition never held");
        std::thread::yield_now();
    }
}

/// Input for `interact_with` fed by the test through a channel; ends when the sender
/// is dropped.
struct ChannelInput(mpsc::Receiver<Vec<u8>>, Vec<u8>);

impl Read for ChannelInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.1.is_empty() {
            match self.0.recv() {
                Ok(chunk) => self.1 = chunk,
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.1.len());
        buf[..n].copy_from_slice(&self.1[..n]);
        self.1.drain(..n);
        Ok(n)
    }
}

#[test]
fn interact_passes_raw_bytes_both_ways_until_the_peer_closes() {
    let (mut tn, mut peer) = connected();
    let (typed, input) = mpsc::channel();
    let session = std::thread::spawn(move || {
        let mut output = Vec::new();
        tn.interact_with(ChannelInput(input, Vec::new()), &mut output)
            .unwrap();
        output
    });
    typed.send(b"caf\xc3\xa9 \xff\n".to_vec()).unwrap();
    peer.expect(b"caf\xc3\xa9 \xff\xff\n");
    // Not ASCII, a refused option in between: passed through, answered.
    peer.send(b"\xe2\x82\xac\xff\xfd\x18 \r\n");
    peer.expect(b"\xff\xfc\x18");
    peer.close();
    let output = session.join().unwrap();
    assert_eq!(
        output,
        b"\xe2\x82\xac \r\n*** Connection closed by remote host ***\n"
    );
    // The input thread discards what is typed after the end instead of sending it.
    let _ = typed.send(b"late\n".to_vec());
}

#[test]
fn interact_returns_when_the_input_ends_and_the_connection_stays_usable() {
    let (mut tn, mut peer) = connected();
    let (typed, input) = mpsc::channel();
    typed.send(b"ls\n".to_vec()).unwrap();
    drop(typed);
    let mut output = Vec::new();
    tn.interact_with(ChannelInput(input, Vec::new()), &mut output)
        .unwrap();
    peer.expect(b"ls\n");
    peer.send(b"after");
    assert_eq!(
        tn.read_until(b"after", Some(Duration::from_secs(5)))
            .unwrap(),
        b"after"
    );
}

#[test]
fn expect_never_outlasts_the_socket_timeout_that_bounds_none() {
    let mut peer = Peer::bind();
    let short = Duration::from_millis(100);
    let mut tn = Telnet::connect("127.0.0.1", peer.addr().port(), Some(short)).unwrap();
    peer.accept();
    let patterns = [Regex::new("ready").unwrap()];
    // Python's `None`: bounded by the socket timeout given to `open`.
    let error = tn.expect(&patterns, None).unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    let (finished, finish) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let found = tn.expect(&patterns, Timeout::Never);
        finished.send(()).unwrap();
        found
    });
    // `Timeout::Never`: still waiting three socket timeouts later.
    assert!(finish.recv_timeout(3 * short).is_err());
    peer.send(b"ready");
    let found = waiter.join().unwrap().unwrap();
    assert_eq!(found.index, Some(0));
    assert_eq!(found.text, b"ready");
}

#[test]
fn expect_with_a_zero_timeout_takes_everything_already_waiting() {
    // Python's `expect(list, 0)` reads what is waiting and returns: a poll. The data
    // is more than one read takes.
    let (mut tn, mut peer) = connected();
    let mut data = b"line\r\n".repeat(8 << 10);
    data.extend_from_slice(b"prompt> ");
    peer.send(&data);
    let socket = tn.get_socket().unwrap().try_clone().unwrap();
    let mut window = vec![0; data.len()];
    let arrived = eventually(DEADLINE, || socket.peek(&mut window).unwrap() == data.len());
    assert!(arrived, "the data never arrived whole");
    let found = tn
        .expect(&[Regex::new("prompt> ").unwrap()], Duration::ZERO)
        .unwrap();
    assert_eq!(found.index, Some(0));
    assert_eq!(found.text, data);
    // Nothing waiting: the timeout result at once, with nothing read.
    let nothing = tn
        .expect(&[Regex::new("prompt> ").unwrap()], Duration::ZERO)
        .unwrap();
    assert_eq!((nothing.index, nothing.text), (None, Vec::new()));
}

/// `expect` against data that arrives in `chunks`, each processed before the next is
/// sent (a Timing Mark's answer marks it), agrees with searching the whole data
/// received so far after each chunk, as CPython does: same pattern, groups and text.
fn expect_agrees_with_whole_searches(patterns: &[Regex], chunks: &[&[u8]]) {
    // The reference: after each chunk, the first pattern in list order that matches.
    let mut whole = Vec::new();
    let mut reference = None;
    let mut chunks_sent = chunks.len();
    for (n, chunk) in chunks.iter().enumerate() {
        whole.extend_from_slice(chunk);
        reference = patterns.iter().enumerate().find_map(|(index, pattern)| {
            let captures = pattern.captures(&whole)?;
            let groups: Vec<_> = captures.iter().map(|m| m.map(|m| m.range())).collect();
            let end = captures.get(0).unwrap().end();
            Some((Some(index), groups, whole[..end].to_vec()))
        });
        if reference.is_some() {
            chunks_sent = n + 1;
            break;
        }
    }
    let reference = reference.unwrap_or((None, Vec::new(), whole));
    let (mut tn, mut peer) = connected();
    let sent: Vec<Vec<u8>> = chunks[..chunks_sent].iter().map(|c| c.to_vec()).collect();
    let sender = thread::spawn(move || {
        for (n, chunk) in sent.iter().enumerate() {
            peer.send(chunk);
            if n + 1 < sent.len() {
                // DO TM, refused: once WONT TM is back, the chunk has been searched.
                peer.send(&[IAC, DO, 6]);
                peer.expect(&[IAC, 252, 6]);
            }
        }
        peer
    });
    let found = tn.expect(patterns, Duration::from_millis(300)).unwrap();
    drop(sender.join().unwrap());
    assert_eq!(
        (found.index, found.groups, found.text),
        reference,
        "{patterns:?} against {:?}",
        support::peer::escape(&chunks.concat())
    );
}

#[test]
fn expect_searches_only_what_a_match_could_still_use_and_finds_the_same() {
    let re = |p: &str| Regex::new(p).unwrap();
    // A bounded match across two reads.
    expect_agrees_with_whole_searches(&[re("login: ")], &[b"banner\r\nlog", b"in: "]);
    // Group ranges and list order across reads.
    expect_agrees_with_whole_searches(
        &[re("a(.{0,5})b"), re("zzz")],
        &[b"--a12", b"3", b"45b--zzz"],
    );
    // `\B` after the old data's end, which only the new data decides.
    expect_agrees_with_whole_searches(&[re(r"foo\B")], &[b"xfoo", b"bar"]);
    // `^` stays the start of all the data, not of the part searched.
    expect_agrees_with_whole_searches(&[re("^abc")], &[b"zz", b"abc"]);
    // `$` at the end of the first read.
    expect_agrees_with_whole_searches(&[re("x$")], &[b"abx", b"y"]);
    // An unbounded pattern is searched from the start each time.
    expect_agrees_with_whole_searches(&[re("start.*end")], &[b"start ", b"middle ", b"end"]);
    // Case folding set by the builder, not in the pattern: `k` matches the Kelvin
    // sign, three bytes, split across the reads.
    let kelvin = telnetlib::regex::bytes::RegexBuilder::new("k")
        .case_insensitive(true)
        .build()
        .unwrap();
    expect_agrees_with_whole_searches(&[kelvin], &[b"aaaa\xe2\x84", b"\xaa"]);
}
