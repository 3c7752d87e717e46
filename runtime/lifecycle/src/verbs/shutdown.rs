//! `shutdown`: the store's owner closes it. Every running container is stopped (SIGTERM, then
//! SIGKILL after the timeout; a paused one is thawed to handle its SIGTERM), and the call
//! returns once their exits are recorded and the exit watchers let the store go, so the store
//! can be reopened at once. A start that passed its checks finishes first, so that what it
//! starts is stopped too. It never removes a container itself (an auto-remove one goes with
//! its exit, as at any other time).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::containers::{Containers, Registry};
use crate::images::Images;
use crate::signal::{SIGKILL, SIGTERM};

impl<I: Images> Containers<I> {
    /// Stops every running container (SIGTERM, SIGKILL after `timeout`) and waits until their
    /// exits are recorded.
    pub fn shutdown(self, timeout: Duration) {
        let live: Vec<_> = {
            // A start between its checks and its spawn ends first, so that what it starts is
            // stopped here too.
            let deadline = Some(Instant::now() + timeout);
            let (reg, _) = self.shared.wait_until(self.shared.lock(), deadline, |r| {
                r.entries.values().all(|e| !e.starting)
            });
            reg.entries
                .iter()
                .filter_map(|(id, e)| e.process.clone().map(|p| (id.clone(), p)))
                .collect()
        };
        for (_, p) in &live {
            let _ = p.signal(SIGTERM);
            // A paused container handles its SIGTERM only once thawed.
            let _ = p.freeze(false);
        }
        let all_exited = |reg: &Registry| {
            live.iter()
                .all(|(id, _)| reg.entries.get(id).is_none_or(|e| e.process.is_none()))
        };
        let reg = self.shared.lock();
        let (reg, done) = self
            .shared
            .wait_until(reg, Some(Instant::now() + timeout), all_exited);
        drop(reg);
        if !done {
            for (_, p) in &live {
                let _ = p.signal(SIGKILL);
            }
            let reg = self.shared.lock();
            drop(self.shared.wait_until(reg, None, all_exited));
        }
        // The exit watchers hold the store (and its lock file) until their last step; a caller
        // that reopens the store right after shutdown must find it free.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&self.shared) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
