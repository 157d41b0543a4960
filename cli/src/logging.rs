//! Logging as telnetlib3's tools set it up: a level by Python's names or Rust's, a
//! Python `logging` format string, and a log file appended to or rewritten.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

/// How a file named on the command line is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileMode {
    /// Add to what the file holds.
    Append,
    /// Start the file afresh.
    Rewrite,
}

impl FileMode {
    /// Opens (creating) `path` in this mode.
    pub fn open(self, path: &Path) -> std::io::Result<std::fs::File> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true);
        match self {
            FileMode::Append => options.append(true),
            FileMode::Rewrite => options.write(true).truncate(true),
        };
        options.open(path)
    }
}

/// telnetlib3's default `--logfmt`.
pub const DEFAULT_FORMAT: &str = "%(levelname)s %(filename)s:%(lineno)d %(message)s";

/// The level a `--loglevel` names: Rust's names (`error`, `warn`, `info`, `debug`,
/// `trace`, `off`) or Python's (`warning`, `critical`, `fatal`, any case).
pub fn level(name: &str) -> Option<log::LevelFilter> {
    match name.to_ascii_lowercase().as_str() {
        "warning" => Some(log::LevelFilter::Warn),
        "critical" | "fatal" => Some(log::LevelFilter::Error),
        "notset" => Some(log::LevelFilter::Trace),
        other => other.parse().ok(),
    }
}

/// Where the log goes and how it looks: the flags both tools share (their
/// `--loglevel` defaults differ, so each has its own).
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Log format, with Python logging's fields: %(levelname)s, %(message)s,
    /// %(asctime)s, %(name)s, %(filename)s, %(lineno)d, …
    #[arg(long, default_value = DEFAULT_FORMAT, value_name = "FORMAT")]
    pub logfmt: String,
    /// Write the log to this file instead of standard error.
    #[arg(long, value_name = "FILE")]
    pub logfile: Option<PathBuf>,
    /// Whether --logfile is appended to or rewritten.
    #[arg(long, value_enum, default_value_t = FileMode::Append, value_name = "MODE")]
    pub logfile_mode: FileMode,
}

/// Starts logging at `level`; a bad level or a log file that cannot be opened is an
/// argument error (one line, exit status 2).
pub fn init(program: &str, level_name: &str, settings: &LogArgs) {
    let filter = level(level_name).unwrap_or_else(|| {
        eprintln!(
            "{program}: unknown log level {level_name:?} (debug, info, warning, error, critical, trace)"
        );
        std::process::exit(2);
    });
    let format = settings.logfmt.clone();
    let mut builder = env_logger::Builder::new();
    builder
        .filter_level(filter)
        .format(move |out, record| writeln!(out, "{}", render(&format, record)));
    if let Some(path) = &settings.logfile {
        match settings.logfile_mode.open(path) {
            Ok(file) => {
                builder.target(env_logger::Target::Pipe(Box::new(file)));
            }
            Err(error) => {
                eprintln!(
                    "{program}: cannot open log file {}: {error:#}",
                    path.display()
                );
                std::process::exit(2);
            }
        }
    }
    builder.init();
}

