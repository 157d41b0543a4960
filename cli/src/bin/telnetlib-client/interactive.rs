//! Interactive use on a terminal: raw mode, keys sent as typed while the server
//! performs ECHO or SGA (character mode), or edited and echoed locally and sent a line
//! at a time when it performs neither (line mode), the window size sent again on every resize, and Ctrl-]
//! for a small menu. The terminal is restored on every way out: the server closing,
//! `quit`, a signal, or a panic.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::terminal;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGWINCH};
use signal_hook::iterator::Signals;
use telnetlib::proto::{Command, Opt};
use telnetlib::{Error, TelnetConnection};

use crate::output::Output;

/// The escape character, Ctrl-].
const ESCAPE: u8 = 0x1d;
const MENU: &str = "telnetlib> ";
const MENU_HELP: &str = "quit, ayt, brk, ip, echo (toggle local echo), or Enter to go back";

/// Leaves raw mode and exits.
fn leave(status: i32, message: &str) -> ! {
    let _ = terminal::disable_raw_mode();
    if !message.is_empty() {
        let mut stdout = std::io::stdout();
        let _ = write!(stdout, "\r\n{message}\r\n");
        let _ = stdout.flush();
    }
    std::process::exit(status);
}

/// Runs until the server closes or the user quits; returns the exit status.
pub fn run(conn: Arc<TelnetConnection>, output: Output, line_mode: bool) -> i32 {
    if let Err(error) = terminal::enable_raw_mode() {
        eprintln!("telnetlib-client: cannot put the terminal in raw mode: {error:#}");
        return 1;
    }
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = terminal::disable_raw_mode();
        default_hook(info);
    }));
    watch_signals(Arc::clone(&conn));
    let printer = Arc::clone(&conn);
    std::thread::spawn(move || print_output(&printer, output));
    let mut keys = Keyboard {
        conn,
        line: Vec::new(),
        force_local_echo: AtomicBool::new(line_mode),
    };
    keys.run()
}

/// Window changes resend NAWS; terminating signals restore the terminal first.
fn watch_signals(conn: Arc<TelnetConnection>) {
    let Ok(mut signals) = Signals::new([SIGWINCH, SIGTERM, SIGHUP, SIGINT]) else {
        return;
    };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if signal == SIGWINCH {
                if let Ok((cols, rows)) = terminal::size() {
                    let _ = conn.set_window_size(cols, rows);
                }
            } else {
                conn.close();
                leave(1, "telnetlib-client: terminated");
            }
        }
    });
}

/// The server's output to the terminal, until it closes.
fn print_output(conn: &TelnetConnection, mut output: Output) {
    loop {
        match conn.read_some_str(None) {
            Ok(text) => {
                if let Err(error) = output.show(&text) {
                    conn.close();
                    leave(1, &format!("telnetlib-client: {error:#}"));
                }
            }
            Err(Error::Eof { .. }) => leave(0, "Connection closed by foreign host."),
            Err(Error::Closed { .. }) => return,
            Err(error) => leave(1, &format!("telnetlib-client: {error:#}")),
        }
    }
}

struct Keyboard {
    conn: Arc<TelnetConnection>,
    /// The line being typed in line mode.
    line: Vec<u8>,
    force_local_echo: AtomicBool,
}

impl Keyboard {
    fn echo(&self, bytes: &[u8]) {
        let mut stdout = std::io::stdout();
        let _ = stdout.write_all(bytes);
        let _ = stdout.flush();
    }

    fn send(&self, bytes: &[u8]) {
        if let Err(error) = self.conn.write_bytes(bytes, None) {
            leave(1, &format!("telnetlib-client: {error:#}"));
        }
    }

    fn run(&mut self) -> i32 {
        let mut stdin = std::io::stdin().lock();
        let mut buffer = [0u8; 1024];
        loop {
            let n = match stdin.read(&mut buffer) {
                Ok(0) | Err(_) => {
                    self.conn.close();
                    leave(0, "");
                }
                Ok(n) => n,
            };
            for &byte in &buffer[..n] {
                if byte == ESCAPE {
                    self.menu(&mut stdin);
                } else {
                    self.key(byte);
                }
            }
        }
    }

    /// One typed byte. Character mode (the server performs ECHO or SGA): sent at once,
    /// echoed locally only if the server does not echo. Line mode (neither, or
    /// `--line-mode`): edited and echoed locally, sent a line at a time.
    fn key(&mut self, byte: u8) {
        let forced_line_mode = self.force_local_echo.load(Ordering::Relaxed);
        let server_echoes = self.conn.remote_option(Opt::ECHO);
        let character_mode = server_echoes || self.conn.remote_option(Opt::SGA);
        if character_mode && !forced_line_mode {
            let bytes: &[u8] = if byte == b'\r' {
                b"\r\n"
            } else {
                std::slice::from_ref(&byte)
            };
            if !server_echoes {
                self.echo(bytes);
            }
            // Enter is CR LF in NVT. In BINARY there is no newline rule and telnetd
            // hands the bytes to its pty as they are (two line ends): send a bare CR,
            // as BSD telnet does.
            let binary = self.conn.local_option(Opt::BINARY);
            self.send(if byte == b'\r' && binary {
                b"\r"
            } else {
                bytes
            });
            return;
        }
        match byte {
            b'\r' | b'\n' => {
                self.echo(b"\r\n");
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(b"\r\n");
                self.send(&line);
            }
            0x08 | 0x7f => {
                if self.line.pop().is_some() {
                    self.echo(b"\x08 \x08");
                }
            }
            0x03 => {
                self.line.clear();
                let _ = self.conn.send_command(Command::Ip);
            }
            _ => {
                self.line.push(byte);
                self.echo(&[byte]);
            }
        }
    }

    /// The Ctrl-] menu.
    fn menu(&mut self, stdin: &mut impl Read) {
        self.echo(format!("\r\n{MENU}").as_bytes());
        let mut command = Vec::new();
        let mut byte = [0u8; 1];
        while stdin.read(&mut byte).is_ok_and(|n| n == 1) && byte[0] != b'\r' && byte[0] != b'\n' {
            if matches!(byte[0], 0x08 | 0x7f) {
                if command.pop().is_some() {
                    self.echo(b"\x08 \x08");
                }
            } else {
                command.push(byte[0]);
                self.echo(&byte);
            }
        }
        self.echo(b"\r\n");
        let sent = match String::from_utf8_lossy(&command).trim() {
            "" => Ok(()),
            "quit" | "q" => {
                self.conn.close();
                leave(0, "");
            }
            "ayt" => self.conn.send_command(Command::Ayt),
            "brk" => self.conn.send_command(Command::Brk),
            "ip" => self.conn.send_command(Command::Ip),
            "echo" => {
                let on = !self.force_local_echo.load(Ordering::Relaxed);
                self.force_local_echo.store(on, Ordering::Relaxed);
                self.echo(
                    format!(
                        "local echo {}\r\n",
                        if on {
                            "forced on"
                        } else {
                            "follows the server"
                        }
                    )
                    .as_bytes(),
                );
                Ok(())
            }
            _ => {
                self.echo(format!("{MENU_HELP}\r\n").as_bytes());
                Ok(())
            }
        };
        if let Err(error) = sent {
            self.echo(format!("{error}\r\n").as_bytes());
        }
    }
}
