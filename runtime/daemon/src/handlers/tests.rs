//! The handlers' logic against a fake backend (`fake.rs`), without root, a store or a
//! socket: a request goes through the same steps as on the server (version prefix, route,
//! query and body parsing, execute, the one error-to-status map) at a fixed request time, and
//! the tests check statuses, Docker's JSON shapes and texts, filters, and what the handlers
//! asked of the backend. The real engine behind the same handlers is tested in `tests/`.

use std::sync::Arc;

use berth_core::Timestamp;
use berth_runtime::backend::Backend;
use berth_runtime::engine::{State, StateRecord};
use http_body_util::BodyExt;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use super::fake::{container, image, running_since, Fake};
use super::{execute, Extras};
use crate::request::{self, Query};
use crate::router::Route;
use crate::versions::ApiVersion;
use crate::{Context, DaemonConfig};

/// Every request's time in these tests: 2026-12-08T00:00:00Z.
const NOW_SECONDS: i64 = 1_796_688_000;

/// What an answer said.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    body: Value,
}

/// The server's pipeline (without the socket and the body's framing), at [`NOW_SECONDS`].
async fn call(fake: &Arc<Fake>, method: &str, target: &str, body: &str) -> Answer {
    let now = Timestamp::from_unix_nanos(i128::from(NOW_SECONDS) * 1_000_000_000);
    let backend: Arc<dyn Backend> = Arc::clone(fake) as Arc<dyn Backend>;
    let ctx = Arc::new(Context::new(backend, DaemonConfig::new("/fake".into())));
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let (path, query) = target
        .split_once('?')
        .map_or((target, None), |(p, q)| (p, Some(q)));
    let answered = async {
        let (v, path) = ApiVersion::split(path)?;
        let route = Route::find(&method, path)?;
        let request = request::parse(route, &Query::parse(query), body.as_bytes(), now)?;
        execute(ctx, v, now, request, Extras::default()).await
    }
    .await;
    let response = answered.unwrap_or_else(|e| crate::server::error_response(&e));
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = match bytes.is_empty() {
        true => Value::Null,
        false => serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into())),
    };
    Answer { status, body }
}

/// Two images; `web` running for 3 seconds and `old` exited, both of busybox.
fn fixture() -> Arc<Fake> {
    let fake = Fake::default();
    let busybox = image('b', &["busybox:latest"]);
    fake.images
        .lock()
        .unwrap()
        .extend([busybox.clone(), image('a', &["alpine:3.10"])]);
    let exited = StateRecord {
        status: State::Exited,
        exit_code: 3,
        started_at: Timestamp::from_unix_nanos(1_000_000_000_000),
        finished_at: Timestamp::from_unix_nanos(i128::from(NOW_SECONDS - 120) * 1_000_000_000),
        ..StateRecord::default()
    };
    let mut c = fake.containers.lock().unwrap();
    c.push(container('1', "old", &busybox, exited));
    c.push(container(
        '2',
        "web",
        &busybox,
        running_since(NOW_SECONDS - 3),
    ));
    drop(c);
    Arc::new(fake)
}

