//! The main menu of a tiny DOS-era BBS, drawn with CP437 box-drawing characters
//! (`╔═╗║╚╝`, `░▒▓█`) on a server built with `.encoding(Encoding::CP437)`: the program writes
//! ordinary Rust (Unicode) strings and each of those characters leaves as the single
//! byte a CP437 terminal expects (`╔` is 0xC9, `═` 0xCD, …). Choices: `B` bulletins,
//! `W` who's online, `M` the menu again, `G` goodbye.
//!
//! Run it with `cargo run --example bbs_cp437` (`--port N`, default 2323 on
//! 127.0.0.1), then connect with a CP437 terminal — SyncTERM, or
//! `luit -encoding CP437 telnet 127.0.0.1 2323` — or with ours:
//! `cargo run --bin telnetlib-client -- 127.0.0.1 2323`. A client that negotiates
//! CHARSET (RFC 2066), as ours does, may pick UTF-8 from the server's offer; the
//! connection then switches to UTF-8 and the same menu arrives as UTF-8.
//!
//! `cargo run --example bbs_cp437 -- --demo` checks itself instead: a caller using
//! CP437 sees the box as single CP437 bytes on the wire and as the same Unicode text
//! once decoded, a UTF-8 caller gets it in UTF-8, and the menu choices work. It
//! prints `demo ok`, or a message and exit status 1.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use telnetlib::proto::Opt;
use telnetlib::{Encoding, ServerBuilder, ServerConnection, TelnetConnection, TelnetServer};

/// Nodes (lines) the BBS has; one more caller gets a busy message.
const NODES: u32 = 8;

/// The box's inner width, in characters (every CP437 character is one column).
const WIDTH: usize = 40;

/// A box: the top border, a title, a divider, the lines, the bottom border.
fn boxed(title: &str, lines: &[String]) -> String {
    let bar = "═".repeat(WIDTH);
    let row = |text: &str| {
        // Count characters, not bytes: `░` is three bytes in a Rust string. Too long
        // a line (an IPv6 address in who's online) is cut to keep the box closed.
        let text: String = text.chars().take(WIDTH).collect();
        let pad = WIDTH - text.chars().count();
        format!("║{text}{}║\n", " ".repeat(pad))
    };
    let title_pad = WIDTH.saturating_sub(title.chars().count()) / 2;
    let mut out = format!("╔{bar}╗\n");
    out.push_str(&row(&format!("{}{title}", " ".repeat(title_pad))));
    out.push_str(&format!("╠{bar}╣\n"));
    for line in lines {
        out.push_str(&row(line));
    }
    out.push_str(&format!("╚{bar}╝\n"));
    out
}

fn menu(node: u32) -> String {
    boxed(
        "░▒▓█ THE RUSTY MODEM █▓▒░",
        &[
            format!("  Node {node} of {NODES}, 2400 baud, 8-N-1"),
            String::new(),
            "  [B] Bulletins".to_owned(),
            "  [W] Who's online".to_owned(),
            "  [M] This menu".to_owned(),
            "  [G] Goodbye".to_owned(),
        ],
    )
}

fn bulletins() -> String {
    boxed(
        "BULLETINS",
        &[
            " 1. Sysop vacation: back on Monday".to_owned(),
            " 2. New door game: ▒ LEGEND OF RUST ▒".to_owned(),
            " 3. Please do not tie up node 1".to_owned(),
        ],
    )
}

const PROMPT: &str = "Your choice: ";

/// One caller on a node.
struct Caller {
    address: String,
    since: Instant,
    connection: ServerConnection,
}

/// The callers, by node number.
#[derive(Default)]
struct Board {
    nodes: Mutex<BTreeMap<u32, Caller>>,
}

impl Board {
    fn nodes(&self) -> MutexGuard<'_, BTreeMap<u32, Caller>> {
        // Each change is a single insert or remove: a poisoned map is still whole.
        self.nodes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the lowest free node.
    fn take_node(&self, connection: &ServerConnection) -> Option<u32> {
        let mut nodes = self.nodes();
        let node = (1..=NODES).find(|n| !nodes.contains_key(n))?;
        let caller = Caller {
            address: connection.addrport(),
            since: Instant::now(),
            connection: connection.clone(),
        };
        nodes.insert(node, caller);
        Some(node)
    }

