//! The list filters, as dockerd 20.10 applies them, each linear (or O(pattern × subject)) in
//! what the client sent, never backtracking:
//!
//! - containers: `status` and `label` match exactly; `name` and `id` are Go regular
//!   expressions searched in `/NAME` and the full ID (an exact value also matches, and one that
//!   does not compile matches nothing), run by the `regex` crate, whose matching is linear in
//!   the subject and whose compiled size is capped here;
//! - images: `reference` is Go's `path.Match` ([`crate::path_match`]) against each tag and
//!   digest in its familiar form, then against its name alone; only the references that match
//!   are listed, and a malformed pattern is `syntax error in pattern`.
//!
//! Pure: records in, answers out.

use std::collections::BTreeMap;

use berth_runtime::engine::{match_kv_list, ImageSummary, Inspect};
use regex::{Regex, RegexBuilder};

use crate::error::ApiError;
use crate::path_match::{self, BAD_PATTERN};

/// The container list's filter keys.
const CONTAINER_KEYS: &[&str] = &["status", "name", "id", "label"];

/// The states `status=` may name.
const STATES: &[&str] = &[
    "created",
    "running",
    "paused",
    "restarting",
    "removing",
    "exited",
    "dead",
];

/// The most memory one compiled `name`/`id` expression may take (Go's own limit on a
/// program is of the same order); a larger one matches nothing, like one that does not parse.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// `GET /containers/json`'s filters, checked and compiled once per request.
#[derive(Debug, Clone, Default)]
pub struct ContainerFilter {
    status: Vec<String>,
    names: Vec<Search>,
    ids: Vec<Search>,
    labels: Vec<String>,
}

/// A `name`/`id` value: exact, or searched as a regular expression (`None`: it did not compile).
#[derive(Debug, Clone)]
struct Search {
    exact: String,
    regex: Option<Regex>,
}

impl Search {
    fn new(value: &str) -> Search {
        let regex = RegexBuilder::new(value)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .build()
            .ok();
        Search {
            exact: value.to_string(),
            regex,
        }
    }

    fn hits(&self, subject: &str) -> bool {
        self.exact == subject || self.regex.as_ref().is_some_and(|r| r.is_match(subject))
    }
}

impl ContainerFilter {
    /// Checks the keys and `status` values as dockerd does (`Invalid filter 'x'`).
    pub fn parse(filters: &BTreeMap<String, Vec<String>>) -> Result<ContainerFilter, ApiError> {
        if let Some(key) = filters
            .keys()
            .find(|k| !CONTAINER_KEYS.contains(&k.as_str()))
        {
            return Err(ApiError::bad_request(format!("Invalid filter '{key}'")));
        }
        let values = |key: &str| filters.get(key).cloned().unwrap_or_default();
        let status = values("status");
        if let Some(bad) = status.iter().find(|s| !STATES.contains(&s.as_str())) {
            return Err(ApiError::bad_request(format!(
                "Invalid filter 'status={bad}'"
            )));
        }
        let searches = |key: &str| values(key).iter().map(|v| Search::new(v)).collect();
        Ok(ContainerFilter {
            status,
            names: searches("name"),
            ids: searches("id"),
            labels: values("label"),
        })
    }

    /// Values of one key are alternatives; every key given has to match. Every `label`
    /// value has to match, as in dockerd.
    pub fn matches(&self, c: &Inspect) -> bool {
        let any = |values: &[Search], subject: &str| {
            values.is_empty() || values.iter().any(|s| s.hits(subject))
        };
        let status = c.state.status.to_string();
        (self.status.is_empty() || self.status.contains(&status))
            && any(&self.names, &format!("/{}", c.config.name.bare()))
            && any(&self.ids, c.config.id.as_str())
            && match_kv_list(&self.labels, &c.config.config.labels)
    }
}

/// The images `reference` filter applied to one image: `None` when none of its references
/// match any pattern, else the image with only the references that do (`docker images NAME`
/// lists an image under the names asked for). No patterns: the image as it is.
pub fn by_reference(
    patterns: &[String],
    image: ImageSummary,
) -> Result<Option<ImageSummary>, ApiError> {
    if patterns.is_empty() {
        return Ok(Some(image));
    }
    let keep = |refs: &[String]| -> Result<Vec<String>, ApiError> {
        let mut kept = Vec::new();
        for reference in refs {
            if any_pattern_matches(patterns, reference)? {
                kept.push(reference.clone());
            }
        }
        Ok(kept)
    };
    let tags = keep(&image.repo_tags)?;
    let digests = keep(&image.repo_digests)?;
    if tags.is_empty() && digests.is_empty() {
        return Ok(None);
    }
    Ok(Some(ImageSummary {
        repo_tags: tags,
        repo_digests: digests,
        ..image
    }))
}

