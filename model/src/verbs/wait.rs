//! `wait`: the exit code of a container that is not running (a created container answers at
//! once with its recorded code, as condition `not-running` does); a running one blocks.

use crate::model::Model;
use crate::response::{Outcome, Response};

impl Model {
    pub(crate) fn wait(&self, target: &str) -> Outcome {
        let id = self.find_container(target)?;
        let container = &self.containers[&id];
        if container.state.is_running() {
            return Ok(Response::Blocked);
        }
        Ok(Response::Waited {
            status: container.exit_code,
        })
    }
}
