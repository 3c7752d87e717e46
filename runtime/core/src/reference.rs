//! Docker image references: `alpine` is `docker.io/library/alpine:latest`, `user/app:1` is
//! `docker.io/user/app:1`, and `127.0.0.1:5000/x` names a registry host because its first
//! component has a `.`, a `:` or is `localhost`. The grammar and the domain split come from
//! `oci_spec::distribution::Reference`; this module adds what that type lacks for Docker
//! compatibility: Docker's pre-checks and error texts (`repository name must be lowercase`,
//! 64-hex names refused), the total name length rule, and the *familiar* form (`alpine:latest`)
//! that every Docker message prints. It never looks anything up. It is the runtime's one
//! reference: the store keys tags by it and the registry resolves it, so a pull parses the
//! user's text once and passes this value through. (The model and the berth CLI parse with
//! berth-format's independent implementation of the same grammar; the `reference` fuzz target
//! holds the two to the same answers.)

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use oci_spec::distribution::{ParseError, Reference as OciReference};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::digest::Digest;
use crate::{ErrorKind, Kind};

const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DOMAIN: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// Why a string is not a valid reference; the texts are Docker's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReferenceError {
    #[error("repository name must have at least one component")]
    Empty,
    #[error("invalid reference format")]
    Format { input: String },
    #[error("invalid reference format: repository name must be lowercase")]
    Uppercase { input: String },
    #[error("invalid repository name ({input}), cannot specify 64-byte hexadecimal strings")]
    HexName { input: String },
    #[error("repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters")]
    TooLong { input: String },
    #[error("invalid tag format")]
    Tag { input: String },
    #[error("{message}")]
    Digest { input: String, message: String },
    #[error("refusing to create a tag with a digest reference")]
    TagWithDigest { input: String },
    #[error("refusing to create an ambiguous tag using digest algorithm as name")]
    AlgorithmAsName { input: String },
}

impl Kind for ReferenceError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidParameter
    }
}

/// A normalised reference: a repository with a tag (`latest` when none was given) or a digest.
#[derive(Clone)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// The repository's full name, e.g. `docker.io/library/alpine`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The registry host, e.g. `docker.io` or `127.0.0.1:5000`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path inside the registry, e.g. `library/alpine`.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// A digest reference (`repo@sha256:...`), which Docker calls canonical.
    pub fn is_digest(&self) -> bool {
        self.digest.is_some()
    }

    /// The repository name as Docker prints it: `alpine`, `user/app`, `127.0.0.1:5000/x`.
    pub fn familiar_name(&self) -> String {
        if self.domain != DEFAULT_DOMAIN {
            return self.name();
        }
        match self.path.strip_prefix(OFFICIAL_PREFIX) {
            Some(rest) if !rest.contains('/') => rest.to_owned(),
            _ => self.path.clone(),
        }
    }

    /// The whole reference as Docker prints it: `alpine:latest`, `alpine@sha256:...`.
    pub fn familiar(&self) -> String {
        self.render(&self.familiar_name())
    }

    /// The same repository with `tag` (Docker's `WithTag`), dropping any digest.
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        let valid = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            && !tag.starts_with(['.', '-']);
        if !valid {
            return Err(ReferenceError::Tag {
                input: tag.to_owned(),
            });
        }
        Ok(Reference {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.clone()
        })
    }

    /// The same repository with `digest` and no tag: the reference a pull records.
    pub fn with_digest(&self, digest: &Digest) -> Reference {
        Reference {
            tag: None,
            digest: Some(digest.clone()),
            ..self.clone()
        }
    }

    /// The form under which the store keeps this reference: a digest wins over a tag, as in
    /// Docker's reference store.
    pub fn key(&self) -> Reference {
        match &self.digest {
            Some(d) if self.tag.is_some() => self.with_digest(d),
            _ => self.clone(),
        }
    }

    /// Checks that the reference may be used as a tag (Docker's `AddTag` rules).
    pub fn check_taggable(&self) -> Result<(), ReferenceError> {
        if self.is_digest() {
            return Err(ReferenceError::TagWithDigest {
                input: self.to_string(),
            });
        }
        if self.familiar_name() == "sha256" {
            return Err(ReferenceError::AlgorithmAsName {
                input: self.to_string(),
            });
        }
        Ok(())
    }

    fn render(&self, name: &str) -> String {
        let mut out = name.to_owned();
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(&digest.to_string());
        }
        out
    }
}

