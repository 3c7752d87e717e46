//! `stop` and `restart`: SIGTERM, then SIGKILL after the timeout (137). A process that is PID 1
//! without a handler does not die of SIGTERM. With a handler and `-t 0` the handler races the
//! SIGKILL, so the model answers with both outcomes.

use crate::env::Env;
use crate::error::ModelError;
use crate::model::{Answer, Model};
use crate::program::TermAction;
use crate::response::{Outcome, Response};

/// Exit code of a process killed by SIGKILL.
const KILLED: i32 = 137;

/// Which side of the SIGTERM-handler versus SIGKILL race a `-t 0` stop takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Race {
    HandlerWins,
    KillWins,
}

impl Model {
    pub(crate) fn stop_all(
        &mut self,
        targets: &[String],
        timeout: Option<u32>,
        env: &mut dyn Env,
    ) -> Answer {
        self.racing(targets, timeout, env, |m, t, race, env| {
            m.stop_one(t, timeout, race, env)
        })
    }

    pub(crate) fn restart_all(
        &mut self,
        targets: &[String],
        timeout: Option<u32>,
        env: &mut dyn Env,
    ) -> Answer {
        self.racing(targets, timeout, env, |m, t, race, env| {
            m.restart_one(t, timeout, race, env)
        })
    }

    /// Runs `op` per target; if any target races, answers both ways for the first such target.
    fn racing(
        &mut self,
        targets: &[String],
        timeout: Option<u32>,
        env: &mut dyn Env,
        op: impl Fn(&mut Model, &str, Race, &mut dyn Env) -> Outcome,
    ) -> Answer {
        let racy = timeout == Some(0) && targets.iter().any(|t| self.term_handler(t).is_some());
        if !racy {
            return Answer::One(Ok(
                self.each(targets, |m, t| op(m, t, Race::HandlerWins, env))
            ));
        }
        let mut killed_model = self.clone();
        let killed = killed_model.each(targets, |m, t| op(m, t, Race::KillWins, env));
        let handled = self.each(targets, |m, t| op(m, t, Race::HandlerWins, env));
        Answer::Any(vec![
            (Ok(handled), Box::new(self.clone())),
            (Ok(killed), Box::new(killed_model)),
        ])
    }

    fn term_handler(&self, target: &str) -> Option<u8> {
        let id = self.find_container(target).ok()?;
        match self.containers[&id].process?.on_term {
            TermAction::Exit(code) => Some(code),
            _ => None,
        }
    }

    pub(crate) fn stop_one(
        &mut self,
        target: &str,
        timeout: Option<u32>,
        race: Race,
        env: &mut dyn Env,
    ) -> Outcome {
        let id = self.find_container(target)?;
        let container = &self.containers[&id];
        let Some(process) = container.process.filter(|_| container.state.is_running()) else {
            return Err(ModelError::not_modified());
        };
        let code = match (process.on_term, timeout, race) {
            (TermAction::Exit(_), Some(0), Race::KillWins) => KILLED,
            (TermAction::Exit(_), _, _)
                if self.mutated(crate::mutation::Mutation::StopIgnoresHandler) =>
            {
                KILLED
            }
            (TermAction::Exit(code), _, _) => i32::from(code),
            (TermAction::Default | TermAction::Ignore, _, _) => KILLED,
        };
        self.exited(&id, code, env);
        Ok(Response::Done)
    }

    fn restart_one(
        &mut self,
        target: &str,
        timeout: Option<u32>,
        race: Race,
        env: &mut dyn Env,
    ) -> Outcome {
        let id = self.find_container(target)?;
        if self.containers[&id].state.is_running() {
            // Restart never auto-removes: Docker stops the container without --rm semantics.
            let auto_remove = std::mem::replace(
                &mut self.containers.get_mut(&id).unwrap().auto_remove,
                false,
            );
            self.stop_one(id.as_str(), timeout, race, env)?;
            self.containers.get_mut(&id).unwrap().auto_remove = auto_remove;
        }
        // RestartCount counts restart-policy restarts only, so a manual restart leaves it.
        match self.launch(&id, env) {
            Ok(_) => Ok(Response::Done),
            Err(cause) => Err(self.profile.restart_failed(target, &cause)),
        }
    }
}
