//! More real peers: PuTTY's `plink -telnet`, C-Kermit (as a client, and listening
//! as a Telnet server) and the classic `expect` script driving netkit `telnet`.
//!
//! Each cell runs a whole session over loopback through a [`Tap`]: it checks what was
//! negotiated (the facts our side saw, or what the peer reports), that a line typed at
//! the client arrives intact, that text the server sends reaches the other side's
//! output or screen, and that no negotiation repeats.

use std::path::PathBuf;
use std::process::Command;

use telnetlib::ServerConnection;
use telnetlib::proto::Opt;

use crate::harness::{
    Cell, DEADLINE, Proc, Tap, Tmux, WAIT, contains, escape, facts, free_port, listens, poll_until,
    require,
};
use crate::scratch::Scratch;
use crate::their_clients::{GROUP, LINE, accept, accept_from, describe, our_server};
use crate::their_servers::{COLS, GROUP as SERVERS_GROUP, ROWS, TERM, our_client_builder};

/// What our server sends first: UTF-8 text, then a prompt.
const GREETING: &str = "Grüße ✓\nprompt> ";
/// What the peer shows of it.
const GREETING_SHOWN: &str = "Grüße ✓";

// ---------------------------------------------------------------------------------
// PuTTY's plink

/// The PuTTY saved session plink loads: what it reports about its terminal. Its
/// standard input is a pipe, so the window size comes from here, not from a terminal.
/// (`Environment` is PuTTY's `NAME=value,` list.)
const PLINK_SESSION: &str = "TerminalType=vt102-plink\n\
    TermWidth=97\n\
    TermHeight=31\n\
    TerminalSpeed=19200,19200\n\
    Environment=INTEROP=plink,\n";

/// What the server sends plink last, in BINARY: 0xFF among other high bytes.
const PLINK_REPLY: &[u8] = b"<\xff\x80\xfe>#END#";

#[test]
fn plink_client() {
    let plink = require("/usr/bin/plink", "putty-tools");
    let mut cell = Cell::new(
        "1j-plink",
        GROUP,
        "PuTTY 0.78 `plink -telnet` (`putty-tools`), standard input piped",
        "client",
    );
    let home = Scratch::new("plink");
    home.write(".putty/sessions/interop", PLINK_SESSION);
    let server = our_server();
    let tap = Tap::new(server.local_addr());
    let mut peer = Proc::spawn(
        "plink",
        Command::new(plink)
            .env("HOME", home.path())
            .args(["-load", "interop", "-telnet", "-batch", "-l", "interop"])
            .args(["-P", &tap.port(), "127.0.0.1"]),
    );
    let conn = accept_from(&server, &tap, &mut peer);
    cell.note(describe(&conn));
    // It sends the saved session's terminal type in capitals, as RFC 1091 suggests.
    assert_eq!(conn.terminal_type(), "VT102-PLINK");
    assert_eq!((conn.columns(), conn.rows()), (97, 31));
    assert_eq!(conn.terminal_speed(), Some((19200, 19200)));
    let env = conn.environment();
    assert_eq!(
        env.get("INTEROP").map(String::as_str),
        Some("plink"),
        "{env:?}"
    );
    assert_eq!(
        env.get("USER").map(String::as_str),
        Some("interop"),
        "{env:?}"
    );
    assert!(conn.local_option(Opt::BINARY) && conn.remote_option(Opt::BINARY));
    assert!(conn.local_option(Opt::ECHO) && conn.local_option(Opt::SGA));

    conn.send(GREETING).expect("send the greeting");
    peer.wait_output(GREETING_SHOWN);
    // A script pipes lines with LF; plink passes them on as they are.
    peer.input(&format!("{LINE}\n"));
    let line = conn.readline_str(WAIT).expect("the piped line");
    assert_eq!(line.trim_end(), LINE, "the line arrives intact");
    assert!(contains(&tap.client_sent(), format!("{LINE}\n").as_bytes()));
    // Our server edits and echoes lines (it performs ECHO): the bytes go on at Enter.
    peer.input_bytes(b"bin:\xff|\n");
    let raw = conn.read_until(b"|", WAIT).unwrap_or_else(|e| {
        panic!(
            "the piped 0xFF: {e}; plink sent {}",
            escape(&tap.client_sent())
        )
    });
    assert_eq!(escape(&raw), escape(b"bin:\xff|"), "0xFF arrives undoubled");
    assert!(
        contains(&tap.client_sent(), b"bin:\xff\xff|"),
        "plink doubles IAC"
    );
    conn.write_bytes(PLINK_REPLY, WAIT).expect("send the reply");
    poll_until("the reply in plink's output", || {
        contains(&peer.output_bytes(), PLINK_REPLY)
    });
    cell.note(
        "UTF-8 greeting in its output; piped UTF-8 line intact (sent with a bare LF, as \
         piped); 0xFF both ways in BINARY (IAC IAC on the wire)",
    );
    cell.note(tap.assert_no_loop(2));

    // The server hangs up: plink exits, successfully.
    conn.close();
    let (status, output) = peer.wait_exit();
    assert!(status.success(), "plink: {status}; output:\n{output}");
}

