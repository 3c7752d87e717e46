//! berth-api: the Docker Engine API's wire types, the one definition the daemon parses, the
//! client and the harness send, and the benchmark times: request bodies ([`create`], [`exec`]),
//! query strings ([`query`]), answers ([`answer`]), stream frames ([`stream`]) and the API
//! version everything is driven at.
//!
//! Types mirror the Go structs of the Engine API (docker/docker `api/types`) field by field, in
//! Go's order, so that a serialized value is byte for byte what a Go client sends: a field Go
//! always encodes is always present (`null` for a nil slice or map, which is `None` here), and a
//! field Go tags `omitempty` is left out when empty. Deserialization follows Go's decoder:
//! unknown fields are ignored and a missing field takes Go's zero value ([`Default`]), which is
//! why the docker CLI's own defaults are a separate constructor
//! ([`create::ContainerCreateBody::docker_cli`]).
//!
//! bollard's generated models (`bollard-stubs`) were considered and not used: every field there
//! is `Option` with `skip_serializing_if = "Option::is_none"` and maps are `HashMap`s, so a value
//! can say neither "`null`" nor "in this order", and both are what the docker CLI sends and what
//! dockerd's answers are compared on. This crate does no I/O and depends on serde alone.

pub mod answer;
pub mod create;
mod create_host;
pub mod exec;
mod go;
pub mod query;
pub mod stream;

/// The Engine API version berth's harness and benchmark drive every engine at: dockerd 20.10's
/// newest, the reference engine's, so that every engine is compared on one wire format.
pub const API_VERSION: &str = "1.41";

pub use query::{enc, split_reference};
