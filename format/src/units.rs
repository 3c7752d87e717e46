//! Human-readable durations and sizes exactly as docker/go-units (v0.4.0, vendored by moby
//! 20.10 and docker/cli) prints them: `HumanDuration` for the STATUS and CREATED columns,
//! `HumanSizeWithPrecision` for SIZE, `HumanSize` for pull progress and prune totals,
//! `BytesSize` for `info`'s memory. The one copy in the workspace: the model, the daemon, the
//! registry's progress and the berth CLI all print through it.
//!
//! It owns only the wording. It never reads a clock: the caller passes the span
//! (`now - then`), already computed.

use crate::duration::Duration;
use crate::go_float::go_format_g;

/// go-units' decimal unit names, in the order `getSizeAndUnit` climbs them.
const DECIMAL_UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
/// go-units' binary unit names, for [`bytes_size`].
const BINARY_UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/// go-units `HumanDuration`: "Less than a second", "1 second", "N seconds", "About a minute",
/// "N minutes", "About an hour", "N hours", "N days", "N weeks", "N months", "N years".
///
/// Seconds and minutes truncate, hours round (`int(d.Hours() + 0.5)`); every later unit is
/// derived from those rounded hours except years, which truncate the hours again, as Go does.
pub fn human_duration(d: Duration) -> String {
    let seconds = d.seconds_f64() as i64;
    if seconds < 1 {
        return "Less than a second".to_string();
    }
    if seconds == 1 {
        return "1 second".to_string();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    human_minutes_and_more(d)
}

/// The part of `HumanDuration` from one minute on.
fn human_minutes_and_more(d: Duration) -> String {
    let minutes = d.minutes_f64() as i64;
    if minutes == 1 {
        return "About a minute".to_string();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    let hours = (d.hours_f64() + 0.5) as i64;
    match hours {
        1 => "About an hour".to_string(),
        h if h < 48 => format!("{h} hours"),
        h if h < 24 * 7 * 2 => format!("{} days", h / 24),
        h if h < 24 * 30 * 2 => format!("{} weeks", h / 24 / 7),
        h if h < 24 * 365 * 2 => format!("{} months", h / 24 / 30),
        _ => format!("{} years", d.hours_f64() as i64 / 24 / 365),
    }
}

/// go-units `HumanSizeWithPrecision`: divide by 1000 while the size is at least 1000 and a
/// larger unit remains, then Go's `fmt.Sprintf("%.*g%s", precision, size, unit)`.
/// `docker images` uses precision 3 (`960B`, `1.23kB`, `7.8MB`, `1e+03kB` for 999950).
pub fn human_size_with_precision(size: f64, precision: usize) -> String {
    let (value, unit) = scale(size, 1000.0, &DECIMAL_UNITS);
    format!("{}{unit}", go_format_g(value, precision))
}

/// go-units `HumanSize`: [`human_size_with_precision`] with precision 4 (pull progress,
/// `1.049MB`).
pub fn human_size(size: f64) -> String {
    human_size_with_precision(size, 4)
}

/// go-units `BytesSize`: binary units (`KiB`, `MiB`, ...) with Go's `%.4g`.
pub fn bytes_size(size: f64) -> String {
    let (value, unit) = scale(size, 1024.0, &BINARY_UNITS);
    format!("{}{unit}", go_format_g(value, 4))
}

/// go-units `getSizeAndUnit`.
fn scale(mut size: f64, base: f64, units: &[&'static str]) -> (f64, &'static str) {
    let mut index = 0;
    while size >= base && index < units.len() - 1 {
        size /= base;
        index += 1;
    }
    (size, units[index])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: i64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn durations_under_a_minute() {
        assert_eq!(human_duration(Duration::MIN), "Less than a second");
        assert_eq!(human_duration(secs(-5)), "Less than a second");
        assert_eq!(human_duration(Duration::ZERO), "Less than a second");
        assert_eq!(
            human_duration(secs(1) - Duration::NANOSECOND),
            "Less than a second"
        );
        assert_eq!(human_duration(secs(1)), "1 second");
        assert_eq!(human_duration(secs(2) - Duration::NANOSECOND), "1 second");
        assert_eq!(human_duration(secs(2)), "2 seconds");
        assert_eq!(human_duration(secs(59)), "59 seconds");
        assert_eq!(
            human_duration(secs(60) - Duration::NANOSECOND),
            "59 seconds"
        );
    }

    #[test]
    fn durations_in_minutes() {
        assert_eq!(human_duration(secs(60)), "About a minute");
        assert_eq!(human_duration(secs(119)), "About a minute");
        assert_eq!(human_duration(secs(120)), "2 minutes");
        assert_eq!(human_duration(secs(59 * 60 + 59)), "59 minutes");
    }

    #[test]
    fn durations_in_hours_round_half_up() {
        assert_eq!(human_duration(Duration::from_mins(60)), "About an hour");
        assert_eq!(
            human_duration(Duration::from_mins(89) + secs(59)),
            "About an hour"
        );
        assert_eq!(human_duration(Duration::from_mins(90)), "2 hours");
        assert_eq!(
            human_duration(Duration::from_mins(47 * 60 + 24)),
            "47 hours"
        );
        assert_eq!(
            human_duration(Duration::from_mins(47 * 60 + 29) + secs(59)),
            "47 hours"
        );
        assert_eq!(human_duration(Duration::from_mins(47 * 60 + 30)), "2 days");
        assert_eq!(human_duration(Duration::from_mins(47 * 60 + 36)), "2 days");
    }

    #[test]
    fn durations_in_days_weeks_months_years() {
        let day = Duration::from_hours(24);
        assert_eq!(human_duration(Duration::from_hours(48)), "2 days");
        assert_eq!(human_duration(Duration::from_hours(13 * 24)), "13 days");
        assert_eq!(
            human_duration(Duration::from_hours(14 * 24) - Duration::from_mins(31)),
            "13 days"
        );
        assert_eq!(human_duration(Duration::from_hours(14 * 24)), "2 weeks");
        assert_eq!(
            human_duration(Duration::from_hours(56 * 24) - secs(1)),
            "8 weeks"
        );
        assert_eq!(
            human_duration(Duration::from_hours(56 * 24) - Duration::from_mins(31)),
            "7 weeks"
        );
        assert_eq!(
            human_duration(Duration::from_hours(60 * 24) - Duration::from_mins(31)),
            "8 weeks"
        );
        assert_eq!(human_duration(Duration::from_hours(60 * 24)), "2 months");
        assert_eq!(
            human_duration(Duration::from_hours(730 * 24) - Duration::from_mins(31)),
            "24 months"
        );
        assert_eq!(human_duration(Duration::from_hours(730 * 24)), "2 years");
        assert_eq!(
            human_duration(Duration::from_hours(365 * 24 * 3) - day),
            "2 years"
        );
        assert_eq!(
            human_duration(Duration::from_hours(365 * 24 * 3)),
            "3 years"
        );
        assert_eq!(human_duration(Duration::MAX), "292 years");
    }

    #[test]
    fn years_truncate_the_hours_again() {
        // 730 days minus 20 minutes rounds to 17520 hours (years branch), but Go computes the
        // years from the unrounded hours: 17519 / 24 / 365 = 1.
        let d = Duration::from_hours(730 * 24) - Duration::from_mins(20);
        assert_eq!(human_duration(d), "1 years");
    }

    #[test]
    fn sizes_at_precision_three_as_docker_images_prints_them() {
        let p3 = |size: f64| human_size_with_precision(size, 3);
        assert_eq!(p3(0.0), "0B");
        assert_eq!(p3(1.0), "1B");
        assert_eq!(p3(960.0), "960B");
        assert_eq!(p3(999.0), "999B");
        assert_eq!(p3(1000.0), "1kB");
        assert_eq!(p3(1230.0), "1.23kB");
        assert_eq!(p3(1234.0), "1.23kB");
        assert_eq!(p3(1235.0), "1.24kB");
        assert_eq!(p3(12_345.0), "12.3kB");
        assert_eq!(p3(999_499.0), "999kB");
        assert_eq!(p3(999_500.0), "1e+03kB");
        assert_eq!(p3(999_950.0), "1e+03kB");
        assert_eq!(p3(999_999.0), "1e+03kB");
        assert_eq!(p3(1_000_000.0), "1MB");
        assert_eq!(p3(7_800_000.0), "7.8MB");
        assert_eq!(p3(123_456_789.0), "123MB");
        assert_eq!(p3(5.6e9), "5.6GB");
        assert_eq!(p3(1e24), "1YB");
        assert_eq!(p3(1e27), "1e+03YB");
    }

    #[test]
    fn sizes_at_precision_four_as_pull_progress_prints_them() {
        assert_eq!(human_size(1_048_576.0), "1.049MB");
        assert_eq!(human_size(2_746_000.0), "2.746MB");
        assert_eq!(human_size(796_000.0), "796kB");
        // 9999500 / 1000 / 1000 is 9.99949999… in binary, so it rounds down, in Go too.
        assert_eq!(human_size(9_999_500.0), "9.999MB");
        assert_eq!(human_size(9_999_999.0), "10MB");
    }

    #[test]
    fn odd_sizes_print_as_go_prints_them() {
        assert_eq!(human_size_with_precision(-5.0, 3), "-5B");
        assert_eq!(human_size_with_precision(-5000.0, 3), "-5e+03B");
        assert_eq!(human_size_with_precision(0.5, 3), "0.5B");
        assert_eq!(human_size_with_precision(f64::INFINITY, 3), "+InfYB");
        assert_eq!(human_size_with_precision(f64::NAN, 3), "NaNB");
        assert_eq!(human_size_with_precision(1234.0, 0), "1kB");
    }

    /// Go's `%.4g` through go-units `HumanSize`, as the registry's progress renderer pinned
    /// them against the observed dockerd stream.
    #[test]
    fn sizes_of_pull_progress_as_dockerd_streams_them() {
        let cases: &[(f64, &str)] = &[
            (36445.0, "36.45kB"),
            (32768.0, "32.77kB"),
            (1068791.0, "1.069MB"),
            (12_345_678.0, "12.35MB"),
            (123_456_789.0, "123.5MB"),
            (999_950.0, "1000kB"),
            (1_062_500.0, "1.062MB"),
            (1_063_500.0, "1.063MB"),
            (40_000_000.0, "40MB"),
            (5e24, "5YB"),
            (5e27, "5000YB"),
            (5e28, "5e+04YB"),
        ];
        for (size, want) in cases {
            assert_eq!(human_size(*size), *want, "{size}");
        }
    }

    #[test]
    fn binary_sizes() {
        assert_eq!(bytes_size(1024.0), "1KiB");
        assert_eq!(bytes_size(1_048_576.0), "1MiB");
        assert_eq!(bytes_size(1_500_000.0), "1.431MiB");
    }
}
