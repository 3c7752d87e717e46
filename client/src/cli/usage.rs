//! Usage errors as the docker CLI 28 words them: a bad flag or a wrong number of arguments.
//! Flag errors exit 125, like any failure of the CLI itself, and a wrong number of arguments
//! exits with 1. Both end with the verb's usage line and a pointer to `--help`. The texts were
//! captured from docker 28.2.2 (cobra and pflag underneath), quirks included.

use std::ffi::OsString;
use std::num::{IntErrorKind, ParseIntError};

use clap::error::{ContextKind, ContextValue, ErrorKind};

const PROGRAM: &str = "berth";

/// How many arguments a verb takes, as its cobra `Args` check says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arity {
    None,
    Exact(usize),
    AtLeast(usize),
    AtMost(usize),
    Between(usize, usize),
}

/// A client verb's usage line (after the program name) and arity.
struct VerbUsage {
    name: &'static str,
    usage: &'static str,
    arity: Arity,
}

const VERBS: &[VerbUsage] = &[
    verb("pull", "[OPTIONS] NAME[:TAG|@DIGEST]", Arity::Exact(1)),
    verb("images", "[OPTIONS] [REPOSITORY[:TAG]]", Arity::AtMost(1)),
    verb(
        "inspect",
        "[OPTIONS] NAME|ID [NAME|ID...]",
        Arity::AtLeast(1),
    ),
    verb(
        "run",
        "[OPTIONS] IMAGE [COMMAND] [ARG...]",
        Arity::AtLeast(1),
    ),
    verb(
        "create",
        "[OPTIONS] IMAGE [COMMAND] [ARG...]",
        Arity::AtLeast(1),
    ),
    verb(
        "exec",
        "[OPTIONS] CONTAINER COMMAND [ARG...]",
        Arity::AtLeast(2),
    ),
    verb("ps", "[OPTIONS]", Arity::None),
    verb("logs", "[OPTIONS] CONTAINER", Arity::Exact(1)),
    verb(
        "rm",
        "[OPTIONS] CONTAINER [CONTAINER...]",
        Arity::AtLeast(1),
    ),
    verb(
        "commit",
        "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
        Arity::Between(1, 2),
    ),
    verb(
        "tag",
        "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
        Arity::Exact(2),
    ),
    verb("rmi", "[OPTIONS] IMAGE [IMAGE...]", Arity::AtLeast(1)),
    verb(
        "start",
        "[OPTIONS] CONTAINER [CONTAINER...]",
        Arity::AtLeast(1),
    ),
    verb(
        "stop",
        "[OPTIONS] CONTAINER [CONTAINER...]",
        Arity::AtLeast(1),
    ),
    verb(
        "kill",
        "[OPTIONS] CONTAINER [CONTAINER...]",
        Arity::AtLeast(1),
    ),
    verb(
        "restart",
        "[OPTIONS] CONTAINER [CONTAINER...]",
        Arity::AtLeast(1),
    ),
    verb("wait", "CONTAINER [CONTAINER...]", Arity::AtLeast(1)),
    verb("pause", "CONTAINER [CONTAINER...]", Arity::AtLeast(1)),
    verb("unpause", "CONTAINER [CONTAINER...]", Arity::AtLeast(1)),
    verb("rename", "CONTAINER NEW_NAME", Arity::Exact(2)),
    verb("diff", "CONTAINER", Arity::Exact(1)),
    verb("top", "CONTAINER [ps OPTIONS]", Arity::AtLeast(1)),
    verb("load", "[OPTIONS]", Arity::None),
    verb("version", "[OPTIONS]", Arity::None),
    verb("info", "[OPTIONS]", Arity::None),
    verb("container prune", "[OPTIONS]", Arity::None),
    verb("image prune", "[OPTIONS]", Arity::None),
];

/// The management commands: their verb is two words (`container prune`).
const GROUPS: [&str; 2] = ["container", "image"];

const fn verb(name: &'static str, usage: &'static str, arity: Arity) -> VerbUsage {
    VerbUsage { name, usage, arity }
}

/// What to print on standard error, and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    pub text: String,
    pub code: i32,
}

