//! `start`: turn a container's records into a sandbox [`Spec`] (overlay of the init layer and
//! the image layers under the container's own upper dir, hostname = short ID, Docker's
//! environment), spawn it with its stdout and stderr piped (or its pty master read) into the
//! container's I/O hub, and hand the process to the exit watcher. A command that cannot be
//! executed leaves the container `created` with exit code 127/126 and dockerd's text, and an
//! auto-remove container is removed even then.
//!
//! The container's own files (its passwd and group) are read with the registry released, so
//! no image can stall the verbs of other containers: a start claims the container under the
//! registry, reads, then takes the registry again and spawns. It never reads an image or a
//! container file with the registry held.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use berth_sandbox::{exec_error, Limits, RootfsSpec, Running, SandboxError, Spec, Stdio};

use crate::containers::{Containers, Entry, Process, Registry, Shared};
use crate::create::replace_or_append;
use crate::error::LifecycleError;
use crate::hub::Hub;
use crate::id::ContainerId;
use crate::images::Images;
use crate::logs::{self, LogFile, Stream};
use crate::record::ContainerConfig;
use crate::time::Timestamp;
use crate::user::Identity;

/// Docker's default `PATH` for Linux containers whose config has none.
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl<I: Images> Containers<I> {
    /// Starts a created or exited container. Answers NotModified when it already runs.
    pub fn start(&self, reference: &str) -> Result<(), LifecycleError> {
        let id = crate::lookup::find(&self.shared.lock(), reference)?;
        start_id(&self.shared, &id, reference)
    }
}

/// Starts `id` (which the caller found as `reference`): claims it, resolves its user with no
/// lock held, then re-takes the registry, re-checks the container and spawns it.
pub(crate) fn start_id(
    shared: &Arc<Shared>,
    id: &ContainerId,
    reference: &str,
) -> Result<(), LifecycleError> {
    let mut claim = Claim::take(shared, id, reference)?;
    let identity = claim.reading.identity();
    let mut reg = shared.lock();
    claim.release(&mut reg);
    match reg.entries.get(id) {
        None => {
            return Err(LifecycleError::NoSuchContainer {
                reference: reference.into(),
            })
        }
        Some(entry) => startable(id, entry)?,
    }
    start_locked(shared, &mut reg, id, identity)
}

/// dockerd's checks before a start.
fn startable(id: &ContainerId, entry: &Entry) -> Result<(), LifecycleError> {
    let status = entry.state.status;
    if status == crate::state::State::Paused {
        return Err(LifecycleError::StartPaused);
    }
    if status.is_running() {
        return Err(LifecycleError::NotModified {
            id: id.to_string(),
            what: "started",
        });
    }
    if !status.can_start() {
        return Err(LifecycleError::BadState {
            id: id.to_string(),
            state: status,
            verb: "start",
        });
    }
    Ok(())
}

/// A start between its checks and its spawn: the container is marked `starting`, so a second
/// start or an `rm` waits for this one to finish (dockerd serialises them on the container's
/// lock), while every other container's verbs go on. Dropped without [`Claim::release`] (a
/// panic), it clears the mark itself.
struct Claim<'a> {
    shared: &'a Shared,
    id: &'a ContainerId,
    held: bool,
    reading: Reading,
}

impl<'a> Claim<'a> {
    fn take(
        shared: &'a Shared,
        id: &'a ContainerId,
        reference: &str,
    ) -> Result<Claim<'a>, LifecycleError> {
        let (mut reg, _) = shared.wait_until(shared.lock(), None, |r| {
            r.entries.get(id).is_none_or(|e| !e.starting)
        });
        let Some(entry) = reg.entries.get_mut(id) else {
            return Err(LifecycleError::NoSuchContainer {
                reference: reference.into(),
            });
        };
        startable(id, entry)?;
        entry.starting = true;
        let reading = Reading {
            user: entry.config.config.user.clone(),
            upper: entry.dir.upper(),
            lower: lower_layers(&shared.init_layer, &entry.config.layer_dirs),
        };
        Ok(Claim {
            shared,
            id,
            held: true,
            reading,
        })
    }

    fn release(&mut self, reg: &mut Registry) {
        if let Some(entry) = reg.entries.get_mut(self.id) {
            entry.starting = false;
        }
        self.held = false;
        // The waiters wake once the caller lets the registry go.
        self.shared.notify();
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if self.held {
            let mut reg = self.shared.lock();
            if let Some(entry) = reg.entries.get_mut(self.id) {
                entry.starting = false;
            }
            drop(reg);
            self.shared.notify();
        }
    }
}

/// What a start reads from the container's files, named while the registry was held.
#[derive(Debug)]
pub(crate) struct Reading {
    pub user: String,
    pub upper: PathBuf,
    /// Topmost first.
    pub lower: Vec<PathBuf>,
}

