//! A container's state: Docker's seven statuses as one enum, and the persisted state record
//! (`state.json`) whose transitions check `can_*` first. This module never reads the clock: every
//! transition that stamps a time takes it as an argument.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Docker's `.State.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A created or exited container can be started; a running one answers 304 instead.
    pub fn can_start(self) -> bool {
        matches!(self, State::Created | State::Exited)
    }

    /// Only a live process can receive a signal.
    pub fn can_kill(self) -> bool {
        matches!(self, State::Running | State::Paused | State::Restarting)
    }

    pub fn can_stop(self) -> bool {
        self.can_kill()
    }

    /// Removal without force needs a stopped container.
    pub fn can_remove(self) -> bool {
        matches!(self, State::Created | State::Exited | State::Dead)
    }

    pub fn is_running(self) -> bool {
        matches!(self, State::Running | State::Paused | State::Restarting)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            State::Created => "created",
            State::Running => "running",
            State::Paused => "paused",
            State::Restarting => "restarting",
            State::Removing => "removing",
            State::Exited => "exited",
            State::Dead => "dead",
        };
        f.write_str(s)
    }
}

/// Docker's `.State` fields, as persisted in `state.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateRecord {
    pub status: State,
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    pub pid: i32,
    pub exit_code: i32,
    pub error: String,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
}

impl Default for StateRecord {
    fn default() -> Self {
        StateRecord {
            status: State::Created,
            oom_killed: false,
            pid: 0,
            exit_code: 0,
            error: String::new(),
            started_at: Timestamp::ZERO,
            finished_at: Timestamp::ZERO,
        }
    }
}

impl StateRecord {
    /// The process runs. As in dockerd, a new start clears the last exit code and error but
    /// keeps FinishedAt.
    pub fn set_running(&mut self, pid: i32, now: Timestamp) {
        self.status = State::Running;
        self.pid = pid;
        self.exit_code = 0;
        self.error.clear();
        self.oom_killed = false;
        self.started_at = now;
    }

    /// The process ended.
    pub fn set_exited(&mut self, exit_code: i32, oom_killed: bool, now: Timestamp) {
        self.status = State::Exited;
        self.pid = 0;
        self.exit_code = exit_code;
        self.oom_killed = oom_killed;
        self.finished_at = now;
    }

    /// The command could not be executed: dockerd leaves the status alone (`created` for a
    /// first start) but records the exit code and the error.
    pub fn set_start_failed(&mut self, exit_code: i32, message: &str) {
        self.pid = 0;
        self.exit_code = exit_code;
        self.error = message.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stopped_containers_start_or_remove() {
        assert!(State::Created.can_start() && State::Exited.can_start());
        assert!(!State::Running.can_start() && !State::Removing.can_start());
        assert!(State::Running.can_kill() && !State::Exited.can_kill());
        assert!(!State::Running.can_remove() && State::Dead.can_remove());
    }

    #[test]
    fn a_failed_start_stays_created_with_the_exit_code() {
        let mut s = StateRecord::default();
        s.set_start_failed(127, "boom");
        assert_eq!(
            (s.status, s.exit_code, s.error.as_str()),
            (State::Created, 127, "boom")
        );
        s.set_running(7, Timestamp::from_unix_nanos(1));
        assert_eq!(
            (s.status, s.exit_code, s.error.as_str()),
            (State::Running, 0, "")
        );
    }

    #[test]
    fn serialises_with_dockers_field_names() {
        let json = serde_json::to_string(&StateRecord::default()).unwrap();
        assert_eq!(
            json,
            r#"{"Status":"created","OOMKilled":false,"Pid":0,"ExitCode":0,"Error":"","StartedAt":"0001-01-01T00:00:00Z","FinishedAt":"0001-01-01T00:00:00Z"}"#
        );
    }
}
