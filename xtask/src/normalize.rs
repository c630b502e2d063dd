//! The normal form of `openapi.yaml`: one stable order and one formatting, so
//! that a refreshed spec differs from the committed one only where the content
//! changed.
//!
//! The rules (also written down in MAINTAINING.md):
//! - YAML as emitted by `serde_norway`: block style, 2-space indentation,
//!   no line wrapping (a string stays on one line unless it contains a line
//!   break), one trailing newline. Every mapping key is a string.
//! - The document's own objects keep a fixed key order (the conventional order
//!   of the OpenAPI 3.0 specification, see the `*_KEYS` lists below); keys not
//!   listed (extensions such as `x-…`) follow in their given order.
//! - Collections keyed by a name are sorted: `paths` by path, the methods of a
//!   path in the order get, put, post, delete, options, head, patch, trace,
//!   `responses` by status code (`default` last), each `components` section by
//!   name, media types by name, `discriminator.mapping` by value name.
//! - Everything whose order carries meaning is kept as given: schema
//!   `properties` (the field order of the generated structs), every list
//!   (`oneOf` variants are tried in order, `enum`, `required`, `tags`,
//!   `servers`, `parameters`).

use serde_norway::{Mapping, Value};

const ROOT_KEYS: &[&str] = &[
    "openapi",
    "info",
    "servers",
    "security",
    "tags",
    "externalDocs",
    "paths",
    "components",
];
const INFO_KEYS: &[&str] = &[
    "title",
    "version",
    "summary",
    "description",
    "termsOfService",
    "contact",
    "license",
];
/// Path-item keys; the HTTP methods come in this order too.
const PATH_ITEM_KEYS: &[&str] = &[
    "$ref",
    "summary",
    "description",
    "servers",
    "parameters",
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
];
/// The HTTP methods of a path item, in normal order.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
const OPERATION_KEYS: &[&str] = &[
    "tags",
    "operationId",
    "summary",
    "description",
    "externalDocs",
    "deprecated",
    "security",
    "servers",
    "parameters",
    "requestBody",
    "responses",
    "callbacks",
];
const PARAMETER_KEYS: &[&str] = &[
    "$ref",
    "name",
    "in",
    "required",
    "description",
    "deprecated",
    "allowEmptyValue",
    "style",
    "explode",
    "allowReserved",
    "schema",
    "example",
    "examples",
    "content",
];
const REQUEST_BODY_KEYS: &[&str] = &["$ref", "required", "description", "content"];
const RESPONSE_KEYS: &[&str] = &["$ref", "description", "headers", "content", "links"];
const MEDIA_TYPE_KEYS: &[&str] = &["schema", "example", "examples", "encoding"];
const COMPONENTS_KEYS: &[&str] = &[
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
];
const SCHEMA_KEYS: &[&str] = &[
    "$ref",
    "title",
    "type",
    "format",
    "description",
    "nullable",
    "enum",
    "default",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "items",
    "minProperties",
    "maxProperties",
    "required",
    "properties",
    "additionalProperties",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "discriminator",
    "readOnly",
    "writeOnly",
    "deprecated",
    "example",
    "externalDocs",
    "xml",
];

/// Puts a parsed OpenAPI document into normal order (see the module docs).
pub fn normalize(doc: &Value) -> Value {
    let doc = stringify_keys(doc);
    let Some(map) = doc.as_mapping() else {
        return doc;
    };
    let mut out = order(map, ROOT_KEYS);
    if let Some(info) = out.get_mut("info") {
        *info = map_fields(info, INFO_KEYS, |_, v| v.clone());
    }
    if let Some(Value::Mapping(paths)) = out.get_mut("paths") {
        let mut sorted = sorted_by_key(paths);
        for item in sorted.values_mut() {
            *item = path_item(item);
        }
        *paths = sorted;
    }
    if let Some(components) = out.get_mut("components") {
        *components = map_fields(components, COMPONENTS_KEYS, |section, v| {
            let Value::Mapping(entries) = v else {
                return v.clone();
            };
            let mut sorted = sorted_by_key(entries);
            for entry in sorted.values_mut() {
                *entry = match section {
                    "schemas" => schema(entry),
                    "responses" => response(entry),
                    "parameters" | "headers" => parameter(entry),
                    "requestBodies" => request_body(entry),
                    _ => entry.clone(),
                };
            }
            Value::Mapping(sorted)
        });
    }
    Value::Mapping(out)
}

