//! berth-sandbox: start one container process, fast and isolated.
//!
//! [`Sandbox::spawn`] takes a [`Spec`] (overlay layers, command, environment, identity,
//! network, limits, cgroup) and returns a [`Running`] process that is PID 1 of fresh mount,
//! PID, UTS, IPC and (optionally) network namespaces, on an overlayfs root behind `pivot_root`,
//! with Docker's `/dev`, read-only `/sys`, masked and read-only `/proc` paths, Docker's default
//! capability bounding set and seccomp profile (or the one asked for), and per-container cgroups on v1, v2 or hybrid hosts. Exec failures
//! come back from `spawn` itself with Docker's texts and exit codes ([`exec_error`]).
//!
//! This crate is where the workspace's `unsafe` code lives (the workspace denies it
//! everywhere else): `clone` (or `clone3` into a cgroup) on a stack of our own, `execve`,
//! signal masks, one `ioctl`, `bpf` to load the device program, and `seccomp` to load the
//! container's filter (compiled in the parent, [`seccomp`]). Every unsafe block
//! carries a `// SAFETY:` comment. It never decides container policy (names,
//! IDs, image config): the lifecycle layer does that and hands over a resolved [`Spec`].

// This crate is the one place in the workspace allowed to use `unsafe` (see the module docs).
#![allow(unsafe_code)]

pub mod caps;
pub mod cgroup;
mod child;
mod clone;
mod detached;
mod dev;
mod error;
pub mod exec_error;
mod join;
mod lookup;
mod mounts;
mod netns;
mod netns_pool;
mod overlay;
mod plan;
mod pty;
mod report;
mod running;
pub mod seccomp;
mod spawn;
mod spec;
mod timing;

pub use cgroup::{CgroupLayout, Hierarchy};
pub use detached::detached_root;
pub use error::SandboxError;
pub use join::ExecSpec;
pub use mounts::{
    default_masked_paths, masked_paths, MASKED_PATHS, READONLY_PATHS, READONLY_PATH_NAMES,
};
pub use netns::PreparedNetns;
pub use netns_pool::NetnsPool;
pub use overlay::OverlayApi;
pub use running::{Exit, Running};
pub use seccomp::SeccompError;
pub use spawn::{HostConfig, Sandbox};
pub use spec::{Bind, CgroupSpec, Limits, Network, RootfsSpec, Seccomp, Spec, Stdio, User};
pub use timing::StepTimings;
