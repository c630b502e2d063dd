//! What generation does to the spec besides reading it, each with its
//! reason: the operations pruned before generation, the schemas replaced by
//! hand-written types, the success status added beside a start's, and the
//! providers the operation table knows.
//! Shared by `build.rs`, which applies them, and `cargo xtask` (through
//! `#[path]`), whose spec lint checks the spec against them.

use crate::model::Provider;

/// Operations removed from the spec before generation, each with its reason.
/// They stay in `openapi.yaml` (they are part of the API) and are hand-written
/// in the thin layer. `cargo xtask check` verifies that every operation is
/// either generated or listed here.
pub const PRUNED_OPERATIONS: &[(&str, &str)] = &[(
    "document_upload",
    "multipart/form-data request bodies are not supported by progenitor 0.15; \
     the upload is hand-written in src/providers/documents.rs",
)];

/// Schemas replaced by hand-written types: `(schema, Rust type, why)`.
pub const REPLACED_SCHEMAS: &[(&str, &str, &str)] = &[
    (
        "PersonalNumber",
        "crate::PersonalNumber",
        "personal data: the hand-written type redacts Debug and Display",
    ),
    (
        "QrStartSecret",
        "crate::QrStartSecret",
        "secret: the hand-written type redacts Debug and Display",
    ),
    (
        "PersonalText",
        "crate::PersonalText",
        "personal data (the fields of PERSONAL_FIELDS): the hand-written type redacts \
         Debug and Display",
    ),
    (
        "AddressText",
        "crate::PersonalText",
        "personal data: an address as one line; redacted like PERSONAL_FIELDS",
    ),
    (
        "CallInitiator",
        "crate::wire::CallInitiator",
        "decision call-initiator-case: reads USER/RP in any case (five official \
         clients' tests send `user`), always sends the document's USER or RP",
    ),
];

/// The personal data of the API's answers besides the personal number (a
/// `PersonalNumber` already): a `type: string` property of one of these
/// names, in any schema but a request's, becomes a `crate::PersonalText`
/// (redacted `Debug` and `Display`) by [`personal_fields`]. Requests are
/// left alone: their values are the caller's own, set through the builders.
/// A new personal field of an answer needs its name here.
pub const PERSONAL_FIELDS: &[&str] = &[
    "name",
    "givenName",
    "surname",
    "birthDate",
    "phone",
    "email",
    "pid",
    "street",
    "postalCode",
    "city",
    "ipAddress",
    "uhi",
    "ocspResponse",
    "endUser",
];

/// The providers, in the order of the API document: the first path segment
/// after `/v3/`, the Rust name of its `Provider` variant, the name people
/// know it by, the shorter label a login page shows, the
/// `national_id::Country` of its people's numbers, and whether its logins
/// send the user to its own page (`true`) or to an app by QR code. A new
/// provider in the spec needs one entry here.
pub const PROVIDERS: &[Provider] = &[
    Provider::new(
        ["bankid-se", "BankIdSe", "Swedish BankID", "BankID", "Se"],
        false,
    ),
    Provider::new(
        [
            "bankid-no",
            "BankIdNo",
            "Norwegian BankID",
            "BankID (Norge)",
            "No",
        ],
        true,
    ),
    Provider::new(["freja", "Freja", "Freja eID", "Freja eID", "Se"], false),
    Provider::new(["mitid", "MitId", "MitID", "MitID", "Dk"], true),
    Provider::new(
        ["ftn", "Ftn", "Finnish Trust Network", "FTN (Suomi)", "Fi"],
        true,
    ),
    Provider::new(
        ["vipps", "Vipps", "Vipps MobilePay", "Vipps MobilePay", "No"],
        true,
    ),
];

/// A start's documented success status, generated as the range `2XX`
/// (`(documented, why)`): its generated method decodes any 2xx answer as the
/// start's PENDING state (progenitor reports a status the spec does not list
/// as `UnexpectedResponse`, undecoded).
pub const START_SUCCESS: (&str, &str) = (
    "201",
    "decision start-answers: the spec documents 201, the provider's clients' tests \
     answer a start with 200; a start is never sent twice, so whichever 2xx it gets \
     must decode",
);