// ---------------------------------------------------------------------------------
// C-Kermit

/// C-Kermit's program. Every cell runs it with `-Y` (no initialization file), so that
/// nothing of the machine's set-up changes what it negotiates.
fn kermit() -> PathBuf {
    require("/usr/bin/kermit", "ckermit")
}

#[test]
fn ckermit_client() {
    let kermit = kermit();
    let mut cell = Cell::new(
        "1k-ckermit",
        GROUP,
        "C-Kermit 10.0 Beta.08 (`ckermit`), `kermit -J` in a terminal",
        "client (terminal)",
    );
    let server = our_server();
    let tap = Tap::new(server.local_addr());
    let (cols, rows) = (93, 27);
    // The shell around it shows its exit status.
    let tmux = Tmux::start(
        "1k-ckermit",
        cols,
        rows,
        &format!(
            "env TERM=vt220 LANG=C.UTF-8 {} -Y -J 127.0.0.1 {}; echo KERMIT_EXIT=$?",
            kermit.display(),
            tap.port()
        ),
    );
    let conn = accept(&server, &tap, &mut || None);
    cell.note(describe(&conn));
    assert_eq!(conn.terminal_type(), "VT220");
    assert_eq!((conn.columns(), conn.rows()), (cols, rows));
    let env = conn.environment();
    assert_eq!(
        env.get("SYSTEMTYPE").map(String::as_str),
        Some("UNIX"),
        "{env:?}"
    );
    assert!(conn.local_option(Opt::BINARY) && conn.remote_option(Opt::BINARY));
    assert!(conn.local_option(Opt::ECHO) && conn.local_option(Opt::SGA));

    conn.send(GREETING).expect("send the greeting");
    tmux.wait_screen(GREETING_SHOWN);
    tmux.keys(LINE);
    tmux.key("Enter");
    let line = conn.readline_str(WAIT).expect("the typed line");
    assert_eq!(line.trim_end(), LINE, "the typed line arrives intact");
    // Our server echoed it as it was typed.
    tmux.wait_screen(&format!("prompt> {LINE}"));
    cell.note("typed UTF-8 line intact; UTF-8 greeting and our echo shown");

    tmux.resize(cols + 7, rows + 3);
    poll_until("the new window size", || {
        (conn.columns(), conn.rows()) == (cols + 7, rows + 3)
    });
    cell.note(format!(
        "resize to {}x{} seen through NAWS",
        cols + 7,
        rows + 3
    ));
    cell.note(tap.assert_no_loop(2));

    // Our server hangs up: Kermit says so and exits, successfully.
    conn.close();
    tmux.wait_screen("Communications disconnect");
    tmux.wait_screen("KERMIT_EXIT=0");
}

/// A Kermit script that listens for one Telnet connection and plays the server: a
/// greeting and a prompt, then the line the client types, what Kermit's Telnet server
/// side learnt of the client (its `\v(terminal)`, `\v(cols)`, `\v(rows)`, and
/// `\v(userid)` from NEW-ENVIRON `USER`) printed as facts, a goodbye, and, once the
/// client has acknowledged it, a hang-up. (`\13` is CR, which Kermit sends as CR LF in
/// NVT mode; `\32` is a space, which Kermit would strip at the end of a command; `#`
/// and `;` would start comments.)
const KERMIT_SERVER_SCRIPT: &str = r"set input echo off
set host * {port} /telnet
if fail exit 1 FAILED=listen
output Grüße ✓\13prompt>\32
input {deadline} \10
if fail exit 1 FAILED=no line
echo GOT=\v(input)
echo TERMINAL=\v(terminal)
echo COLS=\v(cols)
echo ROWS=\v(rows)
echo USERID=\v(userid)
output bye ✓\13
input {deadline} ok
if fail exit 1 FAILED=no acknowledgement
hangup
echo DONE=1
exit 0
";

