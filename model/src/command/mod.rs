//! The commands the model answers, as docker CLI users type them. Every command prints as a
//! docker argument vector and parses back from one, so a counterexample prints as a shell
//! script and people can write scenarios as plain docker commands.

mod parse;
mod shell;

pub use parse::{parse_argv, parse_line, CommandError};
pub use shell::{quote_word, split_words};

/// Options shared by `create` and `run`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CreateOpts {
    pub image: String,
    pub name: Option<String>,
    pub auto_remove: bool,
    /// The command after the image; empty means the image's default.
    pub command: Vec<String>,
}

/// One docker command (or the harness's own `remote-retag`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "verb", rename_all = "kebab-case")]
pub enum Command {
    Pull {
        reference: String,
    },
    Images {
        all: bool,
        quiet: bool,
        /// `docker images REPO[:TAG]`: the reference filter (exact names; the generator writes
        /// no glob patterns).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    Inspect {
        target: String,
    },
    Create(CreateOpts),
    Run {
        opts: CreateOpts,
        detach: bool,
    },
    Start {
        targets: Vec<String>,
        attach: bool,
    },
    Stop {
        targets: Vec<String>,
        timeout: Option<u32>,
    },
    Kill {
        targets: Vec<String>,
        signal: Option<String>,
    },
    Restart {
        targets: Vec<String>,
        timeout: Option<u32>,
    },
    Wait {
        targets: Vec<String>,
    },
    Rm {
        targets: Vec<String>,
        force: bool,
    },
    Logs {
        target: String,
    },
    Ps {
        all: bool,
        quiet: bool,
        no_trunc: bool,
    },
    Rename {
        old: String,
        new: String,
    },
    Commit {
        target: String,
        repository: Option<String>,
        changes: Vec<String>,
        message: Option<String>,
    },
    Tag {
        source: String,
        target: String,
    },
    Rmi {
        targets: Vec<String>,
        force: bool,
    },
    /// Moves tag `target` in the remote registry to the image `source` names there.
    RemoteRetag {
        source: String,
        target: String,
    },
}

/// The kinds of command, for per-command reports and for switching kinds off in generation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Verb {
    Pull,
    Images,
    Inspect,
    Create,
    Run,
    Start,
    Stop,
    Kill,
    Restart,
    Wait,
    Rm,
    Logs,
    Ps,
    Rename,
    Commit,
    Tag,
    Rmi,
    RemoteRetag,
}

impl Verb {
    pub const ALL: [Verb; 18] = [
        Verb::Pull,
        Verb::Images,
        Verb::Inspect,
        Verb::Create,
        Verb::Run,
        Verb::Start,
        Verb::Stop,
        Verb::Kill,
        Verb::Restart,
        Verb::Wait,
        Verb::Rm,
        Verb::Logs,
        Verb::Ps,
        Verb::Rename,
        Verb::Commit,
        Verb::Tag,
        Verb::Rmi,
        Verb::RemoteRetag,
    ];

    /// The word users type after `docker`.
    pub fn word(self) -> &'static str {
        match self {
            Verb::Pull => "pull",
            Verb::Images => "images",
            Verb::Inspect => "inspect",
            Verb::Create => "create",
            Verb::Run => "run",
            Verb::Start => "start",
            Verb::Stop => "stop",
            Verb::Kill => "kill",
            Verb::Restart => "restart",
            Verb::Wait => "wait",
            Verb::Rm => "rm",
            Verb::Logs => "logs",
            Verb::Ps => "ps",
            Verb::Rename => "rename",
            Verb::Commit => "commit",
            Verb::Tag => "tag",
            Verb::Rmi => "rmi",
            Verb::RemoteRetag => "remote-retag",
        }
    }
}

