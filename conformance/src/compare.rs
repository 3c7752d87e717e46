//! Comparing two states: a probe normalised into symbols (IDs and names the same on both
//! sides when the states agree), and the JSON pointers where two normalised documents differ.
//! Shared by the runner, the re-synchronisation, the dialects and the findings.

use serde_json::Value;

use crate::normalise::Symbols;
use crate::observe::Probe;

/// The normalised state alone (`containers`, `images`).
pub fn normalise_state(symbols: &mut Symbols, probe: &Probe) -> Value {
    let mut containers: Vec<Value> = probe
        .containers
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).expect("views serialise");
            v["name"] = Value::String(symbols.container_name(&c.name));
            symbols.value(&v)
        })
        .collect();
    let mut images: Vec<Value> = probe
        .images
        .iter()
        .map(|i| symbols.value(&serde_json::to_value(i).expect("views serialise")))
        .collect();
    containers.sort_by_key(|v| v.to_string());
    images.sort_by_key(|v| v.to_string());
    serde_json::json!({ "containers": containers, "images": images })
}

/// A readable diff: every JSON pointer whose value differs, with both sides.
pub fn diff(model: &Value, engine: &Value) -> String {
    differences(model, engine)
        .iter()
        .map(|(at, a, b)| format!("  {at}\n    model:  {a}\n    engine: {b}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every JSON pointer whose value differs, with the model's and the engine's value.
pub fn differences(model: &Value, engine: &Value) -> Vec<(String, Value, Value)> {
    let mut pairs = Vec::new();
    walk("", model, engine, &mut pairs);
    pairs
}

fn walk(at: &str, a: &Value, b: &Value, lines: &mut Vec<(String, Value, Value)>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                walk(
                    &format!("{at}/{k}"),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    lines,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                walk(&format!("{at}/{i}"), p, q, lines);
            }
        }
        _ if a != b => lines.push((at.to_string(), a.clone(), b.clone())),
        _ => {}
    }
}
