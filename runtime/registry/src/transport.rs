//! Where and how the client may connect, following dockerd's rules. HTTPS with the system's
//! roots is the default. A registry that is on loopback (`localhost`, `127.0.0.0/8`, `::1`) or
//! named insecure (`host[:port]` or a CIDR, like `--insecure-registry`) is tried over HTTPS
//! without certificate verification first and then over plain HTTP. Docker Hub references
//! go to the configured mirrors first, then to Docker Hub itself. This module builds the
//! endpoint list and the HTTP clients; it never decides what a response means.

use crate::error::RegistryError;
use crate::reference;
use berth_core::Reference;
use reqwest::Url;
use std::net::IpAddr;
use std::time::Duration;

/// One base URL to try for a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://host[:port]`, without a path.
    pub base: Url,
    /// Mirrors get every error as a reason to move on to the next endpoint.
    pub mirror: bool,
}

#[derive(Debug, Clone)]
enum InsecureEntry {
    Host(String),
    Cidr(IpAddr, u8),
}

/// The insecure-registry and mirror settings, validated.
#[derive(Debug, Clone, Default)]
pub struct TransportPolicy {
    insecure: Vec<InsecureEntry>,
    mirrors: Vec<Url>,
}

impl TransportPolicy {
    /// `insecure`: `host[:port]` names or CIDRs. `mirrors`: URLs such as
    /// `http://127.0.0.1:5000` (no path; `https://` is assumed without a scheme).
    pub fn new(insecure: &[String], mirrors: &[String]) -> Result<Self, RegistryError> {
        let insecure = insecure
            .iter()
            .map(|s| parse_insecure(s))
            .collect::<Result<_, _>>()?;
        let mirrors = mirrors
            .iter()
            .map(|s| parse_mirror(s))
            .collect::<Result<_, _>>()?;
        Ok(TransportPolicy { insecure, mirrors })
    }

    /// True for registries we may talk to without verified TLS (loopback or insecure).
    pub fn is_insecure(&self, host_port: &str) -> bool {
        let host = host_of(host_port);
        let ip = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        if host.eq_ignore_ascii_case("localhost") || ip.is_some_and(|ip| ip.is_loopback()) {
            return true;
        }
        self.insecure.iter().any(|entry| match entry {
            InsecureEntry::Host(name) => name.eq_ignore_ascii_case(host_port),
            InsecureEntry::Cidr(net, bits) => ip.is_some_and(|ip| in_cidr(ip, *net, *bits)),
        })
    }

    /// The endpoints to try for a reference, in order. `known_plain` says which hosts are
    /// already known to speak only HTTP; the HTTPS attempt is skipped for them.
    pub fn endpoints(
        &self,
        reference: &Reference,
        known_plain: impl Fn(&str) -> bool,
    ) -> Vec<Endpoint> {
        let host = reference::api_host(reference);
        let mut out: Vec<Endpoint> = Vec::new();
        if reference::is_docker_hub(reference) {
            out.extend(self.mirrors.iter().map(|m| Endpoint {
                base: m.clone(),
                mirror: true,
            }));
        }
        let endpoint = |scheme: &str| Endpoint {
            base: base_url(scheme, host),
            mirror: false,
        };
        if !self.is_insecure(host) {
            out.push(endpoint("https"));
        } else if known_plain(host) {
            out.push(endpoint("http"));
        } else {
            out.extend([endpoint("https"), endpoint("http")]);
        }
        out
    }

    /// Whether a redirect may go to this URL: HTTPS anywhere, HTTP only to hosts we would
    /// talk plain HTTP to ourselves (a redirect must not downgrade a public registry).
    pub fn allows_redirect(&self, from: &Url, to: &Url) -> bool {
        to.scheme() == "https" || from.scheme() == "http" || self.is_insecure(&host_port(to))
    }
}

/// `host[:port]` of a URL as the policy compares it.
pub fn host_port(url: &Url) -> String {
    // `host_str` keeps the brackets of an IPv6 literal.
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

fn base_url(scheme: &str, host: &str) -> Url {
    // The host was validated by the reference grammar, so this cannot fail.
    Url::parse(&format!("{scheme}://{host}"))
        .expect("a reference's registry is a valid URL authority")
}

/// The host part of `host[:port]` or `[v6]:port`.
fn host_of(host_port: &str) -> &str {
    if let Some(end) = host_port.strip_prefix('[').and_then(|rest| rest.find(']')) {
        return &host_port[..end + 2];
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) && !host.contains(':') => {
            host
        }
        _ => host_port,
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => mask_eq(
            u128::from(u32::from(ip)),
            u128::from(u32::from(net)),
            bits,
            32,
        ),
        (IpAddr::V6(ip), IpAddr::V6(net)) => mask_eq(u128::from(ip), u128::from(net), bits, 128),
        _ => false,
    }
}

fn mask_eq(a: u128, b: u128, bits: u8, width: u32) -> bool {
    let shift = width - u32::from(bits);
    shift >= width || (a >> shift) == (b >> shift)
}

