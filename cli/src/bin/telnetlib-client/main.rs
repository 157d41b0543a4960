//! `telnetlib-client`: a Telnet client on the command line, mirroring
//! `telnetlib3-client`. On a terminal it is interactive (`interactive.rs`); otherwise
//! it sends standard input line by line and prints what the server says
//! (`scripted.rs`).

mod interactive;
mod output;
mod raw;
mod scripted;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use output::{EncodingErrors, Output};
use telnetlib::proto::Opt;
use telnetlib::tls::Roots;
use telnetlib::{TelnetConnection, Want};

const PROGRAM: &str = "telnetlib-client";

/// A Telnet client: negotiates like telnetlib3-client. On a terminal it runs in raw
/// mode (Ctrl-] opens a menu); otherwise it sends standard input line by line and
/// prints what the server sends.
#[derive(Debug, Parser)]
#[command(name = PROGRAM, version)]
struct Args {
    /// The server's host name or address.
    host: String,
    /// The server's port.
    #[arg(default_value_t = 23)]
    port: u16,
    /// Terminal type to report (default: $TERM, else "unknown").
    #[arg(long)]
    term: Option<String>,
    /// Text encoding (any WHATWG label, or an OEM code page such as cp437).
    #[arg(long, default_value = "utf8")]
    encoding: String,
    /// What to do with bytes invalid in the encoding.
    #[arg(long, value_enum, default_value_t = EncodingErrors::Replace)]
    encoding_errors: EncodingErrors,
    /// No Telnet at all: bytes both ways as they are.
    #[arg(long, conflicts_with = "line_mode")]
    raw_mode: bool,
    /// Always edit and echo lines locally, whatever the server says about ECHO.
    #[arg(long)]
    line_mode: bool,
    /// Wait at least this long after connecting before sending input, in seconds.
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    connect_minwait: f64,
    /// Wait at most this long for our own option requests to be answered before
    /// sending input, in seconds.
    #[arg(long, default_value_t = 4.0, value_name = "SECS")]
    connect_maxwait: f64,
    /// Record everything the server shows in FILE (appended).
    #[arg(long, value_name = "FILE")]
    typescript: Option<PathBuf>,
    /// Treat both directions as BINARY (off unless given).
    #[arg(long)]
    force_binary: bool,
    /// Connect with TLS (TELNETS), checking the server's certificate against the
    /// system's roots and the host name.
    #[arg(long)]
    ssl: bool,
    /// Trust the certificates in this PEM file instead of the system's (implies --ssl).
    #[arg(long, value_name = "PATH")]
    ssl_cafile: Option<PathBuf>,
    /// Do not check the server's certificate at all, for test rigs (implies --ssl).
    #[arg(long)]
    ssl_no_verify: bool,
    /// Accept MCCP2 and MCCP3 compression when the server offers it (the default;
    /// never over TLS).
    #[arg(long, overrides_with = "no_compression")]
    compression: bool,
    /// Refuse compression (answer the server's offers with DONT).
    #[arg(long, overrides_with = "compression")]
    no_compression: bool,
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
    /// Ask the server to perform these options (names or numbers, comma-separated).
    #[arg(long, value_name = "OPTS")]
    always_do: Option<String>,
    /// Refuse to let the server perform these options.
    #[arg(long, value_name = "OPTS")]
    always_dont: Option<String>,
    /// Offer to perform these options.
    #[arg(long, value_name = "OPTS")]
    always_will: Option<String>,
    /// Refuse to perform these options.
    #[arg(long, value_name = "OPTS")]
    always_wont: Option<String>,
    /// Log level: error, warn, info, debug or trace.
    #[arg(long, default_value = "warn", value_name = "LEVEL")]
    loglevel: String,
    /// Append the log to this file instead of standard error.
    #[arg(long, value_name = "FILE")]
    logfile: Option<PathBuf>,
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

fn options(list: &Option<String>) -> Vec<Opt> {
    let Some(list) = list else { return Vec::new() };
    telnetlib_cli::parse_options(list).unwrap_or_else(|error| {
        eprintln!("{PROGRAM}: {error:#}");
        std::process::exit(2);
    })
}

fn main() {
    let args: Args = telnetlib_cli::parse_or_exit(PROGRAM);
    telnetlib_cli::init_logging(PROGRAM, &args.loglevel, args.logfile.as_deref());
    let term = args
        .term
        .clone()
        .or_else(|| std::env::var("TERM").ok())
        .unwrap_or_else(|| "unknown".to_owned());
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if args.raw_mode {
        let timeout = telnetlib_cli::seconds(args.connect_timeout);
        std::process::exit(raw::run(&args.host, args.port, timeout, interactive));
    }
    let typescript = args.typescript.as_ref().map(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|error| {
                eprintln!("{PROGRAM}: cannot open {}: {error:#}", path.display());
                std::process::exit(2);
            })
    });
    let output = Output {
        errors: args.encoding_errors,
        typescript,
    };
    let mut builder = TelnetConnection::builder()
        .terminal_type(&term)
        .encoding(telnetlib_cli::encoding_or_exit(PROGRAM, &args.encoding))
        .force_binary(args.force_binary)
        .compression(!args.no_compression)
        .terminal_speed(args.speed, args.speed)
        .send_environ(args.send_environ.split(',').filter(|n| !n.is_empty()));
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
        Ok(conn) => Arc::new(conn),
        Err(error) => {
            eprintln!("{PROGRAM}: {error:#}");
            std::process::exit(1);
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
    let status = if interactive {
        interactive::run(conn, output, args.line_mode)
    } else {
        scripted::run(&conn, output)
    };
    std::process::exit(status);
}
