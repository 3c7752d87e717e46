//! Instants and spans of time as the model counts them: [`Timestamp`] (nanoseconds since the
//! Unix epoch, UTC) and [`Duration`] (signed nanoseconds, like Go's `time.Duration`), with
//! formatting and parsing of Go's `time.RFC3339Nano`, the form Docker puts in JSON.
//!
//! This module only computes: it never reads a clock. "Now" always comes in from the caller
//! (through `env::Env`), which is what keeps the model deterministic.
//!
//! Go's zero time (`0001-01-01T00:00:00Z`, what `docker inspect` shows for a container that
//! never started) lies far outside the range of an `i64` of nanoseconds (1677-09-21 to
//! 2262-04-11), so it is represented by a sentinel, [`Timestamp::ZERO`], which sorts before
//! every other timestamp, formats and parses as Go's zero time, and is never the result of
//! arithmetic on a real timestamp.

use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;
/// Seconds from Go's zero time (0001-01-01T00:00:00Z) to the Unix epoch, negated.
const ZERO_TIME_UNIX_SECS: i64 = -62_135_596_800;

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
        match self.0.checked_add(d.0) {
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
        let (year, month, day) = civil_from_days(secs.div_euclid(SECS_PER_DAY));
        let of_day = secs.rem_euclid(SECS_PER_DAY);
        let (hour, minute, second) = (of_day / 3_600, of_day / 60 % 60, of_day % 60);
        let mut out = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
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
        let days = secs.div_euclid(SECS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let of_day = secs.rem_euclid(SECS_PER_DAY);
        let (hour, minute, second) = (of_day / 3_600, of_day / 60 % 60, of_day % 60);
        let weekday = DAYS[days.rem_euclid(7) as usize];
        let month = MONTHS[(month - 1).clamp(0, 11) as usize];
        format!("{weekday} {month} {day:>2} {hour:02}:{minute:02}:{second:02} {year}")
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
    let days = days_from_civil(year, month, day);
    let secs = days * SECS_PER_DAY + hour * 3_600 + minute * 60 + second - offset;
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

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
            (false, false) => Duration(self.0.saturating_sub(earlier.0)),
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
        Timestamp::from_unix_nanos(self.0.saturating_add(d.0))
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

    #[test]
    fn civil_round_trip_over_four_centuries() {
        for days in (-146_097 * 2..146_097).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1, 1, 1), ZERO_TIME_UNIX_SECS / SECS_PER_DAY);
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
