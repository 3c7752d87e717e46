//! `logs [-f] [-t] [--tail N] [--since T]`: the container's log stream, demultiplexed to
//! stdout and stderr unless the container has a TTY.

use clap::Args;

use berth_format::Timestamp;

use crate::cli::session::encode;
use crate::cli::table::now;
use crate::cli::{CliError, Io, Session};
use crate::http::Payload;
use crate::mux::copy_demultiplexed;

/// `logs [OPTIONS] CONTAINER`.
#[derive(Debug, Clone, Args)]
pub struct LogsArgs {
    /// Follow log output.
    #[arg(short, long)]
    pub follow: bool,
    /// Show timestamps.
    #[arg(short, long)]
    pub timestamps: bool,
    /// Number of lines to show from the end of the logs.
    #[arg(short = 'n', long, default_value = "all")]
    pub tail: String,
    /// Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m").
    #[arg(long)]
    pub since: Option<String>,
    /// Show logs before a timestamp or relative time.
    #[arg(long)]
    pub until: Option<String>,
    pub container: String,
}

pub fn logs(session: &Session, args: &LogsArgs, io: &mut Io<'_>) -> Result<i32, CliError> {
    let inspect = session.get_json(&format!("/containers/{}/json", encode(&args.container)))?;
    let tty = inspect["Config"]["Tty"].as_bool().unwrap_or(false);
    let mut path = format!(
        "/containers/{}/logs?stdout=1&stderr=1&follow={}&timestamps={}&tail={}",
        encode(&args.container),
        u8::from(args.follow),
        u8::from(args.timestamps),
        encode(&args.tail)
    );
    for (key, value) in [("since", &args.since), ("until", &args.until)] {
        if let Some(value) = value {
            let stamp = api_timestamp(value, now()).ok_or_else(|| {
                CliError::Message(format!("invalid value for \"{key}\": {value:?}"))
            })?;
            path.push_str(&format!("&{key}={stamp}"));
        }
    }
    let streaming = session.stream("GET", &path, Payload::None)?;
    if tty {
        let mut body = streaming.body;
        std::io::copy(&mut body, io.out)?;
    } else {
        copy_demultiplexed(streaming.body, io.out, io.err)?;
    }
    io.out.flush()?;
    Ok(0)
}

/// docker's `GetTimestamp`: a relative duration (`42m`), an RFC 3339 time or Unix seconds, as
/// `seconds.nanoseconds`.
pub fn api_timestamp(value: &str, now: Timestamp) -> Option<String> {
    if let Some(nanos) = go_duration_nanos(value) {
        let at = now.unix_nanos()? - nanos;
        return Some(format!(
            "{}.{:09}",
            at.div_euclid(1_000_000_000),
            at.rem_euclid(1_000_000_000)
        ));
    }
    if let Ok(at) = Timestamp::parse_rfc3339(value) {
        let at = at.unix_nanos()?;
        return Some(format!(
            "{}.{:09}",
            at.div_euclid(1_000_000_000),
            at.rem_euclid(1_000_000_000)
        ));
    }
    let (secs, frac) = value.split_once('.').unwrap_or((value, ""));
    (secs.parse::<i64>().is_ok() && frac.chars().all(|c| c.is_ascii_digit()))
        .then(|| value.to_string())
}

/// Go's `time.ParseDuration` for the units people type (`h`, `m`, `s`, `ms`): `1h30m`, `42m`.
fn go_duration_nanos(value: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut rest = value;
    if rest.is_empty() || rest.chars().next()?.is_alphabetic() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale: f64 = match &rest[..unit_end] {
            "h" => 3.6e12,
            "m" => 6e10,
            "s" => 1e9,
            "ms" => 1e6,
            "us" | "µs" => 1e3,
            "ns" => 1.0,
            _ => return None,
        };
        total += (number * scale) as i64;
        rest = &rest[unit_end..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_times_and_seconds() {
        let now = Timestamp::from_unix_seconds(1_000_000);
        assert_eq!(api_timestamp("1h30m", now).unwrap(), "994600.000000000");
        assert_eq!(api_timestamp("10s", now).unwrap(), "999990.000000000");
        assert_eq!(
            api_timestamp("1970-01-01T00:00:10Z", now).unwrap(),
            "10.000000000"
        );
        assert_eq!(api_timestamp("12345", now).unwrap(), "12345");
        assert_eq!(api_timestamp("soon", now), None);
    }
}
