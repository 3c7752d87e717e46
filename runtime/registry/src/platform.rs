//! Platforms (`linux/amd64`, `linux/arm/v7`) and the choice of one manifest from an index.
//! The rules are containerd's `platforms.Only`, which dockerd uses: names are normalised
//! (`aarch64` is `arm64`, `armhf` is `arm/v7`, `arm64/v8` is plain `arm64`), and a platform
//! also accepts the ones it can run, best first (`arm/v7` then `arm/v6`, `arm/v5`; `amd64/v3`
//! then `v2`, `amd64`, `386`; `arm64` then `arm/v8` down to `arm/v5`). OS version and OS
//! features are not compared: berth only runs Linux images.

use crate::error::RegistryError;
use oci_spec::image::{Descriptor, ImageIndex};
use std::fmt;
use std::str::FromStr;

/// An OS, an architecture and an optional variant, as Go names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    /// Empty when there is none, as in Go.
    pub variant: String,
}

impl Platform {
    pub fn new(os: &str, architecture: &str, variant: &str) -> Self {
        Platform {
            os: os.to_owned(),
            architecture: architecture.to_owned(),
            variant: variant.to_owned(),
        }
    }

    /// The platform this binary was built for. 32-bit ARM is taken to be `v7`, the common
    /// case; a caller that knows better (from `/proc/cpuinfo`) passes its own platform.
    pub fn host() -> Self {
        Platform::new("linux", std::env::consts::ARCH, "").normalized()
    }

    /// containerd's `Normalize`: canonical OS, architecture and variant names.
    pub fn normalized(&self) -> Self {
        let os = match self.os.to_lowercase().as_str() {
            "" => "linux".to_owned(),
            "macos" => "darwin".to_owned(),
            other => other.to_owned(),
        };
        let (architecture, variant) = normalize_arch(&self.architecture, &self.variant);
        Platform {
            os,
            architecture,
            variant,
        }
    }

    /// The platforms this one accepts, best first (containerd's `platformVector`).
    fn accepted(&self) -> Vec<Platform> {
        let own = self.normalized();
        let with = |architecture: &str, variant: String| Platform {
            os: own.os.clone(),
            architecture: architecture.to_owned(),
            variant,
        };
        let mut out = vec![own.clone()];
        match own.architecture.as_str() {
            "amd64" => {
                let level = version_of(&own.variant).unwrap_or(1);
                out.extend((1..level).rev().map(|v| with("amd64", amd64_variant(v))));
                out.push(with("386", String::new()));
            }
            "arm" => {
                let level = version_of(&own.variant).unwrap_or(0);
                out.extend((5..level).rev().map(|v| with("arm", format!("v{v}"))));
            }
            "arm64" => out = arm64_accepted(&own),
            _ => {}
        }
        out
    }

    /// The matcher that picks this platform's best manifest from an index.
    pub fn matcher(&self) -> PlatformMatcher {
        PlatformMatcher {
            accepted: self.accepted(),
        }
    }
}

fn version_of(variant: &str) -> Option<u32> {
    variant.strip_prefix('v').unwrap_or(variant).parse().ok()
}

/// amd64 `v1` normalises to no variant.
fn amd64_variant(level: u32) -> String {
    if level == 1 {
        String::new()
    } else {
        format!("v{level}")
    }
}

/// arm64 accepts lower arm64 revisions (v9.x also the v8.x five above it), then 32-bit arm.
fn arm64_accepted(own: &Platform) -> Vec<Platform> {
    let variant = if own.variant.is_empty() {
        "v8"
    } else {
        own.variant.as_str()
    };
    let Some(revisions) = arm64_revisions(variant) else {
        // An unknown variant accepts only itself, as containerd's empty vector plus arm does not
        // apply; keep the platform itself so an exact match still works.
        return vec![own.clone()];
    };
    let mut out: Vec<Platform> = revisions
        .into_iter()
        .map(|v| {
            Platform {
                os: own.os.clone(),
                architecture: "arm64".into(),
                variant: v,
            }
            .normalized()
        })
        .collect();
    let arm = Platform {
        os: own.os.clone(),
        architecture: "arm".into(),
        variant: "v8".into(),
    };
    out.extend(arm.accepted());
    out
}

