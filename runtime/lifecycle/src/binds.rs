//! Bind mounts as dockerd 20.10 takes them: `HostConfig.Binds` (`-v SRC:DST[:MODE]`) and
//! `HostConfig.Mounts` entries of type `bind` (`--mount type=bind,...`). berth has no volumes, so
//! a source must be an absolute host path; anything that would name or create a volume is
//! refused with a clear error. This module parses and validates at create, with dockerd's texts
//! (moby's `volume/mounts/linux_parser.go`), and knows what a start binds. It never mounts.

use std::path::{Component, Path, PathBuf};

use berth_sandbox::Bind;
use serde::{Deserialize, Serialize};

use crate::error::LifecycleError;

/// One bind of a container, as recorded and as inspect's `Mounts` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountPoint {
    pub source: PathBuf,
    /// Absolute and clean (`/data/` is `/data`).
    pub destination: String,
    /// The mode text of a `-v` bind as given (`""`, `ro`, `rw,Z`); `""` for a `--mount`.
    pub mode: String,
    #[serde(rename = "RW")]
    pub rw: bool,
    /// A `-v` bind's missing source directory is created at start; a `--mount`'s must exist.
    pub create_source: bool,
}

/// An entry of `HostConfig.Mounts`: the wire type itself, recorded as it came.
pub use berth_api::create::Mount as MountRequest;

/// Every bind of a create request, `Binds` first, checked as dockerd checks them.
pub fn mount_points(
    binds: &[String],
    mounts: &[MountRequest],
) -> Result<Vec<MountPoint>, LifecycleError> {
    let mut points: Vec<MountPoint> = Vec::with_capacity(binds.len() + mounts.len());
    let parsed = binds
        .iter()
        .map(|b| parse_bind(b))
        .chain(mounts.iter().map(parse_mount));
    for point in parsed {
        let point = point?;
        if points.iter().any(|p| p.destination == point.destination) {
            return Err(LifecycleError::InvalidMount(format!(
                "Duplicate mount point: {}",
                point.destination
            )));
        }
        points.push(point);
    }
    Ok(points)
}

/// The sandbox's binds for a start: the container's `/etc` files, except where a bind of the
/// user's goes (dockerd then skips its own), then the user's, in order. A `-v` bind's missing
/// source is created as a directory first, as dockerd does at start.
pub(crate) fn sandbox_binds(
    etc_files: Vec<Bind>,
    points: &[MountPoint],
) -> Result<Vec<Bind>, LifecycleError> {
    let mut binds: Vec<Bind> = etc_files
        .into_iter()
        .filter(|b| !points.iter().any(|p| p.destination == b.destination))
        .collect();
    for p in points {
        if p.create_source && !p.source.exists() {
            std::fs::create_dir_all(&p.source).map_err(|e| {
                LifecycleError::InvalidMount(format!(
                    "error while creating mount source path '{}': {e}",
                    p.source.display()
                ))
            })?;
        }
        binds.push(Bind {
            source: p.source.clone(),
            destination: p.destination.clone(),
            readonly: !p.rw,
        });
    }
    Ok(binds)
}

/// `SRC:DST[:MODE]`.
fn parse_bind(spec: &str) -> Result<MountPoint, LifecycleError> {
    let invalid = || LifecycleError::VolumeSpec {
        spec: spec.to_string(),
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, destination, mode) = match parts.as_slice() {
        // A destination alone would be an anonymous volume.
        [_] => return Err(no_volumes(spec)),
        // `/foo:rw` is a destination with a mode, which only a volume could have.
        [_, second] if valid_mode(second) => return Err(invalid()),
        [source, destination] => (*source, *destination, ""),
        [source, destination, mode] => (*source, *destination, *mode),
        _ => return Err(invalid()),
    };
    if !valid_mode(mode) {
        return Err(LifecycleError::InvalidMount(format!(
            "invalid mode: {mode}"
        )));
    }
    if !source.starts_with('/') {
        return Err(no_volumes(spec));
    }
    let destination = check_destination(destination).map_err(|e| {
        LifecycleError::InvalidMount(format!("invalid volume specification: '{spec}': {e}"))
    })?;
    Ok(MountPoint {
        source: clean(source).into(),
        destination,
        mode: mode.to_string(),
        rw: !mode.split(',').any(|m| m == "ro"),
        create_source: true,
    })
}

/// A `--mount`: only `type=bind`, with a source that exists.
fn parse_mount(m: &MountRequest) -> Result<MountPoint, LifecycleError> {
    if m.kind != "bind" {
        return Err(LifecycleError::InvalidMount(format!(
            "berth has no volumes: mounts of type {:?} are not supported, only \"bind\"",
            m.kind
        )));
    }
    let bad = |e: String| {
        LifecycleError::InvalidMount(format!("invalid mount config for type \"bind\": {e}"))
    };
    if m.source.is_empty() {
        return Err(bad("field Source must not be empty".into()));
    }
    let destination = check_destination(&m.target).map_err(bad)?;
    if !m.source.starts_with('/') {
        return Err(bad(format!(
            "invalid mount path: '{}' mount path must be absolute",
            m.source
        )));
    }
    if !Path::new(&m.source).exists() {
        return Err(bad(format!(
            "bind source path does not exist: {}",
            m.source
        )));
    }
    Ok(MountPoint {
        source: clean(&m.source).into(),
        destination,
        mode: String::new(),
        rw: !m.read_only,
        create_source: false,
    })
}

