//! Shrinking a failing case to a minimal one: cut it after the first disagreement, then remove
//! ever smaller chunks of intents (delta debugging) while some disagreement remains. Every
//! candidate is re-run against the real engine, so the budget bounds runs and time.

use std::time::{Duration, Instant};

use crate::engine::EngineError;
use crate::generate::Case;

/// The shrinking budget.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub runs: usize,
    pub time: Duration,
}

/// What shrinking found and what it cost.
#[derive(Debug, Clone)]
pub struct Shrunk {
    pub case: Case,
    pub runs: usize,
    pub elapsed: Duration,
}

/// Shrinks `case`, which fails at step `failed_at`; `fails` re-runs a candidate and says
/// whether it still disagrees.
pub fn shrink(
    case: &Case,
    failed_at: usize,
    budget: Budget,
    fails: &mut dyn FnMut(&Case) -> Result<bool, EngineError>,
) -> Result<Shrunk, EngineError> {
    let start = Instant::now();
    let mut current = Case {
        swarm: case.swarm,
        intents: case.intents[..=failed_at.min(case.intents.len() - 1)].to_vec(),
    };
    let mut runs = 0;
    let mut chunk = (current.intents.len() / 2).max(1);
    loop {
        let mut progressed = false;
        let mut at = 0;
        while at < current.intents.len() && current.intents.len() > 1 {
            if runs >= budget.runs || start.elapsed() >= budget.time {
                return Ok(Shrunk {
                    case: current,
                    runs,
                    elapsed: start.elapsed(),
                });
            }
            let mut candidate = current.clone();
            let end = (at + chunk).min(candidate.intents.len());
            candidate.intents.drain(at..end);
            runs += 1;
            if !candidate.intents.is_empty() && fails(&candidate)? {
                current = candidate;
                progressed = true;
            } else {
                at += chunk;
            }
        }
        if !progressed {
            if chunk == 1 {
                break;
            }
            chunk = (chunk / 2).max(1);
        }
    }
    Ok(Shrunk {
        case: current,
        runs,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Intent;

    fn intent(kind: u8) -> Intent {
        Intent {
            kind,
            a: 0,
            b: 0,
            flag: false,
        }
    }

    #[test]
    fn shrinks_to_the_intents_that_matter() {
        let case = Case {
            swarm: 0,
            intents: (0..20).map(intent).collect(),
        };
        let budget = Budget {
            runs: 1000,
            time: Duration::from_secs(10),
        };
        // Fails whenever intents 3 and 11 are both present, in order.
        let mut fails = |c: &Case| {
            Ok(c.intents.iter().any(|i| i.kind == 3) && c.intents.iter().any(|i| i.kind == 11))
        };
        let shrunk = shrink(&case, 15, budget, &mut fails).unwrap();
        assert_eq!(shrunk.case.intents, vec![intent(3), intent(11)]);
    }
}
