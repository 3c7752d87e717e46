//! How Go's `json.Unmarshal` reads a profile into moby's types, for the two things serde does
//! differently: keys match their field without regard to case (dockerd takes `"DefaultAction"`)
//! and a value of the wrong kind fails with Go's text (`json: cannot unmarshal string into Go
//! struct field Seccomp.syscalls of type []*seccomp.Syscall`). [`canonical`] walks a parsed
//! document against the shape of moby's types and answers the same document with the
//! canonical key names (unknown keys and nulls dropped, as Go ignores them), ready for the
//! serde types, or Go's first error. It never interprets the values.

use serde_json::{Map, Value};

/// A Go type of moby's profile, as far as decoding goes.
enum Shape {
    /// A string type, by its Go name (`string`, `specs.Arch`).
    Str(&'static str),
    /// An unsigned integer type (`uint`, `uint64`).
    Uint(&'static str),
    /// A slice: its element and its own Go name (`[]*seccomp.Syscall`).
    List(&'static Shape, &'static str),
    Struct(&'static StructShape),
    /// `*seccomp.KernelVersion`, which decodes itself from a string.
    Kernel,
}

struct StructShape {
    /// The qualified name (`seccomp.Syscall`) and the bare one Go's errors put first.
    go: &'static str,
    short: &'static str,
    fields: &'static [(&'static str, Shape)],
}

const STRINGS: Shape = Shape::Str("string");
const ARCH: Shape = Shape::Str("specs.Arch");

static SECCOMP: StructShape = StructShape {
    go: "seccomp.Seccomp",
    short: "Seccomp",
    fields: &[
        ("defaultAction", Shape::Str("specs.LinuxSeccompAction")),
        ("architectures", Shape::List(&ARCH, "[]specs.Arch")),
        (
            "archMap",
            Shape::List(&Shape::Struct(&ARCHITECTURE), "[]seccomp.Architecture"),
        ),
        (
            "syscalls",
            Shape::List(&Shape::Struct(&SYSCALL), "[]*seccomp.Syscall"),
        ),
    ],
};

static ARCHITECTURE: StructShape = StructShape {
    go: "seccomp.Architecture",
    short: "Architecture",
    fields: &[
        ("architecture", ARCH),
        ("subArchitectures", Shape::List(&ARCH, "[]specs.Arch")),
    ],
};

static SYSCALL: StructShape = StructShape {
    go: "seccomp.Syscall",
    short: "Syscall",
    fields: &[
        ("name", STRINGS),
        ("names", Shape::List(&STRINGS, "[]string")),
        ("action", Shape::Str("specs.LinuxSeccompAction")),
        ("errnoRet", Shape::Uint("uint")),
        (
            "args",
            Shape::List(&Shape::Struct(&ARG), "[]*specs.LinuxSeccompArg"),
        ),
        ("comment", STRINGS),
        ("includes", Shape::Struct(&FILTER)),
        ("excludes", Shape::Struct(&FILTER)),
    ],
};

static ARG: StructShape = StructShape {
    go: "specs.LinuxSeccompArg",
    short: "LinuxSeccompArg",
    fields: &[
        ("index", Shape::Uint("uint")),
        ("value", Shape::Uint("uint64")),
        ("valueTwo", Shape::Uint("uint64")),
        ("op", Shape::Str("specs.LinuxSeccompOperator")),
    ],
};

static FILTER: StructShape = StructShape {
    go: "seccomp.Filter",
    short: "Filter",
    fields: &[
        ("caps", Shape::List(&STRINGS, "[]string")),
        ("arches", Shape::List(&STRINGS, "[]string")),
        ("minKernel", Shape::Kernel),
    ],
};

/// Where the decoder is, for Go's error texts: the innermost struct and the JSON field names
/// from the top (array indices are not part of it).
#[derive(Clone, Copy)]
struct Context<'a> {
    within: Option<(&'static str, &'a str)>,
}

/// The document with canonical keys, or Go's first type error (`json: cannot unmarshal ...`).
pub(super) fn canonical(doc: &Value) -> Result<Value, String> {
    let top = Context { within: None };
    Ok(walk(doc, &Shape::Struct(&SECCOMP), top)?.unwrap_or(Value::Object(Map::new())))
}

