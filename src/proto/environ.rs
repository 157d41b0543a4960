//! NEW_ENVIRON (RFC 1572) messages: `SEND` requests and `IS`/`INFO` answers, with the
//! `ESC` escaping of the four type bytes inside names and values.

/// `IS`: an answer to `SEND`.
pub const IS: u8 = 0;
/// `SEND`: a request for variables.
pub const SEND: u8 = 1;
/// `INFO`: an unsolicited update.
pub const INFO: u8 = 2;
/// Precedes a well-known variable's name.
pub const VAR: u8 = 0;
/// Precedes a value.
pub const VALUE: u8 = 1;
/// Escapes the next byte so it is taken literally.
pub const ESC: u8 = 2;
/// Precedes a user variable's name.
pub const USERVAR: u8 = 3;

/// Whether a name is a well-known `VAR` or a `USERVAR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarKind {
    /// A well-known variable (RFC 1572 lists USER, JOB, ACCT, PRINTER, SYSTEMTYPE, DISPLAY).
    Var,
    /// Any other variable.
    UserVar,
}

impl VarKind {
    /// The kind RFC 1572 gives a name: `Var` for its six well-known names, else `UserVar`.
    pub fn for_name(name: &[u8]) -> VarKind {
        const WELL_KNOWN: [&[u8]; 6] = [
            b"USER",
            b"JOB",
            b"ACCT",
            b"PRINTER",
            b"SYSTEMTYPE",
            b"DISPLAY",
        ];
        if WELL_KNOWN.contains(&name) {
            VarKind::Var
        } else {
            VarKind::UserVar
        }
    }

    fn byte(self) -> u8 {
        match self {
            VarKind::Var => VAR,
            VarKind::UserVar => USERVAR,
        }
    }
}

/// One variable in an `IS`/`INFO` message; `value: None` means "not defined" (the
/// name is sent without `VALUE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// `VAR` or `USERVAR`.
    pub kind: VarKind,
    /// The name's bytes.
    pub name: Vec<u8>,
    /// The value's bytes, if defined.
    pub value: Option<Vec<u8>>,
}

fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &byte in bytes {
        if byte <= USERVAR {
            out.push(ESC);
        }
        out.push(byte);
    }
}

/// A `SEND` payload asking for `names`. An empty name asks for every variable of its
/// kind; an empty list asks for everything.
///
/// ```
/// use telnetlib::proto::environ::{request, VarKind};
/// assert_eq!(request(&[(VarKind::Var, b"USER"), (VarKind::UserVar, b"")]), b"\x01\x00USER\x03");
/// ```
pub fn request(names: &[(VarKind, &[u8])]) -> Vec<u8> {
    let mut out = vec![SEND];
    for (kind, name) in names {
        out.push(kind.byte());
        push_escaped(&mut out, name);
    }
    out
}

/// [`request`] split into `SEND` payloads of at most `max_len` bytes (before IAC
/// doubling), for peers with small buffers: GNU inetutils' telnetd keeps 256 bytes.
/// A name longer than `max_len` gets a frame of its own.
///
/// ```
/// use telnetlib::proto::environ::{request_frames, VarKind};
/// let frames = request_frames(&[(VarKind::Var, b"USER"), (VarKind::Var, b"LANG")], 8);
/// assert_eq!(frames, [b"\x01\x00USER".to_vec(), b"\x01\x00LANG".to_vec()]);
/// ```
pub fn request_frames(names: &[(VarKind, &[u8])], max_len: usize) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut frame = vec![SEND];
    for (kind, name) in names {
        let mut item = vec![kind.byte()];
        push_escaped(&mut item, name);
        if frame.len() > 1 && frame.len() + item.len() > max_len {
            frames.push(std::mem::replace(&mut frame, vec![SEND]));
        }
        frame.extend(item);
    }
    frames.push(frame);
    frames
}

