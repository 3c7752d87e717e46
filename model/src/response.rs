//! Typed answers, at the level of the Engine API: what `GET /containers/json`, `DELETE
//! /images/x` or a pull stream would carry. Rendering them as CLI text is `render`'s job.

use std::rc::Rc;

use crate::container::{Container, LogChunk, State};
use crate::error::ModelError;
use crate::ids::{ContainerId, Digest, ImageId};
use crate::image::Image;
use berth_format::Timestamp;

/// The answer to one command: a response or an error.
pub type Outcome = Result<Response, ModelError>;

/// How one layer of a pull went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LayerPull {
    /// The 12-hex id the progress stream uses for the layer.
    pub short: String,
    pub already_exists: bool,
}

/// A pull's progress stream, in the order a non-terminal client prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PullReport {
    /// The reference as the CLI shows it in `Status:` lines (`hello-world:latest`).
    pub familiar: String,
    /// The full reference the CLI prints last (`docker.io/library/hello-world:latest`).
    pub full: String,
    /// The path shown in `Pulling from` (`library/hello-world`).
    pub path: String,
    /// The tag or digest the pull asked for (`latest`, `sha256:...`).
    pub tag_or_digest: String,
    /// The CLI printed `Using default tag: latest` first.
    pub default_tag: bool,
    pub layers: Vec<LayerPull>,
    pub digest: Digest,
    pub up_to_date: bool,
}

/// A row of `GET /images/json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageSummary {
    pub id: ImageId,
    pub parent: Option<ImageId>,
    /// Familiar tagged references; empty for an untagged image.
    pub repo_tags: Vec<Rc<str>>,
    pub repo_digests: Vec<Rc<str>>,
    pub created: Timestamp,
    pub size: u64,
}

/// A row of `GET /containers/json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContainerSummary {
    pub id: ContainerId,
    /// With the leading slash (Docker's `Names` holds just this one without links).
    pub name: Rc<str>,
    /// The reference as typed when it still points at the container's image, else the image ID.
    pub image: Rc<str>,
    pub image_id: ImageId,
    pub command: Rc<str>,
    pub created: Timestamp,
    pub state: State,
    pub exit_code: i32,
    pub started: Option<Timestamp>,
    pub finished: Option<Timestamp>,
}

/// `GET /images/{name}/json`: the image plus its references.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageDetails {
    pub image: Rc<Image>,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
}

/// One line of an image delete answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DeleteItem {
    Untagged(String),
    Deleted(Digest),
}

/// What `run` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunReport {
    pub id: ContainerId,
    /// The pull the CLI ran first because the image was missing.
    pub pulled: Option<PullReport>,
    pub detached: bool,
    /// What an attached client saw (empty when detached).
    pub output: Vec<LogChunk>,
    /// The exit code an attached client returns; `None` while the container still runs.
    pub exit: Option<i32>,
    /// The start failed (the container exists, `Created`, with 126 or 127 recorded).
    pub start_error: Option<ModelError>,
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Response {
    Pulled(PullReport),
    Images(Vec<ImageSummary>),
    InspectContainer(Box<Container>),
    InspectImage(Box<ImageDetails>),
    Created {
        id: ContainerId,
        pulled: Option<PullReport>,
    },
    Ran(RunReport),
    /// `start -a`: what the attached client saw and the exit code (`None`: still running).
    Attached {
        output: Vec<LogChunk>,
        exit: Option<i32>,
    },
    /// Stop, kill, restart, start, rm: the target was handled (the CLI echoes it).
    Done,
    Waited {
        status: i32,
    },
    /// The command would not return until something else happens (`wait` on a running
    /// container, `start -a` of one that sleeps): the harness never sends it.
    Blocked,
    Logs(Vec<LogChunk>),
    Containers(Vec<ContainerSummary>),
    Renamed,
    Committed {
        id: ImageId,
    },
    Tagged,
    ImageDeleted(Vec<DeleteItem>),
    RemoteRetagged,
    /// A multi-target command: each target as typed, with its own answer.
    PerTarget(Vec<(String, Outcome)>),
}
