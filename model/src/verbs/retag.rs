//! `remote-retag`: the harness's own command. It moves a tag in the registry, so a later pull
//! shows that tags move while image IDs stay.

use crate::model::Model;
use crate::response::{Outcome, Response};

impl Model {
    pub(crate) fn remote_retag(&mut self, source: &str, target: &str) -> Outcome {
        let source_ref = self.parse_tag_target(source)?;
        let target_ref = self.parse_tag_target(target)?;
        if !self.catalog.retag(&source_ref, &target_ref) {
            return Err(self.profile.manifest_unknown(&source_ref.familiar()));
        }
        Ok(Response::RemoteRetagged)
    }
}
