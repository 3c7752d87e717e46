//! Instants as the model and the berth CLI count them: [`Timestamp`] (nanoseconds since the
//! Unix epoch, UTC), with formatting and parsing of Go's `time.RFC3339Nano` (the form Docker
//! puts in JSON) and `time.ANSIC`; spans between instants are Go [`Duration`]s.
//!
//! This module only computes: it never reads a clock. "Now" always comes in from the caller
//! (the model's `Env`, the CLI's edge), which is what keeps the model deterministic.
//!
//! Go's zero time (`0001-01-01T00:00:00Z`, what `docker inspect` shows for a container that
//! never started) lies far outside the range of an `i64` of nanoseconds (1677-09-21 to
//! 2262-04-11), so it is represented by a sentinel, [`Timestamp::ZERO`], which sorts before
//! every other timestamp, formats and parses as Go's zero time, and is never the result of
//! arithmetic on a real timestamp.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::str::FromStr;

use crate::civil::{days_in_month, DateTime, ZERO_TIME_UNIX_SECS};
use crate::duration::Duration;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// An instant: nanoseconds since 1970-01-01T00:00:00Z, or Go's zero time ([`Timestamp::ZERO`]).
///
/// Serialised as its RFC 3339 string with nanoseconds, as Go's `time.Time` is in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

/// Why a string is not an RFC 3339 time the model can hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("invalid RFC 3339 time {input:?}")]
    Syntax { input: String },
    #[error("time {input:?} is outside the range the model can hold (1677-09-21 to 2262-04-11)")]
    OutOfRange { input: String },
}

