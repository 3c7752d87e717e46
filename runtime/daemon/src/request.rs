//! Typed requests: the query string and body of each endpoint parsed and checked here, so a
//! malformed body, an oversized one or a bad parameter is a 400 that never reaches the engine.
//! Unknown JSON fields and unknown query parameters are ignored, as dockerd ignores them.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use berth_api::exec::{ExecCreateBody, ExecStartBody};
use berth_core::Timestamp;
use berth_runtime::engine::{ExecOptions, PruneFilters, WaitCondition};
use serde::Deserialize;

/// `POST /containers/create`'s body (berth-api's; the daemon reads the fields it runs with).
pub use berth_api::create::ContainerCreateBody as CreateBody;
/// A create body's `HostConfig`.
pub use berth_api::create::HostConfig as HostConfigBody;

use crate::error::ApiError;
use crate::filters::ContainerFilter;
use crate::goparse;
use crate::router::Route;

/// The largest JSON body accepted.
pub const BODY_LIMIT: usize = 1 << 20;

/// How long `stop`/`restart` wait by default before SIGKILL (dockerd's 10 s).
pub const DEFAULT_STOP: Duration = Duration::from_secs(10);

/// How long `stop`/`restart` give the process after the stop signal before SIGKILL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grace {
    /// No `t`: the container's own `StopTimeout`, else dockerd's 10 seconds.
    ContainerDefault,
    /// A negative `t`: wait for the process however long it takes, never SIGKILL.
    Forever,
    After(Duration),
}

impl Grace {
    /// A container's `StopTimeout` (seconds; negative waits forever) as a grace.
    pub fn of_seconds(t: i64) -> Grace {
        match t {
            t if t < 0 => Grace::Forever,
            t => {
                let nanos = t.wrapping_mul(1_000_000_000);
                Grace::After(Duration::from_nanos(u64::try_from(nanos).unwrap_or(0)))
            }
        }
    }
}

/// A request the engine can run.
#[derive(Debug, Clone)]
pub enum Request {
    Ping {
        head: bool,
    },
    Version,
    Info,
    ImagePull {
        reference: String,
    },
    ImageList {
        all: bool,
        dangling: Option<bool>,
        /// `reference=` patterns (`docker images NAME[:TAG]`); an image matches any of them.
        reference: Vec<String>,
    },
    ImageLoad,
    ImageInspect {
        name: String,
    },
    ImageHistory {
        name: String,
    },
    ImageTag {
        name: String,
        target: String,
    },
    ImageDelete {
        name: String,
        force: bool,
    },
    ContainerCreate {
        name: Option<String>,
        /// Boxed: the largest request by far.
        config: Box<CreateBody>,
    },
    ContainerList(ListQuery),
    ContainerInspect {
        id: String,
    },
    Start {
        id: String,
    },
    Stop {
        id: String,
        grace: Grace,
        signal: Option<String>,
    },
    Kill {
        id: String,
        signal: String,
    },
    Restart {
        id: String,
        grace: Grace,
    },
    Wait {
        id: String,
        condition: WaitCondition,
    },
    Attach {
        id: String,
        options: AttachQuery,
    },
    Logs {
        id: String,
        options: LogsQuery,
    },
    Resize {
        id: String,
        height: u16,
        width: u16,
    },
    Rename {
        id: String,
        name: String,
    },
    Changes {
        id: String,
    },
    Top {
        id: String,
        ps_args: String,
    },
    Pause {
        id: String,
        paused: bool,
    },
    ContainerDelete {
        id: String,
        force: bool,
    },
    ContainerPrune(PruneFilters),
    ImagePrune(PruneFilters),
    ExecCreate {
        id: String,
        options: ExecOptions,
    },
    /// `tty` is the start request's own: it, not the exec's, decides whether the output is
    /// multiplexed (dockerd's `postContainerExecStart`).
    ExecStart {
        id: String,
        detach: bool,
        tty: bool,
    },
    ExecResize {
        id: String,
        height: u16,
        width: u16,
    },
    ExecInspect {
        id: String,
    },
    Commit(CommitQuery),
    ArchiveStat {
        id: String,
        path: String,
    },
    ArchiveGet {
        id: String,
        path: String,
    },
    ArchivePut {
        id: String,
        query: ArchivePutQuery,
    },
    ContainerExport {
        id: String,
    },
}

