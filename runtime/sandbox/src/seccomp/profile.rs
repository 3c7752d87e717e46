//! Docker's seccomp profile format (moby `profiles/seccomp` v20.10.24: `Seccomp`,
//! `Architecture`, `Syscall`, `Filter`, `KernelVersion`) as serde types, and its decoding with
//! dockerd's texts: `Decoding seccomp profile failed: ...` around Go's own syntax and kernel
//! version errors. The same format comes from three places: berth's default profile (a file in
//! this tree), `--security-opt seccomp=...` (the docker CLI sends the file's content), and
//! tests. This module only reads JSON; it never evaluates a profile.

use serde::{Deserialize, Serialize};

use super::SeccompError;

/// A profile as Docker writes it. Unknown keys are ignored, as Go's decoder ignores them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    #[serde(default)]
    pub default_action: String,
    /// The old form: every architecture listed (exclusive with `archMap`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<String>,
    /// The native architecture and the sub-architectures it can run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arch_map: Vec<Architecture>,
    #[serde(default, deserialize_with = "nullable")]
    pub syscalls: Vec<Syscall>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Architecture {
    #[serde(rename = "architecture", default)]
    pub arch: String,
    #[serde(rename = "subArchitectures", default, deserialize_with = "nullable")]
    pub sub_arches: Vec<String>,
}

/// One rule: an action for some system calls, maybe only for some arguments, maybe only on
/// some hosts (`includes`/`excludes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Syscall {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub names: Vec<String>,
    #[serde(default)]
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u64>,
    #[serde(default, deserialize_with = "nullable")]
    pub args: Vec<Arg>,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub includes: Filter,
    #[serde(default)]
    pub excludes: Filter,
}

/// A condition on one argument (`specs.LinuxSeccompArg`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Arg {
    #[serde(default)]
    pub index: u64,
    #[serde(default)]
    pub value: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value_two: u64,
    #[serde(default)]
    pub op: String,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// When a rule applies: every capability listed in the container's bounding set, the native
/// architecture among `arches`, the host kernel at least `minKernel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable"
    )]
    pub caps: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable"
    )]
    pub arches: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_kernel: Option<KernelVersion>,
}

/// `<kernel>.<major>`, e.g. `4.8`: minor revisions and suffixes are not compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct KernelVersion {
    pub kernel: u64,
    pub major: u64,
}

impl From<KernelVersion> for String {
    fn from(k: KernelVersion) -> String {
        format!("{}.{}", k.kernel, k.major)
    }
}

impl<'de> Deserialize<'de> for KernelVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = serde_json::Value::deserialize(d)?;
        kernel_from_json(&raw)
            .map(Option::unwrap_or_default)
            .map_err(serde::de::Error::custom)
    }
}

/// moby's `KernelVersion.UnmarshalJSON`, with its texts; `""` is no version.
pub(super) fn kernel_from_json(raw: &serde_json::Value) -> Result<Option<KernelVersion>, String> {
    let shown = raw.to_string();
    let expected = "expected \"<kernel>.<major>\"";
    let Some(text) = raw.as_str() else {
        return Err(format!(
            "invalid kernel version: {shown}, {expected}: json: cannot unmarshal {} into \
                 Go value of type string",
            super::go_decode::kind(raw)
        ));
    };
    if text.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = text.splitn(3, '.').collect();
    if parts.len() != 2 {
        return Err(format!("invalid kernel version: {shown}, {expected}"));
    }
    let number = |s: &str| {
        go_parse_uint8(s).map_err(|why| {
            format!(
                "invalid kernel version: {shown}, {expected}: strconv.ParseUint: parsing {}: \
                     {why}",
                serde_json::Value::from(s)
            )
        })
    };
    let version = KernelVersion {
        kernel: number(parts[0])?,
        major: number(parts[1])?,
    };
    if version == KernelVersion::default() {
        return Err(format!(
            "invalid kernel version: {shown}, {expected}: version cannot be 0.0"
        ));
    }
    Ok(Some(version))
}

impl KernelVersion {
    /// moby's `parseRelease`: the first two numbers of a release such as `6.18.44-fc`.
    pub fn from_release(release: &str) -> Option<KernelVersion> {
        let mut parts = release.splitn(2, '.');
        let leading = |s: &str| -> Option<u64> {
            let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        };
        Some(KernelVersion {
            kernel: leading(parts.next()?)?,
            major: leading(parts.next()?)?,
        })
    }
}

/// Go's `strconv.ParseUint(s, 10, 8)`, failing on the first bad digit or the first overflow.
fn go_parse_uint8(s: &str) -> Result<u64, &'static str> {
    if s.is_empty() {
        return Err("invalid syntax");
    }
    let mut n: u64 = 0;
    for c in s.bytes() {
        if !c.is_ascii_digit() {
            return Err("invalid syntax");
        }
        n = n * 10 + u64::from(c - b'0');
        if n > 255 {
            return Err("value out of range");
        }
    }
    Ok(n)
}

