//! The runtime's one timestamp: an instant in Unix seconds and nanoseconds, with the offset from
//! UTC it was written in, formatted and parsed as dockerd prints and reads them. Image configs
//! carry `created` in RFC 3339 with any offset, which Docker's inspect prints back in that
//! offset; container records, log lines and API answers are in UTC; Go's zero time
//! (`0001-01-01T00:00:00Z`) stands for "never" and for a missing `created`.
//!
//! It owns the runtime's parsing and printing of instants only; the calendar arithmetic is
//! berth-format's `civil`, and spans between instants are Go durations (`berth_format::Duration`).
//! Only [`Timestamp::now`] reads the clock; everything else is pure.

use std::fmt;
use std::ops::Sub;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use berth_format::civil::{DateTime, ZERO_TIME_UNIX_SECS};
use berth_format::Duration;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{ErrorKind, Kind};

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// An instant: Unix seconds, nanoseconds within the second, and the offset from UTC (seconds
/// east) it is written in. Equality and order compare the three in that order, so the same
/// instant written in two offsets is two values, as Go's `==` on `time.Time` has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix: i64,
    nanos: u32,
    offset_secs: i32,
}

/// Why a string is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RFC 3339 time {input:?}")]
pub struct TimeError {
    pub input: String,
}

impl Kind for TimeError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidParameter
    }
}

impl Timestamp {
    /// Go's zero time, `0001-01-01T00:00:00Z`: "never", and what Docker reports for a missing
    /// `created`. It sorts before every real instant.
    pub const ZERO: Timestamp = Timestamp {
        unix: ZERO_TIME_UNIX_SECS,
        nanos: 0,
        offset_secs: 0,
    };

    /// The current time in UTC: the one place the runtime's timestamps read the clock.
    pub fn now() -> Timestamp {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp {
            unix: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            nanos: since.subsec_nanos(),
            offset_secs: 0,
        }
    }

    /// The UTC instant `nanos` after the Unix epoch (clamped to what `i64` seconds hold).
    pub fn from_unix_nanos(nanos: i128) -> Timestamp {
        let secs = nanos.div_euclid(NANOS_PER_SEC);
        Timestamp {
            unix: i64::try_from(secs).unwrap_or(if secs < 0 { i64::MIN } else { i64::MAX }),
            nanos: nanos.rem_euclid(NANOS_PER_SEC) as u32,
            offset_secs: 0,
        }
    }

    /// Go's `Time.Unix()`: whole seconds since the epoch, floored.
    pub fn unix_seconds(self) -> i64 {
        self.unix
    }

    /// Go's `Time.Nanosecond()`: the nanoseconds within the second.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// Go's `IsZero`: whether this is the zero time, in whatever offset it was written.
    pub fn is_zero(self) -> bool {
        self.unix == ZERO_TIME_UNIX_SECS && self.nanos == 0
    }

    /// Nanoseconds since the Unix epoch; `None` for the zero time ("never").
    pub fn unix_nanos(self) -> Option<i128> {
        if self.is_zero() {
            return None;
        }
        Some(self.total_nanos())
    }

    fn total_nanos(self) -> i128 {
        i128::from(self.unix) * NANOS_PER_SEC + i128::from(self.nanos)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, keeping the offset for printing. It is
    /// as lenient as the image store has always been with configs (a lowercase `t`/`z`, a leap
    /// second, a day past the month's end carried over), since an image with an odd `created`
    /// must still list; beyond nine fraction digits the rest is dropped, as Go does.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> { text.get(r)?.parse().ok() };
        let local = DateTime {
            year: num(0..4)?,
            month: num(5..7)?,
            day: num(8..10)?,
            hour: num(11..13)?,
            minute: num(14..16)?,
            second: num(17..19)?,
        };
        let in_range = (1..=12).contains(&local.month)
            && (1..=31).contains(&local.day)
            && local.hour <= 23
            && local.minute <= 59
            && local.second <= 60;
        if !in_range {
            return None;
        }
        let (nanos, rest) = parse_fraction(&text[19..])?;
        let offset_secs = parse_offset(rest)?;
        Some(Timestamp {
            unix: local.unix_seconds() - i64::from(offset_secs),
            nanos,
            offset_secs,
        })
    }

    /// Go's `Format(time.RFC3339Nano)`: trailing zeros of the fraction dropped, `Z` for UTC,
    /// the parsed offset kept otherwise.
    pub fn rfc3339_nano(&self) -> String {
        let mut out = self.local().rfc3339_seconds();
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        out.push_str(&self.zone());
        out
    }

    /// The docker CLI's and dockerd's `RFC3339NanoFixed`
    /// (`2006-01-02T15:04:05.000000000Z07:00`): always nine fraction digits, as `logs -t` and
    /// the pull progress's timestamps print.
    pub fn rfc3339_nano_fixed(&self) -> String {
        format!(
            "{}.{:09}{}",
            self.local().rfc3339_seconds(),
            self.nanos,
            self.zone()
        )
    }

    fn local(&self) -> DateTime {
        DateTime::from_unix_seconds(self.unix.saturating_add(i64::from(self.offset_secs)))
    }