/// Words a command-line parse error the way docker does, when it concerns a client verb or an
/// unknown command. `args` is the whole command line (program name first); `command` is the
/// parser's definition, for the names of a flag whose value was refused. Anything else (help,
/// `--version`, the `conform`/`bench`/`daemon` commands) is left to clap: `None`.
pub fn usage_error(
    err: &clap::Error,
    args: &[OsString],
    command: &clap::Command,
) -> Option<UsageError> {
    let verb_name = verb_of(args)?;
    let Some(verb) = VERBS.iter().find(|v| v.name == verb_name) else {
        // Other words of a management command are left to clap.
        if verb_name.contains(' ') {
            return None;
        }
        return (err.kind() == ErrorKind::InvalidSubcommand).then(|| UsageError {
            text: format!(
                "{PROGRAM}: unknown command: {PROGRAM} {verb_name}\n\n\
                 Run '{PROGRAM} --help' for more information\n"
            ),
            code: 1,
        });
    };
    let invalid_arg = context_str(err, ContextKind::InvalidArg);
    let flag_problem = match err.kind() {
        ErrorKind::UnknownArgument => match invalid_arg {
            Some(flag) if flag.starts_with("--") => Some(format!("unknown flag: {flag}")),
            Some(flag) if flag.starts_with('-') && flag.len() > 1 => {
                let letter = flag.chars().nth(1).unwrap_or('-');
                Some(format!("unknown shorthand flag: '{letter}' in -{letter}"))
            }
            // A positional argument too many: an arity problem.
            _ => None,
        },
        ErrorKind::InvalidValue if context_str(err, ContextKind::InvalidValue) == Some("") => {
            let flag = flag_names(command, verb.name, invalid_arg?, args)?;
            Some(match flag.short {
                Some(short) if !args_use_long(args, &flag.long) => {
                    format!("flag needs an argument: '{short}' in -{short}")
                }
                _ => format!("flag needs an argument: --{}", flag.long),
            })
        }
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let flag = flag_names(command, verb.name, invalid_arg?, args)?;
            let value = context_str(err, ContextKind::InvalidValue).unwrap_or_default();
            Some(format!(
                "invalid argument \"{value}\" for \"{}\" flag: {}",
                flag.display(),
                go_parse_error(err, value)
            ))
        }
        ErrorKind::MissingRequiredArgument
        | ErrorKind::TooManyValues
        | ErrorKind::TooFewValues
        | ErrorKind::WrongNumberOfValues => None,
        _ => return None,
    };
    Some(match flag_problem {
        Some(problem) => UsageError {
            text: format!(
                "{problem}\n\nUsage:  {PROGRAM} {} {}\n\n\
                 Run '{PROGRAM} {} --help' for more information\n",
                verb.name, verb.usage, verb.name
            ),
            code: 125,
        },
        None => arity_error(verb),
    })
}

/// `docker: 'docker X' requires ...`. The closing line's verb differs by check in docker 28,
/// and its at-most check prints `SRun` (a leftover of an older `See`): copied as it is.
fn arity_error(verb: &VerbUsage) -> UsageError {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    let (requirement, pointer) = match verb.arity {
        Arity::None => ("accepts no arguments".to_string(), "Run"),
        Arity::Exact(n) => (format!("requires {n} {}", plural(n)), "Run"),
        Arity::AtLeast(n) => (format!("requires at least {n} {}", plural(n)), "See"),
        Arity::AtMost(n) => (format!("requires at most {n} {}", plural(n)), "SRun"),
        Arity::Between(lo, hi) => (
            format!("requires at least {lo} and at most {hi} {}", plural(hi)),
            "Run",
        ),
    };
    UsageError {
        text: format!(
            "{PROGRAM}: '{PROGRAM} {name}' {requirement}\n\nUsage:  {PROGRAM} {name} {usage}\n\n\
             {pointer} '{PROGRAM} {name} --help' for more information\n",
            name = verb.name,
            usage = verb.usage,
        ),
        code: 1,
    }
}

/// The first word after the global flags (`-H HOST`, `--tlscacert FILE`, ...), with the next
/// one for a management command (`container prune`), if any.
fn verb_of(args: &[OsString]) -> Option<String> {
    const WITH_VALUE: [&str; 5] = ["-H", "--host", "--tlscacert", "--tlscert", "--tlskey"];
    let mut words = args.iter().skip(1).map(|a| a.to_str());
    while let Some(word) = words.next() {
        let word = word?;
        if WITH_VALUE.contains(&word) {
            words.next();
        } else if !word.starts_with('-') {
            return Some(match (GROUPS.contains(&word), words.next().flatten()) {
                (true, Some(sub)) => format!("{word} {sub}"),
                _ => word.to_string(),
            });
        }
    }
    None
}

/// A flag's names, looked up in the verb's definition.
struct FlagNames {
    short: Option<char>,
    long: String,
}

impl FlagNames {
    /// pflag's way: `-n, --last`, or `--since` without a short name.
    fn display(&self) -> String {
        match self.short {
            Some(short) => format!("-{short}, --{}", self.long),
            None => format!("--{}", self.long),
        }
    }
}

/// Finds the flag clap names as `--last <N>` or `-n <N>` in `verb`'s definition. A flag given
/// by a deprecated alias (`--time` for `--timeout`) is a flag of its own in docker, named alone.
fn flag_names(
    command: &clap::Command,
    verb: &str,
    rendered: &str,
    args: &[OsString],
) -> Option<FlagNames> {
    let name = rendered.split([' ', '=']).next()?;
    let mut sub = command;
    for word in verb.split(' ') {
        sub = sub.find_subcommand(word)?;
    }
    let arg = sub.get_arguments().find(|a| {
        a.get_long().is_some_and(|l| name == format!("--{l}"))
            || a.get_short().is_some_and(|s| name == format!("-{s}"))
    })?;
    if let Some(alias) = arg
        .get_all_aliases()
        .into_iter()
        .flatten()
        .find(|alias| args_use_long(args, alias))
    {
        return Some(FlagNames {
            short: None,
            long: alias.to_string(),
        });
    }
    Some(FlagNames {
        short: arg.get_short(),
        long: arg.get_long()?.to_string(),
    })
}

