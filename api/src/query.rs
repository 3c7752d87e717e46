//! Query strings and path segments as the docker CLI writes them: values percent-encoded
//! ([`enc`]), an image reference split into `fromImage`/`repo` and `tag` ([`split_reference`]),
//! and the typed query of each endpoint that takes more than a flag or two.

/// Percent-encodes a path segment or query value: RFC 3986's unreserved characters stay, every
/// other byte is `%XX` (valid in a path and in a query alike, unlike Go's `+` for a space).
pub fn enc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Splits `name[:tag]` or `name@digest` as the CLI does for `fromImage` and `tag` (a missing tag
/// is `latest`; a colon before the last slash is a registry's port).
pub fn split_reference(reference: &str) -> (String, String) {
    if let Some((name, digest)) = reference.split_once('@') {
        return (name.to_string(), digest.to_string());
    }
    let slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[slash..].rfind(':') {
        Some(i) => (
            reference[..slash + i].to_string(),
            reference[slash + i + 1..].to_string(),
        ),
        None => (reference.to_string(), "latest".to_string()),
    }
}

/// `POST /images/create?fromImage=NAME&tag=TAG`: a pull.
pub fn pull_path(reference: &str) -> String {
    let (name, tag) = split_reference(reference);
    format!("/images/create?fromImage={}&tag={}", enc(&name), enc(&tag))
}

/// `POST /images/{source}/tag?repo=REPO&tag=TAG`.
pub fn tag_path(source: &str, target: &str) -> String {
    let (repo, tag) = split_reference(target);
    format!(
        "/images/{}/tag?repo={}&tag={}",
        enc(source),
        enc(&repo),
        enc(&tag)
    )
}

/// `GET /images/json` as docker CLI 28 asks for `docker images [-a] [REFERENCE]`: `all=1`, and
/// the reference as a `filters` document (`{"reference":{"REF":true}}`).
pub fn images_path(all: bool, reference: Option<&str>) -> String {
    let mut query = Vec::new();
    if all {
        query.push("all=1".to_string());
    }
    if let Some(reference) = reference {
        let filters = std::collections::BTreeMap::from([(
            "reference",
            std::collections::BTreeMap::from([(reference, true)]),
        )]);
        let filters = serde_json::to_string(&filters).unwrap_or_default();
        query.push(format!("filters={}", enc(&filters)));
    }
    match query.is_empty() {
        true => "/images/json".to_string(),
        false => format!("/images/json?{}", query.join("&")),
    }
}

/// `POST /containers/create[?name=NAME]`.
pub fn create_path(name: Option<&str>) -> String {
    match name {
        Some(name) => format!("/containers/create?name={}", enc(name)),
        None => "/containers/create".to_string(),
    }
}

/// `POST /containers/{id}/attach?...`: the streams of `run`/`start -a`.
pub fn attach_path(id: &str, stdin: bool) -> String {
    let stdin = if stdin { "&stdin=1" } else { "" };
    format!("/containers/{id}/attach?stream=1&stdout=1&stderr=1{stdin}")
}

/// The `condition` of `POST /containers/{id}/wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitCondition {
    NotRunning,
    NextExit,
    Removed,
}

impl WaitCondition {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitCondition::NotRunning => "not-running",
            WaitCondition::NextExit => "next-exit",
            WaitCondition::Removed => "removed",
        }
    }
}

/// `POST /containers/{id}/wait?condition=...`.
pub fn wait_path(id: &str, condition: WaitCondition) -> String {
    format!("/containers/{id}/wait?condition={}", condition.as_str())
}

/// `POST /commit`'s query: the container, and optionally the repository, comment and changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitQuery {
    pub container: String,
    /// `repo[:tag]`.
    pub reference: Option<String>,
    pub comment: Option<String>,
    pub changes: Vec<String>,
}

impl CommitQuery {
    pub fn path(&self) -> String {
        let mut path = format!("/commit?container={}", enc(&self.container));
        if let Some(reference) = &self.reference {
            let (repo, tag) = split_reference(reference);
            path.push_str(&format!("&repo={}&tag={}", enc(&repo), enc(&tag)));
        }
        if let Some(comment) = &self.comment {
            path.push_str(&format!("&comment={}", enc(comment)));
        }
        for change in &self.changes {
            path.push_str(&format!("&changes={}", enc(change)));
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_like_the_cli() {
        let split = |r: &str| split_reference(r);
        assert_eq!(split("toolbox"), ("toolbox".into(), "latest".into()));
        assert_eq!(split("mine:v1"), ("mine".into(), "v1".into()));
        assert_eq!(
            split("127.0.0.1:5000/x"),
            ("127.0.0.1:5000/x".into(), "latest".into())
        );
        assert_eq!(
            split("127.0.0.1:5000/big:v1"),
            ("127.0.0.1:5000/big".into(), "v1".into())
        );
        assert_eq!(split("x@sha256:ab"), ("x".into(), "sha256:ab".into()));
    }

    #[test]
    fn values_are_percent_encoded() {
        assert_eq!(enc("a b/c:d~e"), "a%20b%2Fc%3Ad~e");
        assert_eq!(
            pull_path("127.0.0.1:5000/x"),
            "/images/create?fromImage=127.0.0.1%3A5000%2Fx&tag=latest"
        );
    }

    #[test]
    fn commits_name_only_what_was_given() {
        let query = CommitQuery {
            container: "c".into(),
            reference: Some("r:t".into()),
            comment: None,
            changes: vec!["CMD x".into()],
        };
        assert_eq!(
            query.path(),
            "/commit?container=c&repo=r&tag=t&changes=CMD%20x"
        );
    }
}
