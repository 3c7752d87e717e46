//! Docker's JSON progress message (`jsonmessage.JSONMessage`): the lines of a pull stream.
//! Fields, their order and `omitempty` rules are Go's, and [`ProgressMessage::to_json`]
//! escapes `<`, `>` and `&` as Go's encoder does (`"[=\u003e   ]"`), so that a stream berth
//! writes is byte-identical to dockerd's. The constructors name the statuses a pull emits;
//! nothing here does I/O.

use berth_format::duration::go_duration_seconds;
use berth_format::units::human_size;
use serde::{Deserialize, Serialize};
use std::io;

/// `jsonmessage.JSONProgress`: the `progressDetail` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressDetail {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub current: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub total: i64,
    /// Unix seconds when the operation started; only used for the time-left estimate.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start: i64,
    #[serde(default, rename = "hidecounts", skip_serializing_if = "is_false")]
    pub hide_counts: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub units: String,
}

/// `jsonmessage.JSONError`: the `errorDetail` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub code: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// One message of a JSON progress stream (`jsonmessage.JSONMessage`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgressMessage {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stream: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(
        default,
        rename = "progressDetail",
        skip_serializing_if = "Option::is_none"
    )]
    pub progress_detail: Option<ProgressDetail>,
    /// The pre-rendered bar (deprecated in Docker, still sent and still read by the CLI).
    #[serde(default, rename = "progress", skip_serializing_if = "String::is_empty")]
    pub progress: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub time: i64,
    #[serde(default, rename = "timeNano", skip_serializing_if = "is_zero")]
    pub time_nano: i64,
    #[serde(
        default,
        rename = "errorDetail",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_detail: Option<ErrorDetail>,
    #[serde(default, rename = "error", skip_serializing_if = "String::is_empty")]
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux: Option<serde_json::Value>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The width dockerd renders `progress` strings for: its stdin is no terminal, so Go's
/// `GetWinsize` fails and the width defaults to 200, which draws the bar.
pub const DAEMON_WIDTH: u16 = 200;

/// The progress id of a layer: the first 12 hex digits of its compressed blob digest
/// (Docker's `stringid.TruncateID`).
pub fn layer_id(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, hex)| hex);
    hex.chars().take(12).collect()
}

impl ProgressDetail {
    pub fn bytes(current: i64, total: i64) -> Self {
        ProgressDetail {
            current,
            total,
            ..ProgressDetail::default()
        }
    }

    /// `JSONProgress.String()` of docker CLI 28 for a terminal `width` columns wide, at
    /// `now_unix_nanos` (only used when `start` is set).
    pub fn render(&self, width: u16, now_unix_nanos: i64) -> String {
        if self.current <= 0 && self.total <= 0 {
            return String::new();
        }
        if self.total <= 0 {
            return match self.units.as_str() {
                "" => format!("{:>8}", human_size(self.current as f64)),
                units => format!("{} {units}", self.current),
            };
        }
        let percentage = ((self.current as f64 / self.total as f64 * 100.0) as i64 / 2).min(50);
        let mut out = String::new();
        if width > 110 {
            let spaces = (50 - percentage).max(0) as usize;
            let bars = percentage.max(0) as usize;
            out.push_str(&format!("[{}>{}] ", "=".repeat(bars), " ".repeat(spaces)));
        }
        out.push_str(&self.numbers());
        if width > 50 && self.current > 0 && self.start > 0 && percentage < 50 {
            out.push(' ');
            out.push_str(&self.time_left(now_unix_nanos));
        }
        out
    }

    fn numbers(&self) -> String {
        match (self.hide_counts, self.units.as_str()) {
            (true, _) => String::new(),
            (false, "") if self.current > self.total => {
                format!("{:>8}", human_size(self.current as f64))
            }
            (false, "") => format!(
                "{:>8}/{}",
                human_size(self.current as f64),
                human_size(self.total as f64)
            ),
            (false, units) if self.current > self.total => format!("{} {units}", self.current),
            (false, units) => format!("{}/{} {units}", self.current, self.total),
        }
    }

    /// Go: `(total-current) * (elapsed / current)` in nanoseconds, rounded to seconds half
    /// away from zero.
    fn time_left(&self, now_unix_nanos: i64) -> String {
        let elapsed = now_unix_nanos.wrapping_sub(self.start.wrapping_mul(1_000_000_000));
        let per_entry = elapsed / self.current;
        let left = (self.total - self.current).wrapping_mul(per_entry);
        let rounded = (left + left.signum() * 500_000_000) / 1_000_000_000;
        go_duration_seconds(rounded)
    }
}

