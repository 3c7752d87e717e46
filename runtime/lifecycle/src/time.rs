//! Timestamps as Docker writes them are the runtime's one [`Timestamp`], in berth-core: Go's
//! `time.RFC3339Nano` in UTC for records and answers, Go's zero time `0001-01-01T00:00:00Z` for
//! "never". This module only names it for the lifecycle's verbs; only `Timestamp::now` reads
//! the clock.

pub use berth_core::Timestamp;
