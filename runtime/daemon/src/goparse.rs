//! Numbers and timestamps in query strings, read as dockerd 20.10 reads them, with its texts:
//! Go's `strconv.Atoi` and `strconv.ParseInt(s, 10, 64)` (optional sign, decimal digits, 64
//! bits; `strconv.Atoi: parsing "x": invalid syntax`, `... value out of range`), Go's
//! `strconv.Quote` for those texts, and docker's `ParseTimestamps` (`SECONDS[.FRACTION]`) for
//! `logs`' `since`/`until`. Pure, linear in the input, and total: nothing here can overflow
//! or panic, whatever a client sends.

/// Why a number did not parse, as Go's `strconv.NumError` says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumError {
    /// `Atoi` or `ParseInt`.
    func: &'static str,
    /// The text as the client sent it.
    num: String,
    range: bool,
}

impl std::fmt::Display for NumError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = match self.range {
            true => "value out of range",
            false => "invalid syntax",
        };
        write!(
            f,
            "strconv.{}: parsing {}: {why}",
            self.func,
            quote(&self.num)
        )
    }
}

/// Go's `strconv.Atoi` on a 64-bit machine.
pub fn atoi(text: &str) -> Result<i64, NumError> {
    parse_i64(text).map_err(|range| NumError {
        func: "Atoi",
        num: text.to_string(),
        range,
    })
}

/// Go's `strconv.ParseInt(text, 10, 64)`.
pub fn parse_int(text: &str) -> Result<i64, NumError> {
    parse_i64(text).map_err(|range| NumError {
        func: "ParseInt",
        num: text.to_string(),
        range,
    })
}

/// The digits are scanned left to right and the first problem wins, as in Go: a digit that
/// overflows is a range error even if a bad character follows. `Err(true)` is a range error.
fn parse_i64(text: &str) -> Result<i64, bool> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    if digits.is_empty() {
        return Err(false);
    }
    let mut n: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(false);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(c - b'0')))
            .ok_or(true)?;
    }
    match negative {
        false => i64::try_from(n).map_err(|_| true),
        // -2^63 fits although 2^63 does not.
        true => 0i64.checked_sub_unsigned(n).ok_or(true),
    }
}

/// Go's `strconv.Quote` (berth-format's).
pub use berth_core::go_json::go_quote as quote;

/// docker's `ParseTimestamps` for `logs`' `since` and `until`: `SECONDS` or
/// `SECONDS.FRACTION`, each part a Go `ParseInt`, the fraction scaled to nanoseconds by its
/// length (so `1.5` is 1.5 s, and a sign or extra digits count in that length, as in docker).
/// Answers Unix nanoseconds as Go's `time.Unix` then holds them (see [`go_unix_nanos`]).
pub fn timestamp_nanos(text: &str) -> Result<i128, NumError> {
    let (secs, fraction) = match text.split_once('.') {
        Some((secs, fraction)) => (secs, Some(fraction)),
        None => (text, None),
    };
    let secs = parse_int(secs)?;
    let Some(fraction) = fraction else {
        return Ok(go_unix_nanos(secs, 0));
    };
    let n = parse_int(fraction)?;
    let digits = i32::try_from(fraction.len()).unwrap_or(i32::MAX);
    // docker's float arithmetic; the result is always below a second in magnitude.
    let nanos = (n as f64 * 10f64.powi(9i32.saturating_sub(digits))) as i64;
    Ok(go_unix_nanos(secs, nanos))
}

/// Seconds between Go's internal epoch (year 1) and the Unix epoch.
const UNIX_TO_INTERNAL: i64 = 62_135_596_800;

/// Go's `time.Unix(secs, nanos)` as a point in Unix nanoseconds. Go keeps the seconds since
/// year 1 in an `int64` that wraps silently, so a `since` near `MaxInt64` seconds lands in the
/// distant past there; reproducing the wrap keeps every answer dockerd's.
fn go_unix_nanos(secs: i64, nanos: i64) -> i128 {
    let (carry, nanos) = (
        nanos.div_euclid(1_000_000_000),
        nanos.rem_euclid(1_000_000_000),
    );
    let internal = secs.wrapping_add(carry).wrapping_add(UNIX_TO_INTERNAL);
    let unix = i128::from(internal) - i128::from(UNIX_TO_INTERNAL);
    unix * 1_000_000_000 + i128::from(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_reads_and_words_errors_as_go_does() {
        assert_eq!(atoi("42"), Ok(42));
        assert_eq!(atoi("+7"), Ok(7));
        assert_eq!(atoi("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(atoi("9223372036854775807"), Ok(i64::MAX));
        let e = |s: &str| atoi(s).unwrap_err().to_string();
        assert_eq!(e("soon"), r#"strconv.Atoi: parsing "soon": invalid syntax"#);
        assert_eq!(e(""), r#"strconv.Atoi: parsing "": invalid syntax"#);
        assert_eq!(e("-"), r#"strconv.Atoi: parsing "-": invalid syntax"#);
        assert_eq!(e(" 1"), r#"strconv.Atoi: parsing " 1": invalid syntax"#);
        assert_eq!(e("1.5"), r#"strconv.Atoi: parsing "1.5": invalid syntax"#);
        assert_eq!(
            e("9223372036854775808"),
            r#"strconv.Atoi: parsing "9223372036854775808": value out of range"#
        );
        // The overflow is met before the bad character.
        assert_eq!(
            e("99999999999999999999x"),
            r#"strconv.Atoi: parsing "99999999999999999999x": value out of range"#
        );
        assert_eq!(
            e("1_000"),
            r#"strconv.Atoi: parsing "1_000": invalid syntax"#
        );
    }

    #[test]
    fn quotes_escape_as_go_quotes() {
        assert_eq!(quote("a\"b\\c\n\u{1}é"), r#""a\"b\\c\n\x01é""#);
    }

    #[test]
    fn timestamps_parse_as_docker_parses_them() {
        const S: i128 = 1_000_000_000;
        assert_eq!(timestamp_nanos("12"), Ok(12 * S));
        assert_eq!(timestamp_nanos("12.5"), Ok(12 * S + S / 2));
        assert_eq!(timestamp_nanos("12.1234567891"), Ok(12 * S + 123_456_789));
        assert_eq!(timestamp_nanos("-1"), Ok(-S));
        // A signed fraction counts its sign as a digit: "-5" is -0.05 s.
        assert_eq!(timestamp_nanos("1.-5"), Ok(S - 50_000_000));
        assert_eq!(
            timestamp_nanos("1.5.5").unwrap_err().to_string(),
            r#"strconv.ParseInt: parsing "5.5": invalid syntax"#
        );
        assert_eq!(
            timestamp_nanos("99999999999999999999")
                .unwrap_err()
                .to_string(),
            r#"strconv.ParseInt: parsing "99999999999999999999": value out of range"#
        );
        // Go's wrap: the largest second is far in the past.
        assert!(timestamp_nanos("9223372036854775807").unwrap() < 0);
    }
}
