//! What the client needs to know about image references beyond parsing, which
//! `oci_spec::distribution::Reference` does (and normalises: `alpine` is
//! `docker.io/library/alpine:latest`). Here: Docker's "familiar" forms used in messages, and
//! which host serves a registry name. Nothing here does I/O.

use crate::error::RegistryError;
use oci_spec::distribution::Reference;

/// The registry name Docker Hub references carry after normalisation.
pub const DOCKER_HUB: &str = "docker.io";
/// The host that actually serves Docker Hub's distribution API.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";

/// Parses a reference as the docker CLI would, naming the input on failure.
pub fn parse(reference: &str) -> Result<Reference, RegistryError> {
    reference
        .parse::<Reference>()
        .map_err(|err| RegistryError::InvalidReference {
            reference: reference.to_owned(),
            reason: err.to_string(),
        })
}

/// True for references that live on Docker Hub, the only ones mirrors serve.
pub fn is_docker_hub(reference: &Reference) -> bool {
    reference.registry() == DOCKER_HUB
}

/// The `host[:port]` to contact for a reference's registry.
pub fn api_host(reference: &Reference) -> &str {
    if is_docker_hub(reference) {
        DOCKER_HUB_API_HOST
    } else {
        reference.registry()
    }
}

/// Docker's `FamiliarName`: `alpine` for `docker.io/library/alpine`, `user/app` for
/// `docker.io/user/app`, `127.0.0.1:5000/x` otherwise.
pub fn familiar_name(reference: &Reference) -> String {
    let repository = reference.repository();
    if !is_docker_hub(reference) {
        return format!("{}/{repository}", reference.registry());
    }
    match repository.strip_prefix("library/") {
        Some(rest) if !rest.contains('/') => rest.to_owned(),
        _ => repository.to_owned(),
    }
}

/// Docker's `FamiliarString`: the familiar name with `:tag` and `@digest` as present.
pub fn familiar_string(reference: &Reference) -> String {
    let mut out = familiar_name(reference);
    if let Some(tag) = reference.tag() {
        out.push(':');
        out.push_str(tag);
    }
    if let Some(digest) = reference.digest() {
        out.push('@');
        out.push_str(digest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oci_spec_normalises_short_names_as_docker_does() {
        let alpine = parse("alpine").unwrap();
        assert_eq!(alpine.whole(), "docker.io/library/alpine:latest");
        assert_eq!(alpine.repository(), "library/alpine");
        assert_eq!(parse("user/app:1").unwrap().whole(), "docker.io/user/app:1");
        let local = parse("127.0.0.1:5000/x").unwrap();
        assert_eq!(
            (local.registry(), local.repository()),
            ("127.0.0.1:5000", "x")
        );
        let localhost = parse("localhost/x").unwrap();
        assert_eq!(localhost.registry(), "localhost");
        assert_eq!(
            parse("index.docker.io/library/busybox").unwrap().whole(),
            "docker.io/library/busybox:latest"
        );
    }

    #[test]
    fn familiar_forms_drop_the_hub_and_library() {
        assert_eq!(familiar_string(&parse("alpine").unwrap()), "alpine:latest");
        assert_eq!(
            familiar_string(&parse("docker.io/user/app:1").unwrap()),
            "user/app:1"
        );
        assert_eq!(
            familiar_string(&parse("127.0.0.1:5055/bb:nope").unwrap()),
            "127.0.0.1:5055/bb:nope"
        );
        let digest = "sha256:113b36625ae3178513c843224b3e0547efc7902a687aff55f0e5b107f1a86176";
        let by_digest = parse(&format!("bb@{digest}")).unwrap();
        assert_eq!(familiar_string(&by_digest), format!("bb@{digest}"));
        assert_eq!(
            familiar_name(&parse("docker.io/library/a/b").unwrap()),
            "library/a/b"
        );
    }

    #[test]
    fn hub_is_served_by_registry_1() {
        assert_eq!(api_host(&parse("alpine").unwrap()), "registry-1.docker.io");
        assert_eq!(api_host(&parse("quay.io/x/y").unwrap()), "quay.io");
    }

    #[test]
    fn bad_references_are_invalid_parameters() {
        let err = parse("UPPER").unwrap_err();
        assert_eq!(
            berth_core::Kind::kind(&err),
            berth_core::ErrorKind::InvalidParameter
        );
        assert!(
            err.to_string().starts_with("invalid reference UPPER: "),
            "{err}"
        );
    }
}
