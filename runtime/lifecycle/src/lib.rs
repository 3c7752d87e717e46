//! berth-lifecycle: Docker's container lifecycle as a library, on real containers.
//!
//! [`Containers`] owns a directory of container records (`<root>/<id>/config.json`,
//! `state.json`, `<id>-json.log`, `upper/`, `work/`, `rootfs/`; and `<root>/.init-layer`, the
//! read-only layer shared by all) and runs the verbs on them: create, start, wait, stop, kill,
//! restart, rm, rename, logs, attach (live output, stdin, a pty) and commit's layer, with
//! dockerd 20.10's rules and texts. Processes are started through `berth-sandbox`; images come
//! from any [`Images`] implementation. Records are written atomically, and
//! [`Containers::open`] repairs what a crash left: containers that were running are reported
//! exited, their cgroups removed.
//!
//! This crate decides container policy (names, IDs, config merging, state transitions) and
//! never touches the kernel's isolation machinery itself (that is the sandbox's job), nor does
//! it depend on the reference model.
//!
//! It stands in three layers, and a module only uses the layers below its own:
//!
//! - `verbs/`: one file per verb, each an `impl Containers` block. A verb is a leaf: it never
//!   uses another verb's module (the test in `layering.rs` fails when one does).
//! - `steps/`: what several verbs share: the start (`launch`, with its `spec` and `streams`),
//!   the stop (`halt`), exits (`exits`), freezing (`freezer`) and removal (`removal`).
//! - the rest, at the top of `src/`: the registry (`containers`, `lookup`, `execs`), the
//!   records (`record`, `state`, `id`, `names`), a container's process environment, user and
//!   root filesystem (`environment`, `user`, `layers`, `rootfs`, `beneath`, `tree`), its live
//!   I/O and logs (`hub`, `output`, `json_log`, `log_span`, `relay`), and the parsers and
//!   writers the verbs need (`binds`, `security`, `network`, `signal`, `etc_files`,
//!   `layer_tar`, `upper_changes`, `init_layer`, `reaper`).

mod beneath;
mod binds;
mod containers;
mod environment;
mod error;
mod etc_files;
mod execs;
mod hub;
mod id;
mod images;
mod init_layer;
mod json_log;
mod layer_tar;
#[cfg(test)]
mod layering;
mod layers;
mod log_span;
mod lookup;
mod names;
mod network;
mod output;
mod reaper;
mod record;
mod relay;
mod rootfs;
mod scoped;
mod security;
mod signal;
mod state;
mod steps;
mod tar_members;
mod time;
mod tree;
mod upper_changes;
mod user;
mod verbs;
mod wordlist;

pub use binds::{MountPoint, MountRequest};
pub use containers::{Containers, Inspect, StoreOptions};
pub use error::LifecycleError;
pub use etc_files::EtcFiles;
pub use execs::ExecOptions;
pub use id::ContainerId;
pub use images::{ImageConfig, ImageInfo, Images};
pub use json_log::{LogEntry, Stream};
pub use layer_tar::{write_layer, CommittedLayer};
pub use log_span::{LogEntries, LogSpan};
pub use names::ContainerName;
pub use network::NetworkMode;
pub use output::{AttachOptions, LogFollow, Output, OutputReceiver};
pub use record::{ContainerConfig, HostOptions, LogConfig, ProcessConfig};
pub use rootfs::RootfsError;
pub use security::SecurityOptions;
pub use signal::Signal;
pub use state::{State, StateRecord};
pub use time::Timestamp;
pub use upper_changes::{Change, ChangeKind};
pub use user::{Unreadable, UserError};
pub use verbs::{
    Attachment, ContainerStdin, CreateOptions, ExecInspect, ExecStreams, PathStat, WaitCondition,
    WaitOutcome,
};
