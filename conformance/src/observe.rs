//! What one step did, as every engine can report it: the answer to the command (at the level
//! the docker CLI sees it) and a probe of the whole visible state afterwards. Both are plain
//! data with real IDs inside; `normalise` turns IDs and generated names into symbols.

use berth_model::ErrorKind;
use serde::{Deserialize, Serialize};

/// The answer to one command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum Observation {
    Error {
        kind: ErrorKind,
        message: String,
    },
    /// 304: the engine had nothing to do.
    NotModified,
    Done,
    Created {
        id: String,
    },
    Ran {
        id: String,
        stdout: String,
        stderr: String,
        exit: Option<i32>,
        start_error: Option<(ErrorKind, String)>,
    },
    Attached {
        stdout: String,
        stderr: String,
        exit: Option<i32>,
    },
    Waited {
        status: i32,
    },
    Logs {
        stdout: String,
        stderr: String,
    },
    Pulled {
        up_to_date: bool,
    },
    Committed {
        id: String,
    },
    Deleted {
        items: Vec<String>,
    },
    /// `ps`/`images`: the probe after the step shows what they list; `rendered` is the CLI
    /// table where both sides share a clock (the model and its mutants), else `None`.
    Listed {
        count: usize,
        rendered: Option<String>,
    },
    Inspected {
        document: serde_json::Value,
    },
    PerTarget {
        results: Vec<(String, Observation)>,
    },
    /// The command would not return (wait on a running container): never sent to an engine.
    Blocked,
    /// What a docker CLI binary printed (`--cli`), or what the model's renderers say it would
    /// print. `created` is the container the command created, so `{cN}` handles still resolve.
    Printed {
        created: Option<String>,
        stdout: String,
        stderr: String,
        exit: i32,
    },
}

impl Observation {
    /// The container this answer created, if any.
    pub fn created_id(&self) -> Option<String> {
        match self {
            Observation::Created { id } | Observation::Ran { id, .. } => Some(id.clone()),
            Observation::Printed { created, .. } => created.clone(),
            _ => None,
        }
    }
}

/// A container as the probe sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContainerView {
    pub name: String,
    pub id: String,
    /// The IMAGE column's source: the reference as typed, or the image ID once it moved.
    pub image: String,
    pub image_id: String,
    pub command: String,
    pub state: String,
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// An image as the probe sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ImageView {
    pub id: String,
    pub parent: String,
    pub repo_tags: Vec<String>,
    /// Repositories with a digest reference (the digests themselves differ between a registry
    /// and the model's catalog, so only the repository is compared).
    pub digest_repos: Vec<String>,
    pub layers: usize,
}

/// Everything visible after a step: `ps -a`, `images -a` and every container's logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub containers: Vec<ContainerView>,
    pub images: Vec<ImageView>,
}

impl Probe {
    /// Puts lists in an order that does not depend on IDs, so symbols are assigned the same
    /// way on every engine that behaves the same.
    pub fn canonical(mut self) -> Probe {
        self.containers.sort_by(|a, b| a.name.cmp(&b.name));
        self.images.sort_by(|a, b| {
            (&a.repo_tags, a.layers, &a.digest_repos).cmp(&(
                &b.repo_tags,
                b.layers,
                &b.digest_repos,
            ))
        });
        self
    }
}

/// Splits `text` into the repositories of `repo@digest` references.
pub fn digest_repo(reference: &str) -> String {
    reference.split('@').next().unwrap_or(reference).to_string()
}
