//! Normalisation: real IDs and generated names become symbols in order of first appearance
//! (`<c1>`, `<i2>`, `<n1>`), per engine, so two engines that behave the same produce identical
//! observations. It is a bijection within a run: the same ID always gets the same symbol and
//! no two IDs share one. Inspect documents are cut to the fields every engine defines alike.

use std::collections::BTreeMap;

use serde_json::Value;

/// One engine's symbol table for one run.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    /// 64-hex value -> symbol.
    ids: BTreeMap<String, String>,
    names: BTreeMap<String, String>,
    containers: usize,
    digests: usize,
    generated: usize,
}

/// Names the generator and scenarios choose themselves; everything else shaped like
/// `adjective_surname` is a name the engine generated.
fn is_generated_name(name: &str) -> bool {
    let Some((left, right)) = name.split_once('_') else {
        return false;
    };
    let right = right.trim_end_matches(|c: char| c.is_ascii_digit());
    !left.is_empty()
        && !right.is_empty()
        && (left.chars().chain(right.chars())).all(|c| c.is_ascii_lowercase())
}

impl Symbols {
    /// Declares that `id` (64 hex, optionally `sha256:`) is a container ID.
    pub fn container(&mut self, id: &str) -> String {
        let hex = id.trim_start_matches("sha256:").to_string();
        if let Some(symbol) = self.ids.get(&hex) {
            return symbol.clone();
        }
        self.containers += 1;
        let symbol = format!("c{}", self.containers);
        self.ids.insert(hex, symbol.clone());
        symbol
    }

    fn digest(&mut self, hex: &str) -> String {
        if let Some(symbol) = self.ids.get(hex) {
            return symbol.clone();
        }
        self.digests += 1;
        let symbol = format!("d{}", self.digests);
        self.ids.insert(hex.to_string(), symbol.clone());
        symbol
    }

    fn name(&mut self, name: &str) -> String {
        if let Some(symbol) = self.names.get(name) {
            return symbol.clone();
        }
        self.generated += 1;
        let symbol = format!("<n{}>", self.generated);
        self.names.insert(name.to_string(), symbol.clone());
        symbol
    }

    /// Rewrites IDs (full, `sha256:`-prefixed, and known 12-hex short forms) and generated
    /// names inside a string.
    pub fn text(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let run = bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
                .count();
            let boundary_before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
            let boundary_after = !bytes
                .get(i + run)
                .is_some_and(|b| b.is_ascii_alphanumeric());
            if run == 64 && boundary_before && boundary_after {
                let hex = &text[i..i + 64];
                let sha = out.ends_with("sha256:");
                if sha {
                    out.truncate(out.len() - 7);
                }
                let symbol = match self.ids.get(hex) {
                    Some(s) => s.clone(),
                    None if sha => self.digest(hex),
                    None => self.container(hex),
                };
                out.push_str(&format!("<{symbol}>"));
                i += 64;
                continue;
            }
            if run == 12 && boundary_before && boundary_after {
                let short = &text[i..i + 12];
                if let Some((_, symbol)) = self.ids.iter().find(|(hex, _)| hex.starts_with(short)) {
                    out.push_str(&format!("<{symbol}:12>"));
                    i += 12;
                    continue;
                }
            }
            let step = run.max(1);
            let end = (i + step).min(bytes.len());
            let end = (end..=bytes.len())
                .find(|e| text.is_char_boundary(*e))
                .unwrap_or(bytes.len());
            out.push_str(&text[i..end]);
            i = end;
        }
        out
    }

    /// A container name: generated ones become symbols, chosen ones stay.
    pub fn container_name(&mut self, name: &str) -> String {
        match is_generated_name(name) {
            true => self.name(name),
            false => name.to_string(),
        }
    }

    /// Rewrites every string inside a JSON value.
    pub fn value(&mut self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(match self.names_in(s) {
                Some(named) => named,
                None => self.text(s),
            }),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Generated names appear as whole strings (`Names`, `Name`), possibly with a slash.
    fn names_in(&mut self, text: &str) -> Option<String> {
        let bare = text.trim_start_matches('/');
        if !is_generated_name(bare) {
            return None;
        }
        let prefix = &text[..text.len() - bare.len()];
        Some(format!("{prefix}{}", self.name(bare)))
    }
}

/// The inspect fields every engine defines the same way, by JSON pointer.
const INSPECT_FIELDS: &[&str] = &[
    "/Id",
    "/Name",
    "/Path",
    "/Args",
    "/State/Status",
    "/State/Running",
    "/State/ExitCode",
    "/State/Error",
    "/Image",
    "/Config/Cmd",
    "/Config/Entrypoint",
    "/Config/Image",
    "/Config/Hostname",
    "/HostConfig/AutoRemove",
    "/HostConfig/LogConfig/Type",
    "/RepoTags",
    "/Parent",
    "/Comment",
];

/// Cuts an inspect document down to the comparable fields (plus the number of layers).
pub fn inspect_projection(document: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for pointer in INSPECT_FIELDS {
        if let Some(v) = document.pointer(pointer) {
            let v = if v.is_null() && pointer.starts_with("/Config/") {
                Value::Null
            } else {
                v.clone()
            };
            out.insert(pointer.to_string(), v);
        }
    }
    if let Some(layers) = document.pointer("/RootFS/Layers").and_then(Value::as_array) {
        out.insert("/RootFS/Layers#".to_string(), Value::from(layers.len()));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_to_symbols_in_order_and_consistently() {
        let mut s = Symbols::default();
        let a = "a".repeat(64);
        let b = format!("sha256:{}", "b".repeat(64));
        let text = format!("container {a} image {b} again {a} short {}", &a[..12]);
        assert_eq!(
            s.text(&text),
            "container <c1> image <d1> again <c1> short <c1:12>"
        );
    }

    #[test]
    fn generated_names_become_symbols_and_chosen_ones_stay() {
        let mut s = Symbols::default();
        assert_eq!(s.container_name("quirky_turing3"), "<n1>");
        assert_eq!(s.container_name("n0"), "n0");
        assert_eq!(s.container_name("quirky_turing3"), "<n1>");
        assert_eq!(
            s.value(&Value::String("/eager_hopper".into())),
            Value::String("/<n2>".into())
        );
    }
}
