//! berth's container runtime. It will own the content store, the registry client, layer
//! unpacking, the container lifecycle, the sandbox and the Engine API server (issues 3-5).
//! It must never depend on `berth-model`: it is an independent implementation, and the
//! conformance harness is only worth something because the two can disagree.
//!
//! Nothing is implemented here yet; the crate exists so the workspace has its final shape.
