//! `exec inspect` and the waits on an exec: its state as `GET /exec/{id}/json` shows it, and
//! its exit, blocking with a deadline or awaited holding no thread. This verb only reads the
//! exec table; it never changes an exec.

use std::time::Instant;

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::execs::{self, ExecOptions, ExecState};
use crate::id::ContainerId;
use crate::images::Images;

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

impl<I: Images> Containers<I> {
    pub fn exec_inspect(&self, exec_id: &str) -> Result<ExecInspect, LifecycleError> {
        let mut reg = self.shared.lock();
        let entry = execs::entry(&mut reg.execs, exec_id)?;
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
            return Err(execs::no_such_exec(exec_id));
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
            return Err(execs::no_such_exec(exec_id));
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
}
