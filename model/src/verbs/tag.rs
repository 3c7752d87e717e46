//! `tag`: point a (possibly new) tag at an existing image; the tag moves, the image stays.

use crate::model::Model;
use crate::response::{Outcome, Response};

impl Model {
    pub(crate) fn tag(&mut self, source: &str, target: &str) -> Outcome {
        let id = self.find_image(source)?;
        let reference = self.parse_tag_target(target).map_err(|e| match e.kind {
            crate::error::ErrorKind::InvalidParameter if !e.message.starts_with("refusing") => self
                .profile
                .tag_target_invalid(target, &cli_reference_error(target, &e.message)),
            _ => e,
        })?;
        self.store.set_ref(reference, id);
        Ok(Response::Tagged)
    }
}

/// The docker CLI parses with a newer reference library that names the repository in its
/// lowercase complaint (`repository name (library/UPPER) must be lowercase`).
fn cli_reference_error(target: &str, daemon_text: &str) -> String {
    let lowercase = "invalid reference format: repository name must be lowercase";
    if daemon_text != lowercase {
        return daemon_text.to_string();
    }
    let name = target.split([':', '@']).next().unwrap_or(target);
    let path = if name.contains('/') {
        name.to_string()
    } else {
        format!("library/{name}")
    };
    format!("invalid reference format: repository name ({path}) must be lowercase")
}
