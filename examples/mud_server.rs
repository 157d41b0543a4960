//! A small threaded MUD: four rooms joined by exits, `look`, movement, `say`, `who`,
//! `help` and `quit`, one thread per player. It shows the MUD side of the library:
//!
//! - GMCP `Room.Info` (`{"num":…,"name":…,"area":…,"exits":{…}}`, the shape Mudlet's
//!   mapper reads) on login and after every move (`offer_gmcp`, `send_gmcp`);
//! - MSSP for MUD crawlers (`ServerBuilder::mssp`), refreshed per connection with the
//!   live player count (`send_mssp`);
//! - prompts with `send_prompt`, which ends them with GA or EOR as the client agreed
//!   (`offer_eor`), so MUD clients (and `read_prompt` in ours) know where a prompt
//!   ends;
//! - MCCP2/MCCP3 compression (`compression(true)`), unless `--no-compression`.
//!
//! Run it with `cargo run --example mud_server` (flags: `--port N`, default 4000 on
//! 127.0.0.1; `--no-compression`), then connect with `telnet 127.0.0.1 4000`, a MUD
//! client such as Mudlet or TinTin++, or ours:
//! `cargo run --bin telnetlib-client -- 127.0.0.1 4000`.
//!
//! `cargo run --example mud_server -- --demo` checks itself instead: it starts the
//! server on a free port, logs two of our `TelnetConnection` clients in, walks them
//! through moves, `say`, `who` and `quit`, checks GMCP, MSSP and compression, prints
//! the transcript and `demo ok`, and exits with status 1 on the first mismatch.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use telnetlib::proto::Opt;
use telnetlib::{ServerBuilder, ServerConnection, TelnetConnection, TelnetServer};

// ----------------------------------------------------------------------------- the world

/// One room. Exits name a direction and the number of the room it leads to.
struct Room {
    num: u32,
    name: &'static str,
    description: &'static str,
    exits: &'static [(&'static str, u32)],
}

const AREA: &str = "Ashford";
const START_ROOM: u32 = 1;

const ROOMS: &[Room] = &[
    Room {
        num: 1,
        name: "Town Square",
        description: "Cobblestones ring an old stone fountain. A warm light spills from \
                      the tavern to the north; stalls crowd the market to the east, and \
                      the town gate stands open to the west.",
        exits: &[("north", 2), ("east", 3), ("west", 4)],
    },
    Room {
        num: 2,
        name: "The Prancing Pony",
        description: "A low-beamed tavern that smells of woodsmoke and ale. The door \
                      south leads back to the square.",
        exits: &[("south", 1)],
    },
    Room {
        num: 3,
        name: "Market Street",
        description: "Merchants call out over heaps of apples and bolts of cloth. The \
                      square lies to the west.",
        exits: &[("west", 1)],
    },
    Room {
        num: 4,
        name: "West Gate",
        description: "The town wall's gatehouse. A muddy road runs off into the hills; \
                      the square is back to the east.",
        exits: &[("east", 1)],
    },
];

fn room(num: u32) -> &'static Room {
    ROOMS
        .iter()
        .find(|room| room.num == num)
        .expect("every exit leads to a room in ROOMS")
}

