//! Resolving what users type into objects, with Docker's rules: containers by full ID, then
//! name, then unique ID prefix; images by reference first, then by ID prefix.

use crate::error::ModelError;
use crate::ids::{ContainerId, ImageId};
use crate::model::Model;
use crate::profile::AmbiguousImagePrefix;
use berth_format::reference::{AnyReference, Reference};

/// Docker's container name rule: `^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`.
pub fn is_valid_name(name: &str) -> bool {
    let name = name.strip_prefix('/').unwrap_or(name);
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest: Vec<char> = chars.collect();
    first_ok
        && !rest.is_empty()
        && rest
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(*c))
}

/// A name with Docker's leading slash.
pub fn slashed(name: &str) -> String {
    if name.starts_with('/') {
        name.to_string()
    } else {
        format!("/{name}")
    }
}

impl Model {
    /// Finds a container by full ID, exact name, or unique ID prefix, in that order.
    pub fn find_container(&self, arg: &str) -> Result<ContainerId, ModelError> {
        if arg.is_empty() {
            return Err(self.profile.empty_container_arg());
        }
        if let Ok(id) = arg.parse::<ContainerId>() {
            if self.containers.contains_key(&id) {
                return Ok(id);
            }
        }
        if let Some(id) = self.names.get(slashed(arg).as_str()) {
            return Ok(id.clone());
        }
        let mut matches = self
            .containers
            .keys()
            .filter(|id| id.as_str().starts_with(arg));
        match (matches.next(), matches.next()) {
            (Some(id), None) => Ok(id.clone()),
            (Some(id), Some(_)) if self.mutated(crate::mutation::Mutation::FirstPrefixWins) => {
                Ok(id.clone())
            }
            (Some(_), Some(_)) => Err(self.profile.ambiguous_container(arg)),
            (None, _) => Err(self.profile.no_such_container(arg)),
        }
    }

    /// Finds an image as moby's `GetImage` does: a digest ID, a reference, then an ID prefix.
    pub fn find_image(&self, arg: &str) -> Result<ImageId, ModelError> {
        let parsed = berth_format::reference::parse_any(arg)
            .map_err(|e| self.profile.reference_error(&e.to_string()))?;
        let reference = match parsed {
            AnyReference::Digest(digest) => {
                return match digest
                    .parse::<ImageId>()
                    .ok()
                    .filter(|id| self.store.contains(id))
                {
                    Some(id) => Ok(id),
                    None => Err(self.profile.no_such_image(&digest)),
                };
            }
            AnyReference::Named(reference) => reference,
        };
        if let Some(id) = self.tagged(&reference.clone().with_default_tag()) {
            return Ok(id);
        }
        self.search_image_id(arg).ok_or_else(|| {
            self.profile
                .no_such_image(&reference.with_default_tag().familiar())
        })
    }

    /// The image a reference (tag or digest) names, if any.
    pub fn tagged(&self, reference: &Reference) -> Option<ImageId> {
        self.store.tagged(&reference.to_string()).cloned()
    }

    fn search_image_id(&self, arg: &str) -> Option<ImageId> {
        let hex = arg.strip_prefix("sha256:").unwrap_or(arg);
        if hex.is_empty() {
            return None;
        }
        let mut matches = self.store.ids().filter(|id| id.hex().starts_with(hex));
        match (
            matches.next(),
            matches.next(),
            self.profile.ambiguous_image_prefix(),
        ) {
            (Some(id), None, _) => Some(id.clone()),
            (Some(_), Some(_), AmbiguousImagePrefix::NotFound) | (None, _, _) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_rule() {
        for ok in ["ab", "/ab", "a.b-c_d", "0x"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["a", "/a", "", "-x", "_x", "x!", "a b", "/", "ä1"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }
}
