//! Reading a spec: from the upstream URL, another URL or a file; JSON or YAML;
//! checked to be an OpenAPI 3.0 document.

use std::path::Path;
use std::time::Duration;

use serde_norway::Value;

/// Where the provider publishes its OpenAPI document. This is the one place
/// it is configured; `cargo xtask refresh-spec` uses it when `--from` is not
/// given. Not known yet, so `--from` is required for now.
pub const UPSTREAM_SPEC_URL: Option<&str> = None;

/// Upper bound on a downloaded spec (the current one is about 170 kB).
const MAX_SPEC_BYTES: u64 = 20 * 1024 * 1024;

/// Reads the text of a spec from an `http(s)://` URL or a file path.
pub fn fetch(source: &str) -> Result<String, String> {
    if source.starts_with("http://") || source.starts_with("https://") {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent
            .get(source)
            .header(
                "Accept",
                "application/json, application/yaml, text/yaml, */*",
            )
            .call()
            .map_err(|e| format!("cannot fetch {source}: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("cannot fetch {source}: HTTP {status}"));
        }
        response
            .body_mut()
            .with_config()
            .limit(MAX_SPEC_BYTES)
            .read_to_string()
            .map_err(|e| format!("cannot read the body of {source}: {e}"))
    } else {
        std::fs::read_to_string(Path::new(source)).map_err(|e| format!("cannot read {source}: {e}"))
    }
}

/// Parses JSON or YAML into a document, keeping the key order of the input.
pub fn parse(text: &str) -> Result<Value, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let mut doc: Value = if trimmed.starts_with('{') {
        serde_json::from_str(trimmed).map_err(|e| format!("not valid JSON: {e}"))?
    } else {
        serde_norway::from_str(trimmed).map_err(|e| format!("not valid YAML: {e}"))?
    };
    // YAML merge keys (`<<: *anchor`) become plain fields.
    doc.apply_merge()
        .map_err(|e| format!("YAML merge keys cannot be resolved: {e}"))?;
    if !doc.is_mapping() {
        return Err("not an OpenAPI document: the top level is not an object".into());
    }
    Ok(doc)
}

/// Checks that a (normalised) document is OpenAPI 3.0.x as the generator
/// needs it, returning the typed form.
pub fn validate(doc: &Value) -> Result<openapiv3::OpenAPI, String> {
    if doc.get("swagger").is_some() {
        return Err("this is a Swagger 2.0 document; the generator needs OpenAPI 3.0.x".into());
    }
    let version = match doc.get("openapi") {
        Some(Value::String(v)) => v.clone(),
        Some(other) => {
            return Err(format!(
                "`openapi: {}` must be a string such as \"3.0.3\"",
                serde_norway::to_string(other).unwrap_or_default().trim()
            ));
        }
        None => return Err("not an OpenAPI document: no `openapi` version field".into()),
    };
    if !version.starts_with("3.0.") {
        return Err(format!(
            "`openapi: {version}`: only OpenAPI 3.0.x is supported by the generator"
        ));
    }
    serde_norway::from_value(doc.clone())
        .map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))
}

/// Reads, parses and validates a spec file of the repository.
pub fn load_file(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    validate(&doc).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_yaml_parse_to_the_same_document_in_the_same_order() {
        let json = r#"{"openapi": "3.0.3", "paths": {}, "info": {"title": "T", "version": "1"}}"#;
        let yaml = "openapi: 3.0.3\npaths: {}\ninfo:\n  title: T\n  version: '1'\n";
        let a = parse(json).unwrap();
        let b = parse(yaml).unwrap();
        assert_eq!(a, b);
        let keys: Vec<&str> = a
            .as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(keys, ["openapi", "paths", "info"]);
        validate(&a).unwrap();
    }

    #[test]
    fn yaml_anchors_and_merge_keys_are_resolved() {
        let yaml = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: &a {type: string, maxLength: 3}\n    B:\n      <<: *a\n      description: b\n";
        let doc = parse(yaml).unwrap();
        let b = &doc["components"]["schemas"]["B"];
        assert_eq!(b["maxLength"].as_u64(), Some(3));
        assert_eq!(b["description"].as_str(), Some("b"));
        assert!(b.get("<<").is_none());
    }

    #[test]
    fn refuses_other_versions_and_garbage() {
        let v31 = parse("openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {}\n").unwrap();
        assert!(validate(&v31).unwrap_err().contains("3.1.0"));
        let swagger = parse("swagger: '2.0'\ninfo: {title: T, version: '1'}\n").unwrap();
        assert!(validate(&swagger).unwrap_err().contains("Swagger 2.0"));
        let no_paths = parse("openapi: 3.0.3\ninfo: {title: T}\n").unwrap();
        assert!(
            validate(&no_paths)
                .unwrap_err()
                .contains("not a valid OpenAPI 3.0")
        );
        assert!(parse("- a\n- b\n").unwrap_err().contains("top level"));
        assert!(
            parse("{\"openapi\": ")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(parse("a: [b\n").unwrap_err().contains("not valid YAML"));
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let err = fetch("/nonexistent/spec.yaml").unwrap_err();
        assert!(err.contains("/nonexistent/spec.yaml"), "{err}");
    }
}
