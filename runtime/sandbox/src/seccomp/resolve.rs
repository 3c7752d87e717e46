//! The daemon's half of a profile (moby `setupSeccomp`, v20.10.24): which rules apply to this
//! container on this host. A rule is dropped when an `excludes` condition holds (the native
//! architecture listed, any listed capability in the container's bounding set, the kernel at
//! least `minKernel`) or an `includes` condition fails (the native architecture not listed, a
//! listed capability missing, the kernel older); the architectures are the native one's entry
//! of `archMap` with its sub-architectures. The result is what dockerd hands to runc (the OCI
//! `linux.seccomp` section). Pure: the host's facts come in as [`Host`].

use super::profile::{Arg, KernelVersion, Profile};
use super::SeccompError;
use crate::caps;

/// What the rules are evaluated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    pub arch: NativeArch,
    /// `None` when the release could not be parsed (an error only if a rule asks).
    pub kernel: Option<KernelVersion>,
    /// The container's capability bounding set, as a mask of capability numbers.
    pub caps: u64,
}

/// The build's architecture in moby's two spellings: libseccomp's name (`amd64`), which
/// `includes.arches`/`excludes.arches` use, and the `SCMP_ARCH_*` constant `archMap` uses.
/// moby knows no name for some architectures (riscv64 in 20.10): then rules naming
/// architectures never match and the filter covers the native architecture only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NativeArch {
    pub name: Option<&'static str>,
    pub scmp: Option<&'static str>,
}

impl NativeArch {
    /// moby's `goToNative` and `nativeToSeccomp` for the architecture this was built for.
    pub const fn build() -> NativeArch {
        let (name, scmp) = if cfg!(target_arch = "x86_64") {
            ("amd64", "SCMP_ARCH_X86_64")
        } else if cfg!(target_arch = "aarch64") {
            ("arm64", "SCMP_ARCH_AARCH64")
        } else if cfg!(target_arch = "x86") {
            ("x86", "SCMP_ARCH_X86")
        } else if cfg!(target_arch = "arm") {
            ("arm", "SCMP_ARCH_ARM")
        } else if cfg!(target_arch = "s390x") {
            ("s390x", "SCMP_ARCH_S390X")
        } else if cfg!(all(target_arch = "powerpc64", target_endian = "little")) {
            ("ppc64le", "SCMP_ARCH_PPC64LE")
        } else if cfg!(target_arch = "powerpc64") {
            ("ppc64", "SCMP_ARCH_PPC64")
        } else {
            return NativeArch {
                name: None,
                scmp: None,
            };
        };
        NativeArch {
            name: Some(name),
            scmp: Some(scmp),
        }
    }
}

/// One rule as runc receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub names: Vec<String>,
    pub action: String,
    pub errno_ret: Option<u64>,
    pub args: Vec<Arg>,
}

/// The OCI `linux.seccomp` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub default_action: String,
    pub architectures: Vec<String>,
    pub rules: Vec<Rule>,
}

/// The rules that apply on `host`; `None` when the profile names no default action and no
/// rules (moby then runs the container unconfined).
pub fn resolve(profile: &Profile, host: &Host) -> Result<Option<Resolved>, SeccompError> {
    if profile.default_action.is_empty() && profile.syscalls.is_empty() {
        return Ok(None);
    }
    if !profile.architectures.is_empty() && !profile.arch_map.is_empty() {
        return Err(SeccompError::Profile(
            "'architectures' and 'archMap' were specified in the seccomp profile, use either \
             'architectures' or 'archMap'"
                .into(),
        ));
    }
    let mut architectures = profile.architectures.clone();
    if let Some(native) = host.arch.scmp {
        if let Some(entry) = profile.arch_map.iter().find(|a| a.arch == native) {
            architectures.push(entry.arch.clone());
            architectures.extend(entry.sub_arches.iter().cloned());
        }
    }
    let mut rules = Vec::new();
    for call in &profile.syscalls {
        if !applies(call, host)? {
            continue;
        }
        if !call.name.is_empty() && !call.names.is_empty() {
            return Err(SeccompError::Profile(
                "'name' and 'names' were specified in the seccomp profile, use either 'name' \
                 or 'names'"
                    .into(),
            ));
        }
        rules.push(Rule {
            names: match call.name.is_empty() {
                true => call.names.clone(),
                false => vec![call.name.clone()],
            },
            action: call.action.clone(),
            errno_ret: call.errno_ret,
            args: call.args.clone(),
        });
    }
    Ok(Some(Resolved {
        default_action: profile.default_action.clone(),
        architectures,
        rules,
    }))
}

