//! Finding a container the way dockerd does: the exact full ID first, then the exact name, then
//! a unique ID prefix of any length. Pure over the registry; never blocks or writes.

use crate::containers::Registry;
use crate::error::LifecycleError;
use crate::id::ContainerId;
use crate::names::ContainerName;

/// The ID `reference` names.
pub(crate) fn find(reg: &Registry, reference: &str) -> Result<ContainerId, LifecycleError> {
    if reference.is_empty() {
        return Err(LifecycleError::EmptyReference);
    }
    if let Ok(id) = reference.parse::<ContainerId>() {
        if reg.entries.contains_key(&id) {
            return Ok(id);
        }
    }
    if let Ok(name) = reference.parse::<ContainerName>() {
        if let Some(id) = reg.names.get(&name) {
            return Ok(id.clone());
        }
    }
    by_prefix(reg, reference)
}

fn by_prefix(reg: &Registry, prefix: &str) -> Result<ContainerId, LifecycleError> {
    let mut matches = reg
        .entries
        .keys()
        .filter(|id| id.as_str().starts_with(prefix));
    let first = matches.next().cloned();
    match (first, matches.next()) {
        (Some(id), None) => Ok(id),
        (Some(_), Some(_)) => Err(LifecycleError::AmbiguousPrefix {
            prefix: prefix.into(),
        }),
        (None, _) => Err(LifecycleError::NoSuchContainer {
            reference: prefix.into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containers::Registry;
    use berth_core::{ErrorKind, Kind};

    fn id(c: char) -> ContainerId {
        c.to_string().repeat(64).parse().unwrap()
    }

    fn registry(ids: &[(&str, &str)]) -> Registry {
        let mut reg = Registry::default();
        for (i, name) in ids {
            let id: ContainerId = i.parse().unwrap();
            reg.entries
                .insert(id.clone(), crate::containers::test_entry(&id, name));
            reg.names.insert(name.parse().unwrap(), id);
        }
        reg
    }

    #[test]
    fn full_id_then_name_then_unique_prefix() {
        let a = format!("f0{}", "a".repeat(62));
        let b = format!("f1{}", "b".repeat(62));
        let c = id('c');
        // A container named with another's full ID and one named like a prefix.
        let reg = registry(&[(&a, "web"), (&b, c.as_str()), (c.as_str(), "f0")]);
        assert_eq!(find(&reg, c.as_str()).unwrap(), c);
        assert_eq!(find(&reg, "f0").unwrap(), c);
        assert_eq!(find(&reg, "/web").unwrap().as_str(), a);
        assert_eq!(find(&reg, "f1").unwrap().as_str(), b);
        let e = find(&reg, "f").unwrap_err();
        assert_eq!(e.to_string(), "Multiple IDs found with provided prefix: f");
        assert_eq!(e.kind(), ErrorKind::System);
        let e = find(&reg, "nosuch").unwrap_err();
        assert_eq!(
            (e.to_string().as_str(), e.kind()),
            ("No such container: nosuch", ErrorKind::NotFound)
        );
        assert_eq!(
            find(&reg, "").unwrap_err().to_string(),
            "invalid name or ID supplied: \"\""
        );
    }
}
