//! `commit`'s part in the container lifecycle: the container's changes written as an OCI layer
//! tar ([`crate::layer_tar`]), with a running container paused meanwhile unless the caller
//! says not to, as dockerd does (through the freezer step that `pause` uses). A pause or
//! unpause that fails here is ignored, as dockerd ignores it. This verb never builds the image
//! (the image store does, from the layer).

use std::io::Write;

use crate::containers::Containers;
use crate::error::LifecycleError;
use crate::images::Images;
use crate::layer_tar::{write_layer, CommittedLayer};
use crate::state::State;
use crate::steps::freezer;

impl<I: Images> Containers<I> {
    /// Writes the container's filesystem changes to `out` as an OCI layer tar. With `pause`, a
    /// running container is frozen for the while (and thawed after), as dockerd's commit does
    /// by default; one that is paused already, or not running, is left as it is.
    pub fn commit_layer(
        &self,
        reference: &str,
        pause: bool,
        out: &mut dyn Write,
    ) -> Result<CommittedLayer, LifecycleError> {
        let (id, upper, running) = {
            let reg = self.shared.lock();
            let id = crate::lookup::find(&reg, reference)?;
            let entry = &reg.entries[&id];
            (id, entry.dir.upper(), entry.state.status == State::Running)
        };
        // dockerd ignores a pause or unpause that fails here (the container stopped, or a
        // client paused or unpaused it meanwhile): the commit goes on regardless.
        let paused =
            pause && running && freezer::set_paused(&self.shared, id.as_str(), true).is_ok();
        let written = write_layer(&upper, out).map_err(|e| LifecycleError::io("commit", upper, e));
        if paused {
            let _ = freezer::set_paused(&self.shared, id.as_str(), false);
        }
        written
    }
}
