//! `inspect` without `--type`: a container first, then an image, as the docker CLI tries them.

use crate::error::ErrorKind;
use crate::model::Model;
use crate::response::{ImageDetails, Outcome, Response};

impl Model {
    pub(crate) fn inspect(&self, target: &str) -> Outcome {
        match self.find_container(target) {
            Ok(id) => {
                return Ok(Response::InspectContainer(Box::new(
                    self.containers[&id].clone(),
                )))
            }
            Err(e) if e.kind != ErrorKind::NotFound => return Err(e),
            Err(_) => {}
        }
        match self.find_image(target) {
            Ok(id) => {
                let (mut repo_tags, mut repo_digests) = (Vec::new(), Vec::new());
                for entry in self.store.refs_of(&id) {
                    match entry.reference.is_canonical() {
                        true => repo_digests.push(entry.familiar.to_string()),
                        false => repo_tags.push(entry.familiar.to_string()),
                    }
                }
                let image = self.store.get(&id).expect("found above").clone();
                Ok(Response::InspectImage(Box::new(ImageDetails {
                    image,
                    repo_tags,
                    repo_digests,
                })))
            }
            Err(e) if e.kind == ErrorKind::NotFound => Err(self.profile.no_such_object(target)),
            Err(e) => Err(e),
        }
    }
}