impl Timestamp {
    /// Go's zero time, `0001-01-01T00:00:00Z`: "never", for a container that never started.
    pub const ZERO: Timestamp = Timestamp(i64::MIN);
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);
    /// The earliest real instant (1677-09-21T00:12:43.145224193Z); one nanosecond earlier is
    /// taken by [`Timestamp::ZERO`].
    pub const MIN: Timestamp = Timestamp(i64::MIN + 1);
    /// The latest instant (2262-04-11T23:47:16.854775807Z).
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    /// The instant `nanos` after the epoch; `i64::MIN` (the sentinel) becomes [`Timestamp::MIN`].
    pub const fn from_unix_nanos(nanos: i64) -> Timestamp {
        if nanos == i64::MIN {
            Timestamp::MIN
        } else {
            Timestamp(nanos)
        }
    }

    /// The instant `secs` after the epoch, clamped to the range a `Timestamp` can hold.
    pub const fn from_unix_seconds(secs: i64) -> Timestamp {
        Timestamp::from_unix_nanos(secs.saturating_mul(NANOS_PER_SEC))
    }

    pub const fn is_zero(self) -> bool {
        self.0 == i64::MIN
    }

    /// Nanoseconds since the epoch, or `None` for Go's zero time, which has no such count in
    /// an `i64`.
    pub const fn unix_nanos(self) -> Option<i64> {
        if self.is_zero() {
            None
        } else {
            Some(self.0)
        }
    }

    /// Go's `Time.Unix()`: seconds since the epoch, rounded toward negative infinity
    /// (`-62135596800` for the zero time). Docker's API reports `Created` this way.
    pub const fn unix_seconds(self) -> i64 {
        self.seconds_and_nanos().0
    }

    /// `Some(self)` for a real instant, `None` for the zero time ("never").
    pub const fn non_zero(self) -> Option<Timestamp> {
        if self.is_zero() {
            None
        } else {
            Some(self)
        }
    }

    /// The instant `d` after this one, or `None` when it leaves the range (or `self` is zero).
    pub const fn checked_add(self, d: Duration) -> Option<Timestamp> {
        if self.is_zero() {
            return None;
        }
        match self.0.checked_add(d.as_nanos()) {
            Some(nanos) if nanos != i64::MIN => Some(Timestamp(nanos)),
            _ => None,
        }
    }

    /// Seconds since the epoch (floored) and the nanoseconds within that second.
    const fn seconds_and_nanos(self) -> (i64, i64) {
        if self.is_zero() {
            (ZERO_TIME_UNIX_SECS, 0)
        } else {
            (
                self.0.div_euclid(NANOS_PER_SEC),
                self.0.rem_euclid(NANOS_PER_SEC),
            )
        }
    }

    /// Go's `t.UTC().Format(time.RFC3339Nano)`: `2024-01-01T00:00:00Z`, `...00.5Z`,
    /// `...00.123456789Z` (the fraction loses its trailing zeros and vanishes when zero).
    pub fn rfc3339_nano(self) -> String {
        let (secs, nanos) = self.seconds_and_nanos();
        let mut out = DateTime::from_unix_seconds(secs).rfc3339_seconds();
        if nanos != 0 {
            let fraction = format!("{nanos:09}");
            out.push('.');
            out.push_str(fraction.trim_end_matches('0'));
        }
        out.push('Z');
        out
    }

    /// Go's `t.UTC().Format(time.ANSIC)`: `Thu May  7 21:09:36 2026` (the day padded with a
    /// space), as `docker version` prints build times.
    pub fn ansic(self) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let (secs, _) = self.seconds_and_nanos();
        let t = DateTime::from_unix_seconds(secs);
        let weekday = DAYS[secs.div_euclid(crate::civil::SECS_PER_DAY).rem_euclid(7) as usize];
        let month = MONTHS[(t.month - 1).clamp(0, 11) as usize];
        format!(
            "{weekday} {month} {:>2} {:02}:{:02}:{:02} {}",
            t.day, t.hour, t.minute, t.second, t.year
        )
    }

    /// Parses what Go's `time.Parse(time.RFC3339Nano, s)` accepts on its strict fast path:
    /// `YYYY-MM-DDTHH:MM:SS`, an optional `.` and one or more digits (beyond nine they are
    /// truncated, as Go does), then `Z` or `±HH:MM`. Leap seconds (`:60`) are rejected, as Go
    /// rejects them.
    pub fn parse_rfc3339(input: &str) -> Result<Timestamp, TimeError> {
        let syntax = || TimeError::Syntax {
            input: input.to_string(),
        };
        let (secs, nanos) = parse_rfc3339_parts(input.as_bytes()).ok_or_else(syntax)?;
        if secs == i128::from(ZERO_TIME_UNIX_SECS) && nanos == 0 {
            return Ok(Timestamp::ZERO);
        }
        let total = secs * i128::from(NANOS_PER_SEC) + i128::from(nanos);
        match i64::try_from(total) {
            Ok(nanos) if nanos != i64::MIN => Ok(Timestamp(nanos)),
            _ => Err(TimeError::OutOfRange {
                input: input.to_string(),
            }),
        }
    }
}

/// Seconds since the epoch (as `i128`, since years 1..9999 overflow nanoseconds) and the
/// nanoseconds of a strict RFC 3339 string, or `None` when it is not one.
fn parse_rfc3339_parts(s: &[u8]) -> Option<(i128, i64)> {
    if s.len() < 19 || [s[4], s[7], s[10], s[13], s[16]] != *b"--T::" {
        return None;
    }
    let year = number(&s[0..4], 0, 9_999)?;
    let month = number(&s[5..7], 1, 12)?;
    let day = number(&s[8..10], 1, days_in_month(year, month))?;
    let hour = number(&s[11..13], 0, 23)?;
    let minute = number(&s[14..16], 0, 59)?;
    let second = number(&s[17..19], 0, 59)?;
    let (nanos, zone) = split_fraction(&s[19..]);
    let offset = parse_zone(zone)?;
    let local = DateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
    };
    let secs = local.unix_seconds() - offset;
    Some((i128::from(secs), nanos))
}

/// The nanoseconds of a leading `.ddd…` (0 when absent) and what follows it.
fn split_fraction(s: &[u8]) -> (i64, &[u8]) {
    if s.len() < 2 || s[0] != b'.' || !s[1].is_ascii_digit() {
        return (0, s);
    }
    let digits = s[1..].iter().take_while(|b| b.is_ascii_digit()).count();
    let nanos = s[1..1 + digits]
        .iter()
        .chain(std::iter::repeat(&b'0'))
        .take(9)
        .fold(0, |acc, b| acc * 10 + i64::from(b - b'0'));
    (nanos, &s[1 + digits..])
}

