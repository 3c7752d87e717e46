//! The model's state and its one entry point, [`Model::apply`]. Each verb lives in its own file
//! under `verbs/`; this file holds the state, the dispatch and the invariants the verbs share.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::catalog::Catalog;
use crate::command::Command;
use crate::container::Container;
use crate::env::Env;
use crate::ids::{ContainerId, ImageId};
use crate::image::Image;
use crate::profile::Profile;
use crate::response::{Outcome, Response};
use crate::store::ImageStore;
use berth_format::reference::Reference;

/// The whole observable state of a modelled engine, plus the registry it pulls from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub(crate) profile: Profile,
    pub(crate) store: ImageStore,
    pub(crate) containers: BTreeMap<ContainerId, Container>,
    /// Name with its leading slash -> container.
    pub(crate) names: BTreeMap<Rc<str>, ContainerId>,
    pub(crate) catalog: Catalog,
    pub(crate) next_pid: u32,
    /// A deliberate defect, for the harness canary only (see `mutation`).
    pub(crate) mutation: Option<crate::mutation::Mutation>,
}

/// The model's answer to a command. Usually exactly one outcome; where a real engine may
/// legitimately race, every acceptable outcome with the state it leads to.
// The common answer is `One`; boxing it would cost an allocation on every command.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Answer {
    One(Outcome),
    /// Acceptable alternatives; the model itself has taken the first.
    Any(Vec<(Outcome, Box<Model>)>),
}

impl Answer {
    /// The outcome the model itself took.
    pub fn outcome(&self) -> &Outcome {
        match self {
            Answer::One(outcome) => outcome,
            Answer::Any(branches) => &branches[0].0,
        }
    }

    /// Every acceptable outcome.
    pub fn outcomes(&self) -> Vec<&Outcome> {
        match self {
            Answer::One(outcome) => vec![outcome],
            Answer::Any(branches) => branches.iter().map(|(o, _)| o).collect(),
        }
    }
}

impl Model {
    /// An engine with no images and no containers, pulling from `catalog`.
    pub fn new(profile: Profile, catalog: Catalog) -> Model {
        Model {
            profile,
            store: ImageStore::default(),
            containers: BTreeMap::new(),
            names: BTreeMap::new(),
            catalog,
            next_pid: 1000,
            mutation: None,
        }
    }

    pub fn profile(&self) -> Profile {
        self.profile
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn images(&self) -> impl Iterator<Item = &Image> {
        self.store.images().map(|image| &**image)
    }

    pub fn containers(&self) -> impl Iterator<Item = &Container> {
        self.containers.values()
    }

    pub fn container(&self, id: &ContainerId) -> Option<&Container> {
        self.containers.get(id)
    }

    pub fn image(&self, id: &ImageId) -> Option<&Image> {
        self.store.get(id).map(|image| &**image)
    }

    /// Whether other images are linked to `id` as their parent (what blocks deleting it).
    pub fn has_children(&self, id: &ImageId) -> bool {
        self.store.has_children(id)
    }

    /// Every reference, full normalised form, with the image it points to.
    pub fn references(&self) -> impl Iterator<Item = (&Reference, &ImageId)> {
        self.store.all_refs().map(|e| (&e.reference, &e.image))
    }

    /// Runs one command.
    pub fn apply(&mut self, command: &Command, env: &mut dyn Env) -> Answer {
        match command {
            Command::Stop { targets, timeout } => return self.stop_all(targets, *timeout, env),
            Command::Restart { targets, timeout } => {
                return self.restart_all(targets, *timeout, env)
            }
            Command::Rmi { targets, force } => return self.rmi_all(targets, *force),
            _ => {}
        }
        Answer::One(self.apply_simple(command, env))
    }

    fn apply_simple(&mut self, command: &Command, env: &mut dyn Env) -> Outcome {
        match command {
            Command::Pull { reference } => self.pull(reference).map(Response::Pulled),
            Command::Images { all, reference, .. } => Ok(Response::Images(
                self.image_list(*all, reference.as_deref()),
            )),
            Command::Inspect { target } => self.inspect(target),
            Command::Create(opts) => self.create_cli(opts, env),
            Command::Run { opts, detach } => self.run(opts, *detach, env),
            Command::Start { targets, attach } => self.start_cli(targets, *attach, env),
            Command::Kill { targets, signal } => self.kill_all(targets, signal.as_deref(), env),
            Command::Wait { targets } => Ok(self.each(targets, |m, t| m.wait(t))),
            Command::Rm { targets, force } => Ok(self.each(targets, |m, t| m.rm(t, *force, env))),
            Command::Logs { target } => self.logs(target),
            Command::Ps { all, .. } => Ok(Response::Containers(self.container_list(*all))),
            Command::Rename { old, new } => self.rename(old, new),
            Command::Commit {
                target,
                repository,
                changes,
                message,
            } => self.commit(
                target,
                repository.as_deref(),
                changes,
                message.as_deref(),
                env,
            ),
            Command::Tag { source, target } => self.tag(source, target),
            Command::RemoteRetag { source, target } => self.remote_retag(source, target),
            Command::Stop { .. } | Command::Restart { .. } | Command::Rmi { .. } => {
                unreachable!("answered in apply")
            }
        }
    }

    /// Applies a per-target operation to each target in order, as the CLI does.
    pub(crate) fn each(
        &mut self,
        targets: &[String],
        mut op: impl FnMut(&mut Model, &str) -> Outcome,
    ) -> Response {
        Response::PerTarget(targets.iter().map(|t| (t.clone(), op(self, t))).collect())
    }

    pub(crate) fn next_pid(&mut self) -> u32 {
        self.next_pid += 1;
        self.next_pid
    }
}