/// GMCP `Room.Info`, as IRE games and Mudlet's mapper spell it: exits keyed by the
/// short direction. Hand-written JSON, since the crate imposes no JSON library.
fn room_info_json(room: &Room) -> String {
    let exits: Vec<String> = room
        .exits
        .iter()
        .map(|(direction, to)| format!("{}:{to}", json_string(&direction[..1])))
        .collect();
    format!(
        "{{\"num\":{},\"name\":{},\"area\":{},\"exits\":{{{}}}}}",
        room.num,
        json_string(room.name),
        json_string(AREA),
        exits.join(",")
    )
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A logged-in player.
struct Player {
    name: String,
    room: u32,
    connection: ServerConnection,
}

/// Everything the player threads share.
struct Mud {
    /// Logged-in players by id. Held only to read or change who is where, never
    /// while sending: a slow client must not stall everyone else.
    players: Mutex<BTreeMap<u64, Player>>,
    next_id: AtomicU64,
    /// Unix time the server started (MSSP's UPTIME).
    started: u64,
    /// The port actually bound (set after `bind`, which may pick one for port 0).
    port: AtomicU16,
    compression: bool,
}

impl Mud {
    fn new(port: u16, compression: bool) -> Mud {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Mud {
            players: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
            started,
            port: AtomicU16::new(port),
            compression,
        }
    }

    fn players(&self) -> MutexGuard<'_, BTreeMap<u64, Player>> {
        // A player thread that panicked leaves the map consistent (every change is a
        // single insert, remove or field write), so a poisoned lock is still usable.
        self.players.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The MSSP variables, with `players` logged in.
    fn mssp_variables(&self, players: usize) -> Vec<(String, Vec<String>)> {
        let flag = |on: bool| if on { "1" } else { "0" }.to_owned();
        [
            ("NAME", "Ashford (telnetlib example)".to_owned()),
            ("PLAYERS", players.to_string()),
            ("UPTIME", self.started.to_string()),
            ("PORT", self.port.load(Ordering::SeqCst).to_string()),
            (
                "CODEBASE",
                format!("telnetlib {}", env!("CARGO_PKG_VERSION")),
            ),
            ("LANGUAGE", "English".to_owned()),
            ("GENRE", "Fantasy".to_owned()),
            ("ROOMS", ROOMS.len().to_string()),
            ("GMCP", "1".to_owned()),
            ("MCCP", flag(self.compression)),
            ("UTF-8", "1".to_owned()),
            ("ANSI", "0".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), vec![value]))
        .collect()
    }

    /// Sends MSSP again with the live player count. `ServerBuilder::mssp` takes a
    /// fixed list, sent by the library itself when the client says DO MSSP; this
    /// second copy overrides it for clients that keep the last one.
    fn refresh_mssp(&self, client: &ServerConnection) {
        if client.local_option(Opt::MSSP) {
            let _ = client.send_mssp(&self.mssp_variables(self.players().len()));
        }
    }

    /// Tells everyone in `room` but `except` something, each followed by their prompt
    /// again (their cursor sat after the old one).
    fn tell_room(&self, room: u32, except: u64, text: &str) {
        let listeners: Vec<ServerConnection> = self
            .players()
            .iter()
            .filter(|(id, player)| **id != except && player.room == room)
            .map(|(_, player)| player.connection.clone())
            .collect();
        for listener in listeners {
            // A client that stops reading is dropped by `send` (after the send
            // timeout); its own thread then sees the connection gone and cleans up.
            let _ = listener.send(&format!("\n{text}\n"));
            let _ = listener.send_prompt(&prompt(room));
        }
    }
}

fn prompt(room_num: u32) -> String {
    format!("[{}] > ", room(room_num).name)
}

// ----------------------------------------------------------------------------- a player

/// Removes the player from the world however its thread ends (quit, disconnect, or
/// a panic), and tells the room.
struct Presence<'a> {
    mud: &'a Mud,
    id: u64,
}

impl Drop for Presence<'_> {
    fn drop(&mut self) {
        let left = self.mud.players().remove(&self.id);
        if let Some(player) = left {
            let text = format!("{} has left the realm.", player.name);
            self.mud.tell_room(player.room, self.id, &text);
        }
    }
}

/// One client's whole session, on its own thread.
fn play(mud: &Mud, client: ServerConnection) {
    // Crawlers that said DO MSSP already got the builder's fixed list; send the
    // live count too (see `refresh_mssp`).
    mud.refresh_mssp(&client);
    let _ = client.send(
        "\n  Welcome to Ashford, a tiny MUD written with telnetlib.\n\
         \n  Type `help` once you are in.\n\n",
    );
    let Some((id, name)) = login(mud, &client) else {
        return;
    };
    let _presence = Presence { mud, id };
    mud.tell_room(
        START_ROOM,
        id,
        &format!("{name} appears in a puff of smoke."),
    );
    let _ = client.send(&format!("Welcome, {name}!\n\n"));
    show_room(mud, id, &client, START_ROOM);
    let _ = client.send_prompt(&prompt(START_ROOM));

    // `None`: wait as long as the player likes (the server's idle timeout applies).
    while let Ok(line) = client.readline_str(None) {
        let line = line.trim();
        let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        // Read on its own line: a guard in a `match` scrutinee would hold the lock
        // through every arm below.
        let here = mud.players().get(&id).map(|player| player.room);
        let Some(here) = here else { return };
        match verb.to_ascii_lowercase().as_str() {
            "" => {}
            "look" | "l" => show_room(mud, id, &client, here),
            "north" | "n" | "south" | "s" | "east" | "e" | "west" | "w" => {
                walk(mud, id, &name, &client, here, verb)
            }
            "go" if !rest.is_empty() => walk(mud, id, &name, &client, here, rest),
            "say" | "'" if !rest.is_empty() => {
                let _ = client.send(&format!("You say: {rest}\n"));
                mud.tell_room(here, id, &format!("{name} says: {rest}"));
            }
            "say" | "'" => {
                let _ = client.send("Say what?\n");
            }
            "who" => who(mud, &client),
            "help" | "?" => {
                let _ = client.send(HELP);
            }
            "quit" | "q" => {
                let _ = client.send("Farewell, and mind the road.\n");
                return;
            }
            _ => {
                let _ = client.send("Huh? Type `help` for the commands.\n");
            }
        }
        let room_now = mud.players().get(&id).map_or(here, |p| p.room);
        let _ = client.send_prompt(&prompt(room_now));
    }
}

