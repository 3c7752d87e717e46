//! Container names: Docker's validation rule and texts, and generated `<adjective>_<surname>`
//! names from moby's word lists ([`crate::wordlist`]) with dockerd's retry rule. Names are kept
//! with their leading `/`, as in dockerd's records. This module never touches the registry: the
//! caller says which names are taken.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::LifecycleError;
use crate::id::ContainerId;
use crate::wordlist::{LEFT, RIGHT};

/// A valid container name, stored as `/name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContainerName(String);

impl ContainerName {
    /// `/name`, as in `.Name` of inspect.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Without the leading `/`, as `ps` shows it.
    pub fn bare(&self) -> &str {
        &self.0[1..]
    }
}

/// Docker's rule `^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`: at least two characters.
fn is_valid(name: &str) -> bool {
    let bare = name.strip_prefix('/').unwrap_or(name);
    let mut bytes = bare.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    first_ok
        && bare.len() >= 2
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

impl FromStr for ContainerName {
    type Err = LifecycleError;

    /// The error names the input as given (create's wording; rename adds the `/` itself).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !is_valid(s) {
            return Err(LifecycleError::InvalidName { name: s.into() });
        }
        let bare = s.strip_prefix('/').unwrap_or(s);
        Ok(ContainerName(format!("/{bare}")))
    }
}

impl TryFrom<String> for ContainerName {
    type Error = LifecycleError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ContainerName> for String {
    fn from(n: ContainerName) -> String {
        n.0
    }
}

impl fmt::Display for ContainerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// dockerd tries this many generated names before falling back to the short ID.
const ATTEMPTS: usize = 6;

/// A generated name not in use: the first attempt is `<adjective>_<surname>`, later ones append
/// one random digit; after [`ATTEMPTS`] the short ID is the name (dockerd's rule).
pub fn generate(
    id: &ContainerId,
    taken: &dyn Fn(&ContainerName) -> bool,
    random: &mut dyn FnMut(&mut [u8]),
) -> ContainerName {
    for retry in 0..ATTEMPTS {
        let name = ContainerName(format!("/{}", random_name(retry, random)));
        if !taken(&name) {
            return name;
        }
    }
    ContainerName(format!("/{}", id.short()))
}

fn random_name(retry: usize, random: &mut dyn FnMut(&mut [u8])) -> String {
    loop {
        let name = format!(
            "{}_{}",
            LEFT[pick(LEFT.len(), random)],
            RIGHT[pick(RIGHT.len(), random)]
        );
        // Steve Wozniak is not boring (moby's rule).
        if name == "boring_wozniak" {
            continue;
        }
        if retry == 0 {
            return name;
        }
        return format!("{name}{}", pick(10, random));
    }
}

/// A uniform index below `n` (rejection sampling avoids modulo bias).
fn pick(n: usize, random: &mut dyn FnMut(&mut [u8])) -> usize {
    let n = n as u32;
    let zone = u32::MAX - u32::MAX % n;
    loop {
        let mut b = [0u8; 4];
        random(&mut b);
        let v = u32::from_le_bytes(b);
        if v < zone {
            return (v % n) as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::fill_random;

    #[test]
    fn dockers_name_rule() {
        for ok in ["ab", "/ab", "a.b-c_d", "9x", "e5renamed"] {
            assert!(ok.parse::<ContainerName>().is_ok(), "{ok}");
        }
        for bad in ["a", "/a", "", "-x", "x!", "e5/z", "_ab", "/"] {
            let e = bad.parse::<ContainerName>().unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "Invalid container name ({bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
                )
            );
        }
        assert_eq!("ab".parse::<ContainerName>().unwrap().as_str(), "/ab");
    }

    #[test]
    fn word_lists_are_mobys() {
        assert_eq!((LEFT.len(), RIGHT.len()), (108, 236));
    }

    #[test]
    fn generated_names_retry_with_a_digit_then_fall_back_to_the_short_id() {
        let id = ContainerId::generate();
        let first = generate(&id, &|_| false, &mut fill_random);
        let (l, r) = first.bare().split_once('_').unwrap();
        assert!(LEFT.contains(&l) && RIGHT.contains(&r), "{first}");

        // Every name without a digit is taken: the second attempt (with its digit) wins.
        let no_digit = |n: &ContainerName| !n.bare().ends_with(|c: char| c.is_ascii_digit());
        let second = generate(&id, &no_digit, &mut fill_random);
        assert!(!no_digit(&second), "{second}");

        let fallback = generate(&id, &|_| true, &mut fill_random);
        assert_eq!(fallback.bare(), id.short());
    }

    #[test]
    fn boring_wozniak_is_never_generated() {
        // Bytes that pick index 10 ("boring") and 235 ("wozniak") first, then index 0 twice.
        let boring = LEFT.iter().position(|w| *w == "boring").unwrap() as u32;
        let wozniak = RIGHT.iter().position(|w| *w == "wozniak").unwrap() as u32;
        let mut script = vec![boring, wozniak, 0, 0].into_iter();
        let name = random_name(0, &mut |b: &mut [u8]| {
            b.copy_from_slice(&script.next().unwrap().to_le_bytes())
        });
        assert_eq!(name, format!("{}_{}", LEFT[0], RIGHT[0]));
    }
}
