//! Docker's default capability set and the child step that bounds the process to it. The
//! bounding set is what limits a root process after `execve` (root's permitted and effective
//! sets become the bounding set); inheritable and ambient sets are emptied, as dockerd
//! 20.10.14+ does (CVE-2022-24769). Runs in the child: no allocation.

use rustix::io::Errno;
use rustix::thread::{self, CapabilitySet, CapabilitySets};

/// Capability numbers of moby's `oci/caps.DefaultCapabilities()` (v20.10.24).
pub const DOCKER_DEFAULT: [u32; 14] = [
    0,  // CHOWN
    1,  // DAC_OVERRIDE
    4,  // FSETID
    3,  // FOWNER
    27, // MKNOD
    13, // NET_RAW
    6,  // SETGID
    7,  // SETUID
    31, // SETFCAP
    8,  // SETPCAP
    10, // NET_BIND_SERVICE
    18, // SYS_CHROOT
    5,  // KILL
    29, // AUDIT_WRITE
];

/// The default set as a bit mask (`0xa80425fb`, what `CapBnd` shows in a Docker container).
pub const fn docker_default_mask() -> u64 {
    let mut mask = 0u64;
    let mut i = 0;
    while i < DOCKER_DEFAULT.len() {
        mask |= 1 << DOCKER_DEFAULT[i];
        i += 1;
    }
    mask
}

/// The kernel's capability names by number (`CAP_CHOWN` is 0), as runtime specs and seccomp
/// profiles spell them.
pub const NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Whether the bounding set `mask` holds the capability named `name` (exactly as spelled, as
/// moby compares names; an unknown name is never held).
pub fn bounding_has(mask: u64, name: &str) -> bool {
    NAMES
        .iter()
        .position(|n| *n == name)
        .is_some_and(|bit| mask & (1 << bit) != 0)
}

/// Drops every capability outside `keep` from the bounding set, then empties the inheritable
/// and ambient sets. The effective and permitted sets stay full until `execve` (setting the uid
/// and gid still needs them); `execve` recomputes them from the bounding set.
pub(crate) fn bound_to(keep: u64) -> Result<(), Errno> {
    // Capability numbers past the kernel's last one answer EINVAL: the loop just stops there.
    for cap in 0..64u32 {
        if keep & (1 << cap) != 0 {
            continue;
        }
        match thread::remove_capability_from_bounding_set(CapabilitySet::from_bits_retain(1 << cap))
        {
            Ok(()) => {}
            Err(Errno::INVAL) => break,
            Err(e) => return Err(e),
        }
    }
    thread::clear_ambient_capability_set()?;
    let current = thread::capabilities(None)?;
    thread::set_capabilities(
        None,
        CapabilitySets {
            inheritable: CapabilitySet::empty(),
            ..current
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_mask_is_what_docker_containers_show() {
        assert_eq!(docker_default_mask(), 0xa80425fb);
    }

    #[test]
    fn names_are_looked_up_exactly() {
        let mask = docker_default_mask();
        assert!(bounding_has(mask, "CAP_CHOWN"));
        assert!(bounding_has(mask, "CAP_SYS_CHROOT"));
        assert!(!bounding_has(mask, "CAP_SYS_ADMIN"));
        assert!(!bounding_has(mask, "cap_chown"));
        assert!(bounding_has(1 << 40, "CAP_CHECKPOINT_RESTORE"));
    }
}
