//! Per-container cgroups on a v1, v2 or hybrid host. [`CgroupLayout`] says, once per host,
//! which hierarchy holds each controller; [`ContainerCgroup`] creates the container's
//! directories, writes its limits, and opens what puts the child inside them before `execve`
//! (so the process never runs a single instruction of the command outside its limits).
//! Roots are parameters: unit tests run against plain temp dirs.
//!
//! Joining a cgroup by writing into `cgroup.procs` is the slow part of a lone start: the
//! first such write after a quiet spell waits about 10 ms for an RCU grace period (the
//! kernel's global threadgroup rwsem, taken for writing). So when the kernel can start the
//! child directly inside a v2 directory (`clone3` with `CLONE_INTO_CGROUP`, no write at all),
//! the container gets a v2 directory always, Docker's device rules as a v2 device program
//! there, and a v1 directory only for a limit that only v1 enforces (memory, pids, cpu
//! shares). Without limits nothing is written into any `cgroup.procs`.
//!
//! Device rules are never optional: every container gets them from exactly one place, the v2
//! device program on its v2 directory when it has one (or can have one, when v1 has no devices
//! controller), else the v1 devices controller, which is also the fallback when the kernel
//! refuses the program. A container for which neither works does not start.

mod device_filter;
mod v1;
mod v2;

use std::fs;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use crate::error::SandboxError;
use crate::spec::{CgroupSpec, Limits};

pub use v2::cpu_weight_from_shares;

/// Which cgroup hierarchy a controller lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hierarchy {
    /// A v1 hierarchy of its own at `<v1 root>/<controller>`.
    V1,
    /// The unified (v2) hierarchy.
    V2,
}

/// Where each controller the sandbox uses lives on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupLayout {
    v1_root: PathBuf,
    v2_root: PathBuf,
    pub memory: Option<Hierarchy>,
    pub pids: Option<Hierarchy>,
    pub cpu: Option<Hierarchy>,
    pub devices: Option<Hierarchy>,
    /// Whether there is a unified hierarchy to make directories in (a device program needs
    /// one).
    pub unified: bool,
}

/// Where a container's device rules come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeviceRules {
    /// The v2 device program, attached to the container's v2 directory.
    Program,
    /// The v1 devices controller (the container joins a `devices` directory).
    V1,
}

/// The directories of one container: v1 controllers, whether it has a v2 directory, and where
/// its device rules come from.
#[derive(Debug, PartialEq, Eq)]
struct Placement {
    v1: Vec<&'static str>,
    v2: bool,
    devices: DeviceRules,
}

/// The `statfs` type of a cgroup v2 (unified) file system (`CGROUP2_SUPER_MAGIC`).
const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;

/// Whether `root` (`/sys/fs/cgroup`) is itself the unified hierarchy: containerd's
/// `cgroups.Mode() == Unified`, by the same test (the file system's magic). A hybrid host (v1
/// hierarchies with v2 at `unified/`) and a legacy one answer `false`, as does a root that
/// cannot be looked at.
// `f_type` is `i64` on x86_64 and aarch64 but narrower on some targets: the conversion is
// only useless on the former.
#[allow(clippy::useless_conversion)]
pub fn is_unified(root: &Path) -> bool {
    rustix::fs::statfs(root).is_ok_and(|s| i64::from(s.f_type) == CGROUP2_SUPER_MAGIC)
}

impl CgroupLayout {
    /// Looks at the two roots: a controller listed in `<v2_root>/cgroup.controllers` is a v2
    /// controller; otherwise it is v1 when `<v1_root>/<name>/cgroup.procs` exists. (On a pure v2
    /// host both roots are usually `/sys/fs/cgroup`; on a hybrid one v2 is `.../unified`.)
    pub fn detect(v1_root: &Path, v2_root: &Path) -> CgroupLayout {
        let v2_controllers =
            fs::read_to_string(v2_root.join("cgroup.controllers")).unwrap_or_default();
        let v2_has = |name: &str| v2_controllers.split_whitespace().any(|c| c == name);
        let find = |name: &str| {
            if v2_has(name) {
                Some(Hierarchy::V2)
            } else if v1_root.join(name).join("cgroup.procs").exists() {
                Some(Hierarchy::V1)
            } else {
                None
            }
        };
        CgroupLayout {
            memory: find("memory"),
            pids: find("pids"),
            cpu: find("cpu"),
            // v2 has no devices controller file (device rules are eBPF programs there).
            devices: if v1_root.join("devices/cgroup.procs").exists() && !v2_has("devices") {
                Some(Hierarchy::V1)
            } else {
                None
            },
            unified: v2_root.join("cgroup.procs").exists(),
            v1_root: v1_root.to_path_buf(),
            v2_root: v2_root.to_path_buf(),
        }
    }