/// moby's checks, in its order: excludes first (arches, caps, kernel), then includes.
fn applies(call: &super::profile::Syscall, host: &Host) -> Result<bool, SeccompError> {
    let arch_listed = |list: &[String]| host.arch.name.is_some_and(|n| list.iter().any(|a| a == n));
    let has_cap = |name: &String| caps::bounding_has(host.caps, name);
    let ex = &call.excludes;
    if !ex.arches.is_empty() && arch_listed(&ex.arches) {
        return Ok(false);
    }
    if ex.caps.iter().any(has_cap) {
        return Ok(false);
    }
    if let Some(min) = ex.min_kernel {
        if kernel_at_least(host, min)? {
            return Ok(false);
        }
    }
    let inc = &call.includes;
    if !inc.arches.is_empty() && !arch_listed(&inc.arches) {
        return Ok(false);
    }
    if !inc.caps.iter().all(has_cap) {
        return Ok(false);
    }
    if let Some(min) = inc.min_kernel {
        if !kernel_at_least(host, min)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn kernel_at_least(host: &Host, min: KernelVersion) -> Result<bool, SeccompError> {
    let kernel = host.kernel.ok_or_else(|| {
        SeccompError::Profile(format!(
            "failed to parse kernel version {:?}",
            rustix::system::uname().release().to_string_lossy()
        ))
    })?;
    Ok(kernel >= min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::profile::decode;

    const AMD64: NativeArch = NativeArch {
        name: Some("amd64"),
        scmp: Some("SCMP_ARCH_X86_64"),
    };
    const ARM64: NativeArch = NativeArch {
        name: Some("arm64"),
        scmp: Some("SCMP_ARCH_AARCH64"),
    };

    fn host(arch: NativeArch, caps: u64) -> Host {
        Host {
            arch,
            kernel: Some(KernelVersion {
                kernel: 6,
                major: 1,
            }),
            caps,
        }
    }

    fn default() -> Profile {
        decode(crate::seccomp::DEFAULT_PROFILE).unwrap()
    }

    fn names_with(r: &Resolved, action: &str) -> Vec<String> {
        r.rules
            .iter()
            .filter(|r| r.action == action)
            .flat_map(|r| r.names.clone())
            .collect()
    }

    #[test]
    fn arch_map_picks_the_native_entry() {
        let docker = caps::docker_default_mask();
        let r = resolve(&default(), &host(AMD64, docker)).unwrap().unwrap();
        assert_eq!(
            r.architectures,
            ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
        );
        let r = resolve(&default(), &host(ARM64, docker)).unwrap().unwrap();
        assert_eq!(r.architectures, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
        let allowed = names_with(&r, "SCMP_ACT_ALLOW");
        assert!(allowed.contains(&"set_tls".to_string()));
        assert!(!allowed.contains(&"arch_prctl".to_string()));
    }

    /// Docker's default capabilities lack CAP_SYS_ADMIN: no `unshare`, `mount`, `bpf`, and
    /// `clone` only without namespace flags; with it, they are allowed and the masked clone
    /// rule and clone3's ENOSYS rule are gone.
    #[test]
    fn capability_rules_follow_the_bounding_set() {
        let docker = caps::docker_default_mask();
        let r = resolve(&default(), &host(AMD64, docker)).unwrap().unwrap();
        let allowed = names_with(&r, "SCMP_ACT_ALLOW");
        for call in [
            "unshare",
            "mount",
            "bpf",
            "perf_event_open",
            "setns",
            "ptrace",
        ] {
            let plain = r
                .rules
                .iter()
                .any(|rule| rule.args.is_empty() && rule.names.iter().any(|n| n == call));
            assert!(!plain || call == "ptrace", "{call} allowed unconditionally");
        }
        assert!(!allowed.contains(&"keyctl".to_string()));
        assert!(
            allowed.contains(&"chroot".to_string()),
            "CAP_SYS_CHROOT is a default"
        );
        let clone: Vec<&Rule> = r.rules.iter().filter(|r| r.names == ["clone"]).collect();
        assert_eq!(clone.len(), 1);
        assert_eq!(clone[0].args[0].value, 0x7E02_0000);
        assert_eq!(names_with(&r, "SCMP_ACT_ERRNO"), ["clone3"]);

        let admin = docker | 1 << 21;
        let r = resolve(&default(), &host(AMD64, admin)).unwrap().unwrap();
        let allowed = names_with(&r, "SCMP_ACT_ALLOW");
        assert!(allowed.contains(&"unshare".to_string()));
        assert!(allowed.contains(&"clone3".to_string()));
        assert!(names_with(&r, "SCMP_ACT_ERRNO").is_empty());
    }

    #[test]
    fn min_kernel_compares_kernel_and_major() {
        let mut h = host(AMD64, caps::docker_default_mask());
        let has_ptrace = |h: &Host| {
            let r = resolve(&default(), h).unwrap().unwrap();
            names_with(&r, "SCMP_ACT_ALLOW").contains(&"ptrace".to_string())
        };
        assert!(has_ptrace(&h));
        h.kernel = Some(KernelVersion {
            kernel: 4,
            major: 7,
        });
        assert!(!has_ptrace(&h));
        h.kernel = None;
        assert!(resolve(&default(), &h).is_err());
    }

    #[test]
    fn an_empty_profile_confines_nothing_and_mixed_forms_are_refused() {
        let h = host(AMD64, 0);
        assert_eq!(resolve(&Profile::default(), &h).unwrap(), None);
        let both = decode(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],
                "archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}"#,
        )
        .unwrap();
        assert!(resolve(&both, &h)
            .unwrap_err()
            .to_string()
            .starts_with("'architectures' and 'archMap' were specified"));
        let named =
            decode(r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"]}]}"#)
                .unwrap();
        assert_eq!(
            resolve(&named, &h).unwrap_err().to_string(),
            "'name' and 'names' were specified in the seccomp profile, use either 'name' or \
             'names'"
        );
    }
}
