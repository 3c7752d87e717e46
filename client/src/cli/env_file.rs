//! `--env-file`: the docker CLI's `ParseEnvFile`. Each line is `KEY=VALUE` (kept as written
//! after leading blanks), or a bare `KEY` that takes this process's value when it has one;
//! blank lines and `#` comments are skipped, and a byte-order mark opens a file harmlessly.
//! The files' entries come before the `-e` ones, so `-e` wins for a key both set.

/// The entries of every file, in order, or the docker CLI's text for the first bad one.
pub fn read(paths: &[String]) -> Result<Vec<String>, String> {
    let mut entries = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("open {path}: {}", crate::cli::images::io_text(&e)))?;
        entries.extend(parse(path, &bytes)?);
    }
    Ok(entries)
}

fn parse(path: &str, bytes: &[u8]) -> Result<Vec<String>, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut entries = Vec::new();
    for (n, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = std::str::from_utf8(raw).map_err(|_| {
            format!(
                "env file {path} contains invalid utf8 bytes at line {}",
                n + 1
            )
        })?;
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = line.split_once('=').map_or(line.trim(), |(name, _)| name);
        if line.starts_with('=') {
            return Err(format!(
                "invalid env file ({path}): no variable name on line '{line}'"
            ));
        }
        if name.contains(char::is_whitespace) {
            return Err(format!(
                "invalid env file ({path}): variable '{name}' contains whitespaces"
            ));
        }
        entries.push(match line.contains('=') {
            true => line.to_string(),
            false => pass_through(name),
        });
    }
    Ok(entries)
}

/// A bare `KEY` as the docker CLI sends it: `KEY=VALUE` with this process's value when it has
/// one, else the bare name.
pub fn pass_through(name: &str) -> String {
    std::env::var(name).map_or_else(|_| name.to_string(), |v| format!("{name}={v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_as_the_docker_cli_parses_them() {
        let text = b"\xef\xbb\xbf# comment\n\n  A=1 \r\nBERTH_SURELY_UNSET_Y\nB==x\n";
        assert_eq!(
            parse("f", text).unwrap(),
            ["A=1 ", "BERTH_SURELY_UNSET_Y", "B==x"]
        );
        assert_eq!(
            parse("f", b"C D=2\n").unwrap_err(),
            "invalid env file (f): variable 'C D' contains whitespaces"
        );
        assert_eq!(
            parse("f", b"=x\n").unwrap_err(),
            "invalid env file (f): no variable name on line '=x'"
        );
        assert_eq!(
            read(&["/berth/no/such/file".into()]).unwrap_err(),
            "open /berth/no/such/file: no such file or directory"
        );
    }
}
