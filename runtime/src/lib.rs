//! berth-runtime: the runtime as a library. It joins the crates under `runtime/`: `pull`
//! brings images from a registry into the store, `engine` runs containers from stored images
//! and commits them back, and `backend` is the trait through which the daemon's handlers use
//! an engine (the engine, or a fake in tests). The daemon and the embedded conformance engine use it. It must never
//! depend on `berth-model`: the harness is only worth something because the two can disagree.

pub mod backend;
pub mod engine;
pub mod pull;