/// Applies [`START_SUCCESS`] to a spec (as JSON), and generates error
/// answers as ranges: a start documenting `201` (and no other 2xx) gets it
/// as `2XX`; in every operation, the `4xx` (and `5xx`) answers with the same
/// `content` become one `4XX` (`5XX`) answer whose description lists
/// theirs (a class whose answers differ stays as it is). Why the ranges:
/// every error answer of the spec has one body (`ErrorResponse`); as a
/// range it costs one decode arm in each generated method instead of one
/// per status (the library's compile: 7.3 -> 6.4 s), and an error status
/// the spec does not list is decoded as the listed ones are instead of
/// reported undecoded.
pub fn answer_ranges(spec: &mut serde_json::Value) {
    let Some(paths) = spec.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
        for op in item.values_mut().filter_map(|o| o.as_object_mut()) {
            let is_start = op
                .get("operationId")
                .and_then(|i| i.as_str())
                .is_some_and(|id| crate::model::method_name(id).ends_with("_start"));
            let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
                continue;
            };
            if is_start {
                group(responses, '2', &[START_SUCCESS.0]);
            }
            group(responses, '4', &[]);
            group(responses, '5', &[]);
        }
    }
}

/// Replaces the statuses of `class` (all of them, or only `only` when
/// given) by one range answer, when there is no other status of the class
/// and their answers have the same content.
fn group(responses: &mut serde_json::Map<String, serde_json::Value>, class: char, only: &[&str]) {
    let range = format!("{class}XX");
    let codes: Vec<String> = responses
        .keys()
        .filter(|k| k.len() == 3 && k.starts_with(class) && k.bytes().all(|b| b.is_ascii_digit()))
        .cloned()
        .collect();
    let content = |code: &String| responses[code].get("content");
    let Some(first) = codes.first() else {
        return;
    };
    if responses.contains_key(&range)
        || (!only.is_empty() && codes.iter().any(|c| !only.contains(&c.as_str())))
        || codes.iter().any(|c| content(c) != content(first))
    {
        return;
    }
    let mut answer = responses[first].clone();
    if codes.len() > 1 {
        let description = codes
            .iter()
            .map(|c| {
                let text = responses[c].get("description").and_then(|d| d.as_str());
                format!("{c}: {}", text.unwrap_or_default())
            })
            .collect::<Vec<_>>()
            .join(" ");
        answer["description"] = serde_json::Value::String(description);
    }
    for c in &codes {
        responses.remove(c);
    }
    responses.insert(range, answer);
}

/// Adds the schema `PersonalText` (a string, replaced by `crate::PersonalText`,
/// see [`REPLACED_SCHEMAS`]) and points every answer property named in
/// [`PERSONAL_FIELDS`] at it, keeping its description.
pub fn personal_fields(spec: &mut serde_json::Value) {
    let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if name.ends_with("Request") {
            continue;
        }
        let Some(props) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) else {
            continue;
        };
        for (prop, value) in props.iter_mut() {
            if PERSONAL_FIELDS.contains(&prop.as_str())
                && value.get("type").and_then(|t| t.as_str()) == Some("string")
            {
                let mut personal = serde_json::json!({
                    "allOf": [{ "$ref": "#/components/schemas/PersonalText" }]
                });
                if let Some(description) = value.get("description") {
                    personal["description"] = description.clone();
                }
                *value = personal;
            }
        }
    }
    schemas.insert(
        "PersonalText".to_string(),
        serde_json::json!({
            "type": "string",
            "description": "Personal data other than the personal number: never log or print it."
        }),
    );
}

/// The spec without the operations of `PRUNED_OPERATIONS` (nor empty paths).
// Only the build prunes (`cargo xtask` reads this file for the lists).
#[allow(dead_code)]
pub fn prune(mut spec: serde_json::Value, pruned: &[&str]) -> serde_json::Value {
    if let Some(paths) = spec.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
            item.retain(|_, op| !pruned.iter().any(|id| op["operationId"] == *id));
        }
        paths.retain(|_, item| crate::model::METHODS.iter().any(|m| item.get(m).is_some()));
    }
    spec
}

/// A `pattern` of the spec in the one shape the layer checks: a character
/// class repeated over the whole value (`^[^%<]*$`, `^[A-Z0-9]+$`). The
/// generated types do not check patterns ([`strip_patterns`]): typify
/// would compile each with the `regress` crate, a regular-expression engine
/// in every dependent's build for this one shape (a cold dependent build:
/// 7 % of its CPU time). `src/requests.rs` checks it instead.
#[derive(Debug, PartialEq)]
pub struct CharPattern {
    /// `[^…]`: the value must contain none of `ranges`.
    pub negated: bool,
    /// The class's characters, as inclusive ranges (`\d` is `0-9`).
    pub ranges: Vec<(char, char)>,
    /// `+` rather than `*`: the value must not be empty.
    pub non_empty: bool,
}

