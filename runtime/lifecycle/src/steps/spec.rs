//! The sandbox [`Spec`] of a container about to start: its records resolved to host paths and
//! numbers (the overlay of the init layer and the image's layers under the container's own
//! upper dir, Docker's environment, the user's identity, limits, binds, seccomp), with its
//! `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf` written into its directory on the way.
//! It never spawns anything and never takes the registry (its caller holds it).

use berth_sandbox::{Limits, RootfsSpec, Spec};

use crate::containers::Shared;
use crate::environment::{process_env, with_home};
use crate::error::LifecycleError;
use crate::layers::lower_layers;
use crate::network::Joined;
use crate::record::{ContainerConfig, ContainerDir};
use crate::user::Identity;

/// The sandbox spec of a container: everything resolved to host paths and numbers.
pub(crate) fn build(
    shared: &Shared,
    config: &ContainerConfig,
    dir: &ContainerDir,
    joined: Joined,
    identity: Identity,
) -> Result<Spec, LifecycleError> {
    let process = &config.config;
    let hc = &config.host_config;
    // overlayfs wants the topmost layer first; image layers come bottom to top, and the init
    // layer sits above them so the upper dir holds only what the process changed.
    let etc_files = crate::etc_files::EtcFiles::in_dir(&dir.path);
    etc_files.write(
        &process.hostname,
        &crate::etc_files::HostEtc::standard(),
        joined.host_files,
    )?;
    let lower_dirs = lower_layers(&shared.init_layer, &config.layer_dirs);
    // Checked at create; a record written by hand fails the start here.
    let security = crate::security::parse(hc.security_opt.as_deref().unwrap_or_default())?;
    Ok(Spec {
        rootfs: RootfsSpec {
            lower_dirs,
            upper_dir: dir.upper(),
            work_dir: dir.work(),
            mount_point: dir.rootfs(),
            // An auto-remove container's upper dir is deleted at exit, and a disposable one's
            // right after it: skip the exit-time syncfs.
            volatile: hc.auto_remove || hc.disposable,
        },
        argv: std::iter::once(config.path.clone())
            .chain(config.args.iter().cloned())
            .collect(),
        env: with_home(process_env(process, process.tty), &identity.home),
        cwd: match process.working_dir.as_str() {
            "" => "/".to_string(),
            wd => wd.to_string(),
        },
        hostname: process.hostname.clone(),
        user: identity.user,
        network: joined.network,
        limits: Limits {
            memory: hc.memory,
            memory_swap: None,
            pids: hc.pids_limit,
            cpu_shares: hc.cpu_shares,
        },
        binds: crate::binds::sandbox_binds(etc_files.binds(), &hc.mount_points)?,
        cgroup: shared.cgroup(&config.id),
        seccomp: security.seccomp,
        no_new_privileges: security.no_new_privileges,
    })
}
