//! `--security-opt`: the docker CLI 28's `parseSecurityOpts`. Every option needs a value
//! (`KEY=VALUE`, or the old `KEY:VALUE`) except `no-new-privileges`; `seccomp=FILE` is read
//! here and sent as `seccomp=<the file's JSON, compacted>`, so the daemon never opens a path
//! of the client's machine (`seccomp=unconfined` and `seccomp=builtin` go as they are). The
//! options' meaning is the daemon's business: it refuses what it does not know.

/// The options as the CLI sends them in `HostConfig.SecurityOpt`, or its text for the first
/// bad one.
pub fn parse(options: &[String]) -> Result<Vec<String>, String> {
    options.iter().map(|opt| parse_one(opt)).collect()
}

fn parse_one(opt: &str) -> Result<String, String> {
    let (key, value) = match opt.split_once('=') {
        Some(kv) => kv,
        None if opt == "no-new-privileges" => return Ok(opt.to_string()),
        None => opt.split_once(':').unwrap_or((opt, "")),
    };
    if value.is_empty() && key != "no-new-privileges" {
        return Err(format!(
            "Invalid --security-opt: {}",
            berth_core::go_json::go_quote(opt)
        ));
    }
    if key != "seccomp" || value == "builtin" || value == "unconfined" {
        return Ok(opt.to_string());
    }
    let bytes = std::fs::read(value).map_err(|e| {
        format!(
            "opening seccomp profile ({value}) failed: open {value}: {}",
            crate::cli::images::io_text(&e)
        )
    })?;
    let compact = berth_core::go_json::compact(&bytes)
        .map_err(|e| format!("compacting json for seccomp profile ({value}) failed: {e}"))?;
    Ok(format!("seccomp={}", String::from_utf8_lossy(&compact)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(opt: &str) -> Result<String, String> {
        parse(&[opt.to_string()]).map(|mut v| v.remove(0))
    }

    /// The texts the docker CLI 28.2.2 printed (after `docker: `) for the same options.
    #[test]
    fn the_clis_checks_and_texts() {
        assert_eq!(one("no-new-privileges").unwrap(), "no-new-privileges");
        assert_eq!(
            one("no-new-privileges:true").unwrap(),
            "no-new-privileges:true"
        );
        assert_eq!(one("seccomp=unconfined").unwrap(), "seccomp=unconfined");
        assert_eq!(one("foo=bar").unwrap(), "foo=bar", "the daemon decides");
        assert_eq!(one("foo").unwrap_err(), r#"Invalid --security-opt: "foo""#);
        assert_eq!(
            one("disable").unwrap_err(),
            r#"Invalid --security-opt: "disable""#
        );
        assert_eq!(
            one("seccomp=").unwrap_err(),
            r#"Invalid --security-opt: "seccomp=""#
        );
        assert_eq!(
            one("seccomp=/berth/no/such.json").unwrap_err(),
            "opening seccomp profile (/berth/no/such.json) failed: open /berth/no/such.json: \
             no such file or directory"
        );
    }

    #[test]
    fn a_profile_file_is_sent_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\" }\n").unwrap();
        let opt = format!("seccomp={}", path.display());
        assert_eq!(
            one(&opt).unwrap(),
            r#"seccomp={"defaultAction":"SCMP_ACT_ALLOW"}"#
        );
        std::fs::write(&path, "{bad").unwrap();
        assert_eq!(
            one(&opt).unwrap_err(),
            format!(
                "compacting json for seccomp profile ({}) failed: invalid character 'b' \
                 looking for beginning of object key string",
                path.display()
            )
        );
    }
}
