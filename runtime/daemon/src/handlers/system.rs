//! `_ping`, `version` and `info`: what a client asks first. `_ping` carries the headers
//! dockerd sends; `version` advertises the newest API served and the oldest accepted.

use berth_core::Timestamp;
use berth_runtime::engine::{ListOptions, State};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use super::{blocking, json};
use crate::body::{self, Body};
use crate::error::ApiError;
use crate::versions::{ApiVersion, MAX, MIN};
use crate::Context;

const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn ping(head: bool) -> Response<Body> {
    let body = match head {
        true => body::empty(),
        false => body::full("OK"),
    };
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, must-revalidate"),
    );
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert("Docker-Experimental", HeaderValue::from_static("false"));
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Go's `GOARCH` for this machine, as dockerd reports `Arch`.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

fn kernel_version() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

pub fn version() -> Response<Body> {
    let details = json!({
        "ApiVersion": MAX.to_string(),
        "Arch": go_arch(),
        "BuildTime": "",
        "Experimental": "false",
        "GitCommit": "",
        "GoVersion": "",
        "KernelVersion": kernel_version(),
        "MinAPIVersion": MIN.to_string(),
        "Os": "linux",
    });
    json(
        StatusCode::OK,
        &json!({
            "Platform": {"Name": "berth"},
            "Components": [{"Name": "Engine", "Version": VERSION, "Details": details}],
            "Version": VERSION,
            "ApiVersion": MAX.to_string(),
            "MinAPIVersion": MIN.to_string(),
            "GitCommit": "",
            "GoVersion": "",
            "Os": "linux",
            "Arch": go_arch(),
            "KernelVersion": kernel_version(),
            "BuildTime": "",
        }),
    )
}

pub async fn info(
    ctx: &Context,
    v: ApiVersion,
    now: Timestamp,
) -> Result<Response<Body>, ApiError> {
    let (containers, images, cgroups) = blocking(ctx, |e| {
        let images = e.images(ListOptions {
            all: true,
            dangling: None,
        });
        Ok((e.containers(true), images.len(), e.cgroups()))
    })
    .await?;
    let running = containers
        .iter()
        .filter(|c| c.state.status.is_running())
        .count();
    let paused = containers
        .iter()
        .filter(|c| c.state.status == State::Paused)
        .count();
    let config = &ctx.config;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let mut out = json!({
            "ID": "",
            "Containers": containers.len(),
            "ContainersRunning": running - paused,
            "ContainersPaused": paused,
            "ContainersStopped": containers.len() - running,
            "Images": images,
            "Driver": "overlay2",
            "DriverStatus": [],
            "Plugins": {"Volume": [], "Network": [], "Authorization": null, "Log": ["json-file"]},
            "MemoryLimit": true,
            "SwapLimit": false,
            "CpuCfsPeriod": true,
            "CpuCfsQuota": true,
            "CPUShares": true,
            "PidsLimit": true,
            "IPv4Forwarding": false,
            "Debug": false,
            "NFd": 0,
            "NGoroutines": 0,
            "SystemTime": now.to_string(),
            "LoggingDriver": "json-file",
            "CgroupDriver": cgroups.driver,
            "CgroupVersion": cgroups.version.as_str(),
            "KernelVersion": kernel_version(),
            "OperatingSystem": "berth",
            "OSType": "linux",
            "Architecture": std::env::consts::ARCH,
            "NCPU": std::thread::available_parallelism().map_or(1, |n| n.get()),
            "MemTotal": 0,
            "IndexServerAddress": "https://index.docker.io/v1/",
            "RegistryConfig": {
                "InsecureRegistryCIDRs": ["127.0.0.0/8"],
                "IndexConfigs": {"docker.io": {
                    "Name": "docker.io",
                    "Mirrors": config.registry_mirrors,
                    "Secure": true,
                    "Official": true,
                }},
                "Mirrors": config.registry_mirrors,
            },
            "DockerRootDir": config.root,
            "HttpProxy": "",
            "HttpsProxy": "",
            "NoProxy": "",
            "Name": host.trim(),
            "Labels": [],
            "ExperimentalBuild": false,
            "ServerVersion": VERSION,
            "Runtimes": {"runc": {"path": "berth"}},
            "DefaultRuntime": "runc",
            "LiveRestoreEnabled": false,
            "Isolation": "",
            "InitBinary": "",
            // Every container gets Docker's default seccomp profile unless it asks otherwise.
            "SecurityOptions": ["name=seccomp,profile=default"],
            "Swarm": {
                "NodeID": "",
                "NodeAddr": "",
                "LocalNodeState": "inactive",
                "ControlAvailable": false,
                "Error": "",
                "RemoteManagers": null,
            },
            "ContainerdCommit": {"ID": "", "Expected": ""},
            "RuncCommit": {"ID": "", "Expected": ""},
            "InitCommit": {"ID": "", "Expected": ""},
            "OSVersion": "",
            "KernelMemory": false,
            "KernelMemoryTCP": false,
            "OomKillDisable": false,
            "BridgeNfIptables": false,
            "BridgeNfIp6tables": false,
            "CPUSet": true,
            "NEventsListener": 0,
            "GenericResources": null,
            "Warnings": null,
    });
    if let Some(o) = out.as_object_mut() {
        if !v.has_legacy_container_fields() {
            o.remove("KernelMemoryTCP");
        }
        if !v.has_image_container_config_fields() {
            o.remove("BridgeNfIptables");
            o.remove("BridgeNfIp6tables");
        }
        if !v.has_commit_expected() {
            for key in ["ContainerdCommit", "RuncCommit", "InitCommit"] {
                if let Some(Value::Object(c)) = o.get_mut(key) {
                    c.remove("Expected");
                }
            }
        }
    }
    Ok(json(StatusCode::OK, &out))
}
