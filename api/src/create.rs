//! `POST /containers/create`'s body: Go's `container.Config` with its `HostConfig` and
//! `NetworkingConfig` (`ContainerConfigWrapper`), field for field in Go's order. The daemon
//! parses it; the berth CLI, the harness and the benchmark send [`ContainerCreateBody::docker_cli`],
//! what docker CLI 28 sends for `docker create IMAGE` (captured with `strace -e write`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::create_host::{HostConfig, LogConfig, Mount, RestartPolicy};

/// An empty JSON object, Go's `struct{}` (the values of `Volumes` and `ExposedPorts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// Docker's `StrSlice`: a JSON string or an array of strings; always sent as an array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Strings {
    One(String),
    Many(Vec<String>),
}

impl Strings {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Strings::One(s) => vec![s],
            Strings::Many(v) => v,
        }
    }
}

/// `POST /containers/create`'s body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerCreateBody {
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    pub user: Option<String>,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Empty>>,
    pub tty: bool,
    pub open_stdin: bool,
    pub stdin_once: bool,
    pub env: Option<Vec<String>>,
    pub cmd: Option<Strings>,
    pub image: String,
    pub volumes: Option<BTreeMap<String, Empty>>,
    pub working_dir: Option<String>,
    pub entrypoint: Option<Strings>,
    pub on_build: Option<Vec<String>>,
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    pub host_config: Option<HostConfig>,
    pub networking_config: Option<NetworkingConfig>,
}

/// `NetworkingConfig`: the endpoint settings per network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkingConfig {
    pub endpoints_config: Option<BTreeMap<String, EndpointSettings>>,
}

/// One network's `EndpointSettings`, as a client sends it (all empty: the daemon fills them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EndpointSettings {
    #[serde(rename = "IPAMConfig")]
    pub ipam_config: Option<serde_json::Value>,
    #[serde(rename = "Links")]
    pub links: Option<Vec<String>>,
    #[serde(rename = "Aliases")]
    pub aliases: Option<Vec<String>>,
    #[serde(rename = "MacAddress")]
    pub mac_address: String,
    #[serde(rename = "DriverOpts")]
    pub driver_opts: Option<BTreeMap<String, String>>,
    #[serde(rename = "GwPriority")]
    pub gw_priority: i64,
    #[serde(rename = "NetworkID")]
    pub network_id: String,
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    #[serde(rename = "Gateway")]
    pub gateway: String,
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: i64,
    #[serde(rename = "IPv6Gateway")]
    pub ipv6_gateway: String,
    #[serde(rename = "GlobalIPv6Address")]
    pub global_ipv6_address: String,
    #[serde(rename = "GlobalIPv6PrefixLen")]
    pub global_ipv6_prefix_len: i64,
    #[serde(rename = "DNSNames")]
    pub dns_names: Option<Vec<String>>,
}

impl ContainerCreateBody {
    /// What docker CLI 28 sends for `docker create IMAGE` without flags (attached to nothing):
    /// `[]` and `{}` where the CLI's options are empty but not nil, the `default` network's
    /// empty endpoint, and the [`HostConfig::docker_cli`] defaults.
    pub fn docker_cli(image: &str) -> ContainerCreateBody {
        let mut endpoints = BTreeMap::new();
        endpoints.insert("default".to_string(), EndpointSettings::default());
        ContainerCreateBody {
            hostname: Some(String::new()),
            domainname: Some(String::new()),
            user: Some(String::new()),
            image: image.to_string(),
            volumes: Some(BTreeMap::new()),
            working_dir: Some(String::new()),
            labels: Some(BTreeMap::new()),
            host_config: Some(HostConfig::docker_cli()),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(endpoints),
            }),
            ..ContainerCreateBody::default()
        }
    }

    /// `--network NAME`: the mode, and no endpoint (the CLI names one only for `default`).
    pub fn set_network(&mut self, network: &str) {
        self.host_config
            .get_or_insert_with(HostConfig::default)
            .network_mode = network.to_string();
        self.networking_config = Some(NetworkingConfig {
            endpoints_config: Some(BTreeMap::new()),
        });
    }
}

/// `POST /containers/create`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerCreateResponse {
    pub id: String,
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docker CLI 28.2.2's body for `docker create hello-world`, byte for byte as captured.
    const DOCKER_CREATE_HELLO: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"hello-world","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}"#;

    #[test]
    fn the_default_body_is_the_docker_clis_byte_for_byte() {
        let mut body = ContainerCreateBody::docker_cli("hello-world");
        body.attach_stdout = true;
        body.attach_stderr = true;
        assert_eq!(serde_json::to_string(&body).unwrap(), DOCKER_CREATE_HELLO);
    }

    #[test]
    fn the_docker_clis_body_reads_back_as_sent() {
        let body: ContainerCreateBody = serde_json::from_str(DOCKER_CREATE_HELLO).unwrap();
        assert_eq!(serde_json::to_string(&body).unwrap(), DOCKER_CREATE_HELLO);
    }

    #[test]
    fn missing_fields_take_gos_zero_values() {
        let body: ContainerCreateBody =
            serde_json::from_str(r#"{"Image":"x","Cmd":"true","Bogus":1}"#).unwrap();
        assert_eq!(body.image, "x");
        assert_eq!(body.cmd.map(Strings::into_vec), Some(vec!["true".into()]));
        assert_eq!(body.host_config, None);
        assert_eq!(body.hostname, None);
    }
}