    /// The v1 controllers a container with `limits` gets a directory in, whether it has a v2
    /// directory, and where its device rules come from. A child born into its v2 directory
    /// (`born_in_v2`) joins a v1 controller only for a limit it enforces. Otherwise memory (for
    /// OOM detection) and pids always; cpu only with a cpu limit, since every directory costs
    /// time on the start path. Device rules as the module says; an error when this host offers
    /// no way to apply them.
    fn plan(&self, limits: &Limits, born_in_v2: bool) -> Result<Placement, SandboxError> {
        let wanted: [(&'static str, Option<Hierarchy>, bool); 3] = [
            ("memory", self.memory, limits.memory.is_some()),
            // 0 is "unlimited" for both (Docker's `--pids-limit 0`, `--cpu-shares 0`).
            ("pids", self.pids, limits.pids.is_some_and(|p| p > 0)),
            ("cpu", self.cpu, limits.cpu_shares.is_some_and(|s| s > 0)),
        ];
        let mut v1 = Vec::new();
        let mut v2 = born_in_v2;
        for (name, place, required) in wanted {
            match place {
                None if required => {
                    return Err(SandboxError::ControllerMissing { controller: name })
                }
                None => {}
                Some(Hierarchy::V2) => v2 = true,
                Some(Hierarchy::V1) if name == "cpu" && !required => {}
                Some(Hierarchy::V1) if born_in_v2 && !required => {}
                Some(Hierarchy::V1) => v1.push(name),
            }
        }
        let devices = match (v2, self.devices) {
            (true, _) => DeviceRules::Program,
            (false, Some(Hierarchy::V1)) => {
                v1.push("devices");
                DeviceRules::V1
            }
            (false, _) if self.unified => {
                v2 = true;
                DeviceRules::Program
            }
            (false, _) => {
                return Err(SandboxError::DeviceRules {
                    reason: "this host has neither a v1 devices controller nor a cgroup v2 \
                             hierarchy"
                        .into(),
                })
            }
        };
        Ok(Placement { v1, v2, devices })
    }
}

/// The cgroup directories of one container.
#[derive(Debug)]
pub(crate) struct ContainerCgroup {
    /// Created directories, removed in reverse order.
    dirs: Vec<PathBuf>,
    /// The directory whose memory events say whether the OOM killer struck.
    memory: Option<(Hierarchy, PathBuf)>,
    /// One open `cgroup.procs` per directory the child joins by writing `0` into it.
    procs: Vec<OwnedFd>,
    /// The v2 directory the child is born into (`CLONE_INTO_CGROUP`), when it has one.
    born_into: Option<OwnedFd>,
    /// The container's v2 directory, whose freezer `pause` uses.
    v2_dir: Option<PathBuf>,
}

impl ContainerCgroup {
    /// Creates the directories, writes the limits and applies the device rules. With
    /// `born_in_v2` the child is to be started with [`ContainerCgroup::born_into`]; otherwise
    /// it joins every directory itself.
    pub fn create(
        layout: &CgroupLayout,
        spec: &CgroupSpec,
        limits: &Limits,
        born_in_v2: bool,
    ) -> Result<ContainerCgroup, SandboxError> {
        let placement = layout.plan(limits, born_in_v2)?;
        let rel = spec.parent.join(&spec.name);
        let mut cg = ContainerCgroup {
            dirs: Vec::new(),
            memory: None,
            procs: Vec::new(),
            born_into: None,
            v2_dir: None,
        };
        // On failure `cg` is dropped half-built; remove what exists before returning.
        if let Err(e) = cg.populate(layout, &rel, placement, limits, born_in_v2) {
            let _ = cg.remove();
            return Err(e);
        }
        Ok(cg)
    }

