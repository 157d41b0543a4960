//! `telnetlib-client`: a Telnet client on the command line, mirroring
//! `telnetlib3-client`. On a terminal it is interactive (`interactive.rs`); otherwise
//! it sends standard input and prints what the server says (`piped.rs`); with
//! `--exec` a program talks to the server (`exec.rs`). Argument parsing and set-up
//! are here.

mod enter;
mod exec;
mod interactive;
mod no_telnet;
mod output;
mod piped;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use enter::Enter;
use output::{EncodingErrors, Output};
use telnetlib::proto::Opt;
use telnetlib::tls::Roots;
use telnetlib::{Encoding, TelnetConnection, Want};
use telnetlib_cli::exec::Program;
use telnetlib_cli::logging::{self, FileMode, LogArgs};
use telnetlib_cli::warn_ignored;

const PROGRAM: &str = "telnetlib-client";

/// Exit status when the server closed the session.
pub const EXIT_SERVER_CLOSED: i32 = 0;
/// Exit status on an error: no connection, a broken session, a failed handshake.
pub const EXIT_ERROR: i32 = 1;
/// Exit status when standard input ended and the server then stayed quiet for
/// `--eof-wait`, so the client closed.
pub const EXIT_QUIET_AFTER_INPUT: i32 = 3;

const ABOUT: &str = "A Telnet client: negotiates as telnetlib3-client does (terminal type, \
window size, speed, environment, CHARSET, compression) and joins the session to your \
terminal, to a pipe, or to a program.";

const AFTER_HELP: &str = "\
Modes:
  interactive   standard input and output are a terminal: it is put in raw mode, keys go
                out as typed while the server echoes (character mode) or are edited and
                echoed here a line at a time when it does not (line mode; --line-mode
                and --raw-mode force one). The window size follows resizes.
  piped         otherwise: standard input is sent line by line, the server's text is
                printed. At the end of standard input the client waits for the server
                to close, or closes itself once the server has been quiet for
                --eof-wait seconds.
  --exec P      program P talks to the server: it reads what the server sends on its
                standard input and what it prints is sent. The session ends when it
                exits.
Text typed, piped or printed by a program is UTF-8 here and is sent in the session's
--encoding (following a CHARSET switch); the server's text is shown as UTF-8.

Escape key (interactive): Ctrl-] opens a menu: quit, ayt (are you there), brk (break),
ip (interrupt process), echo (force local echo on or off); Enter goes back.

Exit status: 0 the server closed the session; 1 an error (no connection, a failed TLS
handshake, a broken session); 2 bad arguments; 3 standard input ended and the server
stayed quiet for --eof-wait, so the client closed. With --exec: the program's status.

Examples:
  telnetlib-client localhost 6023
  telnetlib-client --encoding cp437 --force-binary bbs.example.org
  printf 'help\\nquit\\n' | telnetlib-client 127.0.0.1 6023
  telnetlib-client --exec ./bot.sh --ssl --ssl-cafile cert.pem mud.example.org 4000";

