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

mod attach;
mod beneath;
mod binds;
mod changes;
mod commit;
mod containers;
mod create;
mod error;
mod etc_files;
mod exec;
mod hub;
mod id;
mod images;
mod init_layer;
mod kill;
mod log_span;
mod logs;
mod lookup;
mod names;
mod network;
mod pause;
mod reaper;
mod record;
mod recover;
mod relay;
mod rename;
mod rm;
mod rootfs;
mod security;
mod signal;
mod start;
mod state;
mod stop;
mod time;
mod top;
mod tree;
mod user;
mod wait;
mod wordlist;

pub use attach::{AttachOptions, Attachment, ContainerStdin, Output};
pub use binds::{MountPoint, MountRequest};
pub use changes::{Change, ChangeKind};
pub use commit::{write_layer, CommittedLayer};
pub use containers::{Containers, Inspect, StoreOptions};
pub use create::CreateOptions;
pub use error::LifecycleError;
pub use etc_files::EtcFiles;
pub use exec::{ExecInspect, ExecOptions, ExecStreams};
pub use hub::OutputReceiver;
pub use id::ContainerId;
pub use images::{ImageConfig, ImageInfo, Images};
pub use log_span::{LogEntries, LogSpan};
pub use logs::{LogEntry, LogFollow, Stream};
pub use names::ContainerName;
pub use network::NetworkMode;
pub use record::{ContainerConfig, HostOptions, LogConfig, ProcessConfig};
pub use rootfs::RootfsError;
pub use security::SecurityOptions;
pub use signal::Signal;
pub use state::{State, StateRecord};
pub use time::Timestamp;
pub use user::{Unreadable, UserError};
pub use wait::{WaitCondition, WaitOutcome};