/// `PUT /containers/{id}/archive`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivePutQuery {
    pub path: String,
    pub no_overwrite_dir_non_dir: bool,
    pub copy_uid_gid: bool,
}

/// `GET /containers/json`.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub all: bool,
    pub limit: Option<usize>,
    pub filter: ContainerFilter,
}

/// Which streams an attach wants.
#[derive(Debug, Clone, Copy, Default)]
pub struct AttachQuery {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub logs: bool,
    pub stream: bool,
}

/// `GET /containers/{id}/logs`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogsQuery {
    pub follow: bool,
    pub stdout: bool,
    pub stderr: bool,
    /// Unix nanoseconds; entries before it are skipped.
    pub since: Option<i128>,
    /// Unix nanoseconds; entries after it are skipped.
    pub until: Option<i128>,
    /// The last N entries only.
    pub tail: Option<usize>,
    pub timestamps: bool,
}

/// `POST /commit`.
#[derive(Debug, Clone, Default)]
pub struct CommitQuery {
    pub container: String,
    pub reference: Option<String>,
    pub comment: String,
    pub author: String,
    pub changes: Vec<String>,
    /// Freeze a running container while committing: true unless `pause` says otherwise
    /// (dockerd's default since API 1.13, the oldest berth serves).
    pub pause: bool,
}

/// A parsed query string; the first value of a key wins, as Go's `Form.Get`.
#[derive(Debug, Clone, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(query: Option<&str>) -> Query {
        let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes());
        Query(
            pairs
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn string(&self, key: &str) -> String {
        self.get(key).unwrap_or_default().to_string()
    }

    /// moby's `BoolValue`: absent, empty, `0`, `no`, `false` and `none` are false.
    pub fn bool(&self, key: &str) -> bool {
        let v = self
            .get(key)
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        !matches!(v.as_str(), "" | "0" | "no" | "false" | "none")
    }

    /// A number as dockerd reads it (Go's `strconv.Atoi`), absent or empty being `None`; a
    /// bad one is a 400 in Go's words (dockerd answers those words with a 500).
    fn atoi(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => goparse::atoi(v)
                .map(Some)
                .map_err(|e| ApiError::bad_request(e.to_string())),
        }
    }
}

