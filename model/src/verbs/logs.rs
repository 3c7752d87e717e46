//! `logs`: everything the container wrote, both streams, in order, across all its runs.

use crate::model::Model;
use crate::response::{Outcome, Response};

impl Model {
    pub(crate) fn logs(&self, target: &str) -> Outcome {
        let id = self.find_container(target)?;
        let mut log = self.containers[&id].log.clone();
        if self.mutated(crate::mutation::Mutation::LogsDropStderr) {
            log.retain(|chunk| chunk.stream == crate::container::Stream::Stdout);
        }
        Ok(Response::Logs(log))
    }
}
