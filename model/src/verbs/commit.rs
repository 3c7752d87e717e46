//! `commit`: a new image from a container. Its layer is the container's filesystem changes;
//! an empty change set adds no layer (moby's `NewChildImage` skips empty diffs). Parent is the
//! container's image, and `-c` changes apply over the container's config.

use crate::env::Env;
use crate::error::ModelError;
use crate::fs;
use crate::image::{Image, ImageConfig, Layer, Provenance};
use crate::model::Model;
use crate::profile::Profile;
use crate::response::{Outcome, Response};
use berth_format::reference::Reference;

impl Model {
    pub(crate) fn commit(
        &mut self,
        target: &str,
        repository: Option<&str>,
        changes: &[String],
        message: Option<&str>,
        env: &mut dyn Env,
    ) -> Outcome {
        let reference = repository.map(|r| self.parse_tag_target(r)).transpose()?;
        let id = self.find_container(target)?;
        let container = &self.containers[&id];
        let mut config = container.config.clone();
        for change in changes {
            parse_change(self.profile, change)?.apply(&mut config);
        }
        let parent = &container.base;
        // moby reads the parent image from its store first: if `rmi -f` removed it, the commit
        // fails and creates nothing (checked against dockerd 20.10).
        if !self.store.contains(&parent.id) {
            return Err(self.profile.commit_parent_missing(parent.id.as_str()));
        }
        let mut layers = parent.layers.clone();
        if !container.changes.is_empty() {
            layers.push(Layer {
                diff_id: fs::changes_digest(&container.changes),
                size: fs::changes_size(&container.changes),
                changes: std::rc::Rc::new(container.changes.clone()),
            });
        }
        let provenance = Provenance {
            container: id.clone(),
            container_config: container.config.clone(),
            comment: message.unwrap_or_default().to_string(),
        };
        let parent_id = parent.id.clone();
        let image = Image::new(
            Some(parent_id.clone()),
            env.now(),
            config,
            layers,
            Some(provenance),
        );
        let image_id = image.id.clone();
        self.store.insert(std::rc::Rc::new(image));
        if let Some(reference) = reference {
            self.store.set_ref(reference, image_id.clone());
        }
        Ok(Response::Committed { id: image_id })
    }

    /// Parses a `tag`/`commit` target: a name with an optional tag, never a digest.
    pub(crate) fn parse_tag_target(&self, target: &str) -> Result<Reference, ModelError> {
        let reference: Reference =
            target
                .parse()
                .map_err(|e: berth_format::reference::ReferenceError| {
                    self.profile.reference_error(&e.to_string())
                })?;
        if reference.is_canonical() {
            return Err(self.profile.tag_with_digest());
        }
        Ok(reference.with_default_tag())
    }
}

/// One `--change` instruction (a Dockerfile line that commit accepts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Cmd(Vec<String>),
    Entrypoint(Vec<String>),
    Env(String, String),
    Workdir(String),
    Label(String, String),
    User(String),
    Expose(String),
}

impl Change {
    fn apply(self, config: &mut ImageConfig) {
        match self {
            Change::Cmd(cmd) => config.cmd = Some(cmd),
            Change::Entrypoint(ep) => config.entrypoint = Some(ep),
            Change::Env(key, value) => {
                config
                    .env
                    .retain(|kv| kv.split('=').next() != Some(key.as_str()));
                config.env.push(format!("{key}={value}"));
            }
            Change::Workdir(dir) => config.working_dir = dir,
            Change::Label(key, value) => {
                config.labels.insert(key, value);
            }
            Change::User(user) => config.user = user,
            Change::Expose(port) => {
                config.exposed_ports.insert(port);
            }
        }
    }
}

/// Parses a change as the Dockerfile parser does: JSON exec form or shell form for CMD and
/// ENTRYPOINT, `key=value` or `key value` for ENV and LABEL. Instruction names are
/// case-insensitive; an unknown one is rejected with moby's (lowercased) text.
pub fn parse_change(profile: Profile, change: &str) -> Result<Change, ModelError> {
    let change = change.trim();
    let (word, rest) = change
        .split_once(char::is_whitespace)
        .unwrap_or((change, ""));
    let rest = rest.trim();
    let instruction = word.to_ascii_lowercase();
    Ok(match instruction.as_str() {
        "cmd" => Change::Cmd(exec_form(rest)),
        "entrypoint" => Change::Entrypoint(exec_form(rest)),
        "env" => {
            let (k, v) = key_value(rest);
            Change::Env(k, v)
        }
        "label" => {
            let (k, v) = key_value(rest);
            Change::Label(k, v)
        }
        "workdir" => Change::Workdir(rest.to_string()),
        "user" => Change::User(rest.to_string()),
        "expose" if !rest.is_empty() => Change::Expose(if rest.contains('/') {
            rest.to_string()
        } else {
            format!("{rest}/tcp")
        }),
        _ => return Err(profile.invalid_change(&instruction)),
    })
}

fn exec_form(rest: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(rest) {
        Ok(words) => words,
        Err(_) => vec!["/bin/sh".to_string(), "-c".to_string(), rest.to_string()],
    }
}

fn key_value(rest: &str) -> (String, String) {
    let split = rest
        .split_once('=')
        .or_else(|| rest.split_once(char::is_whitespace));
    match split {
        Some((k, v)) => (k.trim().to_string(), v.trim().trim_matches('"').to_string()),
        None => (rest.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_parse_in_both_forms() {
        let p = Profile::Docker2010;
        assert_eq!(
            parse_change(p, r#"CMD ["/toolbox","out","x"]"#).unwrap(),
            Change::Cmd(vec!["/toolbox".into(), "out".into(), "x".into()])
        );
        assert_eq!(
            parse_change(p, "cmd echo hi").unwrap(),
            Change::Cmd(vec!["/bin/sh".into(), "-c".into(), "echo hi".into()])
        );
        assert_eq!(
            parse_change(p, "ENV A=b").unwrap(),
            Change::Env("A".into(), "b".into())
        );
        assert_eq!(
            parse_change(p, "EXPOSE 80").unwrap(),
            Change::Expose("80/tcp".into())
        );
        assert_eq!(
            parse_change(p, "RUN x").unwrap_err().message,
            "run is not a valid change command"
        );
    }
}