impl ProgressMessage {
    /// A status line without progress (`Pulling from ...`, `Digest: ...`, `Status: ...`).
    pub fn status(id: &str, status: &str) -> Self {
        ProgressMessage {
            id: id.to_owned(),
            status: status.to_owned(),
            ..Default::default()
        }
    }

    /// A per-layer state change: carries an empty `progressDetail`, as dockerd's
    /// `progress.Update` does, which is what makes the CLI keep one line per layer.
    pub fn update(id: &str, action: &str) -> Self {
        ProgressMessage {
            progress_detail: Some(ProgressDetail::default()),
            ..Self::status(id, action)
        }
    }

    /// A byte count for a layer with the daemon's rendered bar in `progress`.
    pub fn bytes(id: &str, action: &str, current: i64, total: i64) -> Self {
        let detail = ProgressDetail::bytes(current, total);
        let progress = detail.render(DAEMON_WIDTH, 0);
        ProgressMessage {
            progress_detail: Some(detail),
            progress,
            ..Self::status(id, action)
        }
    }

    /// An error after the stream started (`errorDetail` and the deprecated `error`).
    pub fn error(message: &str) -> Self {
        ProgressMessage {
            error_detail: Some(ErrorDetail {
                code: 0,
                message: message.to_owned(),
            }),
            error: message.to_owned(),
            ..Default::default()
        }
    }

    /// `<tag or full digest reference>: Pulling from <repository path>`.
    pub fn pulling_from(tag_or_reference: &str, repository_path: &str) -> Self {
        Self::status(tag_or_reference, &format!("Pulling from {repository_path}"))
    }

    pub fn pulling_fs_layer(id: &str) -> Self {
        Self::update(id, "Pulling fs layer")
    }

    pub fn waiting(id: &str) -> Self {
        Self::update(id, "Waiting")
    }

    pub fn downloading(id: &str, current: i64, total: i64) -> Self {
        Self::bytes(id, "Downloading", current, total)
    }

    pub fn verifying_checksum(id: &str) -> Self {
        Self::update(id, "Verifying Checksum")
    }

    pub fn download_complete(id: &str) -> Self {
        Self::update(id, "Download complete")
    }

    pub fn extracting(id: &str, current: i64, total: i64) -> Self {
        Self::bytes(id, "Extracting", current, total)
    }

    pub fn pull_complete(id: &str) -> Self {
        Self::update(id, "Pull complete")
    }

    pub fn already_exists(id: &str) -> Self {
        Self::update(id, "Already exists")
    }

    /// dockerd's download manager before another try: `Retrying in 5 seconds`.
    pub fn retrying(id: &str, seconds: u64) -> Self {
        let plural = if seconds == 1 { "" } else { "s" };
        Self::update(id, &format!("Retrying in {seconds} second{plural}"))
    }

    pub fn digest(digest: &str) -> Self {
        Self::status("", &format!("Digest: {digest}"))
    }

    /// `Status: Downloaded newer image for <familiar reference>`.
    pub fn downloaded_newer(familiar: &str) -> Self {
        Self::status(
            "",
            &format!("Status: Downloaded newer image for {familiar}"),
        )
    }

    /// `Status: Image is up to date for <familiar reference>`.
    pub fn up_to_date(familiar: &str) -> Self {
        Self::status("", &format!("Status: Image is up to date for {familiar}"))
    }

    /// The message as Go's `json.Marshal` writes it.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, GoEscapes);
        self.serialize(&mut serializer)
            .expect("a progress message always serializes");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// One line of dockerd's stream: the JSON and `\r\n`.
    pub fn to_line(&self) -> Vec<u8> {
        let mut line = self.to_json().into_bytes();
        line.extend_from_slice(b"\r\n");
        line
    }
}

/// serde_json's compact output plus Go's HTML-safe escapes.
struct GoEscapes;

