//! The management commands docker CLI users type daily: `docker container ls`, `image rm`,
//! `container inspect` and the rest are the same verbs under another name. Each subcommand
//! here becomes the top-level [`Verb`] it stands for (with `inspect` limited to its object
//! type), so a verb is written once; `prune` exists only here.

use clap::{Args, Subcommand};

use crate::cli::inspect::{InspectArgs, ObjectType};
use crate::cli::prune::{ImagePruneArgs, PruneArgs};
use crate::cli::{containers, exec, images, logs, ps, pull, run, Verb};

/// `container COMMAND`.
#[derive(Debug, Clone, Subcommand)]
pub enum ContainerCommand {
    /// Create a new image from a container's changes.
    Commit(images::CommitArgs),
    /// Create a new container.
    #[command(disable_help_flag = true)]
    Create(Box<run::CreateArgs>),
    /// Inspect changes to files or directories on a container's filesystem.
    Diff(containers::DiffArgs),
    /// Execute a command in a running container.
    Exec(Box<exec::ExecArgs>),
    /// Display detailed information on one or more containers.
    Inspect(TypedInspectArgs),
    /// Kill one or more running containers.
    Kill(containers::KillArgs),
    /// Fetch the logs of a container.
    Logs(logs::LogsArgs),
    /// List containers.
    #[command(visible_aliases = ["ps", "list"])]
    Ls(ps::PsArgs),
    /// Pause all processes within one or more containers.
    Pause(containers::PauseArgs),
    /// Remove all stopped containers.
    Prune(PruneArgs),
    /// Rename a container.
    Rename(containers::RenameArgs),
    /// Restart one or more containers.
    Restart(containers::StopArgs),
    /// Remove one or more containers.
    #[command(visible_alias = "remove")]
    Rm(containers::RmArgs),
    /// Create and run a new container from an image.
    #[command(disable_help_flag = true)]
    Run(Box<run::RunArgs>),
    /// Start one or more stopped containers.
    Start(containers::StartArgs),
    /// Stop one or more running containers.
    Stop(containers::StopArgs),
    /// Display the running processes of a container.
    Top(containers::TopArgs),
    /// Unpause all processes within one or more containers.
    Unpause(containers::PauseArgs),
    /// Block until one or more containers stop, then print their exit codes.
    Wait(containers::WaitArgs),
}

/// `image COMMAND`.
#[derive(Debug, Clone, Subcommand)]
pub enum ImageCommand {
    /// Display detailed information on one or more images.
    Inspect(TypedInspectArgs),
    /// Load an image from a tar archive or STDIN.
    Load(images::LoadArgs),
    /// List images.
    #[command(visible_aliases = ["list"])]
    Ls(images::ImagesArgs),
    /// Remove unused images.
    Prune(ImagePruneArgs),
    /// Download an image from a registry.
    Pull(pull::PullArgs),
    /// Remove one or more images.
    #[command(visible_alias = "remove")]
    Rm(images::RmiArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.
    Tag(images::TagArgs),
}

/// `container inspect` and `image inspect`: `inspect` without `--type`, which the command
/// itself fixes.
#[derive(Debug, Clone, Args)]
pub struct TypedInspectArgs {
    /// Format output using a custom template.
    #[arg(short, long)]
    pub format: Option<String>,
    /// Display total file sizes (containers only).
    #[arg(short, long)]
    pub size: bool,
    #[arg(required = true)]
    pub names: Vec<String>,
}

impl TypedInspectArgs {
    fn of(self, kind: ObjectType) -> InspectArgs {
        InspectArgs {
            format: self.format,
            kind: Some(kind),
            size: self.size,
            names: self.names,
        }
    }
}

/// What a management command runs: a top-level verb, or a prune, which has no top-level name.
#[derive(Debug)]
pub enum Managed {
    Verb(Verb),
    ContainerPrune(PruneArgs),
    ImagePrune(ImagePruneArgs),
}

impl ContainerCommand {
    pub fn into_managed(self) -> Managed {
        use ContainerCommand as C;
        Managed::Verb(match self {
            C::Commit(a) => Verb::Commit(a),
            C::Create(a) => Verb::Create(a),
            C::Diff(a) => Verb::Diff(a),
            C::Exec(a) => Verb::Exec(a),
            C::Inspect(a) => Verb::Inspect(a.of(ObjectType::Container)),
            C::Kill(a) => Verb::Kill(a),
            C::Logs(a) => Verb::Logs(a),
            C::Ls(a) => Verb::Ps(a),
            C::Pause(a) => Verb::Pause(a),
            C::Prune(a) => return Managed::ContainerPrune(a),
            C::Rename(a) => Verb::Rename(a),
            C::Restart(a) => Verb::Restart(a),
            C::Rm(a) => Verb::Rm(a),
            C::Run(a) => Verb::Run(a),
            C::Start(a) => Verb::Start(a),
            C::Stop(a) => Verb::Stop(a),
            C::Top(a) => Verb::Top(a),
            C::Unpause(a) => Verb::Unpause(a),
            C::Wait(a) => Verb::Wait(a),
        })
    }
}

impl ImageCommand {
    pub fn into_managed(self) -> Managed {
        use ImageCommand as I;
        Managed::Verb(match self {
            I::Inspect(a) => Verb::Inspect(a.of(ObjectType::Image)),
            I::Load(a) => Verb::Load(a),
            I::Ls(a) => Verb::Images(a),
            I::Prune(a) => return Managed::ImagePrune(a),
            I::Pull(a) => Verb::Pull(a),
            I::Rm(a) => Verb::Rmi(a),
            I::Tag(a) => Verb::Tag(a),
        })
    }
}