    /// The v2 directory first, with the device program when the rules come from there (a
    /// kernel that refuses the program gets the v1 devices controller instead, or no start),
    /// then the v1 directories.
    fn populate(
        &mut self,
        layout: &CgroupLayout,
        rel: &Path,
        mut placement: Placement,
        limits: &Limits,
        born_in_v2: bool,
    ) -> Result<(), SandboxError> {
        if placement.v2 {
            let dir = self.create_v2(layout, rel, limits)?;
            let dir_fd = open_dir(&dir)?;
            if placement.devices == DeviceRules::Program {
                if let Err(e) = attach_device_filter(dir_fd.as_fd()) {
                    if layout.devices != Some(Hierarchy::V1) {
                        return Err(SandboxError::DeviceRules {
                            reason: format!(
                                "the kernel refused the device program for {}: {e}",
                                dir.display()
                            ),
                        });
                    }
                    placement.v1.push("devices");
                }
            }
            match born_in_v2 {
                true => self.born_into = Some(dir_fd),
                false => self.procs.push(open_procs(&dir)?),
            }
        }
        for &controller in &placement.v1 {
            let dir = layout.v1_root.join(controller).join(rel);
            if let Some(parent) = make_dir(&dir)? {
                // Best effort: a concurrent first spawn may already have configured the parent
                // and created a child (then the kernel refuses the write); each container
                // checks its own rules anyway.
                let _ = v1::configure_new_parent(controller, &parent);
                make_dir(&dir)?;
            }
            self.dirs.push(dir.clone());
            v1::apply(controller, &dir, limits)?;
            if controller == "memory" {
                self.memory = Some((Hierarchy::V1, dir.clone()));
            }
            self.procs.push(open_procs(&dir)?);
        }
        Ok(())
    }

    fn create_v2(
        &mut self,
        layout: &CgroupLayout,
        rel: &Path,
        limits: &Limits,
    ) -> Result<PathBuf, SandboxError> {
        let dir = layout.v2_root.join(rel);
        let enable = v2_controllers(layout, limits);
        v2::prepare(&layout.v2_root, rel, &enable)?;
        self.dirs.push(dir.clone());
        self.v2_dir = Some(dir.clone());
        v2::apply(&dir, limits, &enable)?;
        if layout.memory == Some(Hierarchy::V2) {
            self.memory = Some((Hierarchy::V2, dir.clone()));
        }
        Ok(dir)
    }

    /// What an exec needs to be in every cgroup of the container, as its first process is:
    /// the v2 directory to be born into (when `born_in_v2`), and a `cgroup.procs` to write for
    /// every other directory (each v1 hierarchy, and v2 when not born into it).
    pub fn join_for_exec(
        &self,
        born_in_v2: bool,
    ) -> Result<(Option<OwnedFd>, Vec<OwnedFd>), SandboxError> {
        let mut procs = Vec::new();
        let mut born = None;
        for dir in &self.dirs {
            if born_in_v2 && Some(dir) == self.v2_dir.as_ref() {
                born = Some(open_dir(dir)?);
            } else {
                procs.push(open_procs(dir)?);
            }
        }
        Ok((born, procs))
    }

    pub fn procs(&self) -> &[OwnedFd] {
        &self.procs
    }

    /// The v2 directory to start the child in with `CLONE_INTO_CGROUP`, if any.
    pub fn born_into(&self) -> Option<BorrowedFd<'_>> {
        self.born_into.as_ref().map(|fd| fd.as_fd())
    }

    /// Whether the OOM killer killed a process of this cgroup (Docker's `OOMKilled`).
    pub fn oom_killed(&self) -> bool {
        match &self.memory {
            Some((Hierarchy::V1, dir)) => v1::oom_kill_count(dir) > 0,
            Some((Hierarchy::V2, dir)) => v2::oom_kill_count(dir) > 0,
            None => false,
        }
    }

