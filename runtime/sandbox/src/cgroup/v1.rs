//! cgroup v1 files: memory, pids, cpu shares and the device allow-list, written the way runc
//! writes them for Docker's defaults; and the OOM kill counter from `memory.oom_control`.

use std::fs;
use std::path::Path;

use super::write;
use crate::error::SandboxError;
use crate::spec::Limits;

/// Docker's device rules (moby `oci/defaults.go` plus runc's `AllowedDevices`): nothing but
/// `mknod` anywhere, and read/write only on the standard character devices, ptys and tun.
pub const DEVICE_ALLOW: [&str; 12] = [
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",
    "c 1:5 rwm",
    "c 1:7 rwm",
    "c 1:8 rwm",
    "c 1:9 rwm",
    "c 5:0 rwm",
    "c 5:1 rwm",
    "c 5:2 rwm",
    "c 136:* rwm",
    "c 10:200 rwm",
];

/// Writes the limits one v1 controller enforces into `dir`.
pub(super) fn apply(controller: &str, dir: &Path, limits: &Limits) -> Result<(), SandboxError> {
    match controller {
        "memory" => apply_memory(dir, limits),
        "pids" => match limits.pids {
            Some(max) if max > 0 => write(dir, "pids.max", &max.to_string()),
            _ => Ok(()),
        },
        "cpu" => match limits.cpu_shares {
            Some(shares) if shares > 0 => write(dir, "cpu.shares", &shares.to_string()),
            _ => Ok(()),
        },
        "devices" => {
            // A v1 devices cgroup starts with a copy of its parent's rules, so a parent set up
            // once (configure_new_parent) spares each container 13 writes. Whatever else the
            // parent holds (everything allowed, or someone else's rules), the container gets
            // Docker's rules itself, and starts only if the kernel then lists exactly them.
            if !holds_docker_rules(&read_list(dir)?) {
                apply_devices(dir)?;
                if !holds_docker_rules(&read_list(dir)?) {
                    return Err(SandboxError::DeviceRules {
                        reason: format!("{} does not hold Docker's rules", dir.display()),
                    });
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Sets up a parent directory this sandbox just created, before it has children: the device
/// rules go there once and every container inherits them.
pub(super) fn configure_new_parent(controller: &str, parent: &Path) -> Result<(), SandboxError> {
    if controller == "devices" {
        apply_devices(parent)?;
    }
    Ok(())
}

/// `memory.limit_in_bytes` first, then memory+swap (the kernel refuses a memsw limit below the
/// memory limit). Without an explicit swap value Docker uses twice the memory limit.
fn apply_memory(dir: &Path, limits: &Limits) -> Result<(), SandboxError> {
    let Some(memory) = limits.memory else {
        return Ok(());
    };
    write(dir, "memory.limit_in_bytes", &memory.to_string())?;
    let swap = limits
        .memory_swap
        .unwrap_or(memory.saturating_mul(2) as i64);
    if dir.join("memory.memsw.limit_in_bytes").exists() {
        write(dir, "memory.memsw.limit_in_bytes", &swap.to_string())?;
    }
    Ok(())
}

fn read_list(dir: &Path) -> Result<String, SandboxError> {
    let path = dir.join("devices.list");
    fs::read_to_string(&path).map_err(|e| SandboxError::Cgroup { path, source: e })
}

/// Whether a `devices.list` is exactly [`DEVICE_ALLOW`] (the kernel lists rules in the order
/// they were added; Docker's and ours differ in order only).
fn holds_docker_rules(list: &str) -> bool {
    let mut have: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut want: Vec<&str> = DEVICE_ALLOW.to_vec();
    have.sort_unstable();
    want.sort_unstable();
    have == want
}

fn apply_devices(dir: &Path) -> Result<(), SandboxError> {
    write(dir, "devices.deny", "a")?;
    for rule in DEVICE_ALLOW {
        write(dir, "devices.allow", rule)?;
    }
    Ok(())
}

/// The `oom_kill` counter of `memory.oom_control` (kernel 4.13+); 0 when unreadable.
pub(super) fn oom_kill_count(dir: &Path) -> u64 {
    let text = fs::read_to_string(dir.join("memory.oom_control")).unwrap_or_default();
    super::v2::counter(&text, "oom_kill")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_limit_sets_docker_default_swap() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("memory.memsw.limit_in_bytes"), "").unwrap();
        let limits = Limits {
            memory: Some(6 << 20),
            ..Limits::default()
        };
        apply("memory", dir.path(), &limits).unwrap();
        let read = |f: &str| fs::read_to_string(dir.path().join(f)).unwrap();
        assert_eq!(read("memory.limit_in_bytes"), "6291456");
        assert_eq!(read("memory.memsw.limit_in_bytes"), "12582912");
    }

    #[test]
    fn only_exactly_dockers_rules_count_as_applied() {
        let docker_order = "b *:* m\nc *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\n\
                            c 1:9 rwm\nc 5:0 rwm\nc 5:1 rwm\nc 5:2 rwm\nc 10:200 rwm\n\
                            c 136:* rwm\n";
        assert!(holds_docker_rules(docker_order));
        assert!(!holds_docker_rules("a *:* rwm\n"));
        assert!(!holds_docker_rules(&format!("{docker_order}c 1:1 rwm\n")));
        assert!(!holds_docker_rules(""));
    }

    #[test]
    fn oom_counter_is_read_from_oom_control() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("memory.oom_control"),
            "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
        )
        .unwrap();
        assert_eq!(oom_kill_count(dir.path()), 2);
    }
}
