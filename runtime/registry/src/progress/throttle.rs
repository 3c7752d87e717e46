//! When dockerd sends a `Downloading`/`Extracting` byte count: moby's `progress.Reader`
//! reports after every read that moves the count by more than 512 KB (or 1% of the size,
//! if smaller), and then only if the count reached the size or 100 ms passed since the last
//! report (a token bucket of one); the read that meets the end always reports. The clock is
//! passed in, so this is pure.

use std::time::{Duration, Instant};

const UPDATE_EVERY: i64 = 512 * 1024;
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// Decides which byte counts of one transfer become progress messages.
#[derive(Debug, Clone)]
pub struct ProgressThrottle {
    size: i64,
    current: i64,
    last_update: i64,
    last_emit: Option<Instant>,
}

impl ProgressThrottle {
    /// A transfer of `size` bytes (0 when unknown).
    pub fn new(size: i64) -> Self {
        ProgressThrottle {
            size,
            current: 0,
            last_update: 0,
            last_emit: None,
        }
    }

    /// Counts a read of `n` bytes at `now`; returns the count to report, if one is due.
    pub fn advance(&mut self, n: usize, now: Instant) -> Option<i64> {
        self.current += n as i64;
        let mut every = UPDATE_EVERY;
        if self.size > 0 {
            every = every.min((0.01 * self.size as f64) as i64);
        }
        if self.current - self.last_update <= every {
            return None;
        }
        self.last_update = self.current;
        (self.current == self.size || self.allow(now)).then_some(self.current)
    }

    /// The read that met the end of the stream: always reported.
    pub fn finish(&mut self) -> i64 {
        self.last_update = self.current;
        self.current
    }

    /// `rate.NewLimiter(rate.Every(100ms), 1).Allow()`.
    fn allow(&mut self, now: Instant) -> bool {
        let ready = match self.last_emit {
            None => true,
            Some(last) => now.duration_since(last) >= MIN_INTERVAL,
        };
        if ready {
            self.last_emit = Some(now);
        }
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_blobs_report_every_percent_when_time_allows() {
        let t0 = Instant::now();
        let mut t = ProgressThrottle::new(1_000_000);
        // 1% is 10000 bytes: a read of exactly that is not "more than".
        assert_eq!(t.advance(10_000, t0), None);
        assert_eq!(t.advance(1, t0), Some(10_001));
        // Due by size but too soon: skipped, and the count still moves the baseline.
        assert_eq!(t.advance(20_000, t0 + Duration::from_millis(50)), None);
        assert_eq!(t.advance(10_000, t0 + Duration::from_millis(150)), None);
        assert_eq!(t.advance(1, t0 + Duration::from_millis(150)), Some(40_002));
    }

    #[test]
    fn reaching_the_size_always_reports_and_so_does_the_end() {
        let t0 = Instant::now();
        let mut t = ProgressThrottle::new(100);
        assert_eq!(t.advance(50, t0), Some(50));
        assert_eq!(t.advance(50, t0), Some(100));
        assert_eq!(t.finish(), 100);
    }

    #[test]
    fn large_blobs_report_every_512k() {
        let t0 = Instant::now();
        let mut t = ProgressThrottle::new(1 << 30);
        assert_eq!(t.advance(512 * 1024, t0), None);
        assert_eq!(t.advance(1, t0), Some(512 * 1024 + 1));
    }
}
