//! The `ps` and `images` tables. Go's tabwriter as the docker CLI configures it (minwidth 10,
//! padding 3, cells measured in runes, the last column never padded).

use crate::humanize::{human_duration, human_size_with_precision};
use crate::reference::Reference;
use crate::render::status::{status, StatusInput};
use crate::response::{ContainerSummary, ImageSummary};
use crate::text::{ellipsis, go_quote, truncate_id};
use crate::time::Timestamp;

const MIN_WIDTH: usize = 10;
const PADDING: usize = 3;

/// Aligns rows of cells the way Go's `tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)` does.
pub fn tabwrite(rows: &[Vec<String>]) -> String {
    tabwrite_min(rows, MIN_WIDTH)
}

/// [`tabwrite`] with another minimum cell width (`docker top` uses 20).
pub fn tabwrite_min(rows: &[Vec<String>], min_width: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns.saturating_sub(1))
        .map(|col| {
            let widest = rows
                .iter()
                .filter_map(|r| r.get(col))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0);
            (widest + PADDING).max(min_width)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        for (col, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if col + 1 < row.len() {
                out.extend(std::iter::repeat_n(' ', widths[col] - cell.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

/// How `ps` prints.
#[derive(Debug, Clone, Copy, Default)]
pub struct PsFormat {
    pub quiet: bool,
    pub no_trunc: bool,
}

/// `docker ps` output.
pub fn ps_table(rows: &[ContainerSummary], format: PsFormat, now: Timestamp) -> String {
    if format.quiet {
        return rows
            .iter()
            .map(|c| format!("{}\n", id_cell(c.id.as_str(), format.no_trunc)))
            .collect();
    }
    let header = [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ];
    let mut table = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    for c in rows {
        let input = StatusInput {
            state: c.state,
            exit_code: c.exit_code,
            started: c.started,
            finished: c.finished,
        };
        table.push(vec![
            id_cell(c.id.as_str(), format.no_trunc),
            ps_image_cell(&c.image, c.image_id.as_str(), format.no_trunc),
            ps_command_cell(&c.command, format.no_trunc),
            format!("{} ago", human_duration(now - c.created)),
            status(input, now),
            String::new(),
            c.name.trim_start_matches('/').to_string(),
        ]);
    }
    tabwrite(&table)
}

fn id_cell(id: &str, no_trunc: bool) -> String {
    if no_trunc {
        id.to_string()
    } else {
        truncate_id(id).to_string()
    }
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

/// How `images` prints.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImagesFormat {
    pub quiet: bool,
    pub no_trunc: bool,
}

/// `docker images` output: one row per repository and tag; untagged images as `<none>`.
pub fn images_table(images: &[ImageSummary], format: ImagesFormat, now: Timestamp) -> String {
    let mut table = vec!["REPOSITORY TAG IMAGE_ID CREATED SIZE"
        .split(' ')
        .map(|h| h.replace('_', " "))
        .collect::<Vec<_>>()];
    let mut ids = String::new();
    for image in images {
        let id = if format.no_trunc {
            image.id.to_string()
        } else {
            image.id.short().to_string()
        };
        for (repo, tag) in image_rows(image) {
            ids.push_str(&id);
            ids.push('\n');
            let created = format!("{} ago", human_duration(now - image.created));
            table.push(vec![
                repo,
                tag,
                id.clone(),
                created,
                human_size_with_precision(image.size as f64, 3),
            ]);
        }
    }
    if format.quiet {
        return ids;
    }
    tabwrite(&table)
}

/// docker/cli's `imageFormatTaggedAndDigest`: a row per tag, then one `<none>` row per
/// repository known only by digest. (The CLI walks Go maps here, so its row order within one
/// image varies from run to run; the model's order is sorted.)
fn image_rows(image: &ImageSummary) -> Vec<(String, String)> {
    if image.repo_tags.is_empty() && image.repo_digests.is_empty() {
        return vec![("<none>".to_string(), "<none>".to_string())];
    }
    let mut rows: Vec<(String, String)> = Vec::new();
    for tagged in &image.repo_tags {
        if let Ok(r) = tagged.parse::<Reference>() {
            rows.push((r.familiar_name(), r.tag().unwrap_or("latest").to_string()));
        }
    }
    let tagged_repos: Vec<String> = rows.iter().map(|(repo, _)| repo.clone()).collect();
    let mut digest_repos: Vec<String> = image
        .repo_digests
        .iter()
        .filter_map(|d| d.parse::<Reference>().ok())
        .map(|r| r.familiar_name())
        .filter(|repo| !tagged_repos.contains(repo))
        .collect();
    digest_repos.sort();
    digest_repos.dedup();
    rows.extend(
        digest_repos
            .into_iter()
            .map(|repo| (repo, "<none>".to_string())),
    );
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::container::State;
    use crate::ids::{ContainerId, Digest};
    use crate::time::Duration;

    fn now() -> Timestamp {
        Timestamp::from_unix_seconds(1_764_000_000)
    }

    fn ago(secs: i64) -> Option<Timestamp> {
        Some(now() - Duration::from_secs(secs))
    }

    fn row(
        id: &str,
        name: &str,
        command: &str,
        state: State,
        exit_code: i32,
        started: Option<Timestamp>,
    ) -> ContainerSummary {
        let image_id = Digest::of(b"bb");
        ContainerSummary {
            id: format!("{id}{}", "0".repeat(64 - id.len()))
                .parse::<ContainerId>()
                .unwrap(),
            name: format!("/{name}").into(),
            image: "bb".into(),
            image_id,
            command: command.into(),
            created: ago(3).unwrap(),
            state,
            exit_code,
            started,
            finished: if state == State::Exited { ago(2) } else { None },
        }
    }

    /// `docker ps -a | cat -A` on dockerd 20.10.24 with CLI 28.2.2
    /// (model/tests/reference/dockerd-20.10-observations.md, section 10), created times
    /// normalised to 3 seconds ago.
    #[test]
    fn ps_table_matches_the_reference_bytes() {
        let rows = vec![
            row(
                "d76282675c1e",
                "p_tab",
                "printf a\\tb\\n",
                State::Exited,
                0,
                ago(2),
            ),
            row(
                "5e0b5ee0267b",
                "p_quote",
                "sh -c 'echo \"hi there\"; echo \u{fc}'",
                State::Exited,
                0,
                ago(2),
            ),
            row(
                "9f757dfb8e9c",
                "p_long",
                "echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                State::Exited,
                0,
                ago(2),
            ),
            row(
                "eb4030e6152b",
                "p_fail127",
                "/nope",
                State::Created,
                127,
                None,
            ),
            row(
                "81adeb2811e7",
                "p_running",
                "sleep 1000",
                State::Running,
                0,
                ago(2),
            ),
        ];
        let expected = concat!(
            "CONTAINER ID   IMAGE     COMMAND                   CREATED         STATUS                     PORTS     NAMES\n",
            "d76282675c1e   bb        \"printf a\\\\tb\\\\n\"         3 seconds ago   Exited (0) 2 seconds ago             p_tab\n",
            "5e0b5ee0267b   bb        \"sh -c 'echo \\\"hi the\u{2026}\"   3 seconds ago   Exited (0) 2 seconds ago             p_quote\n",
            "9f757dfb8e9c   bb        \"echo aaaaaaaaaaaaaa\u{2026}\"    3 seconds ago   Exited (0) 2 seconds ago             p_long\n",
            "eb4030e6152b   bb        \"/nope\"                   3 seconds ago   Created                              p_fail127\n",
            "81adeb2811e7   bb        \"sleep 1000\"              3 seconds ago   Up 2 seconds                         p_running\n",
        );
        assert_eq!(ps_table(&rows, PsFormat::default(), now()), expected);
        let quiet = ps_table(
            &rows[..2],
            PsFormat {
                quiet: true,
                no_trunc: false,
            },
            now(),
        );
        assert_eq!(quiet, "d76282675c1e\n5e0b5ee0267b\n");
    }

    /// `docker images | cat -A` after a commit (observations, section 9).
    #[test]
    fn images_table_matches_the_reference_bytes() {
        let image = ImageSummary {
            id: "sha256:40a967ec52be30202bb7290461e7fa958c14818b678166d20ac328b3b8c86a2f"
                .parse()
                .unwrap(),
            parent: None,
            repo_tags: vec!["bbc:latest".into()],
            repo_digests: vec![],
            created: now() - Duration::from_millis(300),
            size: 1_990_000,
        };
        let expected = concat!(
            "REPOSITORY   TAG       IMAGE ID       CREATED                  SIZE\n",
            "bbc          latest    40a967ec52be   Less than a second ago   1.99MB\n",
        );
        assert_eq!(
            images_table(std::slice::from_ref(&image), ImagesFormat::default(), now()),
            expected
        );
        let untagged_with_digest = ImageSummary {
            repo_tags: vec![],
            repo_digests: vec![format!("bb@{}", Digest::of(b"m")).into()],
            ..image
        };
        assert!(
            images_table(&[untagged_with_digest], ImagesFormat::default(), now())
                .contains("\nbb           <none>    40a967ec52be")
        );
    }
}
