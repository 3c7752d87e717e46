//! Image references (`alpine`, `user/app:1`, `127.0.0.1:5000/x@sha256:…`) parsed and printed
//! exactly as `github.com/docker/distribution/reference` v2.8.1 (vendored by moby 20.10.24)
//! and `github.com/opencontainers/go-digest` v1.0.0 do: `ParseNormalizedNamed`, `ParseNamed`,
//! `ParseAnyReference`, `FamiliarString`, `FamiliarName`, `TagNameOnly`, `WithTag`,
//! `TrimNamed`, and moby's `isImageIDPrefix`.
//!
//! The library's grammar is a set of regular expressions; here it is a hand-written matcher of
//! the same language (no regex crate), and the error texts are the library's, word for word.
//! This module owns only the syntax of a reference: whether an image exists, and what a tag
//! points at, belong to the model's image store. The model and the berth CLI parse with it;
//! the runtime keeps its own parser (`berth_core::Reference`, over oci-spec), and the
//! `reference` fuzz target checks that the two accept the same strings. Every
//! [`ReferenceError`] is a bad parameter (HTTP 400), as moby's `errdefs` classes them.
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain "/"] path-component ["/" path-component]*
//! domain           := domain-component ["." domain-component]* [":" port-number]
//! domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//! port-number      := /[0-9]+/
//! path-component   := alpha-numeric [separator alpha-numeric]*
//! alpha-numeric    := /[a-z0-9]+/
//! separator        := /[_.]|__|[-]*/
//! tag              := /[\w][\w.-]{0,127}/
//! digest           := algorithm ":" /[0-9a-fA-F]{32,}/, algorithm := /[A-Za-z][A-Za-z0-9]*/
//!                     joined by one of /[-_+.]/
//! ```

use std::fmt;
use std::str::FromStr;

/// The registry that names without a domain belong to.
const DEFAULT_DOMAIN: &str = "docker.io";
/// The old spelling of [`DEFAULT_DOMAIN`], rewritten to it.
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// The namespace of official images (`alpine` is `library/alpine`).
const OFFICIAL_REPO_NAME: &str = "library";
const DEFAULT_TAG: &str = "latest";
/// `NameTotalLengthMax`: the longest full name (domain included) the library accepts.
const NAME_TOTAL_LENGTH_MAX: usize = 255;
/// The longest tag: one leading character and at most 127 more.
const TAG_LENGTH_MAX: usize = 128;

/// Why a string is not a reference, with the library's exact texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// `ErrReferenceInvalidFormat`: the string is outside the grammar.
    #[error("invalid reference format")]
    InvalidFormat,
    /// `ParseNormalizedNamed`'s own check: the repository part has an uppercase letter.
    #[error("invalid reference format: repository name must be lowercase")]
    NotLowercase,
    /// `ErrNameContainsUppercase`: outside the grammar, but inside it once lowercased (only
    /// reachable here through an invalid domain, such as `Foo_bar.com/x`).
    #[error("repository name must be lowercase")]
    ContainsUppercase,
    /// `ErrNameTooLong`: the full name (domain included) is over 255 characters.
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    /// `ErrNameNotCanonical`, from [`Reference::parse_named`].
    #[error("repository name must be canonical")]
    NotCanonical,
    /// A repository name that is 64 lowercase hex characters, which would read as an image ID.
    #[error("invalid repository name ({name}), cannot specify 64-byte hexadecimal strings")]
    HexRepositoryName { name: String },
    /// `ErrTagInvalidFormat`, from [`Reference::with_tag`].
    #[error("invalid tag format")]
    TagFormat,
    /// go-digest's `ErrDigestInvalidFormat`.
    #[error("invalid checksum digest format")]
    DigestFormat,
    /// go-digest's `ErrDigestInvalidLength`: the hex is not as long as the algorithm's sum.
    #[error("invalid checksum digest length")]
    DigestLength,
    /// go-digest's `ErrDigestUnsupported`: not sha256, sha384 or sha512.
    #[error("unsupported digest algorithm")]
    DigestUnsupported,
}

/// A named reference: a domain, a repository path, and an optional tag and digest.
///
/// Built by [`FromStr`] (`ParseNormalizedNamed`), so a parsed value is always normalised:
/// `alpine` is `docker.io/library/alpine`. [`fmt::Display`] prints that full form;
/// [`Reference::familiar`] prints the short one users type. The domain is empty only in the
/// library's corner case of a first component that has a `.` but is no valid domain
/// (`foo_bar.com/x`), which the library then reads as a plain path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// What `ParseAnyReference` returns: a name, or a bare image digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnyReference {
    Named(Reference),
    /// `algorithm:hex`, already validated (`sha256:<64 hex>` in practice).
    Digest(String),
}