    fn who(&self) -> String {
        let lines: Vec<String> = self
            .nodes()
            .iter()
            .map(|(node, caller)| {
                let minutes = caller.since.elapsed().as_secs() / 60;
                // `encoding()` is the connection's, after any CHARSET negotiation.
                format!(
                    " {node}  {:<21} {:<7} {minutes:>2}m",
                    caller.address,
                    caller.connection.encoding()
                )
            })
            .collect();
        boxed("WHO'S ONLINE", &lines)
    }
}

/// Frees the node however the caller's thread ends.
struct Line<'a> {
    board: &'a Board,
    node: u32,
}

impl Drop for Line<'_> {
    fn drop(&mut self) {
        self.board.nodes().remove(&self.node);
    }
}

/// One caller's session, on its own thread.
fn call(board: &Board, client: ServerConnection) {
    let Some(node) = board.take_node(&client) else {
        // `max_connections` admits one more than there are nodes, so a busy
        // signal can be drawn in the board's own style.
        let _ = client.send(&boxed(
            "ALL NODES BUSY",
            &["  Please call back later.".to_owned()],
        ));
        return;
    };
    let _line = Line { board, node };
    let _ = client.send(&menu(node));
    let _ = client.send_prompt(PROMPT);
    // `None`: wait as long as the caller likes (the server's idle timeout applies).
    while let Ok(line) = client.readline_str(None) {
        let choice = line.trim().to_ascii_lowercase();
        let reply = match choice.as_str() {
            "b" => bulletins(),
            "w" => board.who(),
            "m" | "?" | "" => menu(node),
            "g" => {
                let _ = client.send("\nThanks for calling The Rusty Modem!\nNO CARRIER\n");
                return;
            }
            _ => format!("Unknown choice {choice:?}: B, W, M or G.\n"),
        };
        let _ = client.send(&reply);
        let _ = client.send_prompt(PROMPT);
    }
}

fn builder() -> ServerBuilder {
    TelnetServer::builder()
        .encoding(Encoding::CP437)
        .max_connections(NODES as usize + 1)
        .idle_timeout(Some(Duration::from_secs(15 * 60)))
}

struct Args {
    port: u16,
    demo: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 2323,
        demo: false,
    };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        match word.as_str() {
            "--port" => {
                let value = words.next().ok_or("--port needs a number")?;
                args.port = value
                    .parse()
                    .map_err(|_| format!("--port: not a port number: {value}"))?;
            }
            "--demo" => args.demo = true,
            "-h" | "--help" => return Err("usage: bbs_cp437 [--port N] [--demo]".to_owned()),
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(args)
}

fn run(port: u16) -> Result<(), telnetlib::Error> {
    let board = Arc::new(Board::default());
    let server = builder().bind(("127.0.0.1", port))?;
    println!(
        "The Rusty Modem BBS (CP437) on {}; connect with `telnet 127.0.0.1 {}`",
        server.local_addr(),
        server.local_addr().port()
    );
    server.serve(move |client| call(&board, client))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let result = if args.demo {
        demo()
    } else {
        run(args.port).map_err(|e| e.to_string())
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bbs_cp437: {message}");
            ExitCode::FAILURE
        }
    }
}

// ----------------------------------------------------------------------------- --demo

/// The longest any single step of the demo may take.
const STEP: Duration = Duration::from_secs(10);