impl Reading {
    /// The user's identity in the container's own files. Call with no lock held.
    pub fn identity(&self) -> Result<Identity, LifecycleError> {
        let view = crate::rootfs::Rootfs::open(Some(&self.upper), &self.lower)
            .map_err(|e| LifecycleError::io("open", "the container's layers", e))?;
        Ok(crate::user::resolve(&self.user, &view)?)
    }
}

/// The read-only layers under a container's upper dir, topmost first: the init layer over the
/// image's (which come bottom to top).
pub(crate) fn lower_layers(init_layer: &Path, image_layers: &[PathBuf]) -> Vec<PathBuf> {
    std::iter::once(init_layer.to_path_buf())
        .chain(image_layers.iter().rev().cloned())
        .collect()
}

/// Starts `id` with the registry held, so two starts (or a start and an rm) cannot interleave.
/// `identity` was resolved before; its failure is reported here, after the network, in
/// dockerd's order.
fn start_locked(
    shared: &Arc<Shared>,
    reg: &mut Registry,
    id: &ContainerId,
    identity: Result<Identity, LifecycleError>,
) -> Result<(), LifecycleError> {
    let joined = match crate::network::join(shared, reg, id) {
        Ok(joined) => joined,
        Err(e) => return Err(record_failed_start(shared, reg, id, 128, e)),
    };
    // dockerd records 128 for a start that failed before the runtime ran.
    let identity = match identity {
        Ok(identity) => identity,
        Err(e) => return Err(record_failed_start(shared, reg, id, 128, e)),
    };
    let entry = reg.entry_mut(id);
    if let Some(hostname) = &joined.hostname {
        if *hostname != entry.config.config.hostname {
            entry.config.config.hostname = hostname.clone();
            crate::record::write_atomic(&entry.dir.config(), &entry.config)?;
        }
    }
    let spec = build_spec(shared, &entry.config, &entry.dir, joined, identity)?;
    let log = LogFile::open(&entry.dir.log(id))?;
    let hub = entry.hub.clone();
    let tty = entry.config.config.tty;
    let open_stdin = entry.config.config.open_stdin;
    let (stdio, pipes) = match stdio(&hub, tty, open_stdin) {
        Ok(stdio) => stdio,
        Err(e) => {
            hub.end_run();
            return Err(e);
        }
    };
    match shared.sandbox.spawn(&spec, stdio) {
        Ok(mut running) => {
            let readers = match connect(&hub, log, &mut running, pipes, open_stdin) {
                Ok(readers) => readers,
                Err(e) => {
                    hub.end_run();
                    let _ = running.cleanup();
                    return Err(e);
                }
            };
            let pid = running.pid();
            let pidfd = running
                .pidfd()
                .try_clone_to_owned()
                .map_err(|e| LifecycleError::io("dup", "pidfd", e))?;
            let process = Arc::new(Process {
                running: Mutex::new(Some(running)),
            });
            entry.state.set_running(pid, Timestamp::now());
            entry.process = Some(process.clone());
            reg.save_state(id)?;
            shared.notify();
            crate::wait::watch(shared.clone(), id.clone(), process, pidfd, readers);
            Ok(())
        }
        Err(e) => Err(start_failed(shared, reg, id, e)),
    }
}

/// The parent's ends of the output pipes, read once the process runs.
enum OutputPipes {
    Fds { stdout: OwnedFd, stderr: OwnedFd },
    Pty,
}

/// The container's streams: a pty (its master comes back from the sandbox), or pipes for
/// stdout and stderr with stdin from the hub's pipe (`OpenStdin`) or `/dev/null`.
fn stdio(hub: &Hub, tty: bool, open_stdin: bool) -> Result<(Stdio, OutputPipes), LifecycleError> {
    if tty {
        // dockerd's console starts at 0x0 until a client resizes it.
        return Ok((Stdio::Pty { rows: 0, cols: 0 }, OutputPipes::Pty));
    }
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let stdin: OwnedFd = if open_stdin {
        hub.take_stdin_read()?
    } else {
        File::open("/dev/null")
            .map_err(|e| LifecycleError::io("open", "/dev/null", e))?
            .into()
    };
    let stdio = Stdio::Fds {
        stdin,
        stdout: out_w,
        stderr: err_w,
    };
    let pipes = OutputPipes::Fds {
        stdout: out_r,
        stderr: err_r,
    };
    Ok((stdio, pipes))
}

