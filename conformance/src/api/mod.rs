//! Driving any Docker Engine API endpoint (dockerd, podman, berth's daemon) the way the docker
//! CLI does, over one pinned API version so every engine is compared on the same wire format.

mod engine;
pub mod http;

pub(crate) use engine::split_reference;
pub use engine::ApiEngine;