/// The top border as CP437 bytes, spelled out rather than produced by the library's
/// own encoder: `╔` 0xC9, `═` 0xCD, `╗` 0xBB.
fn top_border_cp437() -> Vec<u8> {
    let mut bytes = vec![0xC9];
    bytes.extend(std::iter::repeat_n(0xCD, WIDTH));
    bytes.push(0xBB);
    bytes
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

fn caller(encoding: &str, address: std::net::SocketAddr) -> Result<TelnetConnection, String> {
    let encoding = Encoding::for_label(encoding).map_err(|e| e.to_string())?;
    TelnetConnection::builder()
        .encoding(encoding)
        .connect_timeout(STEP)
        .timeout(Some(STEP))
        // EOR ends every prompt with IAC EOR, which `read_prompt` splits on (GA is
        // suppressed because the server performs SGA).
        .always_do(Opt::EOR)
        .connect(address)
        .map_err(|e| format!("{encoding} caller: connect: {e}"))
}

/// Sends a menu choice and returns the decoded reply up to the next prompt, with
/// CR LF turned back into `\n` to compare with the server's strings.
fn choose(
    conn: &TelnetConnection,
    choice: &str,
    transcript: &mut Vec<String>,
) -> Result<String, String> {
    transcript.push(format!("> {choice}"));
    conn.write_str(&format!("{choice}\n"), Some(STEP))
        .map_err(|e| format!("sending {choice:?}: {e}"))?;
    let reply = conn
        .read_prompt_str(Some(STEP))
        .map_err(|e| format!("waiting for the reply to {choice:?}: {e}"))?;
    transcript.extend(reply.lines().map(|l| format!("| {}", l.trim_end())));
    Ok(reply.replace("\r\n", "\n"))
}

fn demo() -> Result<(), String> {
    let board = Arc::new(Board::default());
    let server = Arc::new(
        builder()
            .bind("127.0.0.1:0")
            .map_err(|e| format!("bind: {e}"))?,
    );
    let address = server.local_addr();
    let serving = Arc::clone(&server);
    let server_thread = thread::spawn(move || serving.serve(move |client| call(&board, client)));

    let mut transcript = Vec::new();
    let result = walkthrough(address, &mut transcript);
    // Shut down whatever happened, so a failure still ends the process promptly.
    server.shutdown();
    let served = server_thread.join();

    println!("--- transcript of the CP437 caller (server on {address}) ---");
    for line in &transcript {
        println!("{line}");
    }
    println!("---");
    result?;
    match served {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("serve: {e}")),
        Err(_) => return Err("the server thread panicked".to_owned()),
    }
    println!("demo ok");
    Ok(())
}

fn walkthrough(address: std::net::SocketAddr, t: &mut Vec<String>) -> Result<(), String> {
    let conn = caller("cp437", address)?;

    // 1. The bytes: `read_prompt` returns the data as received, Telnet commands
    //    removed but no decoding done — the wire bytes, since this server does not
    //    compress. The border must be 42 single CP437 bytes, with no UTF-8 in sight.
    let raw = conn
        .read_prompt(Some(STEP))
        .map_err(|e| format!("waiting for the menu: {e}"))?;
    let border = top_border_cp437();
    check(raw.windows(border.len()).any(|w| w == border), || {
        format!("the top border is not CP437 bytes C9 CD… BB: {raw:02X?}")
    })?;
    check(!raw.windows(3).any(|w| w == "╔".as_bytes()), || {
        "UTF-8 for ╔ (E2 95 94) on the wire".to_owned()
    })?;
    t.push(format!(
        "(wire) the top border: {} bytes, {:02X?} … {:02X?}",
        border.len(),
        &border[..3],
        &border[border.len() - 1..]
    ));

    // 2. The text: the menu again, decoded, is exactly the server's Unicode string.
    let redrawn = choose(&conn, "m", t)?;
    let expected = menu(1);
    check(redrawn.contains(&expected), || {
        format!("the decoded menu differs:\nexpected:\n{expected}\ngot:\n{redrawn}")
    })?;

    // 3. The choices.
    let news = choose(&conn, "b", t)?;
    check(news.contains(&bulletins()), || {
        format!("no bulletins: {news:?}")
    })?;

    // A UTF-8 caller negotiates CHARSET and gets the same box in UTF-8.
    let modern = caller("utf-8", address)?;
    let raw = modern
        .read_prompt(Some(STEP))
        .map_err(|e| format!("utf-8 caller: waiting for the menu: {e}"))?;
    let text = String::from_utf8(raw).map_err(|e| format!("utf-8 caller: not UTF-8: {e}"))?;
    check(text.replace("\r\n", "\n").contains(&menu(2)), || {
        format!("utf-8 caller: the menu differs: {text}")
    })?;
    t.push("(a UTF-8 caller on node 2 got the same menu in UTF-8)".to_owned());

    let who = choose(&conn, "w", t)?;
    check(who.contains(" 1  ") && who.contains("CP437"), || {
        format!("who's online misses node 1 in CP437: {who:?}")
    })?;
    check(who.contains(" 2  ") && who.contains("UTF-8"), || {
        format!("who's online misses node 2 in UTF-8: {who:?}")
    })?;

    // 4. Goodbye: the farewell, then the server hangs up.
    t.push("> g".to_owned());
    conn.write_str("g\n", Some(STEP))
        .map_err(|e| format!("sending g: {e}"))?;
    let bye = conn
        .read_all_str(Some(STEP))
        .map_err(|e| format!("waiting for the hang-up: {e}"))?;
    t.extend(
        bye.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("| {}", l.trim_end())),
    );
    check(bye.contains("NO CARRIER"), || {
        format!("no goodbye: {bye:?}")
    })?;
    modern.close();
    Ok(())
}