/// Renders a document already in normal order as normal-form YAML text.
pub fn to_yaml(doc: &Value) -> Result<String, String> {
    let mut text =
        serde_norway::to_string(doc).map_err(|e| format!("cannot write the spec as YAML: {e}"))?;
    while text.ends_with("\n\n") {
        text.pop();
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn path_item(v: &Value) -> Value {
    map_fields(v, PATH_ITEM_KEYS, |key, v| match key {
        "parameters" => map_seq(v, parameter),
        k if METHODS.contains(&k) => operation(v),
        _ => v.clone(),
    })
}

fn operation(v: &Value) -> Value {
    map_fields(v, OPERATION_KEYS, |key, v| match key {
        "parameters" => map_seq(v, parameter),
        "requestBody" => request_body(v),
        "responses" => {
            let Value::Mapping(codes) = v else {
                return v.clone();
            };
            let mut entries: Vec<(&Value, &Value)> = codes.iter().collect();
            entries.sort_by_key(|(k, _)| status_order(k));
            Value::Mapping(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), response(v)))
                    .collect(),
            )
        }
        _ => v.clone(),
    })
}

/// Status codes sort numerically-as-text (`1XX` ranges among them), `default` last.
fn status_order(key: &Value) -> (bool, String) {
    let text = key.as_str().unwrap_or_default();
    (text == "default", text.to_ascii_uppercase())
}

fn parameter(v: &Value) -> Value {
    map_fields(v, PARAMETER_KEYS, |key, v| match key {
        "schema" => schema(v),
        "content" => content(v),
        _ => v.clone(),
    })
}

fn request_body(v: &Value) -> Value {
    map_fields(v, REQUEST_BODY_KEYS, |key, v| match key {
        "content" => content(v),
        _ => v.clone(),
    })
}

fn response(v: &Value) -> Value {
    map_fields(v, RESPONSE_KEYS, |key, v| match key {
        "content" => content(v),
        "headers" => map_values(v, parameter, true),
        _ => v.clone(),
    })
}

fn content(v: &Value) -> Value {
    map_values(
        v,
        |media| {
            map_fields(media, MEDIA_TYPE_KEYS, |key, v| match key {
                "schema" => schema(v),
                _ => v.clone(),
            })
        },
        true,
    )
}

fn schema(v: &Value) -> Value {
    map_fields(v, SCHEMA_KEYS, |key, v| match key {
        "items" | "not" => schema(v),
        "additionalProperties" if v.is_mapping() => schema(v),
        // Field order is meaningful: keep it, normalise each field's schema.
        "properties" => map_values(v, schema, false),
        "allOf" | "oneOf" | "anyOf" => map_seq(v, schema),
        "discriminator" => map_fields(v, &["propertyName", "mapping"], |key, v| match key {
            "mapping" => map_values(v, Value::clone, true),
            _ => v.clone(),
        }),
        _ => v.clone(),
    })
}

/// Applies `f(key, value)` to each field of a mapping and puts the fields in
/// the order of `known`, the unknown ones after them in their given order.
fn map_fields(v: &Value, known: &[&str], f: impl Fn(&str, &Value) -> Value) -> Value {
    let Value::Mapping(map) = v else {
        return v.clone();
    };
    let mut out = order(map, known);
    for (k, v) in out.iter_mut() {
        if let Some(k) = k.as_str() {
            *v = f(k, v);
        }
    }
    Value::Mapping(out)
}

