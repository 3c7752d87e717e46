//! What Go's `encoding/json` does that serde does not by default: `null` for a value field
//! leaves its zero value, and `omitempty` leaves out an empty list.

use serde::{Deserialize, Deserializer};

/// Deserializes `null` as the type's zero value, as Go's decoder leaves a field it gets `null`
/// for.
pub fn zero_if_null<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `omitempty` for an optional list: nil and empty are both left out.
pub fn empty<T>(list: &Option<Vec<T>>) -> bool {
    list.as_ref().is_none_or(Vec::is_empty)
}