/// Go decodes `null` into a slice as an empty one.
fn nullable<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// What a profile text decodes to: `None` when it is JSON `null` (Go leaves the profile empty,
/// and an empty profile confines nothing).
pub fn decode(text: &str) -> Result<Profile, SeccompError> {
    berth_core::go_json::check(text.as_bytes()).map_err(|e| SeccompError::Decode(e.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| SeccompError::Decode(e.to_string()))?;
    let value = super::go_decode::canonical(&value).map_err(SeccompError::Decode)?;
    serde_json::from_value(value).map_err(|e| SeccompError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_err(text: &str) -> String {
        decode(text).unwrap_err().to_string()
    }

    #[test]
    fn the_default_profile_decodes() {
        let p = decode(super::super::DEFAULT_PROFILE).unwrap();
        assert_eq!(p.default_action, "SCMP_ACT_ERRNO");
        assert_eq!(p.arch_map[0].arch, "SCMP_ARCH_X86_64");
        assert_eq!(p.arch_map[0].sub_arches, ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
        let ptrace = p.syscalls.iter().find(|s| s.names == ["ptrace"]).unwrap();
        assert_eq!(
            ptrace.includes.min_kernel,
            Some(KernelVersion {
                kernel: 4,
                major: 8
            })
        );
        let clone = p
            .syscalls
            .iter()
            .find(|s| s.names == ["clone"] && !s.args.is_empty())
            .unwrap();
        assert_eq!(clone.args[0].value, 2114060288);
        assert_eq!(clone.args[0].op, "SCMP_CMP_MASKED_EQ");
    }

    /// The texts dockerd 20.10.24 answered at start for the same profiles.
    #[test]
    fn bad_profiles_are_refused_with_dockerds_texts() {
        assert_eq!(
            decode_err("{bad"),
            "Decoding seccomp profile failed: invalid character 'b' looking for beginning of \
             object key string"
        );
        assert_eq!(
            decode_err(r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":"x"}"#),
            "Decoding seccomp profile failed: json: cannot unmarshal string into Go struct \
             field Seccomp.syscalls of type []*seccomp.Syscall"
        );
        assert_eq!(
            decode_err("[]"),
            "Decoding seccomp profile failed: json: cannot unmarshal array into Go value of \
             type seccomp.Seccomp"
        );
        let kernel = |v: &str| {
            decode_err(&format!(
                r#"{{"syscalls":[{{"names":["mkdir"],"includes":{{"minKernel":{v}}}}}]}}"#
            ))
        };
        assert_eq!(
            kernel("\"4\""),
            "Decoding seccomp profile failed: invalid kernel version: \"4\", expected \
             \"<kernel>.<major>\""
        );
        assert_eq!(
            kernel("4"),
            "Decoding seccomp profile failed: invalid kernel version: 4, expected \
             \"<kernel>.<major>\": json: cannot unmarshal number into Go value of type string"
        );
        assert_eq!(
            kernel("\"0.0\""),
            "Decoding seccomp profile failed: invalid kernel version: \"0.0\", expected \
             \"<kernel>.<major>\": version cannot be 0.0"
        );
        assert_eq!(
            kernel("\"a.1\""),
            "Decoding seccomp profile failed: invalid kernel version: \"a.1\", expected \
             \"<kernel>.<major>\": strconv.ParseUint: parsing \"a\": invalid syntax"
        );
        assert_eq!(
            kernel("\"300.1\""),
            "Decoding seccomp profile failed: invalid kernel version: \"300.1\", expected \
             \"<kernel>.<major>\": strconv.ParseUint: parsing \"300\": value out of range"
        );
    }

    #[test]
    fn keys_match_without_case_and_null_is_empty() {
        let p = decode(r#"{"DefaultAction":"SCMP_ACT_ALLOW","Syscalls":[{"Names":["mkdir"],"Action":"SCMP_ACT_ERRNO","minKernel":""}]}"#).unwrap();
        assert_eq!(p.default_action, "SCMP_ACT_ALLOW");
        assert_eq!(p.syscalls[0].names, ["mkdir"]);
        assert_eq!(decode("null").unwrap(), Profile::default());
        let p = decode(r#"{"syscalls":[{"names":["x"],"includes":{"minKernel":""}}]}"#).unwrap();
        assert_eq!(p.syscalls[0].includes.min_kernel, None);
    }

    #[test]
    fn releases_parse_to_kernel_and_major() {
        let v = |r| KernelVersion::from_release(r);
        assert_eq!(
            v("6.18.44-fc-v1300"),
            Some(KernelVersion {
                kernel: 6,
                major: 18
            })
        );
        assert_eq!(
            v("3.12-1-amd64"),
            Some(KernelVersion {
                kernel: 3,
                major: 12
            })
        );
        assert_eq!(v("garbage"), None);
    }
}
