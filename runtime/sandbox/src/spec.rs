//! What one container process needs: its root filesystem layers, command, environment,
//! identity, namespaces, limits and cgroup. This module owns only plain data; it never touches
//! the kernel. Host paths (layer dirs, mount point, cgroup roots) arrive here already resolved by
//! the caller, so tests can point every one of them at a temp dir.

use std::os::fd::OwnedFd;
use std::path::PathBuf;

/// Everything the sandbox needs to start one container process. A `Spec` is reusable: it holds
/// no descriptors, so a restart spawns the same spec again with fresh [`Stdio`].
#[derive(Debug, Clone)]
pub struct Spec {
    pub rootfs: RootfsSpec,
    /// The command; `argv[0]` is resolved inside the container root with the `PATH` of `env`,
    /// the way runc resolves it (Go's `exec.LookPath`).
    pub argv: Vec<String>,
    /// `KEY=value` entries, passed to the process as they are.
    pub env: Vec<String>,
    /// Absolute working directory inside the container; created when missing, as runc does.
    pub cwd: String,
    pub hostname: String,
    pub user: User,
    pub network: Network,
    pub limits: Limits,
    /// Host files or directories bind-mounted into the container (`/etc/hosts` and friends).
    pub binds: Vec<Bind>,
    pub cgroup: CgroupSpec,
    /// The seccomp profile (`--security-opt seccomp=...`); an `exec` gets the same.
    pub seccomp: Seccomp,
    /// `--security-opt no-new-privileges`: `PR_SET_NO_NEW_PRIVS` before the command (and every
    /// exec) starts.
    pub no_new_privileges: bool,
}

/// Which seccomp filter the container's processes run under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Seccomp {
    /// Docker's default profile ([`crate::seccomp::DEFAULT_PROFILE`]).
    #[default]
    Default,
    /// No filter (`seccomp=unconfined`).
    Unconfined,
    /// A profile in Docker's JSON format, as the client sent it.
    Profile(std::sync::Arc<str>),
}

/// The overlay root: read-only layers plus a per-container upper and work dir.
#[derive(Debug, Clone)]
pub struct RootfsSpec {
    /// Layer directories, topmost first (the order overlayfs' `lowerdir` wants).
    pub lower_dirs: Vec<PathBuf>,
    pub upper_dir: PathBuf,
    pub work_dir: PathBuf,
    /// An existing empty directory where the overlay is mounted, inside the container's own
    /// mount namespace only (the host never sees the mount, so nothing can leak it).
    pub mount_point: PathBuf,
    /// Mount with overlayfs' `volatile` option: the upper layer is not synced when the
    /// container exits. Without it the kernel syncs the whole filesystem holding the upper dir
    /// (`syncfs`) on every container exit, which costs from half a millisecond to tens of
    /// milliseconds depending on what else dirtied that disk. Right for `--rm` containers (the
    /// upper dir is deleted anyway); for others, a host crash may lose their last writes.
    pub volatile: bool,
}

/// Who the process runs as. Names are resolved by the caller (from the image's `/etc/passwd`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
}

/// The network the container sees.
#[derive(Debug, Clone, Default)]
pub enum Network {
    /// A fresh network namespace with only the loopback interface, brought up.
    #[default]
    Isolated,
    /// The host's network namespace (`--network host`).
    Host,
    /// A namespace prepared ahead of time ([`crate::PreparedNetns`]), joined with `setns`; this
    /// keeps the cost of creating a namespace off the start path.
    Prepared(std::sync::Arc<crate::PreparedNetns>),
}

/// Resource limits, in Docker's units. `None` leaves the kernel default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Memory limit in bytes (`--memory`).
    pub memory: Option<u64>,
    /// Memory plus swap in bytes (`--memory-swap`); `-1` is unlimited swap. When `None` and a
    /// memory limit is set, Docker's default applies: twice the memory limit.
    pub memory_swap: Option<i64>,
    /// Maximum number of tasks (`--pids-limit`).
    pub pids: Option<u64>,
    /// Relative CPU weight (`--cpu-shares`, 2..=262144; v2 converts it to `cpu.weight`).
    pub cpu_shares: Option<u64>,
}

/// One bind mount from the host into the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub source: PathBuf,
    /// Absolute path inside the container; created (as a file or a directory, like the source)
    /// when missing.
    pub destination: String,
    pub readonly: bool,
}

/// Where the container's cgroup goes: `<hierarchy>/<parent>/<name>` in every hierarchy used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupSpec {
    /// Relative to each hierarchy's root, e.g. `berth`.
    pub parent: PathBuf,
    /// The container's own directory name, usually its ID.
    pub name: String,
}

/// The container's standard streams, consumed by [`crate::Sandbox::spawn`]: the parent's copies
/// are closed once the child has them, so a reader sees EOF when the container exits.
#[derive(Debug)]
pub enum Stdio {
    /// These descriptors become the container's 0, 1 and 2.
    Fds {
        stdin: OwnedFd,
        stdout: OwnedFd,
        stderr: OwnedFd,
    },
    /// A pseudo-terminal made inside the container's own `/dev/pts` (so `tty` answers
    /// `/dev/pts/0`, as under Docker); the master comes back from
    /// [`crate::Running::take_pty_master`].
    Pty { rows: u16, cols: u16 },
}
