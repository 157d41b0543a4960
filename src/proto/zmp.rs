//! ZMP (Zenith MUD Protocol, option 93): a command and its arguments, each a string
//! ended by a NUL byte (`zmp.ident\0telnetlib\00.1.0\0`).
//!
//! Both ends of a ZMP session must implement the core `zmp.` package; the connections
//! of this crate answer its requests themselves ([`answer`]) and queue every message
//! for the application.

use std::time::{SystemTime, UNIX_EPOCH};

/// The core commands every ZMP implementation supports (the ZMP specification's
/// `zmp.` package).
pub const CORE: [&str; 7] = [
    "zmp.ping",
    "zmp.time",
    "zmp.ident",
    "zmp.check",
    "zmp.support",
    "zmp.no-support",
    "zmp.input",
];

/// The payload for `command` with `args`: each string as UTF-8 followed by a NUL.
/// NUL bytes inside the strings cannot be sent and are dropped.
///
/// ```
/// use telnetlib::proto::zmp;
/// assert_eq!(zmp::encode("zmp.ident", &["telnetlib", "1.0"]), b"zmp.ident\0telnetlib\x001.0\0");
/// assert_eq!(zmp::encode("zmp.ping", &[]), b"zmp.ping\0");
/// ```
pub fn encode(command: &str, args: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in std::iter::once(command).chain(args.iter().copied()) {
        out.extend(part.bytes().filter(|&b| b != 0));
        out.push(0);
    }
    out
}

/// The command and arguments of a payload, `[command, arg, …]`, each decoded as
/// UTF-8 with Latin-1 for invalid bytes, as telnetlib3 does. A missing final NUL is
/// tolerated. `None` when there is no command name.
///
/// ```
/// use telnetlib::proto::zmp;
/// assert_eq!(zmp::decode(b"zmp.check\0zmp.\0").unwrap(), ["zmp.check", "zmp."]);
/// assert_eq!(zmp::decode(b"\0x\0"), None);
/// ```
pub fn decode(payload: &[u8]) -> Option<Vec<String>> {
    let payload = payload.strip_suffix(b"\0").unwrap_or(payload);
    if payload.is_empty() || payload[0] == 0 {
        return None;
    }
    Some(payload.split(|&b| b == 0).map(text).collect())
}

fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Whether this crate supports `name`, a command or a package ending in `.`, as
/// `zmp.check` asks: the core package and its commands.
pub fn supports(name: &str) -> bool {
    name == "zmp." || CORE.contains(&name)
}

/// The reply the core package requires to `message` (`[command, arg, …]`), if any:
/// `zmp.time` to `zmp.ping`, and `zmp.support` or `zmp.no-support` to `zmp.check`.
///
/// ```
/// use telnetlib::proto::zmp;
/// let check = |name: &str| zmp::answer(&["zmp.check".into(), name.into()], std::time::UNIX_EPOCH);
/// assert_eq!(check("zmp.ping").unwrap(), b"zmp.support\0zmp.ping\0");
/// assert_eq!(check("color.").unwrap(), b"zmp.no-support\0color.\0");
/// let ping = zmp::answer(&["zmp.ping".into()], std::time::UNIX_EPOCH);
/// assert_eq!(ping.unwrap(), b"zmp.time\x001970-01-01 00:00:00\0");
/// ```
pub fn answer(message: &[String], now: SystemTime) -> Option<Vec<u8>> {
    match message {
        [command] if command == "zmp.ping" => Some(encode("zmp.time", &[&utc_time(now)])),
        [command, name, ..] if command == "zmp.check" => {
            let reply = if supports(name) {
                "zmp.support"
            } else {
                "zmp.no-support"
            };
            Some(encode(reply, &[name]))
        }
        _ => None,
    }
}

/// `now` as `zmp.time` gives it: `YYYY-MM-DD HH:MM:SS` in UTC.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use telnetlib::proto::zmp;
/// let moment = UNIX_EPOCH + Duration::from_secs(1_795_514_400);
/// assert_eq!(zmp::utc_time(moment), "2026-11-24 10:00:00");
/// ```
pub fn utc_time(now: SystemTime) -> String {
    let seconds = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let (year, month, day) = civil_date(seconds / 86_400);
    let of_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// days-to-civil algorithm: eras of 400 years, years starting in March).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let days = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = days / 146_097;
    let day_of_era = days % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_cross_leap_years_and_centuries() {
        for (seconds, expected) in [
            (0, "1970-01-01 00:00:00"),
            (951_782_400, "2000-02-29 00:00:00"),
            (951_868_799, "2000-02-29 23:59:59"),
            (4_107_542_400, "2100-03-01 00:00:00"),
            (1_709_251_199, "2024-02-29 23:59:59"),
            (1_735_689_599, "2024-12-31 23:59:59"),
        ] {
            let moment = UNIX_EPOCH + Duration::from_secs(seconds);
            assert_eq!(utc_time(moment), expected, "{seconds}");
        }
    }

    #[test]
    fn encode_and_decode_round_trip() {
        let payload = encode("room.exits", &["north", "", "süd"]);
        assert_eq!(
            decode(&payload).unwrap(),
            ["room.exits", "north", "", "süd"]
        );
        assert_eq!(decode(b"zmp.ping").unwrap(), ["zmp.ping"]);
        assert_eq!(decode(b""), None);
        assert_eq!(decode(b"\0"), None);
        assert_eq!(decode(b"x\xff\0").unwrap(), ["x\u{ff}"]);
    }

    #[test]
    fn checks_answer_for_the_core_only() {
        assert!(supports("zmp."));
        assert!(supports("zmp.input"));
        assert!(!supports("zmp.unknown"));
        assert!(!supports("color.define"));
        assert_eq!(answer(&["zmp.time".into(), "x".into()], UNIX_EPOCH), None);
        assert_eq!(answer(&["zmp.check".into()], UNIX_EPOCH), None);
    }
}
