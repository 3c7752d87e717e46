//! The start step that `start` and `restart` share: claim a created or exited container,
//! resolve its user with the registry released, then take the registry again, re-check the
//! container, join its network, build its sandbox spec ([`super::spec`], which writes its
//! `/etc` files) and spawn it with its streams wired into the container's I/O hub
//! ([`super::streams`]); the process then belongs to the exit watcher ([`super::exits`]). A
//! command that cannot be executed leaves the container `created` with exit code 127/126 and
//! dockerd's text, and an auto-remove container is removed even then.
//!
//! The container's own files (its passwd and group) are read with the registry released, so
//! no image can stall the verbs of other containers: a start claims the container under the
//! registry, reads, then takes the registry again and spawns. It never reads an image or a
//! container file with the registry held, and never looks a container up by a reference (the
//! verbs do).

use std::sync::{Arc, Mutex};

use berth_sandbox::{exec_error, SandboxError};

use super::{exits, removal, spec, streams};
use crate::containers::{Entry, Process, Registry, Shared};
use crate::error::LifecycleError;
use crate::id::ContainerId;
use crate::json_log::LogFile;
use crate::layers::{lower_layers, Reading};
use crate::time::Timestamp;
use crate::user::Identity;

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
            group_add: entry.config.host_config.group_add.clone(),
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
    let spec = spec::build(shared, &entry.config, &entry.dir, joined, identity)?;
    let log = LogFile::open(&entry.dir.log(id))?;
    let hub = entry.hub.clone();
    let tty = entry.config.config.tty;
    let open_stdin = entry.config.config.open_stdin;
    let (stdio, pipes) = match streams::stdio(&hub, tty, open_stdin) {
        Ok(stdio) => stdio,
        Err(e) => {
            hub.end_run();
            return Err(e);
        }
    };
    match shared.sandbox.spawn(&spec, stdio) {
        Ok(mut running) => {
            let readers = match streams::connect(&hub, log, &mut running, pipes, open_stdin) {
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
            exits::watch(shared.clone(), id.clone(), process, pidfd, readers);
            Ok(())
        }
        Err(e) => Err(start_failed(shared, reg, id, e)),
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
        let _ = removal::remove_locked(shared, reg, id);
    }
    shared.notify();
    match saved {
        Ok(()) => error,
        Err(e) => e,
    }
}
