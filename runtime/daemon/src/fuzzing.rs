//! The daemon's request parsing as the fuzz targets (`fuzz/`) reach it: untrusted bytes in,
//! an answer out, no socket and no engine. It runs the same steps the server runs before a
//! handler is called (version prefix, route, query, body into a typed request) and the list
//! filters over a fixed image. Not part of the daemon's interface: nothing else calls it.

use berth_runtime::engine::{ImageId, ImageSummary};
use hyper::Method;

use crate::request::{self, Query, Request};
use crate::router::Route;
use crate::versions::ApiVersion;

/// A request as a client may send it: `METHOD` and a path with its query, and a body. Gives
/// the typed request's debug form, or the error's status and text.
pub fn parse_request(method: &str, target: &str, body: &[u8]) -> Result<String, String> {
    let method = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let (path, query) = target
        .split_once('?')
        .map_or((target, None), |(p, q)| (p, Some(q)));
    let (_version, path) = ApiVersion::split(path).map_err(answer)?;
    let route = Route::find(&method, path).map_err(answer)?;
    // A fixed time: a fuzz input must give the same answer on every run.
    let now = berth_core::Timestamp::from_unix_nanos(1_796_688_000 * 1_000_000_000);
    let request = request::parse(route, &Query::parse(query), body, now).map_err(answer)?;
    if let Request::ImageList { reference, .. } = &request {
        crate::filters::by_reference(reference, sample_image()).map_err(answer)?;
    }
    Ok(format!("{request:?}"))
}

fn answer(e: crate::error::ApiError) -> String {
    format!("{:?}: {}", e.kind, e.message)
}

/// Go's `path.Match`, as the images `reference` filter runs it.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, String> {
    crate::path_match::matches(pattern, name).map_err(|e| format!("{e:?}"))
}

fn sample_image() -> ImageSummary {
    let id: ImageId = format!("sha256:{}", "ab".repeat(32))
        .parse()
        .expect("an image ID");
    ImageSummary {
        id,
        parent_id: None,
        repo_tags: vec![
            "alpine:3.10".into(),
            "127.0.0.1:5000/team/app:v1.2".into(),
            "docker.io/x/y:latest".into(),
        ],
        repo_digests: vec![format!("alpine@sha256:{}", "cd".repeat(32))],
        created: 0,
        size: 1,
        virtual_size: 1,
        labels: None,
    }
}