impl Reference {
    /// `ParseNormalizedNamed`: a familiar or full name, with the default domain and the
    /// `library/` namespace filled in.
    pub fn parse_normalized(s: &str) -> Result<Reference, ReferenceError> {
        if is_identifier(s) {
            return Err(ReferenceError::HexRepositoryName {
                name: s.to_string(),
            });
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote_name = remainder.split(':').next().unwrap_or_default();
        if !is_go_lowercase(remote_name) {
            return Err(ReferenceError::NotLowercase);
        }
        parse(&format!("{domain}/{remainder}"))
    }

    /// `ParseNamed`: like [`Reference::parse_normalized`], but `s` must already be in full
    /// form (`docker.io/library/alpine`, not `alpine`).
    pub fn parse_named(s: &str) -> Result<Reference, ReferenceError> {
        let named = Reference::parse_normalized(s)?;
        if named.to_string() != s {
            return Err(ReferenceError::NotCanonical);
        }
        Ok(named)
    }

    /// The registry host (`docker.io`, `127.0.0.1:5000`).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path inside the registry (`library/alpine`).
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, `algorithm:hex`.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    pub fn is_tagged(&self) -> bool {
        self.tag.is_some()
    }

    /// Whether the reference pins a digest (the library's `Canonical`).
    pub fn is_canonical(&self) -> bool {
        self.digest.is_some()
    }

    /// `IsNameOnly`: neither tag nor digest.
    pub fn is_name_only(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }

    /// `Name()`: the full repository name, `docker.io/library/alpine`.
    pub fn name(&self) -> String {
        join_name(&self.domain, &self.path)
    }

    /// `FamiliarName`: the repository name as users write it (`alpine`, `user/app`,
    /// `127.0.0.1:5000/x`).
    pub fn familiar_name(&self) -> String {
        let (domain, path) = self.familiar_parts();
        join_name(domain, path)
    }

    /// `FamiliarString`: the reference as users write it (`alpine:latest`, `user/app:1`,
    /// `alpine@sha256:…`). No tag is added: see [`Reference::with_default_tag`].
    pub fn familiar(&self) -> String {
        with_suffixes(self.familiar_name(), self.tag(), self.digest())
    }

    /// `TagNameOnly`: the same reference with tag `latest` when it has neither tag nor digest.
    pub fn with_default_tag(&self) -> Reference {
        let mut tagged = self.clone();
        if self.is_name_only() {
            tagged.tag = Some(DEFAULT_TAG.to_string());
        }
        tagged
    }

    /// `WithTag`: the same name and digest with `tag` as the tag.
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        if !is_tag(tag) {
            return Err(ReferenceError::TagFormat);
        }
        Ok(Reference {
            tag: Some(tag.to_string()),
            ..self.clone()
        })
    }

    /// `TrimNamed`: the repository alone, without tag or digest.
    pub fn trimmed(&self) -> Reference {
        Reference {
            tag: None,
            digest: None,
            ..self.clone()
        }
    }

    /// The domain and path of `familiarizeName`: no default domain, no `library/` for
    /// official images (only when the path has exactly two components).
    fn familiar_parts(&self) -> (&str, &str) {
        if self.domain != DEFAULT_DOMAIN {
            return (&self.domain, &self.path);
        }
        match self.path.split_once('/') {
            Some((OFFICIAL_REPO_NAME, rest)) if !rest.contains('/') => ("", rest),
            _ => ("", &self.path),
        }
    }
}

impl AnyReference {
    /// `ParseAnyReference`: 64 lowercase hex is the digest `sha256:<hex>`; a string that is a
    /// valid digest is that digest; anything else is parsed as a normalised name.
    pub fn parse_any(s: &str) -> Result<AnyReference, ReferenceError> {
        if is_identifier(s) {
            return Ok(AnyReference::Digest(format!("sha256:{s}")));
        }
        if validate_digest(s).is_ok() {
            return Ok(AnyReference::Digest(s.to_string()));
        }
        Reference::parse_normalized(s).map(AnyReference::Named)
    }

    /// `FamiliarString` of either kind (a digest prints as itself).
    pub fn familiar(&self) -> String {
        match self {
            AnyReference::Named(named) => named.familiar(),
            AnyReference::Digest(digest) => digest.clone(),
        }
    }
}

/// Shorthand for [`AnyReference::parse_any`].
pub fn parse_any(s: &str) -> Result<AnyReference, ReferenceError> {
    AnyReference::parse_any(s)
}

/// moby's `isImageIDPrefix`: `prefix` begins `image_id`, or begins what follows its first
/// `:` (so both `sha256:4bcf` and `4bcf` match `sha256:4bcff6…`, and so does `""`).
pub fn is_image_id_prefix(image_id: &str, prefix: &str) -> bool {
    image_id.starts_with(prefix)
        || image_id
            .split_once(':')
            .is_some_and(|(_, hex)| hex.starts_with(prefix))
}

