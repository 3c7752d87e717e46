//! Which registry serves a reference. The reference itself, its parsing and its familiar forms
//! are the runtime's one `berth_core::Reference` (`alpine` is `docker.io/library/alpine:latest`);
//! this module adds only what the client must know to reach a registry: Docker Hub's name and
//! the host that really serves its API. Nothing here does I/O.

use berth_core::Reference;

use crate::error::RegistryError;

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
    reference.domain() == DOCKER_HUB
}

/// The `host[:port]` to contact for a reference's registry.
pub fn api_host(reference: &Reference) -> &str {
    if is_docker_hub(reference) {
        DOCKER_HUB_API_HOST
    } else {
        reference.domain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_live_on_docker_hub() {
        let alpine = parse("alpine").unwrap();
        assert_eq!(alpine.to_string(), "docker.io/library/alpine:latest");
        assert!(is_docker_hub(&alpine));
        let local = parse("127.0.0.1:5000/x").unwrap();
        assert_eq!((local.domain(), local.path()), ("127.0.0.1:5000", "x"));
        assert!(!is_docker_hub(&local));
        assert_eq!(parse("localhost/x").unwrap().domain(), "localhost");
        assert_eq!(
            parse("index.docker.io/library/busybox")
                .unwrap()
                .to_string(),
            "docker.io/library/busybox:latest"
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