/// docker's `FamiliarMatch` over the patterns, the first match winning.
fn any_pattern_matches(patterns: &[String], reference: &str) -> Result<bool, ApiError> {
    for pattern in patterns {
        let bad = |_| ApiError::bad_request(BAD_PATTERN);
        // The whole familiar reference first (`name:tag`, `name@sha256:...`), then its name.
        if path_match::matches(pattern, reference).map_err(bad)?
            || path_match::matches(pattern, familiar_name(reference)).unwrap_or(false)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A familiar reference without its tag or digest (`127.0.0.1:5000/busybox:latest` is
/// `127.0.0.1:5000/busybox`).
fn familiar_name(reference: &str) -> &str {
    if let Some((name, _digest)) = reference.split_once('@') {
        return name;
    }
    let last = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last..].rfind(':') {
        Some(colon) => &reference[..last + colon],
        None => reference,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(tags: &[&str], digests: &[&str]) -> ImageSummary {
        ImageSummary {
            id: "sha256:0000000000000000000000000000000000000000000000000000000000000000"
                .parse()
                .unwrap(),
            parent_id: None,
            repo_tags: tags.iter().map(|t| t.to_string()).collect(),
            repo_digests: digests.iter().map(|t| t.to_string()).collect(),
            created: 0,
            size: 0,
            virtual_size: 0,
            labels: None,
        }
    }

    fn refs(patterns: &[&str], i: ImageSummary) -> Result<Option<Vec<String>>, String> {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        by_reference(&patterns, i)
            .map(|kept| kept.map(|i| [i.repo_tags, i.repo_digests].concat()))
            .map_err(|e| e.message)
    }

    /// Checked against dockerd 20.10 (`GET /images/json?filters=...`).
    #[test]
    fn only_matching_references_are_listed_as_dockerd_lists_them() {
        let toolbox = || {
            image(
                &["127.0.0.1:5100/toolbox:latest", "dmn-toolbox:latest"],
                &["127.0.0.1:5100/toolbox@sha256:aa"],
            )
        };
        let some = |v: &[&str]| Ok(Some(v.iter().map(|s| s.to_string()).collect()));
        assert_eq!(refs(&["dmn-*"], toolbox()), some(&["dmn-toolbox:latest"]));
        assert_eq!(
            refs(&["*/toolbox"], toolbox()),
            some(&[
                "127.0.0.1:5100/toolbox:latest",
                "127.0.0.1:5100/toolbox@sha256:aa"
            ])
        );
        assert_eq!(refs(&["*"], toolbox()), some(&["dmn-toolbox:latest"]));
        assert_eq!(
            refs(&["dmn-toolbox:lat*"], toolbox()),
            some(&["dmn-toolbox:latest"])
        );
        assert_eq!(refs(&["nothing"], toolbox()), Ok(None));
        assert_eq!(refs(&["x["], toolbox()).unwrap_err(), BAD_PATTERN);
        assert_eq!(
            refs(&[], toolbox()),
            some(&[
                "127.0.0.1:5100/toolbox:latest",
                "dmn-toolbox:latest",
                "127.0.0.1:5100/toolbox@sha256:aa"
            ])
        );
    }

    #[test]
    fn familiar_names_drop_the_tag_or_digest_only() {
        assert_eq!(
            familiar_name("127.0.0.1:5000/busybox:latest"),
            "127.0.0.1:5000/busybox"
        );
        assert_eq!(
            familiar_name("127.0.0.1:5000/busybox"),
            "127.0.0.1:5000/busybox"
        );
        assert_eq!(familiar_name("busybox@sha256:aa"), "busybox");
    }

    #[test]
    fn name_and_id_values_are_searched_as_regular_expressions() {
        let s = Search::new("^/dmn-x$");
        assert!(s.hits("/dmn-x") && !s.hits("/dmn-xy"));
        assert!(Search::new("o.t").hits("/dmn-out"));
        // Not a regular expression: only the exact value matches.
        let bad = Search::new("[");
        assert!(bad.regex.is_none() && bad.hits("[") && !bad.hits("/x"));
        // Too large to compile under the cap: matches nothing, quickly.
        let huge = Search::new("(a{1000}){1000}");
        assert!(huge.regex.is_none());
    }
}