    /// No directories: the cgroup of a process that runs in another's (an exec).
    pub fn none() -> ContainerCgroup {
        ContainerCgroup {
            dirs: Vec::new(),
            memory: None,
            procs: Vec::new(),
            born_into: None,
            v2_dir: None,
        }
    }

    /// The container's cgroup v2 directory, if it has one.
    pub fn v2_dir(&self) -> Option<&Path> {
        self.v2_dir.as_deref()
    }

    /// Freezes or thaws the container's processes (`pause`/`unpause`); it needs the container's
    /// cgroup v2 directory.
    pub fn freeze(&self, frozen: bool) -> Result<(), SandboxError> {
        match &self.v2_dir {
            Some(dir) => v2::freeze(dir, frozen),
            None => Err(SandboxError::Cgroup {
                path: PathBuf::from("cgroup.freeze"),
                source: io::Error::new(
                    io::ErrorKind::Unsupported,
                    "pausing needs the container in a cgroup v2 directory",
                ),
            }),
        }
    }

    /// Removes the container's directories (never the shared parent). Call only when the
    /// cgroup is empty; a v1 memory cgroup may need a moment after its last task exits.
    pub fn remove(&mut self) -> Result<(), SandboxError> {
        self.procs.clear();
        self.born_into = None;
        while let Some(dir) = self.dirs.pop() {
            if let Err(e) = remove_dir_when_empty(&dir) {
                self.dirs.push(dir.clone());
                return Err(SandboxError::Cgroup {
                    path: dir,
                    source: e,
                });
            }
        }
        Ok(())
    }
}

/// The controllers to enable for the container in the v2 hierarchy.
fn v2_controllers(layout: &CgroupLayout, limits: &Limits) -> Vec<&'static str> {
    let mut enable = Vec::new();
    if layout.memory == Some(Hierarchy::V2) {
        enable.push("memory");
    }
    if layout.pids == Some(Hierarchy::V2) {
        enable.push("pids");
    }
    if layout.cpu == Some(Hierarchy::V2) && limits.cpu_shares.is_some() {
        enable.push("cpu");
    }
    enable
}

/// `mkdir` (one system call in the usual case). When the parent is missing (the first
/// container), creates the parent only and returns it, so the caller can configure it before
/// its first child exists.
fn make_dir(dir: &Path) -> Result<Option<PathBuf>, SandboxError> {
    let err = |e| SandboxError::Cgroup {
        path: dir.to_path_buf(),
        source: e,
    };
    match fs::create_dir(dir) {
        Ok(()) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = dir.parent().unwrap_or(dir).to_path_buf();
            fs::create_dir_all(&parent).map_err(err)?;
            Ok(Some(parent))
        }
        Err(e) => Err(err(e)),
    }
}

/// Attaches Docker's device program to the directory `dir`.
fn attach_device_filter(dir: BorrowedFd<'_>) -> io::Result<()> {
    device_filter::attach(device_filter::loaded()?, dir)
}

/// Whether this kernel and build can start a child inside a v2 directory: `clone3` with
/// `CLONE_INTO_CGROUP` is Linux 5.7, and the sandbox implements the call for x86-64 only.
pub(crate) fn can_be_born_in_v2(layout: &CgroupLayout) -> bool {
    cfg!(target_arch = "x86_64")
        && layout.v2_root.join("cgroup.procs").exists()
        && kernel_at_least(&rustix::system::uname().release().to_string_lossy(), (5, 7))
}

