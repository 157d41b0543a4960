//! `telnetlib-server`: a Telnet server on the command line, mirroring
//! `telnetlib3-server`. Argument parsing and set-up only; what each client gets is in
//! `shell.rs` (the built-in shells), `pty.rs` (`--pty-exec`), `exec.rs` (`--exec`) and
//! `serial.rs` (`--serial`).

mod exec;
mod pty;
mod serial;
mod shell;
mod status;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clap::Parser;
use telnetlib::{Encoding, ServerConnection, TelnetServer};
use telnetlib_cli::exec::Program;
use telnetlib_cli::logging::{self, LogArgs};
use telnetlib_cli::warn_ignored;

const PROGRAM: &str = "telnetlib-server";

const ABOUT: &str = "A Telnet server: negotiates as telnetlib3-server does (terminal type, \
window size, environment, CHARSET, BINARY, ECHO and SGA) and gives each client a shell \
of its own, one thread per client.";

const AFTER_HELP: &str = "\
What each client gets:
  default shell   a prompt with the commands help, quit, info, toggle, slc, linemode,
                  version and dump
  --shell echo    every line sent back as it came
  --pty-exec P    program P on a pseudo-terminal of its own (sized by NAWS, TERM from
                  the terminal type), for full-screen programs and login shells
  --exec P        program P joined by pipes, inetd style: each line the client types
                  goes to its standard input, what it prints goes to the client
  --serial DEV    serial device DEV (a tty, or a pty) with RFC 2217, as ser2net: the
                  client sets its speed, framing and flow control; one client at a time

Arguments after `--` go to the program of --pty-exec or --exec. The server runs until
interrupted (Ctrl-C or SIGTERM), then closes every session.

Exit status: 0 after an interrupt, 1 when the address cannot be bound, 2 for bad
arguments.

Examples:
  telnetlib-server                               # 127.0.0.1:6023, the default shell
  telnetlib-server 0.0.0.0 2323 --pty-exec /bin/bash -- --login
  telnetlib-server --exec examples/wargame.sh
  telnetlib-server --ssl-certfile cert.pem --ssl-keyfile key.pem --tls-auto";

#[derive(Debug, Parser)]
#[command(name = PROGRAM, version, about = ABOUT, after_help = AFTER_HELP)]
struct Args {
    /// Address to listen on.
    #[arg(default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(default_value_t = 6023)]
    port: u16,
    /// What each client gets: `default` (a small command shell) or `echo`
    /// (telnetlib3's `telnet_server_shell` is `default`; to run a program of your
    /// own, use --exec or --pty-exec).
    #[arg(long, default_value = "default", value_parser = shell::parse_shell)]
    shell: shell::Shell,
    /// Text encoding (any WHATWG label, or an OEM code page such as cp437), or
    /// `false` for bytes as they come (no decoding, no CHARSET, BINARY both ways).
    #[arg(long, default_value = "utf8")]
    encoding: String,
    /// Treat both directions as BINARY (no CR LF translation, CR NUL kept).
    #[arg(long)]
    force_binary: bool,
    /// Line mode: never offer ECHO or SGA; the client edits and echoes lines itself
    /// (with --pty-exec, the terminal is cooked).
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
    /// TLS and plain Telnet on one port: a client whose first byte starts a TLS
    /// handshake gets TLS, any other (or one silent for SECS, default 0.5) plain
    /// Telnet (needs --ssl-certfile).
    #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "0.5",
          requires = "ssl_certfile")]
    tls_auto: Option<f64>,
    /// Bridge a serial device (a tty, or one end of a pty pair) to one client at a
    /// time, with RFC 2217 (COM-PORT-OPTION) so that it sets the line (speed, framing,
    /// flow control, DTR, RTS, BREAK) and hears of the modem lines, as ser2net does.
    #[arg(long, value_name = "DEVICE", conflicts_with_all = ["pty_exec", "exec"])]
    serial: Option<PathBuf>,
    /// Behind a load balancer (HAProxy's send-proxy or send-proxy-v2): every
    /// connection starts with a PROXY header (v1 or v2) naming the real client, whose
    /// address the logs, `info` and the programs' IPADDRESS show. Health checks
    /// (a v2 LOCAL header, or a connect and close) are served quietly.
    #[arg(long)]
    proxy_protocol: bool,
    /// Take PROXY headers only from this network (a CIDR block such as 10.0.0.0/8,
    /// or one address; repeatable); connections from anywhere else are refused.
    /// Implies --proxy-protocol.
    #[arg(long, value_name = "CIDR")]
    proxy_from: Vec<String>,
    /// Offer MCCP2 and MCCP3 compression (zlib). Without --compression or
    /// --no-compression, a client that asks for it gets it but it is not offered.
    /// Never over TLS.
    #[arg(long, overrides_with = "no_compression")]
    compression: bool,
    /// Refuse compression, even when a client asks.
    #[arg(long, overrides_with = "compression")]
    no_compression: bool,
    /// Run PROGRAM on a pseudo-terminal for each client instead of a shell.
    #[arg(long, value_name = "PROGRAM", conflicts_with = "exec")]
    pty_exec: Option<String>,
    /// Run PROGRAM for each client with its standard input and output joined to the
    /// session by pipes (inetd style), with TERM, COLUMNS, LINES, IPADDRESS and
    /// REMOTE_PORT in its environment.
    #[arg(long, value_name = "PROGRAM")]
    exec: Option<String>,
    /// At most N programs of --pty-exec or --exec at once (0: no limit); a client
    /// beyond it is told the machine is busy and closed.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pty_fork_limit: usize,
    /// Accepted for telnetlib3's command lines: the pty is raw unless --line-mode.
    #[arg(long, hide = true)]
    pty_raw: bool,
    /// Not provided (telnetlib3: reject clients that do not answer a cursor position
    /// report); accepted with a warning.
    #[arg(long)]
    robot_check: bool,
    /// Log the number of clients every SECS seconds when it has changed (0: never).
    #[arg(long, default_value_t = 20.0, value_name = "SECS")]
    status_interval: f64,
    /// Log level: debug, info, warning, error, critical (Python's names) or error,
    /// warn, info, debug, trace.
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    loglevel: String,
    #[command(flatten)]
    log: LogArgs,
    /// Arguments for the program of --pty-exec or --exec.
    #[arg(last = true, value_name = "ARGS")]
    program_args: Vec<String>,
}

