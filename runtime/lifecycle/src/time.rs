//! Timestamps as Docker writes them: Go's `time.RFC3339Nano` in UTC (trailing zeros of the
//! fraction dropped), and Go's zero time `0001-01-01T00:00:00Z` for "never". Formatting is pure;
//! only [`Timestamp::now`] reads the clock.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Nanoseconds since the Unix epoch; `None` is Go's zero time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(Option<i128>);

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(None);

    pub fn from_unix_nanos(nanos: i128) -> Timestamp {
        Timestamp(Some(nanos))
    }

    pub fn now() -> Timestamp {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(Some(d.as_nanos() as i128))
    }

    pub fn is_zero(self) -> bool {
        self.0.is_none()
    }

    /// Nanoseconds since the Unix epoch; `None` for the zero time.
    pub fn unix_nanos(self) -> Option<i128> {
        self.0
    }

    fn parse(s: &str) -> Option<Timestamp> {
        if s == "0001-01-01T00:00:00Z" {
            return Some(Timestamp::ZERO);
        }
        let s = s.strip_suffix('Z')?;
        let (date, clock) = s.split_once('T')?;
        let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
        let (y, m, day) = (d.next()??, d.next()??, d.next()??);
        let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
        let mut t = hms.splitn(3, ':').map(|p| p.parse::<i64>().ok());
        let (h, min, sec) = (t.next()??, t.next()??, t.next()??);
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let nanos: i128 = format!("{frac:0<9}").parse().ok()?;
        let secs = days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60 + sec;
        Some(Timestamp(Some(secs as i128 * 1_000_000_000 + nanos)))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(nanos) = self.0 else {
            return f.write_str("0001-01-01T00:00:00Z");
        };
        let secs = nanos.div_euclid(1_000_000_000) as i64;
        let frac = nanos.rem_euclid(1_000_000_000);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let s = secs.rem_euclid(86_400);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        )?;
        if frac != 0 {
            let digits = format!("{frac:09}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        f.write_str("Z")
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
        Timestamp::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("bad time {s:?}")))
    }
}

// Howard Hinnant's civil calendar algorithms (public domain), proleptic Gregorian, UTC.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_gos_rfc3339nano() {
        let t = Timestamp::parse("2026-11-27T13:41:42.81934675Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-27T13:41:42.81934675Z");
        assert_eq!(
            Timestamp::from_unix_nanos(0).to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix_nanos(1_704_067_200_000_000_001).to_string(),
            "2024-01-01T00:00:00.000000001Z"
        );
        assert_eq!(Timestamp::ZERO.to_string(), "0001-01-01T00:00:00Z");
        assert!(Timestamp::parse("0001-01-01T00:00:00Z").unwrap().is_zero());
    }
}
