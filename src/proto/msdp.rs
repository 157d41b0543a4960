//! MSDP (MUD Server Data Protocol, option 69): variables whose values are text,
//! arrays or tables, nested, delimited by six control bytes.

/// Precedes a variable name.
pub const VAR: u8 = 1;
/// Precedes a value.
pub const VAL: u8 = 2;
/// Opens a table (`VAR name VAL value` pairs).
pub const TABLE_OPEN: u8 = 3;
/// Closes a table.
pub const TABLE_CLOSE: u8 = 4;
/// Opens an array (`VAL value` items).
pub const ARRAY_OPEN: u8 = 5;
/// Closes an array.
pub const ARRAY_CLOSE: u8 = 6;

/// Tables and arrays nested deeper than this are refused (the input is untrusted).
pub const MAX_DEPTH: usize = 32;

/// An MSDP value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text (decoded as UTF-8, invalid bytes replaced).
    Text(String),
    /// An ordered list of values.
    Array(Vec<Value>),
    /// Named values, in the order sent.
    Table(Vec<(String, Value)>),
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::Text(text.to_owned())
    }
}

/// The commands a client sends to the server (`VAR <command> VAL <argument>…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `LIST COMMANDS`, `LIST REPORTABLE_VARIABLES`, …
    List,
    /// Report these variables whenever they change.
    Report,
    /// Send these variables once.
    Send,
    /// Stop reporting these variables.
    Unreport,
    /// Reset these (or all reported) variables.
    Reset,
}

impl Command {
    /// The command's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Command::List => "LIST",
            Command::Report => "REPORT",
            Command::Send => "SEND",
            Command::Unreport => "UNREPORT",
            Command::Reset => "RESET",
        }
    }
}

/// The payload for `variables`. Delimiter bytes (1–6) inside names or text cannot be
/// sent and are dropped.
///
/// ```
/// use telnetlib::proto::msdp::{encode, Value};
/// let room = Value::Table(vec![("VNUM".into(), "6008".into()), ("EXITS".into(), Value::Array(vec!["n".into(), "e".into()]))]);
/// assert_eq!(
///     encode(&[("ROOM".into(), room)]),
///     b"\x01ROOM\x02\x03\x01VNUM\x026008\x01EXITS\x02\x05\x02n\x02e\x06\x04"
/// );
/// ```
pub fn encode(variables: &[(String, Value)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in variables {
        push_pair(&mut out, name, value);
    }
    out
}

/// A client command with its arguments: `command(Command::Report, &["HEALTH", "MANA"])`
/// is `VAR REPORT VAL HEALTH VAL MANA`.
///
/// ```
/// use telnetlib::proto::msdp::{command, Command};
/// assert_eq!(command(Command::List, &["COMMANDS"]), b"\x01LIST\x02COMMANDS");
/// ```
pub fn command(command: Command, arguments: &[&str]) -> Vec<u8> {
    let mut out = vec![VAR];
    push_text(&mut out, command.name());
    for argument in arguments {
        out.push(VAL);
        push_text(&mut out, argument);
    }
    out
}

fn push_pair(out: &mut Vec<u8>, name: &str, value: &Value) {
    out.push(VAR);
    push_text(out, name);
    out.push(VAL);
    push_value(out, value);
}

fn push_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Text(text) => push_text(out, text),
        Value::Array(items) => {
            out.push(ARRAY_OPEN);
            for item in items {
                out.push(VAL);
                push_value(out, item);
            }
            out.push(ARRAY_CLOSE);
        }
        Value::Table(pairs) => {
            out.push(TABLE_OPEN);
            for (name, value) in pairs {
                push_pair(out, name, value);
            }
            out.push(TABLE_CLOSE);
        }
    }
}

fn push_text(out: &mut Vec<u8>, text: &str) {
    out.extend(text.bytes().filter(|b| !(VAR..=ARRAY_CLOSE).contains(b)));
}

