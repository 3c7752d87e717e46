//! RFC 3339 timestamps as image configs carry them (`created`), read into Unix time for sorting
//! and listing, and written back the way Go's `time.RFC3339Nano` prints them (trailing zeros of
//! the fraction dropped, `Z` for UTC, the parsed offset kept otherwise), because Docker's
//! inspect reformats `Created` that way. It owns only calendar arithmetic; it never reads the
//! clock except in `now`.

use std::time::{SystemTime, UNIX_EPOCH};

/// A parsed instant: Unix seconds, nanoseconds, and the offset from UTC it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    pub unix: i64,
    pub nanos: u32,
    pub offset_secs: i32,
}

/// Go's zero `time.Time` (0001-01-01T00:00:00Z), what Docker reports for a missing `created`.
pub const ZERO: Timestamp = Timestamp {
    unix: -62_135_596_800,
    nanos: 0,
    offset_secs: 0,
};

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> { text.get(r)?.parse().ok() };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || min > 59
            || sec > 60
        {
            return None;
        }
        let (nanos, rest) = parse_fraction(&text[19..])?;
        let offset_secs = parse_offset(rest)?;
        let days = days_from_civil(year, month, day);
        let unix = days * 86_400 + hour * 3600 + min * 60 + sec - i64::from(offset_secs);
        Some(Timestamp {
            unix,
            nanos,
            offset_secs,
        })
    }

    /// The current time in UTC.
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

    /// Go's `Format(time.RFC3339Nano)`.
    pub fn rfc3339_nano(&self) -> String {
        let local = self.unix + i64::from(self.offset_secs);
        let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        let mut out = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        if self.offset_secs == 0 {
            out.push('Z');
        } else {
            let sign = if self.offset_secs < 0 { '-' } else { '+' };
            let off = self.offset_secs.unsigned_abs();
            out.push_str(&format!("{sign}{:02}:{:02}", off / 3600, off / 60 % 60));
        }
        out
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

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_with_and_without_fraction() {
        let t = Timestamp::parse("2026-11-27T13:43:49.098383598Z").unwrap();
        assert_eq!(t.unix, 1_795_787_029);
        assert_eq!(t.nanos, 98_383_598);
        assert_eq!(Timestamp::parse("1970-01-01T00:00:00Z").unwrap().unix, 0);
    }

    #[test]
    fn offsets_shift_to_utc_and_are_kept_for_printing() {
        let t = Timestamp::parse("1970-01-01T01:00:00+01:00").unwrap();
        assert_eq!(t.unix, 0);
        assert_eq!(t.rfc3339_nano(), "1970-01-01T01:00:00+01:00");
    }

    #[test]
    fn prints_like_go_rfc3339_nano() {
        let t = Timestamp::parse("2024-02-29T23:59:59.500000000Z").unwrap();
        assert_eq!(t.rfc3339_nano(), "2024-02-29T23:59:59.5Z");
        assert_eq!(ZERO.rfc3339_nano(), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn rejects_malformed_text() {
        assert!(Timestamp::parse("2024-13-01T00:00:00Z").is_none());
        assert!(Timestamp::parse("yesterday").is_none());
        assert!(Timestamp::parse("2024-01-01T00:00:00").is_none());
    }
}
