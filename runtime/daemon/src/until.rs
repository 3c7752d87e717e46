//! The prune filters' `until` value, read as dockerd reads it (docker's `GetTimestamp`): a Go
//! duration before now (`24h`, `1h30m`, `90s`), an RFC 3339 time or date (`2026-11-27`,
//! `2026-11-27T10:00:00Z`, the zone defaulting to UTC, this host's), or Unix seconds with an
//! optional fraction (`1700000000.5`).

use berth_store::time::Timestamp;

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

/// Go's `time.ParseDuration`: an optional sign, then decimal numbers each with a unit.
fn go_duration_nanos(text: &str) -> Option<i128> {
    let (sign, mut rest) = match text.as_bytes().first()? {
        b'-' => (-1, &text[1..]),
        b'+' => (1, &text[1..]),
        _ => (1, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    Some(sign * total as i128)
}

/// A date, or a date and time with an optional fraction and zone (UTC when none is given).
fn rfc3339_nanos(text: &str) -> Option<i128> {
    let full = match text.len() {
        10 => format!("{text}T00:00:00Z"),
        _ if text.ends_with(['Z', 'z']) || has_offset(text) => text.to_string(),
        _ => format!("{text}Z"),
    };
    let t = Timestamp::parse(&full)?;
    Some(i128::from(t.unix) * 1_000_000_000 + i128::from(t.nanos))
}

/// Whether the time part ends in `+HH:MM` or `-HH:MM`.
fn has_offset(text: &str) -> bool {
    let time = text.split_once(['T', 't']).map_or("", |(_, t)| t);
    time.contains(['+', '-'])
}

/// Unix seconds with an optional fraction of up to nine digits (`12`, `12.5`), in nanoseconds.
pub(crate) fn unix_nanos(text: &str) -> Option<i128> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    if secs.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i128 = secs.parse().ok()?;
    let nanos: i128 = format!("{frac:0<9}").parse().ok()?;
    Some(secs * 1_000_000_000 + nanos)
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
        for bad in ["bogus", "10x", "1970-13-01", "", "1.2.3"] {
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