impl CharPattern {
    // Only the build words the rules (`cargo xtask` reads this file for the lint).
    #[allow(dead_code)]
    /// The rule in words, as an error states it: `must not contain `%` or
    /// `<``, `must be only `A`-`Z` or `0`-`9`, at least one`.
    pub fn rule(&self) -> String {
        let listed = self.listed();
        match (self.negated, self.non_empty) {
            (true, false) => format!("must not contain {listed}"),
            (true, true) => format!("must not be empty nor contain {listed}"),
            (false, false) => format!("must contain only {listed}"),
            (false, true) => format!("must not be empty and contain only {listed}"),
        }
    }

    #[allow(dead_code)]
    /// The rule in words, as a setter's documentation states it: `without
    /// `%` or `<``, `not empty, only `A`-`Z``.
    pub fn doc(&self) -> String {
        let listed = self.listed();
        match (self.negated, self.non_empty) {
            (true, false) => format!("without {listed}"),
            (true, true) => format!("not empty, without {listed}"),
            (false, false) => format!("only {listed}"),
            (false, true) => format!("not empty, only {listed}"),
        }
    }

    /// The class's characters in words: `` `%` or `<` ``.
    fn listed(&self) -> String {
        let items: Vec<String> = self
            .ranges
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    format!("`{}`", a.escape_debug())
                } else {
                    format!("`{}`-`{}`", a.escape_debug(), b.escape_debug())
                }
            })
            .collect();
        match items.as_slice() {
            [one] => one.clone(),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
            [] => String::new(),
        }
    }
}

/// Reads `pattern` as a [`CharPattern`]; any other shape is refused with
/// the reason (extend this reader, or check the field by hand).
pub fn char_pattern(pattern: &str) -> Result<CharPattern, String> {
    let unsupported = |why: &str| {
        Err(format!(
            "pattern `{pattern}`: {why}; the layer checks only `^[…]*$`, `^[^…]*$` and their `+` \
             forms (build/transforms.rs `char_pattern`)"
        ))
    };
    let Some(rest) = pattern.strip_prefix("^[") else {
        return unsupported("not a character class anchored at `^`");
    };
    let (negated, rest) = match rest.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let non_empty = if rest.ends_with("]*$") {
        false
    } else if rest.ends_with("]+$") {
        true
    } else {
        return unsupported("not one class repeated with `*` or `+` up to `$`");
    };
    // Each character of the class, and whether it was escaped; `None` is `\d`.
    let mut chars = rest[..rest.len() - 3].chars();
    let mut single: Vec<(Option<char>, bool)> = Vec::new();
    while let Some(c) = chars.next() {
        if c == ']' || c == '[' {
            return unsupported("a bracket inside the class must be escaped");
        }
        if c != '\\' {
            single.push((Some(c), false));
            continue;
        }
        match chars.next() {
            None => return unsupported("ends with `\\`"),
            Some('d') => single.push((None, true)),
            Some('n') => single.push((Some('\n'), true)),
            Some('r') => single.push((Some('\r'), true)),
            Some('t') => single.push((Some('\t'), true)),
            Some(c) if c.is_ascii_punctuation() || c == ' ' => single.push((Some(c), true)),
            Some(c) => return unsupported(&format!("the escape `\\{c}`")),
        }
    }
    // Ranges: `a-z` between two characters; a `-` first, last or escaped is itself.
    let mut ranges = Vec::new();
    let mut j = 0;
    while j < single.len() {
        match (single[j].0, single.get(j + 1), single.get(j + 2)) {
            (None, ..) => {
                ranges.push(('0', '9'));
                j += 1;
            }
            (Some(from), Some((Some('-'), false)), Some((Some(to), _))) => {
                if from > *to {
                    return unsupported(&format!("the range `{from}-{to}` is reversed"));
                }
                ranges.push((from, *to));
                j += 3;
            }
            (Some(c), ..) => {
                ranges.push((c, c));
                j += 1;
            }
        }
    }
    if ranges.is_empty() {
        return unsupported("the class is empty");
    }
    Ok(CharPattern {
        negated,
        ranges,
        non_empty,
    })
}

