//! The container's `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`: dockerd writes them
//! into the container's directory at each start and bind-mounts them over the image's, and
//! inspect reports them as `HostnamePath`, `HostsPath` and `ResolvConfPath`. This module writes
//! the three files and names the binds; it never mounts anything (the sandbox does, over the
//! empty mount points of the init layer, so the container's upper dir stays unchanged). It is
//! on the start path: three small writes and one read of the host's resolv.conf, nothing more.

use std::fs;
use std::path::{Path, PathBuf};

use berth_sandbox::Bind;

use crate::error::LifecycleError;

/// The host's files a container's are made from.
#[derive(Debug, Clone)]
pub(crate) struct HostEtc {
    /// The resolver configuration, which dockerd copies into every container.
    pub resolv_conf: PathBuf,
    /// The hosts file, which a `host`-network container gets as it is.
    pub hosts: PathBuf,
}

impl HostEtc {
    pub fn standard() -> HostEtc {
        HostEtc {
            resolv_conf: "/etc/resolv.conf".into(),
            hosts: "/etc/hosts".into(),
        }
    }
}

/// libnetwork's `/etc/hosts` for a container without addresses (berth's containers have an
/// isolated network, dockerd's network `none`): only the loopback names, no line for the
/// hostname.
const HOSTS: &str = "127.0.0.1\tlocalhost\n\
                     ::1\tlocalhost ip6-localhost ip6-loopback\n\
                     fe00::0\tip6-localnet\n\
                     ff00::0\tip6-mcastprefix\n\
                     ff02::1\tip6-allnodes\n\
                     ff02::2\tip6-allrouters\n";

/// libnetwork's IPv4 fallback when the host names no usable nameserver.
const DEFAULT_NAMESERVERS: &str = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";

/// The three files of one container, in its directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcFiles {
    pub resolv_conf: PathBuf,
    pub hostname: PathBuf,
    pub hosts: PathBuf,
}

impl EtcFiles {
    /// Where the files of the container whose directory is `dir` live.
    pub fn in_dir(dir: &Path) -> EtcFiles {
        EtcFiles {
            resolv_conf: dir.join("resolv.conf"),
            hostname: dir.join("hostname"),
            hosts: dir.join("hosts"),
        }
    }

    /// The files once a start has written them: dockerd reports empty paths for a container
    /// that never started.
    pub fn written(dir: &Path) -> Option<EtcFiles> {
        let files = EtcFiles::in_dir(dir);
        files.hostname.exists().then_some(files)
    }

    /// Writes the files for a start: the hostname, the loopback hosts, and the host's
    /// resolv.conf without its loopback nameservers; with `host_network`, the host's hosts and
    /// resolv.conf as they are (its loopback is the container's).
    pub(crate) fn write(
        &self,
        hostname: &str,
        host: &HostEtc,
        host_network: bool,
    ) -> Result<(), LifecycleError> {
        // A missing host file counts as empty, as in libnetwork.
        let resolv_conf = fs::read_to_string(&host.resolv_conf).unwrap_or_default();
        if host_network {
            write(&self.resolv_conf, &resolv_conf)?;
            let hosts = fs::read_to_string(&host.hosts).unwrap_or_else(|_| HOSTS.to_string());
            write(&self.hosts, &hosts)?;
        } else {
            write(&self.resolv_conf, &container_resolv_conf(&resolv_conf))?;
            write(&self.hosts, HOSTS)?;
        }
        // Written last: its presence is what `written` takes as "started once".
        write(&self.hostname, &format!("{hostname}\n"))
    }

    /// The binds that put the files over the container's, writable as in dockerd.
    pub fn binds(&self) -> Vec<Bind> {
        [
            (&self.resolv_conf, "/etc/resolv.conf"),
            (&self.hostname, "/etc/hostname"),
            (&self.hosts, "/etc/hosts"),
        ]
        .into_iter()
        .map(|(source, destination)| Bind {
            source: source.clone(),
            destination: destination.to_string(),
            readonly: false,
        })
        .collect()
    }
}

