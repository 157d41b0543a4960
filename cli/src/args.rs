//! Command-line arguments: one-line errors, option lists, durations in seconds.

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

/// Options from every use of a repeatable flag, each a comma-separated list of names
/// or numbers (`--always-do NAWS,TTYPE --always-do 201`).
pub fn parse_options(lists: &[String]) -> Result<Vec<Opt>, String> {
    lists
        .iter()
        .flat_map(|list| list.split(','))
        .filter(|item| !item.trim().is_empty())
        .map(|item| item.trim().parse::<Opt>().map_err(|e| e.to_string()))
        .collect()
}

/// Seconds as a `Duration`; zero or less is `None` ("off"), and so is infinity
/// (`inf`: no limit).
pub fn seconds(value: f64) -> Option<Duration> {
    (value > 0.0 && value.is_finite()).then(|| Duration::from_secs_f64(value))
}

/// The encoding a `--encoding` label names; an unknown one is an argument error
/// (one line, exit status 2).
pub fn encoding_or_exit(program: &str, label: &str) -> telnetlib::Encoding {
    telnetlib::Encoding::for_label(label).unwrap_or_else(|error| {
        eprintln!("{program}: --encoding: {error:#}");
        std::process::exit(2);
    })
}

/// The one-line warning for a telnetlib3 flag that is accepted but means nothing
/// here, naming the reason.
pub fn warn_ignored(program: &str, flag: &str, reason: &str) {
    eprintln!("{program}: warning: {flag} is ignored: {reason}");
}
