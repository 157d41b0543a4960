//! Matrix section 3: the command-line tools, scripted (standard input not a
//! terminal): `telnetlib-client` against `telnetlib3-server`, and `telnetlib3-client`
//! against `telnetlib-server`; our client interactive, in a terminal, against busybox
//! and inetutils telnetd; netkit telnet against `telnetlib-server --pty-exec`.

use std::process::Command;

use crate::harness::{Cell, Proc, Tap, Tmux, free_port, venv, venv_python, wait_listening};

pub const GROUP: &str = "command-line tools";
pub const OUR_SERVER: &str = env!("CARGO_BIN_EXE_telnetlib-server");
pub const OUR_CLIENT: &str = env!("CARGO_BIN_EXE_telnetlib-client");

#[test]
fn our_client_cli_against_telnetlib3_server() {
    let mut cell = Cell::new(
        "3a-cli-client-vs-telnetlib3-server",
        GROUP,
        "`telnetlib-client` → `telnetlib3-server` 5.0.1",
        "scripted",
    );
    venv_python("telnetlib3");
    let port = free_port();
    let _server = Proc::spawn(
        "telnetlib3-server",
        Command::new(venv().join("bin/telnetlib3-server")).args([
            "127.0.0.1",
            &port.to_string(),
            "--connect-maxwait",
            "10",
        ]),
    );
    let tap = Tap::new(wait_listening(port));
    let mut client = Proc::spawn(
        "telnetlib-client",
        Command::new(OUR_CLIENT).args(["--term", "vt-cli", "127.0.0.1", &tap.port()]),
    );
    client.wait_output("tel:sh> ");
    client.input("version\n");
    client.wait_output("5.0.1");
    client.input("writer\n");
    let shown = client.wait_output("client-will:");
    client.input("quit\n");
    let (status, output) = client.wait_exit();
    assert!(status.success(), "{output}");
    assert!(
        output.contains("Ready.") && output.contains("Goodbye."),
        "{output}"
    );
    // The server's `writer` line lists what our client agreed to perform.
    let writer = shown
        .lines()
        .find(|l| l.contains("client-will:"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    for option in ["NAWS", "NEW_ENVIRON", "TTYPE"] {
        assert!(writer.contains(option), "{writer}");
    }
    cell.note(format!(
        "prompt, `version`, `quit` → exit 0; server's view: {writer}"
    ));
    cell.note(tap.assert_no_loop(2));
}

/// Drives a `telnetlib3-client` connected to our server's default shell: waits for
/// its prompt, runs `info` (our server's view of the client), then `quit`, and
/// asserts it exited with status 0. Returns the `info` text and the whole output.
pub fn info_then_quit(client: &mut Proc) -> (String, String) {
    client.wait_output("tel:sh> ");
    client.input("info\n");
    let info = client.wait_output("remote_options:");
    client.input("quit\n");
    let (status, output) = client.wait_exit();
    assert!(status.success(), "{output}");
    (info, output)
}

/// The line of `info` output that starts with `key` (`"columns:"`), trimmed; empty
/// when there is none.
pub fn info_line(info: &str, key: &str) -> String {
    info.lines()
        .find(|l| l.trim_start().starts_with(key))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[test]
fn telnetlib3_client_cli_against_our_server() {
    let mut cell = Cell::new(
        "3b-telnetlib3-client-vs-cli-server",
        GROUP,
        "`telnetlib3-client` 5.0.1 → `telnetlib-server`",
        "scripted",
    );
    venv_python("telnetlib3");
    let port = free_port();
    let _server = Proc::spawn(
        "telnetlib-server",
        Command::new(OUR_SERVER).args(["127.0.0.1", &port.to_string(), "--connect-maxwait", "10"]),
    );
    let tap = Tap::new(wait_listening(port));
    let mut client = Proc::spawn(
        "telnetlib3-client",
        Command::new(venv().join("bin/telnetlib3-client")).args([
            "--term",
            "vt-tl3cli",
            "127.0.0.1",
            &tap.port(),
        ]),
    );
    let (info, output) = info_then_quit(&mut client);
    assert!(output.contains("Goodbye."), "{output}");
    assert!(info.contains("terminal_type: vt-tl3cli"), "{info}");
    assert!(
        info.contains("binary_in: true") && info.contains("binary_out: true"),
        "{info}"
    );
    let fact = |key: &str| info_line(&info, key);
    cell.note(format!(
        "`info` round trip, `quit` → exit 0; our server saw {}, {}, {}, {}",
        fact("terminal_type:"),
        fact("columns:"),
        fact("rows:"),
        fact("encoding:")
    ));
    cell.note(tap.assert_no_loop(2));
}

/// Drives our interactive client in `tmux` through a `login.sh` session: a UTF-8
/// line, `size` (expecting `rows cols`), then Ctrl-] quit and exit status 0. Returns
/// the screen as it was after `size`.
fn interactive_login_sh(tmux: &Tmux, size: &str) -> String {
    // (capture-pane drops trailing spaces)
    tmux.wait_screen("nologin>");
    tmux.keys("héllo wörld ✓");
    tmux.key("Enter");
    tmux.wait_screen("GOT=héllo wörld ✓");
    tmux.keys("size");
    tmux.key("Enter");
    let screen = tmux.wait_screen(&format!("SIZE={size}"));
    tmux.key("C-]");
    tmux.wait_screen("telnetlib>");
    tmux.keys("quit");
    tmux.key("Enter");
    tmux.wait_screen("CLIENT-EXITED-0");
    screen
}

#[test]
fn our_client_cli_interactive_against_busybox_telnetd() {
    let mut cell = Cell::new(
        "3c-cli-client-interactive-vs-busybox",
        GROUP,
        "`telnetlib-client` in a terminal → busybox telnetd",
        "interactive (tmux)",
    );
    let (_server, address) = crate::their_servers::start_busybox_telnetd();
    let tap = Tap::new(address);
    let command = format!(
        "{OUR_CLIENT} 127.0.0.1 {}; echo CLIENT-EXITED-$?; sleep 60",
        tap.port()
    );
    let tmux = Tmux::start("3c", 97, 31, &command);
    // busybox asks us to echo (DO ECHO) and offers to echo itself (WILL ECHO): we
    // refuse the first and accept the second, so each character shows once.
    let screen = interactive_login_sh(&tmux, "31 97");
    assert!(screen.contains("nologin> héllo wörld ✓\n"), "{screen}");
    cell.note("prompt shown; typed UTF-8 line echoed once by the server; terminal size 97x31 reached the pty; Ctrl-] quit → exit 0");
    cell.note(tap.assert_no_loop(2));
}

#[test]
fn netkit_telnet_against_our_server_cli_pty_exec_shell() {
    let mut cell = Cell::new(
        "3d-netkit-vs-cli-server-pty-exec",
        GROUP,
        "netkit telnet in a terminal → `telnetlib-server --pty-exec /bin/sh`",
        "interactive (tmux)",
    );
    crate::harness::require("/usr/bin/telnet-ssl", "telnet-ssl");
    let port = free_port();
    let _server = Proc::spawn(
        "telnetlib-server",
        Command::new(OUR_SERVER).args([
            "127.0.0.1",
            &port.to_string(),
            "--connect-maxwait",
            "10",
            "--pty-exec",
            "/bin/sh",
        ]),
    );
    let tap = Tap::new(wait_listening(port));
    let command = format!(
        "env TERM=vt220 /usr/bin/telnet-ssl 127.0.0.1 {}",
        tap.port()
    );
    let tmux = Tmux::start("3d", 93, 27, &command);
    // The shell's prompt: its terminal mode is set.
    tmux.wait_screen_for("a shell prompt", |screen| {
        screen.lines().any(|l| matches!(l.trim(), "#" | "$"))
    });
    // A real terminal's Enter is CR: the program must get it as the end of a line.
    tmux.keys("echo pty-$((6*7)) $TERM; stty size");
    tmux.key("Enter");
    tmux.wait_screen("pty-42 vt220");
    tmux.wait_screen("27 93");
    cell.note(
        "Enter (CR) ends the shell's line; TERM from TTYPE and 93x27 from NAWS reach the pty",
    );
    cell.note(tap.assert_no_loop(2));
}

#[test]
fn our_client_cli_interactive_against_inetutils_telnetd() {
    let mut cell = Cell::new(
        "3e-cli-client-interactive-vs-inetutils-telnetd",
        GROUP,
        "`telnetlib-client` in a terminal → inetutils telnetd",
        "interactive (tmux)",
    );
    let (address, telnetd) = crate::their_servers::inetutils_telnetd_once();
    let tap = Tap::new(address);
    let command = format!(
        "env TERM=xterm {OUR_CLIENT} 127.0.0.1 {}; echo CLIENT-EXITED-$?; sleep 60",
        tap.port()
    );
    let tmux = Tmux::start("3e", 88, 26, &command);
    let screen = interactive_login_sh(&tmux, "26 88");
    // telnetd hands what we send in BINARY to its pty as it is: Enter must be one CR,
    // or the program reads an extra empty line after each one.
    assert!(screen.contains("TERM=xterm"), "{screen}");
    assert!(
        !screen.contains("GOT=\n"),
        "an empty line was sent:\n{screen}"
    );
    cell.note("TERM and 88x26 reach the program; typed UTF-8 line shown once, Enter sent as a bare CR in BINARY (no extra empty line); Ctrl-] quit → exit 0");
    cell.note(tap.assert_no_loop(2));
    let _telnetd = telnetd.join().unwrap();
}

#[test]
fn our_client_cli_scripted_against_inetutils_telnetd() {
    let mut cell = Cell::new(
        "3f-cli-client-scripted-vs-inetutils-telnetd",
        GROUP,
        "`telnetlib-client` scripted → inetutils telnetd",
        "scripted",
    );
    let (address, telnetd) = crate::their_servers::inetutils_telnetd_once();
    let tap = Tap::new(address);
    let mut client = Proc::spawn(
        "telnetlib-client",
        Command::new(OUR_CLIENT).args(["--term", "vt-script", "127.0.0.1", &tap.port()]),
    );
    client.wait_output("nologin> ");
    client.input("héllo wörld ✓\n");
    client.wait_output("GOT=héllo wörld ✓");
    client.input("size\n");
    let output = client.wait_output("SIZE=");
    assert!(output.contains("TERM=vt-script"), "{output}");
    // One line sent, one line read: no empty line from a CR LF in BINARY.
    assert!(
        !output.contains("GOT=\r\n"),
        "an empty line was sent: {output:?}"
    );
    // (telnetd may drop what the program writes as it exits: nothing is checked after.)
    client.input("bye\n");
    let (status, output) = client.wait_exit();
    assert!(status.success(), "{output}");
    cell.note("TERM reaches the program; each line arrives once (bare CR in BINARY); `bye` ends the session → exit 0");
    cell.note(tap.assert_no_loop(2));
    let _telnetd = telnetd.join().unwrap();
}