impl Command {
    pub fn verb(&self) -> Verb {
        match self {
            Command::Pull { .. } => Verb::Pull,
            Command::Images { .. } => Verb::Images,
            Command::Inspect { .. } => Verb::Inspect,
            Command::Create(_) => Verb::Create,
            Command::Run { .. } => Verb::Run,
            Command::Start { .. } => Verb::Start,
            Command::Stop { .. } => Verb::Stop,
            Command::Kill { .. } => Verb::Kill,
            Command::Restart { .. } => Verb::Restart,
            Command::Wait { .. } => Verb::Wait,
            Command::Rm { .. } => Verb::Rm,
            Command::Logs { .. } => Verb::Logs,
            Command::Ps { .. } => Verb::Ps,
            Command::Rename { .. } => Verb::Rename,
            Command::Commit { .. } => Verb::Commit,
            Command::Tag { .. } => Verb::Tag,
            Command::Rmi { .. } => Verb::Rmi,
            Command::RemoteRetag { .. } => Verb::RemoteRetag,
        }
    }

    /// The argument vector after `docker` (`["run", "-d", "toolbox"]`).
    pub fn to_argv(&self) -> Vec<String> {
        let mut argv = Argv(vec![self.verb().word().to_string()]);
        match self {
            Command::Pull { reference } => argv.word(reference),
            Command::Images {
                all,
                quiet,
                reference,
            } => {
                argv.flag(*all, "-a").flag(*quiet, "-q");
                match reference {
                    Some(reference) => argv.word(reference),
                    None => &mut argv,
                }
            }
            Command::Inspect { target } => argv.word(target),
            Command::Create(opts) => argv.create(opts),
            Command::Run { opts, detach } => argv.flag(*detach, "-d").create(opts),
            Command::Start { targets, attach } => argv.flag(*attach, "-a").words(targets),
            Command::Stop { targets, timeout } | Command::Restart { targets, timeout } => argv
                .value("-t", timeout.map(|t| t.to_string()))
                .words(targets),
            Command::Kill { targets, signal } => argv.value("-s", signal.clone()).words(targets),
            Command::Wait { targets } => argv.words(targets),
            Command::Rm { targets, force } | Command::Rmi { targets, force } => {
                argv.flag(*force, "-f").words(targets)
            }
            Command::Logs { target } => argv.word(target),
            Command::Ps {
                all,
                quiet,
                no_trunc,
            } => argv
                .flag(*all, "-a")
                .flag(*quiet, "-q")
                .flag(*no_trunc, "--no-trunc"),
            Command::Rename { old, new } => argv.word(old).word(new),
            Command::Commit {
                target,
                repository,
                changes,
                message,
            } => {
                let argv = changes
                    .iter()
                    .fold(&mut argv, |a, c| a.value("-c", Some(c.clone())));
                argv.value("-m", message.clone())
                    .word(target)
                    .words(repository.iter())
            }
            Command::Tag { source, target } | Command::RemoteRetag { source, target } => {
                argv.word(source).word(target)
            }
        };
        argv.0
    }

    /// The command as one shell line, `docker ...` (or `remote-retag ...`).
    pub fn to_shell(&self) -> String {
        let prefix = if self.verb() == Verb::RemoteRetag {
            None
        } else {
            Some("docker")
        };
        prefix
            .into_iter()
            .map(str::to_string)
            .chain(self.to_argv().iter().map(|w| quote_word(w)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_shell())
    }
}

/// A small builder so each command's argv reads as one line above.
struct Argv(Vec<String>);

impl Argv {
    /// A positional word; one that looks like a flag goes after `--`, as the CLI requires.
    fn word(&mut self, w: &str) -> &mut Self {
        if w.starts_with('-') && !self.0.iter().any(|x| x == "--") {
            self.0.push("--".to_string());
        }
        self.0.push(w.to_string());
        self
    }

    fn words<'a>(&mut self, ws: impl IntoIterator<Item = &'a String>) -> &mut Self {
        self.0.extend(ws.into_iter().cloned());
        self
    }

    fn flag(&mut self, on: bool, flag: &str) -> &mut Self {
        if on {
            self.0.push(flag.to_string());
        }
        self
    }

    fn value(&mut self, flag: &str, value: Option<String>) -> &mut Self {
        if let Some(v) = value {
            self.0.push(flag.to_string());
            self.0.push(v);
        }
        self
    }

    fn create(&mut self, opts: &CreateOpts) -> &mut Self {
        self.flag(opts.auto_remove, "--rm")
            .value("--name", opts.name.clone())
            .word(&opts.image)
            .words(&opts.command)
    }
}
