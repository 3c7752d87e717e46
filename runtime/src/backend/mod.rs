//! [`Backend`]: everything the Engine API's handlers ask of an engine, as one object-safe
//! trait. [`Engine`](crate::engine::Engine) implements it by delegating to its verbs; the daemon's handlers hold an
//! `Arc<dyn Backend>`, so their logic (routing, status codes, error mapping, JSON shapes,
//! filters) can be checked against a fake that needs no root, no store and no kernel. Errors
//! are [`BackendError`]s, which always answer their [`ErrorKind`] and keep Docker's text.
//!
//! Calls that return at once are synchronous (the daemon runs them on blocking threads); the
//! three that wait on a container (`stop_within`, `wait`, `exec_exited`) and `pull` return
//! futures that hold no thread while they wait. This module holds no state and no rules; the
//! engine's implementation, a delegation verb by verb, is in `engine.rs`.

mod engine;

use std::future::Future;
use std::pin::Pin;

use berth_core::{ErrorKind, Kind};
use berth_lifecycle::{
    AttachOptions, Attachment, Change, ContainerId, CreateOptions, ExecInspect, ExecOptions,
    Inspect, LogFollow, LogSpan, PathStat, WaitCondition, WaitOutcome,
};
use berth_registry::progress::ProgressMessage;
use berth_registry::{Client, Platform};
use berth_store::{
    DeleteRecord, HistoryItem, ImageId, ImageInspect, ImageSummary, ListOptions, LoadReport,
};

use crate::engine::{
    CgroupInfo, CommitOptions, ContainersPruned, EngineError, ExecStart, ImagesPruned,
    PruneFilters, Top,
};
use crate::pull::PullError;

/// A future a backend answers with, boxed so the trait can be used as `dyn Backend`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a backend call failed.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The engine's error, its text unchanged.
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Pull(#[from] PullError),
    /// A failure a backend that is not the engine (a fake, a test double) states by kind and
    /// Docker's text.
    #[error("{message}")]
    Stated { kind: ErrorKind, message: String },
}

impl BackendError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> BackendError {
        BackendError::Stated {
            kind,
            message: message.into(),
        }
    }
}

impl Kind for BackendError {
    fn kind(&self) -> ErrorKind {
        match self {
            BackendError::Engine(e) => e.kind(),
            BackendError::Pull(e) => e.kind(),
            BackendError::Stated { kind, .. } => *kind,
        }
    }
}

impl From<berth_lifecycle::LifecycleError> for BackendError {
    fn from(e: berth_lifecycle::LifecycleError) -> BackendError {
        BackendError::Engine(e.into())
    }
}

/// A backend call's answer.
pub type Result<T> = std::result::Result<T, BackendError>;

/// What the Engine API's handlers need from an engine.
pub trait Backend: Send + Sync + std::fmt::Debug + 'static {
    // System.
    /// `CgroupVersion` and `CgroupDriver` of `GET /info`.
    fn cgroups(&self) -> CgroupInfo;

    // Images.
    /// `POST /images/create`: pulls through `registry`, progress messages to `progress`.
    fn pull<'a>(
        &'a self,
        registry: &'a Client,
        reference: &'a str,
        platform: &'a Platform,
        progress: &'a mut (dyn FnMut(ProgressMessage) + Send),
    ) -> BoxFuture<'a, Result<()>>;
    fn images(&self, options: ListOptions) -> Vec<ImageSummary>;
    /// The ID of the image a reference or ID (prefix) names now.
    fn resolve_image(&self, name: &str) -> Result<ImageId>;
    fn inspect_image(&self, name: &str) -> Result<ImageInspect>;
    fn history(&self, name: &str) -> Result<Vec<HistoryItem>>;
    fn tag(&self, source: &str, target: &str) -> Result<ImageId>;
    fn rmi(&self, name: &str, force: bool) -> Result<Vec<DeleteRecord>>;
    fn prune_images(&self, filters: &PruneFilters) -> Result<ImagesPruned>;
    /// `POST /images/load`: the archive read from `archive` as it arrives.
    fn load(&self, archive: Box<dyn std::io::Read + Send>) -> Result<LoadReport>;
    fn commit(&self, container: &str, options: &CommitOptions) -> Result<ImageId>;

    // Containers.
    fn create(&self, options: CreateOptions) -> Result<ContainerId>;
    /// Running containers, or all of them, newest first.
    fn containers(&self, all: bool) -> Vec<Inspect>;
    fn inspect_container(&self, reference: &str) -> Result<Inspect>;
    fn start(&self, reference: &str) -> Result<()>;
    fn kill(&self, reference: &str, signal: &str) -> Result<()>;
    /// SIGTERM, then SIGKILL once `grace` resolves; resolves once the exit is recorded.
    fn stop_within<'a>(
        &'a self,
        reference: &'a str,
        grace: BoxFuture<'a, ()>,
    ) -> BoxFuture<'a, Result<()>>;
    /// Looks the container up now and answers a future of its exit (or removal).
    fn wait(
        &self,
        reference: &str,
        condition: WaitCondition,
    ) -> Result<BoxFuture<'static, WaitOutcome>>;
    /// What a finished [`Backend::wait`] leaves to do (the engine's leases of containers
    /// removed meanwhile); blocking.
    fn after_wait(&self) -> Result<()>;
    fn resize(&self, reference: &str, height: u16, width: u16) -> Result<()>;
    fn rename(&self, reference: &str, new_name: &str) -> Result<()>;
    fn rm(&self, reference: &str, force: bool) -> Result<()>;
    fn changes(&self, reference: &str) -> Result<Vec<Change>>;
    fn pause(&self, reference: &str) -> Result<()>;
    fn unpause(&self, reference: &str) -> Result<()>;
    fn top(&self, reference: &str, ps_args: &str) -> Result<Top>;
    fn prune_containers(&self, filters: &PruneFilters) -> Result<ContainersPruned>;
    fn attach(&self, reference: &str, options: AttachOptions) -> Result<Attachment>;
    fn logs(&self, reference: &str) -> Result<LogSpan>;
    fn follow_logs(&self, reference: &str) -> Result<LogFollow>;

    // Exec.
    fn exec_create(&self, reference: &str, options: ExecOptions) -> Result<String>;
    fn exec_inspect(&self, exec_id: &str) -> Result<ExecInspect>;
    fn exec_start(&self, exec_id: &str, detach: bool) -> Result<ExecStart>;
    /// Resolves once the exec's process has ended and its exit code is recorded.
    fn exec_exited<'a>(&'a self, exec_id: &'a str) -> BoxFuture<'a, Result<Option<i32>>>;
    fn exec_resize(&self, exec_id: &str, height: u16, width: u16) -> Result<()>;

    // `docker cp` and `docker export`.
    fn archive_stat(&self, container: &str, path: &str) -> Result<PathStat>;
    /// The stat, and the tar to stream (a pipe a writer thread fills).
    fn archive(&self, container: &str, path: &str) -> Result<(PathStat, std::fs::File)>;
    fn export(&self, container: &str) -> Result<std::fs::File>;
    fn archive_put(
        &self,
        container: &str,
        path: &str,
        archive: Box<dyn std::io::Read + Send>,
        no_overwrite_dir_non_dir: bool,
        copy_uid_gid: bool,
    ) -> Result<()>;
}
