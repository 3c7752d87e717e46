//! The cells of the docker CLI's `ps` and `images` tables that the model's renderers and the
//! berth CLI both print: short IDs, the IMAGE and COMMAND cells of `ps`, and the `N units ago`
//! of every CREATED column. Each is docker/cli's formatter for that cell, taking `now` as an
//! argument; nothing here reads a clock.

use crate::reference::Reference;
use crate::text::{ellipsis, go_quote, truncate_id};
use crate::time::Timestamp;
use crate::units::human_duration;

/// An ID cell: the short ID (`stringid.TruncateID`) unless `--no-trunc`.
pub fn id_cell(id: &str, no_trunc: bool) -> String {
    if no_trunc {
        id.to_string()
    } else {
        truncate_id(id).to_string()
    }
}

/// A CREATED cell: go-units' `HumanDuration(now - then)` and ` ago`.
pub fn ago(then: Timestamp, now: Timestamp) -> String {
    format!("{} ago", human_duration(now - then))
}

/// The COMMAND cell of `ps`: cut to 20 runes with an ellipsis unless `--no-trunc`, then
/// Go-quoted.
pub fn ps_command_cell(command: &str, no_trunc: bool) -> String {
    if no_trunc {
        go_quote(command)
    } else {
        go_quote(&ellipsis(command, 20))
    }
}

/// docker/cli's `ContainerContext.Image`, from the API's `Image` and `ImageID`: a short ID
/// when the image is shown by ID, else the reference in familiar form (a digest reference loses
/// its digest).
pub fn ps_image_cell(image: &str, image_id: &str, no_trunc: bool) -> String {
    if image.is_empty() {
        return "<no image>".to_string();
    }
    if no_trunc {
        return image.to_string();
    }
    if truncate_id(image_id) == truncate_id(image) {
        return truncate_id(image).to_string();
    }
    match image.parse::<Reference>() {
        Ok(r) if r.tag().is_some() => r.familiar_name() + ":" + r.tag().unwrap_or_default(),
        Ok(r) => r.familiar_name(),
        Err(_) => image.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::Duration;

    #[test]
    fn image_cells_follow_docker_cli() {
        let id = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(ps_image_cell("", &id, false), "<no image>");
        assert_eq!(ps_image_cell(&id, &id, false), "abababababab");
        assert_eq!(ps_image_cell(&id, &id, true), id);
        assert_eq!(ps_image_cell("docker.io/library/bb:1", &id, false), "bb:1");
        let digest = format!("bb@sha256:{}", "0".repeat(64));
        assert_eq!(ps_image_cell(&digest, &id, false), "bb");
        assert_eq!(ps_image_cell("Not A Ref", &id, false), "Not A Ref");
    }

    #[test]
    fn command_cells_are_cut_then_quoted() {
        assert_eq!(ps_command_cell("sleep 1000", false), "\"sleep 1000\"");
        assert_eq!(
            ps_command_cell("echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
            "\"echo aaaaaaaaaaaaaa\u{2026}\""
        );
        assert_eq!(ps_command_cell("a\tb", true), "\"a\\tb\"");
    }

    #[test]
    fn created_cells_say_how_long_ago() {
        let now = Timestamp::from_unix_seconds(1_700_000_000);
        assert_eq!(ago(now - Duration::from_secs(3), now), "3 seconds ago");
        assert_eq!(
            ago(now - Duration::from_millis(300), now),
            "Less than a second ago"
        );
        assert_eq!(id_cell("sha256:0123456789abcdef", false), "0123456789ab");
    }
}