impl serde_json::ser::Formatter for GoEscapes {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(at) = rest.find(['<', '>', '&', '\u{2028}', '\u{2029}']) {
            writer.write_all(&rest.as_bytes()[..at])?;
            let c = rest[at..]
                .chars()
                .next()
                .expect("find returned a char boundary");
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines from dockerd 20.10's pull stream (observations §8), rebuilt from the
    /// constructors.
    #[test]
    fn constructors_write_dockerds_bytes() {
        let cases = [
            (
                ProgressMessage::pulling_from("latest", "library/bb"),
                r#"{"status":"Pulling from library/bb","id":"latest"}"#,
            ),
            (
                ProgressMessage::pulling_fs_layer("6e42542e7267"),
                r#"{"status":"Pulling fs layer","progressDetail":{},"id":"6e42542e7267"}"#,
            ),
            (
                ProgressMessage::downloading("6e42542e7267", 36445, 1068791),
                r#"{"status":"Downloading","progressDetail":{"current":36445,"total":1068791},"progress":"[=\u003e                                                 ]  36.45kB/1.069MB","id":"6e42542e7267"}"#,
            ),
            (
                ProgressMessage::downloading("6e42542e7267", 1068791, 1068791),
                r#"{"status":"Downloading","progressDetail":{"current":1068791,"total":1068791},"progress":"[==================================================\u003e]  1.069MB/1.069MB","id":"6e42542e7267"}"#,
            ),
            (
                ProgressMessage::verifying_checksum("6e42542e7267"),
                r#"{"status":"Verifying Checksum","progressDetail":{},"id":"6e42542e7267"}"#,
            ),
            (
                ProgressMessage::download_complete("6e42542e7267"),
                r#"{"status":"Download complete","progressDetail":{},"id":"6e42542e7267"}"#,
            ),
            (
                ProgressMessage::extracting("6e42542e7267", 32768, 1068791),
                r#"{"status":"Extracting","progressDetail":{"current":32768,"total":1068791},"progress":"[=\u003e                                                 ]  32.77kB/1.069MB","id":"6e42542e7267"}"#,
            ),
            (
                ProgressMessage::pull_complete("6e42542e7267"),
                r#"{"status":"Pull complete","progressDetail":{},"id":"6e42542e7267"}"#,
            ),
            (
                ProgressMessage::digest(
                    "sha256:113b36625ae3178513c843224b3e0547efc7902a687aff55f0e5b107f1a86176",
                ),
                r#"{"status":"Digest: sha256:113b36625ae3178513c843224b3e0547efc7902a687aff55f0e5b107f1a86176"}"#,
            ),
            (
                ProgressMessage::downloaded_newer("bb:latest"),
                r#"{"status":"Status: Downloaded newer image for bb:latest"}"#,
            ),
            (
                ProgressMessage::up_to_date("bb:latest"),
                r#"{"status":"Status: Image is up to date for bb:latest"}"#,
            ),
        ];
        for (message, want) in cases {
            assert_eq!(message.to_json(), want);
            let parsed: ProgressMessage = serde_json::from_str(want).unwrap();
            assert_eq!(parsed, message, "{want}");
        }
    }

    #[test]
    fn errors_carry_both_fields_and_lines_end_in_crlf() {
        let line = ProgressMessage::error("manifest for x:y not found: a & b").to_line();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "{\"errorDetail\":{\"message\":\"manifest for x:y not found: a \\u0026 b\"},\"error\":\"manifest for x:y not found: a \\u0026 b\"}\r\n"
        );
    }

    #[test]
    fn layer_ids_are_twelve_hex_of_the_blob_digest() {
        assert_eq!(
            layer_id("sha256:6e42542e7267a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a"),
            "6e42542e7267"
        );
        assert_eq!(layer_id("abc"), "abc");
    }

    #[test]
    fn retry_messages_pluralise_as_moby_does() {
        assert_eq!(
            ProgressMessage::retrying("x", 1).status,
            "Retrying in 1 second"
        );
        assert_eq!(
            ProgressMessage::retrying("x", 5).status,
            "Retrying in 5 seconds"
        );
    }

    #[test]
    fn progress_strings_follow_width_units_and_wonky_counts() {
        let d = ProgressDetail::bytes(500, 1000);
        assert_eq!(
            d.render(200, 0),
            format!("[{}>{}]     500B/1kB", "=".repeat(25), " ".repeat(25))
        );
        assert_eq!(d.render(110, 0), "    500B/1kB");
        assert_eq!(ProgressDetail::bytes(1500, 1000).render(80, 0), "   1.5kB");
        assert_eq!(ProgressDetail::bytes(1500, 0).render(200, 0), "   1.5kB");
        assert_eq!(ProgressDetail::default().render(200, 0), "");
        let counted = ProgressDetail {
            current: 3,
            total: 10,
            units: "files".into(),
            ..Default::default()
        };
        assert_eq!(counted.render(80, 0), "3/10 files");
        let hidden = ProgressDetail {
            hide_counts: true,
            ..ProgressDetail::bytes(1, 2)
        };
        assert_eq!(hidden.render(80, 0), "");
    }

    #[test]
    fn time_left_appears_with_a_start_and_rounds_to_seconds() {
        // 100 of 1000 bytes in 10 s: 90 s to go.
        let d = ProgressDetail {
            start: 1_000,
            ..ProgressDetail::bytes(100, 1000)
        };
        assert_eq!(d.render(80, 1_010_000_000_000), "    100B/1kB 1m30s");
        assert_eq!(d.render(50, 1_010_000_000_000), "    100B/1kB");
    }
}
