//! Per-step timestamps of one spawn, for the benches and for anyone asking where the time of a
//! start went. The child writes its marks straight into the parent's memory (it shares the
//! address space until `execve`), so the marks are atomics and the recording path never
//! allocates.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The points of a spawn that get a timestamp, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Start = 0,
    CgroupReady,
    Planned,
    ChildRunning,
    Joined,
    Isolated,
    OverlayMounted,
    Pivoted,
    FilesystemsReady,
    Credentials,
    ExecCalled,
    Returned,
}

const MARKS: usize = Mark::Returned as usize + 1;

/// What each interval between two consecutive marks measures.
const STEP_NAMES: [&str; MARKS - 1] = [
    "cgroup create + limits",
    "plan (open layer fds, build C strings)",
    "clone (namespaces created)",
    "join cgroup, signals, net (loopback up)",
    "mount propagation + hostname",
    "overlay mount",
    "pivot_root + detach old root",
    "/proc, /dev, /sys, binds, masks",
    "cwd, stdio, capabilities, uid/gid",
    "path lookup",
    "execve until the parent resumes",
];

/// Timestamps (CLOCK_MONOTONIC, nanoseconds) of one spawn.
#[derive(Debug, Default)]
pub struct StepTimings {
    marks: [AtomicU64; MARKS],
}

impl StepTimings {
    pub(crate) fn mark(&self, mark: Mark) {
        self.marks[mark as usize].store(now_ns(), Ordering::Relaxed);
    }

    /// Each step with its duration; steps that did not run (a mark never set) are left out.
    pub fn steps(&self) -> Vec<(&'static str, Duration)> {
        let marks: Vec<u64> = self
            .marks
            .iter()
            .map(|m| m.load(Ordering::Relaxed))
            .collect();
        let mut steps = Vec::new();
        let mut previous = marks[0];
        for (i, &at) in marks.iter().enumerate().skip(1) {
            if at == 0 || previous == 0 {
                continue;
            }
            steps.push((
                STEP_NAMES[i - 1],
                Duration::from_nanos(at.saturating_sub(previous)),
            ));
            previous = at;
        }
        steps
    }

    /// From entering `spawn` to its return.
    pub fn total(&self) -> Duration {
        let start = self.marks[Mark::Start as usize].load(Ordering::Relaxed);
        let end = self.marks[Mark::Returned as usize].load(Ordering::Relaxed);
        Duration::from_nanos(end.saturating_sub(start))
    }
}

/// CLOCK_MONOTONIC in nanoseconds; served by the vDSO, so it is safe (and cheap) in the child.
fn now_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec as u64) * 1_000_000_000 + t.tv_nsec as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_the_gaps_between_set_marks() {
        let t = StepTimings::default();
        t.marks[0].store(100, Ordering::Relaxed);
        t.marks[1].store(150, Ordering::Relaxed);
        t.marks[3].store(400, Ordering::Relaxed);
        t.marks[MARKS - 1].store(1000, Ordering::Relaxed);
        let steps = t.steps();
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[0].1, Duration::from_nanos(50));
        assert_eq!(steps[1], (STEP_NAMES[2], Duration::from_nanos(250)));
        assert_eq!(t.total(), Duration::from_nanos(900));
    }
}
