//! The STATUS column of `ps`, from moby's `State.String`, with the clock passed in.

use crate::container::State;
use berth_format::units::human_duration;
use berth_format::Timestamp;

/// The fields STATUS is computed from.
#[derive(Debug, Clone, Copy)]
pub struct StatusInput {
    pub state: State,
    pub exit_code: i32,
    pub started: Option<Timestamp>,
    pub finished: Option<Timestamp>,
}

/// STATUS as moby computes it: first matching rule wins.
pub fn status(input: StatusInput, now: Timestamp) -> String {
    let since = |t: Option<Timestamp>| human_duration(now - t.unwrap_or(now));
    match input.state {
        State::Paused => format!("Up {} (Paused)", since(input.started)),
        State::Restarting => format!(
            "Restarting ({}) {} ago",
            input.exit_code,
            since(input.finished)
        ),
        State::Running => format!("Up {}", since(input.started)),
        State::Removing => "Removal In Progress".to_string(),
        State::Dead => "Dead".to_string(),
        State::Created => "Created".to_string(),
        State::Exited if input.started.is_none() => "Created".to_string(),
        State::Exited => format!("Exited ({}) {} ago", input.exit_code, since(input.finished)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_format::Duration;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_700_000_000 + secs)
    }

    fn input(
        state: State,
        exit_code: i32,
        started: Option<i64>,
        finished: Option<i64>,
    ) -> StatusInput {
        StatusInput {
            state,
            exit_code,
            started: started.map(at),
            finished: finished.map(at),
        }
    }

    #[test]
    fn statuses_follow_mobys_order() {
        let now = at(3_600 * 3);
        assert_eq!(
            status(input(State::Running, 0, Some(3_600 * 3 - 3), None), now),
            "Up 3 seconds"
        );
        assert_eq!(
            status(input(State::Paused, 0, Some(0), None), now),
            "Up 3 hours (Paused)"
        );
        assert_eq!(
            status(input(State::Exited, 3, Some(0), Some(3_600 * 3 - 120)), now),
            "Exited (3) 2 minutes ago"
        );
        assert_eq!(
            status(input(State::Created, 127, None, None), now),
            "Created"
        );
        assert_eq!(
            status(
                input(State::Restarting, 1, Some(0), Some(3_600 * 3 - 1)),
                now
            ),
            "Restarting (1) 1 second ago"
        );
        assert_eq!(
            status(input(State::Removing, 0, None, None), now),
            "Removal In Progress"
        );
        assert_eq!(status(input(State::Dead, 0, None, None), now), "Dead");
    }

    #[test]
    fn just_started_is_less_than_a_second() {
        let now = at(10);
        let started = now - Duration::from_millis(400);
        let s = StatusInput {
            state: State::Running,
            exit_code: 0,
            started: Some(started),
            finished: None,
        };
        assert_eq!(status(s, now), "Up Less than a second");
    }
}
