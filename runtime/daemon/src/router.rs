//! The routing table: one `match` on (method, path segments) that names the endpoint and
//! pulls its path parameters out. Everything else about a request (query, body) is parsed in
//! `request.rs`. An unknown route is dockerd's 404 `page not found`.

use hyper::Method;

use crate::error::ApiError;

/// An endpoint and its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Ping { head: bool },
    Version,
    Info,
    ImageCreate,
    ImageList,
    ImageLoad,
    ImageInspect(String),
    ImageHistory(String),
    ImageTag(String),
    ImageDelete(String),
    ContainerCreate,
    ContainerList,
    ContainerInspect(String),
    ContainerStart(String),
    ContainerStop(String),
    ContainerKill(String),
    ContainerRestart(String),
    ContainerWait(String),
    ContainerAttach(String),
    ContainerLogs(String),
    ContainerResize(String),
    ContainerRename(String),
    ContainerChanges(String),
    ContainerTop(String),
    ContainerPause(String),
    ContainerUnpause(String),
    ContainerDelete(String),
    ContainerPrune,
    ImagePrune,
    ExecCreate(String),
    ExecStart(String),
    ExecResize(String),
    ExecInspect(String),
    Commit,
    ArchiveStat(String),
    ArchiveGet(String),
    ArchivePut(String),
    ContainerExport(String),
}

impl Route {
    /// Finds the endpoint of an (unversioned, still percent-encoded) path.
    pub fn find(method: &Method, path: &str) -> Result<Route, ApiError> {
        let segments: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .map(decode)
            .collect();
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let m = method.as_str();
        let route = match (m, s.as_slice()) {
            ("GET", ["_ping"]) => Route::Ping { head: false },
            ("HEAD", ["_ping"]) => Route::Ping { head: true },
            ("GET", ["version"]) => Route::Version,
            ("GET", ["info"]) => Route::Info,
            ("POST", ["images", "create"]) => Route::ImageCreate,
            ("GET", ["images", "json"]) => Route::ImageList,
            ("POST", ["images", "load"]) => Route::ImageLoad,
            ("POST", ["commit"]) => Route::Commit,
            ("POST", ["containers", "prune"]) => Route::ContainerPrune,
            ("POST", ["images", "prune"]) => Route::ImagePrune,
            ("POST", ["exec", id, "start"]) => Route::ExecStart(id.to_string()),
            ("POST", ["exec", id, "resize"]) => Route::ExecResize(id.to_string()),
            ("GET", ["exec", id, "json"]) => Route::ExecInspect(id.to_string()),
            ("POST", ["containers", "create"]) => Route::ContainerCreate,
            ("GET", ["containers", "json"]) => Route::ContainerList,
            ("DELETE", ["images", name @ ..]) if !name.is_empty() => {
                Route::ImageDelete(name.join("/"))
            }
            ("DELETE", ["containers", id]) => Route::ContainerDelete(id.to_string()),
            ("GET", ["images", name @ .., "json"]) if !name.is_empty() => {
                Route::ImageInspect(name.join("/"))
            }
            ("GET", ["images", name @ .., "history"]) if !name.is_empty() => {
                Route::ImageHistory(name.join("/"))
            }
            ("POST", ["images", name @ .., "tag"]) if !name.is_empty() => {
                Route::ImageTag(name.join("/"))
            }
            (_, ["containers", id, verb]) => container_route(m, id, verb)?,
            _ => return Err(page_not_found()),
        };
        Ok(route)
    }

    /// The bodies of `load` and of `docker cp` into a container are tars of any size, handed
    /// on as they arrive; every other body is read whole (within the limit) before parsing.
    pub fn streams_body(&self) -> bool {
        matches!(self, Route::ImageLoad | Route::ArchivePut(_))
    }
}

fn container_route(method: &str, id: &str, verb: &str) -> Result<Route, ApiError> {
    let id = id.to_string();
    Ok(match (method, verb) {
        ("GET", "json") => Route::ContainerInspect(id),
        ("HEAD", "archive") => Route::ArchiveStat(id),
        ("GET", "archive") => Route::ArchiveGet(id),
        ("PUT", "archive") => Route::ArchivePut(id),
        ("GET", "export") => Route::ContainerExport(id),
        ("POST", "start") => Route::ContainerStart(id),
        ("POST", "stop") => Route::ContainerStop(id),
        ("POST", "kill") => Route::ContainerKill(id),
        ("POST", "restart") => Route::ContainerRestart(id),
        ("POST", "wait") => Route::ContainerWait(id),
        ("POST", "attach") => Route::ContainerAttach(id),
        ("GET", "logs") => Route::ContainerLogs(id),
        ("POST", "resize") => Route::ContainerResize(id),
        ("POST", "rename") => Route::ContainerRename(id),
        ("GET", "changes") => Route::ContainerChanges(id),
        ("GET", "top") => Route::ContainerTop(id),
        ("POST", "pause") => Route::ContainerPause(id),
        ("POST", "unpause") => Route::ContainerUnpause(id),
        ("POST", "exec") => Route::ExecCreate(id),
        _ => return Err(page_not_found()),
    })
}

/// dockerd's answer to a path it has no handler for.
pub fn page_not_found() -> ApiError {
    ApiError::not_found("page not found")
}

/// One path segment, percent-decoded (`docker.io%2Flibrary%2Falpine`).
fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_with_slashes_and_containers_route() {
        assert_eq!(
            Route::find(&Method::GET, "/images/127.0.0.1:5000/busybox/json").unwrap(),
            Route::ImageInspect("127.0.0.1:5000/busybox".into())
        );
        assert_eq!(
            Route::find(&Method::DELETE, "/images/docker.io%2Flibrary%2Falpine").unwrap(),
            Route::ImageDelete("docker.io/library/alpine".into())
        );
        assert_eq!(
            Route::find(&Method::POST, "/containers/abc/wait").unwrap(),
            Route::ContainerWait("abc".into())
        );
        assert_eq!(
            Route::find(&Method::POST, "/containers/prune").unwrap(),
            Route::ContainerPrune
        );
        assert_eq!(
            Route::find(&Method::POST, "/images/prune").unwrap(),
            Route::ImagePrune
        );
    }

    #[test]
    fn unknown_paths_and_methods_are_page_not_found() {
        for (m, p) in [(Method::GET, "/nope"), (Method::GET, "/containers/x/start")] {
            let e = Route::find(&m, p).unwrap_err();
            assert_eq!(
                (e.status().as_u16(), e.message.as_str()),
                (404, "page not found")
            );
        }
    }
}
