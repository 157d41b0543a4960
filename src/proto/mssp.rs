//! MSSP (MUD Server Status Protocol, option 70): the server's variables for MUD
//! crawlers (`NAME`, `PLAYERS`, `UPTIME`, …), each with one or more values.

/// Precedes a variable name.
pub const VAR: u8 = 1;
/// Precedes a value.
pub const VAL: u8 = 2;

/// The payload for `variables`, each with its values (borrowed or owned: `&str` and
/// `&[&str]`, or `String` and `Vec<String>`). VAR and VAL bytes inside names or values
/// cannot be sent and are dropped.
///
/// ```
/// use telnetlib::proto::mssp;
/// let payload = mssp::encode(&[("NAME", &["Realm"][..]), ("PORT", &["4000", "4001"])]);
/// assert_eq!(payload, b"\x01NAME\x02Realm\x01PORT\x024000\x024001");
/// let owned = vec![("PLAYERS".to_string(), vec!["3".to_string()])];
/// assert_eq!(mssp::encode(&owned), b"\x01PLAYERS\x023");
/// ```
pub fn encode<N, V, S>(variables: &[(N, V)]) -> Vec<u8>
where
    N: AsRef<str>,
    V: AsRef<[S]>,
    S: AsRef<str>,
{
    let mut out = Vec::new();
    for (name, values) in variables {
        out.push(VAR);
        push_text(&mut out, name.as_ref());
        for value in values.as_ref() {
            out.push(VAL);
            push_text(&mut out, value.as_ref());
        }
    }
    out
}

fn push_text(out: &mut Vec<u8>, text: &str) {
    out.extend(text.bytes().filter(|&b| b != VAR && b != VAL));
}

/// The variables of a payload, in order, each with its values (repeated VALs give
/// several). Bytes before the first VAR, and values without a name, are skipped.
///
/// ```
/// use telnetlib::proto::mssp;
/// let vars = mssp::decode(b"\x01PLAYERS\x0212\x01CODEBASE\x02Diku\x02Merc");
/// assert_eq!(vars, [("PLAYERS".into(), vec!["12".into()]), ("CODEBASE".into(), vec!["Diku".into(), "Merc".into()])]);
/// ```
pub fn decode(payload: &[u8]) -> Vec<(String, Vec<String>)> {
    let mut variables: Vec<(String, Vec<String>)> = Vec::new();
    let mut rest = payload;
    while let Some((&kind, after)) = rest.split_first() {
        let end = after
            .iter()
            .position(|&b| b == VAR || b == VAL)
            .unwrap_or(after.len());
        let text = String::from_utf8_lossy(&after[..end]).into_owned();
        match kind {
            VAR => variables.push((text, Vec::new())),
            VAL => {
                if let Some((_, values)) = variables.last_mut() {
                    values.push(text);
                }
            }
            _ => {}
        }
        rest = &after[end..];
    }
    variables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stray_bytes_and_nameless_values_are_skipped() {
        assert_eq!(
            decode(b"junk\x02lost\x01A\x02b"),
            [("A".into(), vec!["b".into()])]
        );
        assert_eq!(decode(b""), []);
        assert_eq!(decode(b"\x01EMPTY"), [("EMPTY".into(), vec![])]);
    }
}