fn write(path: &Path, text: &str) -> Result<(), LifecycleError> {
    fs::write(path, text).map_err(|e| LifecycleError::io("write", path, e))
}

/// libnetwork's `FilterResolvDNS` for a container without IPv6: drops nameservers on loopback
/// (unreachable from the container's namespace) and IPv6 ones; with none left, Google's.
fn container_resolv_conf(host: &str) -> String {
    let mut out = String::with_capacity(host.len());
    let mut nameservers = 0;
    for line in host.lines() {
        if let Some(server) = nameserver(line) {
            if server.starts_with("127.") || server.contains(':') {
                continue;
            }
            nameservers += 1;
        }
        out.push_str(line);
        out.push('\n');
    }
    if nameservers == 0 {
        out.push_str(DEFAULT_NAMESERVERS);
    }
    out
}

fn nameserver(line: &str) -> Option<&str> {
    let mut fields = line.split_whitespace();
    (fields.next() == Some("nameserver"))
        .then(|| fields.next())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_matches_dockerd_on_network_none_byte_for_byte() {
        // `docker run --rm busybox ls -l /etc/hosts` on dockerd 20.10 with `--bridge=none`.
        assert_eq!(HOSTS.len(), 150);
        assert!(HOSTS.starts_with("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost"));
    }

    #[test]
    fn resolv_conf_drops_loopback_and_ipv6_nameservers() {
        let host = "# comment\nsearch example.org\nnameserver 127.0.0.53\nnameserver ::1\n\
                    nameserver 10.0.0.1\noptions ndots:2\n";
        assert_eq!(
            container_resolv_conf(host),
            "# comment\nsearch example.org\nnameserver 10.0.0.1\noptions ndots:2\n"
        );
        assert_eq!(
            container_resolv_conf("nameserver 127.0.0.53\n"),
            DEFAULT_NAMESERVERS
        );
        assert_eq!(
            container_resolv_conf("nameserver 10.255.255.53\n"),
            "nameserver 10.255.255.53\n"
        );
    }

    #[test]
    fn files_are_written_in_the_container_dir_and_bound_over_etc() {
        let dir = tempfile::tempdir().unwrap();
        let host = HostEtc {
            resolv_conf: dir.path().join("host-resolv.conf"),
            hosts: dir.path().join("host-hosts"),
        };
        fs::write(
            &host.resolv_conf,
            "nameserver 127.0.0.53\nnameserver 10.1.2.3\n",
        )
        .unwrap();
        fs::write(&host.hosts, "127.0.0.1 localhost\n10.0.0.5 vm\n").unwrap();
        assert_eq!(EtcFiles::written(dir.path()), None);
        let files = EtcFiles::in_dir(dir.path());
        files.write("ce8b1d424c11", &host, false).unwrap();
        assert_eq!(EtcFiles::written(dir.path()), Some(files.clone()));
        let read = |p: &Path| fs::read_to_string(p).unwrap();
        assert_eq!(read(&files.hostname), "ce8b1d424c11\n");
        assert_eq!(read(&files.hosts), HOSTS);
        assert_eq!(read(&files.resolv_conf), "nameserver 10.1.2.3\n");
        let binds = files.binds();
        let dest: Vec<_> = binds.iter().map(|b| b.destination.as_str()).collect();
        assert_eq!(dest, ["/etc/resolv.conf", "/etc/hostname", "/etc/hosts"]);
        assert!(binds
            .iter()
            .all(|b| !b.readonly && b.source.starts_with(dir.path())));

        // On the host's network, the host's files as they are.
        files.write("vm", &host, true).unwrap();
        assert_eq!(read(&files.hostname), "vm\n");
        assert_eq!(read(&files.hosts), read(&host.hosts));
        assert_eq!(read(&files.resolv_conf), read(&host.resolv_conf));
    }
}