impl FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse_normalized(s)
    }
}

impl FromStr for AnyReference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AnyReference::parse_any(s)
    }
}

/// The full form: `docker.io/library/alpine:latest`, `docker.io/library/alpine@sha256:…`.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&with_suffixes(self.name(), self.tag(), self.digest()))
    }
}

impl fmt::Display for AnyReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnyReference::Named(named) => named.fmt(f),
            AnyReference::Digest(digest) => f.write_str(digest),
        }
    }
}

/// Serialised as its full form, and read back through `ParseNormalizedNamed`.
impl serde::Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn join_name(domain: &str, path: &str) -> String {
    if domain.is_empty() {
        path.to_string()
    } else {
        format!("{domain}/{path}")
    }
}

fn with_suffixes(mut name: String, tag: Option<&str>, digest: Option<&str>) -> String {
    if let Some(tag) = tag {
        name.push(':');
        name.push_str(tag);
    }
    if let Some(digest) = digest {
        name.push('@');
        name.push_str(digest);
    }
    name
}

/// `splitDockerDomain`: the first component is a domain only when it has a `.` or a `:` or
/// is `localhost`; otherwise the name is on Docker Hub, and a one-component Hub name is an
/// official image under `library/`.
fn split_docker_domain(name: &str) -> (&str, String) {
    let (mut domain, remainder) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => (DEFAULT_DOMAIN, name),
    };
    if domain == LEGACY_DEFAULT_DOMAIN {
        domain = DEFAULT_DOMAIN;
    }
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        return (domain, format!("{OFFICIAL_REPO_NAME}/{remainder}"));
    }
    (domain, remainder.to_string())
}

/// `Parse`: the anchored `ReferenceRegexp`, then the name length, then the digest's own
/// validation. Always called with a domain in front, so the name is never empty.
fn parse(s: &str) -> Result<Reference, ReferenceError> {
    let Some(parts) = match_reference(s) else {
        return Err(match match_reference(&go_to_lower(s)) {
            Some(_) => ReferenceError::ContainsUppercase,
            None => ReferenceError::InvalidFormat,
        });
    };
    if parts.name_len > NAME_TOTAL_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong);
    }
    if let Some(digest) = parts.digest {
        validate_digest(digest)?;
    }
    Ok(Reference {
        domain: parts.domain.to_string(),
        path: parts.path.to_string(),
        tag: parts.tag.map(str::to_string),
        digest: parts.digest.map(str::to_string),
    })
}

/// The captures of `ReferenceRegexp` and `anchoredNameRegexp` for one string.
#[derive(Debug)]
struct Parts<'a> {
    domain: &'a str,
    path: &'a str,
    name_len: usize,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

/// Matches `name [":" tag] ["@" digest]`, or `None` when the string is outside the grammar.
///
/// No part but the digest may hold `@`, so the digest is whatever follows the only `@`. A
/// name holds `:` only in a domain's port, which a `/` always follows, so a `:` with no `/`
/// after it starts the tag.
fn match_reference(s: &str) -> Option<Parts<'_>> {
    let (rest, digest) = match s.split_once('@') {
        Some((rest, digest)) if is_reference_digest(digest) => (rest, Some(digest)),
        Some(_) => return None,
        None => (s, None),
    };
    let (name, tag) = match rest.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
        _ => (rest, None),
    };
    if tag.is_some_and(|tag| !is_tag(tag)) {
        return None;
    }
    let (domain, path) = match_name(name)?;
    Some(Parts {
        domain,
        path,
        name_len: name.len(),
        tag,
        digest,
    })
}

/// `anchoredNameRegexp`: the name split into (domain, path). The domain is optional but
/// greedy, so a first component that is a valid domain is taken as one (`a/b` has domain
/// `a`); when it is not, the whole name must be a path (domain `""`).
fn match_name(name: &str) -> Option<(&str, &str)> {
    if let Some((first, path)) = name.split_once('/') {
        if is_domain(first) && is_path(path) {
            return Some((first, path));
        }
    }
    is_path(name).then_some(("", name))
}

/// One or more path components joined by `/`.
fn is_path(path: &str) -> bool {
    path.split('/').all(is_path_component)
}

/// `[a-z0-9]+` runs joined by exactly one of `.`, `_`, `__` or a run of `-`.
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    alnum(first)
        && alnum(last)
        && bytes
            .split(alnum)
            .filter(|gap| !gap.is_empty())
            .all(is_path_separator)
}

fn is_path_separator(gap: &[u8]) -> bool {
    matches!(gap, b"." | b"_" | b"__") || gap.iter().all(|b| *b == b'-')
}

