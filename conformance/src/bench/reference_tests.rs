//! The benchmark against the reference dockerd (`scripts/refdockerd`), when it is reachable:
//! three warm runs of `hello-world` must yield three samples of every phase, in the order a
//! client sees them. When dockerd is missing the tests say so in one line and skip, unless
//! `BERTH_REQUIRE_ALL=1`, when a missing engine is a failure. Nothing here asserts a speed.

use std::path::PathBuf;

use crate::bench::error::BenchErrorKind;
use crate::bench::phases::Phase;
use crate::bench::settings::{RawSettings, Settings};

/// The reference dockerd's socket, or `None` (after saying why) when the test must skip.
fn reference_socket(test: &str) -> Option<PathBuf> {
    let socket = berth_testkit::reference_socket();
    if crate::api::http::Client::new(&socket, "1.41")
        .request("GET", "/_ping", None)
        .is_ok_and(|r| r.status == 200)
    {
        return Some(socket);
    }
    let missing = format!(
        "no reference dockerd at {} (start it with scripts/refdockerd start)",
        socket.display()
    );
    berth_testkit::skip(test, Some(missing));
    None
}

fn raw(socket: &std::path::Path, image: &str, runs: i64) -> RawSettings {
    RawSettings {
        engine: Some(format!("unix://{}", socket.display())),
        compare: vec![],
        image: image.to_string(),
        runs,
        warmup: 1,
        concurrency: 1,
        mode: "warm".into(),
        registry: None,
        fixtures: "target/fixtures".into(),
    }
}

#[test]
fn three_warm_runs_measure_every_phase_in_order() {
    let Some(socket) = reference_socket("three_warm_runs_measure_every_phase_in_order") else {
        return;
    };
    let settings = Settings::resolve(&raw(&socket, "hello-world", 3)).unwrap();
    let report = crate::bench::run(&settings).unwrap();
    let engine = &report.engines[0];
    for phase in [
        Phase::Create,
        Phase::Start,
        Phase::FirstByte,
        Phase::Exit,
        Phase::Remove,
        Phase::Total,
    ] {
        let count = engine
            .phases
            .iter()
            .find(|p| p.phase == phase)
            .map(|p| p.summary.count);
        assert_eq!(count, Some(3), "{phase:?}");
    }
    // Not `start <= first byte`: dockerd answers start only once the process runs, and
    // hello-world has printed by then, so its output reaches the client a few milliseconds
    // before the 204 does. That is what `docker run` shows its user, so it is kept as measured.
    for sample in &engine.samples {
        let first_byte = sample.first_byte.expect("hello-world prints");
        assert!(sample.create <= sample.start, "{sample:?}");
        assert!(sample.create <= first_byte, "{sample:?}");
        assert!(sample.start <= sample.exit, "{sample:?}");
        assert!(first_byte <= sample.exit, "{sample:?}");
        assert!(sample.exit <= sample.total, "{sample:?}");
        assert_eq!(sample.exit_code, 0);
    }
}

#[test]
fn a_missing_image_says_the_pull_failed() {
    let Some(socket) = reference_socket("a_missing_image_says_the_pull_failed") else {
        return;
    };
    let settings =
        Settings::resolve(&raw(&socket, "127.0.0.1:5000/berth-no-such-image", 1)).unwrap();
    let error = crate::bench::run(&settings).unwrap_err();
    assert_eq!(error.kind(), BenchErrorKind::NotFound, "{error}");
    assert!(
        error
            .to_string()
            .contains("create answered 404 and the pull failed"),
        "{error}"
    );
}