const HELP: &str = "Commands:\n\
    \x20 look (l)                 describe the room\n\
    \x20 north, south, east, west (n, s, e, w, or go DIRECTION)\n\
    \x20 say TEXT ('TEXT)         speak to everyone in the room\n\
    \x20 who                      who is online, and where\n\
    \x20 quit                     leave\n";

/// Asks for a name until the player gives a free one; registers the player in the
/// start room. `None` if the client left.
fn login(mud: &Mud, client: &ServerConnection) -> Option<(u64, String)> {
    loop {
        client
            .send_prompt("By what name shall we know you? ")
            .ok()?;
        let answer = client.readline_str(None).ok()?;
        let answer = answer.trim();
        let valid =
            (2..=12).contains(&answer.len()) && answer.chars().all(|c| c.is_ascii_alphabetic());
        if !valid {
            let _ = client.send("A name is 2 to 12 letters, please.\n");
            continue;
        }
        // "alice" and "ALICE" are both Alice.
        let name = answer[..1].to_ascii_uppercase() + &answer[1..].to_ascii_lowercase();
        let mut players = mud.players();
        if players.values().any(|p| p.name == name) {
            drop(players);
            let _ = client.send(&format!("{name} is already here. Another name?\n"));
            continue;
        }
        let id = mud.next_id.fetch_add(1, Ordering::SeqCst);
        players.insert(
            id,
            Player {
                name: name.clone(),
                room: START_ROOM,
                connection: client.clone(),
            },
        );
        return Some((id, name));
    }
}

/// The room's text, who else is there, and GMCP `Room.Info`.
fn show_room(mud: &Mud, id: u64, client: &ServerConnection, num: u32) {
    let room = room(num);
    let exits: Vec<&str> = room.exits.iter().map(|(direction, _)| *direction).collect();
    let mut text = format!(
        "{}\n{}\nExits: {}.\n",
        room.name,
        room.description,
        exits.join(", ")
    );
    for player in mud
        .players()
        .iter()
        .filter(|(other, p)| **other != id && p.room == num)
    {
        text.push_str(&format!("{} is here.\n", player.1.name));
    }
    let _ = client.send(&text);
    // Refused (and ignored) when the client did not agree to GMCP, as plain telnet.
    let _ = client.send_gmcp("Room.Info", Some(&room_info_json(room)));
}

/// Moves the player through the exit `direction` names (`n` or `north`).
fn walk(mud: &Mud, id: u64, name: &str, client: &ServerConnection, here: u32, direction: &str) {
    let direction = direction.to_ascii_lowercase();
    let exit = room(here)
        .exits
        .iter()
        .find(|(exit, _)| *exit == direction || exit[..1] == direction);
    let Some(&(exit, to)) = exit else {
        let _ = client.send("You can't go that way.\n");
        return;
    };
    if let Some(player) = mud.players().get_mut(&id) {
        player.room = to;
    }
    mud.tell_room(here, id, &format!("{name} leaves {exit}."));
    mud.tell_room(to, id, &format!("{name} arrives."));
    show_room(mud, id, client, to);
}

fn who(mud: &Mud, client: &ServerConnection) {
    let mut lines: Vec<String> = mud
        .players()
        .values()
        .map(|p| {
            let idle = p.connection.idle().as_secs();
            format!("  {:<12} {:<20} idle {idle}s", p.name, room(p.room).name)
        })
        .collect();
    lines.sort();
    let _ = client.send(&format!(
        "Players online ({}):\n{}\n",
        lines.len(),
        lines.join("\n")
    ));
}

// ----------------------------------------------------------------------------- the server

