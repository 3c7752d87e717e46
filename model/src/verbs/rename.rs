//! `rename`: give a container a new name, with moby's checks in moby's order.

use crate::lookup::slashed;
use crate::model::Model;
use crate::response::{Outcome, Response};

impl Model {
    pub(crate) fn rename(&mut self, old: &str, new: &str) -> Outcome {
        if old.is_empty() || new.is_empty() {
            return Err(self.profile.rename_empty());
        }
        let new = slashed(new);
        let id = self.find_container(old)?;
        let current = self.containers[&id].name.clone();
        if *current == *new {
            return Err(self.profile.rename_same());
        }
        self.check_name(&new)
            .map_err(|e| self.profile.rename_failed(e))?;
        self.names.remove(&current);
        let new: std::rc::Rc<str> = new.into();
        self.names.insert(new.clone(), id.clone());
        self.containers.get_mut(&id).expect("found above").name = new;
        Ok(Response::Renamed)
    }
}