/// `None`: the value is null (Go leaves the zero value).
fn walk(v: &Value, shape: &Shape, ctx: Context<'_>) -> Result<Option<Value>, String> {
    if v.is_null() {
        return Ok(None);
    }
    let fits = match (shape, v) {
        (Shape::Str(_), Value::String(_)) => true,
        (Shape::Uint(_), Value::Number(n)) => {
            if n.as_u64().is_none() {
                return Err(mismatch(&format!("number {n}"), shape, ctx));
            }
            true
        }
        (Shape::List(item, _), Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                // A null element of a pointer slice is a nil pointer; berth drops it.
                if let Some(v) = walk(i, item, ctx)? {
                    out.push(v);
                }
            }
            return Ok(Some(Value::Array(out)));
        }
        (Shape::Struct(s), Value::Object(map)) => return walk_struct(map, s, ctx).map(Some),
        (Shape::Kernel, v) => {
            return match super::profile::kernel_from_json(v)? {
                Some(_) => Ok(Some(v.clone())),
                None => Ok(None),
            }
        }
        _ => false,
    };
    match fits {
        true => Ok(Some(v.clone())),
        false => Err(mismatch(kind(v), shape, ctx)),
    }
}

fn walk_struct(
    map: &Map<String, Value>,
    s: &'static StructShape,
    ctx: Context<'_>,
) -> Result<Value, String> {
    let mut out = Map::new();
    for (key, value) in map {
        // Go prefers the exact name, then any that matches without regard to case.
        let field = s.fields.iter().find(|(name, _)| name == key).or_else(|| {
            s.fields
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
        });
        let Some((name, shape)) = field else {
            continue;
        };
        let path = match ctx.within {
            Some((_, path)) => format!("{path}.{name}"),
            None => name.to_string(),
        };
        let inner = Context {
            within: Some((s.short, &path)),
        };
        match walk(value, shape, inner)? {
            Some(v) => out.insert(name.to_string(), v),
            None => out.remove(*name),
        };
    }
    Ok(Value::Object(out))
}

fn mismatch(what: &str, shape: &Shape, ctx: Context<'_>) -> String {
    let ty = match shape {
        Shape::Str(t) | Shape::Uint(t) | Shape::List(_, t) => t,
        Shape::Struct(s) => s.go,
        Shape::Kernel => "seccomp.KernelVersion",
    };
    match ctx.within {
        Some((within, path)) => {
            format!(
                "json: cannot unmarshal {what} into Go struct field {within}.{path} of type {ty}"
            )
        }
        None => format!("json: cannot unmarshal {what} into Go value of type {ty}"),
    }
}

/// How Go's decoder names the kind of a JSON value in its type errors.
pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        canonical(&serde_json::from_str(text).unwrap()).unwrap_err()
    }

    /// Each text is what dockerd 20.10.24 answered (after `Decoding seccomp profile failed: `).
    #[test]
    fn type_errors_read_as_gos() {
        let cases = [
            (
                r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[1]}]}"#,
                "json: cannot unmarshal number into Go struct field Syscall.syscalls.names of \
                 type string",
            ),
            (
                r#"{"syscalls":[{"names":["mkdir"],"args":[{"index":"a"}]}]}"#,
                "json: cannot unmarshal string into Go struct field LinuxSeccompArg.syscalls.\
                 args.index of type uint",
            ),
            (
                r#"{"defaultAction":1}"#,
                "json: cannot unmarshal number into Go struct field Seccomp.defaultAction of \
                 type specs.LinuxSeccompAction",
            ),
            (
                r#"{"archMap":[{"architecture":2}]}"#,
                "json: cannot unmarshal number into Go struct field Architecture.archMap.\
                 architecture of type specs.Arch",
            ),
            (
                r#"{"syscalls":[{"errnoRet":1.5}]}"#,
                "json: cannot unmarshal number 1.5 into Go struct field Syscall.syscalls.\
                 errnoRet of type uint",
            ),
            (
                r#"{"syscalls":[{"errnoRet":-1}]}"#,
                "json: cannot unmarshal number -1 into Go struct field Syscall.syscalls.\
                 errnoRet of type uint",
            ),
        ];
        for (doc, want) in cases {
            assert_eq!(err(doc), want, "{doc}");
        }
    }

    #[test]
    fn keys_become_canonical_and_unknown_ones_go() {
        let doc = serde_json::json!({
            "DEFAULTACTION": "SCMP_ACT_ALLOW",
            "comment": "ignored",
            "syscalls": [null, {"Names": ["a"], "errnoret": 1, "includes": {"minkernel": ""}}]
        });
        assert_eq!(
            canonical(&doc).unwrap(),
            serde_json::json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["a"], "errnoRet": 1, "includes": {}}]
            })
        );
    }
}