fn builder(mud: &Mud) -> ServerBuilder {
    TelnetServer::builder()
        .offer_gmcp(true)
        // Prompts end in IAC EOR for clients that agree: with go-ahead suppressed
        // (SGA), which nearly every client asks for, GA would not mark them.
        .offer_eor(true)
        .compression(mud.compression)
        // Sent by the library to whoever says DO MSSP, before a player thread runs.
        .mssp(mud.mssp_variables(0))
        // A player who wanders off is disconnected after half an hour.
        .idle_timeout(Some(Duration::from_secs(30 * 60)))
}

/// Serves until the process ends.
fn run(port: u16, compression: bool) -> Result<(), telnetlib::Error> {
    let mud = Arc::new(Mud::new(port, compression));
    let server = builder(&mud).bind(("127.0.0.1", port))?;
    mud.port.store(server.local_addr().port(), Ordering::SeqCst);
    println!(
        "Ashford MUD on {} (compression {}); connect with `telnet 127.0.0.1 {port}`",
        server.local_addr(),
        if compression { "on" } else { "off" }
    );
    server.serve(move |client| play(&mud, client))
}

struct Args {
    port: u16,
    demo: bool,
    compression: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 4000,
        demo: false,
        compression: true,
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
            "--no-compression" => args.compression = false,
            "-h" | "--help" => {
                return Err("usage: mud_server [--port N] [--no-compression] [--demo]".to_owned());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(args)
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
        demo(args.compression)
    } else {
        run(args.port, args.compression).map_err(|e| e.to_string())
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mud_server: {message}");
            ExitCode::FAILURE
        }
    }
}

// ----------------------------------------------------------------------------- --demo

/// The longest any single step of the demo may take.
const STEP: Duration = Duration::from_secs(10);

/// One of the demo's players, keeping a transcript of what it saw.
struct Tester {
    name: &'static str,
    conn: TelnetConnection,
}

impl Tester {
    fn connect(name: &'static str, address: std::net::SocketAddr) -> Result<Tester, String> {
        let conn = TelnetConnection::builder()
            .connect_timeout(STEP)
            .timeout(Some(STEP))
            // Our client accepts GMCP, MCCP and the server's EOR by default: every
            // prompt ends in IAC EOR, which `read_prompt` splits on (GA is suppressed
            // because the server performs SGA).
            .connect(address)
            .map_err(|e| format!("{name}: connect: {e}"))?;
        Ok(Tester { name, conn })
    }

    fn send(&self, line: &str, transcript: &mut Vec<String>) -> Result<(), String> {
        transcript.push(format!("{:>5} > {line}", self.name));
        self.conn
            .write_str(&format!("{line}\n"), Some(STEP))
            .map_err(|e| format!("{}: send {line:?}: {e}", self.name))
    }

    /// Reads prompt after prompt until the text so far contains `needle`; fails after
    /// `STEP` in all.
    fn expect(&self, needle: &str, transcript: &mut Vec<String>) -> Result<String, String> {
        let deadline = Instant::now() + STEP;
        let mut seen = String::new();
        while !seen.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = self
                .conn
                .read_prompt_str(Some(left))
                .map_err(|e| format!("{}: waiting for {needle:?}: {e}; got {seen:?}", self.name))?;
            for line in chunk.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                transcript.push(format!("{:>5} | {line}", self.name));
            }
            seen.push_str(&chunk);
        }
        Ok(seen)
    }

    /// The next GMCP message, which must be `Room.Info` for room `num` named `name`.
    fn expect_room_info(
        &self,
        num: u32,
        name: &str,
        transcript: &mut Vec<String>,
    ) -> Result<(), String> {
        let (package, json) = self
            .conn
            .read_gmcp(Some(STEP))
            .map_err(|e| format!("{}: waiting for GMCP Room.Info: {e}", self.name))?;
        transcript.push(format!("{:>5} | (GMCP) {package} {json}", self.name));
        let wanted = [
            format!("\"num\":{num},"),
            format!("\"name\":{}", json_string(name)),
        ];
        if package != "Room.Info" || !wanted.iter().all(|w| json.contains(w.as_str())) {
            return Err(format!(
                "{}: expected Room.Info for {num} {name:?}, got {package} {json}",
                self.name
            ));
        }
        Ok(())
    }

    /// Sends `quit` and reads to the end of the stream.
    fn quit(&self, transcript: &mut Vec<String>) -> Result<(), String> {
        self.send("quit", transcript)?;
        let rest = self
            .conn
            .read_all_str(Some(STEP))
            .map_err(|e| format!("{}: waiting for the server to close: {e}", self.name))?;
        for line in rest.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
            transcript.push(format!("{:>5} | {line}", self.name));
        }
        if !rest.contains("Farewell") {
            return Err(format!(
                "{}: no farewell before the close: {rest:?}",
                self.name
            ));
        }
        Ok(())
    }
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

