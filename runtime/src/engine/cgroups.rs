//! What `docker info` says about cgroups, decided as dockerd 20.10 decides it
//! (`daemon/info_unix.go`, `fillPlatformInfo`): `CgroupVersion` is "2" only when the cgroup
//! root is itself the unified hierarchy (containerd's `cgroups.Mode() == Unified`), so a hybrid
//! host (v1 controllers, v2 at `unified/`) is "1". `CgroupDriver` is the engine's own: berth
//! writes cgroupfs directly and has no systemd driver, and it runs as root, so never dockerd's
//! rootless "none".

use std::path::Path;

/// The cgroup hierarchy version dockerd reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    V1,
    V2,
}

impl CgroupVersion {
    /// Of the host whose cgroup hierarchies are mounted under `root` (`/sys/fs/cgroup`).
    pub fn of_host(root: &Path) -> CgroupVersion {
        match berth_sandbox::cgroup_is_unified(root) {
            true => CgroupVersion::V2,
            false => CgroupVersion::V1,
        }
    }

    /// `CgroupVersion` as `GET /info` answers it.
    pub fn as_str(self) -> &'static str {
        match self {
            CgroupVersion::V1 => "1",
            CgroupVersion::V2 => "2",
        }
    }
}

/// How an engine's containers get their cgroups, as `docker info` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CgroupInfo {
    pub version: CgroupVersion,
    /// `CgroupDriver`: `cgroupfs`, `systemd` or `none` in dockerd's words.
    pub driver: &'static str,
}

impl CgroupInfo {
    /// This engine's: the host's version, and berth's one driver.
    pub fn of_host(root: &Path) -> CgroupInfo {
        CgroupInfo {
            version: CgroupVersion::of_host(root),
            driver: "cgroupfs",
        }
    }
}
