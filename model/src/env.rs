//! The model's only window on the world: a clock, a source of container IDs and a source of
//! choices for generated names. Injecting them is what keeps the model deterministic: the same
//! commands with the same `Env` always give the same answers.

use berth_format::{Duration, Timestamp};

/// Everything the model would otherwise read from the outside world.
pub trait Env {
    /// The current time. Implementations may advance it on every call.
    fn now(&mut self) -> Timestamp;
    /// 64 lowercase hex characters, as from a CSPRNG. The model applies Docker's re-roll rule.
    fn random_hex64(&mut self) -> String;
    /// A uniformly chosen index in `0..bound` (`bound > 0`), for generated names.
    fn pick(&mut self, bound: usize) -> usize;
}

/// A deterministic `Env`: splitmix64 over a seed, and a clock that starts at `start` and
/// moves forward by `tick` on every reading.
#[derive(Debug, Clone)]
pub struct SeededEnv {
    state: u64,
    clock: Timestamp,
    tick: Duration,
}

impl SeededEnv {
    pub fn new(seed: u64, start: Timestamp, tick: Duration) -> Self {
        SeededEnv {
            state: seed,
            clock: start,
            tick,
        }
    }

    /// A seed with a clock at 2025-01-01T00:00:00Z that moves one second per reading.
    pub fn with_seed(seed: u64) -> Self {
        Self::new(
            seed,
            Timestamp::from_unix_seconds(1_735_689_600),
            Duration::from_secs(1),
        )
    }

    /// Moves the clock forward, as if time passed between commands.
    pub fn advance(&mut self, by: Duration) {
        self.clock += by;
    }

    /// The clock's current value, without advancing it.
    pub fn peek(&self) -> Timestamp {
        self.clock
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Env for SeededEnv {
    fn now(&mut self) -> Timestamp {
        let now = self.clock;
        self.clock += self.tick;
        now
    }

    fn random_hex64(&mut self) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(64);
        for _ in 0..4 {
            let _ = write!(out, "{:016x}", self.next_u64());
        }
        out
    }

    fn pick(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = SeededEnv::with_seed(7);
        let mut b = SeededEnv::with_seed(7);
        assert_eq!(a.random_hex64(), b.random_hex64());
        assert_eq!(a.pick(108), b.pick(108));
        assert_eq!(a.now(), b.now());
    }

    #[test]
    fn hex_is_64_lowercase() {
        let id = SeededEnv::with_seed(1).random_hex64();
        assert_eq!(id.len(), 64);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn clock_ticks_per_reading() {
        let mut env = SeededEnv::with_seed(0);
        let first = env.now();
        assert_eq!(env.now() - first, Duration::from_secs(1));
    }
}
