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
}