/// Parses the query and body of `route` into a request.
pub fn parse(route: Route, q: &Query, body: &[u8], now: Timestamp) -> Result<Request, ApiError> {
    Ok(match route {
        Route::Ping { head } => Request::Ping { head },
        Route::Version => Request::Version,
        Route::Info => Request::Info,
        Route::ImageCreate => Request::ImagePull {
            reference: pull_reference(q)?,
        },
        Route::ImageList => {
            let filters = filters(q)?;
            Request::ImageList {
                all: q.bool("all"),
                dangling: dangling(&filters)?,
                reference: filters.get("reference").cloned().unwrap_or_default(),
            }
        }
        Route::ImageLoad => Request::ImageLoad,
        Route::ArchiveStat(id) => Request::ArchiveStat {
            id,
            path: q.get("path").unwrap_or_default().to_string(),
        },
        Route::ArchiveGet(id) => Request::ArchiveGet {
            id,
            path: q.get("path").unwrap_or_default().to_string(),
        },
        Route::ArchivePut(id) => Request::ArchivePut {
            id,
            query: ArchivePutQuery {
                path: q.get("path").unwrap_or_default().to_string(),
                no_overwrite_dir_non_dir: q.bool("noOverwriteDirNonDir"),
                copy_uid_gid: q.bool("copyUIDGID"),
            },
        },
        Route::ContainerExport(id) => Request::ContainerExport { id },
        Route::ImageInspect(name) => Request::ImageInspect { name },
        Route::ImageHistory(name) => Request::ImageHistory { name },
        Route::ImageTag(name) => Request::ImageTag {
            name,
            target: tag_target(q)?,
        },
        Route::ImageDelete(name) => Request::ImageDelete {
            name,
            force: q.bool("force"),
        },
        Route::ContainerCreate => Request::ContainerCreate {
            name: q.get("name").filter(|n| !n.is_empty()).map(str::to_string),
            config: Box::new(create_body(body)?),
        },
        Route::ContainerList => Request::ContainerList(ListQuery {
            all: q.bool("all"),
            // Zero and below mean no limit, as in dockerd.
            limit: q
                .atoi("limit")?
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| n > 0),
            filter: ContainerFilter::parse(&filters(q)?)?,
        }),
        Route::ContainerInspect(id) => Request::ContainerInspect { id },
        Route::ContainerStart(id) => Request::Start { id },
        Route::ContainerStop(id) => Request::Stop {
            id,
            grace: grace(q)?,
            signal: q
                .get("signal")
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        },
        Route::ContainerKill(id) => Request::Kill {
            id,
            signal: q
                .get("signal")
                .filter(|s| !s.is_empty())
                .unwrap_or("KILL")
                .to_string(),
        },
        Route::ContainerRestart(id) => Request::Restart {
            id,
            grace: grace(q)?,
        },
        Route::ContainerWait(id) => Request::Wait {
            id,
            condition: wait_condition(q),
        },
        Route::ContainerAttach(id) => Request::Attach {
            id,
            options: AttachQuery {
                stdin: q.bool("stdin"),
                stdout: q.bool("stdout"),
                stderr: q.bool("stderr"),
                logs: q.bool("logs"),
                stream: q.bool("stream"),
            },
        },
        Route::ContainerLogs(id) => Request::Logs {
            id,
            options: logs_query(q)?,
        },
        Route::ContainerResize(id) => {
            let (height, width) = terminal_size(q)?;
            Request::Resize { id, height, width }
        }
        Route::ContainerRename(id) => Request::Rename {
            id,
            name: q.string("name"),
        },
        Route::ContainerChanges(id) => Request::Changes { id },
        Route::ContainerPause(id) => Request::Pause { id, paused: true },
        Route::ContainerUnpause(id) => Request::Pause { id, paused: false },
        Route::ContainerTop(id) => Request::Top {
            id,
            ps_args: q.string("ps_args"),
        },
        Route::ContainerDelete(id) => Request::ContainerDelete {
            id,
            force: q.bool("force"),
        },
        Route::ExecCreate(id) => Request::ExecCreate {
            id,
            options: exec_options(body)?,
        },
        Route::ExecStart(id) => {
            let b: ExecStartBody = required_json_body(body)?;
            Request::ExecStart {
                id,
                detach: b.detach,
                tty: b.tty,
            }
        }
        Route::ExecResize(id) => {
            let (height, width) = terminal_size(q)?;
            Request::ExecResize { id, height, width }
        }
        Route::ExecInspect(id) => Request::ExecInspect { id },
        Route::ContainerPrune => Request::ContainerPrune(prune_filters(q, false, now)?),
        Route::ImagePrune => Request::ImagePrune(prune_filters(q, true, now)?),
        Route::Commit => commit(q, body)?,
    })
}

fn exec_options(body: &[u8]) -> Result<ExecOptions, ApiError> {
    let b: ExecCreateBody = required_json_body(body)?;
    Ok(ExecOptions {
        cmd: b.cmd.map(|c| c.into_vec()).unwrap_or_default(),
        env: b.env.unwrap_or_default(),
        user: b.user,
        working_dir: b.working_dir,
        tty: b.tty,
        attach_stdin: b.attach_stdin,
        attach_stdout: b.attach_stdout,
        attach_stderr: b.attach_stderr,
        privileged: b.privileged,
    })
}

/// The prune filters (`until`, `label`, `label!`, and `dangling` for images), checked as
/// dockerd checks them. `dangling` is true unless a value says `false` or `0`.
fn prune_filters(q: &Query, images: bool, now: Timestamp) -> Result<PruneFilters, ApiError> {
    let filters = filters(q)?;
    for key in filters.keys() {
        let known =
            matches!(key.as_str(), "until" | "label" | "label!") || (images && key == "dangling");
        if !known {
            return Err(ApiError::bad_request(format!("Invalid filter '{key}'")));
        }
    }
    let until = match filters.get("until").map(Vec::as_slice) {
        None | Some([]) => None,
        Some([value]) => {
            let now =
                i128::from(now.unix_seconds()) * 1_000_000_000 + i128::from(now.subsec_nanos());
            Some(crate::until::parse_until(value, now).map_err(ApiError::bad_request)?)
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "more than one until filter specified",
            ))
        }
    };
    let values = |key: &str| filters.get(key).cloned().unwrap_or_default();
    Ok(PruneFilters {
        until,
        labels: values("label"),
        not_labels: values("label!"),
        dangling_only: !values("dangling").iter().any(|d| d == "false" || d == "0"),
    })
}

