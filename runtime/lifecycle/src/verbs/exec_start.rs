//! `exec start`: an exec instance runs once, its process joined to the container's running
//! PID 1 through the sandbox with the container's environment, user and working directory and
//! the exec's own on top. The process's streams are handed to the caller, which copies them to
//! the client; exec output never reaches the container's log. A watcher thread records the
//! exit. A command that cannot be started is dockerd's `OCI runtime exec failed: ...` with exit
//! code 126 recorded. This verb never reads the container's files with the registry held.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use berth_sandbox::{exec_error, ExecSpec, SandboxError, Stdio};

use crate::containers::{Containers, Shared};
use crate::environment::{process_env, replace_or_append, with_home};
use crate::error::LifecycleError;
use crate::execs::{self, ExecOptions, ExecState};
use crate::id::ContainerId;
use crate::images::Images;
use crate::layers::{lower_layers, Reading};

/// A started exec's streams, for the caller to copy: with a TTY, `stdout` reads and `stdin`
/// writes the pty master; without, they are pipes. Each is `None` when not attached.
#[derive(Debug)]
pub struct ExecStreams {
    pub tty: bool,
    pub stdout: Option<File>,
    pub stderr: Option<File>,
    pub stdin: Option<File>,
}

impl<I: Images> Containers<I> {
    /// Starts an exec once. With `detach` its streams go nowhere. A command that cannot be
    /// started is dockerd's `OCI runtime exec failed: ...` with exit code 126 recorded.
    pub fn exec_start(&self, exec_id: &str, detach: bool) -> Result<ExecStreams, LifecycleError> {
        let (container, options) = {
            let mut reg = self.shared.lock();
            let entry = execs::entry(&mut reg.execs, exec_id)?;
            match entry.state {
                ExecState::Created => {}
                ExecState::Running { .. } => {
                    return Err(LifecycleError::ExecRunning { id: exec_id.into() })
                }
                ExecState::Exited { .. } => {
                    return Err(LifecycleError::ExecRan { id: exec_id.into() })
                }
            }
            // Taken now, so a second start is refused while this one sets up.
            entry.state = ExecState::Running { pid: 0 };
            (entry.container.clone(), entry.options.clone())
        };
        match self.spawn_exec(&container, &options, detach) {
            Ok((running, streams, pty)) => {
                let mut reg = self.shared.lock();
                if let Some(entry) = reg.execs.get_mut(exec_id) {
                    entry.state = ExecState::Running { pid: running.pid() };
                    entry.pty = pty;
                }
                drop(reg);
                watch(self.shared.clone(), exec_id.to_string(), running);
                Ok(streams)
            }
            Err(e) => {
                let mut reg = self.shared.lock();
                if let Some(entry) = reg.execs.get_mut(exec_id) {
                    entry.state = ExecState::Exited { pid: 0, code: 126 };
                }
                drop(reg);
                self.shared.notify();
                Err(match e {
                    LifecycleError::Sandbox(SandboxError::Exec { message, .. }) => {
                        LifecycleError::ExecFailed {
                            message: exec_error::docker_exec_error(&message),
                        }
                    }
                    // A setup step failed in the child (a working directory that does not
                    // exist): runc's words in dockerd's frame, as for a missing command.
                    LifecycleError::Sandbox(e @ SandboxError::ChildSetup { .. }) => {
                        LifecycleError::ExecFailed {
                            message: exec_error::docker_exec_error(&e.to_string()),
                        }
                    }
                    // The container stopped between the look and the join.
                    LifecycleError::Sandbox(SandboxError::NotRunning { .. }) => {
                        LifecycleError::NotRunning {
                            id: container.to_string(),
                        }
                    }
                    // An unknown user: dockerd looks it up itself and says so plainly.
                    LifecycleError::User(e) => LifecycleError::ExecFailed {
                        message: e.to_string(),
                    },
                    other => other,
                })
            }
        }
    }