fn kernel_at_least(release: &str, want: (u32, u32)) -> bool {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let mut next = || {
        parts
            .next()
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    (next(), next()) >= want
}

/// A directory descriptor of a cgroup, as `CLONE_INTO_CGROUP` and `BPF_PROG_ATTACH` take it.
pub(crate) fn open_dir(dir: &Path) -> Result<OwnedFd, SandboxError> {
    rustix::fs::open(
        dir,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| SandboxError::Cgroup {
        path: dir.to_path_buf(),
        source: e.into(),
    })
}

fn open_procs(dir: &Path) -> Result<OwnedFd, SandboxError> {
    let path = dir.join("cgroup.procs");
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .map(OwnedFd::from)
        .map_err(|e| SandboxError::Cgroup { path, source: e })
}

pub(crate) fn write(dir: &Path, file: &str, value: &str) -> Result<(), SandboxError> {
    let path = dir.join(file);
    fs::write(&path, value).map_err(|e| SandboxError::Cgroup { path, source: e })
}

/// `rmdir`, retried for a bounded while (10 s) on EBUSY: the kernel may still be detaching the
/// last exited task, which on a loaded machine can take a while.
fn remove_dir_when_empty(dir: &Path) -> io::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e)
                if e.raw_os_error() == Some(libc::EBUSY)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Removes a container's cgroup directories left behind by a crashed owner: kills what is
/// still inside (SIGKILL to every listed process) and removes the directories.
pub fn remove_leftover(layout: &CgroupLayout, spec: &CgroupSpec) -> Result<(), SandboxError> {
    let rel = spec.parent.join(&spec.name);
    let mut dirs: Vec<PathBuf> = ["memory", "pids", "cpu", "devices"]
        .iter()
        .map(|c| layout.v1_root.join(c).join(&rel))
        .collect();
    if layout.v2_root != layout.v1_root || layout.memory == Some(Hierarchy::V2) {
        dirs.push(layout.v2_root.join(&rel));
    }
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        kill_all(dir);
        remove_dir_when_empty(dir).map_err(|e| SandboxError::Cgroup {
            path: dir.clone(),
            source: e,
        })?;
    }
    Ok(())
}