/// `fromImage` and `tag` as one reference (`tag` may also be a digest).
fn pull_reference(q: &Query) -> Result<String, ApiError> {
    let image = q.string("fromImage");
    if image.is_empty() {
        return Err(ApiError::bad_request(
            "fromImage is required (importing with fromSrc is not supported)",
        ));
    }
    Ok(match q.get("tag").unwrap_or_default() {
        "" => image,
        tag if tag.contains(':') => format!("{image}@{tag}"),
        tag => format!("{image}:{tag}"),
    })
}

fn tag_target(q: &Query) -> Result<String, ApiError> {
    let repo = q.string("repo");
    if repo.is_empty() {
        return Err(ApiError::bad_request("repo is required"));
    }
    Ok(match q.get("tag").unwrap_or_default() {
        "" => repo,
        tag => format!("{repo}:{tag}"),
    })
}

/// `filters={"status":["exited"]}`, or the old `{"status":{"exited":true}}` form.
fn filters(q: &Query) -> Result<BTreeMap<String, Vec<String>>, ApiError> {
    let Some(text) = q.get("filters").filter(|t| !t.is_empty()) else {
        return Ok(BTreeMap::new());
    };
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Values {
        List(Vec<String>),
        Map(HashMap<String, bool>),
    }
    let raw: BTreeMap<String, Values> = serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("invalid filter: {e}")))?;
    Ok(raw
        .into_iter()
        .map(|(k, v)| match v {
            Values::List(l) => (k, l),
            Values::Map(m) => (
                k,
                m.into_iter()
                    .filter(|(_, on)| *on)
                    .map(|(v, _)| v)
                    .collect(),
            ),
        })
        .collect())
}

fn dangling(filters: &BTreeMap<String, Vec<String>>) -> Result<Option<bool>, ApiError> {
    for key in filters.keys() {
        if key != "dangling" && key != "reference" {
            return Err(ApiError::bad_request(format!("Invalid filter '{key}'")));
        }
    }
    match filters
        .get("dangling")
        .and_then(|v| v.first())
        .map(String::as_str)
    {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(v) => Err(ApiError::bad_request(format!(
            "Invalid filter 'dangling=[{v}]'"
        ))),
    }
}

/// `t` in seconds; a negative value waits for the process however long it takes. dockerd
/// turns `t` into nanoseconds in an `int64` that wraps: `t=9223372036854775807` wraps to a
/// negative wait, so the SIGKILL follows at once; that is reproduced, never an overflow.
fn grace(q: &Query) -> Result<Grace, ApiError> {
    Ok(match q.atoi("t")? {
        None => Grace::ContainerDefault,
        Some(t) => Grace::of_seconds(t),
    })
}

/// `h` and `w` of a resize: both required, as dockerd requires them. dockerd hands them on
/// as unsigned integers that end in the kernel's 16-bit window size, so larger or negative
/// values wrap there; the same truncation is made here, on purpose.
fn terminal_size(q: &Query) -> Result<(u16, u16), ApiError> {
    let dimension = |key: &str| {
        goparse::atoi(q.get(key).unwrap_or_default())
            .map(|n| n as u16)
            .map_err(|e| ApiError::bad_request(e.to_string()))
    };
    Ok((dimension("h")?, dimension("w")?))
}

/// `condition`: dockerd 20.10 reads anything it does not know as `not-running` (23.0 and
/// later refuse it); the reference model and this daemon follow 20.10.
fn wait_condition(q: &Query) -> WaitCondition {
    q.get("condition")
        .unwrap_or_default()
        .parse()
        .unwrap_or_default()
}

