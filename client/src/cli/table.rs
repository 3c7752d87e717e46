//! Small helpers shared by the table verbs: the clock (berth-format's renderers take `now` as an
//! argument, so the CLI reads it here, at its edge), the `CREATED` cell, and the API's JSON
//! fields read leniently.

use berth_format::Timestamp;
use serde_json::Value;

/// Now, as berth-format's renderers count time.
pub fn now() -> Timestamp {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    Timestamp::from_unix_nanos(nanos)
}

/// `N units ago` for a Unix time in seconds, as the CREATED columns print it.
pub fn ago(unix_seconds: i64, now: Timestamp) -> String {
    berth_format::cells::ago(Timestamp::from_unix_seconds(unix_seconds), now)
}

/// A string field, empty when absent.
pub fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or("")
}

/// A list of strings, empty when absent or null.
pub fn strings(value: &Value, field: &str) -> Vec<String> {
    value[field]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
