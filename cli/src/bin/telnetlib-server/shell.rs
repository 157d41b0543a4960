//! The built-in shells of `telnetlib-server`: `default` (a prompt with a few commands,
//! like telnetlib3-server's demo shell) and `echo`.

use telnetlib::ServerConnection;
use telnetlib::proto::{Command, Opt, Side};

const PROMPT: &str = "tel:sh> ";
const HELP: &str =
    "commands: help, quit, info, toggle [option|all], slc, linemode, version, dump [kb]";

/// The built-in shells (telnetlib3-server's `--shell module.function`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// A prompt with commands: help, quit, info, toggle, slc, linemode, version, dump.
    Default,
    /// Every line received is written back byte for byte.
    Echo,
}

/// `--shell`: a built-in shell by name, telnetlib3's own default shell by its
/// Python names; any other Python function is explained, not guessed at.
pub fn parse_shell(name: &str) -> Result<Shell, String> {
    match name {
        "default" | "telnet_server_shell" | "telnetlib3.telnet_server_shell" => Ok(Shell::Default),
        "echo" => Ok(Shell::Echo),
        other => Err(format!(
            "{other:?} is not a built-in shell (default, echo); a Python function cannot \
             run here: run a program with --exec PROGRAM or --pty-exec PROGRAM"
        )),
    }
}

/// Options `toggle` knows, by the names telnetlib3's shell uses.
const TOGGLES: [&str; 4] = ["echo", "outbinary", "inbinary", "goahead"];

/// One client's session of the default shell.
struct Session<'a> {
    client: &'a ServerConnection,
    goahead: bool,
}