/// Whether the command line spelled the flag long (`--name` or `--name=...`), not short.
fn args_use_long(args: &[OsString], long: &str) -> bool {
    let spelled = format!("--{long}");
    args.iter().filter_map(|a| a.to_str()).any(|a| {
        a == spelled
            || a.strip_prefix(spelled.as_str())
                .is_some_and(|r| r.starts_with('='))
    })
}

/// Go's text for a value that did not parse: `strconv.ParseInt: parsing "x": invalid syntax`
/// for integers (every numeric flag of these verbs is an int), clap's own words otherwise.
fn go_parse_error(err: &clap::Error, value: &str) -> String {
    let source = std::error::Error::source(err);
    match source.and_then(|s| s.downcast_ref::<ParseIntError>()) {
        Some(e) => {
            let why = match e.kind() {
                IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => "value out of range",
                _ => "invalid syntax",
            };
            format!("strconv.ParseInt: parsing \"{value}\": {why}")
        }
        None => source.map_or_else(|| "invalid value".into(), |s| s.to_string()),
    }
}

fn context_str(err: &clap::Error, kind: ContextKind) -> Option<&str> {
    match err.get(kind)? {
        ContextValue::String(s) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Debug, Parser)]
    #[command(name = "berth")]
    struct Top {
        #[command(flatten)]
        global: crate::cli::GlobalArgs,
        #[command(subcommand)]
        verb: crate::cli::Verb,
    }

    fn error_for(line: &str) -> Option<UsageError> {
        let args: Vec<OsString> = std::iter::once("berth")
            .chain(line.split_whitespace())
            .map(OsString::from)
            .collect();
        let err = Top::try_parse_from(&args).expect_err("the line is invalid");
        usage_error(&err, &args, &Top::command())
    }

    /// The texts below are docker 28.2.2's, with `docker` replaced by `berth`.
    #[test]
    fn bad_flags_exit_125_with_pflags_words() {
        let cases = [
            ("run --bogus busybox", "unknown flag: --bogus", "run"),
            ("-H unix:///x run -z busybox", "unknown shorthand flag: 'z' in -z", "run"),
            ("run --name", "flag needs an argument: --name", "run"),
            ("kill -s", "flag needs an argument: 's' in -s", "kill"),
            ("stop a --timeout", "flag needs an argument: --timeout", "stop"),
            (
                "stop -t x a",
                "invalid argument \"x\" for \"-t, --timeout\" flag: strconv.ParseInt: parsing \"x\": invalid syntax",
                "stop",
            ),
            (
                "restart --time 99999999999999999999 a",
                "invalid argument \"99999999999999999999\" for \"--time\" flag: strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
                "restart",
            ),
        ];
        for (line, first, verb) in cases {
            let got = error_for(line).unwrap_or_else(|| panic!("{line}: left to clap"));
            assert_eq!(got.code, 125, "{line}");
            let usage = VERBS.iter().find(|v| v.name == verb).unwrap().usage;
            assert_eq!(
                got.text,
                format!(
                    "{first}\n\nUsage:  berth {verb} {usage}\n\nRun 'berth {verb} --help' for more information\n"
                ),
                "{line}"
            );
        }
    }

    #[test]
    fn a_wrong_number_of_arguments_exits_1_with_cobras_words() {
        let first_line = |line| {
            let got = error_for(line).unwrap();
            assert_eq!(got.code, 1, "{line}");
            let mut lines = got.text.lines();
            let first = lines.next().unwrap().to_string();
            (first, lines.last().unwrap().to_string())
        };
        assert_eq!(
            first_line("run"),
            (
                "berth: 'berth run' requires at least 1 argument".into(),
                "See 'berth run --help' for more information".into()
            )
        );
        assert_eq!(
            first_line("run --name=x").0,
            "berth: 'berth run' requires at least 1 argument"
        );
        assert_eq!(
            first_line("tag a"),
            (
                "berth: 'berth tag' requires 2 arguments".into(),
                "Run 'berth tag --help' for more information".into()
            )
        );
        assert_eq!(
            first_line("ps x").0,
            "berth: 'berth ps' accepts no arguments"
        );
        assert_eq!(
            first_line("images a b"),
            (
                "berth: 'berth images' requires at most 1 argument".into(),
                "SRun 'berth images --help' for more information".into()
            )
        );
        assert_eq!(
            first_line("commit a b c").0,
            "berth: 'berth commit' requires at least 1 and at most 2 arguments"
        );
        assert_eq!(
            first_line("version x").0,
            "berth: 'berth version' accepts no arguments"
        );
    }

    #[test]
    fn an_unknown_command_exits_1_and_other_errors_stay_claps() {
        assert_eq!(
            error_for("bogus"),
            Some(UsageError {
                text: "berth: unknown command: berth bogus\n\nRun 'berth --help' for more information\n"
                    .into(),
                code: 1
            })
        );
        assert_eq!(error_for("ps --help"), None);
    }
}
