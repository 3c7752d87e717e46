//! `logs`: everything the container wrote, both streams, in order, across all its runs.

use crate::model::Model;
use crate::response::{Outcome, Response};

impl Model {
    pub(crate) fn logs(&self, target: &str) -> Outcome {
        let id = self.find_container(target)?;
        Ok(Response::Logs(self.containers[&id].log.clone()))
    }
}