/// The variables of a payload, in order. Several `VAL`s after one `VAR` make an
/// array. `None` for a malformed payload (a value without a name, an unclosed table
/// or array, nesting deeper than [`MAX_DEPTH`]).
///
/// ```
/// use telnetlib::proto::msdp::{decode, Value};
/// let vars = decode(b"\x01REPORT\x02HEALTH\x02MANA").unwrap();
/// assert_eq!(vars, [("REPORT".into(), Value::Array(vec!["HEALTH".into(), "MANA".into()]))]);
/// ```
pub fn decode(payload: &[u8]) -> Option<Vec<(String, Value)>> {
    let mut parser = Parser {
        bytes: payload,
        at: 0,
    };
    let pairs = parser.pairs(0)?;
    (parser.at == payload.len()).then_some(pairs)
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// `VAR name VAL value (VAL value)*` pairs until the end or a TABLE_CLOSE.
    fn pairs(&mut self, depth: usize) -> Option<Vec<(String, Value)>> {
        let mut pairs = Vec::new();
        while self.peek() == Some(VAR) {
            self.at += 1;
            let name = self.text();
            let mut values = Vec::new();
            while self.peek() == Some(VAL) {
                self.at += 1;
                values.push(self.value(depth)?);
            }
            let value = match values.len() {
                0 => Value::Text(String::new()),
                1 => values.pop()?,
                _ => Value::Array(values),
            };
            pairs.push((name, value));
        }
        match self.peek() {
            None | Some(TABLE_CLOSE) => Some(pairs),
            Some(_) => None,
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth >= MAX_DEPTH {
            return None;
        }
        match self.peek() {
            Some(TABLE_OPEN) => {
                self.at += 1;
                let pairs = self.pairs(depth + 1)?;
                self.expect(TABLE_CLOSE)?;
                Some(Value::Table(pairs))
            }
            Some(ARRAY_OPEN) => {
                self.at += 1;
                let mut items = Vec::new();
                while self.peek() == Some(VAL) {
                    self.at += 1;
                    items.push(self.value(depth + 1)?);
                }
                self.expect(ARRAY_CLOSE)?;
                Some(Value::Array(items))
            }
            _ => Some(Value::Text(self.text())),
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// Text up to the next delimiter.
    fn text(&mut self) -> String {
        let rest = &self.bytes[self.at..];
        let end = rest
            .iter()
            .position(|b| (VAR..=ARRAY_CLOSE).contains(b))
            .unwrap_or(rest.len());
        self.at += end;
        String::from_utf8_lossy(&rest[..end]).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_values_round_trip() {
        let value = Value::Table(vec![
            (
                "A".into(),
                Value::Array(vec![Value::Table(vec![("B".into(), "c".into())])]),
            ),
            ("D".into(), Value::Text(String::new())),
        ]);
        let vars = vec![("X".to_owned(), value), ("Y".to_owned(), "z".into())];
        assert_eq!(decode(&encode(&vars)).unwrap(), vars);
    }

    #[test]
    fn malformed_payloads_are_refused() {
        for bad in [
            &b"\x02value"[..],
            b"\x01A\x02\x03\x01B\x02c",
            b"\x01A\x02\x05\x02x",
            b"\x01A\x02\x04",
            b"\x01A\x02\x06",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let mut deep = b"\x01A\x02".to_vec();
        deep.extend(std::iter::repeat_n([ARRAY_OPEN, VAL], 10_000).flatten());
        assert_eq!(decode(&deep), None);
        let mut ok = b"\x01A\x02".to_vec();
        ok.extend(std::iter::repeat_n([ARRAY_OPEN, VAL], MAX_DEPTH - 1).flatten());
        ok.extend(std::iter::repeat_n(ARRAY_CLOSE, MAX_DEPTH - 1));
        assert!(decode(&ok).is_some());
    }

    #[test]
    fn delimiters_in_text_are_dropped_on_encode() {
        assert_eq!(encode(&[("A\x01".into(), "b\x02c".into())]), b"\x01A\x02bc");
    }
}