/// `v9.2` gives v9.2, v9.1, v9, v8.7 ... v8; `v8.1` gives v8.1, v8.
fn arm64_revisions(variant: &str) -> Option<Vec<String>> {
    let (major, minor) = match variant.strip_prefix('v')?.split_once('.') {
        Some((major, minor)) => (major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?),
        None => (variant[1..].parse::<u32>().ok()?, 0),
    };
    let ranges: Vec<(u32, u32)> = match (major, minor) {
        (8, 0..=9) => vec![(8, minor)],
        (9, 0..=7) => vec![(9, minor), (8, (minor + 5).min(9))],
        _ => return None,
    };
    let name = |major: u32, minor: u32| {
        if minor == 0 {
            format!("v{major}")
        } else {
            format!("v{major}.{minor}")
        }
    };
    Some(
        ranges
            .into_iter()
            .flat_map(|(major, top)| (0..=top).rev().map(move |m| name(major, m)))
            .collect(),
    )
}

fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let (arch, variant) = (arch.to_lowercase(), variant.to_lowercase());
    let pair = |a: &str, v: &str| (a.to_owned(), v.to_owned());
    match arch.as_str() {
        "i386" => pair("386", ""),
        "x86_64" | "x86-64" | "amd64" => pair("amd64", if variant == "v1" { "" } else { &variant }),
        "aarch64" | "arm64" => match variant.as_str() {
            "8" | "v8" | "v8.0" => pair("arm64", ""),
            "9" | "9.0" | "v9.0" => pair("arm64", "v9"),
            _ => pair("arm64", &variant),
        },
        "armhf" => pair("arm", "v7"),
        "armel" => pair("arm", "v6"),
        "arm" => match variant.as_str() {
            "" | "7" => pair("arm", "v7"),
            "5" | "6" | "8" => ("arm".to_owned(), format!("v{variant}")),
            _ => pair("arm", &variant),
        },
        _ => (arch, variant),
    }
}

/// containerd's `Format`: `os/arch[/variant]`.
impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}

/// Parses `os/arch[/variant]`, as `docker pull --platform` takes it.
impl FromStr for Platform {
    type Err = RegistryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let invalid = || RegistryError::InvalidConfig {
            reason: format!("invalid platform {s:?}: want os/arch[/variant]"),
        };
        if parts.iter().any(|p| p.is_empty()) {
            return Err(invalid());
        }
        match parts.as_slice() {
            [os, arch] => Ok(Platform::new(os, arch, "")),
            [os, arch, variant] => Ok(Platform::new(os, arch, variant)),
            _ => Err(invalid()),
        }
    }
}

/// Ranks index entries for one wanted platform.
#[derive(Debug, Clone)]
pub struct PlatformMatcher {
    accepted: Vec<Platform>,
}

impl PlatformMatcher {
    /// How good a candidate is: 0 is an exact match, `None` is unusable.
    pub fn rank(&self, candidate: &oci_spec::image::Platform) -> Option<usize> {
        let candidate = Platform::new(
            &candidate.os().to_string(),
            &candidate.architecture().to_string(),
            candidate.variant().as_deref().unwrap_or(""),
        )
        .normalized();
        self.accepted.iter().position(|p| *p == candidate)
    }

