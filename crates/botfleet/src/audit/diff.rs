//! "What changed", for action rows: the top-level fields that differ between two JSON views of a
//! thing, as `{field: {old, new}}`. Callers pass views without secrets (tokens appear as a hint
//! or as `"(changed)"`).

use serde::Serialize;
use serde_json::{json, Map, Value};

/// The differing fields among `fields` (all fields when empty) of `old` and `new`.
pub fn diff(old: &impl Serialize, new: &impl Serialize, fields: &[&str]) -> Value {
    let (old, new) =
        (serde_json::to_value(old).unwrap_or(Value::Null), serde_json::to_value(new).unwrap_or(Value::Null));
    let empty = Map::new();
    let (o, n) = (old.as_object().unwrap_or(&empty), new.as_object().unwrap_or(&empty));
    let mut out = Map::new();
    let names: Vec<&String> = if fields.is_empty() { n.keys().chain(o.keys()).collect() } else { Vec::new() };
    let wanted: Vec<&str> =
        if fields.is_empty() { names.iter().map(|s| s.as_str()).collect() } else { fields.to_vec() };
    for f in wanted {
        let (a, b) = (o.get(f).unwrap_or(&Value::Null), n.get(f).unwrap_or(&Value::Null));
        if a != b {
            out.insert(f.to_owned(), json!({"old": a, "new": b}));
        }
    }
    Value::Object(out)
}

/// A view of something new: every field as `{old: null, new}`.
pub fn created(new: &impl Serialize, fields: &[&str]) -> Value {
    diff(&Value::Null, new, fields)
}

/// A view of something removed: every field as `{old, new: null}`.
pub fn removed(old: &impl Serialize, fields: &[&str]) -> Value {
    diff(old, &Value::Null, fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_fields() {
        let d = diff(&json!({"a": 1, "b": 2, "v": 1}), &json!({"a": 1, "b": 3, "v": 2}), &["a", "b"]);
        assert_eq!(d, json!({"b": {"old": 2, "new": 3}}));
        assert_eq!(created(&json!({"a": 1}), &[]), json!({"a": {"old": null, "new": 1}}));
    }
}