#[test]
fn ckermit_listening_as_a_telnet_server() {
    let kermit = kermit();
    let mut cell = Cell::new(
        "2i-ckermit-listening",
        SERVERS_GROUP,
        "C-Kermit 10.0 Beta.08 (`ckermit`), a script on `set host * port /telnet`",
        "server",
    );
    let dir = Scratch::new("ckermit-server");
    let port = free_port();
    let script = dir.write(
        "server.ksc",
        &KERMIT_SERVER_SCRIPT
            .replace("{port}", &port.to_string())
            .replace("{deadline}", &DEADLINE.as_secs().to_string()),
    );
    // A script file must come first on Kermit's command line. Without a TERM of its
    // own, the terminal type it reports can only be the client's.
    let mut peer = Proc::spawn(
        "kermit",
        Command::new(kermit)
            .arg(&script)
            .arg("-Y")
            .env_remove("TERM"),
    );
    // It takes exactly one connection, so no probe may connect; and what it prints
    // is buffered in a pipe. The kernel's socket table says when it listens.
    poll_until("Kermit to listen", || peer.exited() || listens(port));
    assert!(!peer.exited(), "kermit exited:\n{}", peer.output());
    let tap = Tap::new(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    let conn = our_client_builder()
        .env("USER", "interop")
        .connect(tap.addr())
        .expect("connect our client");

    // Our client keeps CR LF in what it reads (as telnetlib3's does): Kermit sends
    // its CR as CR LF.
    let greeting = conn.read_until_str("prompt> ", WAIT).expect("the prompt");
    assert_eq!(greeting, "Grüße ✓\r\nprompt> ");
    // Its offers came before the greeting.
    assert!(conn.remote_option(Opt::ECHO) && conn.remote_option(Opt::SGA));
    assert!(
        !conn.remote_option(Opt::BINARY),
        "Kermit does not offer BINARY"
    );
    conn.write_str(&format!("{LINE}\n"), WAIT).unwrap();
    // Having agreed to ECHO, Kermit echoes what its INPUT reads.
    let goodbye = conn.read_until_str("bye ✓", WAIT).expect("the goodbye");
    assert_eq!(goodbye, format!("{LINE}\r\nbye ✓"));
    conn.write_str("ok\n", WAIT).unwrap();
    let rest = conn.read_all_str(WAIT).expect("Kermit hangs up");
    assert_eq!(
        rest.trim(),
        "ok",
        "the echoed acknowledgement, then the end"
    );

    let (status, output) = peer.wait_exit();
    assert!(status.success(), "kermit: {status}; output:\n{output}");
    let facts = facts(&output);
    assert_eq!(facts.get("DONE").map(String::as_str), Some("1"), "{output}");
    assert_eq!(facts["GOT"], LINE, "{output}");
    assert_eq!(facts["TERMINAL"], TERM);
    assert_eq!(facts["COLS"], COLS.to_string());
    assert_eq!(facts["ROWS"], ROWS.to_string());
    assert_eq!(facts["USERID"], "interop");
    cell.note(format!(
        "Kermit saw terminal {TERM}, {COLS}x{ROWS}, USER interop; our UTF-8 line intact \
         (and echoed back: Kermit performs ECHO); its UTF-8 greeting and goodbye intact; \
         ECHO and SGA on, no BINARY; it hung up"
    ));
    cell.note(tap.assert_no_loop(2));
}

// ---------------------------------------------------------------------------------
// expect driving telnet

/// The classic telnet automation, as an `expect` script: spawn `telnet`, answer the
/// login and password prompts, run a command at the prompt, read its answer, and see
/// the connection end. It prints what it saw as facts, text in hex (so that no
/// encoding stands between the terminal and the check).
const EXPECT_SCRIPT: &str = r#"log_user 0
set timeout $env(DEADLINE_SECS)
# The pseudo-terminal telnet runs in: a size of its own, which telnet reports (NAWS).
set stty_init "rows 29 columns 87"

proc hex {text} { binary encode hex [encoding convertto utf-8 $text] }

# Waits for `text`; returns everything telnet printed up to and including it.
proc await {text} {
    expect {
        -ex $text { return $expect_out(buffer) }
        timeout { puts "FAILED=timed out waiting for $text"; exit 1 }
        eof { puts "FAILED=telnet ended before $text"; exit 1 }
    }
}

spawn -noecho $env(TELNET) 127.0.0.1 $env(PORT)
puts "GREETING=[hex [await {login: }]]"
send -- "interop\r"
puts "AFTER_LOGIN=[hex [await {Password: }]]"
send -- "$env(PASSWORD)\r"
puts "AFTER_PASSWORD=[hex [await {prompt> }]]"
send -- "$env(LINE)\r"
expect {
    -re "ANSWER=(\[^\r\n]*)\r" { puts "ANSWER=[hex $expect_out(1,string)]" }
    timeout { puts "FAILED=no answer"; exit 1 }
    eof { puts "FAILED=telnet ended before the answer"; exit 1 }
}
expect {
    eof {}
    timeout { puts "FAILED=the connection did not end"; exit 1 }
}
puts "CLOSING=[hex $expect_out(buffer)]"
lassign [wait] pid spawn_id os_error status
puts "TELNET_EXIT=$status"
puts "DONE=1"
"#;

/// The password the script types; it must never show on telnet's terminal.
const PASSWORD: &str = "s3cret-✓";

/// Decodes the hex the script printed.
fn unhex(text: &str) -> String {
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect();
    String::from_utf8(bytes).expect("UTF-8 from the terminal")
}

#[test]
fn expect_driving_netkit_telnet() {
    let expect = require("/usr/bin/expect", "expect");
    let telnet = require("/usr/bin/telnet-ssl", "telnet-ssl");
    let mut cell = Cell::new(
        "1l-expect-telnet",
        GROUP,
        "`expect` 5.45 script driving netkit telnet (`telnet-ssl` 0.17): login, password, command",
        "client (scripted terminal)",
    );
    let dir = Scratch::new("expect");
    let script = dir.write("login.exp", EXPECT_SCRIPT);
    let server = our_server();
    let tap = Tap::new(server.local_addr());
    let mut peer = Proc::spawn(
        "expect",
        Command::new(expect)
            .arg("-f")
            .arg(&script)
            .env("TELNET", &telnet)
            .env("PORT", tap.port())
            .env("LINE", LINE)
            .env("PASSWORD", PASSWORD)
            .env("DEADLINE_SECS", DEADLINE.as_secs().to_string())
            .env("TERM", "vt220")
            .env("LANG", "C.UTF-8"),
    );
    let conn = accept_from(&server, &tap, &mut peer);
    cell.note(describe(&conn));
    assert_eq!(conn.terminal_type(), "vt220");
    assert_eq!((conn.columns(), conn.rows()), (87, 29));
    assert!(conn.local_option(Opt::BINARY) && conn.remote_option(Opt::BINARY));
    assert!(conn.local_option(Opt::ECHO) && conn.local_option(Opt::SGA));

    login_session(&conn);
    let (status, output) = peer.wait_exit();
    assert!(status.success(), "expect: {status}; output:\n{output}");
    let facts = facts(&output);
    assert_eq!(facts.get("DONE").map(String::as_str), Some("1"), "{output}");
    let seen = |key: &str| unhex(&facts[key]);
    assert!(
        seen("GREETING").ends_with("Grüße ✓\r\nlogin: "),
        "{:?}",
        seen("GREETING")
    );
    // Our server echoed the login name, and not the password.
    assert_eq!(seen("AFTER_LOGIN"), "interop\r\nPassword: ");
    let after_password = seen("AFTER_PASSWORD");
    assert!(
        !after_password.contains(PASSWORD) && after_password.ends_with("prompt> "),
        "{after_password:?}"
    );
    assert_eq!(seen("ANSWER"), LINE.to_uppercase());
    // netkit telnet says the server hung up and exits with status 1.
    assert!(seen("CLOSING").contains("Connection closed by foreign host."));
    assert_eq!(facts["TELNET_EXIT"], "1");
    cell.note(
        "login name echoed, password not (our password mode), UTF-8 line intact, UTF-8 \
         greeting and answer seen by the script; telnet exits 1 when the server hangs up",
    );
    cell.note(tap.assert_no_loop(2));
}

/// Our server's half of the login session: a greeting and a login prompt, the
/// password with echo off, then one command and its answer, and a hang-up.
fn login_session(conn: &ServerConnection) {
    conn.send(&format!("{GREETING_SHOWN}\nlogin: ")).unwrap();
    let user = conn.readline_str(WAIT).expect("the login name");
    assert_eq!(user.trim_end(), "interop");
    conn.password_mode_on().unwrap();
    conn.send("Password: ").unwrap();
    let password = conn.readline_str(WAIT).expect("the password");
    assert_eq!(password.trim_end(), PASSWORD);
    conn.password_mode_off().unwrap();
    conn.send("\nprompt> ").unwrap();
    let line = conn.readline_str(WAIT).expect("the command");
    assert_eq!(line.trim_end(), LINE, "the typed line arrives intact");
    conn.send(&format!("ANSWER={}\n", LINE.to_uppercase()))
        .unwrap();
    conn.close();
}