fn demo(compression: bool) -> Result<(), String> {
    let mud = Arc::new(Mud::new(0, compression));
    let server = Arc::new(
        builder(&mud)
            .bind("127.0.0.1:0")
            .map_err(|e| format!("bind: {e}"))?,
    );
    let address = server.local_addr();
    mud.port.store(address.port(), Ordering::SeqCst);
    let serving = Arc::clone(&server);
    let mud_for_server = Arc::clone(&mud);
    let server_thread =
        thread::spawn(move || serving.serve(move |client| play(&mud_for_server, client)));

    let mut transcript = Vec::new();
    let result = walkthrough(address, compression, &mut transcript);
    // Shut down whatever happened, so a failure still ends the process promptly.
    server.shutdown();
    let served = server_thread.join();

    println!("--- transcript (server on {address}) ---");
    for line in &transcript {
        // Room descriptions and the MSSP list are long; a glance is enough here.
        match line.char_indices().nth(100) {
            Some((cut, _)) => println!("{}…", &line[..cut]),
            None => println!("{line}"),
        }
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

fn walkthrough(
    address: std::net::SocketAddr,
    compression: bool,
    t: &mut Vec<String>,
) -> Result<(), String> {
    // Alice logs in: the welcome, the name prompt, then the start room and its GMCP.
    let alice = Tester::connect("alice", address)?;
    alice.expect("By what name", t)?;
    alice.send("Alice", t)?;
    alice.expect("[Town Square] > ", t)?;
    alice.expect_room_info(1, "Town Square", t)?;

    // She walks north; the new room comes as text and as GMCP.
    alice.send("north", t)?;
    alice.expect("[The Prancing Pony] > ", t)?;
    alice.expect_room_info(2, "The Prancing Pony", t)?;

    // Bob logs in. His MSSP is the live copy sent after the library's fixed one: it
    // arrived before the name prompt, so it is in place once the prompt is read.
    let bob = Tester::connect("bob", address)?;
    bob.expect("By what name", t)?;
    let mssp = bob.conn.mssp().ok_or("bob: no MSSP received")?;
    t.push(format!("  bob | (MSSP) {mssp:?}"));
    let value = |name: &str| {
        mssp.iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, values)| values.first().cloned())
    };
    check(
        value("NAME").is_some_and(|n| n.starts_with("Ashford")),
        || format!("bob: MSSP has no NAME: {mssp:?}"),
    )?;
    check(value("PLAYERS").as_deref() == Some("1"), || {
        format!("bob: MSSP PLAYERS should be 1 (Alice): {mssp:?}")
    })?;
    let port = address.port().to_string();
    check(value("PORT") == Some(port), || {
        format!("bob: MSSP PORT should be {}: {mssp:?}", address.port())
    })?;
    bob.send("bob", t)?;
    bob.expect("[Town Square] > ", t)?;
    bob.expect_room_info(1, "Town Square", t)?;

    // Bob follows Alice; each sees the other.
    bob.send("n", t)?;
    let seen = bob.expect("[The Prancing Pony] > ", t)?;
    check(seen.contains("Alice is here."), || {
        format!("bob: Alice not listed in the tavern: {seen:?}")
    })?;
    bob.expect_room_info(2, "The Prancing Pony", t)?;
    alice.expect("Bob arrives.", t)?;

    // `say` reaches the room; `who` lists both.
    alice.send("say hello", t)?;
    alice.expect("You say: hello", t)?;
    bob.expect("Alice says: hello", t)?;
    bob.send("who", t)?;
    // The listing and the prompt after it come as one chunk.
    let seen = bob.expect("Players online (2)", t)?;
    check(seen.contains("Alice") && seen.contains("Bob"), || {
        format!("bob: who does not list both: {seen:?}")
    })?;

    // MCCP2: the server compresses what it sends to each client (`.1`: theirs).
    for tester in [&alice, &bob] {
        let (_, theirs) = tester.conn.compression();
        t.push(format!(
            "{:>5} | (MCCP2 from the server: {theirs})",
            tester.name
        ));
        check(theirs == compression, || {
            format!(
                "{}: server compression {theirs}, expected {compression}",
                tester.name
            )
        })?;
    }

    // Alice quits; Bob hears it; Bob quits.
    alice.quit(t)?;
    bob.expect("Alice has left the realm.", t)?;
    bob.quit(t)?;
    Ok(())
}
