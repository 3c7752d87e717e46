//! The `berth` client verbs, parsed as the docker CLI 28 takes them (clap derive) and run
//! against a daemon: [`GlobalArgs`] says where the daemon is, [`Verb`] what to do, and [`run`]
//! does it and answers the exit code. Output goes through [`Io`] so tests can capture it.

mod containers;
mod env_file;
mod error;
mod exec;
mod images;
mod info;
mod inspect;
mod logs;
mod manage;
mod mounts;
mod progress;
mod prune;
mod ps;
mod pull;
mod run;
mod security_opt;
mod session;
mod system;
mod table;
mod usage;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use manage::Managed;

pub use error::CliError;
pub use session::{endpoint_of, Session, DEFAULT_HOST};
pub use usage::{usage_error, UsageError};

/// Where the daemon is and how to talk to it. As with docker, these go before the verb.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Daemon socket to connect to (`unix://PATH` or `tcp://HOST:PORT`); default `BERTH_HOST`,
    /// else unix:///run/berth/berth.sock.
    #[arg(short = 'H', long = "host", value_name = "HOST")]
    pub host: Option<String>,
    /// Use TLS and verify the daemon (implied by DOCKER_TLS_VERIFY).
    #[arg(long)]
    pub tlsverify: bool,
    /// Trust certs signed only by this CA (default DOCKER_CERT_PATH/ca.pem).
    #[arg(long, value_name = "FILE")]
    pub tlscacert: Option<PathBuf>,
    /// Path to TLS certificate file (default DOCKER_CERT_PATH/cert.pem).
    #[arg(long, value_name = "FILE")]
    pub tlscert: Option<PathBuf>,
    /// Path to TLS key file (default DOCKER_CERT_PATH/key.pem).
    #[arg(long, value_name = "FILE")]
    pub tlskey: Option<PathBuf>,
}

/// Where output goes, and whether each stream is a terminal.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub out_terminal: bool,
    pub err_terminal: bool,
}

impl std::fmt::Debug for Io<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io")
            .field("out_terminal", &self.out_terminal)
            .field("err_terminal", &self.err_terminal)
            .finish()
    }
}