fn message(a: &Answer) -> &str {
    a.body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn unknown_routes_are_page_not_found() {
    let a = call(&fixture(), "GET", "/v1.41/nope", "").await;
    assert_eq!(
        (a.status, message(&a)),
        (StatusCode::NOT_FOUND, "page not found")
    );
}

#[tokio::test]
async fn ps_counts_status_from_the_request_time_and_filters() {
    let fake = fixture();
    let a = call(&fake, "GET", "/v1.41/containers/json", "").await;
    assert_eq!(a.status, StatusCode::OK);
    let rows = a.body.as_array().unwrap();
    assert_eq!(rows.len(), 1, "only running ones without all: {rows:?}");
    assert_eq!(rows[0]["Names"], json!(["/web"]));
    assert_eq!(rows[0]["Status"], "Up 3 seconds");
    assert_eq!(rows[0]["State"], "running");
    assert_eq!(rows[0]["Image"], "busybox:latest");

    let a = call(&fake, "GET", "/v1.41/containers/json?all=1", "").await;
    let statuses: Vec<&str> = a
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["Up 3 seconds", "Exited (3) 2 minutes ago"]);

    let filter = "filters=%7B%22status%22%3A%5B%22exited%22%5D%7D"; // {"status":["exited"]}
    let a = call(
        &fake,
        "GET",
        &format!("/v1.41/containers/json?all=1&{filter}"),
        "",
    )
    .await;
    assert_eq!(a.body.as_array().unwrap().len(), 1);
    assert_eq!(a.body[0]["Names"], json!(["/old"]));

    let a = call(&fake, "GET", "/v1.41/containers/json?limit=1", "").await;
    assert_eq!(
        a.body.as_array().unwrap().len(),
        1,
        "limit implies all, newest first"
    );
    assert_eq!(a.body[0]["Names"], json!(["/web"]));

    let a = call(&fake, "GET", "/v1.41/containers/json?filters=%7Bnope", "").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn ps_shows_the_image_id_once_the_typed_name_moved_on() {
    let fake = fixture();
    // `busybox:latest` now names another image than the one `web` was created from.
    fake.images.lock().unwrap()[0].repo_tags.clear();
    fake.images.lock().unwrap()[1]
        .repo_tags
        .push("busybox:latest".into());
    let a = call(&fake, "GET", "/v1.41/containers/json", "").await;
    assert_eq!(a.body[0]["Image"], format!("sha256:{}", "b".repeat(64)));
}

#[tokio::test]
async fn create_answers_201_and_maps_the_backends_errors() {
    let fake = fixture();
    let body = r#"{"Image":"busybox:latest","Cmd":["true"]}"#;
    let a = call(&fake, "POST", "/v1.41/containers/create?name=new", body).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.body["Warnings"], json!([]));
    assert_eq!(a.body["Id"].as_str().unwrap().len(), 64);

    let a = call(&fake, "POST", "/v1.41/containers/create?name=new", body).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(
        message(&a),
        "Conflict. The container name \"/new\" is already in use"
    );

    let missing = r#"{"Image":"nothing:latest"}"#;
    let a = call(&fake, "POST", "/v1.41/containers/create", missing).await;
    assert_eq!(
        (a.status, message(&a)),
        (StatusCode::NOT_FOUND, "No such image: nothing:latest")
    );

    // A malformed body never reaches the backend.
    let before = fake.calls().len();
    let a = call(&fake, "POST", "/v1.41/containers/create", "{nope").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(fake.calls().len(), before);
}

#[tokio::test]
async fn inspect_shapes_dockers_json_and_404s_in_dockers_words() {
    let fake = fixture();
    let a = call(&fake, "GET", "/v1.41/containers/web/json", "").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["Name"], "/web");
    assert_eq!(a.body["State"]["Status"], "running");
    assert_eq!(a.body["State"]["Running"], true);
    assert_eq!(a.body["Id"], "2".repeat(64));

    let a = call(&fake, "GET", "/v1.41/containers/ghost/json", "").await;
    assert_eq!(
        (a.status, message(&a)),
        (StatusCode::NOT_FOUND, "No such container: ghost")
    );
}

#[tokio::test]
async fn not_modified_is_an_empty_304_and_restart_swallows_it() {
    let fake = fixture();
    let a = call(&fake, "POST", "/v1.41/containers/web/start", "").await;
    assert_eq!((a.status, a.body), (StatusCode::NOT_MODIFIED, Value::Null));
    let a = call(&fake, "POST", "/v1.41/containers/old/stop?t=1", "").await;
    assert_eq!((a.status, a.body), (StatusCode::NOT_MODIFIED, Value::Null));

    // Restarting a stopped container: the stop's 304 is not the answer, the start is.
    let a = call(&fake, "POST", "/v1.41/containers/old/restart", "").await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let calls = fake.calls();
    assert_eq!(calls[calls.len() - 2..], ["stop old", "start old"]);
}

#[tokio::test]
async fn stop_with_a_signal_kills_first_then_stops() {
    let fake = fixture();
    let a = call(
        &fake,
        "POST",
        "/v1.42/containers/web/stop?signal=SIGUSR1&t=0",
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let calls = fake.calls();
    assert_eq!(
        calls,
        ["kill web SIGUSR1", "wait web NotRunning", "stop web"]
    );
}

#[tokio::test]
async fn rm_of_a_running_container_is_a_conflict_unless_forced() {
    let fake = fixture();
    let a = call(&fake, "DELETE", "/v1.41/containers/web", "").await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(message(&a).starts_with("You cannot remove a running container"));
    let a = call(&fake, "DELETE", "/v1.41/containers/web?force=1", "").await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(fake.containers(true).len(), 1);
}

#[tokio::test]
async fn wait_streams_the_exit_and_then_sweeps() {
    let fake = fixture();
    let a = call(&fake, "POST", "/v1.41/containers/old/wait", "").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, json!({"StatusCode": 3, "Error": null}));
    assert_eq!(fake.calls().last().map(String::as_str), Some("after_wait"));
    let a = call(&fake, "POST", "/v1.41/containers/ghost/wait", "").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "looked up before the 200");
}

