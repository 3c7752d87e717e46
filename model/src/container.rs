//! Containers: their record, their state enum and the transitions it allows. The state is one
//! enum, never a bag of booleans; `Created` means "never started" (Docker derives it from a zero
//! StartedAt), so a container whose first start failed is still `Created`.

use crate::fs::Changes;
use std::rc::Rc;

use crate::ids::{ContainerId, ImageId};
use crate::image::Image;
use crate::image::ImageConfig;
use crate::program::TermAction;
use berth_format::Timestamp;

/// The lifecycle state (`.State.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Created => "created",
            State::Running => "running",
            State::Paused => "paused",
            State::Restarting => "restarting",
            State::Removing => "removing",
            State::Exited => "exited",
            State::Dead => "dead",
        }
    }

    /// Docker's `IsRunning`: a paused or restarting container still has its process.
    pub fn is_running(self) -> bool {
        matches!(self, State::Running | State::Paused | State::Restarting)
    }

    pub fn can_start(self) -> bool {
        matches!(self, State::Created | State::Exited)
    }

    pub fn can_signal(self) -> bool {
        self.is_running()
    }

    pub fn can_remove_without_force(self) -> bool {
        !self.is_running()
    }
}

/// Which output stream a log chunk came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One write of a container's process, as the json-file log driver keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct LogChunk {
    pub stream: Stream,
    pub text: String,
}

/// The running process, for a container that is blocked in `sleep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Process {
    pub pid: u32,
    pub on_term: TermAction,
}

/// A container as the engine stores it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Container {
    pub id: ContainerId,
    /// With Docker's leading slash: `/quirky_turing`.
    pub name: Rc<str>,
    /// The image the container was created from. Held by the container itself, as Docker's
    /// layer store holds a container's layers even after `rmi -f` deleted the image.
    #[serde(rename = "image", serialize_with = "serialize_image_id")]
    pub base: Rc<Image>,
    /// The image reference exactly as typed at create time (`.Config.Image`).
    pub image_ref: Rc<str>,
    /// `ps`'s COMMAND, fixed at create time like the path and arguments it comes from.
    pub command: Rc<str>,
    pub path: String,
    pub args: Vec<String>,
    pub config: ImageConfig,
    /// Set only when the command line gave a command (Docker keeps `Config.Cmd` either way).
    pub hostname: String,
    pub auto_remove: bool,
    pub state: State,
    pub exit_code: i32,
    pub error: String,
    pub oom_killed: bool,
    pub created: Timestamp,
    pub started: Option<Timestamp>,
    pub finished: Option<Timestamp>,
    pub restart_count: u32,
    pub process: Option<Process>,
    pub log: Vec<LogChunk>,
    pub changes: Changes,
}

impl Container {
    pub fn image_id(&self) -> &ImageId {
        &self.base.id
    }

    /// The argv the container's process is started with.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.path.clone())
            .chain(self.args.iter().cloned())
            .collect()
    }

    /// Records a process exit.
    pub fn exit(&mut self, code: i32, now: Timestamp) {
        self.state = State::Exited;
        self.exit_code = code;
        self.finished = Some(now);
        self.process = None;
    }
}

/// `ps`'s COMMAND as the daemon builds it: the path, then the arguments joined by spaces, each
/// argument that contains a space wrapped in single quotes (and nothing else escaped).
pub fn command_line(path: &str, args: &[String]) -> String {
    let mut line = path.to_string();
    for arg in args {
        line.push(' ');
        if arg.contains(' ') {
            line.push('\'');
            line.push_str(arg);
            line.push('\'');
        } else {
            line.push_str(arg);
        }
    }
    line
}

fn serialize_image_id<S: serde::Serializer>(image: &Rc<Image>, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&image.id, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_state() {
        assert!(State::Created.can_start());
        assert!(State::Exited.can_start());
        assert!(!State::Running.can_start());
        assert!(State::Paused.is_running());
        assert!(!State::Exited.can_signal());
        assert!(!State::Running.can_remove_without_force());
    }
}