fn order(map: &Mapping, known: &[&str]) -> Mapping {
    let mut out = Mapping::with_capacity(map.len());
    for key in known {
        if let Some(v) = map.get(*key) {
            out.insert(Value::String((*key).to_string()), v.clone());
        }
    }
    for (k, v) in map {
        if !k.as_str().is_some_and(|k| known.contains(&k)) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

fn sorted_by_key(map: &Mapping) -> Mapping {
    let mut entries: Vec<(&Value, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.as_str().cmp(&b.0.as_str()));
    entries
        .into_iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn map_values(v: &Value, f: impl Fn(&Value) -> Value, sort: bool) -> Value {
    let Value::Mapping(map) = v else {
        return v.clone();
    };
    let map = if sort {
        sorted_by_key(map)
    } else {
        map.clone()
    };
    Value::Mapping(map.iter().map(|(k, v)| (k.clone(), f(v))).collect())
}

fn map_seq(v: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match v {
        Value::Sequence(items) => Value::Sequence(items.iter().map(f).collect()),
        other => other.clone(),
    }
}

/// JSON semantics: every mapping key is a string (YAML would let `200:` be a
/// number, which OpenAPI tooling then rejects).
fn stringify_keys(v: &Value) -> Value {
    match v {
        Value::Mapping(map) => Value::Mapping(
            map.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::String(_) => k.clone(),
                        Value::Number(n) => Value::String(n.to_string()),
                        Value::Bool(b) => Value::String(b.to_string()),
                        Value::Null => Value::String("null".into()),
                        other => other.clone(),
                    };
                    (key, stringify_keys(v))
                })
                .collect(),
        ),
        Value::Sequence(items) => Value::Sequence(items.iter().map(stringify_keys).collect()),
        Value::Tagged(t) => stringify_keys(&t.value),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(text: &str) -> String {
        let doc: Value = serde_norway::from_str(text).unwrap();
        to_yaml(&normalize(&doc)).unwrap()
    }

    #[test]
    fn orders_paths_methods_responses_and_schemas_but_keeps_properties() {
        let text = r#"
components:
  schemas:
    Zed:
      properties:
        zz: {type: string}
        aa: {type: string, description: second}
      type: object
    Alpha:
      description: d
      type: string
paths:
  /b:
    delete:
      responses:
        '404': {description: nope}
        '200': {description: ok}
      operationId: b_delete
    get:
      operationId: b_get
      responses:
        default: {description: any}
        '200': {description: ok}
  /a:
    post:
      operationId: a_post
      responses: {'201': {description: created}}
info: {version: 1.0.0, title: T}
openapi: 3.0.3
"#;
        let out = norm(text);
        let expected = "\
openapi: 3.0.3
info:
  title: T
  version: 1.0.0
paths:
  /a:
    post:
      operationId: a_post
      responses:
        '201':
          description: created
  /b:
    get:
      operationId: b_get
      responses:
        '200':
          description: ok
        default:
          description: any
    delete:
      operationId: b_delete
      responses:
        '200':
          description: ok
        '404':
          description: nope
components:
  schemas:
    Alpha:
      type: string
      description: d
    Zed:
      type: object
      properties:
        zz:
          type: string
        aa:
          type: string
          description: second
";
        assert_eq!(out, expected);
    }

    #[test]
    fn is_idempotent_and_keeps_content() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml"))
            .unwrap();
        let once = norm(&text);
        assert_eq!(norm(&once), once, "normalising twice changes the text");
        let before: serde_json::Value = serde_norway::from_str(&text).unwrap();
        let after: serde_json::Value = serde_norway::from_str(&once).unwrap();
        assert_eq!(before, after, "normalising changed the content");
    }

    #[test]
    fn numeric_keys_become_strings_and_long_text_is_not_wrapped() {
        let long = "word ".repeat(60);
        let text = format!(
            "openapi: 3.0.3\ninfo: {{title: T, version: '1', description: '{long}'}}\npaths:\n  /a:\n    get:\n      responses:\n        200: {{description: ok}}\n"
        );
        let out = norm(&text);
        assert!(out.contains("        '200':\n"), "{out}");
        assert!(
            out.contains(&format!("  description: '{}'\n", long)),
            "{out}"
        );
    }
}
