//! `exec create`: an exec instance registered in a running container, checked against the
//! container's state with dockerd's texts (a paused container is refused, naming it as the
//! client did). Nothing runs yet: `exec start` runs it once. This verb never spawns anything.

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::execs::{ExecEntry, ExecOptions, ExecState};
use crate::id::{fill_random, ContainerId};
use crate::images::Images;
use crate::state::State;

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
}
