//! `telnetlib-server`: a Telnet server on the command line, mirroring
//! `telnetlib3-server`. Argument parsing and set-up only; the shells are in `shell.rs`.

mod pty;
mod shell;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use telnetlib::TelnetServer;

const PROGRAM: &str = "telnetlib-server";

/// A Telnet server: negotiates like telnetlib3-server and runs a small shell (or an
/// echo service) for each client, one thread per client.
#[derive(Debug, Parser)]
#[command(name = PROGRAM, version)]
struct Args {
    /// Address to listen on.
    #[arg(default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(default_value_t = 6023)]
    port: u16,
    /// What each client gets.
    #[arg(long, value_enum, default_value_t = Shell::Default)]
    shell: Shell,
    /// Text encoding (any WHATWG label, or an OEM code page such as cp437).
    #[arg(long, default_value = "utf8")]
    encoding: String,
    /// Treat both directions as BINARY (no CR LF translation, CR NUL kept).
    #[arg(long)]
    force_binary: bool,
    /// Line mode: never offer ECHO or SGA; the client edits and echoes lines itself.
    #[arg(long)]
    line_mode: bool,
    /// Longest wait for a client's negotiation before its shell starts, in seconds.
    #[arg(long, default_value_t = 1.5, value_name = "SECS")]
    connect_maxwait: f64,
    /// Close a client idle this long, in seconds (0: never).
    #[arg(long, default_value_t = 300.0, value_name = "SECS")]
    timeout: f64,
    /// Most clients at once; the next one is refused.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    max_connections: usize,
    /// Never send IAC GA after prompts.
    #[arg(long)]
    never_send_ga: bool,
    /// Serve TELNETS (TLS) with this PEM certificate chain (needs --ssl-keyfile).
    #[arg(long, value_name = "PATH", requires = "ssl_keyfile")]
    ssl_certfile: Option<PathBuf>,
    /// The PEM private key of --ssl-certfile.
    #[arg(long, value_name = "PATH", requires = "ssl_certfile")]
    ssl_keyfile: Option<PathBuf>,
    /// Offer MCCP2 and MCCP3 compression (zlib) to clients (never over TLS).
    #[arg(long, overrides_with = "no_compression")]
    compression: bool,
    /// Do not offer compression, and refuse it if asked (the default).
    #[arg(long, overrides_with = "compression")]
    no_compression: bool,
    /// Run PROGRAM on a pseudo-terminal for each client instead of a shell (arguments
    /// for it follow `--`).
    #[arg(long, value_name = "PROGRAM")]
    pty_exec: Option<String>,
    /// Arguments for the --pty-exec program.
    #[arg(last = true, value_name = "ARGS")]
    pty_args: Vec<String>,
    /// Log level: error, warn, info, debug or trace.
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    loglevel: String,
    /// Append the log to this file instead of standard error.
    #[arg(long, value_name = "FILE")]
    logfile: Option<PathBuf>,
}

/// The built-in shells (telnetlib3-server's `--shell module.function`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Shell {
    /// A prompt with commands: help, quit, info, toggle, slc, linemode, version, dump.
    Default,
    /// Every line received is written back byte for byte.
    Echo,
}

fn main() {
    let args: Args = telnetlib_cli::parse_or_exit(PROGRAM);
    telnetlib_cli::init_logging(PROGRAM, &args.loglevel, args.logfile.as_deref());
    let connect_maxwait = telnetlib_cli::seconds(args.connect_maxwait).unwrap_or_default();
    let mut builder = TelnetServer::builder();
    if let (Some(cert), Some(key)) = (&args.ssl_certfile, &args.ssl_keyfile) {
        match telnetlib::tls::server_config(cert, key) {
            Ok(config) => builder = builder.tls(config),
            Err(error) => {
                eprintln!("{PROGRAM}: {error:#}");
                std::process::exit(2);
            }
        }
    }
    let server = builder
        .encoding(telnetlib_cli::encoding_or_exit(PROGRAM, &args.encoding))
        .force_binary(args.force_binary)
        .line_mode(args.line_mode)
        // Under --pty-exec the terminal (or the program) echoes, not the server.
        .line_editing(args.pty_exec.is_none())
        .connect_maxwait(connect_maxwait)
        .idle_timeout(telnetlib_cli::seconds(args.timeout))
        .max_connections(args.max_connections)
        .never_send_ga(args.never_send_ga)
        .compression(args.compression && !args.no_compression)
        .bind((args.host.as_str(), args.port));
    let server = match server {
        Ok(server) => Arc::new(server),
        Err(error) => {
            eprintln!("{PROGRAM}: {error:#}");
            std::process::exit(1);
        }
    };
    log::info!("listening on {}", server.local_addr());
    let stopper = Arc::clone(&server);
    if let Err(error) = ctrlc::set_handler(move || {
        log::info!("stopping");
        stopper.shutdown();
    }) {
        log::warn!("cannot catch Ctrl-C: {error:#}");
    }
    let (shell, never_send_ga, line_mode) = (args.shell, args.never_send_ga, args.line_mode);
    let (pty_exec, pty_args) = (args.pty_exec, args.pty_args);
    let result = server.serve(move |client| {
        log::info!("connect {} ({})", client.addrport(), client.terminal_type());
        match (&pty_exec, shell) {
            (Some(program), _) => pty::pty_shell(&client, program, &pty_args, line_mode),
            (None, Shell::Default) => shell::default_shell(&client, never_send_ga),
            (None, Shell::Echo) => shell::echo_shell(&client),
        }
        log::info!("disconnect {}", client.addrport());
    });
    if let Err(error) = result {
        eprintln!("{PROGRAM}: {error:#}");
        std::process::exit(1);
    }
}