    /// The best entry of an index, the first one listed among equals. Entries without a
    /// platform are skipped (attestations and other artifacts).
    pub fn select<'a>(&self, index: &'a ImageIndex) -> Option<&'a Descriptor> {
        index
            .manifests()
            .iter()
            .filter_map(|d| Some((self.rank(d.platform().as_ref()?)?, d)))
            .min_by_key(|(rank, _)| *rank)
            .map(|(_, d)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap()
    }

    fn accepted(s: &str) -> Vec<String> {
        p(s).accepted().iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn names_normalise_as_containerd_does() {
        assert_eq!(p("linux/x86_64").normalized(), p("linux/amd64"));
        assert_eq!(p("linux/aarch64/v8").normalized(), p("linux/arm64"));
        assert_eq!(p("linux/armhf").normalized(), p("linux/arm/v7"));
        assert_eq!(p("linux/arm").normalized(), p("linux/arm/v7"));
        assert_eq!(p("linux/amd64/v1").normalized(), p("linux/amd64"));
    }

    #[test]
    fn each_platform_accepts_what_it_can_run_best_first() {
        assert_eq!(accepted("linux/amd64"), ["linux/amd64", "linux/386"]);
        assert_eq!(
            accepted("linux/amd64/v3"),
            [
                "linux/amd64/v3",
                "linux/amd64/v2",
                "linux/amd64",
                "linux/386"
            ]
        );
        assert_eq!(
            accepted("linux/arm/v7"),
            ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"]
        );
        assert_eq!(accepted("linux/arm/v6"), ["linux/arm/v6", "linux/arm/v5"]);
        assert_eq!(
            accepted("linux/arm64"),
            [
                "linux/arm64",
                "linux/arm/v8",
                "linux/arm/v7",
                "linux/arm/v6",
                "linux/arm/v5"
            ]
        );
        assert_eq!(
            accepted("linux/arm64/v9.1")[..4],
            [
                "linux/arm64/v9.1",
                "linux/arm64/v9",
                "linux/arm64/v8.6",
                "linux/arm64/v8.5"
            ]
        );
    }

    #[test]
    fn parse_and_format_round_trip() {
        assert_eq!(p("linux/arm/v7").to_string(), "linux/arm/v7");
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux//v7".parse::<Platform>().is_err());
    }

    fn index(entries: &[(&str, &str, Option<&str>)]) -> ImageIndex {
        let manifests: Vec<serde_json::Value> = entries
            .iter()
            .enumerate()
            .map(|(i, (os, arch, variant))| {
                let mut platform = serde_json::json!({"os": os, "architecture": arch});
                if let Some(v) = variant {
                    platform["variant"] = (*v).into();
                }
                serde_json::json!({
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": format!("sha256:{}", format!("{i:x}").repeat(64).get(..64).unwrap()),
                    "size": 100,
                    "platform": platform,
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({"schemaVersion": 2, "manifests": manifests}))
            .unwrap()
    }

    fn pick(wanted: &str, idx: &ImageIndex) -> Option<usize> {
        let d = p(wanted).matcher().select(idx)?;
        idx.manifests()
            .iter()
            .position(|m| m.digest() == d.digest())
    }

    #[test]
    fn selection_respects_variants_and_falls_back() {
        let idx = index(&[
            ("linux", "arm", Some("v6")),
            ("linux", "arm", Some("v7")),
            ("linux", "amd64", None),
            ("linux", "arm64", Some("v8")),
            ("windows", "amd64", None),
        ]);
        assert_eq!(pick("linux/amd64", &idx), Some(2));
        assert_eq!(pick("linux/arm/v7", &idx), Some(1));
        assert_eq!(pick("linux/arm/v6", &idx), Some(0));
        assert_eq!(pick("linux/arm64", &idx), Some(3));
        assert_eq!(pick("linux/s390x", &idx), None);
        let only_386_and_v5 = index(&[("linux", "386", None), ("linux", "arm", Some("v5"))]);
        assert_eq!(pick("linux/amd64", &only_386_and_v5), Some(0));
        assert_eq!(pick("linux/arm/v7", &only_386_and_v5), Some(1));
        assert_eq!(pick("linux/arm64", &only_386_and_v5), Some(1));
    }
}
