//! `--pty-exec PROGRAM [-- ARGS...]`: each client gets PROGRAM on a pseudo-terminal of
//! its own, sized from NAWS (and resized on every update), with TERM from TTYPE. The
//! terminal is raw by default (`stty -icanon -echo`, telnetlib3's raw mode: the
//! program reads keys as typed and draws what it wants; CR still ends a line) and
//! cooked without echo with `--line-mode` (the client echoes and edits lines). The
//! child is killed and reaped when the client leaves, and the client is closed when
//! the child exits.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use telnetlib::ServerConnection;
use telnetlib::proto::{Opt, OwnedEvent, naws};
use telnetlib_cli::exec::Program;

fn size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

/// Serves one client with PROGRAM on a pseudo-terminal.
pub fn pty_shell(client: &ServerConnection, program: &Program, line_mode: bool) {
    let (program, args) = (&program.path, &program.args);
    if let Err(error) = run(client, program, args, line_mode) {
        log::warn!("{}: cannot run {program}: {error:#}", client.addrport());
        let _ = client.send(&format!("cannot run {program}: {error}\n"));
        let _ = client.flush_within(Some(std::time::Duration::from_secs(2)));
    }
}

fn run(
    client: &ServerConnection,
    program: &str,
    args: &[String],
    line_mode: bool,
) -> Result<(), String> {
    let pair = native_pty_system()
        .openpty(size(client.columns(), client.rows()))
        .map_err(|e| e.to_string())?;
    // The terminal mode is set by stty in the child before it becomes PROGRAM. "Raw"
    // is telnetlib3's: no echo and no line editing, but CR still maps to NL and NL
    // still goes out as CR LF (`stty raw` would stop both, and a terminal's Enter,
    // which sends CR, would never end a line).
    let stty = if line_mode {
        "stty -echo"
    } else {
        "stty -icanon -echo"
    };
    let mut command = CommandBuilder::new("/bin/sh");
    command.arg("-c");
    command.arg(format!("{stty} 2>/dev/null; exec \"$0\" \"$@\""));
    command.arg(program);
    command.args(args);
    command.env("TERM", client.terminal_type());
    if let Ok(dir) = std::env::current_dir() {
        command.cwd(dir);
    }
    let mut child = pair
        .slave
        .spawn_command(command)
        .map_err(|e| e.to_string())?;
    drop(pair.slave);
    let mut from_pty = pair.master.try_clone_reader().map_err(|e| e.to_string())?;
    let mut to_pty = pair.master.take_writer().map_err(|e| e.to_string())?;
    let master: Arc<Mutex<Box<dyn MasterPty + Send>>> = Arc::new(Mutex::new(pair.master));

    // NAWS updates resize the terminal (the hook runs on the connection's reader).
    let resizer = Arc::clone(&master);
    client.set_event_hook(Some(move |event: &OwnedEvent| {
        if let OwnedEvent::Subnegotiation {
            opt: Opt::NAWS,
            data,
        } = event
        {
            if let Some((cols, rows)) = naws::decode(data) {
                if let Ok(master) = resizer.lock() {
                    let _ = master.resize(size(cols, rows));
                }
            }
        }
    }));

    // The program's output to the client; when it ends (the child exited), close.
    let output_client = client.clone();
    let output = std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        while let Ok(n) = from_pty.read(&mut buffer) {
            if n == 0 || output_client.write_bytes(&buffer[..n], None).is_err() {
                break;
            }
        }
        output_client.close();
    });

    // The client's input to the program, until the client leaves or is closed.
    while let Ok(data) = client.read_some(None) {
        if to_pty
            .write_all(&data)
            .and_then(|()| to_pty.flush())
            .is_err()
        {
            break;
        }
    }
    let _ = child.kill();
    let status = child.wait();
    log::info!("{}: {program} ended: {status:?}", client.addrport());
    client.set_event_hook(None::<fn(&OwnedEvent)>);
    drop(to_pty);
    drop(master);
    let _ = output.join();
    Ok(())
}