/// An `IS` payload answering with `variables`.
///
/// ```
/// use telnetlib::proto::environ::{answer, Variable, VarKind};
/// let vars = [Variable { kind: VarKind::UserVar, name: b"TERM".to_vec(), value: Some(b"xterm".to_vec()) }];
/// assert_eq!(answer(&vars), b"\x00\x03TERM\x01xterm");
/// ```
pub fn answer(variables: &[Variable]) -> Vec<u8> {
    let mut out = vec![IS];
    for variable in variables {
        out.push(variable.kind.byte());
        push_escaped(&mut out, &variable.name);
        if let Some(value) = &variable.value {
            out.push(VALUE);
            push_escaped(&mut out, value);
        }
    }
    out
}

/// Splits a message body into `(type byte, unescaped text)` items.
pub(super) fn items(body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut items: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut bytes = body.iter().copied();
    while let Some(byte) = bytes.next() {
        match byte {
            VAR | VALUE | USERVAR => items.push((byte, Vec::new())),
            ESC => {
                if let (Some(next), Some(item)) = (bytes.next(), items.last_mut()) {
                    item.1.push(next);
                }
            }
            // Bytes before the first type byte belong to nothing and are skipped.
            other => {
                if let Some(item) = items.last_mut() {
                    item.1.push(other);
                }
            }
        }
    }
    items
}

/// The names a `SEND` payload asks for, or `None` if the payload is not a `SEND`.
/// An empty list means "everything".
pub fn parse_request(payload: &[u8]) -> Option<Vec<(VarKind, Vec<u8>)>> {
    let body = payload.strip_prefix(&[SEND])?;
    Some(
        items(body)
            .into_iter()
            .filter_map(|(kind, name)| match kind {
                VAR => Some((VarKind::Var, name)),
                USERVAR => Some((VarKind::UserVar, name)),
                _ => None,
            })
            .collect(),
    )
}

/// The variables of an `IS` or `INFO` payload, with `true` for `INFO`, or `None` for
/// any other payload. A `VALUE` without a name before it is ignored.
pub fn parse_answer(payload: &[u8]) -> Option<(bool, Vec<Variable>)> {
    let (&first, body) = payload.split_first()?;
    let info = match first {
        IS => false,
        INFO => true,
        _ => return None,
    };
    let mut variables: Vec<Variable> = Vec::new();
    for (kind, text) in items(body) {
        match kind {
            VALUE => {
                if let Some(variable) = variables.last_mut() {
                    variable.value = Some(text);
                }
            }
            _ => variables.push(Variable {
                kind: if kind == VAR {
                    VarKind::Var
                } else {
                    VarKind::UserVar
                },
                name: text,
                value: None,
            }),
        }
    }
    Some((info, variables))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_type_bytes_round_trip() {
        let vars = vec![Variable {
            kind: VarKind::UserVar,
            name: b"A\x01B".to_vec(),
            value: Some(b"\x00\x02\x03".to_vec()),
        }];
        let payload = answer(&vars);
        assert_eq!(payload, b"\x00\x03A\x02\x01B\x01\x02\x00\x02\x02\x02\x03");
        assert_eq!(parse_answer(&payload), Some((false, vars)));
    }

    #[test]
    fn an_undefined_variable_has_no_value() {
        let (_, vars) = parse_answer(b"\x00\x00USER\x03LANG\x01C").unwrap();
        assert_eq!(vars[0].value, None);
        assert_eq!(vars[1].value.as_deref(), Some(&b"C"[..]));
    }

    #[test]
    fn requests_parse_with_bare_types_as_empty_names() {
        let names = parse_request(b"\x01\x00TERM\x00\x03").unwrap();
        assert_eq!(
            names,
            [
                (VarKind::Var, b"TERM".to_vec()),
                (VarKind::Var, Vec::new()),
                (VarKind::UserVar, Vec::new())
            ]
        );
        assert_eq!(parse_request(b"\x01").unwrap(), []);
        assert_eq!(parse_request(b"\x00"), None);
    }

    #[test]
    fn info_is_told_apart_from_is() {
        assert!(parse_answer(b"\x02\x00X\x01y").unwrap().0);
        assert_eq!(parse_answer(b"\x01"), None);
    }
}