/// Starts the run in the hub, then its readers (and, for a pty with `OpenStdin`, the relay
/// from the stdin pipe to the master). The hub has the log before any reader can deliver.
fn connect(
    hub: &Arc<Hub>,
    log: LogFile,
    running: &mut Running,
    pipes: OutputPipes,
    open_stdin: bool,
) -> Result<Vec<JoinHandle<()>>, LifecycleError> {
    match pipes {
        OutputPipes::Fds { stdout, stderr } => {
            hub.begin_run(log, None);
            Ok(vec![
                logs::spawn_reader(Stream::Stdout, stdout.into(), hub.clone()),
                logs::spawn_reader(Stream::Stderr, stderr.into(), hub.clone()),
            ])
        }
        OutputPipes::Pty => {
            let master = running.take_pty_master().ok_or_else(|| {
                LifecycleError::io("open", "pty", std::io::Error::other("no master"))
            })?;
            let reader = File::from(
                master
                    .try_clone()
                    .map_err(|e| LifecycleError::io("dup", "pty", e))?,
            );
            let master = Arc::new(master);
            if open_stdin {
                crate::relay::spawn(hub.take_stdin_read()?, master.clone());
            }
            hub.begin_run(log, Some(master));
            Ok(vec![logs::spawn_reader(
                Stream::Stdout,
                reader,
                hub.clone(),
            )])
        }
    }
}

/// Records a failed start the way dockerd does and answers the error to return.
fn start_failed(
    shared: &Shared,
    reg: &mut Registry,
    id: &ContainerId,
    err: SandboxError,
) -> LifecycleError {
    let (code, error) = match &err {
        SandboxError::Exec { message, exit_code } => (
            *exit_code,
            LifecycleError::StartFailed {
                message: exec_error::docker_start_error(message),
                exit_code: *exit_code,
            },
        ),
        // dockerd records 128 for a start that failed for any other reason.
        _ => (128, LifecycleError::Sandbox(err)),
    };
    record_failed_start(shared, reg, id, code, error)
}

/// Records a start that failed with `error` (exit code `code`, dockerd's `State.Error`), removes
/// an auto-remove container, and answers the error to return.
fn record_failed_start(
    shared: &Shared,
    reg: &mut Registry,
    id: &ContainerId,
    code: i32,
    error: LifecycleError,
) -> LifecycleError {
    let entry = reg.entry_mut(id);
    // Clients attached for this run have nothing more to get.
    entry.hub.end_run();
    entry.state.set_start_failed(code, &error.to_string());
    let auto_remove = entry.config.host_config.auto_remove;
    let saved = reg.save_state(id);
    if auto_remove {
        let _ = crate::rm::remove_locked(shared, reg, id);
    }
    shared.notify();
    match saved {
        Ok(()) => error,
        Err(e) => e,
    }
}

fn pipe() -> Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd), LifecycleError> {
    rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| LifecycleError::io("pipe", "", e.into()))
}

/// The sandbox spec of a container: everything resolved to host paths and numbers.
fn build_spec(
    shared: &Shared,
    config: &ContainerConfig,
    dir: &crate::record::ContainerDir,
    joined: crate::network::Joined,
    identity: Identity,
) -> Result<Spec, LifecycleError> {
    let process = &config.config;
    let hc = &config.host_config;
    // overlayfs wants the topmost layer first; image layers come bottom to top, and the init
    // layer sits above them so the upper dir holds only what the process changed.
    let etc_files = crate::EtcFiles::in_dir(&dir.path);
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

/// dockerd's `CreateDaemonEnvironment`: the default PATH, HOSTNAME, `TERM=xterm` with a
/// terminal, then the config's entries, each replacing the entry with its key in place (so a
/// PATH of the image stays first, as `env` shows it on dockerd).
pub(crate) fn process_env(process: &crate::record::ProcessConfig, tty: bool) -> Vec<String> {
    let mut base = vec![
        DEFAULT_PATH.to_string(),
        format!("HOSTNAME={}", process.hostname),
    ];
    if tty {
        base.push("TERM=xterm".to_string());
    }
    replace_or_append(&base, &process.env)
}

/// runc's last touch: `HOME` from the user's passwd entry (else `/`) when the environment has
/// none.
pub(crate) fn with_home(mut env: Vec<String>, home: &str) -> Vec<String> {
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!("HOME={home}"));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ProcessConfig;

    #[test]
    fn env_is_path_hostname_then_config() {
        let p = ProcessConfig {
            hostname: "abc".into(),
            env: vec!["A=1".into()],
            ..Default::default()
        };
        assert_eq!(
            process_env(&p, false),
            [DEFAULT_PATH, "HOSTNAME=abc", "A=1"]
        );
        assert_eq!(
            with_home(process_env(&p, true), "/root"),
            [
                DEFAULT_PATH,
                "HOSTNAME=abc",
                "TERM=xterm",
                "A=1",
                "HOME=/root"
            ]
        );
        let p = ProcessConfig {
            hostname: "abc".into(),
            env: vec!["PATH=/x".into(), "HOSTNAME=mine".into()],
            ..Default::default()
        };
        // Replaced in place: `docker run busybox env` prints the image's PATH first on dockerd.
        assert_eq!(process_env(&p, false), ["PATH=/x", "HOSTNAME=mine"]);
    }
}
