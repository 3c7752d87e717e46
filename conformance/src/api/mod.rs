//! Driving any Docker Engine API endpoint (dockerd, podman, berth's daemon) the way the docker
//! CLI does, over one pinned API version so every engine is compared on the same wire format.
//! The HTTP client itself is berth-client's, re-exported here as `api::http`.

mod engine;
pub use berth_client::http;
pub use berth_client::mux;

pub use engine::{ApiEngine, ImageSource};
