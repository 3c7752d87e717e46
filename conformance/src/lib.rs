//! The conformance harness (issue 6): generates docker command sequences, runs them against
//! the model and real engines, compares observations and shrinks disagreements.
//!
//! Nothing is implemented here yet; the crate exists so the workspace has its final shape.
