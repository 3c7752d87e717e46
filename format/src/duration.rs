//! Go's `time.Duration`: a signed span of nanoseconds, with the float views (`Seconds()`,
//! `Minutes()`, `Hours()`) that go-units' `HumanDuration` rounds exactly as Go does. Pure
//! arithmetic; the operators saturate instead of wrapping so absurd inputs cannot panic.

use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// A signed span of time in nanoseconds, as Go's `time.Duration`.
///
/// The operators saturate at [`Duration::MIN`] and [`Duration::MAX`] instead of wrapping as
/// Go does, so an absurd input cannot panic the model. Serialised as an integer of
/// nanoseconds, as Go's `encoding/json` writes a `time.Duration`.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Duration(i64);

impl Duration {
    pub const ZERO: Duration = Duration(0);
    pub const NANOSECOND: Duration = Duration(1);
    pub const MICROSECOND: Duration = Duration(1_000);
    pub const MILLISECOND: Duration = Duration(1_000_000);
    pub const SECOND: Duration = Duration(NANOS_PER_SEC);
    pub const MINUTE: Duration = Duration(60 * NANOS_PER_SEC);
    pub const HOUR: Duration = Duration(3_600 * NANOS_PER_SEC);
    /// Go's `maxDuration`, what `Time.Sub` answers when the true difference overflows.
    pub const MAX: Duration = Duration(i64::MAX);
    /// Go's `minDuration`.
    pub const MIN: Duration = Duration(i64::MIN);

    pub const fn from_nanos(nanos: i64) -> Duration {
        Duration(nanos)
    }

    pub const fn from_millis(millis: i64) -> Duration {
        Duration(millis.saturating_mul(1_000_000))
    }

    pub const fn from_secs(secs: i64) -> Duration {
        Duration(secs.saturating_mul(NANOS_PER_SEC))
    }

    pub const fn from_mins(mins: i64) -> Duration {
        Duration(mins.saturating_mul(60 * NANOS_PER_SEC))
    }

    pub const fn from_hours(hours: i64) -> Duration {
        Duration(hours.saturating_mul(3_600 * NANOS_PER_SEC))
    }

    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whole seconds, truncated toward zero (Go's `int64(d / time.Second)`).
    pub const fn whole_secs(self) -> i64 {
        self.0 / NANOS_PER_SEC
    }

    /// Go's `Duration.Seconds()`: whole seconds plus the fraction, computed in two parts so
    /// the result rounds exactly as Go's does.
    pub fn seconds_f64(self) -> f64 {
        split_f64(self.0, NANOS_PER_SEC)
    }

    /// Go's `Duration.Minutes()`.
    pub fn minutes_f64(self) -> f64 {
        split_f64(self.0, 60 * NANOS_PER_SEC)
    }

    /// Go's `Duration.Hours()`.
    pub fn hours_f64(self) -> f64 {
        split_f64(self.0, 3_600 * NANOS_PER_SEC)
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn checked_add(self, other: Duration) -> Option<Duration> {
        match self.0.checked_add(other.0) {
            Some(nanos) => Some(Duration(nanos)),
            None => None,
        }
    }

    pub const fn checked_sub(self, other: Duration) -> Option<Duration> {
        match self.0.checked_sub(other.0) {
            Some(nanos) => Some(Duration(nanos)),
            None => None,
        }
    }
}

/// `whole + rest / unit` where `whole` and `rest` are Go's `d / unit` and `d % unit`.
fn split_f64(nanos: i64, unit: i64) -> f64 {
    (nanos / unit) as f64 + (nanos % unit) as f64 / unit as f64
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, other: Duration) -> Duration {
        Duration(self.0.saturating_add(other.0))
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, other: Duration) -> Duration {
        Duration(self.0.saturating_sub(other.0))
    }
}

impl Neg for Duration {
    type Output = Duration;
    fn neg(self) -> Duration {
        Duration(self.0.saturating_neg())
    }
}

impl AddAssign for Duration {
    fn add_assign(&mut self, other: Duration) {
        *self = *self + other;
    }
}

impl SubAssign for Duration {
    fn sub_assign(&mut self, other: Duration) {
        *self = *self - other;
    }
}

/// Go's `time.Duration.String()` for a whole number of seconds (`0s`, `45s`, `1m5s`,
/// `2h0m3s`), as the docker CLI prints a pull's time left.
pub fn go_duration_seconds(seconds: i64) -> String {
    if seconds == 0 {
        return "0s".to_owned();
    }
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    match (h, m) {
        (0, 0) => format!("{sign}{sec}s"),
        (0, _) => format!("{sign}{m}m{sec}s"),
        _ => format!("{sign}{h}h{m}m{sec}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_float_views_match_go() {
        let d = Duration::from_secs(90) + Duration::from_millis(500);
        assert_eq!(d.seconds_f64(), 90.5);
        assert_eq!(d.minutes_f64(), 90.5 / 60.0);
        assert_eq!(Duration::from_mins(90).hours_f64(), 1.5);
        assert_eq!((-Duration::from_millis(1500)).seconds_f64(), -1.5);
        assert_eq!(Duration::from_millis(-1500).whole_secs(), -1);
    }
    #[test]
    fn duration_operators_saturate() {
        assert_eq!(Duration::MAX + Duration::NANOSECOND, Duration::MAX);
        assert_eq!(Duration::MIN - Duration::NANOSECOND, Duration::MIN);
        assert_eq!(-Duration::MIN, Duration::MAX);
        assert_eq!(Duration::MAX.checked_add(Duration::NANOSECOND), None);
        assert_eq!(Duration::MIN.checked_sub(Duration::NANOSECOND), None);
        assert_eq!(Duration::from_hours(i64::MAX), Duration::MAX);
        let mut d = Duration::SECOND;
        d += Duration::SECOND;
        d -= Duration::MILLISECOND;
        assert_eq!(d, Duration::from_millis(1_999));
    }

    #[test]
    fn serde_is_an_integer_of_nanoseconds() {
        assert_eq!(
            serde_json::to_string(&Duration::SECOND).unwrap(),
            "1000000000"
        );
        assert_eq!(
            serde_json::from_str::<Duration>("-5").unwrap(),
            Duration::from_nanos(-5)
        );
    }

    #[test]
    fn whole_seconds_read_as_go_prints_them() {
        assert_eq!(go_duration_seconds(0), "0s");
        assert_eq!(go_duration_seconds(59), "59s");
        assert_eq!(go_duration_seconds(65), "1m5s");
        assert_eq!(go_duration_seconds(3600), "1h0m0s");
        assert_eq!(go_duration_seconds(7203), "2h0m3s");
        assert_eq!(go_duration_seconds(-65), "-1m5s");
    }
}
