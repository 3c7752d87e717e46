//! The model as an engine. Where the model answers with several acceptable outcomes, the
//! harness sees all of them and keeps the branch the real engine took. The model (or a mutant
//! of it) can also be driven as the engine under test: the canary does that.

use berth_format::{Duration, Timestamp};
use berth_model::command::{Command, Verb};
use berth_model::container::Stream;
use berth_model::inspect::inspect_json;
use berth_model::mutation::Mutation;
use berth_model::render::render;
use berth_model::response::{DeleteItem, Outcome, Response};
use berth_model::{Answer, Catalog, Model, Profile, SeededEnv};

use crate::observe::{digest_repo, ContainerView, ImageView, Observation, Probe};

/// The model with a deterministic environment.
#[derive(Debug, Clone)]
pub struct ModelEngine {
    model: Model,
    env: SeededEnv,
    profile: Profile,
    catalog: Catalog,
    seed: u64,
    mutation: Option<Mutation>,
    /// Include the CLI's rendered tables in `ps`/`images` answers: only comparable between
    /// engines that share a clock (the model and its mutants).
    render: bool,
    /// Answer as the docker CLI prints (`Observation::Printed`), for engines driven through a
    /// CLI binary.
    cli: bool,
}

impl ModelEngine {
    pub fn new(profile: Profile, catalog: Catalog, seed: u64) -> ModelEngine {
        let model = Model::new(profile, catalog.clone());
        let env = SeededEnv::with_seed(seed);
        ModelEngine {
            model,
            env,
            profile,
            catalog,
            seed,
            mutation: None,
            render: false,
            cli: false,
        }
    }

    /// The model, with a deliberate defect or without, rendering tables: a canary engine, or
    /// the reference it is checked against.
    pub fn rendering(
        profile: Profile,
        catalog: Catalog,
        seed: u64,
        mutation: Option<Mutation>,
    ) -> ModelEngine {
        let mut engine = ModelEngine::new(profile, catalog, seed);
        engine.mutation = mutation;
        engine.render = true;
        engine.reset();
        engine
    }

