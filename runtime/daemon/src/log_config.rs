//! `HostConfig.LogConfig` checked as dockerd 20.10 checks it at create: an empty type is the
//! daemon's default (`json-file`), `json-file` takes only its own options (moby's
//! `jsonfilelog.ValidateLogOpt`), a driver dockerd does not know is a missing plugin. berth
//! writes json-file logs only, so dockerd's other built-in drivers are refused plainly rather
//! than accepted and ignored.

use std::collections::BTreeMap;

use berth_runtime::engine::LogConfig;

use crate::error::ApiError;

/// The options json-file takes.
const JSON_FILE_OPTS: &[&str] = &[
    "max-file",
    "max-size",
    "compress",
    "labels",
    "labels-regex",
    "env",
    "env-regex",
    "tag",
];

/// dockerd 20.10's built-in drivers on Linux besides json-file.
const OTHER_BUILT_IN: &[&str] = &[
    "awslogs",
    "fluentd",
    "gcplogs",
    "gelf",
    "journald",
    "local",
    "logentries",
    "none",
    "splunk",
    "syslog",
];

/// The log config a create asked for, as the container records it.
pub fn checked(
    kind: &str,
    config: Option<BTreeMap<String, String>>,
) -> Result<LogConfig, ApiError> {
    let config = config.unwrap_or_default();
    match kind {
        "" | "json-file" => {}
        other if OTHER_BUILT_IN.contains(&other) => {
            return Err(ApiError::new(
                berth_core::ErrorKind::NotImplemented,
                format!(
                    "berth writes json-file logs only: the {other} log driver is not supported"
                ),
            ))
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "error looking up logging plugin {other}: plugin \"{other}\" not found"
            )))
        }
    }
    if let Some(unknown) = config
        .keys()
        .find(|k| !JSON_FILE_OPTS.contains(&k.as_str()))
    {
        return Err(ApiError::bad_request(format!(
            "unknown log opt '{unknown}' for json-file log driver"
        )));
    }
    Ok(LogConfig {
        kind: "json-file".into(),
        config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drivers_and_options_are_checked_in_dockerds_words() {
        let opts = |pairs: &[(&str, &str)]| {
            Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let kept = checked("", opts(&[("max-file", "100")])).unwrap();
        assert_eq!((kept.kind.as_str(), kept.config.len()), ("json-file", 1));
        let e = checked("nope", None).unwrap_err();
        assert_eq!(
            (e.status().as_u16(), e.message.as_str()),
            (
                400,
                "error looking up logging plugin nope: plugin \"nope\" not found"
            )
        );
        let e = checked("json-file", opts(&[("foo", "1")])).unwrap_err();
        assert_eq!(e.message, "unknown log opt 'foo' for json-file log driver");
        assert_eq!(checked("syslog", None).unwrap_err().status().as_u16(), 501);
    }
}