/// `DomainRegexp`: dot-separated domain components and an optional `:port`.
fn is_domain(domain: &str) -> bool {
    let (host, port) = match domain.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok && host.split('.').all(is_domain_component)
}

/// Letters (either case) and digits, with `-` allowed inside but not at either end.
fn is_domain_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// `TagRegexp`: a word character, then at most 127 word characters, `.` or `-`.
fn is_tag(tag: &str) -> bool {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let bytes = tag.as_bytes();
    bytes.len() <= TAG_LENGTH_MAX
        && bytes.first().is_some_and(word)
        && bytes.iter().all(|b| word(b) || *b == b'.' || *b == b'-')
}

/// The reference grammar's `DigestRegexp`: algorithm components that start with a letter,
/// joined by one of `-_+.`, then `:` and at least 32 hex digits of either case.
fn is_reference_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let component_ok = |c: &str| {
        c.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && c.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    algorithm.split(['-', '_', '+', '.']).all(component_ok)
        && hex.len() >= 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// go-digest's `Digest.Validate`, with the algorithms a docker binary has linked in (sha256
/// and sha512 come with crypto/tls, and sha384 is part of crypto/sha512).
fn validate_digest(digest: &str) -> Result<(), ReferenceError> {
    let (algorithm, encoded) = match digest.split_once(':') {
        Some((algorithm, encoded)) if !algorithm.is_empty() && !encoded.is_empty() => {
            (algorithm, encoded)
        }
        _ => return Err(ReferenceError::DigestFormat),
    };
    let Some(hex_len) = hex_length(algorithm) else {
        return Err(if is_go_digest_syntax(algorithm, encoded) {
            ReferenceError::DigestUnsupported
        } else {
            ReferenceError::DigestFormat
        });
    };
    if encoded.len() != hex_len {
        return Err(ReferenceError::DigestLength);
    }
    if !encoded
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ReferenceError::DigestFormat);
    }
    Ok(())
}

/// How many hex characters a supported algorithm's digest has.
fn hex_length(algorithm: &str) -> Option<usize> {
    match algorithm {
        "sha256" => Some(64),
        "sha384" => Some(96),
        "sha512" => Some(128),
        _ => None,
    }
}

/// go-digest's `DigestRegexpAnchored`, `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`, for a
/// digest already split at its first `:`.
fn is_go_digest_syntax(algorithm: &str, encoded: &str) -> bool {
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    algorithm.split(['.', '+', '_', '-']).all(component_ok)
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=_-".contains(&b))
}