fn kill_all(dir: &Path) {
    let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
    for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
        if let Some(pid) = rustix::process::Pid::from_raw(pid) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_core::Kind;

    fn fake_host(v2_controllers: &str, v1: &[&str]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let unified = root.path().join("unified");
        fs::create_dir_all(&unified).unwrap();
        fs::write(unified.join("cgroup.controllers"), v2_controllers).unwrap();
        for c in v1 {
            fs::create_dir_all(root.path().join(c)).unwrap();
            fs::write(root.path().join(c).join("cgroup.procs"), "").unwrap();
        }
        root
    }

    #[test]
    fn only_a_cgroup2_file_system_is_unified() {
        // A temp dir is tmpfs or ext4, never cgroup2, whatever files it holds.
        let host = fake_host("memory pids\n", &[]);
        assert!(!is_unified(host.path()));
        assert!(!is_unified(&host.path().join("missing")));
        // This host's own answer agrees with what its mounts say.
        let mounts = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let v2_at_root = mounts.lines().any(|l| {
            l.split_whitespace().nth(1) == Some("/sys/fs/cgroup") && l.contains(" cgroup2 ")
        });
        assert_eq!(is_unified(Path::new("/sys/fs/cgroup")), v2_at_root);
    }

    #[test]
    fn hybrid_hosts_keep_memory_pids_cpu_in_v1() {
        let host = fake_host("hugetlb\n", &["memory", "pids", "cpu", "devices"]);
        let layout = CgroupLayout::detect(host.path(), &host.path().join("unified"));
        assert_eq!(layout.memory, Some(Hierarchy::V1));
        assert_eq!(layout.pids, Some(Hierarchy::V1));
        assert_eq!(layout.cpu, Some(Hierarchy::V1));
        assert_eq!(layout.devices, Some(Hierarchy::V1));
    }

    #[test]
    fn v2_hosts_use_the_unified_hierarchy() {
        let host = fake_host("cpuset cpu io memory pids\n", &[]);
        let layout = CgroupLayout::detect(host.path(), &host.path().join("unified"));
        assert_eq!(layout.memory, Some(Hierarchy::V2));
        assert_eq!(layout.cpu, Some(Hierarchy::V2));
        assert_eq!(layout.devices, None);
    }

    #[test]
    fn a_limit_without_its_controller_is_refused() {
        let host = fake_host("", &["pids"]);
        let layout = CgroupLayout::detect(host.path(), &host.path().join("unified"));
        let limits = Limits {
            memory: Some(1 << 20),
            ..Limits::default()
        };
        let err = layout.plan(&limits, true).unwrap_err();
        assert!(matches!(
            err,
            SandboxError::ControllerMissing {
                controller: "memory"
            }
        ));
    }

    #[test]
    fn cpu_gets_a_directory_only_with_a_cpu_limit() {
        let host = fake_host("", &["memory", "pids", "cpu", "devices"]);
        let layout = CgroupLayout::detect(host.path(), &host.path().join("unified"));
        let p = layout.plan(&Limits::default(), false).unwrap();
        assert_eq!(p.v1, vec!["memory", "pids", "devices"]);
        assert!(!p.v2);
        assert_eq!(p.devices, DeviceRules::V1);
        let shares = Limits {
            cpu_shares: Some(512),
            ..Limits::default()
        };
        assert_eq!(
            layout.plan(&shares, false).unwrap().v1,
            vec!["memory", "pids", "cpu", "devices"]
        );
    }

    #[test]
    fn born_in_v2_joins_v1_only_for_limits_it_enforces() {
        let host = fake_host("", &["memory", "pids", "cpu", "devices"]);
        let layout = CgroupLayout::detect(host.path(), &host.path().join("unified"));
        let p = layout.plan(&Limits::default(), true).unwrap();
        assert!(p.v1.is_empty(), "{:?}", p.v1);
        assert!(p.v2);
        assert_eq!(p.devices, DeviceRules::Program);
        let memory = Limits {
            memory: Some(1 << 20),
            ..Limits::default()
        };
        assert_eq!(layout.plan(&memory, true).unwrap().v1, vec!["memory"]);
        let pids_cpu = Limits {
            pids: Some(10),
            cpu_shares: Some(512),
            ..Limits::default()
        };
        assert_eq!(
            layout.plan(&pids_cpu, true).unwrap().v1,
            vec!["pids", "cpu"]
        );
        let unlimited = Limits {
            pids: Some(0),
            cpu_shares: Some(0),
            ..Limits::default()
        };
        assert!(layout.plan(&unlimited, true).unwrap().v1.is_empty());
    }

    /// Regression: on a v2 host whose children are not born in their directory (another
    /// architecture, or a kernel before 5.7), the container had a v2 directory and no device
    /// program: no device rules at all.
    #[test]
    fn every_placement_has_device_rules() {
        let v2_host = fake_host("cpuset cpu io memory pids\n", &[]);
        fs::write(v2_host.path().join("unified/cgroup.procs"), "").unwrap();
        let layout = CgroupLayout::detect(v2_host.path(), &v2_host.path().join("unified"));
        for born in [true, false] {
            let p = layout.plan(&Limits::default(), born).unwrap();
            assert!(p.v2);
            assert_eq!(p.devices, DeviceRules::Program, "born in v2: {born}");
        }
        // A hybrid host without a v1 devices controller: a v2 directory just for the program.
        let hybrid = fake_host("", &["memory", "pids"]);
        fs::write(hybrid.path().join("unified/cgroup.procs"), "").unwrap();
        let layout = CgroupLayout::detect(hybrid.path(), &hybrid.path().join("unified"));
        let p = layout.plan(&Limits::default(), false).unwrap();
        assert_eq!((p.v2, p.devices), (true, DeviceRules::Program));
        assert_eq!(p.v1, vec!["memory", "pids"]);
    }

    #[test]
    fn a_host_with_no_way_to_apply_device_rules_refuses_to_start() {
        let host = fake_host("", &["memory", "pids"]);
        let layout = CgroupLayout::detect(host.path(), &host.path().join("unified"));
        let err = layout.plan(&Limits::default(), false).unwrap_err();
        assert!(matches!(err, SandboxError::DeviceRules { .. }), "{err}");
        assert_eq!(err.kind(), berth_core::ErrorKind::System);
    }

    #[test]
    fn kernel_releases_compare_by_major_and_minor() {
        assert!(kernel_at_least("6.18.44-fc-v657", (5, 7)));
        assert!(kernel_at_least("5.7.0", (5, 7)));
        assert!(!kernel_at_least("5.4.0-150-generic", (5, 7)));
        assert!(!kernel_at_least("garbage", (5, 7)));
    }
}
