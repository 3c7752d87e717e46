//! The prune filters' `until` value, read as dockerd reads it (docker's `GetTimestamp`): a Go
//! duration before now (`24h`, `1h30m`, `90s`), an RFC 3339 time or date (`2026-11-27`,
//! `2026-11-27T10:00:00Z`, the zone defaulting to UTC, this host's), or Unix seconds with an
//! optional fraction (`1700000000.5`).

use berth_core::Timestamp;

/// Unix nanoseconds, or dockerd's words for a value that is none of the above.
pub fn parse_until(value: &str, now_nanos: i128) -> Result<i128, String> {
    let fail = || format!("failed to parse value as time or duration: {value:?}");
    if value != "0" {
        if let Some(d) = go_duration_nanos(value) {
            return Ok(now_nanos - d);
        }
    }
    if value.contains('-') {
        return rfc3339_nanos(value).ok_or_else(fail);
    }
    unix_nanos(value).ok_or_else(fail)
}

/// Go's `time.ParseDuration`: an optional sign, then decimal numbers (with an optional
/// fraction) each with a unit, in integer nanoseconds with Go's overflow checks (a duration
/// beyond about 292 years is not a duration).
fn go_duration_nanos(text: &str) -> Option<i128> {
    let (negative, mut rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    const LIMIT: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let (whole, fraction, scale, after) = go_duration_number(rest)?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let unit: u64 = match &after[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = &after[unit_len..];
        if whole > LIMIT / unit {
            return None;
        }
        // Go's float for the fraction: nanosecond-exact up to an hour's fraction.
        let part = whole * unit + (fraction as f64 * (unit as f64 / scale)) as u64;
        total = total.checked_add(part).filter(|&t| t <= LIMIT)?;
    }
    match negative {
        true => Some(-i128::from(total)),
        false => (total < LIMIT).then_some(i128::from(total)),
    }
}

/// One number of a Go duration: its whole part, its fraction's digits and their scale (Go
/// stops adding digits to a fraction once more would overflow), and the text after it. At
/// least one digit is required, before or after the point.
fn go_duration_number(text: &str) -> Option<(u64, u64, f64, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let mut whole: u64 = 0;
    for c in text[..digits].bytes() {
        whole = whole
            .checked_mul(10)?
            .checked_add(u64::from(c - b'0'))
            .filter(|&w| w <= 1 << 63)?;
    }
    let Some(after_point) = text[digits..].strip_prefix('.') else {
        return (digits > 0).then_some((whole, 0, 1.0, &text[digits..]));
    };
    let fraction_digits = after_point.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 && fraction_digits == 0 {
        return None;
    }
    let (mut fraction, mut scale) = (0u64, 1.0f64);
    for c in after_point[..fraction_digits].bytes() {
        if fraction > ((1 << 63) - 1) / 10 {
            break;
        }
        let next = fraction * 10 + u64::from(c - b'0');
        if next > 1 << 63 {
            break;
        }
        (fraction, scale) = (next, scale * 10.0);
    }
    Some((whole, fraction, scale, &after_point[fraction_digits..]))
}

/// A date, or a date and time with an optional fraction and zone (UTC when none is given).
fn rfc3339_nanos(text: &str) -> Option<i128> {
    let full = match text.len() {
        10 => format!("{text}T00:00:00Z"),
        _ if text.ends_with(['Z', 'z']) || has_offset(text) => text.to_string(),
        _ => format!("{text}Z"),
    };
    let t = Timestamp::parse(&full)?;
    Some(i128::from(t.unix_seconds()) * 1_000_000_000 + i128::from(t.subsec_nanos()))
}

/// Whether the time part ends in `+HH:MM` or `-HH:MM`.
fn has_offset(text: &str) -> bool {
    let time = text.split_once(['T', 't']).map_or("", |(_, t)| t);
    time.contains(['+', '-'])
}

/// Unix seconds with an optional fraction (`12`, `12.5`), as docker's `ParseTimestamps`
/// reads them (64-bit seconds), in nanoseconds.
fn unix_nanos(text: &str) -> Option<i128> {
    crate::goparse::timestamp_nanos(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i128 = 1_800_000_000 * 1_000_000_000;
    const S: i128 = 1_000_000_000;

    #[test]
    fn durations_count_back_from_now() {
        assert_eq!(parse_until("24h", NOW), Ok(NOW - 86_400 * S));
        assert_eq!(parse_until("1h30m", NOW), Ok(NOW - 5_400 * S));
        assert_eq!(parse_until("1.5s", NOW), Ok(NOW - 1_500_000_000));
        assert_eq!(parse_until("250ms", NOW), Ok(NOW - 250_000_000));
    }

    #[test]
    fn times_dates_and_unix_seconds_are_absolute() {
        assert_eq!(parse_until("0", NOW), Ok(0));
        assert_eq!(
            parse_until("1700000000.5", NOW),
            Ok(1_700_000_000 * S + S / 2)
        );
        assert_eq!(parse_until("1970-01-02", NOW), Ok(86_400 * S));
        assert_eq!(parse_until("1970-01-01T01:00:00Z", NOW), Ok(3_600 * S));
        assert_eq!(parse_until("1970-01-01T01:00:00", NOW), Ok(3_600 * S));
        assert_eq!(parse_until("1970-01-01T02:00:00+01:00", NOW), Ok(3_600 * S));
    }

    #[test]
    fn anything_else_is_dockerds_error() {
        let huge = "99999999999999999999999999999999999999999";
        for bad in [
            "bogus",
            "10x",
            "1970-13-01",
            "",
            "1.2.3",
            huge,
            "9999999999h",
            ".s",
        ] {
            assert_eq!(
                parse_until(bad, NOW),
                Err(format!(
                    "failed to parse value as time or duration: {bad:?}"
                )),
                "{bad}"
            );
        }
    }
}