/// Docker's `splitDockerDomain`, needed before parsing to apply the lowercase rule to the
/// repository part only (a registry host may contain capitals).
fn split_docker_domain(name: &str) -> (&str, String) {
    let (domain, remainder) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
            (first, rest.to_owned())
        }
        _ => (DEFAULT_DOMAIN, name.to_owned()),
    };
    let domain = if domain == LEGACY_DOMAIN {
        DEFAULT_DOMAIN
    } else {
        domain
    };
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        return (domain, format!("{OFFICIAL_PREFIX}{remainder}"));
    }
    (domain, remainder)
}

fn is_64_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn map_oci_error(input: &str, e: ParseError) -> ReferenceError {
    let input = input.to_owned();
    match e {
        ParseError::NameEmpty => ReferenceError::Empty,
        ParseError::NameContainsUppercase => ReferenceError::Uppercase { input },
        ParseError::NameTooLong => ReferenceError::TooLong { input },
        ParseError::TagInvalidFormat => ReferenceError::Tag { input },
        ParseError::ReferenceInvalidFormat => ReferenceError::Format { input },
        other => ReferenceError::Digest {
            input,
            message: other.to_string(),
        },
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    /// Docker's `ParseNormalizedNamed` followed by `TagNameOnly`.
    fn from_str(s: &str) -> Result<Reference, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::Empty);
        }
        // Docker's grammar is ASCII throughout (Go's `\w` is `[0-9A-Za-z_]`); the regular
        // expressions behind the parser below take `\w` as Unicode, so a tag such as `5000чЉ`
        // would pass (found by the reference fuzz target).
        if !s.is_ascii() {
            return Err(ReferenceError::Format {
                input: s.to_owned(),
            });
        }
        if is_64_hex(s) {
            return Err(ReferenceError::HexName {
                input: s.to_owned(),
            });
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote = remainder.split(':').next().unwrap_or_default();
        if remote.to_lowercase() != remote {
            return Err(ReferenceError::Uppercase {
                input: s.to_owned(),
            });
        }
        let full = format!("{domain}/{remainder}");
        // The name ends at the first ':' or '@' after the domain (a port's ':' is not a tag).
        let after_domain = domain.len() + 1;
        let name_len = full[after_domain..]
            .find([':', '@'])
            .map_or(full.len(), |j| after_domain + j);
        if name_len > NAME_TOTAL_LENGTH_MAX {
            return Err(ReferenceError::TooLong {
                input: s.to_owned(),
            });
        }
        let parsed: OciReference = full.parse().map_err(|e| map_oci_error(s, e))?;
        let digest = match parsed.digest() {
            None => None,
            Some(d) => Some(d.parse::<Digest>().map_err(|e| ReferenceError::Digest {
                input: s.to_owned(),
                message: e.to_string(),
            })?),
        };
        Ok(Reference {
            domain: parsed.registry().to_owned(),
            path: parsed.repository().to_owned(),
            tag: parsed.tag().map(str::to_owned),
            digest,
        })
    }
}

impl fmt::Display for Reference {
    /// The fully normalised form, e.g. `docker.io/library/alpine:latest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&self.name()))
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({self})")
    }
}

impl PartialEq for Reference {
    fn eq(&self, other: &Reference) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Reference {}

impl Hash for Reference {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_string().hash(state);
    }
}

