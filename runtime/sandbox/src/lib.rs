//! berth-sandbox (being written; see the crate description).
