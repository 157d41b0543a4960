//! Parity with telnetlib3's command lines, run on the built binaries: text in the
//! session's encoding (and after a CHARSET switch), piped input ending the session,
//! `--exec` on both tools, TLS with a CA-marked certificate and `--tls-auto`, Python
//! log levels and formats, repeatable `--always-*`, `--encoding false`,
//! `--pty-fork-limit`, `--status-interval`, file modes, the telnetlib3 flags accepted
//! with a warning, and help texts that describe the tools.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Output};
use std::time::Instant;

use super::support::certificate::Certificate;
use super::support::peer::{DEADLINE, Peer, escape, eventually};
use super::{
    CLIENT, SERVER, Server, WAIT, client_against_peer, client_with_open_stdin, session, spawn_piped,
};
use telnetlib::proto::Opt;
use telnetlib::{Encoding, TelnetConnection, Want};

/// Waits for `child` to exit within DEADLINE (killing it and failing otherwise) and
/// returns its status and what it printed.
fn finish(mut child: Child) -> Output {
    let exited = eventually(DEADLINE, || child.try_wait().unwrap().is_some());
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the process did not exit within {DEADLINE:?}");
    }
    child.wait_with_output().unwrap()
}

/// Runs `program` with `args` and `stdin` (then closed); its output once it exited.
fn run_with_stdin(program: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = spawn_piped(program, args);
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    finish(child)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A file name of this test run's own in the temporary directory (removed first).
fn temp_file(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("telnetlib-parity-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// A server on a port picked here, for settings under which it never logs
/// "listening on" (or logs something else first); its log lines are all kept.
fn server_on_free_port(args: &[&str]) -> Server {
    let address = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (child, log) = Server::spawn(&address.port().to_string(), args);
    Server {
        child,
        address,
        log,
    }
}

/// A default-shell session, retried until the server listens (within DEADLINE).
fn session_when_listening(address: SocketAddr) -> TelnetConnection {
    let mut conn = None;
    let connected = eventually(DEADLINE, || {
        conn = TelnetConnection::connect(address).ok();
        conn.is_some()
    });
    assert!(connected, "the server never listened on {address}");
    let conn = conn.unwrap();
    conn.read_until(b"tel:sh> ", WAIT).unwrap();
    conn
}

/// Stops the server and returns every line it logged.
fn stop_and_collect_log(mut server: Server) -> Vec<String> {
    let _ = server.child.kill();
    let _ = server.child.wait();
    let mut lines = Vec::new();
    // The reader thread ends at the end of the server's standard error.
    while let Ok(line) = server.log.recv_timeout(DEADLINE) {
        lines.push(line);
    }
    lines
}

#[test]
fn piped_text_goes_out_in_the_sessions_encoding() {
    for (args, expected) in [
        (
            &["--encoding", "cp437", "--force-binary"][..],
            &b"\x82\r\n"[..],
        ),
        (&[][..], &b"\xc3\xa9\r\n"[..]),
    ] {
        let (mut peer, child) = client_against_peer(args, "é\n".as_bytes());
        peer.expect(expected);
        peer.close();
        let output = finish(child);
        assert!(output.status.success(), "{args:?}: {:?}", output.status);
    }
}

#[test]
fn piped_text_follows_a_charset_switch() {
    // Latin-1 is a weak choice: the client takes the server's UTF-8 and sends in it.
    // An encoding chosen otherwise is kept (REJECTED), as telnetlib3-client does.
    for (encoding, answer, sent) in [
        ("latin1", &b"\x02UTF-8"[..], &b"\xc3\xa9\r\n"[..]),
        ("cp437", &b"\x03"[..], &b"\x82\r\n"[..]),
    ] {
        let (mut peer, mut child) = client_with_open_stdin(&["--encoding", encoding]);
        peer.send(b"\xff\xfd\x2a");
        peer.receive_until(|got| contains(got, b"\xff\xfb\x2a"));
        peer.send(b"\xff\xfa\x2a\x01;UTF-8\xff\xf0");
        let reply = peer.receive_until(|got| contains(got, b"\xff\xf0"));
        let expected = [&b"\xff\xfa\x2a"[..], answer, b"\xff\xf0"].concat();
        assert_eq!(escape(&reply), escape(&expected), "{encoding}");
        // Only now is there text to send.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all("é\n".as_bytes()).unwrap();
        stdin.flush().unwrap();
        peer.expect(sent);
        drop(stdin);
        peer.close();
        assert!(finish(child).status.success(), "{encoding}");
    }
}

#[test]
fn piped_input_ends_the_session_after_eof_wait_or_when_the_server_closes() {
    // A peer that never closes: the client closes once it has been quiet (a second,
    // so that a loaded machine does not make it close before the answer).
    let (mut peer, child) = client_against_peer(&["--eof-wait", "1"], b"help\n");
    peer.expect(b"help\r\n");
    peer.send(b"ok\r\n");
    let answered = Instant::now();
    let output = finish(child);
    assert_eq!(output.status.code(), Some(3), "{:?}", text(&output.stderr));
    assert!(
        answered.elapsed().as_millis() >= 1000,
        "closed before --eof-wait"
    );
    assert_eq!(text(&output.stdout), "ok\r\n");
    peer.receive_to_end();

    // The real server and the default --eof-wait.
    let server = Server::start(&[]);
    let port = server.address.port().to_string();
    let output = run_with_stdin(CLIENT, &["127.0.0.1", &port], b"help\n");
    assert_eq!(output.status.code(), Some(3), "{:?}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("commands:"),
        "{}",
        text(&output.stdout)
    );

    // The server closes first: status 0.
    let output = run_with_stdin(CLIENT, &["127.0.0.1", &port], b"quit\n");
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output.stderr));
    assert!(text(&output.stdout).trim_end().ends_with("Goodbye."));
}

/// A TELNETS session of the default shell with `certificate` trusted by the client's
/// `--ssl-cafile`: "quit" ends it with "Goodbye." and status 0.
fn quit_over_tls_trusting(cert: &str, key: &str) {
    let server = Server::start(&["--ssl-certfile", cert, "--ssl-keyfile", key]);
    quits_over_tls(&server, cert);
}

/// Our CLI client trusting `cert` runs "quit" on `server` over TLS: "Goodbye." and
/// status 0.
fn quits_over_tls(server: &Server, cert: &str) {
    let port = server.address.port().to_string();
    let output = run_with_stdin(
        CLIENT,
        &["localhost", &port, "--ssl-cafile", cert],
        b"quit\n",
    );
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        text(&output.stderr)
    );
    assert!(stdout.trim_end().ends_with("Goodbye."), "{stdout}");
}