impl PartialOrd for Reference {
    fn partial_cmp(&self, other: &Reference) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Reference {
    /// Docker sorts references by their full string (`lexicalRefs`).
    fn cmp(&self, other: &Reference) -> Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Reference, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(s: &str) -> String {
        s.parse::<Reference>().unwrap().to_string()
    }

    fn err(s: &str) -> String {
        s.parse::<Reference>().unwrap_err().to_string()
    }

    #[test]
    fn short_names_normalise_to_docker_hub_library_latest() {
        assert_eq!(full("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(full("user/app:1"), "docker.io/user/app:1");
        assert_eq!(
            full("index.docker.io/alpine:3"),
            "docker.io/library/alpine:3"
        );
        assert_eq!(
            full("docker.io/library/alpine"),
            "docker.io/library/alpine:latest"
        );
    }

    #[test]
    fn registry_hosts_are_recognised() {
        assert_eq!(full("127.0.0.1:5000/x"), "127.0.0.1:5000/x:latest");
        assert_eq!(full("localhost/x:y"), "localhost/x:y");
        assert_eq!(full("example.com/a/b"), "example.com/a/b:latest");
        assert_eq!(full("a/b/c"), "docker.io/a/b/c:latest");
    }

    #[test]
    fn familiar_forms_drop_docker_hub_and_library() {
        let r: Reference = "docker.io/library/alpine:3.10".parse().unwrap();
        assert_eq!(r.familiar(), "alpine:3.10");
        let r: Reference = "user/app".parse().unwrap();
        assert_eq!(r.familiar(), "user/app:latest");
        let r: Reference = "library/a/b".parse().unwrap();
        assert_eq!(r.familiar(), "library/a/b:latest");
        let r: Reference = "127.0.0.1:5055/foo".parse().unwrap();
        assert_eq!(r.familiar(), "127.0.0.1:5055/foo:latest");
    }

    #[test]
    fn digest_references_carry_no_default_tag() {
        let hex = "0".repeat(64);
        let r: Reference = format!("bb@sha256:{hex}").parse().unwrap();
        assert!(r.is_digest());
        assert_eq!(r.tag(), None);
        assert_eq!(r.familiar(), format!("bb@sha256:{hex}"));
    }

    #[test]
    fn errors_use_dockers_texts() {
        assert_eq!(
            err("FOO"),
            "invalid reference format: repository name must be lowercase"
        );
        assert_eq!(err("a:b:c"), "invalid reference format");
        assert_eq!(err("x7:-bad"), "invalid reference format");
        assert_eq!(err(""), "repository name must have at least one component");
        let hex = "a".repeat(64);
        assert!(err(&hex).contains("cannot specify 64-byte hexadecimal strings"));
    }

    #[test]
    fn uppercase_registry_hosts_are_allowed_but_not_uppercase_paths() {
        assert!("Example.com/foo".parse::<Reference>().is_ok());
        assert!("example.com/Foo".parse::<Reference>().is_err());
    }

    #[test]
    fn sha256_prefix_parses_as_a_name_and_tag_like_docker() {
        let r: Reference = "sha256:0123456789abcdef".parse().unwrap();
        assert_eq!(r.familiar(), "sha256:0123456789abcdef");
        assert!(r.check_taggable().is_err());
    }

    #[test]
    fn with_tag_validates_like_docker() {
        let r: Reference = "bb".parse().unwrap();
        assert_eq!(r.with_tag("v1").unwrap().familiar(), "bb:v1");
        assert_eq!(
            r.with_tag("b:c").unwrap_err().to_string(),
            "invalid tag format"
        );
        assert!(r.with_tag("-x").is_err());
    }

    /// Found by the `reference` fuzz target: the parser's `\w` took Cyrillic letters in a tag.
    #[test]
    fn non_ascii_tags_are_an_invalid_reference_format() {
        for input in [
            "127.0.0.1:5000\u{447}\u{409}7.g",
            "alpine:\u{442}\u{435}\u{433}",
            "caf\u{e9}",
        ] {
            let err = input.parse::<Reference>().unwrap_err();
            assert_eq!(err.to_string(), "invalid reference format", "{input}");
        }
    }

    #[test]
    fn too_long_names_are_refused() {
        let long = format!("a/{}", "b".repeat(260));
        assert!(matches!(
            long.parse::<Reference>(),
            Err(ReferenceError::TooLong { .. })
        ));
    }
}