/// One record through a Python `logging` format: `%(name)s`-style fields (with an
/// optional width or precision, as in `%(levelname)-8s`) and `%%`. Fields with no
/// equivalent here are left as written.
fn render(format: &str, record: &log::Record<'_>) -> String {
    let mut out = String::with_capacity(format.len() + 64);
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("%%") {
            out.push('%');
            rest = after;
            continue;
        }
        let Some((name, spec, after)) = field(rest) else {
            out.push('%');
            rest = &rest[1..];
            continue;
        };
        match value(name, record) {
            Some(text) => out.push_str(&pad(&text, spec)),
            None => out.push_str(&rest[..rest.len() - after.len()]),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `%(name)<spec><conversion>` at the start of `text`: the name, the spec between
/// the closing parenthesis and the conversion letter, and what follows.
fn field(text: &str) -> Option<(&str, &str, &str)> {
    let inner = text.strip_prefix("%(")?;
    let close = inner.find(')')?;
    let name = &inner[..close];
    let tail = &inner[close + 1..];
    let letter = tail.find(|c: char| c.is_ascii_alphabetic())?;
    let spec = &tail[..letter];
    if !spec
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == '.')
    {
        return None;
    }
    Some((name, spec, &tail[letter + 1..]))
}

fn value(name: &str, record: &log::Record<'_>) -> Option<String> {
    let file = record.file().unwrap_or("?");
    Some(match name {
        "message" => record.args().to_string(),
        "levelname" => match record.level() {
            log::Level::Warn => "WARNING".to_owned(),
            level => level.as_str().to_owned(),
        },
        "levelno" => match record.level() {
            log::Level::Error => "40",
            log::Level::Warn => "30",
            log::Level::Info => "20",
            log::Level::Debug => "10",
            log::Level::Trace => "5",
        }
        .to_owned(),
        "name" | "module" => record.target().to_owned(),
        "pathname" => file.to_owned(),
        "filename" => file.rsplit('/').next().unwrap_or(file).to_owned(),
        "lineno" => record.line().unwrap_or(0).to_string(),
        "asctime" => humantime_now(),
        "process" => std::process::id().to_string(),
        "thread" | "threadName" => std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned(),
        _ => return None,
    })
}

/// Python's `%-8s` (left), `%8s` (right) and `%.3s` (truncate).
fn pad(text: &str, spec: &str) -> String {
    let (width, precision) = match spec.split_once('.') {
        Some((width, precision)) => (width, precision.parse::<usize>().ok()),
        None => (spec, None),
    };
    let text: String = match precision {
        Some(n) => text.chars().take(n).collect(),
        None => text.to_owned(),
    };
    let left = width.starts_with('-');
    let width: usize = width.trim_start_matches('-').parse().unwrap_or(0);
    match left {
        true => format!("{text:<width$}"),
        false => format!("{text:>width$}"),
    }
}

/// Python's `asctime`: `2026-12-07 16:42:05,123` (UTC here).
fn humantime_now() -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let (days, seconds) = (since.as_secs() / 86_400, since.as_secs() % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02},{:03}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        since.subsec_millis()
    )
}

/// The calendar date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_line(format: &str) -> String {
        render(
            format,
            &log::Record::builder()
                .args(format_args!("hello"))
                .level(log::Level::Warn)
                .file(Some("src/bin/telnetlib-server/main.rs"))
                .line(Some(42))
                .target("telnetlib_server")
                .build(),
        )
    }

    #[test]
    fn python_format_fields_are_filled_in() {
        assert_eq!(record_line(DEFAULT_FORMAT), "WARNING main.rs:42 hello");
        assert_eq!(
            record_line("[%(levelname)-8s] %(message)s"),
            "[WARNING ] hello"
        );
        assert_eq!(
            record_line("%(levelname).1s %(levelno)d 100%% %(name)s"),
            "W 30 100% telnetlib_server"
        );
        // A field we do not know stays as written.
        assert_eq!(
            record_line("%(funcName)s: %(message)s"),
            "%(funcName)s: hello"
        );
    }

    #[test]
    fn python_and_rust_level_names() {
        assert_eq!(level("warning"), Some(log::LevelFilter::Warn));
        assert_eq!(level("WARN"), Some(log::LevelFilter::Warn));
        assert_eq!(level("critical"), Some(log::LevelFilter::Error));
        assert_eq!(level("DEBUG"), Some(log::LevelFilter::Debug));
        assert_eq!(level("trace"), Some(log::LevelFilter::Trace));
        assert_eq!(level("loud"), None);
    }

    #[test]
    fn dates_from_day_counts() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_429), (2025, 12, 7));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