fn parse_insecure(entry: &str) -> Result<InsecureEntry, RegistryError> {
    let invalid = |why: &str| RegistryError::InvalidConfig {
        reason: format!("insecure registry {entry:?}: {why}"),
    };
    let trimmed = entry.trim();
    if trimmed.contains("://") {
        return Err(invalid("give host[:port] or a CIDR, without a scheme"));
    }
    let Some((net, bits)) = trimmed.split_once('/') else {
        return if trimmed.is_empty() {
            Err(invalid("empty"))
        } else {
            Ok(InsecureEntry::Host(trimmed.to_lowercase()))
        };
    };
    let net: IpAddr = net.parse().map_err(|_| invalid("not a CIDR"))?;
    let bits: u8 = bits.parse().map_err(|_| invalid("not a CIDR"))?;
    let width = if net.is_ipv4() { 32 } else { 128 };
    if bits > width {
        return Err(invalid("prefix length too large"));
    }
    Ok(InsecureEntry::Cidr(net, bits))
}

fn parse_mirror(mirror: &str) -> Result<Url, RegistryError> {
    let invalid = |why: String| RegistryError::InvalidConfig {
        reason: format!("registry mirror {mirror:?}: {why}"),
    };
    let with_scheme = if mirror.starts_with("http://") || mirror.starts_with("https://") {
        mirror.to_owned()
    } else {
        format!("https://{mirror}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| invalid(e.to_string()))?;
    if url.host().is_none() {
        return Err(invalid("no host".into()));
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() {
        return Err(invalid("a path is not allowed".into()));
    }
    Ok(url)
}

/// The two HTTP clients: one verifying certificates, one for insecure registries.
#[derive(Debug, Clone)]
pub struct HttpClients {
    verified: reqwest::Client,
    unverified: reqwest::Client,
}

impl HttpClients {
    pub fn new(
        policy: &TransportPolicy,
        user_agent: &str,
        connect_timeout: Duration,
    ) -> Result<Self, RegistryError> {
        let build = |verify: bool| {
            let policy = policy.clone();
            let redirects = reqwest::redirect::Policy::custom(move |attempt| {
                let from = attempt.previous().last().cloned();
                if attempt.previous().len() > 10 {
                    attempt.error("stopped after 10 redirects")
                } else if from.is_some_and(|from| !policy.allows_redirect(&from, attempt.url())) {
                    attempt.error("refusing a redirect from HTTPS to plain HTTP")
                } else {
                    attempt.follow()
                }
            });
            reqwest::Client::builder()
                .user_agent(user_agent)
                .connect_timeout(connect_timeout)
                .redirect(redirects)
                .tls_danger_accept_invalid_certs(!verify)
                .build()
                .map_err(|e| RegistryError::ClientBuild {
                    reason: e.to_string(),
                })
        };
        Ok(HttpClients {
            verified: build(true)?,
            unverified: build(false)?,
        })
    }

    /// The client for a URL: insecure hosts skip certificate checks, as with dockerd.
    pub fn for_url(&self, policy: &TransportPolicy, url: &Url) -> &reqwest::Client {
        if url.scheme() == "https" && policy.is_insecure(&host_port(url)) {
            &self.unverified
        } else {
            &self.verified
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(insecure: &[&str], mirrors: &[&str]) -> TransportPolicy {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        TransportPolicy::new(&s(insecure), &s(mirrors)).unwrap()
    }

    fn bases(p: &TransportPolicy, r: &str) -> Vec<String> {
        p.endpoints(&reference::parse(r).unwrap(), |_| false)
            .iter()
            .map(|e| e.base.to_string())
            .collect()
    }

    #[test]
    fn loopback_and_listed_hosts_are_insecure_others_are_not() {
        let p = policy(&["reg.lan:5000", "10.1.0.0/16"], &[]);
        for host in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.9.9.9",
            "[::1]:5000",
            "reg.lan:5000",
            "10.1.2.3:443",
        ] {
            assert!(p.is_insecure(host), "{host}");
        }
        for host in [
            "reg.lan",
            "reg.lan:5001",
            "10.2.0.1",
            "example.com",
            "128.0.0.1:5000",
            "[::2]:5000",
        ] {
            assert!(!p.is_insecure(host), "{host}");
        }
    }

    #[test]
    fn endpoints_follow_dockerds_order() {
        let p = policy(&[], &["http://127.0.0.1:5000", "mirror.example"]);
        assert_eq!(
            bases(&p, "alpine"),
            [
                "http://127.0.0.1:5000/",
                "https://mirror.example/",
                "https://registry-1.docker.io/"
            ]
        );
        assert_eq!(bases(&p, "quay.io/a/b"), ["https://quay.io/"]);
        assert_eq!(
            bases(&p, "127.0.0.1:5000/x"),
            ["https://127.0.0.1:5000/", "http://127.0.0.1:5000/"]
        );
        let known = p.endpoints(&reference::parse("127.0.0.1:5000/x").unwrap(), |h| {
            h == "127.0.0.1:5000"
        });
        assert_eq!(known.len(), 1);
        assert_eq!(known[0].base.scheme(), "http");
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(TransportPolicy::new(&["http://x".into()], &[]).is_err());
        assert!(TransportPolicy::new(&["10.0.0.0/33".into()], &[]).is_err());
        assert!(TransportPolicy::new(&[], &["http://m.example/v2/".into()]).is_err());
    }

    #[test]
    fn redirects_may_not_downgrade_public_registries() {
        let p = policy(&[], &[]);
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(p.allows_redirect(&u("https://r.example/v2/x"), &u("https://cdn.example/blob")));
        assert!(!p.allows_redirect(&u("https://r.example/v2/x"), &u("http://cdn.example/blob")));
        assert!(p.allows_redirect(
            &u("http://127.0.0.1:5000/v2/x"),
            &u("http://localhost:9/blob")
        ));
        assert!(p.allows_redirect(&u("https://r.example/v2/x"), &u("http://127.0.0.1:9/blob")));
    }
}
