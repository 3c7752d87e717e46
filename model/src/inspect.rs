//! `docker inspect` documents in Docker's JSON shape, built from the model's typed answers:
//! the fields the model knows, with Docker's names and zero values.

use serde_json::{json, Value};

use crate::container::Container;
use crate::image::ImageConfig;
use crate::response::{ImageDetails, Response};
use berth_format::Timestamp;

/// Docker prints never-set times as Go's zero time.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn time(t: Option<Timestamp>) -> String {
    t.map_or_else(|| ZERO_TIME.to_string(), |t| t.rfc3339_nano())
}

/// The inspect document for an inspect answer, or `None` for other answers.
pub fn inspect_json(response: &Response) -> Option<Value> {
    match response {
        Response::InspectContainer(c) => Some(container_json(c)),
        Response::InspectImage(details) => Some(image_json(details)),
        _ => None,
    }
}

fn config_json(config: &ImageConfig, image: &str, hostname: &str) -> Value {
    json!({
        "Hostname": hostname,
        "Env": config.env,
        "Cmd": config.cmd,
        "Image": image,
        "WorkingDir": config.working_dir,
        "Entrypoint": config.entrypoint,
        "User": config.user,
        "Labels": config.labels,
    })
}

pub fn container_json(c: &Container) -> Value {
    json!({
        "Id": c.id.as_str(),
        "Created": c.created.rfc3339_nano(),
        "Path": c.path,
        "Args": c.args,
        "State": {
            "Status": c.state.as_str(),
            "Running": c.state.is_running(),
            "Paused": c.state == crate::container::State::Paused,
            "Restarting": c.state == crate::container::State::Restarting,
            "OOMKilled": c.oom_killed,
            "Dead": c.state == crate::container::State::Dead,
            "Pid": c.process.map_or(0, |p| p.pid),
            "ExitCode": c.exit_code,
            "Error": c.error,
            "StartedAt": time(c.started),
            "FinishedAt": time(c.finished),
        },
        "Image": c.image_id().as_str(),
        "Name": c.name,
        "RestartCount": c.restart_count,
        "HostConfig": {
            "AutoRemove": c.auto_remove,
            "LogConfig": { "Type": "json-file", "Config": {} },
        },
        "Config": config_json(&c.config, &c.image_ref, &c.hostname),
    })
}

pub fn image_json(details: &ImageDetails) -> Value {
    let image = &details.image;
    let (container, comment, container_config) = match &image.provenance {
        Some(p) => (
            p.container.to_string(),
            p.comment.clone(),
            config_json(&p.container_config, "", ""),
        ),
        None => (
            String::new(),
            String::new(),
            config_json(&ImageConfig::default(), "", ""),
        ),
    };
    json!({
        "Id": image.id.as_str(),
        "RepoTags": details.repo_tags,
        "RepoDigests": details.repo_digests,
        "Parent": image.parent.as_ref().map_or("", |p| p.as_str()),
        "Comment": comment,
        "Created": image.created.rfc3339_nano(),
        "Container": container,
        "ContainerConfig": container_config,
        "Config": config_json(&image.config, "", ""),
        "Architecture": "amd64",
        "Os": "linux",
        "Size": image.size(),
        "VirtualSize": image.size(),
        "RootFS": { "Type": "layers", "Layers": image.diff_ids() },
    })
}
