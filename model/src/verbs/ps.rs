//! `ps`: running containers (all with `-a`), newest first, with the IMAGE column rule: the
//! reference as typed while it still names the container's image, else the image ID.

use std::collections::BTreeMap;

use crate::container::Container;
use crate::ids::ImageId;
use crate::model::Model;
use crate::response::ContainerSummary;

impl Model {
    pub(crate) fn container_list(&self, all: bool) -> Vec<ContainerSummary> {
        // Containers mostly share a few typed references: resolve each one once per listing.
        let mut resolved: BTreeMap<&str, Option<ImageId>> = BTreeMap::new();
        let mut list: Vec<ContainerSummary> = Vec::with_capacity(self.containers.len());
        for c in self
            .containers
            .values()
            .filter(|c| all || c.state.is_running())
        {
            let current = resolved
                .entry(&*c.image_ref)
                .or_insert_with(|| self.find_image(&c.image_ref).ok());
            list.push(summary(c, current.as_ref() == Some(c.image_id())));
        }
        list.sort_unstable_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        list
    }
}

fn summary(c: &Container, still_points: bool) -> ContainerSummary {
    ContainerSummary {
        id: c.id.clone(),
        name: c.name.clone(),
        image: if still_points {
            c.image_ref.clone()
        } else {
            c.image_id().shared()
        },
        image_id: c.image_id().clone(),
        command: c.command.clone(),
        created: c.created,
        state: c.state,
        exit_code: c.exit_code,
        started: c.started,
        finished: c.finished,
    }
}
