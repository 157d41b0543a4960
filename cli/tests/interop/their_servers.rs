//! Matrix section 2: our `TelnetConnection` against their servers. Each test reads
//! until the server's prompt, makes a round trip with UTF-8 text, and checks what the
//! server saw of our terminal type, window size and environment (the servers print it,
//! or the program telnetd runs does), and that no negotiation repeats.

use std::net::{SocketAddr, TcpListener};
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use telnetlib::proto::Opt;
use telnetlib::{ClientBuilder, Error, TelnetConnection, TelnetServer};

use crate::harness::{
    Cell, DEADLINE, Proc, Tap, WAIT, free_port, poll_until, require, script, venv_python,
    wait_listening,
};

pub const GROUP: &str = "our client → their server";

/// What our client reports.
pub const TERM: &str = "xterm-interop";
pub const COLS: u16 = 111;
pub const ROWS: u16 = 33;
const DISPLAY: &str = "interop:5.0";
/// The line our client sends.
pub const LINE: &str = "héllo wörld ✓";

/// Our client as these tests configure it, before `connect`.
pub fn our_client_builder() -> ClientBuilder {
    TelnetConnection::builder()
        .connect_timeout(DEADLINE)
        .timeout(WAIT)
        .terminal_type(TERM)
        .window_size(COLS, ROWS)
        .env("INTEROP", "yes")
        .x_display(DISPLAY)
}

fn our_client(address: SocketAddr) -> TelnetConnection {
    our_client_builder()
        .connect(address)
        .expect("connect our client")
}