impl Session<'_> {
    fn say(&self, text: &str) -> bool {
        self.client.send(&format!("{text}\n")).is_ok()
    }

    fn prompt(&self) -> bool {
        if self.client.send(PROMPT).is_err() {
            return false;
        }
        if self.goahead && !self.client.local_option(Opt::SGA) {
            return self.client.send_command(Command::Ga).is_ok();
        }
        true
    }

    /// The facts `info` prints, in a fixed order.
    fn info(&self) -> Vec<String> {
        let client = self.client;
        let names = |side| {
            let mut names: Vec<String> = (0..=255u8)
                .map(Opt)
                .filter(|&opt| client.option_state(side, opt).is_enabled())
                .map(|opt| opt.to_string())
                .collect();
            names.sort();
            names.join(" ")
        };
        let mut lines = vec![
            format!("peer: {}", client.addrport()),
            format!("terminal_type: {}", client.terminal_type()),
            format!("columns: {}", client.columns()),
            format!("rows: {}", client.rows()),
            format!("encoding: {}", client.encoding()),
            format!("binary_in: {}", client.remote_option(Opt::BINARY)),
            format!("binary_out: {}", client.local_option(Opt::BINARY)),
            format!("echo: {}", client.local_option(Opt::ECHO)),
            format!("sga: {}", client.local_option(Opt::SGA)),
            format!("local_options: {}", names(Side::Local)),
            format!("remote_options: {}", names(Side::Remote)),
        ];
        // Behind a load balancer (--proxy-protocol): the peer above is the client.
        if let Some(balancer) = client.balancer_addr() {
            lines.push(format!("balancer: {balancer}"));
        }
        for (name, value) in client.environment() {
            lines.push(format!("env.{name}: {value}"));
        }
        lines
    }

    fn toggle_state(&self, name: &str) -> bool {
        match name {
            "echo" => self.client.local_option(Opt::ECHO),
            "outbinary" => self.client.local_option(Opt::BINARY),
            "inbinary" => self.client.remote_option(Opt::BINARY),
            _ => self.goahead,
        }
    }

    fn toggle(&mut self, what: Option<&str>) -> Vec<String> {
        let chosen: Vec<&str> = match what {
            None => {
                return TOGGLES
                    .iter()
                    .map(|t| format!("{t} {}", on_off(self.toggle_state(t))))
                    .collect();
            }
            Some("all") => TOGGLES.to_vec(),
            Some(name) if TOGGLES.contains(&name) => vec![name],
            Some(name) => {
                return vec![format!(
                    "toggle: unknown option {name:?} ({})",
                    TOGGLES.join(", ")
                )];
            }
        };
        let mut lines = Vec::new();
        for name in chosen {
            let enable = !self.toggle_state(name);
            let outcome = match name {
                "echo" => self.client_request(Side::Local, Opt::ECHO, enable),
                "outbinary" => self.client_request(Side::Local, Opt::BINARY, enable),
                "inbinary" => self.client_request(Side::Remote, Opt::BINARY, enable),
                _ => {
                    self.goahead = enable;
                    Ok(())
                }
            };
            lines.push(match outcome {
                Ok(()) => format!(
                    "{name} {}",
                    if enable {
                        "requested on"
                    } else {
                        "requested off"
                    }
                ),
                Err(error) => format!("{name}: {error:#}"),
            });
        }
        lines
    }

    fn client_request(&self, side: Side, opt: Opt, enable: bool) -> Result<(), telnetlib::Error> {
        let outcome = match (side, enable) {
            (Side::Local, true) => self.client.request_will(opt),
            (Side::Local, false) => self.client.request_wont(opt),
            (Side::Remote, true) => self.client.request_do(opt),
            (Side::Remote, false) => self.client.request_dont(opt),
        };
        outcome.map(|_| ())
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// Writes `kb` KiB of printable text: lines of 62 characters ending in CR LF, in
/// 64 KiB writes so memory stays flat whatever the size.
fn dump(client: &ServerConnection, kb: usize) -> Result<(), telnetlib::Error> {
    const LINE: &[u8] = b"The quick brown fox jumps over the lazy dog 0123456789 abcdef\r\n";
    let mut left = kb * 1024;
    let block: Vec<u8> = LINE.iter().copied().cycle().take(64 * 1024).collect();
    while left > 0 {
        let take = left.min(block.len());
        client.write_bytes(&block[..take], None)?;
        left -= take;
    }
    client.send("\n")
}

/// telnetlib3-server's default shell: `Ready.`, then a prompt and one command a line.
pub fn default_shell(client: &ServerConnection, never_send_ga: bool) {
    let mut session = Session {
        client,
        goahead: !never_send_ga,
    };
    if !session.say("Ready.") || !session.prompt() {
        return;
    }
    while let Ok(line) = client.readline_str(None) {
        let line = line.trim();
        let (command, argument) = match line.split_once(char::is_whitespace) {
            Some((command, argument)) => (command, Some(argument.trim())),
            None => (line, None),
        };
        let output: Vec<String> = match command {
            "" => Vec::new(),
            "help" => vec![HELP.to_owned()],
            "quit" => {
                session.say("Goodbye.");
                let _ = client.flush_within(Some(std::time::Duration::from_secs(5)));
                return;
            }
            "info" => session.info(),
            "toggle" => session.toggle(argument),
            "slc" => {
                vec!["slc: LINEMODE is not negotiated; no special characters are set.".to_owned()]
            }
            "linemode" => {
                let mode = if client.local_option(Opt::ECHO) && client.local_option(Opt::SGA) {
                    "kludge"
                } else {
                    "local"
                };
                vec![format!("linemode: {mode}")]
            }
            "version" => vec![format!("telnetlib-server {}", env!("CARGO_PKG_VERSION"))],
            "dump" => match argument.map(str::parse::<usize>).unwrap_or(Ok(1)) {
                Ok(kb) => {
                    if dump(client, kb).is_err() {
                        return;
                    }
                    vec![format!("{kb} OK")]
                }
                Err(_) => vec!["dump: give a size in KiB".to_owned()],
            },
            _ => vec!["no such command.".to_owned()],
        };
        for line in output {
            if !session.say(&line) {
                return;
            }
        }
        if !session.prompt() {
            return;
        }
    }
}

/// The echo shell: each line received is written back byte for byte, then CR LF.
pub fn echo_shell(client: &ServerConnection) {
    while let Ok(line) = client.readline(None) {
        let end = line
            .iter()
            .rposition(|&b| b != b'\r' && b != b'\n')
            .map_or(0, |at| at + 1);
        let mut reply = line[..end].to_vec();
        reply.extend_from_slice(b"\r\n");
        if client.write_bytes(&reply, None).is_err() {
            return;
        }
    }
}
