//! The phases of one `docker run` as a client sees them, and the sample one run yields.
//! Create, start, first byte and exit are milestones: milliseconds from the run's first request
//! until the client saw that phase end, so they read as "how long until the container had
//! printed". Pull and remove are the duration of that call alone, and total is the whole run.

/// A phase of a run, in the order the table and the plot show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Pulling the image after create answered 404 (cold runs only): the call alone.
    Pull,
    /// Create answered 201 (including any pull before it).
    Create,
    /// Start answered 204.
    Start,
    /// The first byte of output arrived on the attach stream. The stream is read while start
    /// is in flight, as the CLI does, so this can come before start's answer: dockerd answers
    /// only once the process runs, and a quick container has printed by then.
    FirstByte,
    /// Wait answered with the exit code.
    Exit,
    /// Removing the exited container: the call alone.
    Remove,
    /// The whole run, from create to the end of remove.
    Total,
}

impl Phase {
    pub const ALL: [Phase; 7] = [
        Phase::Pull,
        Phase::Create,
        Phase::Start,
        Phase::FirstByte,
        Phase::Exit,
        Phase::Remove,
        Phase::Total,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Pull => "pull",
            Phase::Create => "create",
            Phase::Start => "start",
            Phase::FirstByte => "first byte",
            Phase::Exit => "exit",
            Phase::Remove => "remove",
            Phase::Total => "total",
        }
    }

    /// This phase's value in a sample, in milliseconds; `None` when the run had no such phase.
    pub fn of(self, sample: &Sample) -> Option<f64> {
        match self {
            Phase::Pull => sample.pull,
            Phase::Create => Some(sample.create),
            Phase::Start => Some(sample.start),
            Phase::FirstByte => sample.first_byte,
            Phase::Exit => Some(sample.exit),
            Phase::Remove => Some(sample.remove),
            Phase::Total => Some(sample.total),
        }
    }
}

/// What one run measured, in milliseconds (see the module doc for what each field counts).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Sample {
    pub pull: Option<f64>,
    pub create: f64,
    pub start: f64,
    /// `None` when the container printed nothing.
    pub first_byte: Option<f64>,
    pub exit: f64,
    pub remove: f64,
    pub total: f64,
    pub exit_code: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_read_their_own_field() {
        let sample = Sample {
            pull: None,
            create: 1.0,
            start: 2.0,
            first_byte: Some(3.0),
            exit: 4.0,
            remove: 0.5,
            total: 4.5,
            exit_code: 0,
        };
        let values: Vec<_> = Phase::ALL.iter().map(|p| p.of(&sample)).collect();
        assert_eq!(
            values,
            vec![
                None,
                Some(1.0),
                Some(2.0),
                Some(3.0),
                Some(4.0),
                Some(0.5),
                Some(4.5)
            ]
        );
    }
}
