//! GMCP (Generic MUD Communication Protocol, option 201): `Package.Message` followed by
//! a space and JSON text. The JSON stays text: no JSON library is imposed; parse it
//! with whichever you use.

/// A GMCP payload: `package` (`Core.Hello`, `Room.Info`, …), then, when `json` is
/// given, a space and the JSON text.
///
/// ```
/// use telnetlib::proto::gmcp;
/// assert_eq!(gmcp::encode("Core.Ping", None), b"Core.Ping");
/// assert_eq!(gmcp::encode("Room.Info", Some(r#"{"num":1}"#)), br#"Room.Info {"num":1}"#);
/// ```
pub fn encode(package: &str, json: Option<&str>) -> Vec<u8> {
    let mut out = package.as_bytes().to_vec();
    if let Some(json) = json {
        out.push(b' ');
        out.extend_from_slice(json.as_bytes());
    }
    out
}

/// Splits a GMCP payload into the package name and the JSON text (empty when there is
/// none), decoding UTF-8 and falling back to Latin-1 for invalid bytes, as telnetlib3
/// does. `None` for an empty payload.
///
/// ```
/// use telnetlib::proto::gmcp;
/// let (package, json) = gmcp::decode(b"Char.Vitals {\"hp\":10}").unwrap();
/// assert_eq!((package.as_str(), json.as_str()), ("Char.Vitals", "{\"hp\":10}"));
/// ```
pub fn decode(payload: &[u8]) -> Option<(String, String)> {
    if payload.is_empty() {
        return None;
    }
    let text = match std::str::from_utf8(payload) {
        Ok(text) => text.to_owned(),
        Err(_) => payload.iter().map(|&b| char::from(b)).collect(),
    };
    let (package, json) = text.split_once(' ').unwrap_or((&text, ""));
    Some((package.to_owned(), json.trim_start().to_owned()))
}

/// The JSON array `["name version", …]` of `Core.Supports.Set` for `modules` given
/// as `(name, version)`.
///
/// ```
/// use telnetlib::proto::gmcp;
/// assert_eq!(gmcp::supports(&[("Char", 1), ("Room", 1)]), r#"["Char 1","Room 1"]"#);
/// ```
pub fn supports(modules: &[(&str, u32)]) -> String {
    let items: Vec<String> = modules
        .iter()
        .map(|(name, version)| format!("\"{} {version}\"", json_escape(name)))
        .collect();
    format!("[{}]", items.join(","))
}

/// The JSON object of `Core.Hello`: `{"client":…,"version":…}`.
///
/// ```
/// use telnetlib::proto::gmcp;
/// assert_eq!(gmcp::hello("telnetlib", "0.1.0"), r#"{"client":"telnetlib","version":"0.1.0"}"#);
/// ```
pub fn hello(client: &str, version: &str) -> String {
    format!(
        "{{\"client\":\"{}\",\"version\":\"{}\"}}",
        json_escape(client),
        json_escape(version)
    )
}

/// Escapes a string for a JSON string literal.
fn json_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_handles_no_json_latin1_and_empty() {
        assert_eq!(
            decode(b"Core.Goodbye"),
            Some(("Core.Goodbye".into(), String::new()))
        );
        assert_eq!(
            decode(b"Comm.Say \"caf\xe9\""),
            Some(("Comm.Say".into(), "\"caf\u{e9}\"".into()))
        );
        assert_eq!(decode(b""), None);
    }

    #[test]
    fn strings_are_escaped_for_json() {
        assert_eq!(
            hello("a\"b\\c\n", "1"),
            r#"{"client":"a\"b\\c\u000a","version":"1"}"#
        );
    }
}
