//! The `ps` and `images` tables of the model's answers. The layout, the cells and the images
//! table itself are the docker CLI's, in berth-format (which the berth CLI shares); this file
//! only turns the model's summaries into their rows.

use berth_format::cells::{ago, id_cell, ps_command_cell, ps_image_cell};
use berth_format::images::ImageListing;
use berth_format::tabwriter::tabwrite;
use berth_format::Timestamp;

pub use berth_format::images::ImagesFormat;

use crate::render::status::{status, StatusInput};
use crate::response::{ContainerSummary, ImageSummary};

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
            ago(c.created, now),
            status(input, now),
            String::new(),
            c.name.trim_start_matches('/').to_string(),
        ]);
    }
    tabwrite(&table)
}

/// `docker images` output for the model's image list.
pub fn images_table(images: &[ImageSummary], format: ImagesFormat, now: Timestamp) -> String {
    let listings: Vec<ImageListing> = images.iter().map(listing).collect();
    berth_format::images::images_table(&listings, format, now)
}

fn listing(image: &ImageSummary) -> ImageListing {
    let strings = |list: &[std::rc::Rc<str>]| list.iter().map(|r| r.to_string()).collect();
    ImageListing {
        id: image.id.to_string(),
        repo_tags: strings(&image.repo_tags),
        repo_digests: strings(&image.repo_digests),
        created: image.created,
        size: image.size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::container::State;
    use crate::ids::{ContainerId, Digest};
    use berth_format::Duration;

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