fn check_destination(destination: &str) -> Result<String, String> {
    if !destination.starts_with('/') {
        return Err(format!(
            "invalid mount config for type \"bind\": invalid mount path: '{destination}' mount \
             path must be absolute"
        ));
    }
    let clean = clean(destination);
    if clean == "/" {
        return Err(
            "invalid mount config for type \"bind\": invalid specification: destination can't \
             be '/'"
                .into(),
        );
    }
    Ok(clean)
}

fn no_volumes(spec: &str) -> LifecycleError {
    LifecycleError::InvalidMount(format!(
        "invalid volume specification: '{spec}': berth has no volumes, a bind's source must be \
         an absolute host path"
    ))
}

/// Go's `filepath.Clean` for an absolute path.
fn clean(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(part) => out.push(part.to_str().unwrap_or_default()),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    format!("/{}", out.join("/"))
}

/// moby's `ValidMountMode` on Linux: comma-separated, at most one of each kind.
fn valid_mode(mode: &str) -> bool {
    if mode.is_empty() {
        return true;
    }
    const KINDS: &[&[&str]] = &[
        &["rw", "ro"],
        &["z", "Z"],
        &[
            "shared", "rshared", "slave", "rslave", "private", "rprivate",
        ],
        &["nocopy"],
        &["consistent", "cached", "delegated"],
    ];
    let mut seen = [0usize; 5];
    for token in mode.split(',') {
        let Some(kind) = KINDS.iter().position(|k| k.contains(&token)) else {
            return false;
        };
        seen[kind] += 1;
        if seen[kind] > 1 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(binds: &[&str], mounts: &[MountRequest]) -> String {
        let binds: Vec<String> = binds.iter().map(|s| s.to_string()).collect();
        mount_points(&binds, mounts).unwrap_err().to_string()
    }

    #[test]
    fn binds_parse_with_modes_as_dockerd_shows_them() {
        let binds = ["/tmp/d:/data".to_string(), "/tmp/n/:/new/:ro,Z".to_string()];
        let got = mount_points(&binds, &[]).unwrap();
        assert_eq!(
            (
                got[0].source.to_str(),
                got[0].destination.as_str(),
                got[0].mode.as_str(),
                got[0].rw
            ),
            (Some("/tmp/d"), "/data", "", true)
        );
        assert_eq!(
            (
                got[1].source.to_str(),
                got[1].destination.as_str(),
                got[1].mode.as_str(),
                got[1].rw
            ),
            (Some("/tmp/n"), "/new", "ro,Z", false)
        );
        assert!(got.iter().all(|p| p.create_source));
    }

    #[test]
    fn bad_binds_get_dockerds_texts() {
        assert_eq!(text(&["/a:/x:bogus"], &[]), "invalid mode: bogus");
        assert_eq!(text(&["/a:/x:rw,ro"], &[]), "invalid mode: rw,ro");
        assert_eq!(
            text(&["/a:/x:ro:z"], &[]),
            "invalid volume specification: '/a:/x:ro:z'"
        );
        assert_eq!(
            text(&["/foo:rw"], &[]),
            "invalid volume specification: '/foo:rw'"
        );
        assert_eq!(
            text(&["/a:rel"], &[]),
            "invalid volume specification: '/a:rel': invalid mount config for type \"bind\": \
             invalid mount path: 'rel' mount path must be absolute"
        );
        assert_eq!(
            text(&["/a:/"], &[]),
            "invalid volume specification: '/a:/': invalid mount config for type \"bind\": \
             invalid specification: destination can't be '/'"
        );
        assert_eq!(text(&["/a:/x", "/b:/x/"], &[]), "Duplicate mount point: /x");
        assert!(text(&["name:/x"], &[]).contains("berth has no volumes"));
        assert!(text(&["/anonymous"], &[]).contains("berth has no volumes"));
    }

    #[test]
    fn mounts_must_be_binds_of_existing_sources() {
        let bind = |source: &str, target: &str| MountRequest {
            kind: "bind".into(),
            source: source.into(),
            target: target.into(),
            read_only: true,
        };
        let got = mount_points(&[], &[bind("/tmp", "/m")]).unwrap();
        assert_eq!(
            (got[0].rw, got[0].mode.as_str(), got[0].create_source),
            (false, "", false)
        );
        assert_eq!(
            text(&[], &[bind("/no/such/dir", "/m")]),
            "invalid mount config for type \"bind\": bind source path does not exist: \
             /no/such/dir"
        );
        assert_eq!(
            text(&[], &[bind("", "/m")]),
            "invalid mount config for type \"bind\": field Source must not be empty"
        );
        assert_eq!(
            text(&["/a:/m"], &[bind("/tmp", "/m")]),
            "Duplicate mount point: /m"
        );
        let volume = MountRequest {
            kind: "volume".into(),
            ..bind("", "/v")
        };
        assert!(text(&[], &[volume]).contains("only \"bind\""));
    }
}
