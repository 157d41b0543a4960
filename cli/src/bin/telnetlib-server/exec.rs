//! `--exec PROGRAM [-- ARGS]`: each client gets PROGRAM joined by pipes, inetd
//! style. Each line the client types (edited and echoed by the server) reaches the
//! program's standard input ending in LF; what the program prints reaches the client
//! in the session's encoding, LF as CR LF. With `--encoding false`, bytes pass both
//! ways as they are. The session ends when the program exits.

use std::time::Duration;

use telnetlib::ServerConnection;
use telnetlib_cli::exec::{self, Program};

/// Serves one client with `program`.
pub fn exec_shell(client: &ServerConnection, program: &Program, bytes: bool) {
    let mut program = program.clone();
    program.env.extend([
        ("TERM".to_owned(), client.terminal_type()),
        ("COLUMNS".to_owned(), client.columns().to_string()),
        ("LINES".to_owned(), client.rows().to_string()),
        ("IPADDRESS".to_owned(), client.address()),
        ("REMOTE_PORT".to_owned(), client.port().to_string()),
    ]);
    let sender = client.clone();
    // The program's output is UTF-8, possibly cut inside a character.
    let mut decoder = telnetlib::Encoding::UTF_8.decoder();
    let to_peer = move |data: &[u8]| match bytes {
        true => sender.send_bytes(data).is_ok(),
        false => {
            let mut text = String::new();
            decoder.decode(data, false, &mut text);
            sender.send(&text).is_ok()
        }
    };
    let closer = client.clone();
    let program_done = move || {
        let _ = closer.flush_within(Some(Duration::from_secs(5)));
        closer.close();
    };
    let from_peer = || match bytes {
        true => client.read_some(None).ok(),
        false => client.readline_str(None).ok().map(|line| {
            let mut line = line.trim_end_matches(['\r', '\n']).to_owned();
            line.push('\n');
            line.into_bytes()
        }),
    };
    match exec::run(&program, from_peer, to_peer, program_done) {
        Ok(status) => log::info!("{}: {} ended: {status}", client.addrport(), program.path),
        Err(error) => {
            log::warn!(
                "{}: cannot run {}: {error:#}",
                client.addrport(),
                program.path
            );
            let _ = client.send(&format!("cannot run {}: {error}\n", program.path));
            let _ = client.flush_within(Some(Duration::from_secs(2)));
        }
    }
}
