//! Shrinking a failing script to a minimal one: cut it after the disagreement, then remove
//! ever smaller chunks of intents (delta debugging) while some disagreement remains. Every
//! candidate is re-run against the real engine, so the budget bounds runs and time.

use std::time::{Duration, Instant};

use crate::engine::EngineError;

/// The shrinking budget.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub runs: usize,
    pub time: Duration,
}

/// What shrinking found and what it cost.
#[derive(Debug, Clone)]
pub struct Shrunk<T> {
    pub items: Vec<T>,
    pub runs: usize,
    pub elapsed: Duration,
}

/// Shrinks a failing script (a case's intents, or a scenario's commands), which fails at step
/// `failed_at`; `fails` re-runs a candidate and says whether it still shows the failure.
pub fn shrink<T: Clone>(
    items: &[T],
    failed_at: usize,
    budget: Budget,
    fails: &mut dyn FnMut(&[T]) -> Result<bool, EngineError>,
) -> Result<Shrunk<T>, EngineError> {
    let start = Instant::now();
    let mut current = items[..=failed_at.min(items.len() - 1)].to_vec();
    let mut runs = 0;
    let mut chunk = (current.len() / 2).max(1);
    loop {
        let mut progressed = false;
        let mut at = 0;
        while at < current.len() && current.len() > 1 {
            if runs >= budget.runs || start.elapsed() >= budget.time {
                return Ok(Shrunk {
                    items: current,
                    runs,
                    elapsed: start.elapsed(),
                });
            }
            let mut candidate = current.clone();
            let end = (at + chunk).min(candidate.len());
            candidate.drain(at..end);
            runs += 1;
            if !candidate.is_empty() && fails(&candidate)? {
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
        items: current,
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
        let intents: Vec<Intent> = (0..20).map(intent).collect();
        let budget = Budget {
            runs: 1000,
            time: Duration::from_secs(10),
        };
        // Fails whenever intents 3 and 11 are both present, in order.
        let mut fails =
            |c: &[Intent]| Ok(c.iter().any(|i| i.kind == 3) && c.iter().any(|i| i.kind == 11));
        let shrunk = shrink(&intents, 15, budget, &mut fails).unwrap();
        assert_eq!(shrunk.items, vec![intent(3), intent(11)]);
    }
}