/// The zone's offset east of UTC in seconds: `Z` is 0, `+HH:MM` and `-HH:MM` as written.
fn parse_zone(zone: &[u8]) -> Option<i64> {
    if zone == b"Z" {
        return Some(0);
    }
    if zone.len() != 6 || zone[3] != b':' {
        return None;
    }
    let hours = number(&zone[1..3], 0, 23)?;
    let minutes = number(&zone[4..6], 0, 59)?;
    match zone[0] {
        b'+' => Some(hours * 3_600 + minutes * 60),
        b'-' => Some(-(hours * 3_600 + minutes * 60)),
        _ => None,
    }
}

/// The decimal number spelled by `digits` (ASCII digits only), if it lies in `min..=max`.
fn number(digits: &[u8], min: i64, max: i64) -> Option<i64> {
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits
        .iter()
        .fold(0, |acc, b| acc * 10 + i64::from(b - b'0'));
    (min..=max).contains(&value).then_some(value)
}

/// Go's `Time.Sub`: the difference, saturated at [`Duration::MIN`]/[`Duration::MAX`] when it
/// overflows. The zero time lies some 2000 years before any real timestamp, so any difference
/// with it saturates, exactly as in Go.
impl Sub for Timestamp {
    type Output = Duration;
    fn sub(self, earlier: Timestamp) -> Duration {
        match (self.is_zero(), earlier.is_zero()) {
            (true, true) => Duration::ZERO,
            (false, true) => Duration::MAX,
            (true, false) => Duration::MIN,
            (false, false) => Duration::from_nanos(self.0.saturating_sub(earlier.0)),
        }
    }
}

/// Moves a real timestamp, clamping to [`Timestamp::MIN`]..=[`Timestamp::MAX`]. The zero time
/// stays the zero time: it stands for "never", and "never" shifted is still "never".
impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        if self.is_zero() {
            return self;
        }
        Timestamp::from_unix_nanos(self.0.saturating_add(d.as_nanos()))
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        self + (-d)
    }
}