#[derive(Debug, Parser)]
#[command(name = PROGRAM, version, about = ABOUT, after_help = AFTER_HELP)]
struct Args {
    /// The server's host name or address.
    host: String,
    /// The server's port.
    #[arg(default_value_t = 23)]
    port: u16,
    /// Terminal type to report (default: $TERM, else "unknown").
    #[arg(long)]
    term: Option<String>,
    /// Text encoding (any WHATWG label, an OEM code page such as cp437, or atascii,
    /// petscii, atarist; these three turn on --force-binary, as in telnetlib3).
    #[arg(long, default_value = "utf8")]
    encoding: String,
    /// What to do with bytes invalid in the encoding.
    #[arg(long, value_enum, default_value_t = EncodingErrors::Replace)]
    encoding_errors: EncodingErrors,
    /// Force raw terminal mode: keys go out as typed and are never echoed here,
    /// whatever the server says about ECHO (still Telnet).
    #[arg(long, conflicts_with = "line_mode")]
    raw_mode: bool,
    /// Force line mode: lines are edited and echoed here, sent when Enter is pressed.
    #[arg(long)]
    line_mode: bool,
    /// No Telnet at all: bytes both ways as they are (a plain TCP connection).
    #[arg(long, conflicts_with_all = ["raw_mode", "line_mode", "exec"])]
    no_telnet: bool,
    /// Wait at least this long after connecting before sending input, in seconds.
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    connect_minwait: f64,
    /// Wait at most this long for our own option requests to be answered before
    /// sending input, in seconds.
    #[arg(long, default_value_t = 4.0, value_name = "SECS")]
    connect_maxwait: f64,
    /// After standard input ends (piped mode), close once the server has sent
    /// nothing for this long, in seconds (`inf`: wait for the server to close).
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    eof_wait: f64,
    /// Record everything the server shows in FILE.
    #[arg(long, value_name = "FILE")]
    typescript: Option<PathBuf>,
    /// Whether --typescript is appended to or rewritten.
    #[arg(long, value_enum, default_value_t = FileMode::Append, value_name = "MODE")]
    typescript_mode: FileMode,
    /// Treat both directions as BINARY (off unless given).
    #[arg(long)]
    force_binary: bool,
    /// Connect with TLS (TELNETS), checking the server's certificate against the
    /// system's roots and the host name.
    #[arg(long)]
    ssl: bool,
    /// Trust the certificates in this PEM file (a CA, or the server's self-signed
    /// certificate) instead of the system's (implies --ssl).
    #[arg(long, value_name = "PATH")]
    ssl_cafile: Option<PathBuf>,
    /// Do not check the server's certificate at all, for test rigs (implies --ssl).
    #[arg(long)]
    ssl_no_verify: bool,
    /// Ask for MCCP2 and MCCP3 compression (DO). Without --compression or
    /// --no-compression, the server's offers are accepted. Never over TLS.
    #[arg(long, overrides_with = "no_compression")]
    compression: bool,
    /// Refuse compression (answer the server's offers with DONT).
    #[arg(long, overrides_with = "compression")]
    no_compression: bool,
    /// GMCP modules to announce with Core.Supports.Set, e.g. "Char 1,Room 1"
    /// (replaces the built-in list).
    #[arg(long, value_name = "MODULES")]
    gmcp_modules: Option<String>,
    /// Terminal speed to report, in bits per second.
    #[arg(long, default_value_t = 38400)]
    speed: u32,
    /// Environment variables the client may reveal.
    #[arg(
        long,
        default_value = "TERM,LANG,COLUMNS,LINES,COLORTERM",
        value_name = "NAMES"
    )]
    send_environ: String,
    /// Seconds allowed for the TCP connection.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    connect_timeout: f64,
    /// Ask the server to perform these options (names or numbers, comma-separated,
    /// repeatable).
    #[arg(long, value_name = "OPTS")]
    always_do: Vec<String>,
    /// Refuse to let the server perform these options (repeatable).
    #[arg(long, value_name = "OPTS")]
    always_dont: Vec<String>,
    /// Offer to perform these options (repeatable).
    #[arg(long, value_name = "OPTS")]
    always_will: Vec<String>,
    /// Refuse to perform these options (repeatable).
    #[arg(long, value_name = "OPTS")]
    always_wont: Vec<String>,
    /// Run PROGRAM joined to the session: it reads what the server sends and what it
    /// prints is sent (arguments for it follow `--`).
    #[arg(long, value_name = "PROGRAM")]
    exec: Option<String>,
    /// Only telnetlib3's own client shell is known by this name; a program of your
    /// own runs with --exec.
    #[arg(long, value_name = "SHELL")]
    shell: Option<String>,
    /// Accepted for telnetlib3's command lines; keys go out as the terminal gives them.
    #[arg(long)]
    ansi_keys: bool,
    /// With ATASCII or PETSCII, Enter sends Telnet's CR LF rather than the
    /// encoding's own end of line (ATASCII 0x9B, PETSCII RETURN).
    #[arg(long)]
    ascii_eol: bool,
    /// Log level: debug, info, warning, error, critical (Python's names) or error,
    /// warn, info, debug, trace.
    #[arg(long, default_value = "warn", value_name = "LEVEL")]
    loglevel: String,
    #[command(flatten)]
    log: LogArgs,
    /// Arguments for the program of --exec.
    #[arg(last = true, value_name = "ARGS")]
    program_args: Vec<String>,
}

/// How the terminal's keys are handled in interactive mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// Character mode while the server echoes or suppresses go-ahead, else line mode.
    Auto,
    /// `--line-mode`.
    Line,
    /// `--raw-mode`.
    Raw,
}

/// The roots `--ssl`, `--ssl-cafile` and `--ssl-no-verify` ask for; `None` for plain
/// Telnet.
fn tls_roots(args: &Args) -> Option<Roots> {
    if args.ssl_no_verify {
        Some(Roots::NoVerify)
    } else if let Some(path) = &args.ssl_cafile {
        Some(Roots::PemFile(path.clone()))
    } else {
        args.ssl.then_some(Roots::System)
    }
}

fn options(lists: &[String]) -> Vec<Opt> {
    telnetlib_cli::parse_options(lists).unwrap_or_else(|error| {
        eprintln!("{PROGRAM}: {error:#}");
        std::process::exit(2);
    })
}

/// `--gmcp-modules "Char 1,Room 1"`: names with a version (1 when left out).
fn gmcp_modules(list: &str) -> Vec<(String, u32)> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.rsplit_once(char::is_whitespace) {
            Some((name, version)) => match version.parse() {
                Ok(version) => (name.trim().to_owned(), version),
                Err(_) => (item.to_owned(), 1),
            },
            None => (item.to_owned(), 1),
        })
        .collect()
}

