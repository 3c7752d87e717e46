//! The docker CLI's client-side checks of `-v` and `--mount` (docker/cli `opts/mount.go` and
//! `volumeSplitN`), so a malformed flag fails before any request, with the CLI's text. What
//! the daemon decides (absolute paths, modes, duplicates) stays with the daemon.

/// A parsed `--mount`, sent as one `HostConfig.Mounts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountFlag {
    pub kind: String,
    pub source: String,
    pub target: String,
    pub read_only: bool,
}

impl MountFlag {
    pub fn to_mount(&self) -> berth_api::create::Mount {
        berth_api::create::Mount {
            kind: self.kind.clone(),
            source: self.source.clone(),
            target: self.target.clone(),
            read_only: self.read_only,
        }
    }
}

/// `--mount type=bind,source=/a,target=/b,readonly` (the type defaults to `volume`).
pub fn parse_mount(value: &str) -> Result<MountFlag, String> {
    let mut mount = MountFlag {
        kind: "volume".into(),
        source: String::new(),
        target: String::new(),
        read_only: false,
    };
    for field in value.split(',') {
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v)),
            None => (field.to_ascii_lowercase(), None),
        };
        match (key.as_str(), val) {
            ("readonly" | "ro", None) => mount.read_only = true,
            ("readonly" | "ro", Some(v)) => {
                mount.read_only =
                    parse_bool(v).ok_or_else(|| format!("invalid value for {key}: {v}"))?;
            }
            ("volume-nocopy", None) => {}
            (_, None) => {
                return Err(format!("invalid field '{field}' must be a key=value pair"));
            }
            ("type", Some(v)) => mount.kind = v.to_ascii_lowercase(),
            ("source" | "src", Some(v)) => mount.source = v.to_string(),
            ("target" | "dst" | "destination", Some(v)) => mount.target = v.to_string(),
            (
                "bind-propagation" | "bind-recursive" | "consistency" | "volume-nocopy"
                | "volume-driver" | "volume-label" | "volume-opt" | "tmpfs-size" | "tmpfs-mode",
                Some(_),
            ) => {}
            (_, Some(_)) => return Err(format!("unexpected key '{key}' in '{field}'")),
        }
    }
    if mount.target.is_empty() {
        return Err("target is required".into());
    }
    Ok(mount)
}

/// Go's `strconv.ParseBool`.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// The CLI's check of a `-v` spec: at most three sections, none of them empty.
pub fn check_volume(spec: &str) -> Result<(), String> {
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.len() > 3 {
        return Err(format!("invalid spec: {spec}: too many colons"));
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "invalid spec: {spec}: empty section between colons"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mounts_parse_as_the_docker_cli_parses_them() {
        let m = parse_mount("type=bind,src=/a,dst=/b,readonly").unwrap();
        assert_eq!(
            m,
            MountFlag {
                kind: "bind".into(),
                source: "/a".into(),
                target: "/b".into(),
                read_only: true
            }
        );
        assert_eq!(
            serde_json::to_value(m.to_mount()).unwrap(),
            json!({"Type": "bind", "Source": "/a", "Target": "/b", "ReadOnly": true})
        );
        assert_eq!(parse_mount("target=/v").unwrap().kind, "volume");
        assert!(
            !parse_mount("type=bind,src=/a,target=/b,ro=false")
                .unwrap()
                .read_only
        );
        assert_eq!(
            parse_mount("type=bind,src=/a").unwrap_err(),
            "target is required"
        );
        assert_eq!(
            parse_mount("type=bind,target=/x,bogus=1").unwrap_err(),
            "unexpected key 'bogus' in 'bogus=1'"
        );
        assert_eq!(
            parse_mount("type=bind,target=/x,src").unwrap_err(),
            "invalid field 'src' must be a key=value pair"
        );
    }

    #[test]
    fn volume_specs_are_checked_for_their_sections() {
        assert!(check_volume("/a:/b:ro").is_ok());
        assert_eq!(
            check_volume("/a:/x:ro:z").unwrap_err(),
            "invalid spec: /a:/x:ro:z: too many colons"
        );
        assert_eq!(
            check_volume("/a::ro").unwrap_err(),
            "invalid spec: /a::ro: empty section between colons"
        );
    }
}