impl AddAssign<Duration> for Timestamp {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl SubAssign<Duration> for Timestamp {
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339_nano())
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse_rfc3339(s)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.rfc3339_nano())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn epoch_formats_without_fraction() {
        assert_eq!(Timestamp::UNIX_EPOCH.rfc3339_nano(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn fraction_trims_trailing_zeros() {
        let base = Timestamp::from_unix_seconds(1_704_067_200);
        assert_eq!(base.rfc3339_nano(), "2024-01-01T00:00:00Z");
        assert_eq!(
            (base + Duration::from_millis(500)).rfc3339_nano(),
            "2024-01-01T00:00:00.5Z"
        );
        assert_eq!(
            (base + Duration::from_nanos(123_456_789)).rfc3339_nano(),
            "2024-01-01T00:00:00.123456789Z"
        );
        assert_eq!(
            (base + Duration::NANOSECOND).rfc3339_nano(),
            "2024-01-01T00:00:00.000000001Z"
        );
        assert_eq!(
            (base + Duration::from_nanos(120)).rfc3339_nano(),
            "2024-01-01T00:00:00.00000012Z"
        );
    }

    #[test]
    fn before_epoch_floors_to_the_previous_second() {
        let t = Timestamp::from_unix_nanos(-1);
        assert_eq!(t.rfc3339_nano(), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(t.unix_seconds(), -1);
    }

    #[test]
    fn zero_time_formats_as_go_does() {
        assert_eq!(Timestamp::ZERO.rfc3339_nano(), "0001-01-01T00:00:00Z");
        assert_eq!(Timestamp::ZERO.unix_seconds(), -62_135_596_800);
        assert_eq!(ts("0001-01-01T00:00:00Z"), Timestamp::ZERO);
        assert_eq!(ts("0001-01-01T01:00:00+01:00"), Timestamp::ZERO);
        assert!(Timestamp::ZERO.is_zero());
        assert_eq!(Timestamp::ZERO.unix_nanos(), None);
        assert_eq!(Timestamp::ZERO.non_zero(), None);
    }

    #[test]
    fn zero_time_sorts_first() {
        assert!(Timestamp::ZERO < Timestamp::MIN);
        assert!(Timestamp::ZERO < Timestamp::UNIX_EPOCH);
    }

    #[test]
    fn range_ends_format() {
        assert_eq!(
            Timestamp::MIN.rfc3339_nano(),
            "1677-09-21T00:12:43.145224193Z"
        );
        assert_eq!(
            Timestamp::MAX.rfc3339_nano(),
            "2262-04-11T23:47:16.854775807Z"
        );
        assert_eq!(ts("2262-04-11T23:47:16.854775807Z"), Timestamp::MAX);
        assert_eq!(ts("1677-09-21T00:12:43.145224193Z"), Timestamp::MIN);
    }

    #[test]
    fn outside_the_range_is_an_error() {
        let err = TimeError::OutOfRange {
            input: "2262-04-11T23:47:16.854775808Z".into(),
        };
        assert_eq!(
            Timestamp::parse_rfc3339("2262-04-11T23:47:16.854775808Z"),
            Err(err)
        );
        // One nanosecond before MIN is the sentinel's slot: not a real time we can hold.
        assert!(matches!(
            Timestamp::parse_rfc3339("1677-09-21T00:12:43.145224192Z"),
            Err(TimeError::OutOfRange { .. })
        ));
        assert!(matches!(
            Timestamp::parse_rfc3339("0001-01-01T00:00:01Z"),
            Err(TimeError::OutOfRange { .. })
        ));
    }

    #[test]
    fn parses_offsets_into_utc() {
        assert_eq!(ts("2024-01-01T01:00:00+01:00"), ts("2024-01-01T00:00:00Z"));
        assert_eq!(ts("2023-12-31T23:30:00-00:30"), ts("2024-01-01T00:00:00Z"));
        assert_eq!(ts("2024-01-01T00:00:00+00:00"), ts("2024-01-01T00:00:00Z"));
        assert_eq!(
            ts("2024-01-01T00:00:00+23:59").rfc3339_nano(),
            "2023-12-31T00:01:00Z"
        );
    }

    #[test]
    fn fraction_of_any_length_truncates_to_nanoseconds() {
        assert_eq!(
            ts("2024-01-01T00:00:00.5Z").rfc3339_nano(),
            "2024-01-01T00:00:00.5Z"
        );
        assert_eq!(
            ts("2024-01-01T00:00:00.1234567899Z").rfc3339_nano(),
            "2024-01-01T00:00:00.123456789Z"
        );
        assert_eq!(
            ts("2024-01-01T00:00:00.000Z").rfc3339_nano(),
            "2024-01-01T00:00:00Z"
        );
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            "",
            "2024-01-01",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00Z",
            "2024-01-01t00:00:00Z",
            "2024-01-01T00:00:00z",
            "2024-13-01T00:00:00Z",
            "2024-00-01T00:00:00Z",
            "2024-01-00T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:60Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00+01:60",
            "2024-01-01T00:00:00*01:00",
            "+024-01-01T00:00:00Z",
            "2024-01-01T00:00:00ZZ",
        ] {
            assert!(
                matches!(Timestamp::parse_rfc3339(bad), Err(TimeError::Syntax { .. })),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn leap_days() {
        assert_eq!(
            ts("2024-02-29T00:00:00Z").rfc3339_nano(),
            "2024-02-29T00:00:00Z"
        );
        assert_eq!(
            ts("2000-02-29T12:00:00Z").rfc3339_nano(),
            "2000-02-29T12:00:00Z"
        );
        assert!(Timestamp::parse_rfc3339("1900-02-29T00:00:00Z").is_err());
    }

    #[test]
    fn known_unix_seconds() {
        assert_eq!(
            ts("2025-01-01T00:00:00Z"),
            Timestamp::from_unix_seconds(1_735_689_600)
        );
        assert_eq!(ts("2025-01-01T00:00:00Z").unix_seconds(), 1_735_689_600);
    }

    #[test]
    fn sub_saturates_like_go() {
        let now = ts("2025-01-01T00:00:00Z");
        assert_eq!(now - Timestamp::ZERO, Duration::MAX);
        assert_eq!(Timestamp::ZERO - now, Duration::MIN);
        assert_eq!(Timestamp::ZERO - Timestamp::ZERO, Duration::ZERO);
        assert_eq!(Timestamp::MAX - Timestamp::MIN, Duration::MAX);
        assert_eq!(Timestamp::MIN - Timestamp::MAX, Duration::MIN);
        assert_eq!((now + Duration::SECOND) - now, Duration::SECOND);
    }

    #[test]
    fn add_clamps_and_keeps_zero() {
        assert_eq!(Timestamp::MAX + Duration::SECOND, Timestamp::MAX);
        assert_eq!(Timestamp::MIN - Duration::SECOND, Timestamp::MIN);
        assert_eq!(Timestamp::MIN + Duration::MIN, Timestamp::MIN);
        assert_eq!(Timestamp::ZERO + Duration::HOUR, Timestamp::ZERO);
        assert_eq!(Timestamp::ZERO.checked_add(Duration::HOUR), None);
        assert_eq!(Timestamp::MAX.checked_add(Duration::NANOSECOND), None);
        assert_eq!(Timestamp::MIN.checked_add(-Duration::NANOSECOND), None);
        let mut t = Timestamp::UNIX_EPOCH;
        t += Duration::MINUTE;
        t -= Duration::SECOND;
        assert_eq!(t, Timestamp::from_unix_seconds(59));
    }

    #[test]
    fn from_unix_seconds_clamps() {
        assert_eq!(Timestamp::from_unix_seconds(i64::MAX), Timestamp::MAX);
        assert_eq!(Timestamp::from_unix_seconds(i64::MIN), Timestamp::MIN);
        assert_eq!(Timestamp::from_unix_nanos(i64::MIN), Timestamp::MIN);
    }

    #[test]
    fn serde_uses_go_json_forms() {
        let t = ts("2024-01-01T00:00:00.5Z");
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2024-01-01T00:00:00.5Z\""
        );
        assert_eq!(
            serde_json::from_str::<Timestamp>("\"2024-01-01T00:00:00.5Z\"").unwrap(),
            t
        );
        assert_eq!(
            serde_json::to_string(&Timestamp::ZERO).unwrap(),
            "\"0001-01-01T00:00:00Z\""
        );
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }

    #[test]
    fn ansic_pads_the_day_as_go_does() {
        let t = Timestamp::parse_rfc3339("2026-05-07T21:09:36.000000000+00:00").unwrap();
        assert_eq!(t.ansic(), "Thu May  7 21:09:36 2026");
        assert_eq!(
            Timestamp::from_unix_seconds(0).ansic(),
            "Thu Jan  1 00:00:00 1970"
        );
        let t = Timestamp::parse_rfc3339("2025-05-30T12:07:14Z").unwrap();
        assert_eq!(t.ansic(), "Fri May 30 12:07:14 2025");
    }

    proptest! {
        #[test]
        fn format_parse_round_trip(nanos in (i64::MIN + 1)..=i64::MAX) {
            let t = Timestamp::from_unix_nanos(nanos);
            prop_assert_eq!(ts(&t.rfc3339_nano()), t);
        }

        #[test]
        fn sub_then_add_is_identity(a in -4_000_000_000_000_000_000i64..4_000_000_000_000_000_000,
                                    b in -4_000_000_000_000_000_000i64..4_000_000_000_000_000_000) {
            let (a, b) = (Timestamp::from_unix_nanos(a), Timestamp::from_unix_nanos(b));
            prop_assert_eq!(b + (a - b), a);
        }
    }
}
