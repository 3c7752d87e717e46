//! `HostConfig` of a create body (Go's `container.HostConfig` with its embedded `Resources`),
//! field for field in Go's order, and the `Mount`s it carries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::go::zero_if_null;

/// `HostConfig`. Lists berth does not interpret (devices, ulimits, ...) stay JSON values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostConfig {
    pub binds: Option<Vec<String>>,
    #[serde(rename = "ContainerIDFile", deserialize_with = "zero_if_null")]
    pub container_id_file: String,
    #[serde(deserialize_with = "zero_if_null")]
    pub log_config: LogConfig,
    #[serde(deserialize_with = "zero_if_null")]
    pub network_mode: String,
    pub port_bindings: Option<BTreeMap<String, Value>>,
    #[serde(deserialize_with = "zero_if_null")]
    pub restart_policy: RestartPolicy,
    #[serde(deserialize_with = "zero_if_null")]
    pub auto_remove: bool,
    #[serde(deserialize_with = "zero_if_null")]
    pub volume_driver: String,
    pub volumes_from: Option<Vec<String>>,
    #[serde(deserialize_with = "zero_if_null")]
    pub console_size: [u32; 2],
    pub cap_add: Option<Vec<String>>,
    pub cap_drop: Option<Vec<String>>,
    #[serde(deserialize_with = "zero_if_null")]
    pub cgroupns_mode: String,
    pub dns: Option<Vec<String>>,
    pub dns_options: Option<Vec<String>>,
    pub dns_search: Option<Vec<String>>,
    pub extra_hosts: Option<Vec<String>>,
    pub group_add: Option<Vec<String>>,
    #[serde(deserialize_with = "zero_if_null")]
    pub ipc_mode: String,
    #[serde(deserialize_with = "zero_if_null")]
    pub cgroup: String,
    pub links: Option<Vec<String>>,
    #[serde(deserialize_with = "zero_if_null")]
    pub oom_score_adj: i64,
    #[serde(deserialize_with = "zero_if_null")]
    pub pid_mode: String,
    #[serde(deserialize_with = "zero_if_null")]
    pub privileged: bool,
    #[serde(deserialize_with = "zero_if_null")]
    pub publish_all_ports: bool,
    #[serde(deserialize_with = "zero_if_null")]
    pub readonly_rootfs: bool,
    pub security_opt: Option<Vec<String>>,
    #[serde(rename = "UTSMode", deserialize_with = "zero_if_null")]
    pub uts_mode: String,
    #[serde(deserialize_with = "zero_if_null")]
    pub userns_mode: String,
    #[serde(deserialize_with = "zero_if_null")]
    pub shm_size: i64,
    #[serde(deserialize_with = "zero_if_null")]
    pub isolation: String,
    // Resources.
    #[serde(deserialize_with = "zero_if_null")]
    pub cpu_shares: i64,
    #[serde(deserialize_with = "zero_if_null")]
    pub memory: i64,
    #[serde(deserialize_with = "zero_if_null")]
    pub nano_cpus: i64,
    #[serde(deserialize_with = "zero_if_null")]
    pub cgroup_parent: String,
    #[serde(deserialize_with = "zero_if_null")]
    pub blkio_weight: u16,
    pub blkio_weight_device: Option<Vec<Value>>,
    pub blkio_device_read_bps: Option<Vec<Value>>,
    pub blkio_device_write_bps: Option<Vec<Value>>,
    #[serde(rename = "BlkioDeviceReadIOps")]
    pub blkio_device_read_iops: Option<Vec<Value>>,
    #[serde(rename = "BlkioDeviceWriteIOps")]
    pub blkio_device_write_iops: Option<Vec<Value>>,
    #[serde(deserialize_with = "zero_if_null")]
    pub cpu_period: i64,
    #[serde(deserialize_with = "zero_if_null")]
    pub cpu_quota: i64,
    #[serde(deserialize_with = "zero_if_null")]
    pub cpu_realtime_period: i64,
    #[serde(deserialize_with = "zero_if_null")]
    pub cpu_realtime_runtime: i64,
    #[serde(deserialize_with = "zero_if_null")]
    pub cpuset_cpus: String,
    #[serde(deserialize_with = "zero_if_null")]
    pub cpuset_mems: String,
    pub devices: Option<Vec<Value>>,
    pub device_cgroup_rules: Option<Vec<String>>,
    pub device_requests: Option<Vec<Value>>,
    #[serde(deserialize_with = "zero_if_null")]
    pub memory_reservation: i64,
    #[serde(deserialize_with = "zero_if_null")]
    pub memory_swap: i64,
    pub memory_swappiness: Option<i64>,
    pub oom_kill_disable: Option<bool>,
    pub pids_limit: Option<i64>,
    pub ulimits: Option<Vec<Value>>,
    #[serde(deserialize_with = "zero_if_null")]
    pub cpu_count: i64,
    #[serde(deserialize_with = "zero_if_null")]
    pub cpu_percent: i64,
    #[serde(rename = "IOMaximumIOps", deserialize_with = "zero_if_null")]
    pub io_maximum_iops: u64,
    #[serde(rename = "IOMaximumBandwidth", deserialize_with = "zero_if_null")]
    pub io_maximum_bandwidth: u64,
    #[serde(skip_serializing_if = "crate::go::empty")]
    pub mounts: Option<Vec<Mount>>,
    pub masked_paths: Option<Vec<String>>,
    pub readonly_paths: Option<Vec<String>>,
}

impl HostConfig {
    /// docker CLI 28's `HostConfig` for a create without flags.
    pub fn docker_cli() -> HostConfig {
        HostConfig {
            log_config: LogConfig {
                kind: String::new(),
                config: Some(BTreeMap::new()),
            },
            network_mode: "default".into(),
            port_bindings: Some(BTreeMap::new()),
            restart_policy: RestartPolicy {
                name: "no".into(),
                maximum_retry_count: 0,
            },
            dns: Some(Vec::new()),
            dns_options: Some(Vec::new()),
            dns_search: Some(Vec::new()),
            blkio_weight_device: Some(Vec::new()),
            blkio_device_read_bps: Some(Vec::new()),
            blkio_device_write_bps: Some(Vec::new()),
            blkio_device_read_iops: Some(Vec::new()),
            blkio_device_write_iops: Some(Vec::new()),
            devices: Some(Vec::new()),
            memory_swappiness: Some(-1),
            oom_kill_disable: Some(false),
            pids_limit: Some(0),
            ulimits: Some(Vec::new()),
            ..HostConfig::default()
        }
    }
}

/// `LogConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    #[serde(rename = "Type", deserialize_with = "zero_if_null")]
    pub kind: String,
    #[serde(rename = "Config")]
    pub config: Option<BTreeMap<String, String>>,
}

/// `RestartPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RestartPolicy {
    #[serde(deserialize_with = "zero_if_null")]
    pub name: String,
    #[serde(deserialize_with = "zero_if_null")]
    pub maximum_retry_count: i64,
}

/// An entry of `HostConfig.Mounts`, the fields berth uses (Go's `mount.Mount`, whose fields
/// are all `omitempty`; berth always sends `Type` and `Target`, as it records them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Mount {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    pub target: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}
