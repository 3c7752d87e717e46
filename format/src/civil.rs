//! The proleptic Gregorian calendar, as Go's `time` package counts it: a count of seconds since
//! the Unix epoch split into a date and a time of day, and back. Howard Hinnant's
//! `days_from_civil` and `civil_from_days` (public domain) do the day counting; this is the one
//! copy of them in the workspace, shared by the model's timestamps, the runtime's and every
//! printer of dates.
//!
//! It owns only arithmetic: no zones beyond a fixed offset the caller applies, no parsing, no
//! clock.

/// Seconds in a civil day (Go's time ignores leap seconds, and so does this).
pub const SECS_PER_DAY: i64 = 86_400;
/// Go's zero time, `0001-01-01T00:00:00Z`, in seconds since the Unix epoch.
pub const ZERO_TIME_UNIX_SECS: i64 = -62_135_596_800;

/// A civil date and time of day, all fields as printed (month 1..=12, day 1..=31).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

impl DateTime {
    /// The date and time of day `secs` seconds after the Unix epoch (floored, so a negative
    /// count lands in the day before).
    pub fn from_unix_seconds(secs: i64) -> DateTime {
        let (year, month, day) = civil_from_days(secs.div_euclid(SECS_PER_DAY));
        let of_day = secs.rem_euclid(SECS_PER_DAY);
        DateTime {
            year,
            month,
            day,
            hour: of_day / 3_600,
            minute: of_day / 60 % 60,
            second: of_day % 60,
        }
    }

    /// Seconds since the Unix epoch; fields out of their ranges carry over as Go's `Date` does.
    pub fn unix_seconds(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * SECS_PER_DAY
            + self.hour * 3_600
            + self.minute * 60
            + self.second
    }

    /// `YYYY-MM-DDTHH:MM:SS`, the common head of Go's RFC 3339 layouts.
    pub fn rfc3339_seconds(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

pub fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_over_four_centuries() {
        for days in (-146_097 * 2..146_097).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1, 1, 1), ZERO_TIME_UNIX_SECS / SECS_PER_DAY);
    }

    #[test]
    fn known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(days_from_civil(2025, 1, 1) * SECS_PER_DAY, 1_735_689_600);
    }

    #[test]
    fn date_times_split_and_join_seconds() {
        let t = DateTime::from_unix_seconds(-1);
        assert_eq!(t.rfc3339_seconds(), "1969-12-31T23:59:59");
        assert_eq!(t.unix_seconds(), -1);
        let t = DateTime::from_unix_seconds(1_700_000_000);
        assert_eq!(t.rfc3339_seconds(), "2023-11-14T22:13:20");
        assert_eq!(t.unix_seconds(), 1_700_000_000);
    }

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        assert!(is_leap_year(2024) && is_leap_year(2000));
        assert!(!is_leap_year(1900) && !is_leap_year(2023));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2024, 4), 30);
    }
}