    /// Answers from now on as the docker CLI prints them (or as structures again).
    pub fn print_cli_text(&mut self, on: bool) {
        self.cli = on;
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Every acceptable observation of `command`, each with the model state it leads to.
    pub fn expect(&mut self, command: &Command) -> Vec<(Observation, Model)> {
        let answer = self.model.apply(command, &mut self.env);
        let now = self.now();
        let render_tables = self.render;
        let cli = self.cli && command.verb() != Verb::RemoteRetag;
        let see = |outcome: &Outcome| {
            let mut observation = observe(command, outcome);
            if cli && observation != Observation::Blocked {
                let printed = render(command, outcome, now);
                return Observation::Printed {
                    created: observation.created_id(),
                    stdout: printed.stdout,
                    stderr: printed.stderr,
                    exit: printed.exit,
                };
            }
            if let (true, Observation::Listed { rendered, .. }) = (render_tables, &mut observation)
            {
                *rendered = Some(render(command, outcome, now).stdout);
            }
            observation
        };
        match answer {
            Answer::One(outcome) => vec![(see(&outcome), self.model.clone())],
            Answer::Any(branches) => branches.into_iter().map(|(o, m)| (see(&o), *m)).collect(),
        }
    }

    /// The clock tables are rendered at (a second late for the duration mutant).
    fn now(&self) -> Timestamp {
        match self.mutation {
            Some(Mutation::DurationOffByOne) => self.env.peek() + Duration::from_secs(1),
            _ => self.env.peek(),
        }
    }

    /// Continues from the branch the real engine took.
    pub fn settle(&mut self, model: Model) {
        self.model = model;
    }

    pub fn reset(&mut self) {
        let mut model = Model::new(self.profile, self.catalog.clone());
        if let Some(mutation) = self.mutation {
            model = model.with_mutation(mutation);
        }
        self.model = model;
        self.env = SeededEnv::with_seed(self.seed);
    }

    /// The model's state as an engine's probe would show it.
    pub fn probe(&self) -> Probe {
        probe(&self.model)
    }

    /// What a probe of `model` would show.
    pub fn probe_of(model: &Model) -> Probe {
        probe(model)
    }
}

/// What an engine that behaves like the model would have shown for `outcome`.
pub fn observe(command: &Command, outcome: &Outcome) -> Observation {
    match outcome {
        Err(e) if e.kind == berth_model::ErrorKind::NotModified => Observation::NotModified,
        Err(e) => Observation::Error {
            kind: e.kind,
            message: e.message.clone(),
        },
        Ok(response) => observe_response(command, response),
    }
}

fn split(chunks: &[berth_model::container::LogChunk]) -> (String, String) {
    let mut out = (String::new(), String::new());
    for chunk in chunks {
        match chunk.stream {
            Stream::Stdout => out.0.push_str(&chunk.text),
            Stream::Stderr => out.1.push_str(&chunk.text),
        }
    }
    out
}

fn observe_response(command: &Command, response: &Response) -> Observation {
    match response {
        Response::Pulled(report) => Observation::Pulled {
            up_to_date: report.up_to_date,
        },
        Response::Images(list) => Observation::Listed {
            count: list.len(),
            rendered: None,
        },
        Response::Containers(list) => Observation::Listed {
            count: list.len(),
            rendered: None,
        },
        Response::InspectContainer(_) | Response::InspectImage(_) => Observation::Inspected {
            document: inspect_json(response).unwrap_or_default(),
        },
        Response::Created { id, .. } => Observation::Created { id: id.to_string() },
        Response::Ran(run) => {
            let (stdout, stderr) = split(&run.output);
            let start_error = run
                .start_error
                .as_ref()
                .map(|e| (e.kind, e.message.clone()));
            Observation::Ran {
                id: run.id.to_string(),
                stdout,
                stderr,
                exit: run.exit,
                start_error,
            }
        }
        Response::Attached { output, exit } => {
            let (stdout, stderr) = split(output);
            Observation::Attached {
                stdout,
                stderr,
                exit: *exit,
            }
        }
        Response::Done | Response::Renamed | Response::Tagged | Response::RemoteRetagged => {
            Observation::Done
        }
        Response::Waited { status } => Observation::Waited { status: *status },
        Response::Blocked => Observation::Blocked,
        Response::Logs(chunks) => {
            let (stdout, stderr) = split(chunks);
            Observation::Logs { stdout, stderr }
        }
        Response::Committed { id } => Observation::Committed { id: id.to_string() },
        Response::ImageDeleted(items) => Observation::Deleted {
            items: items.iter().map(delete_line).collect(),
        },
        Response::PerTarget(results) => Observation::PerTarget {
            results: results
                .iter()
                .map(|(t, o)| (t.clone(), observe(command, o)))
                .collect(),
        },
    }
}

pub fn delete_line(item: &DeleteItem) -> String {
    match item {
        DeleteItem::Untagged(r) => format!("Untagged: {r}"),
        DeleteItem::Deleted(d) => format!("Deleted: {d}"),
    }
}

fn probe(model: &Model) -> Probe {
    let containers = model
        .containers()
        .map(|c| {
            let (stdout, stderr) = split(&c.log);
            let listed = model.find_image(&c.image_ref).ok();
            let image = if listed.as_ref() == Some(c.image_id()) {
                c.image_ref.to_string()
            } else {
                c.image_id().to_string()
            };
            ContainerView {
                name: c.name.trim_start_matches('/').to_string(),
                id: c.id.to_string(),
                image,
                image_id: c.image_id().to_string(),
                command: c.command.to_string(),
                state: c.state.as_str().to_string(),
                exit_code: c.exit_code,
                stdout,
                stderr,
            }
        })
        .collect();
    let mut images = Vec::new();
    for image in model.images() {
        let mut repo_tags = Vec::new();
        let mut digest_repos = Vec::new();
        for (reference, target) in model.references() {
            if target != &image.id {
                continue;
            }
            match reference.is_canonical() {
                true => digest_repos.push(digest_repo(&reference.familiar())),
                false => repo_tags.push(reference.familiar()),
            }
        }
        repo_tags.sort();
        digest_repos.sort();
        images.push(ImageView {
            id: image.id.to_string(),
            parent: image
                .parent
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            repo_tags,
            digest_repos,
            layers: image.layers.len(),
        });
    }
    Probe { containers, images }.canonical()
}

/// The model (or a mutant) driven as an engine under test, for the canary and self-checks.
impl crate::engine::Engine for ModelEngine {
    fn name(&self) -> String {
        match self.mutation {
            Some(m) => format!(
                "mutant:{}",
                serde_json::to_value(m)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
            None => "model".to_string(),
        }
    }

    fn apply(&mut self, command: &Command) -> Result<Observation, crate::engine::EngineError> {
        let mut branches = self.expect(command);
        let (observation, model) = branches.swap_remove(0);
        self.settle(model);
        Ok(observation)
    }

    fn probe(&mut self) -> Result<Probe, crate::engine::EngineError> {
        Ok(ModelEngine::probe(self))
    }

    fn reset(&mut self) -> Result<(), crate::engine::EngineError> {
        ModelEngine::reset(self);
        Ok(())
    }

    fn settles_at_once(&self) -> bool {
        true
    }
}
