//! Parsing docker argument vectors into commands, with the docker CLI's flag rules: short
//! flags combine (`-aq`), values attach (`-t5`, `--time=5`) or follow, `--` ends the flags,
//! and `create`/`run` stop reading flags at the image.

use super::{shell::split_words, Command, CreateOpts};

/// Why an argument vector is not a command the model knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("empty command")]
    Empty,
    #[error("unknown command {0:?}")]
    UnknownVerb(String),
    #[error("{verb}: unknown flag {flag:?}")]
    UnknownFlag { verb: String, flag: String },
    #[error("{verb}: flag {flag} needs a value")]
    MissingValue { verb: String, flag: String },
    #[error("{verb}: {what}")]
    Arguments { verb: String, what: String },
    #[error("{verb}: invalid value {value:?} for {flag}")]
    BadValue {
        verb: String,
        flag: String,
        value: String,
    },
    #[error("cannot split line: {0}")]
    Shell(String),
}

/// One flag a verb accepts.
struct Flag {
    short: Option<char>,
    long: &'static str,
    takes_value: bool,
}

const fn flag(short: Option<char>, long: &'static str, takes_value: bool) -> Flag {
    Flag {
        short,
        long,
        takes_value,
    }
}

/// Flags as parsed: `(long name, value)` in order, plus the positional words.
struct Parsed {
    flags: Vec<(&'static str, String)>,
    args: Vec<String>,
}

impl Parsed {
    fn on(&self, long: &str) -> bool {
        self.flags.iter().any(|(l, _)| *l == long)
    }

    fn last(&self, long: &str) -> Option<String> {
        self.flags
            .iter()
            .rev()
            .find(|(l, _)| *l == long)
            .map(|(_, v)| v.clone())
    }

