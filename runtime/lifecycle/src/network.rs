//! `HostConfig.NetworkMode` as dockerd 20.10 reads it, and what a start joins for it. berth has
//! no bridge: `default` and `bridge` give a private namespace with loopback only (an accepted
//! difference), which is also exactly dockerd's `none`. `host` shares the host's namespace, and
//! `container:<name|id>` joins a running container's. Any other name is a user-defined network,
//! which berth has none of, so starting such a container fails as dockerd fails for an unknown
//! network. This module parses modes, resolves them against the registry and words their
//! failures; `create` and `start` decide when.

use std::sync::Arc;

use berth_sandbox::{Network, PreparedNetns};

use crate::containers::{Registry, Shared};
use crate::error::LifecycleError;
use crate::id::ContainerId;

/// How a container is networked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkMode {
    /// `default` (or empty) and `bridge`: a private namespace (dockerd's bridge).
    Default,
    /// `none`: a private namespace with loopback only.
    None,
    /// `host`: the host's namespace, hostname and `/etc/hosts`.
    Host,
    /// `container:<name|id>`: the namespace of another, running, container.
    Container(String),
    /// A user-defined network by name.
    Named(String),
}

impl NetworkMode {
    /// Parses a mode as the create request gives it; only a `container:` without a reference is
    /// refused at create (dockerd's text).
    pub fn parse(mode: &str) -> Result<NetworkMode, LifecycleError> {
        Ok(match mode {
            "" | "default" | "bridge" => NetworkMode::Default,
            "none" => NetworkMode::None,
            "host" => NetworkMode::Host,
            _ => match mode.strip_prefix("container:") {
                Some("") => return Err(LifecycleError::InvalidNetworkMode),
                Some(reference) => NetworkMode::Container(reference.to_string()),
                None => NetworkMode::Named(mode.to_string()),
            },
        })
    }

    /// The key of `NetworkSettings.Networks` for this mode: dockerd lists `default` as
    /// `bridge`, other modes under their own name, and a container's under none.
    pub fn network_name(mode: &str) -> Option<&str> {
        match mode {
            "" | "default" => Some("bridge"),
            _ if mode.starts_with("container:") => None,
            _ => Some(mode),
        }
    }
}

/// What a start joins, once the container's mode is resolved against the registry.
pub(crate) struct Joined {
    pub network: Network,
    /// With `container:`, the other container's hostname, which dockerd also records as this
    /// container's `Config.Hostname`.
    pub hostname: Option<String>,
    /// With `host`: the host's `/etc/hosts` and `resolv.conf`, as they are.
    pub host_files: bool,
}

/// Resolves `id`'s network mode for a start. A failure is a failed start (exit code 128).
pub(crate) fn join(
    shared: &Shared,
    reg: &Registry,
    id: &ContainerId,
) -> Result<Joined, LifecycleError> {
    let private = |network| Joined {
        network,
        hostname: None,
        host_files: false,
    };
    match NetworkMode::parse(&reg.entries[id].config.host_config.network_mode)? {
        NetworkMode::Default | NetworkMode::None => Ok(private(shared.netns.network())),
        NetworkMode::Host => Ok(Joined {
            host_files: true,
            ..private(Network::Host)
        }),
        NetworkMode::Named(name) => Err(LifecycleError::NetworkNotFound { name }),
        NetworkMode::Container(reference) => {
            let target = crate::lookup::find(reg, &reference)?;
            if &target == id {
                return Err(LifecycleError::JoinOwnNetwork);
            }
            let other = &reg.entries[&target];
            if !other.state.status.is_running() {
                return Err(LifecycleError::JoinNotRunning {
                    id: target.to_string(),
                });
            }
            let ns = PreparedNetns::of_process(&shared.proc_root, other.state.pid)?;
            Ok(Joined {
                hostname: Some(other.config.config.hostname.clone()),
                ..private(Network::Prepared(Arc::new(ns)))
            })
        }
    }
}

/// The host's hostname, which a `host`-network container takes (in its own UTS namespace).
pub(crate) fn host_hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_as_dockerd_reads_them() {
        assert_eq!(NetworkMode::parse("").unwrap(), NetworkMode::Default);
        assert_eq!(NetworkMode::parse("bridge").unwrap(), NetworkMode::Default);
        assert_eq!(NetworkMode::parse("none").unwrap(), NetworkMode::None);
        assert_eq!(NetworkMode::parse("host").unwrap(), NetworkMode::Host);
        assert_eq!(
            NetworkMode::parse("container:web").unwrap(),
            NetworkMode::Container("web".into())
        );
        assert_eq!(
            NetworkMode::parse("mynet").unwrap(),
            NetworkMode::Named("mynet".into())
        );
        assert_eq!(
            NetworkMode::parse("container:").unwrap_err().to_string(),
            "Invalid network mode: invalid container format container:<name|id>"
        );
    }

    #[test]
    fn inspect_names_networks_as_dockerd_does() {
        assert_eq!(NetworkMode::network_name("default"), Some("bridge"));
        assert_eq!(NetworkMode::network_name("host"), Some("host"));
        assert_eq!(NetworkMode::network_name("none"), Some("none"));
        assert_eq!(NetworkMode::network_name("mynet"), Some("mynet"));
        assert_eq!(NetworkMode::network_name("container:abc"), None);
    }
}
