//! cgroup v2 files: enabling controllers down the tree, `memory.max`, `memory.swap.max`,
//! `pids.max`, `cpu.weight` (converted from Docker's cpu shares as runc does), the
//! `oom_kill` counter of `memory.events`, and the freezer (`cgroup.freeze`).

use std::fs;
use std::path::Path;

use super::{make_dir, write};
use crate::error::SandboxError;
use crate::spec::Limits;

/// runc's conversion from cgroup v1 cpu shares (2..=262144) to v2 `cpu.weight` (1..=10000).
pub fn cpu_weight_from_shares(shares: u64) -> u64 {
    if shares == 0 {
        return 0;
    }
    1 + ((shares.clamp(2, 262_144) - 2) * 9999) / 262_142
}

/// Creates `<root>/<rel>` with `controllers` enabled in every ancestor's
/// `cgroup.subtree_control` (a v2 controller only reaches a cgroup whose parents delegate it).
pub(super) fn prepare(root: &Path, rel: &Path, controllers: &[&str]) -> Result<(), SandboxError> {
    let mut dir = root.to_path_buf();
    let enable: String = controllers.iter().map(|c| format!("+{c} ")).collect();
    for part in rel.iter() {
        if !controllers.is_empty() && !delegates(&dir, controllers) {
            write(&dir, "cgroup.subtree_control", enable.trim_end())?;
        }
        dir.push(part);
        if !dir.is_dir() && make_dir(&dir)?.is_some() {
            make_dir(&dir)?;
        }
    }
    Ok(())
}

fn delegates(dir: &Path, controllers: &[&str]) -> bool {
    let text = fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
    controllers
        .iter()
        .all(|c| text.split_whitespace().any(|have| have == *c))
}

/// Writes the limits of the enabled controllers into `dir`.
pub(super) fn apply(dir: &Path, limits: &Limits, enabled: &[&str]) -> Result<(), SandboxError> {
    if enabled.contains(&"memory") {
        if let Some(memory) = limits.memory {
            write(dir, "memory.max", &memory.to_string())?;
            let swap = match limits.memory_swap {
                Some(-1) => "max".to_string(),
                Some(total) => (total - memory as i64).max(0).to_string(),
                None => memory.to_string(),
            };
            write(dir, "memory.swap.max", &swap)?;
        }
    }
    if enabled.contains(&"pids") {
        if let Some(max) = limits.pids.filter(|m| *m > 0) {
            write(dir, "pids.max", &max.to_string())?;
        }
    }
    if enabled.contains(&"cpu") {
        if let Some(shares) = limits.cpu_shares.filter(|s| *s > 0) {
            write(
                dir,
                "cpu.weight",
                &cpu_weight_from_shares(shares).to_string(),
            )?;
        }
    }
    Ok(())
}

/// The `oom_kill` counter of `memory.events`; 0 when unreadable.
/// Freezes (or thaws) every process of the cgroup and waits, bounded, until `cgroup.events`
/// says the whole cgroup is (or is no longer) frozen, as runc does for `pause`.
pub(super) fn freeze(dir: &Path, frozen: bool) -> Result<(), SandboxError> {
    write(dir, "cgroup.freeze", if frozen { "1" } else { "0" })?;
    let want = if frozen { "frozen 1" } else { "frozen 0" };
    let events = dir.join("cgroup.events");
    // Usually at once; a loaded machine can take a while to stop every task.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let text = fs::read_to_string(&events).map_err(|e| SandboxError::Cgroup {
            path: events.clone(),
            source: e,
        })?;
        if text.lines().any(|l| l == want) {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Err(SandboxError::Cgroup {
        path: events,
        source: std::io::Error::new(std::io::ErrorKind::TimedOut, format!("never {want}")),
    })
}

pub(super) fn oom_kill_count(dir: &Path) -> u64 {
    counter(
        &fs::read_to_string(dir.join("memory.events")).unwrap_or_default(),
        "oom_kill",
    )
}

/// The value of the `key value` line named `key` in a flat-keyed cgroup file.
pub(super) fn counter(text: &str, key: &str) -> u64 {
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_convert_like_runc() {
        assert_eq!(cpu_weight_from_shares(2), 1);
        assert_eq!(cpu_weight_from_shares(1024), 39);
        assert_eq!(cpu_weight_from_shares(262_144), 10_000);
    }

    #[test]
    fn controllers_are_delegated_down_the_tree() {
        let root = tempfile::tempdir().unwrap();
        prepare(root.path(), Path::new("berth/c1"), &["memory", "pids"]).unwrap();
        let read = |p: &str| fs::read_to_string(root.path().join(p)).unwrap();
        assert_eq!(read("cgroup.subtree_control"), "+memory +pids");
        assert_eq!(read("berth/cgroup.subtree_control"), "+memory +pids");
        assert!(root.path().join("berth/c1").is_dir());
    }

    #[test]
    fn limits_use_v2_names_and_units() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            memory: Some(1 << 20),
            memory_swap: Some(3 << 20),
            pids: Some(10),
            cpu_shares: Some(1024),
        };
        apply(dir.path(), &limits, &["memory", "pids", "cpu"]).unwrap();
        let read = |f: &str| fs::read_to_string(dir.path().join(f)).unwrap();
        assert_eq!(read("memory.max"), "1048576");
        assert_eq!(read("memory.swap.max"), "2097152");
        assert_eq!(read("pids.max"), "10");
        assert_eq!(read("cpu.weight"), "39");
    }

    #[test]
    fn oom_kills_are_counted_from_memory_events() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("memory.events"),
            "low 0\noom 1\noom_kill 1\n",
        )
        .unwrap();
        assert_eq!(oom_kill_count(dir.path()), 1);
    }
}