    fn all(&self, long: &str) -> Vec<String> {
        self.flags
            .iter()
            .filter(|(l, _)| *l == long)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Parses one scenario line (`docker run -d toolbox`, or without the `docker`).
pub fn parse_line(line: &str) -> Result<Option<Command>, CommandError> {
    let mut words = split_words(line).map_err(CommandError::Shell)?;
    if words.first().map(String::as_str) == Some("docker") {
        words.remove(0);
    }
    if words.is_empty() {
        return Ok(None);
    }
    parse_argv(&words).map(Some)
}

/// Parses an argument vector after `docker`.
pub fn parse_argv(argv: &[String]) -> Result<Command, CommandError> {
    let (verb, rest) = argv.split_first().ok_or(CommandError::Empty)?;
    let v = verb.as_str();
    let p = |flags: &[Flag], interspersed: bool| parse_flags(v, rest, flags, interspersed);
    let all = flag(Some('a'), "all", false);
    let quiet = flag(Some('q'), "quiet", false);
    let force = flag(Some('f'), "force", false);
    let time = [flag(Some('t'), "time", true), flag(None, "timeout", true)];
    Ok(match v {
        "pull" => Command::Pull {
            reference: one(v, p(&[], true)?.args)?,
        },
        "images" => {
            let p = p(&[all, quiet], true)?;
            if p.args.len() > 1 {
                return Err(arguments(v, "requires at most 1 argument"));
            }
            Command::Images {
                all: p.on("all"),
                quiet: p.on("quiet"),
                reference: p.args.first().cloned(),
            }
        }
        "inspect" => Command::Inspect {
            target: one(v, p(&[], true)?.args)?,
        },
        "create" => Command::Create(create_opts(v, p(&create_flags(false), false)?)?),
        "run" => {
            let p = p(&create_flags(true), false)?;
            let detach = p.on("detach");
            Command::Run {
                opts: create_opts(v, p)?,
                detach,
            }
        }
        "start" => {
            let p = p(&[flag(Some('a'), "attach", false)], true)?;
            Command::Start {
                attach: p.on("attach"),
                targets: some(v, p.args)?,
            }
        }
        "stop" | "restart" => {
            let p = p(&time, true)?;
            let timeout = timeout(v, &p)?;
            let targets = some(v, p.args)?;
            if v == "stop" {
                Command::Stop { targets, timeout }
            } else {
                Command::Restart { targets, timeout }
            }
        }
        "kill" => {
            let p = p(&[flag(Some('s'), "signal", true)], true)?;
            Command::Kill {
                signal: p.last("signal"),
                targets: some(v, p.args)?,
            }
        }
        "wait" => Command::Wait {
            targets: some(v, p(&[], true)?.args)?,
        },
        "rm" => {
            let p = p(&[force], true)?;
            Command::Rm {
                force: p.on("force"),
                targets: some(v, p.args)?,
            }
        }
        "logs" => Command::Logs {
            target: one(v, p(&[], true)?.args)?,
        },
        "ps" => {
            let p = p(&[all, quiet, flag(None, "no-trunc", false)], true)?;
            none(v, &p.args)?;
            Command::Ps {
                all: p.on("all"),
                quiet: p.on("quiet"),
                no_trunc: p.on("no-trunc"),
            }
        }
        "rename" => {
            let [old, new] = two(v, p(&[], true)?.args)?;
            Command::Rename { old, new }
        }
        "commit" => {
            let p = p(
                &[
                    flag(Some('c'), "change", true),
                    flag(Some('m'), "message", true),
                ],
                true,
            )?;
            let (changes, message) = (p.all("change"), p.last("message"));
            let mut args = p.args.into_iter();
            let target = args
                .next()
                .ok_or_else(|| arguments(v, "requires at least 1 argument"))?;
            let repository = args.next();
            if args.next().is_some() {
                return Err(arguments(v, "requires at most 2 arguments"));
            }
            Command::Commit {
                target,
                repository,
                changes,
                message,
            }
        }
        "tag" | "remote-retag" => {
            let [source, target] = two(v, p(&[], true)?.args)?;
            if v == "tag" {
                Command::Tag { source, target }
            } else {
                Command::RemoteRetag { source, target }
            }
        }
        "rmi" => {
            let p = p(&[force], true)?;
            Command::Rmi {
                force: p.on("force"),
                targets: some(v, p.args)?,
            }
        }
        other => return Err(CommandError::UnknownVerb(other.to_string())),
    })
}

fn create_flags(run: bool) -> Vec<Flag> {
    let mut flags = vec![flag(None, "rm", false), flag(None, "name", true)];
    if run {
        flags.push(flag(Some('d'), "detach", false));
    }
    flags
}

fn create_opts(verb: &str, p: Parsed) -> Result<CreateOpts, CommandError> {
    let mut args = p.args.into_iter();
    let image = args
        .next()
        .ok_or_else(|| arguments(verb, "requires at least 1 argument"))?;
    Ok(CreateOpts {
        image,
        name: p
            .flags
            .iter()
            .rev()
            .find(|(l, _)| *l == "name")
            .map(|(_, v)| v.clone()),
        auto_remove: p.flags.iter().any(|(l, _)| *l == "rm"),
        command: args.collect(),
    })
}

fn timeout(verb: &str, p: &Parsed) -> Result<Option<u32>, CommandError> {
    match p.last("time").or_else(|| p.last("timeout")) {
        None => Ok(None),
        Some(value) => value.parse().map(Some).map_err(|_| CommandError::BadValue {
            verb: verb.to_string(),
            flag: "--time".to_string(),
            value,
        }),
    }
}

fn arguments(verb: &str, what: &str) -> CommandError {
    CommandError::Arguments {
        verb: verb.to_string(),
        what: what.to_string(),
    }
}

fn none(verb: &str, args: &[String]) -> Result<(), CommandError> {
    match args.is_empty() {
        true => Ok(()),
        false => Err(arguments(verb, "takes no arguments here")),
    }
}

fn one(verb: &str, args: Vec<String>) -> Result<String, CommandError> {
    match <[String; 1]>::try_from(args) {
        Ok([arg]) => Ok(arg),
        Err(_) => Err(arguments(verb, "requires exactly 1 argument")),
    }
}

fn two(verb: &str, args: Vec<String>) -> Result<[String; 2], CommandError> {
    <[String; 2]>::try_from(args).map_err(|_| arguments(verb, "requires exactly 2 arguments"))
}

fn some(verb: &str, args: Vec<String>) -> Result<Vec<String>, CommandError> {
    match args.is_empty() {
        true => Err(arguments(verb, "requires at least 1 argument")),
        false => Ok(args),
    }
}

fn parse_flags(
    verb: &str,
    words: &[String],
    spec: &[Flag],
    interspersed: bool,
) -> Result<Parsed, CommandError> {
    let unknown = |f: &str| CommandError::UnknownFlag {
        verb: verb.to_string(),
        flag: f.to_string(),
    };
    let missing = |f: &str| CommandError::MissingValue {
        verb: verb.to_string(),
        flag: f.to_string(),
    };
    let mut parsed = Parsed {
        flags: Vec::new(),
        args: Vec::new(),
    };
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        if word == "--" {
            parsed.args.extend(rest.by_ref().cloned());
        } else if let Some(long) = word.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let f = spec
                .iter()
                .find(|f| f.long == name)
                .ok_or_else(|| unknown(word))?;
            let value = match (f.takes_value, inline) {
                (false, None) => String::new(),
                (false, Some(_)) => return Err(unknown(word)),
                (true, Some(v)) => v,
                (true, None) => rest.next().cloned().ok_or_else(|| missing(word))?,
            };
            parsed.flags.push((f.long, value));
        } else if word.len() > 1 && word.starts_with('-') {
            let shorts: Vec<char> = word[1..].chars().collect();
            for (i, c) in shorts.iter().enumerate() {
                let f = spec
                    .iter()
                    .find(|f| f.short == Some(*c))
                    .ok_or_else(|| unknown(&format!("-{c}")))?;
                if !f.takes_value {
                    parsed.flags.push((f.long, String::new()));
                    continue;
                }
                let attached: String = shorts[i + 1..].iter().collect();
                let value = match attached.strip_prefix('=').unwrap_or(&attached) {
                    "" => rest
                        .next()
                        .cloned()
                        .ok_or_else(|| missing(&format!("-{c}")))?,
                    v => v.to_string(),
                };
                parsed.flags.push((f.long, value));
                break;
            }
        } else {
            parsed.args.push(word.clone());
            if !interspersed {
                parsed.args.extend(rest.by_ref().cloned());
            }
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Verb;

    fn parse(line: &str) -> Command {
        parse_line(line).unwrap().unwrap()
    }

    #[test]
    fn run_stops_reading_flags_at_the_image() {
        let cmd = parse("docker run -d --rm --name=web toolbox /toolbox out -d");
        let Command::Run { opts, detach } = &cmd else {
            panic!("{cmd:?}")
        };
        assert!(*detach && opts.auto_remove);
        assert_eq!(opts.name.as_deref(), Some("web"));
        assert_eq!(opts.command, vec!["/toolbox", "out", "-d"]);
    }

    #[test]
    fn short_flags_combine_and_values_attach() {
        assert_eq!(
            parse("ps -aq"),
            Command::Ps {
                all: true,
                quiet: true,
                no_trunc: false
            }
        );
        assert_eq!(
            parse("stop -t5 a"),
            Command::Stop {
                targets: vec!["a".into()],
                timeout: Some(5)
            }
        );
        assert_eq!(
            parse("stop --time=0 a b"),
            Command::Stop {
                targets: vec!["a".into(), "b".into()],
                timeout: Some(0)
            }
        );
        assert_eq!(
            parse("rm a -f"),
            Command::Rm {
                targets: vec!["a".into()],
                force: true
            }
        );
    }

    #[test]
    fn every_verb_round_trips_through_argv() {
        let lines = [
            "pull hello-world",
            "images -a -q",
            "inspect c0",
            "create --rm --name x toolbox /toolbox sleep",
            "run -d toolbox",
            "start -a c",
            "stop -t 1 c",
            "kill -s TERM c",
            "restart -t 2 c d",
            "wait c",
            "rm -f c",
            "logs c",
            "ps -a --no-trunc",
            "rename a b",
            "rename a -- -x",
            "commit -c 'CMD [\"/toolbox\"]' -m msg c repo:tag",
            "tag a b",
            "rmi -f a",
            "remote-retag a b",
        ];
        let mut verbs = Vec::new();
        for line in lines {
            let cmd = parse(line);
            verbs.push(cmd.verb());
            assert_eq!(parse_argv(&cmd.to_argv()).unwrap(), cmd, "{line}");
            assert_eq!(parse(&cmd.to_shell()), cmd, "{line}");
        }
        verbs.dedup();
        assert_eq!(verbs, Verb::ALL.to_vec());
    }

    #[test]
    fn bad_input_is_named() {
        assert!(matches!(
            parse_argv(&["fly".into()]),
            Err(CommandError::UnknownVerb(_))
        ));
        assert!(matches!(
            parse_line("ps --bogus"),
            Err(CommandError::UnknownFlag { .. })
        ));
        assert!(matches!(
            parse_line("stop -t"),
            Err(CommandError::MissingValue { .. })
        ));
        assert!(matches!(
            parse_line("stop -t x c"),
            Err(CommandError::BadValue { .. })
        ));
        assert!(matches!(
            parse_line("rename a"),
            Err(CommandError::Arguments { .. })
        ));
        assert_eq!(parse_line("  # comment").unwrap(), None);
    }
}
