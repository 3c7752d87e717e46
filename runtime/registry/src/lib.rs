//! berth-registry (being written; see the crate description).
