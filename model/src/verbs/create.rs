//! `create` (and the first half of `run`): resolve the image, pulling it first as the CLI does
//! when the engine answers 404, merge the command line over the image config, reserve a name,
//! and allocate an ID with Docker's re-roll rule.

use crate::command::CreateOpts;
use crate::container::{Container, State};
use crate::env::Env;
use crate::error::{ErrorKind, ModelError};
use crate::fs::Changes;
use crate::ids::ContainerId;
use crate::lookup::{is_valid_name, slashed};
use crate::model::Model;
use crate::names;
use crate::response::{Outcome, PullReport, Response};

/// How many generated names Docker tries before it falls back to the short ID.
const NAME_ATTEMPTS: usize = 6;

impl Model {
    pub(crate) fn create_cli(&mut self, opts: &CreateOpts, env: &mut dyn Env) -> Outcome {
        let pulled = self.ensure_image(&opts.image)?;
        let id = match self.create(opts, env) {
            Ok(id) => id,
            Err(e) => return Err(e.after_pull(pulled)),
        };
        Ok(Response::Created { id, pulled })
    }

    /// The CLI's `--pull=missing`: a 404 for the image makes it pull and try again.
    pub(crate) fn ensure_image(&mut self, image: &str) -> Result<Option<PullReport>, ModelError> {
        match self.find_image(image) {
            Ok(_) => Ok(None),
            Err(e) if e.kind == ErrorKind::NotFound => self.pull(image).map(Some),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn create(
        &mut self,
        opts: &CreateOpts,
        env: &mut dyn Env,
    ) -> Result<ContainerId, ModelError> {
        let image_id = self.find_image(&opts.image)?;
        let base = self.store.get(&image_id).expect("found above").clone();
        let mut config = base.config.clone();
        if !opts.command.is_empty() {
            config.cmd = Some(opts.command.clone());
        }
        let argv: Vec<String> = config
            .entrypoint
            .iter()
            .flatten()
            .chain(config.cmd.iter().flatten())
            .cloned()
            .collect();
        let (path, args) = argv
            .split_first()
            .ok_or_else(|| self.profile.no_command())?;
        if let Some(name) = &opts.name {
            self.check_name(name)?;
        }
        let id = self.new_container_id(env);
        let name: std::rc::Rc<str> = match &opts.name {
            Some(name) => slashed(name).into(),
            None => self.generate_name(&id, env).into(),
        };
        let container = Container {
            id: id.clone(),
            name: name.clone(),
            command: crate::container::command_line(path, args).into(),
            base,
            image_ref: opts.image.as_str().into(),
            path: path.clone(),
            args: args.to_vec(),
            config,
            hostname: id.short().to_string(),
            auto_remove: opts.auto_remove,
            state: State::Created,
            exit_code: 0,
            error: String::new(),
            oom_killed: false,
            created: env.now(),
            started: None,
            finished: None,
            restart_count: 0,
            process: None,
            log: Vec::new(),
            changes: Changes::new(),
        };
        self.names.insert(name, id.clone());
        self.containers.insert(id.clone(), container);
        Ok(id)
    }

    /// Docker's name checks, in its order: the pattern, then whether the name is taken.
    pub(crate) fn check_name(&self, name: &str) -> Result<(), ModelError> {
        if !is_valid_name(name) {
            return Err(self.profile.invalid_name(name));
        }
        if self.mutated(crate::mutation::Mutation::NoNameConflict) {
            return Ok(());
        }
        match self.names.get(slashed(name).as_str()) {
            Some(holder) => Err(self.profile.name_conflict(&slashed(name), holder.as_str())),
            None => Ok(()),
        }
    }

    fn new_container_id(&self, env: &mut dyn Env) -> ContainerId {
        loop {
            let id: ContainerId = env
                .random_hex64()
                .parse()
                .expect("Env::random_hex64 returns 64 hex");
            if id.is_acceptable() && !self.containers.contains_key(&id) {
                return id;
            }
        }
    }

    /// moby's retry rule: six generated names (retries carry a digit), then the short ID.
    fn generate_name(&self, id: &ContainerId, env: &mut dyn Env) -> String {
        for retry in 0..NAME_ATTEMPTS {
            let name = slashed(&names::random_name(retry, &mut |n| env.pick(n)));
            if !self.names.contains_key(name.as_str()) {
                return name;
            }
        }
        slashed(id.short())
    }
}