/// `name` as one token of a JSON pointer (RFC 6901: `~` → `~0`, `/` →
/// `~1`). The pointers [`strip_patterns`] reports and the ones the request
/// generator looks them up with are both written with it.
pub fn pointer_token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Removes every `pattern` from the schemas of `spec` (see [`CharPattern`]
/// for why) and returns the JSON pointer of each schema that had one, with
/// its pattern. `build.rs` makes sure the layer checks every one of them on
/// a request; an answer's pattern is not checked (a client does not refuse
/// what the service says for the shape of a text).
pub fn strip_patterns(spec: &mut serde_json::Value) -> Vec<(String, String)> {
    fn walk(v: &mut serde_json::Value, at: &mut String, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(p)) = map.get("pattern") {
                    out.push((at.clone(), p.clone()));
                    map.remove("pattern");
                }
                for (key, child) in map.iter_mut() {
                    if matches!(key.as_str(), "example" | "examples" | "default" | "enum") {
                        continue;
                    }
                    let len = at.len();
                    at.push('/');
                    at.push_str(&pointer_token(key));
                    walk(child, at, out);
                    at.truncate(len);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    let len = at.len();
                    at.push_str(&format!("/{i}"));
                    walk(child, at, out);
                    at.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(spec, &mut String::new(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_class_patterns_are_read_and_other_shapes_refused() {
        let p = char_pattern("^[^%<]*$").unwrap();
        assert_eq!(p.rule(), "must not contain `%` or `<`");
        assert_eq!(p.doc(), "without `%` or `<`");
        assert_eq!(
            p,
            CharPattern {
                negated: true,
                ranges: vec![('%', '%'), ('<', '<')],
                non_empty: false
            }
        );
        let p = char_pattern(r"^[A-Z\d_\-]+$").unwrap();
        assert_eq!(
            p.ranges,
            vec![('A', 'Z'), ('0', '9'), ('_', '_'), ('-', '-')]
        );
        assert!(!p.negated && p.non_empty);
        assert_eq!(
            p.rule(),
            "must not be empty and contain only `A`-`Z`, `0`-`9`, `_` or `-`"
        );
        assert_eq!(p.doc(), "not empty, only `A`-`Z`, `0`-`9`, `_` or `-`");
        // A `-` first or last is itself.
        assert_eq!(
            char_pattern("^[-a]*$").unwrap().ranges,
            vec![('-', '-'), ('a', 'a')]
        );
        assert_eq!(
            char_pattern("^[a-]*$").unwrap().ranges,
            vec![('a', 'a'), ('-', '-')]
        );
        for other in [
            "^[0-9]{4}$",
            "[a-z]*",
            "^[a-z]*",
            "^(a|b)$",
            r"^[\w]*$",
            "^[z-a]*$",
            "^[]*$",
            "^[^a]*$x",
        ] {
            let e = char_pattern(other).unwrap_err();
            assert!(
                e.contains(other) && e.contains("char_pattern"),
                "{other}: {e}"
            );
        }
    }

    #[test]
    fn every_pattern_is_removed_and_reported_where_it_was() {
        let mut spec = serde_json::json!({
            "components": { "schemas": {
                "A": { "type": "object", "properties": {
                    "text": { "type": "string", "pattern": "^[a]*$" },
                    "pattern": { "type": "string" },
                    "list": { "type": "array", "items": { "type": "string", "pattern": "^[b]*$" } }
                }, "example": { "pattern": "kept" } },
                "a/b": { "type": "string", "pattern": "^[c]*$" }
            } }
        });
        let mut found = strip_patterns(&mut spec);
        found.sort();
        assert_eq!(
            found,
            [
                (
                    "/components/schemas/A/properties/list/items".to_string(),
                    "^[b]*$".to_string()
                ),
                (
                    "/components/schemas/A/properties/text".to_string(),
                    "^[a]*$".to_string()
                ),
                ("/components/schemas/a~1b".to_string(), "^[c]*$".to_string()),
            ]
        );
        assert!(!spec.to_string().contains("^["));
        // A property named `pattern` and an example's text are not patterns.
        assert!(
            spec.pointer("/components/schemas/A/properties/pattern")
                .is_some()
        );
        assert_eq!(
            spec.pointer("/components/schemas/A/example/pattern"),
            Some(&serde_json::json!("kept"))
        );
    }
}
