//! berth-store (being written; see the crate description).