/// The client verbs.
#[derive(Debug, Clone, Subcommand)]
pub enum Verb {
    /// Download an image from a registry.
    Pull(pull::PullArgs),
    /// List images.
    Images(images::ImagesArgs),
    /// Return low-level information on containers or images.
    Inspect(inspect::InspectArgs),
    /// Create and run a new container from an image.
    #[command(disable_help_flag = true)]
    Run(Box<run::RunArgs>),
    /// Create a new container.
    #[command(disable_help_flag = true)]
    Create(Box<run::CreateArgs>),
    /// Execute a command in a running container.
    Exec(Box<exec::ExecArgs>),
    /// List containers.
    Ps(ps::PsArgs),
    /// Fetch the logs of a container.
    Logs(logs::LogsArgs),
    /// Remove one or more containers.
    Rm(containers::RmArgs),
    /// Create a new image from a container's changes.
    Commit(images::CommitArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.
    Tag(images::TagArgs),
    /// Remove one or more images.
    Rmi(images::RmiArgs),
    /// Start one or more stopped containers.
    Start(containers::StartArgs),
    /// Stop one or more running containers.
    Stop(containers::StopArgs),
    /// Kill one or more running containers.
    Kill(containers::KillArgs),
    /// Restart one or more containers.
    Restart(containers::StopArgs),
    /// Pause all processes within one or more containers.
    Pause(containers::PauseArgs),
    /// Unpause all processes within one or more containers.
    Unpause(containers::PauseArgs),
    /// Block until one or more containers stop, then print their exit codes.
    Wait(containers::WaitArgs),
    /// Rename a container.
    Rename(containers::RenameArgs),
    /// Inspect changes to files or directories on a container's filesystem.
    Diff(containers::DiffArgs),
    /// Display the running processes of a container.
    Top(containers::TopArgs),
    /// Load an image from a tar archive or STDIN.
    Load(images::LoadArgs),
    /// Manage containers.
    #[command(subcommand)]
    Container(manage::ContainerCommand),
    /// Manage images.
    #[command(subcommand)]
    Image(manage::ImageCommand),
    /// Show the berth client and daemon version information.
    Version,
    /// Display system-wide information.
    Info,
}

/// Runs one verb and answers the process exit code.
pub fn run(global: &GlobalArgs, verb: Verb, io: &mut Io<'_>) -> i32 {
    let session = match Session::new(global) {
        Ok(session) => session,
        Err(e) => return e.report(io, "", 1),
    };
    dispatch(&session, &verb, io)
}

/// Runs one verb over an open session.
fn dispatch(session: &Session, verb: &Verb, io: &mut Io<'_>) -> i32 {
    let outcome = match verb {
        Verb::Run(args) => return run::run(session, args, io),
        Verb::Create(args) => return run::create_verb(session, args, io),
        Verb::Pull(args) => pull::pull(session, args, io),
        Verb::Images(args) => images::images(session, args, io),
        Verb::Inspect(args) => inspect::inspect(session, args, io),
        Verb::Exec(args) => exec::exec(session, args, io),
        Verb::Ps(args) => ps::ps(session, args, io),
        Verb::Logs(args) => logs::logs(session, args, io),
        Verb::Rm(args) => containers::rm(session, args, io),
        Verb::Commit(args) => images::commit(session, args, io),
        Verb::Tag(args) => images::tag(session, args, io),
        Verb::Rmi(args) => images::rmi(session, args, io),
        Verb::Start(args) => containers::start(session, args, io),
        Verb::Stop(args) => containers::stop(session, args, io, "stop"),
        Verb::Restart(args) => containers::stop(session, args, io, "restart"),
        Verb::Kill(args) => containers::kill(session, args, io),
        Verb::Pause(args) => containers::pause(session, args, io, "pause"),
        Verb::Unpause(args) => containers::pause(session, args, io, "unpause"),
        Verb::Wait(args) => containers::wait(session, args, io),
        Verb::Rename(args) => containers::rename(session, args, io),
        Verb::Diff(args) => containers::diff(session, args, io),
        Verb::Top(args) => containers::top(session, args, io),
        Verb::Load(args) => images::load(session, args, io),
        Verb::Container(command) => return managed(session, command.clone().into_managed(), io),
        Verb::Image(command) => return managed(session, command.clone().into_managed(), io),
        Verb::Version => system::version(session, io),
        Verb::Info => info::info(session, io),
    };
    finish(outcome, io)
}

/// A management command: the verb it stands for, or a prune.
fn managed(session: &Session, managed: Managed, io: &mut Io<'_>) -> i32 {
    match managed {
        Managed::Verb(verb) => dispatch(session, &verb, io),
        Managed::ContainerPrune(args) => finish(prune::containers(session, &args, io), io),
        Managed::ImagePrune(args) => finish(prune::images(session, &args, io), io),
    }
}

/// A verb's exit code, or its error reported as the docker CLI reports it.
fn finish(outcome: Result<i32, CliError>, io: &mut Io<'_>) -> i32 {
    match outcome {
        Ok(code) => code,
        Err(e) => e.report(io, "", 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Top {
        #[command(flatten)]
        global: GlobalArgs,
        #[command(subcommand)]
        verb: Verb,
    }

    fn parse(args: &[&str]) -> Top {
        Top::try_parse_from(std::iter::once("berth").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn run_stops_parsing_flags_at_the_image() {
        let top = parse(&[
            "-H",
            "unix:///x",
            "run",
            "--rm",
            "-e",
            "A=1",
            "bb",
            "sh",
            "-c",
            "echo -d",
        ]);
        assert_eq!(top.global.host.as_deref(), Some("unix:///x"));
        let Verb::Run(args) = top.verb else {
            panic!("not run")
        };
        assert!(args.options.rm);
        assert_eq!(args.options.env, vec!["A=1"]);
        assert_eq!(
            args.options.image_and_command,
            vec!["bb", "sh", "-c", "echo -d"]
        );
    }

    #[test]
    fn short_flags_combine_as_docker_takes_them() {
        let Verb::Ps(ps) = parse(&["ps", "-aq"]).verb else {
            panic!("not ps")
        };
        assert!(ps.all && ps.quiet && !ps.no_trunc);
        let Verb::Stop(stop) = parse(&["stop", "-t", "3", "a", "b"]).verb else {
            panic!("not stop")
        };
        assert_eq!(stop.time, Some(3));
        assert_eq!(stop.containers, vec!["a", "b"]);
    }

    #[test]
    fn the_host_goes_before_the_verb_as_with_docker() {
        assert!(Top::try_parse_from(["berth", "ps", "-H", "unix:///x"]).is_err());
        let top = parse(&["-H", "tcp://127.0.0.1:2376", "--tlsverify", "ps"]);
        assert_eq!(top.global.host.as_deref(), Some("tcp://127.0.0.1:2376"));
        assert!(top.global.tlsverify);
    }
}
