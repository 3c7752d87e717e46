//! `ps`: running containers (all with `-a`), newest first, with the IMAGE column rule: the
//! reference as typed while it still names the container's image, else the image ID.

use crate::container::Container;
use crate::model::Model;
use crate::response::ContainerSummary;

impl Model {
    pub(crate) fn container_list(&self, all: bool) -> Vec<ContainerSummary> {
        let mut list: Vec<ContainerSummary> = self
            .containers
            .values()
            .filter(|c| all || c.state.is_running())
            .map(|c| self.summary(c))
            .collect();
        list.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        list
    }

    fn summary(&self, c: &Container) -> ContainerSummary {
        let still_points = self.find_image(&c.image_ref).ok().as_ref() == Some(c.image_id());
        ContainerSummary {
            id: c.id.clone(),
            names: vec![c.name.clone()],
            image: if still_points {
                c.image_ref.clone()
            } else {
                c.image_id().to_string()
            },
            image_id: c.image_id().clone(),
            command: c.command_line(),
            created: c.created,
            state: c.state,
            exit_code: c.exit_code,
            started: c.started,
            finished: c.finished,
        }
    }
}
