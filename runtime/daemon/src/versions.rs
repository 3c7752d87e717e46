//! API versions: the `/v1.NN` path prefix, the range this daemon serves, and the one place
//! that answers "is this field present for that version?". Paths without a prefix are served
//! as the newest version, as dockerd does. It never looks at anything but the path.

use crate::error::ApiError;

/// The oldest version served (dockerd 25+ also starts at 1.24).
pub const MIN: ApiVersion = ApiVersion(24);
/// The newest version served: bollard 0.21's default.
pub const MAX: ApiVersion = ApiVersion(53);

/// An Engine API version `1.NN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion(pub u16);

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "1.{}", self.0)
    }
}

impl ApiVersion {
    /// Splits `/v1.41/containers/json` into the version and `/containers/json`. A prefix that
    /// is not a version is left in the path (the router then answers 404).
    pub fn split(path: &str) -> Result<(ApiVersion, &str), ApiError> {
        let Some(rest) = path.strip_prefix("/v") else {
            return Ok((MAX, path));
        };
        let (text, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let Some(version) = parse(text) else {
            return Ok((MAX, path));
        };
        if version > MAX {
            return Err(ApiError::bad_request(format!(
                "client version {text} is too new. Maximum supported API version is {MAX}"
            )));
        }
        if version < MIN {
            return Err(ApiError::bad_request(format!(
                "client version {text} is too old. Minimum supported API version is {MIN}, please upgrade your client to a newer version"
            )));
        }
        Ok((version, tail))
    }

    /// `VirtualSize` in image lists and inspect, removed in 1.44.
    pub fn has_virtual_size(self) -> bool {
        self.0 < 44
    }

    /// Image inspect's `Container` and `ContainerConfig`, removed in 1.45.
    pub fn has_image_container(self) -> bool {
        self.0 < 45
    }

    /// Untagged images list `<none>:<none>` / `<none>@<none>` before 1.43, empty arrays after.
    pub fn has_none_placeholders(self) -> bool {
        self.0 < 43
    }

    /// Container inspect's `NetworkSettings` fields deprecated since 1.21 and its
    /// `HostConfig.KernelMemoryTCP`, and info's `KernelMemoryTCP`, removed in 1.52.
    pub fn has_legacy_container_fields(self) -> bool {
        self.0 < 52
    }

    /// Image inspect's `Config` fields that belong to containers (`Hostname`, `Tty`, ...),
    /// and info's `BridgeNfIptables`/`BridgeNfIp6tables`, removed in 1.50.
    pub fn has_image_container_config_fields(self) -> bool {
        self.0 < 50
    }

    /// Info's `ContainerdCommit.Expected` and the like, removed in 1.49.
    pub fn has_commit_expected(self) -> bool {
        self.0 < 49
    }

    /// Image lists count the containers of each image from 1.51 (-1 before).
    pub fn counts_image_containers(self) -> bool {
        self.0 >= 51
    }

    /// `Content-Type` of attach and logs streams names the framing from 1.42.
    pub fn has_stream_content_type(self) -> bool {
        self.0 >= 42
    }
}

/// `1.NN` with NN a number; anything else is not a version.
fn parse(text: &str) -> Option<ApiVersion> {
    let minor = text.strip_prefix("1.")?;
    if minor.is_empty() || !minor.bytes().all(|b| b.is_ascii_digit()) || minor.len() > 4 {
        return None;
    }
    minor.parse().ok().map(ApiVersion)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_split_and_bare_paths_are_the_newest() {
        assert_eq!(
            ApiVersion::split("/v1.41/containers/json").unwrap(),
            (ApiVersion(41), "/containers/json")
        );
        assert_eq!(ApiVersion::split("/_ping").unwrap(), (MAX, "/_ping"));
        assert_eq!(ApiVersion::split("/vx/y").unwrap(), (MAX, "/vx/y"));
    }

    #[test]
    fn too_new_and_too_old_are_refused_in_dockers_words() {
        let e = ApiVersion::split("/v1.99/version").unwrap_err();
        assert_eq!(
            e.message,
            "client version 1.99 is too new. Maximum supported API version is 1.53"
        );
        assert!(ApiVersion::split("/v1.12/version").is_err());
    }
}
