//! Image shapes: `GET /images/json` entries and `GET /images/{name}/json`, from the store's
//! Docker-shaped records, with the per-version fields (VirtualSize until 1.43, Container and
//! ContainerConfig until 1.44, `<none>` placeholders until 1.42).

use berth_store::{ImageInspect, ImageSummary};
use serde_json::{json, Map, Value};

use crate::versions::ApiVersion;

/// One entry of `GET /images/json`; `containers` is how many containers use it (shown from
/// 1.51, -1 before).
pub fn summary(s: &ImageSummary, v: ApiVersion, containers: usize) -> Value {
    let (mut tags, mut digests) = (s.repo_tags.clone(), s.repo_digests.clone());
    if v.has_none_placeholders() && s.is_untagged() {
        tags = vec!["<none>:<none>".into()];
        digests = vec!["<none>@<none>".into()];
    }
    let mut out = json!({
        "Containers": match v.counts_image_containers() {
            true => containers as i64,
            false => -1,
        },
        "Created": s.created,
        "Id": s.id.to_string(),
        "Labels": s.labels,
        "ParentId": s.parent_id.as_ref().map(ToString::to_string).unwrap_or_default(),
        "RepoDigests": null_when_empty(digests),
        "RepoTags": null_when_empty(tags),
        "SharedSize": -1,
        "Size": s.size,
    });
    if v.has_virtual_size() {
        out["VirtualSize"] = json!(s.virtual_size);
    }
    out
}

/// dockerd's summary lists are Go slices that stay nil until a reference is appended, so an image
/// with no digest (committed, loaded) or whose references a filter narrowed away prints `null`.
fn null_when_empty(list: Vec<String>) -> Value {
    match list.is_empty() {
        true => Value::Null,
        false => json!(list),
    }
}

/// `GET /images/{name}/json`.
pub fn inspect(i: &ImageInspect, v: ApiVersion) -> Value {
    let mut out: Map<String, Value> = match serde_json::to_value(i) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if !v.has_virtual_size() {
        out.remove("VirtualSize");
    }
    if !v.has_image_container() {
        out.remove("Container");
        out.remove("ContainerConfig");
    }
    if !v.has_image_container_config_fields() {
        if let Some(Value::Object(config)) = out.get_mut("Config") {
            for key in CONTAINER_CONFIG_FIELDS {
                config.remove(*key);
            }
        }
    }
    out.insert(
        "GraphDriver".into(),
        json!({"Data": null, "Name": "overlay2"}),
    );
    Value::Object(out)
}

/// Image `Config` fields that only containers have, gone from image inspect in 1.50.
const CONTAINER_CONFIG_FIELDS: &[&str] = &[
    "Hostname",
    "Domainname",
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "Tty",
    "OpenStdin",
    "StdinOnce",
    "Image",
    "NetworkDisabled",
    "MacAddress",
    "StopTimeout",
];

#[cfg(test)]
mod tests {
    use super::null_when_empty;
    use serde_json::{json, Value};

    #[test]
    fn empty_reference_lists_print_null_as_dockerd_does() {
        assert_eq!(null_when_empty(Vec::new()), Value::Null);
        assert_eq!(null_when_empty(vec!["a:1".into()]), json!(["a:1"]));
    }
}