/// The flags accepted from telnetlib3's command lines that do nothing here, each
/// with its one-line reason; `--shell` other than telnetlib3's own is an error.
fn check_telnetlib3_flags(args: &Args) {
    if args.ansi_keys {
        warn_ignored(
            PROGRAM,
            "--ansi-keys",
            "keys are sent as the terminal gives them (ANSI sequences), in every \
             encoding: the cursor keys of ATASCII and PETSCII are not sent",
        );
    }
    match args.shell.as_deref() {
        None | Some("telnet_client_shell" | "telnetlib3.telnet_client_shell") => {}
        Some(other) => {
            eprintln!(
                "{PROGRAM}: --shell {other}: a Python function cannot run here; run a \
                 program with --exec PROGRAM (it reads what the server sends and what it \
                 prints is sent)"
            );
            std::process::exit(2);
        }
    }
}

fn main() {
    let args: Args = telnetlib_cli::parse_or_exit(PROGRAM);
    logging::init(PROGRAM, &args.loglevel, &args.log);
    check_telnetlib3_flags(&args);
    let term = args
        .term
        .clone()
        .or_else(|| std::env::var("TERM").ok())
        .unwrap_or_else(|| "unknown".to_owned());
    let interactive =
        args.exec.is_none() && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if args.no_telnet {
        let timeout = telnetlib_cli::seconds(args.connect_timeout);
        std::process::exit(no_telnet::run(&args.host, args.port, timeout, interactive));
    }
    let typescript = args.typescript.as_ref().map(|path| {
        args.typescript_mode.open(path).unwrap_or_else(|error| {
            eprintln!("{PROGRAM}: cannot open {}: {error:#}", path.display());
            std::process::exit(2);
        })
    });
    let output = Output { typescript };
    let encoding = telnetlib_cli::encoding_or_exit(PROGRAM, &args.encoding);
    // Retro BBSes send their character sets over a binary stream.
    let retro = [Encoding::ATASCII, Encoding::PETSCII, Encoding::ATARI_ST].contains(&encoding);
    let enter = Enter::new(encoding, args.ascii_eol);
    let mut builder = TelnetConnection::builder()
        .terminal_type(&term)
        .encoding(encoding)
        .decode_errors(args.encoding_errors.into())
        .force_binary(args.force_binary || retro)
        .compression(!args.no_compression)
        .terminal_speed(args.speed, args.speed)
        .send_environ(args.send_environ.split(',').filter(|n| !n.is_empty()));
    if args.compression && !args.no_compression {
        builder = builder.always_do(Opt::MCCP2).always_do(Opt::MCCP3);
    }
    if let Some(list) = &args.gmcp_modules {
        let modules = gmcp_modules(list);
        let borrowed: Vec<(&str, u32)> = modules.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        builder = builder.gmcp_modules(Some(&borrowed));
    }
    if interactive {
        if let Ok((cols, rows)) = crossterm::terminal::size() {
            builder = builder.window_size(cols, rows);
        }
    }
    if let Some(timeout) = telnetlib_cli::seconds(args.connect_timeout) {
        builder = builder.connect_timeout(timeout);
    }
    if let Some(roots) = tls_roots(&args) {
        match telnetlib::tls::client_config(roots) {
            Ok(config) => builder = builder.tls(config, &args.host),
            Err(error) => {
                eprintln!("{PROGRAM}: {error:#}");
                std::process::exit(2);
            }
        }
    }
    for opt in options(&args.always_do) {
        builder = builder.always_do(opt);
    }
    for opt in options(&args.always_dont) {
        builder = builder.never_do(opt);
    }
    for opt in options(&args.always_will) {
        builder = builder.always_will(opt);
    }
    for opt in options(&args.always_wont) {
        builder = builder.never_will(opt);
    }
    let connected_at = Instant::now();
    let conn = match builder.connect((args.host.as_str(), args.port)) {
        Ok(conn) => conn,
        Err(error) => {
            eprintln!("{PROGRAM}: {error:#}");
            std::process::exit(EXIT_ERROR);
        }
    };

    // --connect-maxwait: give our own requests (--always-do/--always-will) time to be
    // answered; --connect-minwait: then wait out the minimum.
    let settled: Vec<Want> = (0..=255u8)
        .map(|code| Want::NotPending(Opt(code)))
        .collect();
    let _ = conn.wait_for(&settled, telnetlib_cli::seconds(args.connect_maxwait));
    if let Some(minimum) = telnetlib_cli::seconds(args.connect_minwait) {
        std::thread::sleep(minimum.saturating_sub(connected_at.elapsed()));
    }
    let status = if let Some(path) = &args.exec {
        let program = Program {
            path: path.clone(),
            args: args.program_args.clone(),
            env: Vec::new(),
        };
        exec::run(conn, &program)
    } else if interactive {
        let keys = match (args.line_mode, args.raw_mode) {
            (true, _) => KeyMode::Line,
            (_, true) => KeyMode::Raw,
            _ => KeyMode::Auto,
        };
        interactive::run(conn, output, keys, enter)
    } else {
        piped::run(conn, output, args.eof_wait, enter)
    };
    std::process::exit(status);
}