#[test]
fn ssl_cafile_trusts_a_self_signed_certificate_marked_as_a_ca() {
    for certificate in [
        Certificate::new_marked_as_ca(),
        Certificate::new_common_name_only(),
    ] {
        quit_over_tls_trusting(
            certificate.cert.to_str().unwrap(),
            certificate.key.to_str().unwrap(),
        );
    }

    let has_openssl = Command::new("which")
        .arg("openssl")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_openssl {
        eprintln!("openssl is not on PATH: skipping its certificate");
        return;
    }
    let dir = std::env::temp_dir().join(format!("telnetlib-parity-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let made = Command::new("openssl")
        .current_dir(&dir)
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "2",
            // As ordinary as they come: CA:TRUE and the name only in the CN.
            "-subj",
            "/CN=localhost",
        ])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    quit_over_tls_trusting(
        dir.join("cert.pem").to_str().unwrap(),
        dir.join("key.pem").to_str().unwrap(),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_texts_describe_the_tools() {
    for (program, words) in [
        (
            CLIENT,
            &["Ctrl-]", "Exit status", "piped", "--exec", "Examples"][..],
        ),
        (
            SERVER,
            &["--exec", "--pty-exec", "Exit status", "Examples"][..],
        ),
    ] {
        let output = Command::new(program).arg("--help").output().unwrap();
        assert_eq!(output.status.code(), Some(0));
        let help = text(&output.stdout);
        for word in words {
            assert!(
                help.contains(word),
                "{program} --help lacks {word:?}:\n{help}"
            );
        }
    }
}

#[test]
fn server_exec_runs_the_program_with_the_sessions_facts_and_encoding() {
    let server = Server::start(&[
        "--encoding",
        "cp437",
        "--exec",
        "/bin/sh",
        "--",
        "-c",
        "echo \"TERM=$TERM COLUMNS=$COLUMNS LINES=$LINES IP=$IPADDRESS\"; read a; echo \"got $a\"",
    ]);
    let conn = TelnetConnection::builder()
        .terminal_type("vt-test")
        .window_size(100, 30)
        .encoding(Encoding::CP437)
        .connect(server.address)
        .unwrap();
    let first = conn.readline_str(WAIT).unwrap();
    assert!(
        first.contains("TERM=vt-test COLUMNS=100 LINES=30 IP=127.0.0.1"),
        "{first:?}"
    );
    conn.write_str("é\n", WAIT).unwrap();
    // The server echoes the line first; then the program's answer.
    conn.read_until_str("got é", WAIT).unwrap();
    // The program exited: the session ends.
    assert!(conn.read_all(WAIT).is_ok());
    server.wait_log("ended");
}

/// A library client once the server performs ECHO, so that what it types comes back
/// once as the server's echo before any copy from a program.
fn connected_with_echo(address: SocketAddr) -> TelnetConnection {
    let conn = TelnetConnection::connect(address).unwrap();
    conn.wait_for(&[Want::RemoteEnabled(Opt::ECHO)], WAIT)
        .unwrap();
    conn
}

#[test]
fn server_exec_program_is_reaped_when_the_client_leaves() {
    let server = Server::start(&["--exec", "/bin/cat"]);
    let conn = connected_with_echo(server.address);
    conn.write_bytes(b"ping\r\n", WAIT).unwrap();
    // The server's echo, then cat's copy.
    conn.read_until(b"ping\r\n", WAIT).unwrap();
    conn.read_until(b"ping\r\n", WAIT).unwrap();
    drop(conn);
    server.wait_log("/bin/cat ended");
    server.wait_log("disconnect");
}

#[test]
fn client_exec_program_talks_to_the_server_and_gives_its_status() {
    let (mut peer, child) = client_against_peer(
        &[
            "--exec",
            "/bin/sh",
            "--",
            "-c",
            "read q; echo \"answer: y é\"; read rest; echo \"after: $rest\"",
        ],
        b"",
    );
    peer.send(b"Would you like to play a game?\r\n");
    peer.expect("answer: y é\r\n".as_bytes());
    peer.send(b"bye\r\n");
    peer.expect(b"after: bye\r\n");
    // The program exited: the client closes the connection.
    assert_eq!(escape(&peer.receive_to_end()), "");
    let output = finish(child);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let (mut peer, child) = client_against_peer(&["--exec", "/bin/sh", "--", "-c", "exit 7"], b"");
    peer.receive_to_end();
    assert_eq!(finish(child).status.code(), Some(7));
}

#[test]
fn tls_auto_serves_tls_and_plain_clients_on_one_port() {
    let certificate = Certificate::new();
    let cert = certificate.cert.to_str().unwrap();
    let key = certificate.key.to_str().unwrap();
    let server = Server::start(&[
        "--ssl-certfile",
        cert,
        "--ssl-keyfile",
        key,
        "--tls-auto",
        "0.3",
    ]);
    quits_over_tls(&server, cert);
    // A plain client on the same port gets the shell too.
    let conn = session(&server);
    assert!(super::run(&conn, "help").contains("quit"));
}

#[test]
fn python_log_levels_and_formats() {
    let server = server_on_free_port(&[
        "--loglevel",
        "DEBUG",
        "--logfmt",
        "<%(levelname)s> %(message)s",
    ]);
    let _conn = session_when_listening(server.address);
    server.wait_log("<INFO> listening on");
    // The negotiation is logged at debug, before the session's start at info.
    server.wait_log("<DEBUG> ");
    server.wait_log("<INFO> connect");

    // Above info, the server still serves and logs none of its info lines.
    for level in ["warning", "critical"] {
        let server = server_on_free_port(&["--loglevel", level]);
        let conn = session_when_listening(server.address);
        assert!(super::run(&conn, "help").contains("quit"));
        let log = stop_and_collect_log(server);
        assert!(
            !log.iter()
                .any(|l| l.contains("listening on") || l.contains("connect")),
            "{level}: {log:?}"
        );
    }

    let output = Command::new(SERVER)
        .args(["127.0.0.1", "0", "--loglevel", "loud"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("loud"), "{stderr}");
}

#[test]
fn always_do_takes_comma_lists_and_repeats() {
    let (mut peer, child) = client_against_peer(
        &[
            "--always-do",
            "SGA,ECHO",
            "--always-do",
            "24",
            "--connect-maxwait",
            "0.2",
        ],
        b"",
    );
    peer.receive_until(|got| {
        [b"\xff\xfd\x03", b"\xff\xfd\x01", b"\xff\xfd\x18"]
            .iter()
            .all(|request| contains(got, *request))
    });
    peer.close();
    assert!(finish(child).status.success());
}

#[test]
fn server_encoding_false_passes_bytes_unchanged_without_charset() {
    let server = Server::start(&["--encoding", "false", "--exec", "/bin/cat"]);
    let mut client = Peer::connect(server.address);
    let mut seen = client.receive_until(|got| contains(got, b"\xff\xfd\x18"));
    client.send(b"\xff\xfc\x18");
    client.send(b"\xe9\xff\xff\r\n");
    seen.extend(client.receive_until(|got| contains(got, b"\xe9\xff\xff\r\n")));
    assert!(
        !contains(&seen, b"\xff\xfb\x2a") && !contains(&seen, b"\xff\xfd\x2a"),
        "CHARSET offered: {}",
        escape(&seen)
    );
}

#[test]
fn pty_fork_limit_turns_away_clients_beyond_it() {
    let server = Server::start(&["--pty-fork-limit", "1", "--exec", "/bin/cat"]);
    let first = connected_with_echo(server.address);
    first.write_bytes(b"a\r\n", WAIT).unwrap();
    // The echo, then cat's copy: the first client has the program.
    first.read_until(b"a\r\n", WAIT).unwrap();
    first.read_until(b"a\r\n", WAIT).unwrap();

    let second = TelnetConnection::connect(server.address).unwrap();
    let refused = text(&second.read_all(WAIT).unwrap());
    assert!(refused.contains("Machine is busy"), "{refused:?}");

    // Once the first leaves, its place is free again.
    drop(first);
    server.wait_log("/bin/cat ended");
    // Its place is given back before its "disconnect" (the refused client's came
    // earlier).
    server.wait_log("disconnect");
    let third = connected_with_echo(server.address);
    third.write_bytes(b"b\r\n", WAIT).unwrap();
    third.read_until(b"b\r\n", WAIT).unwrap();
    third.read_until(b"b\r\n", WAIT).unwrap();
}

#[test]
fn a_retro_encoding_sends_its_own_end_of_line_over_a_binary_stream() {
    // ATASCII: the heart is 0x00, the end of line 0x9B; no NVT CR NUL or CR LF,
    // because the retro encodings turn --force-binary on, as telnetlib3's do.
    let (mut peer, child) = client_against_peer(&["--encoding", "atascii"], "♥ READY\n".as_bytes());
    peer.expect(b"\x00 READY\x9b");
    peer.close();
    assert!(finish(child).status.success());

    // --ascii-eol: Telnet's CR LF instead.
    let args = ["--encoding", "atascii", "--ascii-eol"];
    let (mut peer, child) = client_against_peer(&args, b"READY\n");
    peer.expect(b"READY\r\n");
    peer.close();
    assert!(finish(child).status.success());
}

#[test]
fn telnetlib3_flags_are_accepted_with_a_warning_or_explained() {
    let (mut peer, child) = client_against_peer(&["--ansi-keys"], b"x\n");
    peer.expect(b"x\r\n");
    peer.close();
    let output = finish(child);
    assert!(output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("warning: --ansi-keys is ignored"),
        "{stderr}"
    );

    let server = server_on_free_port(&["--robot-check"]);
    server.wait_log("warning: --robot-check");
    let conn = session_when_listening(server.address);
    assert!(super::run(&conn, "help").contains("quit"));

    let server = Server::start(&["--shell", "telnetlib3.telnet_server_shell"]);
    assert!(super::run(&session(&server), "help").starts_with("commands:"));

    for (program, args) in [
        (
            SERVER,
            &["127.0.0.1", "0", "--shell", "my_module.fn_shell"][..],
        ),
        (
            CLIENT,
            &["127.0.0.1", "1", "--shell", "bin.client_wargame.shell"][..],
        ),
    ] {
        let output = run_with_stdin(program, args, b"");
        assert_eq!(output.status.code(), Some(2), "{program}");
        let stderr = text(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("--exec"), "{stderr}");
    }
}

#[test]
fn status_interval_logs_the_number_of_clients() {
    let server = Server::start(&["--status-interval", "0.2"]);
    let _conn = session(&server);
    server.wait_log("status: 1 client connected");
}

/// One client run against a peer that sends `said`, with stdin "x\n"; the peer stays
/// open, so the client closes after `--eof-wait` (logging that at info).
fn client_run_logging(args: &[&str], said: &[u8]) {
    let mut all = vec!["--eof-wait", "0.2", "--loglevel", "info"];
    all.extend_from_slice(args);
    let (mut peer, child) = client_against_peer(&all, b"x\n");
    peer.send(said);
    peer.expect(b"x\r\n");
    let output = finish(child);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    peer.receive_to_end();
}

#[test]
fn rewrite_mode_starts_the_log_and_the_typescript_afresh() {
    let log = temp_file("rewrite.log");
    let log_name = log.to_str().unwrap();
    for marker in ["first", "second"] {
        let format = format!("{marker} %(message)s");
        client_run_logging(
            &[
                "--logfile",
                log_name,
                "--logfile-mode",
                "rewrite",
                "--logfmt",
                &format,
            ],
            b"",
        );
    }
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(written.contains("second "), "{written:?}");
    assert!(!written.contains("first"), "{written:?}");
    let _ = std::fs::remove_file(&log);

    let typescript = temp_file("rewrite.typescript");
    let typescript_name = typescript.to_str().unwrap();
    for said in [b"one\r\n", b"two\r\n"] {
        client_run_logging(
            &[
                "--typescript",
                typescript_name,
                "--typescript-mode",
                "rewrite",
            ],
            said,
        );
    }
    assert_eq!(std::fs::read_to_string(&typescript).unwrap(), "two\r\n");
    let _ = std::fs::remove_file(&typescript);
}

#[test]
fn gmcp_modules_replace_the_modules_announced() {
    let (mut peer, mut child) =
        client_with_open_stdin(&["--gmcp-modules", "Char 1, Room 2,IRE.Rift"]);
    // The server offers GMCP; the client agrees, says hello and lists its modules.
    peer.send(b"\xff\xfb\xc9");
    let got = peer.receive_until(|got| got.windows(2).filter(|w| *w == b"\xff\xf0").count() >= 2);
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.contains(r#"Core.Supports.Set ["Char 1","Room 2","IRE.Rift 1"]"#),
        "{}",
        escape(&got)
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn client_compression_flag_asks_for_mccp() {
    // telnetlib3-client's --compression requests compression: DO MCCP2 and DO MCCP3
    // go out before the server offers anything.
    let (mut peer, mut child) = client_with_open_stdin(&["--compression"]);
    peer.receive_until(|got| {
        got.windows(3).any(|w| w == b"\xff\xfd\x56") && got.windows(3).any(|w| w == b"\xff\xfd\x57")
    });
    let _ = child.kill();
    let _ = child.wait();
}