#[tokio::test]
async fn changes_of_an_untouched_container_are_null() {
    let a = call(&fixture(), "GET", "/v1.41/containers/web/changes", "").await;
    assert_eq!((a.status, a.body), (StatusCode::OK, Value::Null));
}

#[tokio::test]
async fn prune_counts_until_back_from_the_request_time() {
    let fake = fixture();
    let filters = "filters=%7B%22until%22%3A%5B%2210m%22%5D%7D"; // {"until":["10m"]}
    let a = call(
        &fake,
        "POST",
        &format!("/v1.41/containers/prune?{filters}"),
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.body,
        json!({"ContainersDeleted": null, "SpaceReclaimed": 0})
    );
    let until = (i128::from(NOW_SECONDS) - 600) * 1_000_000_000;
    assert_eq!(
        fake.calls().last().unwrap(),
        &format!("prune containers until=Some({until})")
    );
}

#[tokio::test]
async fn images_count_their_containers_from_1_51_and_filter_by_reference() {
    let fake = fixture();
    let a = call(&fake, "GET", "/v1.51/images/json", "").await;
    assert_eq!(a.status, StatusCode::OK);
    let busybox = &a.body[0];
    assert_eq!(busybox["RepoTags"], json!(["busybox:latest"]));
    assert_eq!(busybox["Containers"], 2);
    assert_eq!(a.body[1]["Containers"], 0);
    // Before API 1.51 dockerd does not count them.
    let a = call(&fake, "GET", "/v1.41/images/json", "").await;
    assert_eq!(a.body[0]["Containers"], -1);

    let filter = "filters=%7B%22reference%22%3A%5B%22alp*%22%5D%7D"; // {"reference":["alp*"]}
    let a = call(&fake, "GET", &format!("/v1.41/images/json?{filter}"), "").await;
    let tags: Vec<&Value> = a
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["RepoTags"])
        .collect();
    assert_eq!(tags, [&json!(["alpine:3.10"])]);
}

#[tokio::test]
async fn rmi_answers_dockers_records() {
    let fake = fixture();
    let a = call(&fake, "DELETE", "/v1.41/images/alpine:3.10?force=1", "").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.body,
        json!([{"Untagged": "alpine:3.10"}, {"Deleted": format!("sha256:{}", "a".repeat(64))}])
    );
    assert_eq!(fake.calls().last().unwrap(), "rmi alpine:3.10 force=true");
}

#[tokio::test]
async fn a_pull_that_fails_before_any_progress_is_an_ordinary_error() {
    let fake = fixture();
    let a = call(
        &fake,
        "POST",
        "/v1.41/images/create?fromImage=nothing&tag=1",
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(
        message(&a),
        "pull access denied for nothing:1, repository does not exist"
    );
}

#[tokio::test]
async fn info_reports_the_backends_cgroups_counts_and_the_request_time() {
    let a = call(&fixture(), "GET", "/v1.41/info", "").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["CgroupVersion"], "1");
    assert_eq!(a.body["CgroupDriver"], "cgroupfs");
    assert_eq!(a.body["SystemTime"], "2026-12-08T00:00:00Z");
    let counts = [
        "Containers",
        "ContainersRunning",
        "ContainersStopped",
        "Images",
    ]
    .map(|k| a.body[k].as_u64().unwrap());
    assert_eq!(counts, [2, 1, 1, 2]);
}

#[tokio::test]
async fn an_engine_error_of_any_kind_keeps_its_status_and_text() {
    let a = call(&fixture(), "GET", "/v1.41/exec/abc/json", "").await;
    assert_eq!(
        (a.status, message(&a)),
        (StatusCode::NOT_FOUND, "No such exec instance: abc")
    );
    let a = call(&fixture(), "GET", "/v1.41/containers/web/top", "").await;
    assert_eq!(a.status, StatusCode::NOT_IMPLEMENTED);
}
