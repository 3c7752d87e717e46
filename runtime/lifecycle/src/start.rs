//! `start`: turn a container's records into a sandbox [`Spec`] (overlay of the init layer and
//! the image layers under the container's own upper dir, hostname = short ID, Docker's
//! environment), spawn it with its stdout and stderr piped (or its pty master read) into the
//! container's I/O hub, and hand the process to the exit watcher. A command that cannot be
//! executed leaves the container `created` with exit code 127/126 and dockerd's text, and an
//! auto-remove container is removed even then.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use berth_sandbox::{exec_error, Limits, RootfsSpec, Running, SandboxError, Spec, Stdio, User};

use crate::containers::{Containers, Process, Registry, Shared};
use crate::create::replace_or_append;
use crate::error::LifecycleError;
use crate::hub::Hub;
use crate::id::ContainerId;
use crate::images::Images;
use crate::logs::{self, LogFile, Stream};
use crate::record::ContainerConfig;
use crate::time::Timestamp;

/// Docker's default `PATH` for Linux containers whose config has none.
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl<I: Images> Containers<I> {
    /// Starts a created or exited container. Answers NotModified when it already runs.
    pub fn start(&self, reference: &str) -> Result<(), LifecycleError> {
        let mut reg = self.shared.lock();
        let id = crate::lookup::find(&reg, reference)?;
        start_locked(&self.shared, &mut reg, &id)
    }
}

/// Starts `id` with the registry held, so two starts (or a start and an rm) cannot interleave.
pub(crate) fn start_locked(
    shared: &Arc<Shared>,
    reg: &mut Registry,
    id: &ContainerId,
) -> Result<(), LifecycleError> {
    let status = reg.entries[id].state.status;
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
    let joined = match crate::network::join(shared, reg, id) {
        Ok(joined) => joined,
        Err(e) => return Err(record_failed_start(shared, reg, id, 128, e)),
    };
    let entry = reg.entry_mut(id);
    if let Some(hostname) = &joined.hostname {
        if *hostname != entry.config.config.hostname {
            entry.config.config.hostname = hostname.clone();
            crate::record::write_atomic(&entry.dir.config(), &entry.config)?;
        }
    }
    let spec = match build_spec(shared, &entry.config, &entry.dir, joined) {
        Ok(spec) => spec,
        // An unknown user is a failed start in dockerd's terms (recorded, auto-removed).
        Err(LifecycleError::StartFailed { message, exit_code }) => {
            let err = SandboxError::Exec { message, exit_code };
            return Err(start_failed(shared, reg, id, err));
        }
        Err(e) => return Err(e),
    };
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
    let lower_dirs = std::iter::once(shared.init_layer.clone())
        .chain(config.layer_dirs.iter().rev().cloned())
        .collect();
    let identity = resolve_user(&process.user, &config.layer_dirs)?;
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

/// A process's identity: the sandbox's user and the home directory its passwd entry names.
pub(crate) struct Identity {
    pub user: User,
    pub home: String,
}

/// `user`, `uid`, `user:group` or `uid:gid`; names are looked up in the image's `/etc/passwd`
/// and `/etc/group` (topmost layer first). An unknown name fails the start, as in runc. The
/// supplementary groups are the primary group and the groups that list the user by name, as
/// the reference dockerd's processes have them (`id` prints `groups=GID`).
pub(crate) fn resolve_user(
    user: &str,
    layers: &[std::path::PathBuf],
) -> Result<Identity, LifecycleError> {
    // No user: root, whose group memberships count as any user's.
    let user = match user {
        "" => "0",
        given => given,
    };
    let (u, g) = user
        .split_once(':')
        .map_or((user, None), |(u, g)| (u, Some(g)));
    let entry = match u.parse::<u32>() {
        Ok(_) => lookup(layers, "etc/passwd", |f| f[2] == u),
        Err(_) => Some(lookup(layers, "etc/passwd", |f| f[0] == u).ok_or_else(|| unknown(user))?),
    };
    let uid = u
        .parse::<u32>()
        .unwrap_or_else(|_| entry.as_ref().map_or(0, |f| field(f, 2)));
    let primary = entry.as_ref().map_or(0, |f| field(f, 3));
    let name = entry.as_ref().map(|f| f[0].clone());
    let home = entry
        .as_ref()
        .and_then(|f| f.get(5))
        .filter(|h| !h.is_empty())
        .cloned()
        .unwrap_or_else(|| "/".to_string());
    let gid = match g {
        None => primary,
        Some(g) => match g.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => field(
                &lookup(layers, "etc/group", |f| f[0] == g).ok_or_else(|| unknown(user))?,
                2,
            ),
        },
    };
    let mut additional_gids = vec![gid];
    if let Some(name) = name {
        for g in memberships(layers, &name) {
            if !additional_gids.contains(&g) {
                additional_gids.push(g);
            }
        }
    }
    Ok(Identity {
        user: User {
            uid,
            gid,
            additional_gids,
        },
        home,
    })
}

/// The groups of the image's `/etc/group` whose member list names `user`.
fn memberships(layers: &[std::path::PathBuf], user: &str) -> Vec<u32> {
    let Some(text) = layers
        .iter()
        .rev()
        .find_map(|l| std::fs::read_to_string(l.join("etc/group")).ok())
    else {
        return Vec::new();
    };
    text.lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .filter(|f| f.len() >= 4 && f[3].split(',').any(|m| m == user))
        .filter_map(|f| f[2].parse().ok())
        .collect()
}

fn unknown(user: &str) -> LifecycleError {
    // runc's text; `start_failed` wraps it in dockerd's frame like any exec failure.
    LifecycleError::StartFailed {
        message: format!("unable to find user {user}: no matching entries in passwd file"),
        exit_code: 128,
    }
}

fn field(fields: &[String], i: usize) -> u32 {
    fields.get(i).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// The first line of `file` (in the topmost layer that has it) whose fields match.
fn lookup(
    layers: &[std::path::PathBuf],
    file: &str,
    matches: impl Fn(&[String]) -> bool,
) -> Option<Vec<String>> {
    let text = layers
        .iter()
        .rev()
        .find_map(|l| std::fs::read_to_string(l.join(file)).ok())?;
    text.lines()
        .map(|l| l.split(':').map(str::to_string).collect::<Vec<_>>())
        .find(|f| f.len() >= 3 && matches(f))
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

    #[test]
    fn users_resolve_from_the_image() {
        let layer = tempfile::tempdir().unwrap();
        std::fs::create_dir(layer.path().join("etc")).unwrap();
        std::fs::write(
            layer.path().join("etc/passwd"),
            "root:x:0:0::/:/bin/sh\nbob:x:1000:100::/:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(layer.path().join("etc/group"), "staff:x:50:\n").unwrap();
        let layers = vec![layer.path().to_path_buf()];
        let u = |s: &str| resolve_user(s, &layers).map(|i| (i.user.uid, i.user.gid));
        assert_eq!(u("").unwrap(), (0, 0));
        assert_eq!(u("bob").unwrap(), (1000, 100));
        assert_eq!(u("1000").unwrap(), (1000, 100));
        assert_eq!(u("bob:staff").unwrap(), (1000, 50));
        assert_eq!(u("7:8").unwrap(), (7, 8));
        assert!(u("nobody").is_err());
    }
}
