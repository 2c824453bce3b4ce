//! Discord's limits on what a message may hold (content length, embeds and their fields) and
//! when it holds nothing at all: the checks every way of posting a message (REST, interaction
//! responses, webhooks, scripted users) runs before the world creates it.

use serde_json::Value;

/// A field that breaks one of Discord's message limits: (path, error code, message).
pub type FieldError = (String, &'static str, String);

/// Checks content and embeds against Discord's limits (2,000 characters; 10 embeds; title 256,
/// description 4,096, 25 fields, field name 256 / value 1,024, footer 2,048, author 256, 6,000 in
/// all). Returns every violation, Discord-style.
pub fn check_limits(content: &str, embeds: &[Value]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let chars = content.chars().count();
    if chars > 2000 {
        errors.push(("content".into(), "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.".into()));
    }
    if embeds.len() > 10 {
        errors.push(("embeds".into(), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.".into()));
    }
    let mut total = 0;
    for (i, embed) in embeds.iter().enumerate() {
        let Some(obj) = embed.as_object() else {
            errors.push((
                format!("embeds.{i}"),
                "MODEL_TYPE_CONVERT",
                "Only dictionaries may be used in a ModelType".into(),
            ));
            continue;
        };
        let mut text = |path: String, v: Option<&Value>, max: usize, errors: &mut Vec<FieldError>| {
            let Some(v) = v else { return };
            match v.as_str() {
                Some(s) => {
                    let n = s.chars().count();
                    total += n;
                    if n > max {
                        errors.push((path, "BASE_TYPE_MAX_LENGTH", format!("Must be {max} or fewer in length.")));
                    }
                }
                None if v.is_null() => {}
                None => errors.push((path, "BASE_TYPE_STRING", "Must be a string.".into())),
            }
        };
        text(format!("embeds.{i}.title"), obj.get("title"), 256, &mut errors);
        text(format!("embeds.{i}.description"), obj.get("description"), 4096, &mut errors);
        text(format!("embeds.{i}.footer.text"), obj.get("footer").and_then(|f| f.get("text")), 2048, &mut errors);
        text(format!("embeds.{i}.author.name"), obj.get("author").and_then(|a| a.get("name")), 256, &mut errors);
        if let Some(fields) = obj.get("fields").and_then(Value::as_array) {
            if fields.len() > 25 {
                errors.push((
                    format!("embeds.{i}.fields"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 25 or fewer in length.".into(),
                ));
            }
            for (j, field) in fields.iter().enumerate() {
                text(format!("embeds.{i}.fields.{j}.name"), field.get("name"), 256, &mut errors);
                text(format!("embeds.{i}.fields.{j}.value"), field.get("value"), 1024, &mut errors);
            }
        }
    }
    if total > 6000 {
        errors.push(("embeds".into(), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000".into()));
    }
    errors
}

/// Whether a message would have nothing to show (Discord error 50006).
pub fn is_empty(content: &str, embeds: &[Value], components: &[Value]) -> bool {
    content.trim().is_empty() && embeds.is_empty() && components.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limits_report_each_field() {
        let long = "x".repeat(2001);
        let embed = json!({"description": "d".repeat(4097), "fields": (0..26).map(|_| json!({"name": "n", "value": "v"})).collect::<Vec<_>>()});
        let errors = check_limits(&long, &[embed]);
        let paths: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(paths, ["content", "embeds.0.description", "embeds.0.fields"]);
        assert!(check_limits("hi", &[json!({"title": "t"})]).is_empty());
        let big: Vec<Value> = (0..2).map(|_| json!({"description": "y".repeat(3500)})).collect();
        assert_eq!(check_limits("", &big)[0].1, "MAX_EMBED_SIZE_EXCEEDED");
    }
}
