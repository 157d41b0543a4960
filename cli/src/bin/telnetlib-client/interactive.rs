//! Interactive use on a terminal: raw mode, keys sent as typed while the server
//! performs ECHO or SGA (character mode, or always with `--raw-mode`), or edited and
//! echoed locally and sent a line at a time when it performs neither (line mode, or
//! always with `--line-mode`), the window size sent again on every resize, and
//! Ctrl-] for a small menu. What the terminal types is UTF-8; it is sent in the
//! session's encoding. The terminal is restored on every way out: the server
//! closing, `quit`, a signal, or a panic.

use std::io::{Read, Write};

use crossterm::terminal;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGWINCH};
use signal_hook::iterator::Signals;
use telnetlib::codec::TextDecoder;
use telnetlib::proto::{Command, Opt};
use telnetlib::{Error, TelnetConnection};

use crate::KeyMode;
use crate::enter::Enter;
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
pub fn run(conn: TelnetConnection, output: Output, mode: KeyMode, enter: Enter) -> i32 {
    if let Err(error) = terminal::enable_raw_mode() {
        eprintln!("telnetlib-client: cannot put the terminal in raw mode: {error:#}");
        return 1;
    }
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = terminal::disable_raw_mode();
        default_hook(info);
    }));
    watch_signals(conn.clone());
    let printer = conn.clone();
    std::thread::spawn(move || print_output(&printer, output));
    let mut keys = Keyboard {
        conn,
        line: String::new(),
        mode,
        chosen: mode,
        enter,
        typed: telnetlib::Encoding::UTF_8.decoder(),
    };
    keys.run()
}

/// Window changes resend NAWS; terminating signals restore the terminal first.
fn watch_signals(conn: TelnetConnection) {
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
    conn: TelnetConnection,
    /// The line being typed in line mode.
    line: String,
    mode: KeyMode,
    /// The mode the command line chose.
    chosen: KeyMode,
    /// What Enter sends.
    enter: Enter,
    /// Decodes the terminal's UTF-8, whose characters may come in pieces.
    typed: TextDecoder,
}

impl Keyboard {
    fn echo(&self, bytes: &[u8]) {
        let mut stdout = std::io::stdout();
        let _ = stdout.write_all(bytes);
        let _ = stdout.flush();
    }

    /// Control bytes and line ends, as they are.
    fn send(&self, bytes: &[u8]) {
        if let Err(error) = self.conn.write_bytes(bytes, None) {
            leave(1, &format!("telnetlib-client: {error:#}"));
        }
    }

    /// Typed text, in the session's encoding.
    fn send_text(&self, text: &str) {
        if let Err(error) = self.conn.write_str(text, None) {
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
            let mut keys = String::new();
            self.typed.decode(&buffer[..n], false, &mut keys);
            for key in keys.chars() {
                if key == char::from(ESCAPE) {
                    self.menu(&mut stdin);
                } else {
                    self.key(key);
                }
            }
        }
    }

    /// One typed character. Character mode (the server performs ECHO or SGA, or
    /// `--raw-mode`): sent at once, echoed locally only if the server does not echo
    /// and the mode is not forced raw. Line mode (neither, or `--line-mode`): edited
    /// and echoed locally, sent a line at a time.
    fn key(&mut self, key: char) {
        let server_echoes = self.conn.remote_option(Opt::ECHO);
        let character_mode = match self.mode {
            KeyMode::Raw => true,
            KeyMode::Line => false,
            KeyMode::Auto => server_echoes || self.conn.remote_option(Opt::SGA),
        };
        let echo_here = !server_echoes && self.mode != KeyMode::Raw;
        if character_mode && !key.is_ascii_control() {
            if echo_here {
                self.echo(key.encode_utf8(&mut [0; 4]).as_bytes());
            }
            self.send_text(key.encode_utf8(&mut [0; 4]));
            return;
        }
        // Control keys are ASCII: one byte each, the same in every encoding.
        let byte = key as u8;
        if character_mode {
            if byte == b'\r' {
                if echo_here {
                    self.echo(b"\r\n");
                }
                self.send(self.enter.bytes(&self.conn));
            } else {
                if echo_here {
                    self.echo(&[byte]);
                }
                self.send(&[byte]);
            }
            return;
        }
        match key {
            '\r' | '\n' => {
                self.echo(b"\r\n");
                let line = std::mem::take(&mut self.line);
                self.send_text(&line);
                self.send(self.enter.bytes(&self.conn));
            }
            '\x08' | '\x7f' => {
                if self.line.pop().is_some() {
                    self.echo(b"\x08 \x08");
                }
            }
            '\x03' => {
                self.line.clear();
                let _ = self.conn.send_command(Command::Ip);
            }
            _ => {
                self.line.push(key);
                self.echo(key.encode_utf8(&mut [0; 4]).as_bytes());
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
                let on = self.mode != KeyMode::Line;
                // Off again: back to what the command line chose (Auto when that
                // was --line-mode itself).
                self.mode = match (on, self.chosen) {
                    (true, _) => KeyMode::Line,
                    (false, KeyMode::Line) => KeyMode::Auto,
                    (false, chosen) => chosen,
                };
                let state = if on {
                    "forced on (line mode)"
                } else {
                    "follows the server"
                };
                self.echo(format!("local echo {state}\r\n").as_bytes());
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
