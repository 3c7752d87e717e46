//! Docker's seccomp confinement. A profile in Docker's format ([`profile`]: berth's default is
//! moby's, shipped as `default.json` beside this file; `--security-opt seccomp=...` gives
//! others) is resolved for the container's capabilities, the architecture and the kernel as
//! dockerd does ([`resolve`]), compiled by libseccomp with runc's `-ENOSYS` stub in front as
//! runc does ([`compile`], [`enosys`]), and cached per (profile, capability set)
//! ([`SeccompCache`]), so a warm start reuses the program. All of that happens in the parent:
//! the child, which runs on the parent's memory and must not allocate, only makes the
//! `seccomp(2)` call on the finished program ([`load`]).

mod compile;
mod enosys;
mod go_decode;
pub(crate) mod load;
pub mod profile;
mod program;
pub mod resolve;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use program::{Program, SockFilter};

use crate::spec::Seccomp;

/// Docker's default profile: moby's `profiles/seccomp/default.json` of v20.10.24, whose
/// policy it keeps unchanged (see the file's `comment` key for the attribution).
pub const DEFAULT_PROFILE: &str = include_str!("default.json");

/// Why a profile could not become a filter, worded as dockerd answers (it passes runc's
/// texts through with its own frame).
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    /// The profile is not JSON of Docker's format (Go's decoder's text).
    #[error("Decoding seccomp profile failed: {0}")]
    Decode(String),
    /// dockerd refused the profile while evaluating it.
    #[error("{0}")]
    Profile(String),
    /// runc refused the profile while converting the container's configuration.
    #[error(
        "failed to create shim task: OCI runtime create failed: runc create failed: {0}: unknown"
    )]
    RuntimeConfig(String),
    /// runc could not build or load the filter in the container's init.
    #[error("{}", crate::exec_error::docker_start_error(.0))]
    RuntimeInit(String),
}

/// Compiled filters by (profile, capability bounding set). Every container with the default
/// profile and Docker's capabilities shares one program; a custom profile's text is its key.
#[derive(Debug)]
pub struct SeccompCache {
    host: resolve::Host,
    entries: Mutex<Entries>,
}

/// (the profile's text, `None` for the default; the capability mask) to the program, `None`
/// for a profile that asks for no filter.
type Entries = HashMap<(Option<Arc<str>>, u64), Option<Arc<Program>>>;

/// Custom profiles beyond this many are forgotten (the default's entries stay): a long-lived
/// daemon must not grow with every profile a client ever sent.
const MAX_ENTRIES: usize = 64;

impl SeccompCache {
    /// A cache for this host: the build's architecture and the running kernel.
    pub fn for_host() -> SeccompCache {
        let release = rustix::system::uname()
            .release()
            .to_string_lossy()
            .into_owned();
        SeccompCache {
            host: resolve::Host {
                arch: resolve::NativeArch::build(),
                kernel: profile::KernelVersion::from_release(&release),
                caps: 0,
            },
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The program for `seccomp` and the bounding set `caps`; `None` for no filter
    /// (`unconfined`, or a profile that asks for nothing).
    pub fn program(
        &self,
        seccomp: &Seccomp,
        caps: u64,
    ) -> Result<Option<Arc<Program>>, SeccompError> {
        let key = match seccomp {
            Seccomp::Unconfined => return Ok(None),
            Seccomp::Default => (None, caps),
            Seccomp::Profile(text) => (Some(text.clone()), caps),
        };
        if let Some(found) = self.lock().get(&key) {
            return Ok(found.clone());
        }
        // Compiled outside the lock: a few milliseconds that other starts need not wait for.
        let text = key.0.as_deref().unwrap_or(DEFAULT_PROFILE);
        let program = self.build(text, caps)?;
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|(profile, _), _| profile.is_none());
        }
        entries.insert(key, program.clone());
        Ok(program)
    }

    fn build(&self, text: &str, caps: u64) -> Result<Option<Arc<Program>>, SeccompError> {
        let profile = profile::decode(text)?;
        let host = resolve::Host { caps, ..self.host };
        match resolve::resolve(&profile, &host)? {
            Some(resolved) => Ok(Some(Arc::new(compile::compile(&resolved)?))),
            None => Ok(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic elsewhere cannot leave a half-written entry: inserts are single calls.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_program_per_profile_and_capability_set() {
        let cache = SeccompCache::for_host();
        let caps = crate::caps::docker_default_mask();
        let a = cache.program(&Seccomp::Default, caps).unwrap().unwrap();
        let b = cache.program(&Seccomp::Default, caps).unwrap().unwrap();
        assert!(Arc::ptr_eq(&a, &b), "the second start recompiled");
        let admin = cache
            .program(&Seccomp::Default, caps | 1 << 21)
            .unwrap()
            .unwrap();
        assert_ne!(a.instructions(), admin.instructions());
        assert!(cache.program(&Seccomp::Unconfined, caps).unwrap().is_none());
        let empty = Seccomp::Profile("{}".into());
        assert!(cache.program(&empty, caps).unwrap().is_none());
    }

    #[test]
    fn the_shipped_profile_is_mobys_policy_with_attribution() {
        let doc: serde_json::Value = serde_json::from_str(DEFAULT_PROFILE).unwrap();
        let comment = doc["comment"].as_str().unwrap();
        assert!(comment.contains("moby") && comment.contains("v20.10.24"));
        assert!(comment.contains("Apache License 2.0"));
        assert_eq!(doc["defaultAction"], "SCMP_ACT_ERRNO");
    }
}
