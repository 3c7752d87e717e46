//! `docker images` as docker CLI 28 prints it, from what the API's `GET /images/json` rows
//! carry: one row per repository and tag, untagged images as `<none>`, repositories known only
//! by digest as `<none>` tags, sizes in go-units' precision 3. The model renders its own image
//! list through it and the berth CLI renders the daemon's; neither hands it state types.

use crate::cells::{ago, id_cell};
use crate::reference::Reference;
use crate::tabwriter::tabwrite;
use crate::time::Timestamp;
use crate::units::human_size_with_precision;

/// One image of the list, with the fields the table shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageListing {
    /// The image ID (`sha256:<hex>`).
    pub id: String,
    /// Tagged references (`bb:latest`); empty for an untagged image. The API's `<none>:<none>`
    /// placeholder is no reference and must not be here.
    pub repo_tags: Vec<String>,
    /// Digest references (`bb@sha256:...`), without the API's `<none>@<none>` placeholder.
    pub repo_digests: Vec<String>,
    pub created: Timestamp,
    pub size: u64,
}

/// How `images` prints.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImagesFormat {
    pub quiet: bool,
    pub no_trunc: bool,
}

/// `docker images` output: one row per repository and tag; untagged images as `<none>`.
pub fn images_table(images: &[ImageListing], format: ImagesFormat, now: Timestamp) -> String {
    let mut table = vec!["REPOSITORY TAG IMAGE_ID CREATED SIZE"
        .split(' ')
        .map(|h| h.replace('_', " "))
        .collect::<Vec<_>>()];
    let mut ids = String::new();
    for image in images {
        let id = id_cell(&image.id, format.no_trunc);
        for (repo, tag) in image_rows(image) {
            ids.push_str(&id);
            ids.push('\n');
            table.push(vec![
                repo,
                tag,
                id.clone(),
                ago(image.created, now),
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
/// image varies from run to run; this order is sorted.)
fn image_rows(image: &ImageListing) -> Vec<(String, String)> {
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
    use crate::duration::Duration;

    fn now() -> Timestamp {
        Timestamp::from_unix_seconds(1_764_000_000)
    }

    /// `docker images | cat -A` after a commit (model/tests/reference, observations section 9).
    #[test]
    fn images_table_matches_the_reference_bytes() {
        let image = ImageListing {
            id: "sha256:40a967ec52be30202bb7290461e7fa958c14818b678166d20ac328b3b8c86a2f".into(),
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
        let untagged_with_digest = ImageListing {
            repo_tags: vec![],
            repo_digests: vec![format!("bb@sha256:{}", "1".repeat(64))],
            ..image.clone()
        };
        assert!(
            images_table(&[untagged_with_digest], ImagesFormat::default(), now())
                .contains("\nbb           <none>    40a967ec52be")
        );
        let quiet = ImagesFormat {
            quiet: true,
            no_trunc: true,
        };
        assert_eq!(
            images_table(std::slice::from_ref(&image), quiet, now()),
            format!("{}\n", image.id)
        );
    }

    #[test]
    fn an_untagged_image_is_one_none_row() {
        let image = ImageListing {
            id: format!("sha256:{}", "2".repeat(64)),
            repo_tags: vec![],
            repo_digests: vec![],
            created: now(),
            size: 0,
        };
        let table = images_table(&[image], ImagesFormat::default(), now());
        assert!(table
            .ends_with("\n<none>       <none>    222222222222   Less than a second ago   0B\n"));
    }
}