    /// The process of an exec: the container's environment, user and working directory with
    /// the exec's own on top, joined to the container's running PID 1.
    #[allow(clippy::type_complexity)]
    fn spawn_exec(
        &self,
        container: &ContainerId,
        options: &ExecOptions,
        detach: bool,
    ) -> Result<(berth_sandbox::Running, ExecStreams, Option<Arc<OwnedFd>>), LifecycleError> {
        let (config, process, upper) = {
            let reg = self.shared.lock();
            let entry = reg
                .entries
                .get(container)
                .ok_or_else(|| LifecycleError::NotRunning {
                    id: container.to_string(),
                })?;
            (
                entry.config.clone(),
                entry.process.clone(),
                entry.dir.upper(),
            )
        };
        let not_running = || LifecycleError::NotRunning {
            id: container.to_string(),
        };
        let process = process.ok_or_else(not_running)?;
        let p = &config.config;
        let user = match options.user.as_str() {
            "" => p.user.as_str(),
            own => own,
        };
        let cwd = match (options.working_dir.as_str(), p.working_dir.as_str()) {
            ("", "") => "/",
            ("", container_wd) => container_wd,
            (own, _) => own,
        };
        // The running container's files as it sees them, read with no lock held.
        let identity = Reading {
            user: user.to_string(),
            group_add: config.host_config.group_add.clone(),
            upper,
            lower: lower_layers(&self.shared.init_layer, &config.layer_dirs),
        }
        .identity()?;
        let spec = ExecSpec {
            argv: options.cmd.clone(),
            env: with_home(
                replace_or_append(&process_env(p, options.tty), &options.env),
                &identity.home,
            ),
            cwd: cwd.to_string(),
            user: identity.user,
        };
        let (stdio, parent) = exec_stdio(options, detach)?;
        let init = process.running.lock().unwrap_or_else(|e| e.into_inner());
        let init = init.as_ref().ok_or_else(not_running)?;
        let mut running = self.shared.sandbox.exec(init, &spec, stdio)?;
        let (streams, pty) = match parent {
            ParentEnds::Pipes {
                stdout,
                stderr,
                stdin,
            } => (
                ExecStreams {
                    tty: false,
                    stdout: stdout.map(File::from),
                    stderr: stderr.map(File::from),
                    stdin: stdin.map(File::from),
                },
                None,
            ),
            ParentEnds::Pty => {
                let master = running.take_pty_master().ok_or_else(|| {
                    LifecycleError::io("open", "pty", std::io::Error::other("no master"))
                })?;
                let copy = |fd: &OwnedFd| {
                    fd.try_clone()
                        .map(File::from)
                        .map_err(|e| LifecycleError::io("dup", "pty", e))
                };
                let stdin = match options.attach_stdin {
                    true => Some(copy(&master)?),
                    false => None,
                };
                let streams = ExecStreams {
                    tty: true,
                    stdout: Some(copy(&master)?),
                    stderr: None,
                    stdin,
                };
                (streams, Some(Arc::new(master)))
            }
        };
        Ok((running, streams, pty))
    }
}

/// The parent's ends of an exec's streams.
enum ParentEnds {
    Pipes {
        stdout: Option<OwnedFd>,
        stderr: Option<OwnedFd>,
        stdin: Option<OwnedFd>,
    },
    Pty,
}

/// Pipes for the attached streams and `/dev/null` for the rest, or a pty with a TTY.
fn exec_stdio(options: &ExecOptions, detach: bool) -> Result<(Stdio, ParentEnds), LifecycleError> {
    if options.tty && !detach {
        return Ok((Stdio::Pty { rows: 0, cols: 0 }, ParentEnds::Pty));
    }
    let null = || -> Result<OwnedFd, LifecycleError> {
        let file = File::options()
            .read(true)
            .write(true)
            .open("/dev/null")
            .map_err(|e| LifecycleError::io("open", "/dev/null", e))?;
        Ok(file.into())
    };
    let pipe = || {
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|e| LifecycleError::io("pipe", "", e.into()))
    };
    let output = |attached: bool| -> Result<(OwnedFd, Option<OwnedFd>), LifecycleError> {
        match attached && !detach {
            true => pipe().map(|(read, write)| (write, Some(read))),
            false => Ok((null()?, None)),
        }
    };
    let (stdout, stdout_read) = output(options.attach_stdout)?;
    let (stderr, stderr_read) = output(options.attach_stderr)?;
    let (stdin, stdin_write) = match options.attach_stdin && !detach {
        true => pipe().map(|(read, write)| (read, Some(write)))?,
        false => (null()?, None),
    };
    let stdio = Stdio::Fds {
        stdin,
        stdout,
        stderr,
    };
    let ends = ParentEnds::Pipes {
        stdout: stdout_read,
        stderr: stderr_read,
        stdin: stdin_write,
    };
    Ok((stdio, ends))
}

/// Records the exec's exit once its process ends.
fn watch(shared: Arc<Shared>, exec_id: String, mut running: berth_sandbox::Running) {
    std::thread::spawn(move || {
        let code = running.wait().map_or(126, |exit| exit.code);
        let pid = running.pid();
        let _ = running.cleanup();
        let mut reg = shared.lock();
        if let Some(entry) = reg.execs.get_mut(&exec_id) {
            entry.state = ExecState::Exited { pid, code };
            entry.pty = None;
        }
        drop(reg);
        shared.notify();
    });
}
