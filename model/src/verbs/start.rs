//! `start` (and the second half of `run`): resolve the executable in the container's root
//! filesystem, run the program, and record its output, exit and removal. A failed exec
//! leaves the container as it was (never started stays `Created`) with 127 or 126 recorded.

use crate::command::CreateOpts;
use crate::container::{LogChunk, Process, State};
use crate::env::Env;
use crate::error::ModelError;
use crate::fs::{Content, Node, View};
use crate::ids::ContainerId;
use crate::model::Model;
use crate::profile::ExecFailure;
use crate::program::{self, Ending, Program};
use crate::response::{Outcome, Response, RunReport};

/// What `docker run` and `docker start -a` report back for one run.
pub(crate) struct RunResult {
    pub output: Vec<LogChunk>,
    pub exit: Option<i32>,
}

impl Model {
    pub(crate) fn run(&mut self, opts: &CreateOpts, detach: bool, env: &mut dyn Env) -> Outcome {
        let pulled = self.ensure_image(&opts.image)?;
        let id = match self.create(opts, env) {
            Ok(id) => id,
            Err(e) => return Err(e.after_pull(pulled)),
        };
        let (output, exit, start_error) = match self.launch(&id, env) {
            Ok(_) if detach => (Vec::new(), None, None),
            Ok(result) => (result.output, result.exit, None),
            Err(e) => (Vec::new(), None, Some(e)),
        };
        Ok(Response::Ran(RunReport {
            id,
            pulled,
            detached: detach,
            output,
            exit,
            start_error,
        }))
    }

    pub(crate) fn start_cli(
        &mut self,
        targets: &[String],
        attach: bool,
        env: &mut dyn Env,
    ) -> Outcome {
        if !attach {
            return Ok(self.each(targets, |m, t| m.start_one(t, env).map(|_| Response::Done)));
        }
        let [target] = targets else {
            return Err(ModelError::invalid(
                "you cannot start and attach multiple containers at once",
            ));
        };
        let result = self.start_one(target, env)?;
        Ok(Response::Attached {
            output: result.output,
            exit: result.exit,
        })
    }

    fn start_one(&mut self, target: &str, env: &mut dyn Env) -> Result<RunResult, ModelError> {
        let id = self.find_container(target)?;
        match self.containers[&id].state {
            State::Paused => Err(self.profile.start_paused()),
            s if s.is_running() => Err(ModelError::not_modified()),
            _ => self.launch(&id, env),
        }
    }

    /// Starts the container's process and runs it until it exits or blocks.
    pub(crate) fn launch(
        &mut self,
        id: &ContainerId,
        env: &mut dyn Env,
    ) -> Result<RunResult, ModelError> {
        let program = match self.resolve_program(id) {
            Ok(program) => program,
            Err(failure) => return Err(self.fail_start(id, failure)),
        };
        let pid = self.next_pid();
        let now = env.now();
        let container = self
            .containers
            .get_mut(id)
            .expect("launch is called with a live container");
        let base = container.base.clone();
        let image_layers: Vec<&crate::fs::Changes> =
            base.layers.iter().map(|l| &*l.changes).collect();
        container.state = State::Running;
        container.started = Some(now);
        container.exit_code = 0;
        container.error.clear();
        let mut output = Vec::new();
        let env_vars = process_env(container);
        let ending = program::Process {
            layers: image_layers,
            changes: &mut container.changes,
            hostname: &container.hostname,
            env: &env_vars,
            output: &mut output,
        }
        .run(&program);
        container.log.extend(output.iter().cloned());
        let exit = match ending {
            Ending::Exited(code) => Some(code),
            Ending::Blocked(on_term) => {
                container.process = Some(Process { pid, on_term });
                None
            }
        };
        if let Some(code) = exit {
            self.exited(id, code, env);
        }
        Ok(RunResult { output, exit })
    }

    /// Records an exit and honours `--rm`.
    pub(crate) fn exited(&mut self, id: &ContainerId, code: i32, env: &mut dyn Env) {
        let now = env.now();
        let container = self
            .containers
            .get_mut(id)
            .expect("exited is called with a live container");
        container.exit(code, now);
        if container.auto_remove && !self.mutated(crate::mutation::Mutation::RmKeepsContainer) {
            self.remove_container(id);
        }
    }

    fn fail_start(&mut self, id: &ContainerId, failure: ExecFailure) -> ModelError {
        let container = self
            .containers
            .get_mut(id)
            .expect("fail_start is called with a live container");
        let error = self.profile.exec_failed(failure, &container.path);
        container.exit_code = failure.exit_code();
        container.error = error.message.clone();
        if container.auto_remove {
            self.remove_container(id);
        }
        error
    }

    /// Finds the executable as execve and a PATH search would, and says what it will do.
    fn resolve_program(&self, id: &ContainerId) -> Result<Program, ExecFailure> {
        let container = &self.containers[id];
        let view = View::new(
            container
                .base
                .layers
                .iter()
                .map(|l| &*l.changes)
                .chain(std::iter::once(&container.changes)),
        );
        let path = &container.path;
        let node = if path.contains('/') {
            let absolute = if path.starts_with('/') {
                path.clone()
            } else {
                format!("/{path}")
            };
            view.get(&absolute).ok_or(ExecFailure::NotFound)?
        } else {
            search_path(&view, path, &container.config.env).ok_or(ExecFailure::NotInPath)?
        };
        match node {
            Node::File { content, .. } if node.is_executable() => {
                Ok(program_for(content, container))
            }
            _ => Err(ExecFailure::PermissionDenied),
        }
    }
}

fn program_for(content: &Content, container: &crate::container::Container) -> Program {
    match content {
        Content::Toolbox if container.path.rsplit('/').next() == Some("hello") => Program::Hello,
        Content::Toolbox => match program::parse_toolbox(&container.args) {
            Ok(ops) => Program::Toolbox(ops),
            Err(why) => Program::Usage(why),
        },
        Content::Bytes(_) | Content::Opaque => Program::Opaque,
    }
}

/// Looks a bare command name up in the image's PATH, as Go's `exec.LookPath` in runc does.
fn search_path<'a>(view: &View<'a>, name: &str, env: &[String]) -> Option<&'a Node> {
    let path = env
        .iter()
        .rev()
        .find_map(|kv| kv.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    path.split(':')
        .map(|dir| format!("{}/{name}", dir.trim_end_matches('/')))
        .find_map(|candidate| view.get(&candidate).filter(|node| node.is_executable()))
}

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The process environment Docker builds: PATH and HOSTNAME, overridden by the config's Env.
fn process_env(container: &crate::container::Container) -> Vec<String> {
    let mut env = vec![
        format!("PATH={DEFAULT_PATH}"),
        format!("HOSTNAME={}", container.hostname),
    ];
    for kv in &container.config.env {
        let key = kv.split('=').next().unwrap_or(kv);
        env.retain(|existing| existing.split('=').next() != Some(key));
        env.push(kv.clone());
    }
    // runc sets HOME when the image does not; without an /etc/passwd entry it is `/`.
    if !env.iter().any(|kv| kv.starts_with("HOME=")) {
        env.push("HOME=/".to_string());
    }
    env
}
