//! berth-model: a pure, deterministic reference model of a Docker engine.
//!
//! It owns the state of images, tags, a remote catalog standing for a registry, and containers
//! with their lifecycle, and it answers every docker command exactly as the reference engine
//! (profile `docker-20.10`) does: typed responses at the Engine API level, error kinds with the
//! profile's message texts, and the CLI's rendered tables and lines.
//!
//! It must never do I/O, read a clock, the environment or a random source: time, container IDs
//! and name choices come in through [`env::Env`], so the same inputs always give the same outputs.
#![forbid(unsafe_code)]

// --- leaf modules (pure helpers with no dependency on the model's state) ---
// --- end of leaf modules ---
