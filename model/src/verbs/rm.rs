//! `rm`: remove a container; a running one only with `-f`, which kills it first.

use crate::env::Env;
use crate::ids::ContainerId;
use crate::model::Model;
use crate::response::{Outcome, Response};

impl Model {
    pub(crate) fn rm(&mut self, target: &str, force: bool, env: &mut dyn Env) -> Outcome {
        if target.is_empty() {
            return Err(self.profile.empty_rm_arg());
        }
        let id = self.find_container(target)?;
        let container = &self.containers[&id];
        if !container.state.can_remove_without_force() {
            if !force {
                return Err(self.profile.rm_running(id.as_str()));
            }
            // Killed for removal: the exit is never observable, and --rm must not race us.
            self.containers
                .get_mut(&id)
                .expect("found above")
                .auto_remove = false;
            self.exited(&id, 137, env);
        }
        self.remove_container(&id);
        Ok(Response::Done)
    }

    /// Drops a container and releases its name.
    pub(crate) fn remove_container(&mut self, id: &ContainerId) {
        if let Some(container) = self.containers.remove(id) {
            self.names.remove(&container.name);
        }
    }
}