fn logs_query(q: &Query) -> Result<LogsQuery, ApiError> {
    let options = LogsQuery {
        follow: q.bool("follow"),
        stdout: q.bool("stdout"),
        stderr: q.bool("stderr"),
        since: unix_time(q, "since")?,
        until: unix_time(q, "until")?,
        // dockerd's `Atoi`, with anything that is not a number (`all`) or is negative
        // meaning every line.
        tail: goparse::atoi(q.get("tail").unwrap_or_default())
            .ok()
            .and_then(|n| usize::try_from(n).ok()),
        timestamps: q.bool("timestamps"),
    };
    if !options.stdout && !options.stderr {
        return Err(ApiError::bad_request(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    Ok(options)
}

/// `since`/`until` as the CLI sends them: Unix seconds with an optional fraction, read as
/// docker's `ParseTimestamps` reads them (errors in its words). Zero means unset.
fn unix_time(q: &Query, key: &str) -> Result<Option<i128>, ApiError> {
    let Some(text) = q.get(key).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let t = goparse::timestamp_nanos(text).map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok((t != 0).then_some(t))
}

fn create_body(body: &[u8]) -> Result<CreateBody, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "config cannot be empty in order to create a container",
        ));
    }
    let config: CreateBody = json_body(body)?;
    if let Some(host) = &config.host_config {
        crate::resources::check(host)?;
    }
    Ok(config)
}

fn commit(q: &Query, body: &[u8]) -> Result<Request, ApiError> {
    // The body may carry a container config to merge; berth does not merge it, but a body
    // that is not JSON is still refused.
    if !body.iter().all(u8::is_ascii_whitespace) {
        json_body::<serde_json::Value>(body)?;
    }
    let repo = q.string("repo");
    let reference = match (repo.as_str(), q.get("tag").unwrap_or_default()) {
        ("", _) => None,
        (repo, "") => Some(repo.to_string()),
        (repo, tag) => Some(format!("{repo}:{tag}")),
    };
    Ok(Request::Commit(CommitQuery {
        container: q.string("container"),
        reference,
        comment: q.string("comment"),
        author: q.string("author"),
        pause: q.get("pause").unwrap_or_default().is_empty() || q.bool("pause"),
        changes: q
            .all("changes")
            .into_iter()
            .filter(|c| !c.is_empty())
            .collect(),
    }))
}

