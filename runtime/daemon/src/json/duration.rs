//! go-units' `HumanDuration`, the words of `ps`'s STATUS (`Up 5 seconds`, `Exited (0) 2
//! minutes ago`): seconds and minutes truncate, hours round. Pure.

use std::time::Duration;

/// `HumanDuration(d)`.
pub fn human(d: Duration) -> String {
    let seconds = d.as_secs();
    let minutes = seconds / 60;
    let hours = (d.as_secs_f64() / 3600.0 + 0.5) as u64;
    match () {
        _ if seconds < 1 => "Less than a second".into(),
        _ if seconds == 1 => "1 second".into(),
        _ if seconds < 60 => format!("{seconds} seconds"),
        _ if minutes == 1 => "About a minute".into(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", seconds / 3600 / 24 / 365),
    }
}

/// The time from `then` to `now` (both Unix nanoseconds); negative is zero.
pub fn between(then: i128, now: i128) -> Duration {
    Duration::from_nanos((now - then).clamp(0, u64::MAX as i128) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_go_units() {
        let s = Duration::from_secs;
        let cases = [
            (Duration::from_millis(500), "Less than a second"),
            (s(1), "1 second"),
            (s(59), "59 seconds"),
            (s(119), "About a minute"),
            (s(59 * 60), "59 minutes"),
            (s(89 * 60), "About an hour"),
            (s(47 * 3600), "47 hours"),
            (s(13 * 86400), "13 days"),
            (s(8 * 7 * 86400 - 3600), "7 weeks"),
            (s(700 * 86400), "23 months"),
            (s(800 * 86400), "2 years"),
        ];
        for (d, want) in cases {
            assert_eq!(human(d), want, "{d:?}");
        }
    }
}