/// `anchoredIdentifierRegexp`: exactly 64 lowercase hex characters.
fn is_identifier(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Go's `strings.ToLower`: each character mapped alone by `unicode.ToLower`. Rust's
/// `str::to_lowercase` differs in two places (final sigma, and `İ` becoming two characters),
/// and the difference decides between two error texts, so the mapping is per character.
fn go_to_lower(s: &str) -> String {
    s.chars().map(go_lower_char).collect()
}

fn go_lower_char(c: char) -> char {
    match c {
        '\u{130}' => 'i',
        c => c.to_lowercase().next().unwrap_or(c),
    }
}

/// `go_to_lower(s) == s`, without building the lowered copy (the mapping is char to char).
fn is_go_lowercase(s: &str) -> bool {
    s.chars().all(|c| go_lower_char(c) == c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEX: &str = "4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1";

    fn parse_ok(s: &str) -> Reference {
        s.parse()
            .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn parse_err(s: &str) -> String {
        match s.parse::<Reference>() {
            Ok(r) => panic!("{s:?} should not parse, got {r}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn official_images_get_domain_and_library() {
        let r = parse_ok("alpine");
        assert_eq!(
            (r.domain(), r.path(), r.tag(), r.digest()),
            ("docker.io", "library/alpine", None, None)
        );
        assert_eq!(r.to_string(), "docker.io/library/alpine");
        assert_eq!(r.familiar(), "alpine");
        assert_eq!(
            r.with_default_tag().to_string(),
            "docker.io/library/alpine:latest"
        );
        assert_eq!(r.with_default_tag().familiar(), "alpine:latest");
    }

    #[test]
    fn user_images_get_the_domain_only() {
        let r = parse_ok("user/app:1");
        assert_eq!(r.to_string(), "docker.io/user/app:1");
        assert_eq!(r.name(), "docker.io/user/app");
        assert_eq!(r.familiar(), "user/app:1");
        assert_eq!(r.familiar_name(), "user/app");
        assert_eq!(r.tag(), Some("1"));
    }

    #[test]
    fn a_first_component_is_a_domain_with_a_dot_a_colon_or_localhost() {
        let r = parse_ok("127.0.0.1:5000/x");
        assert_eq!((r.domain(), r.path()), ("127.0.0.1:5000", "x"));
        assert_eq!(r.with_default_tag().familiar(), "127.0.0.1:5000/x:latest");
        assert_eq!(parse_ok("localhost/x").domain(), "localhost");
        assert_eq!(
            parse_ok("localhost:5000/x:1").to_string(),
            "localhost:5000/x:1"
        );
        assert_eq!(parse_ok("example.com/a/b").path(), "a/b");
        assert_eq!(parse_ok("myhost:80/a").domain(), "myhost:80");
        // No dot, no colon, not localhost: a Docker Hub namespace.
        assert_eq!(
            parse_ok("localhost2/x").to_string(),
            "docker.io/localhost2/x"
        );
        // `Localhost` is not `localhost`, so it is a Hub namespace, and namespaces are lowercase.
        assert_eq!(
            parse_err("Localhost/x"),
            "invalid reference format: repository name must be lowercase"
        );
    }

    #[test]
    fn a_lone_localhost_is_an_image_name() {
        assert_eq!(
            parse_ok("localhost").to_string(),
            "docker.io/library/localhost"
        );
        assert_eq!(
            parse_ok("localhost:5000").to_string(),
            "docker.io/library/localhost:5000"
        );
        assert_eq!(parse_ok("localhost:5000").tag(), Some("5000"));
    }

    #[test]
    fn legacy_and_explicit_hub_domains_normalise() {
        assert_eq!(
            parse_ok("index.docker.io/alpine").to_string(),
            "docker.io/library/alpine"
        );
        assert_eq!(
            parse_ok("docker.io/alpine:3.10").to_string(),
            "docker.io/library/alpine:3.10"
        );
        assert_eq!(parse_ok("docker.io/library/alpine").familiar(), "alpine");
        assert_eq!(parse_ok("index.docker.io/user/app").familiar(), "user/app");
        assert_eq!(parse_ok("docker.io/library/a/b").familiar(), "library/a/b");
    }

    #[test]
    fn digests() {
        let r = parse_ok(&format!("alpine@sha256:{HEX}"));
        assert!(r.is_canonical() && !r.is_tagged());
        assert_eq!(r.digest(), Some(format!("sha256:{HEX}").as_str()));
        assert_eq!(r.familiar(), format!("alpine@sha256:{HEX}"));
        assert_eq!(
            r.with_default_tag(),
            r,
            "TagNameOnly adds no tag to a digested reference"
        );
        let both = parse_ok(&format!("alpine:3@sha256:{HEX}"));
        assert_eq!(
            both.to_string(),
            format!("docker.io/library/alpine:3@sha256:{HEX}")
        );
        assert_eq!(both.trimmed().to_string(), "docker.io/library/alpine");
        let sha512 = format!("alpine@sha512:{}", "ab".repeat(64));
        assert!(parse_ok(&sha512).is_canonical());
    }

    #[test]
    fn digest_errors_use_go_digest_texts() {
        assert_eq!(
            parse_err(&format!("alpine@sha256:{}", &HEX[..63])),
            "invalid checksum digest length"
        );
        assert_eq!(
            parse_err(&format!("alpine@sha256:{HEX}0")),
            "invalid checksum digest length"
        );
        assert_eq!(
            parse_err(&format!("alpine@sha256:{}", HEX.to_uppercase())),
            "invalid checksum digest format"
        );
        assert_eq!(
            parse_err(&format!("alpine@md5:{}", &HEX[..32])),
            "unsupported digest algorithm"
        );
        assert_eq!(
            parse_err(&format!("alpine@sha384:{HEX}")),
            "invalid checksum digest length"
        );
        // Outside the reference grammar: too short, not hex, or no algorithm.
        assert_eq!(
            parse_err(&format!("alpine@sha256:{}", &HEX[..31])),
            "invalid reference format"
        );
        assert_eq!(
            parse_err(&format!("alpine@sha256:{}g", &HEX[..63])),
            "invalid reference format"
        );
        assert_eq!(
            parse_err(&format!("alpine@:{HEX}")),
            "invalid reference format"
        );
        assert_eq!(
            parse_err(&format!("alpine@1sha:{HEX}")),
            "invalid reference format"
        );
        assert_eq!(parse_err("alpine@"), "invalid reference format");
        assert_eq!(
            parse_err(&format!("alpine@sha256:{HEX}@sha256:{HEX}")),
            "invalid reference format"
        );
    }

    #[test]
    fn uppercase_algorithm_trips_the_lowercase_check_first() {
        // ParseNormalizedNamed looks at everything before the first ':' as the repository.
        assert_eq!(
            parse_err(&format!("alpine@SHA256:{HEX}")),
            "invalid reference format: repository name must be lowercase"
        );
        assert_eq!(
            parse_err(&format!("localhost/alpine@MD5:{}", &HEX[..32])),
            "invalid reference format: repository name must be lowercase"
        );
    }

    #[test]
    fn unsupported_but_well_formed_algorithms() {
        assert_eq!(
            parse_err(&format!("alpine@sha256+b64:{HEX}")),
            "unsupported digest algorithm"
        );
        assert_eq!(
            parse_err(&format!("alpine@a.b-c_d:{HEX}")),
            "unsupported digest algorithm"
        );
    }

    #[test]
    fn uppercase_texts() {
        let lowercase = "invalid reference format: repository name must be lowercase";
        assert_eq!(parse_err("Alpine"), lowercase);
        assert_eq!(parse_err("docker.io/Alpine"), lowercase);
        assert_eq!(parse_err("localhost:5000/Foo"), lowercase);
        assert_eq!(parse_err("FOO/bar"), lowercase);
        assert_eq!(parse_err("\u{130}x"), lowercase);
        // Uppercase is fine in a tag and in a valid domain.
        assert_eq!(parse_ok("alpine:Latest").tag(), Some("Latest"));
        assert_eq!(parse_ok("Foo.com/x").domain(), "Foo.com");
        // An invalid domain with uppercase fails in Parse, which words it differently.
        assert_eq!(
            parse_err("Foo_bar.com/x"),
            "repository name must be lowercase"
        );
        assert_eq!(
            parse_err("\u{212a}_b.com/x"),
            "repository name must be lowercase"
        );
        assert_eq!(parse_err("Foo_bar.com/x_"), "invalid reference format");
    }

    #[test]
    fn invalid_domains_fall_back_to_a_plain_path() {
        let r = parse_ok("foo_bar.com/x");
        assert_eq!((r.domain(), r.path()), ("", "foo_bar.com/x"));
        assert_eq!(r.to_string(), "foo_bar.com/x");
        assert_eq!(r.familiar(), "foo_bar.com/x");
        assert_eq!(parse_ok(&r.to_string()), r);
        assert_eq!(parse_err("-a.com/x"), "invalid reference format");
        assert_eq!(parse_err("a.com:/x"), "invalid reference format");
        assert_eq!(parse_err("a.com:5x/x"), "invalid reference format");
    }

    #[test]
    fn hex_repository_names_are_refused() {
        assert_eq!(
            parse_err(HEX),
            format!("invalid repository name ({HEX}), cannot specify 64-byte hexadecimal strings")
        );
        // 63 or 65 hex characters are ordinary names.
        assert_eq!(
            parse_ok(&HEX[..63]).path(),
            format!("library/{}", &HEX[..63])
        );
        assert_eq!(parse_ok(&format!("{HEX}a")).familiar(), format!("{HEX}a"));
        assert_eq!(parse_ok(&format!("{HEX}:1")).tag(), Some("1"));
    }

    #[test]
    fn path_component_separators() {
        for good in [
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a---b",
            "a-b.c_d__e",
            "a0",
            "0",
            "a.b.c",
        ] {
            assert!(is_path_component(good), "{good}");
        }
        for bad in [
            "", "a.", ".a", "a..b", "a___b", "a._b", "a-.b", "a_-b", "-a", "a-", "A", "a b", "a/b",
            "é",
        ] {
            assert!(!is_path_component(bad), "{bad}");
        }
        assert_eq!(parse_ok("a__b/c---d").path(), "a__b/c---d");
        assert_eq!(parse_err("a..b"), "invalid reference format");
        assert_eq!(parse_err("a//b"), "invalid reference format");
        assert_eq!(parse_err("a/b/"), "invalid reference format");
    }

    #[test]
    fn domain_components() {
        for good in [
            "a",
            "a-b",
            "a--b",
            "A1",
            "1.2.3.4",
            "a.b:1",
            "x:0",
            "ab.cd:65536",
        ] {
            assert!(is_domain(good), "{good}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a..b",
            ".a",
            "a.",
            "a:b",
            "a:",
            "a:1:2",
            "a_b",
            "[::1]:5000",
        ] {
            assert!(!is_domain(bad), "{bad}");
        }
    }

    #[test]
    fn tags() {
        assert!(is_tag("a"));
        assert!(is_tag("_"));
        assert!(is_tag(&format!("a{}", "-".repeat(127))));
        assert!(!is_tag(&format!("a{}", "b".repeat(128))));
        assert!(!is_tag(""));
        assert!(!is_tag(".a"));
        assert!(!is_tag("-a"));
        assert!(!is_tag("a+b"));
        assert_eq!(
            parse_ok(&format!("alpine:{}", "t".repeat(128)))
                .tag()
                .map(str::len),
            Some(128)
        );
        assert_eq!(
            parse_err(&format!("alpine:{}", "t".repeat(129))),
            "invalid reference format"
        );
        assert_eq!(parse_err("alpine:"), "invalid reference format");
        assert_eq!(parse_err("alpine:.x"), "invalid reference format");
        assert_eq!(parse_err("alpine:a:b"), "invalid reference format");
    }

    #[test]
    fn name_length_counts_the_domain() {
        // "docker.io/library/" is 18 characters, leaving 237 for the image name.
        assert_eq!(parse_ok(&"a".repeat(237)).name().len(), 255);
        assert_eq!(
            parse_err(&"a".repeat(238)),
            "repository name must not be more than 255 characters"
        );
        assert_eq!(
            parse_ok(&format!("{}:latest", "a".repeat(237))).tag(),
            Some("latest")
        );
        let host = format!("{}.com", "h".repeat(247));
        assert_eq!(parse_ok(&format!("{host}/x")).name().len(), 253);
        assert_eq!(parse_ok(&format!("{host}/xyz")).name().len(), 255);
        assert_eq!(
            parse_err(&format!("{host}/xyzw")),
            "repository name must not be more than 255 characters"
        );
        // The grammar is checked before the length.
        assert_eq!(
            parse_err(&format!("{}_", "a".repeat(300))),
            "invalid reference format"
        );
    }

    #[test]
    fn odd_inputs() {
        for bad in [
            "",
            ":",
            "@",
            "/",
            "alpine/",
            "/alpine",
            ":latest",
            "alpine latest",
            "alpine:latest:1",
            "é",
            "a\n",
        ] {
            assert_eq!(parse_err(bad), "invalid reference format", "{bad:?}");
        }
    }

    #[test]
    fn parse_named_wants_the_full_form() {
        assert!(Reference::parse_named("docker.io/library/alpine:latest").is_ok());
        assert_eq!(
            Reference::parse_named("alpine"),
            Err(ReferenceError::NotCanonical)
        );
        assert_eq!(
            Reference::parse_named("index.docker.io/library/alpine"),
            Err(ReferenceError::NotCanonical)
        );
        assert_eq!(
            Reference::parse_named("Alpine"),
            Err(ReferenceError::NotLowercase)
        );
        assert_eq!(
            ReferenceError::NotCanonical.to_string(),
            "repository name must be canonical"
        );
    }

    #[test]
    fn with_tag_keeps_the_name_and_digest() {
        let r = parse_ok("user/app:1");
        assert_eq!(r.with_tag("2").unwrap().familiar(), "user/app:2");
        assert_eq!(r.with_tag("bad tag"), Err(ReferenceError::TagFormat));
        assert_eq!(
            r.with_tag("").unwrap_err().to_string(),
            "invalid tag format"
        );
        let digested = parse_ok(&format!("app@sha256:{HEX}"));
        assert_eq!(
            digested.with_tag("v").unwrap().familiar(),
            format!("app:v@sha256:{HEX}")
        );
    }

    #[test]
    fn any_reference() {
        assert_eq!(
            parse_any(HEX),
            Ok(AnyReference::Digest(format!("sha256:{HEX}")))
        );
        assert_eq!(
            parse_any(&format!("sha256:{HEX}")),
            Ok(AnyReference::Digest(format!("sha256:{HEX}")))
        );
        let sha512 = format!("sha512:{}", "0".repeat(128));
        assert_eq!(parse_any(&sha512), Ok(AnyReference::Digest(sha512.clone())));
        assert_eq!(
            parse_any("alpine"),
            Ok(AnyReference::Named(parse_ok("alpine")))
        );
        // Not a valid digest, so it is read as the image `sha256` with tag `abc`.
        let named = parse_any("sha256:abc").unwrap();
        assert_eq!(named.to_string(), "docker.io/library/sha256:abc");
        assert_eq!(named.familiar(), "sha256:abc");
        assert_eq!(
            parse_any(&HEX.to_uppercase()),
            Err(ReferenceError::NotLowercase)
        );
        assert_eq!(parse_any(&HEX[..12]).unwrap().familiar(), &HEX[..12]);
        assert_eq!(
            format!("sha256:{HEX}")
                .parse::<AnyReference>()
                .unwrap()
                .familiar(),
            format!("sha256:{HEX}")
        );
    }

    #[test]
    fn go_digest_validation() {
        assert_eq!(validate_digest(&format!("sha256:{HEX}")), Ok(()));
        assert_eq!(validate_digest(":abc"), Err(ReferenceError::DigestFormat));
        assert_eq!(
            validate_digest("sha256:"),
            Err(ReferenceError::DigestFormat)
        );
        assert_eq!(validate_digest("sha256"), Err(ReferenceError::DigestFormat));
        assert_eq!(
            validate_digest("foo:bar"),
            Err(ReferenceError::DigestUnsupported)
        );
        assert_eq!(
            validate_digest("Foo:bar"),
            Err(ReferenceError::DigestFormat)
        );
        assert_eq!(
            validate_digest("foo:b.r"),
            Err(ReferenceError::DigestFormat)
        );
        assert_eq!(
            validate_digest("sha256:abc"),
            Err(ReferenceError::DigestLength)
        );
    }

    #[test]
    fn image_id_prefixes() {
        let id = format!("sha256:{HEX}");
        assert!(is_image_id_prefix(&id, "sha256:4bcf"));
        assert!(is_image_id_prefix(&id, "4bcf"));
        assert!(is_image_id_prefix(&id, "4"));
        assert!(is_image_id_prefix(&id, ""));
        assert!(is_image_id_prefix(&id, &id));
        assert!(is_image_id_prefix(&id, HEX));
        assert!(!is_image_id_prefix(&id, "4bcg"));
        assert!(!is_image_id_prefix(&id, "sha256:4bcg"));
        assert!(!is_image_id_prefix(&id, "256:4bcf"));
        assert!(is_image_id_prefix(HEX, "4bcf"));
        assert!(!is_image_id_prefix(HEX, "sha256:4bcf"));
    }

    #[test]
    fn serde_as_the_full_form() {
        let r = parse_ok("alpine:3");
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            "\"docker.io/library/alpine:3\""
        );
        assert_eq!(
            serde_json::from_str::<Reference>("\"alpine:3\"").unwrap(),
            r
        );
        assert!(serde_json::from_str::<Reference>("\"Alpine\"").is_err());
    }

    #[test]
    fn errors_use_the_librarys_text() {
        assert_eq!(parse_err("a@b").as_str(), "invalid reference format");
    }

    fn path_component() -> impl Strategy<Value = String> {
        "[a-z0-9]{1,4}((\\.|_|__|-{1,3})[a-z0-9]{1,4}){0,2}"
    }

    fn domain() -> impl Strategy<Value = String> {
        "([a-zA-Z0-9]([a-zA-Z0-9-]{0,3}[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]{1,3}){0,2}(:[0-9]{1,5})?"
    }

    /// A domain that `splitDockerDomain` recognises: it has a `.` or a port.
    fn registry() -> impl Strategy<Value = String> {
        concat!(
            "[a-zA-Z0-9]([a-zA-Z0-9-]{0,3}[a-zA-Z0-9])?",
            "((\\.[a-zA-Z0-9]{1,3}){1,2}(:[0-9]{1,5})?|:[0-9]{1,5})"
        )
    }

    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9._:/@-]{0,40}",
            (
                prop::option::of(domain()),
                prop::collection::vec(path_component(), 1..4),
                prop::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}"),
                any::<bool>()
            )
                .prop_map(|(domain, path, tag, digest)| {
                    let mut s = path.join("/");
                    if let Some(domain) = domain {
                        s = format!("{domain}/{s}");
                    }
                    if let Some(tag) = tag {
                        s = format!("{s}:{tag}");
                    }
                    if digest {
                        s = format!("{s}@sha256:{HEX}");
                    }
                    s
                }),
        ]
    }

    proptest! {
        #[test]
        fn display_parses_back_to_the_same_reference(s in any_text()) {
            if let Ok(r) = s.parse::<Reference>() {
                prop_assert_eq!(parse_ok(&r.to_string()), r.clone());
                prop_assert_eq!(Reference::parse_named(&r.to_string()), Ok(r));
            }
        }

        #[test]
        fn familiar_form_is_stable(s in any_text()) {
            if let Ok(r) = s.parse::<Reference>() {
                let familiar = r.familiar();
                prop_assert_eq!(parse_ok(&familiar).familiar(), familiar);
            }
        }

        #[test]
        fn well_formed_references_parse_into_their_parts(
            domain in prop::option::of(registry()),
            path in prop::collection::vec(path_component(), 1..4),
            tag in prop::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}"),
            digested in any::<bool>(),
        ) {
            let mut path = path;
            if domain.is_none() {
                // Without a domain, a first component with a `.` would be taken for one.
                path[0] = path[0].replace('.', "_");
            }
            let digest = digested.then(|| format!("sha256:{HEX}"));
            let text = with_suffixes(
                join_name(domain.as_deref().unwrap_or(""), &path.join("/")),
                tag.as_deref(),
                digest.as_deref(),
            );
            let r = parse_ok(&text);
            let expected_path = match (&domain, path.len()) {
                (None, 1) => format!("library/{}", path[0]),
                _ => path.join("/"),
            };
            prop_assert_eq!(r.domain(), domain.as_deref().unwrap_or("docker.io"));
            prop_assert_eq!(r.path(), expected_path);
            prop_assert_eq!(r.tag(), tag.as_deref());
            prop_assert_eq!(r.digest(), digest.as_deref());
        }
    }
}