/// A JSON body; unknown fields are ignored, anything malformed is a 400. Nesting deeper
/// than serde_json's recursion limit (128) is malformed too, so no body can exhaust the stack.
pub fn json_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// A body dockerd decodes with Go's `json.Decoder`, where nothing at all is an error in its
/// words and `null` is an empty object (the exec endpoints).
fn required_json_body<T: Default + for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("got EOF while reading request body"));
    }
    Ok(json_body::<Option<T>>(body)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Query {
        Query::parse(Some(s))
    }

    /// The request's time in these tests: 2026-12-08T00:00:00Z.
    const NOW: i128 = 1_796_688_000 * 1_000_000_000;

    fn parse(route: Route, q: &Query, body: &[u8]) -> Result<Request, ApiError> {
        super::parse(route, q, body, Timestamp::from_unix_nanos(NOW))
    }

    #[test]
    fn create_bodies_ignore_unknown_fields_and_refuse_bad_json() {
        let body = br#"{"Image":"x","Cmd":"echo","Bogus":1,"HostConfig":{"AutoRemove":true}}"#;
        let Request::ContainerCreate { config, .. } =
            parse(Route::ContainerCreate, &q(""), body).unwrap()
        else {
            panic!()
        };
        assert_eq!(config.cmd.unwrap().into_vec(), ["echo"]);
        assert!(config.host_config.unwrap().auto_remove);
        let e = parse(Route::ContainerCreate, &q(""), b"{nope").unwrap_err();
        assert_eq!(e.status().as_u16(), 400);
        assert!(e.message.starts_with("invalid JSON body"), "{}", e.message);
    }

    #[test]
    fn bad_parameters_are_400() {
        let id = || "x".to_string();
        for (route, query) in [
            (Route::ContainerStop(id()), "t=soon"),
            (Route::ContainerLogs(id()), "stdout=0"),
            (Route::ImageCreate, ""),
            (Route::ContainerList, "filters=%7B"),
        ] {
            let e = parse(route, &q(query), b"").unwrap_err();
            assert_eq!(e.status().as_u16(), 400, "{query}");
        }
    }

    /// Regression: an unknown `condition` was a 400 where dockerd 20.10 waits for not-running.
    #[test]
    fn an_unknown_wait_condition_is_not_running() {
        for query in ["condition=later", "condition=", ""] {
            let Request::Wait { condition, .. } =
                parse(Route::ContainerWait("x".into()), &q(query), b"").unwrap()
            else {
                panic!()
            };
            assert_eq!(condition, WaitCondition::NotRunning, "{query}");
        }
        let Request::Wait { condition, .. } = parse(
            Route::ContainerWait("x".into()),
            &q("condition=removed"),
            b"",
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(condition, WaitCondition::Removed);
    }

    #[test]
    fn pull_references_and_logs_times() {
        let Request::ImagePull { reference } =
            parse(Route::ImageCreate, &q("fromImage=alpine&tag=3.10"), b"").unwrap()
        else {
            panic!()
        };
        assert_eq!(reference, "alpine:3.10");
        let l = logs_query(&q("stdout=1&since=12.5&tail=3")).unwrap();
        assert_eq!((l.since, l.tail), (Some(12_500_000_000), Some(3)));
        assert!(q("x=no").get("x").is_some() && !q("x=no").bool("x") && q("x=1").bool("x"));
    }

    #[test]
    fn commit_pauses_unless_pause_says_false_as_dockerd_reads_it() {
        let pause = |query: &str| match parse(Route::Commit, &q(query), b"").unwrap() {
            Request::Commit(c) => c.pause,
            other => panic!("{other:?}"),
        };
        // moby's postCommit: absent or empty is true (API >= 1.13), else `BoolValue`.
        for query in ["container=c", "container=c&pause=", "pause=1", "pause=yes"] {
            assert!(pause(query), "{query}");
        }
        for query in [
            "pause=0",
            "pause=false",
            "pause=no",
            "pause=none",
            "pause=%20False",
        ] {
            assert!(!pause(query), "{query}");
        }
    }

    #[test]
    fn prune_filters_are_checked_as_dockerd_checks_them() {
        let filters = |route: Route, json: &str| {
            let query = format!(
                "filters={}",
                percent_encoding::utf8_percent_encode(json, percent_encoding::NON_ALPHANUMERIC)
            );
            match parse(route, &q(&query), b"") {
                Ok(Request::ContainerPrune(f) | Request::ImagePrune(f)) => Ok(f),
                Ok(other) => panic!("{other:?}"),
                Err(e) => Err(e.message),
            }
        };
        let f = filters(
            Route::ContainerPrune,
            r#"{"label":{"a=1":true},"label!":["b"],"until":["0"]}"#,
        )
        .unwrap();
        assert_eq!(
            (f.labels, f.not_labels, f.until, f.dangling_only),
            (
                vec!["a=1".to_string()],
                vec!["b".to_string()],
                Some(0),
                true
            )
        );
        let f = filters(Route::ImagePrune, r#"{"dangling":["false"]}"#).unwrap();
        assert!(!f.dangling_only);
        // A duration counts back from the request's time, not from the clock.
        let f = filters(Route::ImagePrune, r#"{"until":["1h"]}"#).unwrap();
        assert_eq!(f.until, Some(NOW - 3600 * 1_000_000_000));
        for (route, json, message) in [
            (
                Route::ContainerPrune,
                r#"{"dangling":["true"]}"#,
                "Invalid filter 'dangling'",
            ),
            (Route::ImagePrune, r#"{"x":["1"]}"#, "Invalid filter 'x'"),
            (
                Route::ContainerPrune,
                r#"{"until":["1h","2h"]}"#,
                "more than one until filter specified",
            ),
            (
                Route::ImagePrune,
                r#"{"until":["bogus"]}"#,
                "failed to parse value as time or duration: \"bogus\"",
            ),
        ] {
            assert_eq!(filters(route, json).unwrap_err(), message, "{json}");
        }
    }
}