    fn zone(&self) -> String {
        if self.offset_secs == 0 {
            return "Z".to_owned();
        }
        let sign = if self.offset_secs < 0 { '-' } else { '+' };
        let off = self.offset_secs.unsigned_abs();
        format!("{sign}{:02}:{:02}", off / 3600, off / 60 % 60)
    }
}

fn parse_fraction(text: &str) -> Option<(u32, &str)> {
    let Some(rest) = text.strip_prefix('.') else {
        return Some((0, text));
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let kept: String = rest[..digits].chars().take(9).collect();
    let nanos = format!("{kept:0<9}").parse().ok()?;
    Some((nanos, &rest[digits..]))
}

fn parse_offset(text: &str) -> Option<i32> {
    if text == "Z" || text == "z" {
        return Some(0);
    }
    let b = text.as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours: i32 = text[1..3].parse().ok()?;
    let mins: i32 = text[4..6].parse().ok()?;
    Some(sign * (hours * 3600 + mins * 60))
}

/// Go's `Time.Sub`: the span between two instants, saturated at the ends of a Go duration.
impl Sub for Timestamp {
    type Output = Duration;

    fn sub(self, earlier: Timestamp) -> Duration {
        let nanos = self.total_nanos() - earlier.total_nanos();
        let nanos = i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX });
        Duration::from_nanos(nanos)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339_nano())
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Timestamp, TimeError> {
        Timestamp::parse(s).ok_or_else(|| TimeError {
            input: s.to_owned(),
        })
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn parses_utc_with_and_without_fraction() {
        let t = ts("2026-11-27T13:43:49.098383598Z");
        assert_eq!(t.unix_seconds(), 1_795_787_029);
        assert_eq!(t.subsec_nanos(), 98_383_598);
        assert_eq!(ts("1970-01-01T00:00:00Z").unix_seconds(), 0);
    }

    #[test]
    fn offsets_shift_to_utc_and_are_kept_for_printing() {
        let t = ts("1970-01-01T01:00:00+01:00");
        assert_eq!(t.unix_seconds(), 0);
        assert_eq!(t.rfc3339_nano(), "1970-01-01T01:00:00+01:00");
        assert_eq!(
            t.rfc3339_nano_fixed(),
            "1970-01-01T01:00:00.000000000+01:00"
        );
    }

    #[test]
    fn prints_like_go_rfc3339_nano() {
        assert_eq!(
            ts("2024-02-29T23:59:59.500000000Z").rfc3339_nano(),
            "2024-02-29T23:59:59.5Z"
        );
        assert_eq!(
            ts("2026-11-27T13:41:42.81934675Z").to_string(),
            "2026-11-27T13:41:42.81934675Z"
        );
        assert_eq!(
            Timestamp::from_unix_nanos(0).to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix_nanos(1_704_067_200_000_000_001).to_string(),
            "2024-01-01T00:00:00.000000001Z"
        );
    }

    #[test]
    fn fixed_form_pads_the_fraction_to_nine_digits() {
        let t = Timestamp::from_unix_nanos(1_500_000_000);
        assert_eq!(t.rfc3339_nano_fixed(), "1970-01-01T00:00:01.500000000Z");
        assert_eq!(
            Timestamp::from_unix_nanos(1_700_000_000_123_456_789).rfc3339_nano_fixed(),
            "2023-11-14T22:13:20.123456789Z"
        );
        assert_eq!(
            Timestamp::ZERO.rfc3339_nano_fixed(),
            "0001-01-01T00:00:00.000000000Z"
        );
    }

    #[test]
    fn the_zero_time_is_never() {
        assert_eq!(Timestamp::ZERO.to_string(), "0001-01-01T00:00:00Z");
        assert_eq!(ts("0001-01-01T00:00:00Z"), Timestamp::ZERO);
        assert!(Timestamp::ZERO.is_zero());
        assert_eq!(Timestamp::ZERO.unix_nanos(), None);
        assert!(Timestamp::ZERO < Timestamp::from_unix_nanos(i128::from(i64::MIN)));
        assert_eq!(Timestamp::from_unix_nanos(5).unix_nanos(), Some(5));
    }

    #[test]
    fn before_the_epoch_floors() {
        let t = Timestamp::from_unix_nanos(-1);
        assert_eq!(t.unix_seconds(), -1);
        assert_eq!(t.to_string(), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "2024-13-01T00:00:00Z",
            "yesterday",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad}");
            assert_eq!(
                bad.parse::<Timestamp>().unwrap_err().kind(),
                ErrorKind::InvalidParameter
            );
        }
    }

    #[test]
    fn sub_is_a_go_duration() {
        let a = ts("2024-01-01T00:00:01.5Z");
        let b = ts("2024-01-01T01:00:00+01:00");
        assert_eq!(a - b, Duration::from_millis(1_500));
        assert_eq!(b - a, Duration::from_millis(-1_500));
        let far = Timestamp::from_unix_nanos(i128::from(i64::MAX) * 4);
        assert_eq!(far - Timestamp::ZERO, Duration::MAX);
    }

    #[test]
    fn serde_uses_the_rfc3339_nano_string() {
        let t = ts("2024-01-01T00:00:00.5Z");
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2024-01-01T00:00:00.5Z\""
        );
        assert_eq!(
            serde_json::from_str::<Timestamp>("\"2024-01-01T00:00:00.5Z\"").unwrap(),
            t
        );
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }
}
