//! What the two command-line tools of telnetlib, `telnetlib-server` and
//! `telnetlib-client`, share: argument errors on one line, logging set-up, option
//! lists and durations given in seconds. The tools themselves are this package's
//! binaries; the library they are built on is the `telnetlib` crate.

use std::path::Path;
use std::time::Duration;

use clap::Parser;
use clap::error::ErrorKind;
use telnetlib::proto::Opt;

/// Parses the command line; on a bad argument prints one line and exits with status 2
/// (`--help` and `--version` print and exit 0 as usual).
pub fn parse_or_exit<T: Parser>(program: &str) -> T {
    match T::try_parse() {
        Ok(args) => args,
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            error.exit()
        }
        Err(error) => {
            let text = error.to_string();
            let first = text.lines().next().unwrap_or("bad arguments");
            eprintln!(
                "{program}: {} (try --help)",
                first.trim_start_matches("error: ")
            );
            std::process::exit(2);
        }
    }
}

/// Logs at `level` (error, warn, info, debug, trace) to stderr or to `file`.
pub fn init_logging(program: &str, level: &str, file: Option<&Path>) {
    let filter: log::LevelFilter = level.parse().unwrap_or_else(|_| {
        eprintln!("{program}: unknown log level {level:?} (error, warn, info, debug, trace)");
        std::process::exit(2);
    });
    let mut builder = env_logger::Builder::new();
    builder.filter_level(filter).format_timestamp_millis();
    if let Some(path) = file {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
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

/// Parses `NAWS,TTYPE,201` into options (names or numbers).
pub fn parse_options(list: &str) -> Result<Vec<Opt>, String> {
    list.split(',')
        .filter(|item| !item.trim().is_empty())
        .map(|item| item.parse::<Opt>().map_err(|e| e.to_string()))
        .collect()
}

/// Seconds as a `Duration`; zero or less is `None` ("off").
pub fn seconds(value: f64) -> Option<Duration> {
    (value > 0.0).then(|| Duration::from_secs_f64(value))
}

/// The encoding a `--encoding` label names; an unknown one is an argument error
/// (one line, exit status 2).
pub fn encoding_or_exit(program: &str, label: &str) -> telnetlib::Encoding {
    telnetlib::Encoding::for_label(label).unwrap_or_else(|error| {
        eprintln!("{program}: --encoding: {error:#}");
        std::process::exit(2);
    })
}