/// Connects, retrying while nothing listens yet (for servers that take exactly one
/// connection, which a probe would use up).
fn connect_when_up(address: SocketAddr) -> TelnetConnection {
    let start = Instant::now();
    loop {
        match TelnetConnection::builder()
            .connect_timeout(DEADLINE)
            .timeout(WAIT)
            .terminal_type(TERM)
            .window_size(COLS, ROWS)
            .connect(address)
        {
            Ok(conn) => return conn,
            Err(e) => assert!(start.elapsed() < DEADLINE, "connect to {address}: {e}"),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `KEY=value` facts from text the server sent.
pub fn seen(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|line| {
            // Some servers send NUL or stray CRs as data.
            let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\0');
            line.strip_prefix(&format!("{key}="))
        })
        .unwrap_or_else(|| panic!("the server did not report {key}: {text:?}"))
        .trim()
        .to_owned()
}

/// The Python servers print `LISTENING=1` once they accept connections. `options`
/// follow the address on the script's command line.
pub fn python_server(module: &str, peer_script: &str, options: &[&str]) -> (Proc, SocketAddr) {
    let python = venv_python(module);
    let port = free_port();
    let mut server = Proc::spawn(
        peer_script,
        Command::new(python)
            .arg(script(peer_script))
            .args(["127.0.0.1", &port.to_string()])
            .args(options),
    );
    server.wait_output("LISTENING=1");
    (server, SocketAddr::from(([127, 0, 0, 1], port)))
}

#[test]
fn telnetlib3_server_echo_shell() {
    let mut cell = Cell::new(
        "2a-telnetlib3-server-echo",
        GROUP,
        "telnetlib3 5.0.1 `create_server`, an echo shell",
        "server",
    );
    let (_server, address) = python_server("telnetlib3", "tl3_server.py", &[]);
    let tap = Tap::new(address);
    let conn = our_client(tap.addr());
    let report = conn.read_until_str("echo> ", WAIT).expect("the prompt");
    assert_eq!(seen(&report, "TERM"), TERM);
    assert_eq!(seen(&report, "cols"), COLS.to_string());
    assert_eq!(seen(&report, "rows"), ROWS.to_string());
    assert_eq!(seen(&report, "charset").to_ascii_uppercase(), "UTF-8");
    assert!(seen(&report, "LANG").ends_with("UTF-8"), "{report}");
    assert_eq!(seen(&report, "BINARY"), "True/True");
    assert_eq!(seen(&report, "ECHO"), "True");
    assert!(conn.remote_option(Opt::ECHO) && conn.local_option(Opt::BINARY));
    cell.note(format!(
        "server saw TERM {TERM}, {COLS}x{ROWS}, LANG {}, CHARSET {}, BINARY both ways, INTEROP={}",
        seen(&report, "LANG"),
        seen(&report, "charset"),
        seen(&report, "INTEROP")
    ));

    conn.write_str(&format!("{LINE}\n"), WAIT).unwrap();
    let echoed = conn.read_until_str("echo> ", WAIT).expect("the echo");
    assert!(echoed.contains(&format!("ECHO:{LINE}")), "{echoed:?}");
    cell.note("UTF-8 round trip ok");
    cell.note(tap.assert_no_loop(2));
}

#[test]
fn telnetlib3_server_default_shell() {
    let mut cell = Cell::new(
        "2b-telnetlib3-server-default",
        GROUP,
        "`telnetlib3-server` 5.0.1, its default shell",
        "server",
    );
    let cli = crate::harness::venv().join("bin/telnetlib3-server");
    venv_python("telnetlib3");
    let port = free_port();
    let _server = Proc::spawn(
        "telnetlib3-server",
        Command::new(cli).args(["127.0.0.1", &port.to_string(), "--connect-maxwait", "10"]),
    );
    let address = wait_listening(port);
    let tap = Tap::new(address);
    let conn = our_client(tap.addr());
    let banner = conn.read_until_str("tel:sh> ", WAIT).expect("the prompt");
    assert!(banner.contains("Ready."), "{banner:?}");
    conn.write_str("version\n", WAIT).unwrap();
    let version = conn.read_until_str("tel:sh> ", WAIT).expect("the answer");
    assert!(version.contains("5.0.1"), "{version:?}");
    // `writer` shows the server's view of the connection.
    conn.write_str("writer\n", WAIT).unwrap();
    let writer = conn.read_until_str("tel:sh> ", WAIT).expect("the answer");
    cell.note(format!(
        "`writer`: {}",
        writer.lines().nth(1).unwrap_or("").trim()
    ));
    assert!(conn.remote_option(Opt::ECHO) && conn.remote_option(Opt::SGA));
    cell.note("prompt, `version` round trip");
    cell.note(tap.assert_no_loop(2));
}

#[test]
fn miniboa_server() {
    let mut cell = Cell::new("2c-miniboa", GROUP, "miniboa 1.0.9 game loop", "server");
    let (_server, address) = python_server("miniboa", "miniboa_server.py", &[]);
    let tap = Tap::new(address);
    let conn = our_client(tap.addr());
    conn.read_until_str("boa> ", WAIT).expect("the prompt");
    conn.write_str(&format!("{LINE}\n"), WAIT).unwrap();
    let echoed = conn.read_until_str("boa> ", WAIT).expect("the echo");
    assert!(echoed.contains(&format!("ECHO:{LINE}")), "{echoed:?}");
    // Its answers to our TTYPE and NAWS may come after the first line: ask until set.
    let mut info = String::new();
    poll_until("miniboa to learn our terminal", || {
        conn.write_str("info\n", WAIT).unwrap();
        info = conn.read_until_str("boa> ", WAIT).expect("the answer");
        info.contains(&format!("COLS={COLS}"))
    });
    assert!(info.contains(&format!("TERM={TERM}")), "{info:?}");
    assert!(info.contains(&format!("ROWS={ROWS}")), "{info:?}");
    cell.note(format!(
        "server saw {}",
        info.lines().next().unwrap_or("").trim()
    ));
    cell.note("UTF-8 round trip ok");
    cell.note(tap.assert_no_loop(2));
}

/// A telnetd command whose own environment cannot leak into what the program
/// reports as coming from the client.
fn without_client_env(command: &mut Command) -> &mut Command {
    command
        .env_remove("TERM")
        .env_remove("DISPLAY")
        .env_remove("INTEROP")
}

/// Our client against a telnetd running `login.sh`, which prints the environment
/// telnetd gave it and the size of its pseudo-terminal, and echoes lines. `check`
/// looks at the program's first report.
fn against_login_sh(cell: &mut Cell, tap: &Tap, check: impl FnOnce(&str)) {
    let conn = our_client(tap.addr());
    let banner = conn.read_until_str("nologin> ", WAIT).expect("the prompt");
    check(&banner);
    conn.write_str(&format!("{LINE}\n"), WAIT).unwrap();
    let echoed = conn.read_until_str("nologin> ", WAIT).expect("the echo");
    assert!(echoed.contains(&format!("GOT={LINE}")), "{echoed:?}");
    // Our NAWS went before the line, so the pseudo-terminal has its size by now.
    conn.write_str("size\n", WAIT).unwrap();
    let size = conn.read_until_str("nologin> ", WAIT).expect("the size");
    assert_eq!(seen(&size, "SIZE"), format!("{ROWS} {COLS}"), "{size:?}");
    cell.note(format!(
        "program saw TERM={}, DISPLAY={}, INTEROP={}, stty size {ROWS} {COLS}; UTF-8 \
         round trip ok; ECHO {} SGA {} BINARY {}/{}",
        seen(&banner, "TERM"),
        seen(&banner, "DISPLAY"),
        seen(&banner, "INTEROP"),
        conn.remote_option(Opt::ECHO),
        conn.remote_option(Opt::SGA),
        conn.local_option(Opt::BINARY),
        conn.remote_option(Opt::BINARY)
    ));
    cell.note(tap.assert_no_loop(2));
}

/// busybox telnetd on a free port, running `login.sh`, once it listens.
pub fn start_busybox_telnetd() -> (Proc, SocketAddr) {
    let busybox = require("/bin/busybox", "busybox-static");
    let port = free_port();
    let login = script("login.sh");
    let server = Proc::spawn(
        "busybox telnetd",
        without_client_env(&mut Command::new(busybox)).args([
            "telnetd",
            "-F",
            "-b",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-l",
            login.to_str().unwrap(),
        ]),
    );
    (server, wait_listening(port))
}

#[test]
fn busybox_telnetd() {
    let mut cell = Cell::new(
        "2d-busybox-telnetd",
        GROUP,
        "busybox 1.35 telnetd (`busybox-static`)",
        "server",
    );
    let (_server, address) = start_busybox_telnetd();
    let tap = Tap::new(address);
    against_login_sh(&mut cell, &tap, |report| {
        // It never asks for TTYPE (nor the environment): the program inherits
        // telnetd's own TERM, here none.
        assert_eq!(seen(report, "TERM"), "", "{report:?}");
    });
}

/// inetutils telnetd has no listening mode: this plays inetd for one connection. The
/// address accepts it and runs telnetd (with `login.sh`) on the socket; the thread
/// returns the telnetd process.
pub fn inetutils_telnetd_once() -> (SocketAddr, std::thread::JoinHandle<Proc>) {
    let telnetd = require("/usr/sbin/telnetd", "inetutils-telnetd");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let login = script("login.sh");
    let acceptor = std::thread::spawn(move || {
        let (socket, _) = listener.accept().expect("accept for telnetd");
        let fd = OwnedFd::from(socket);
        Proc::spawn_with(
            "inetutils telnetd",
            without_client_env(&mut Command::new(telnetd))
                .args(["-h", "--accept-env=INTEROP", "-E", login.to_str().unwrap()])
                .stdin(Stdio::from(fd.try_clone().unwrap()))
                .stdout(Stdio::from(fd)),
        )
    });
    (address, acceptor)
}

#[test]
fn inetutils_telnetd() {
    let mut cell = Cell::new(
        "2e-inetutils-telnetd",
        GROUP,
        "GNU inetutils telnetd 2.4 (inetd style)",
        "server",
    );
    let (address, telnetd) = inetutils_telnetd_once();
    let tap = Tap::new(address);
    against_login_sh(&mut cell, &tap, |report| {
        assert_eq!(seen(report, "TERM"), TERM, "{report:?}");
        assert_eq!(seen(report, "DISPLAY"), DISPLAY, "{report:?}");
        assert_eq!(seen(report, "INTEROP"), "yes", "{report:?}");
    });
    let _server = telnetd.join().unwrap();
}

#[test]
fn libtelnet_proxy_in_front_of_our_server() {
    let mut cell = Cell::new(
        "2f-libtelnet-proxy",
        GROUP,
        "libtelnet 0.21 `telnet-proxy` → our server",
        "both (ours)",
    );
    let proxy = require("/usr/bin/telnet-proxy", "libtelnet-utils");
    let server = TelnetServer::builder()
        .connect_maxwait(Duration::from_secs(15))
        .timeout(WAIT)
        .bind("127.0.0.1:0")
        .unwrap();
    let port = free_port();
    // It logs what it decodes to stdout: line-buffer it to read the log as it goes.
    let mut proxy = Proc::spawn(
        "telnet-proxy",
        Command::new("stdbuf").arg("-oL").arg(proxy).args([
            "127.0.0.1",
            &server.local_addr().port().to_string(),
            &port.to_string(),
        ]),
    );
    let client = connect_when_up(SocketAddr::from(([127, 0, 0, 1], port)));
    let conn = loop {
        match server.accept(Some(Duration::from_millis(200))) {
            Ok(conn) => break conn,
            Err(Error::Timeout { .. }) => assert!(!proxy.exited(), "{}", proxy.output()),
            Err(e) => panic!("accept: {e}"),
        }
    };
    assert_eq!(conn.terminal_type(), TERM);
    assert_eq!((conn.columns(), conn.rows()), (COLS, ROWS));
    assert_eq!(conn.charset().as_deref(), Some("UTF-8"));
    assert!(conn.local_option(Opt::BINARY) && conn.remote_option(Opt::BINARY));
    conn.send("prompt> ").unwrap();
    if let Err(e) = client.read_until_str("prompt> ", Some(Duration::from_secs(3))) {
        panic!("{e}: proxy said {}", proxy.output());
    }
    client.write_str(&format!("{LINE}\n"), WAIT).unwrap();
    assert_eq!(conn.readline_str(WAIT).unwrap().trim_end(), LINE);
    // Our server edits lines while it echoes: the bytes arrive with the line's end.
    client.write_bytes(b"\xff\x00|\r\n", WAIT).unwrap();
    assert_eq!(conn.read_until(b"|", WAIT).unwrap(), b"\xff\x00|");
    // The proxy decodes what passes: it saw our terminal type.
    // Close the server side first: the proxy dies of SIGPIPE if it forwards to a
    // client that already left.
    conn.close();
    let log = proxy.wait_output("BOTH CONNECTIONS CLOSED");
    client.close();
    assert!(log.contains(&format!("TTYPE IS {TERM}")), "{log}");
    assert!(!log.contains("ERROR") && !log.contains("WARNING"), "{log}");
    cell.note(format!(
        "proxy decoded TTYPE IS {TERM}; our server saw {}x{}, charset UTF-8, BINARY; line and 0xFF through (proxy log {} lines)",
        conn.columns(),
        conn.rows(),
        log.lines().count()
    ));
}
