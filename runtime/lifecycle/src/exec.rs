//! `docker exec`: exec instances of a running container, as dockerd 20.10 keeps them. An exec
//! is created (checked against the container's state), started once (its process joins the
//! container through the sandbox), and inspected for its exit code; its instances go with the
//! container. The process's streams are handed to the caller, which copies them to the client;
//! exec output never reaches the container's log.

use std::collections::HashMap;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Instant;

use berth_sandbox::{exec_error, ExecSpec, SandboxError, Stdio};

use crate::containers::{Containers, Registry, Shared};
use crate::error::LifecycleError;
use crate::id::{fill_random, ContainerId};
use crate::images::Images;
use crate::state::State;

/// What `POST /containers/{id}/exec` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOptions {
    pub cmd: Vec<String>,
    /// Added to the container's environment, replacing entries with the same key.
    pub env: Vec<String>,
    /// Empty: the container's user.
    pub user: String,
    /// Empty: the container's working directory.
    pub working_dir: String,
    pub tty: bool,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    pub privileged: bool,
}

/// An exec instance as `GET /exec/{id}/json` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecInspect {
    pub id: String,
    pub container: ContainerId,
    pub running: bool,
    /// `None` until the process ended (or failed to start, 126).
    pub exit_code: Option<i32>,
    /// The host PID, 0 before the start.
    pub pid: i32,
    pub options: ExecOptions,
}

/// A started exec's streams, for the caller to copy: with a TTY, `stdout` reads and `stdin`
/// writes the pty master; without, they are pipes. Each is `None` when not attached.
#[derive(Debug)]
pub struct ExecStreams {
    pub tty: bool,
    pub stdout: Option<File>,
    pub stderr: Option<File>,
    pub stdin: Option<File>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExecState {
    Created,
    Running { pid: i32 },
    Exited { pid: i32, code: i32 },
}

#[derive(Debug)]
pub(crate) struct ExecEntry {
    container: ContainerId,
    options: ExecOptions,
    state: ExecState,
    /// The pty master of a TTY exec, for resizes.
    pty: Option<Arc<OwnedFd>>,
}

/// The exec instances of every container, by exec ID.
pub(crate) type Execs = HashMap<String, ExecEntry>;

impl<I: Images> Containers<I> {
    /// Registers an exec of `options.cmd` in the running container `reference`.
    pub fn exec_create(
        &self,
        reference: &str,
        options: ExecOptions,
    ) -> Result<String, LifecycleError> {
        let mut reg = self.shared.lock();
        let id = crate::lookup::find(&reg, reference)?;
        match reg.entries[&id].state.status {
            // dockerd names the container as the client did here.
            State::Paused => {
                return Err(LifecycleError::ExecPaused {
                    id: reference.to_string(),
                })
            }
            State::Running => {}
            _ => return Err(LifecycleError::NotRunning { id: id.to_string() }),
        }
        if options.cmd.is_empty() {
            return Err(LifecycleError::NoExecCommand);
        }
        let exec_id = ContainerId::generate_with(&mut fill_random).to_string();
        reg.execs.insert(
            exec_id.clone(),
            ExecEntry {
                container: id,
                options,
                state: ExecState::Created,
                pty: None,
            },
        );
        Ok(exec_id)
    }

    /// Starts an exec once. With `detach` its streams go nowhere. A command that cannot be
    /// started is dockerd's `OCI runtime exec failed: ...` with exit code 126 recorded.
    pub fn exec_start(&self, exec_id: &str, detach: bool) -> Result<ExecStreams, LifecycleError> {
        let (container, options) = {
            let mut reg = self.shared.lock();
            let entry = exec_entry(&mut reg, exec_id)?;
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
                    // An unknown user: dockerd looks it up itself and says so plainly.
                    LifecycleError::User(e) => LifecycleError::ExecFailed {
                        message: e.to_string(),
                    },
                    other => other,
                })
            }
        }
    }

    pub fn exec_inspect(&self, exec_id: &str) -> Result<ExecInspect, LifecycleError> {
        let mut reg = self.shared.lock();
        let entry = exec_entry(&mut reg, exec_id)?;
        let (running, exit_code, pid) = match entry.state {
            ExecState::Created => (false, None, 0),
            ExecState::Running { pid } => (true, None, pid),
            ExecState::Exited { pid, code } => (false, Some(code), pid),
        };
        Ok(ExecInspect {
            id: exec_id.to_string(),
            container: entry.container.clone(),
            running,
            exit_code,
            pid,
            options: entry.options.clone(),
        })
    }

    /// Blocks until the exec has ended (or `deadline` passed) and answers its exit code.
    pub fn exec_wait(
        &self,
        exec_id: &str,
        deadline: Option<Instant>,
    ) -> Result<Option<i32>, LifecycleError> {
        let reg = self.shared.lock();
        if !reg.execs.contains_key(exec_id) {
            return Err(no_such_exec(exec_id));
        }
        let (reg, _) = self.shared.wait_until(reg, deadline, |r| {
            r.execs
                .get(exec_id)
                .is_none_or(|e| matches!(e.state, ExecState::Exited { .. }))
        });
        Ok(match reg.execs.get(exec_id).map(|e| e.state) {
            Some(ExecState::Exited { code, .. }) => Some(code),
            _ => None,
        })
    }

    /// Resolves once the exec has ended (or is gone with its container), holding no thread
    /// while it waits: its exit code, `None` when it is gone.
    pub async fn exec_exited(&self, exec_id: &str) -> Result<Option<i32>, LifecycleError> {
        if !self.shared.lock().execs.contains_key(exec_id) {
            return Err(no_such_exec(exec_id));
        }
        Ok(self
            .shared
            .until(|r| match r.execs.get(exec_id).map(|e| e.state) {
                None => Some(None),
                Some(ExecState::Exited { code, .. }) => Some(Some(code)),
                Some(_) => None,
            })
            .await)
    }

    /// Resizes a TTY exec's terminal; without one there is nothing to resize.
    pub fn exec_resize(
        &self,
        exec_id: &str,
        height: u16,
        width: u16,
    ) -> Result<(), LifecycleError> {
        let pty = {
            let mut reg = self.shared.lock();
            exec_entry(&mut reg, exec_id)?.pty.clone()
        };
        if let Some(master) = pty {
            let size = rustix::termios::Winsize {
                ws_row: height,
                ws_col: width,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            rustix::termios::tcsetwinsize(&*master, size)
                .map_err(|e| LifecycleError::io("resize", "exec pty", e.into()))?;
        }
        Ok(())
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
        let identity = crate::start::Reading {
            user: user.to_string(),
            upper,
            lower: crate::start::lower_layers(&self.shared.init_layer, &config.layer_dirs),
        }
        .identity()?;
        let spec = ExecSpec {
            argv: options.cmd.clone(),
            env: crate::start::with_home(
                crate::create::replace_or_append(
                    &crate::start::process_env(p, options.tty),
                    &options.env,
                ),
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

fn exec_entry<'a>(
    reg: &'a mut Registry,
    exec_id: &str,
) -> Result<&'a mut ExecEntry, LifecycleError> {
    reg.execs
        .get_mut(exec_id)
        .ok_or_else(|| no_such_exec(exec_id))
}

fn no_such_exec(exec_id: &str) -> LifecycleError {
    LifecycleError::NoSuchExec {
        id: exec_id.to_string(),
    }
}

/// Forgets the exec instances of a removed container.
pub(crate) fn forget_container(reg: &mut Registry, container: &ContainerId) {
    reg.execs.retain(|_, e| &e.container != container);
}
