//! Request bodies decoded by the generated types of `identisure::raw` (the
//! same code that validates them in the client), with serde errors turned
//! into `"<field>: <rule>"` messages.

use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Decodes a JSON body into `T`; a violation names the field and the rule.
pub(crate) fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // serde accepts a struct written as a JSON array; the API does not.
    if body.trim_ascii_start().starts_with(b"[") {
        return Err(ApiError::field("body", "must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        to_api_error(&path, e.into_inner())
    })?;
    de.end().map_err(|e| to_api_error(".", e))?;
    Ok(value)
}

fn to_api_error(path: &str, e: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let text = e.to_string();
    let text = match text.rsplit_once(" at line ") {
        Some((head, _)) => head.to_string(),
        None => text,
    };
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::bad_request(format!("malformed JSON: {text}"))
        }
        Category::Data => field_error(path, &text),
    }
}

/// `missing field `x`` at the root becomes `x: is required`; everything else
/// `<path>: <serde's rule>`, the root being called `body`.
fn field_error(path: &str, text: &str) -> ApiError {
    let prefix = |field: &str| {
        if path == "." {
            field.to_string()
        } else {
            format!("{path}.{field}")
        }
    };
    if let Some(rest) = text.strip_prefix("missing field `")
        && let Some(field) = rest.strip_suffix('`')
    {
        return ApiError::field(&prefix(field), "is required");
    }
    if let Some(rest) = text.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once('`')
    {
        // serde_path_to_error already ends the path with the unknown field.
        let name = if path == "." { field } else { path };
        return ApiError::field(name, format!("is not a known field{expected}"));
    }
    let field = if path == "." { "body" } else { path };
    // serde quotes the offending value; a personal number must not travel
    // back in an error message.
    if field == "ssn" || field.ends_with(".ssn") {
        return ApiError::field(
            field,
            "must be a non-empty string (a national identity number)",
        );
    }
    ApiError::field(field, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use identisure::raw::types;

    fn message(body: &str) -> String {
        json::<types::BankIdSeSignRequest>(body.as_bytes())
            .unwrap_err()
            .message
    }

    #[test]
    fn names_the_field_and_the_rule() {
        assert_eq!(message(r#"{"digest": "x"}"#), "text: is required");
        assert_eq!(
            message(&format!(r#"{{"text": "{}"}}"#, "a".repeat(50_001))),
            "text: longer than 50000 characters"
        );
        assert_eq!(
            message(r#"{"text": "t", "digest": ""}"#),
            "digest: shorter than 1 characters"
        );
        assert!(message(r#"{"text": 5}"#).starts_with("text: invalid type: integer `5`"));
        assert!(message(r#"{"text": "t", "ssn": ""}"#).starts_with("ssn: "));
        let m = message(r#"{"text": "t", "ssn": 198704122384}"#);
        assert!(m.starts_with("ssn: ") && !m.contains("198704122384"), "{m}");
        assert_eq!(message("[1]"), "body: must be a JSON object");
        assert!(message("12").starts_with("body: invalid type: integer `12`"));
        assert!(message(r#"{"text": "#).starts_with("malformed JSON"));
        assert!(message(r#"{"text": "t"} x"#).starts_with("malformed JSON"));
        assert!(message("").starts_with("malformed JSON"));
    }
}
