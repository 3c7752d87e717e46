//! Docker's response shapes: the JSON dockerd 20.10 answers for containers and images, with
//! the fields each API version has or lacks. Pure functions of records and `now`; they never
//! call the engine.

pub mod container;
pub mod image;

/// A lifecycle timestamp in Unix nanoseconds; `None` for Go's zero time.
pub fn unix_nanos(t: berth_core::Timestamp) -> Option<i128> {
    t.unix_nanos()
}