/// What each client is served with.
enum Service {
    Shell(shell::Shell),
    Pty(Program),
    Exec(Program),
    Serial(PathBuf),
}

/// `--encoding`: an encoding, or bytes as they come (`false`), as x-user-defined
/// (each byte above 0x7F one private-use character), which round-trips every byte.
fn encoding(label: &str) -> (Encoding, bool) {
    match label {
        "false" | "False" => (
            telnetlib_cli::encoding_or_exit(PROGRAM, "x-user-defined"),
            true,
        ),
        label => (telnetlib_cli::encoding_or_exit(PROGRAM, label), false),
    }
}

fn main() {
    let args: Args = telnetlib_cli::parse_or_exit(PROGRAM);
    logging::init(PROGRAM, &args.loglevel, &args.log);
    if args.robot_check {
        warn_ignored(
            PROGRAM,
            "--robot-check",
            "not provided: while the server performs ECHO it echoes input itself, so the \
             cursor position report a terminal answers with would be written back to it",
        );
    }
    let connect_maxwait = telnetlib_cli::seconds(args.connect_maxwait).unwrap_or_default();
    let (encoding, bytes) = encoding(&args.encoding);
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
    if let Some(wait) = args.tls_auto {
        builder = builder.tls_auto(Duration::from_secs_f64(wait.clamp(0.0, 60.0)));
    }
    builder = builder.proxy_protocol(args.proxy_protocol);
    for network in &args.proxy_from {
        builder = builder.proxy_from(network);
    }
    builder = match (args.compression, args.no_compression) {
        (true, _) => builder.compression(true),
        (_, true) => builder.compression(false),
        _ => builder.accept_compression(true),
    };
    let service = match (&args.pty_exec, &args.exec, &args.serial) {
        (Some(path), _, _) => Service::Pty(program(path, &args.program_args)),
        (None, Some(path), _) => Service::Exec(program(path, &args.program_args)),
        (None, None, Some(device)) => Service::Serial(device.clone()),
        (None, None, None) => Service::Shell(args.shell),
    };
    // A serial console's bytes pass as they are; the device echoes and edits.
    let serial = matches!(service, Service::Serial(_));
    let server = builder
        .encoding(encoding)
        .force_binary(args.force_binary || bytes || serial)
        .com_port(serial)
        .offer_charset(!bytes)
        .line_mode(args.line_mode)
        // Under --pty-exec the terminal (or the program) echoes, not the server.
        .line_editing(!matches!(service, Service::Pty(_) | Service::Serial(_)))
        .connect_maxwait(connect_maxwait)
        .idle_timeout(telnetlib_cli::seconds(args.timeout))
        .max_connections(args.max_connections)
        .never_send_ga(args.never_send_ga)
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
    let clients = Arc::new(AtomicUsize::new(0));
    if let Some(interval) = telnetlib_cli::seconds(args.status_interval) {
        status::log_every(interval, Arc::clone(&clients));
    }
    let programs = Arc::new(AtomicUsize::new(0));
    let (never_send_ga, line_mode, fork_limit) =
        (args.never_send_ga, args.line_mode, args.pty_fork_limit);
    let result = server.serve(move |client| {
        log::info!("connect {} ({})", client.addrport(), client.terminal_type());
        clients.fetch_add(1, Ordering::SeqCst);
        match &service {
            Service::Shell(shell::Shell::Default) => shell::default_shell(&client, never_send_ga),
            Service::Shell(shell::Shell::Echo) => shell::echo_shell(&client),
            Service::Serial(device) => serial::serial_bridge(&client, device),
            Service::Pty(program) | Service::Exec(program) => {
                let _slot = match Slot::take(&programs, fork_limit) {
                    Some(slot) => slot,
                    None => return busy(&client, &clients),
                };
                match &service {
                    Service::Pty(program) => pty::pty_shell(&client, program, line_mode),
                    _ => exec::exec_shell(&client, program, bytes),
                }
            }
        }
        clients.fetch_sub(1, Ordering::SeqCst);
        log::info!("disconnect {}", client.addrport());
    });
    if let Err(error) = result {
        eprintln!("{PROGRAM}: {error:#}");
        std::process::exit(1);
    }
}

fn program(path: &str, args: &[String]) -> Program {
    Program {
        path: path.to_owned(),
        args: args.to_vec(),
        env: Vec::new(),
    }
}

/// One of `--pty-fork-limit`'s places, given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(running: &Arc<AtomicUsize>, limit: usize) -> Option<Slot> {
        let taken = running.fetch_add(1, Ordering::SeqCst);
        if limit > 0 && taken >= limit {
            running.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Slot(Arc::clone(running)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A client beyond `--pty-fork-limit`: told so and closed.
fn busy(client: &ServerConnection, clients: &AtomicUsize) {
    log::info!("{}: --pty-fork-limit reached; refusing", client.addrport());
    let _ = client.send("Machine is busy; try again later.\n");
    let _ = client.flush_within(Some(Duration::from_secs(2)));
    clients.fetch_sub(1, Ordering::SeqCst);
    log::info!("disconnect {}", client.addrport());
}
