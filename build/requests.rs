//! The request builders users type (`OUT_DIR/requests.rs`, included by
//! `src/requests.rs`): one struct per request body schema of a JSON
//! operation, with a setter per field that takes the field as people write
//! it (`&str`/`String`, `bool`, a plain integer, the enum, an iterator of
//! strings) and whose doc comment is the field's description and rules.
//!
//! A struct is named after its schema without the provider's prefix and
//! placed in that provider's module (`BankIdSeSignRequest` →
//! `bankid_se::SignRequest`); a schema used by several providers keeps its
//! name at the root (`AgeVerificationRequest`). A `oneOf` body gets a
//! builder per variant. The rules are not checked here: a request is
//! decoded into the generated progenitor type when it is sent, which runs
//! them (`src/requests.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

/// What the generator needs to know besides the spec.
pub struct Inputs<'a> {
    /// `(path segment, Rust name, display name)` of each provider.
    pub providers: &'a [crate::model::Provider],
    /// `(schema, Rust type, why)` replaced by hand-written types.
    pub replaced: &'a [(&'a str, &'a str, &'a str)],
    /// Operation ids left out of generation.
    pub pruned: &'a [&'a str],
}

/// One request schema and where its builder goes.
struct Target {
    schema: String,
    /// Module under `providers` (`bankid_se`), or `None` for the root.
    module: Option<String>,
    /// The struct's name (`SignRequest`).
    name: String,
    /// The operations that take it, for the doc.
    operations: Vec<String>,
}

/// The Rust source of every request builder, or the problems found.
pub fn generate(spec: &Value, inputs: &Inputs) -> Result<String, Vec<String>> {
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut problems = Vec::new();

    // Request schema → the provider segments of the operations taking it.
    let mut uses: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    // Operation id → its body's schemas (one, or a `oneOf`'s variants).
    let mut bodies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            if inputs.pruned.contains(&id) {
                continue;
            }
            let Some(reference) = op
                .pointer("/requestBody/content/application~1json/schema/$ref")
                .and_then(Value::as_str)
            else {
                continue;
            };
            let Some(schema) = reference.strip_prefix("#/components/schemas/") else {
                continue;
            };
            let segment = path
                .strip_prefix("/v3/")
                .and_then(|p| p.split('/').next())
                .unwrap_or_default()
                .to_string();
            // A oneOf body: a builder per variant.
            let variants: Vec<String> = schemas
                .get(schema)
                .and_then(|s| s.get("oneOf"))
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(|r| r.get("$ref").and_then(Value::as_str))
                        .filter_map(|r| r.strip_prefix("#/components/schemas/"))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_else(|| vec![schema.to_string()]);
            // Keyed as the table names the operation (its method name).
            bodies.insert(crate::model::method_name(id), variants.clone());
            for variant in variants {
                let entry = uses.entry(variant).or_default();
                if !entry.0.contains(&segment) {
                    entry.0.push(segment.clone());
                }
                entry.1.push(format!("`{} {path}`", method.to_uppercase()));
            }
        }
    }

    let mut targets = Vec::new();
    for (schema, (segments, operations)) in uses {
        let provider = match segments.as_slice() {
            [one] => inputs.providers.iter().find(|p| p.segment == one),
            _ => None,
        };
        let (module, name) = match provider {
            Some(p) => (
                Some(p.segment.replace('-', "_")),
                schema
                    .strip_prefix(p.variant)
                    .filter(|rest| !rest.is_empty())
                    .unwrap_or(&schema)
                    .to_string(),
            ),
            None => (None, schema.clone()),
        };
        targets.push(Target {
            schema,
            module,
            name,
            operations,
        });
    }

    let mut out = String::from(
        "// Generated by build.rs (build/requests.rs) from openapi.yaml: the request builders.\n\n",
    );
    let mut checked = BTreeSet::new();
    let mut modules: BTreeMap<Option<String>, Vec<&Target>> = BTreeMap::new();
    for t in &targets {
        modules.entry(t.module.clone()).or_default().push(t);
    }
    for (module, targets) in &modules {
        let mut body = String::new();
        let mut enums = Vec::new();
        for t in targets {
            match builder(t, &schemas, inputs, &mut enums, &mut checked) {
                Ok(code) => body.push_str(&code),
                Err(mut p) => problems.append(&mut p),
            }
        }
        match module {
            None => out.push_str(&body),
            Some(m) => {
                let display = inputs
                    .providers
                    .iter()
                    .find(|p| p.segment.replace('-', "_") == *m)
                    .map_or("", |p| p.name);
                let _ = writeln!(
                    out,
                    "/// The request builders of {display}.\npub mod {m} {{"
                );
                enums.sort();
                enums.dedup();
                for (path, short) in &enums {
                    let last = path.rsplit("::").next().unwrap_or(path);
                    if last == short {
                        let _ = writeln!(out, "    pub use {path};");
                    } else {
                        let _ = writeln!(out, "    pub use {path} as {short};");
                    }
                }
                out.push_str(&body);
                out.push_str("}\n\n");
            }
        }
    }
    // The checks of every JSON operation's body, for the simulator.
    let path_of = |schema: &str| {
        targets
            .iter()
            .find(|t| t.schema == schema)
            .map(|t| match &t.module {
                Some(m) => format!("{m}::{}", t.name),
                None => t.name.clone(),
            })
    };
    out.push_str(
        "/// How the body of each JSON operation is checked (a `oneOf` body: one\n\
         /// check per variant); empty for an operation without a JSON body.\n\
         pub(crate) fn body_checks(operation_id: &str) -> &'static [crate::requests::BodyCheck] {\n\
         \x20   use crate::requests::{BodyCheck, Request, check};\n\
         \x20   match operation_id {\n",
    );
    for (id, schemas) in &bodies {
        let checks: Vec<String> = schemas
            .iter()
            .filter_map(|schema| path_of(schema))
            .map(|path| {
                format!(
                    "BodyCheck {{ fields: <{path} as Request>::RULES, required: <{path} as Request>::REQUIRED, check: check::<{path}> }}"
                )
            })
            .collect();
        let _ = writeln!(out, "        {id:?} => &[{}],", checks.join(", "));
    }
    out.push_str("        _ => &[],\n    }\n}\n");
    let roots: Vec<String> = targets.iter().map(|t| t.schema.clone()).collect();
    problems.extend(unchecked_patterns(&schemas, &roots, &checked));
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// What a property is, as the setter takes it.
enum Kind {
    /// Any string (`impl Into<String>`).
    Text,
    /// A personal number (`impl Into<PersonalNumber>`).
    PersonalNumber,
    Bool,
    /// An integer; `true` when it cannot be negative.
    Integer(bool),
    /// An array of strings.
    Texts,
    /// A generated (or replacing) type: its Rust path and an example value
    /// (as users write it).
    Typed {
        path: String,
        example: String,
    },
}

struct Field {
    wire: String,
    rust: String,
    kind: Kind,
    description: String,
    rules: Vec<Rule>,
    required: bool,
    min_items: Option<u64>,
    /// The field's patterns, checked by `src/requests.rs` (the generated
    /// types do not, `transforms::strip_patterns`): where the spec has it
    /// (a JSON pointer), the pattern, whether it is each item's.
    patterns: Vec<(String, String, bool)>,
}

fn resolve<'a>(schema: &'a Value, schemas: &'a serde_json::Map<String, Value>) -> Option<&'a str> {
    let reference = schema.get("$ref").and_then(Value::as_str).or_else(|| {
        schema
            .get("allOf")
            .and_then(Value::as_array)
            .filter(|a| a.len() == 1)
            .and_then(|a| a[0].get("$ref"))
            .and_then(Value::as_str)
    })?;
    let name = reference.strip_prefix("#/components/schemas/")?;
    schemas.contains_key(name).then_some(name)
}

fn text_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A rule of a field: how the doc says it, and how an error says it
/// (`None`: doc only, e.g. a default).
type Rule = (String, Option<String>);

fn rule(doc: String, error: String) -> Rule {
    (doc, Some(error))
}

/// The rules of a string or number schema, in words.
fn rules_of(schema: &Value, out: &mut Vec<Rule>) {
    let n = |k: &str| schema.get(k).and_then(Value::as_u64);
    let length = match (n("minLength"), n("maxLength")) {
        (Some(1), Some(max)) => Some(format!("1 to {max} characters")),
        (Some(min), Some(max)) => Some(format!("{min} to {max} characters")),
        (Some(1), None) => Some("not empty".to_string()),
        (Some(min), None) => Some(format!("at least {min} characters")),
        (None, Some(max)) => Some(format!("at most {max} characters")),
        (None, None) => None,
    };
    if let Some(length) = length {
        let error = if length == "not empty" {
            "must not be empty".to_string()
        } else {
            format!("must be {length}")
        };
        out.push(rule(length, error));
    }
    if let Some(p) = text_of(schema, "pattern") {
        // In words when the layer can read it (else generation fails, see
        // `unchecked_patterns`).
        let (doc, error) = match crate::transforms::char_pattern(&p) {
            Ok(c) => (c.doc(), c.rule()),
            Err(_) => (format!("must match `{p}`"), format!("must match `{p}`")),
        };
        out.push(rule(format!("{doc} (`{p}`)"), error));
    }
    if let Some(min) = schema.get("minimum").and_then(Value::as_i64) {
        out.push(rule(
            format!("at least {min}"),
            format!("must be at least {min}"),
        ));
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_i64) {
        out.push(rule(
            format!("at most {max}"),
            format!("must be at most {max}"),
        ));
    }
    if schema.get("format").and_then(Value::as_str) == Some("uri") {
        out.push(rule(
            "an absolute URL".into(),
            "must be an absolute URL".into(),
        ));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values
            .iter()
            .filter_map(Value::as_str)
            .map(|v| format!("`{v}`"))
            .collect();
        let list = names.join(", ");
        out.push(rule(
            format!("one of {list}"),
            format!("must be one of {list}"),
        ));
    }
}

fn pascal(value: &str) -> String {
    use heck::ToUpperCamelCase;
    value.to_upper_camel_case()
}

#[allow(clippy::too_many_arguments)]
fn field(
    wire: &str,
    at: &str,
    prop: &Value,
    required: bool,
    module: Option<&str>,
    schemas: &serde_json::Map<String, Value>,
    inputs: &Inputs,
    enums: &mut Vec<(String, String)>,
) -> Result<Field, String> {
    use heck::ToSnakeCase;
    let mut rules = Vec::new();
    let mut description = text_of(prop, "description").unwrap_or_default();
    let mut min_items = None;
    let mut patterns = Vec::new();
    let mut pattern = |at: String, schema: &Value, each: bool| {
        if let Some(p) = text_of(schema, "pattern") {
            patterns.push((at, p, each));
        }
    };
    let kind = if let Some(name) = resolve(prop, schemas) {
        let target = &schemas[name];
        pattern(
            format!(
                "/components/schemas/{}",
                crate::transforms::pointer_token(name)
            ),
            target,
            false,
        );
        if description.is_empty() {
            description = text_of(target, "description").unwrap_or_default();
        }
        rules_of(target, &mut rules);
        let replaced = inputs.replaced.iter().find(|r| r.0 == name);
        if name == "PersonalNumber" {
            Kind::PersonalNumber
        } else if target.get("enum").is_some()
            || target.get("type").and_then(Value::as_str) == Some("object")
        {
            let (path, short) = match replaced {
                Some((_, rust, _)) => {
                    let last = rust.rsplit("::").next().unwrap_or(rust);
                    (rust.to_string(), last.to_string())
                }
                None => (format!("crate::raw::types::{name}"), name.to_string()),
            };
            // Re-exported in the provider's module without the provider's
            // prefix (`FrejaRegistrationLevel` → `freja::RegistrationLevel`).
            let short = inputs
                .providers
                .iter()
                .find_map(|p| {
                    short
                        .strip_prefix(p.variant)
                        .filter(|rest| !rest.is_empty())
                })
                .unwrap_or(&short)
                .to_string();
            let public = match module {
                Some(m) => format!("identisure::providers::{m}::{short}"),
                None => format!("identisure::raw::types::{name}"),
            };
            let example = match target
                .get("enum")
                .and_then(Value::as_array)
                .and_then(|v| v.first())
                .and_then(Value::as_str)
            {
                Some(first) => format!("{public}::{}", pascal(first)),
                None => format!("{public}::default()"),
            };
            enums.push((path.clone(), short));
            Kind::Typed { path, example }
        } else if target.get("type").and_then(Value::as_str) == Some("string") {
            Kind::Text
        } else {
            return Err(format!(
                "request field `{wire}`: `$ref` to `{name}`, which is neither a string, an enum nor an object"
            ));
        }
    } else {
        rules_of(prop, &mut rules);
        pattern(at.to_string(), prop, false);
        match prop.get("type").and_then(Value::as_str) {
            Some("string") => Kind::Text,
            Some("boolean") => Kind::Bool,
            Some("integer") => Kind::Integer(
                prop.get("minimum")
                    .and_then(Value::as_i64)
                    .is_some_and(|m| m >= 0),
            ),
            Some("array")
                if prop.pointer("/items/type").and_then(Value::as_str) == Some("string") =>
            {
                min_items = prop.get("minItems").and_then(Value::as_u64);
                if let Some(n) = min_items {
                    let items = if n == 1 { "item" } else { "items" };
                    rules.push(rule(
                        format!("at least {n} {items}"),
                        format!("must have at least {n} {items}"),
                    ));
                }
                if let Some(items) = prop.get("items") {
                    pattern(format!("{at}/items"), items, true);
                    let mut item_rules = Vec::new();
                    rules_of(items, &mut item_rules);
                    for (doc, error) in item_rules {
                        rules.push((format!("each {doc}"), error.map(|e| format!("each {e}"))));
                    }
                }
                Kind::Texts
            }
            other => {
                return Err(format!(
                    "request field `{wire}`: type {other:?} has no setter kind in build/requests.rs"
                ));
            }
        }
    };
    if let Some(default) = prop.get("default") {
        let shown = default
            .as_str()
            .map_or_else(|| default.to_string(), str::to_string);
        rules.push((format!("default `{shown}`"), None));
    }
    let mut rust = wire.to_snake_case();
    if matches!(rust.as_str(), "type" | "match" | "ref" | "move" | "self") {
        rust.push('_');
    }
    Ok(Field {
        wire: wire.to_string(),
        rust,
        kind,
        description,
        rules,
        required,
        min_items,
        patterns,
    })
}

/// An example value of a field, as Rust source (for the doc examples).
fn example(f: &Field, module: Option<&str>) -> String {
    match &f.kind {
        Kind::Bool => "true".into(),
        Kind::Integer(_) => "18".into(),
        Kind::Texts => "[\"doc-1\"]".into(),
        Kind::Typed { example, .. } => example.clone(),
        Kind::PersonalNumber => match module {
            Some("bankid_no" | "vipps") => "\"18039040049\"".into(),
            Some("mitid") => "\"2409911238\"".into(),
            Some("ftn") => "\"230586-264K\"".into(),
            _ => "\"198704122384\"".into(),
        },
        Kind::Text => {
            let value = match f.wire.as_str() {
                "callbackUrl" => "https://rp.example/identisure/callback",
                "redirectUrl" => "https://rp.example/done",
                "appCallbackUri" => "rpapp://identisure/done",
                "refId" => "order-17",
                "intent" => "Log in to Example",
                "text" => "I agree to the terms",
                "referenceText" => "Log in to Example",
                "digest" => "c2hhLTI1NiBkaWdlc3Q=",
                "ipAddress" => "192.0.2.1",
                "orgNumber" => "5560160680",
                "country" => "SWEDEN",
                "qrCode" => "the scanned content",
                _ => "value",
            };
            format!("{value:?}")
        }
    }
}

fn doc(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        if line.is_empty() {
            let _ = writeln!(out, "{indent}///");
        } else {
            let _ = writeln!(out, "{indent}/// {line}");
        }
    }
}

fn builder(
    t: &Target,
    schemas: &serde_json::Map<String, Value>,
    inputs: &Inputs,
    enums: &mut Vec<(String, String)>,
    checked: &mut BTreeSet<String>,
) -> Result<String, Vec<String>> {
    let schema = &schemas[&t.schema];
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut fields = Vec::new();
    let mut problems = Vec::new();
    for (wire, prop) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let required = required.contains(&wire.as_str());
        let at = format!(
            "/components/schemas/{}/properties/{}",
            crate::transforms::pointer_token(&t.schema),
            crate::transforms::pointer_token(wire)
        );
        match field(
            wire,
            &at,
            prop,
            required,
            t.module.as_deref(),
            schemas,
            inputs,
            enums,
        ) {
            Ok(f) => fields.push(f),
            Err(p) => problems.push(format!("{}: {p}", t.schema)),
        }
    }
    let mut patterns = Vec::new();
    for f in &fields {
        for (at, text, each) in &f.patterns {
            match crate::transforms::char_pattern(text) {
                Ok(p) => {
                    checked.insert(at.clone());
                    let ranges: Vec<String> = p
                        .ranges
                        .iter()
                        .map(|(a, b)| format!("({a:?}, {b:?})"))
                        .collect();
                    patterns.push(format!(
                        "crate::requests::Pattern {{ field: {:?}, rule: {:?}, each: {each}, negated: {}, ranges: &[{}], non_empty: {} }}",
                        f.wire,
                        p.rule(),
                        p.negated,
                        ranges.join(", "),
                        p.non_empty
                    ));
                }
                Err(e) => problems.push(format!("{}.{}: {e}", t.schema, f.wire)),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Required fields first, then in the spec's order.
    fields.sort_by_key(|f| !f.required);

    let ind = if t.module.is_some() { "    " } else { "" };
    let path = match &t.module {
        Some(m) => format!("identisure::providers::{m}::{}", t.name),
        None => format!("identisure::providers::{}", t.name),
    };
    let module = t.module.as_deref();
    let name = &t.name;
    let mut out = String::new();

    // The struct.
    let mut text = text_of(schema, "description").unwrap_or_default();
    let _ = write!(
        text,
        "\n\nThe body of {}. Set fields with the methods below; the rules \
         (listed on each) are checked when the request is sent, and a \
         request breaking one is refused with `Error::InvalidRequest` \
         naming the field, before anything leaves.",
        t.operations.join(", ")
    );
    let needed: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
    if needed.is_empty() {
        text.push_str(" Every field is optional.");
    } else {
        let names: Vec<String> = needed.iter().map(|f| format!("`{}`", f.rust)).collect();
        let _ = write!(text, " Required: {}.", names.join(", "));
    }
    let chain: String = needed
        .iter()
        .map(|f| format!(".{}({})", f.rust, example(f, module)))
        .collect();
    let _ = write!(
        text,
        "\n\n```\nlet request = {path}::default(){chain};\n# let _ = request;\n```"
    );
    doc(&mut out, ind, &text);
    let _ = writeln!(out, "{ind}#[derive(Clone, Default, PartialEq)]");
    let _ = writeln!(out, "{ind}pub struct {name} {{");
    for f in &fields {
        let ty = match &f.kind {
            Kind::Text => "::std::string::String".to_string(),
            Kind::PersonalNumber => "crate::PersonalNumber".to_string(),
            Kind::Bool => "bool".to_string(),
            Kind::Integer(true) => "u64".to_string(),
            Kind::Integer(false) => "i64".to_string(),
            Kind::Texts => "::std::vec::Vec<::std::string::String>".to_string(),
            Kind::Typed { path, .. } => path.clone(),
        };
        let _ = writeln!(out, "{ind}    {}: ::std::option::Option<{ty}>,", f.rust);
    }
    let _ = writeln!(out, "{ind}}}\n");

    // The setters.
    let _ = writeln!(out, "{ind}impl {name} {{");
    for f in &fields {
        let mut text = f.description.trim().to_string();
        let mut rules = Vec::new();
        if f.required {
            rules.push("required".to_string());
        }
        rules.extend(f.rules.iter().map(|(doc, _)| doc.clone()));
        if !rules.is_empty() {
            let mut line = rules.join("; ");
            line[..1].make_ascii_uppercase();
            let _ = write!(text, "\n\n{line}.");
        }
        if matches!(f.kind, Kind::PersonalNumber) {
            text.push_str(
                "\n\nPersonal data: a `String`, a `&str`, a `PersonalNumber` or a \
                 checked number of `identisure::national_id`; never printed by `Debug`.",
            );
        }
        let other_required: String = needed
            .iter()
            .filter(|n| n.wire != f.wire)
            .map(|n| format!(".{}({})", n.rust, example(n, module)))
            .collect();
        let _ = write!(
            text,
            "\n\n```\nlet request = {path}::default(){other_required}.{}({});\n# let _ = request;\n```",
            f.rust,
            example(f, module)
        );
        doc(&mut out, &format!("{ind}    "), &text);
        let (param, store) = match &f.kind {
            Kind::Text => (
                "impl ::std::convert::Into<::std::string::String>".to_string(),
                "value.into()",
            ),
            Kind::PersonalNumber => (
                "impl ::std::convert::Into<crate::PersonalNumber>".to_string(),
                "value.into()",
            ),
            Kind::Bool => ("bool".to_string(), "value"),
            Kind::Integer(true) => ("u64".to_string(), "value"),
            Kind::Integer(false) => ("i64".to_string(), "value"),
            Kind::Texts => (
                "impl ::std::iter::IntoIterator<Item = impl ::std::convert::Into<::std::string::String>>"
                    .to_string(),
                "value.into_iter().map(::std::convert::Into::into).collect()",
            ),
            Kind::Typed { path, .. } => (path.clone(), "value"),
        };
        let _ = writeln!(
            out,
            "{ind}    pub fn {}(mut self, value: {param}) -> Self {{\n{ind}        self.{} = ::std::option::Option::Some({store});\n{ind}        self\n{ind}    }}\n",
            f.rust, f.rust
        );
        // The same from an `Option` (AWS SDK style): for a value you may not have.
        let concrete = match &f.kind {
            Kind::Text => "::std::string::String".to_string(),
            Kind::PersonalNumber => "crate::PersonalNumber".to_string(),
            Kind::Bool => "bool".to_string(),
            Kind::Integer(true) => "u64".to_string(),
            Kind::Integer(false) => "i64".to_string(),
            Kind::Texts => "::std::vec::Vec<::std::string::String>".to_string(),
            Kind::Typed { path, .. } => path.clone(),
        };
        let sample = match &f.kind {
            Kind::Text | Kind::PersonalNumber => format!(
                "{}.map(::std::convert::Into::into)",
                "std::env::var(\"EXAMPLE\").ok()"
            ),
            _ => "None".to_string(),
        };
        let text = format!(
            "Sets [`Self::{}`] from an `Option`: `None` leaves the field out.\n\n```\nlet request = {path}::default(){other_required}.set_{}({});\n# let _ = request;\n```",
            f.rust,
            f.rust,
            sample.replace("::std::convert::Into::into", "Into::into"),
        );
        doc(&mut out, &format!("{ind}    "), &text);
        let _ = writeln!(
            out,
            "{ind}    pub fn set_{}(mut self, value: ::std::option::Option<{concrete}>) -> Self {{\n{ind}        self.{} = value;\n{ind}        self\n{ind}    }}\n",
            f.rust, f.rust
        );
    }
    let _ = writeln!(out, "{ind}}}\n");

    // Debug: which fields are set, never a text's content.
    let _ = writeln!(
        out,
        "{ind}impl ::std::fmt::Debug for {name} {{\n{ind}    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{\n{ind}        let mut s = f.debug_struct({name:?});"
    );
    for f in &fields {
        let shown = match f.kind {
            Kind::Text => "&crate::requests::Chars(v.chars().count())",
            Kind::Texts => "&crate::requests::Items(v.len())",
            _ => "v",
        };
        let _ = writeln!(
            out,
            "{ind}        if let ::std::option::Option::Some(v) = &self.{} {{ s.field({:?}, {shown}); }}",
            f.rust, f.rust
        );
    }
    let _ = writeln!(
        out,
        "{ind}        s.finish_non_exhaustive()\n{ind}    }}\n{ind}}}\n"
    );

    // The wire form and the typed request.
    let _ = writeln!(
        out,
        "{ind}impl crate::requests::Request for {name} {{\n{ind}    type Typed = crate::raw::types::{};\n{ind}    const RULES: &'static [(&'static str, &'static str)] = &[{}];\n{ind}    const MIN_ITEMS: &'static [(&'static str, usize)] = &[{}];\n{ind}    const PATTERNS: &'static [crate::requests::Pattern] = &[{}];\n{ind}    const REQUIRED: &'static [&'static str] = &[{}];\n{ind}    fn fields(&self) -> ::serde_json::Map<::std::string::String, ::serde_json::Value> {{\n{ind}        let mut map = ::serde_json::Map::new();",
        t.schema,
        fields
            .iter()
            .map(|f| {
                let mut rules = Vec::new();
                if f.required {
                    rules.push("is required".to_string());
                }
                rules.extend(f.rules.iter().filter_map(|(_, error)| error.clone()));
                format!("({:?}, {:?})", f.wire, rules.join("; "))
            })
            .collect::<Vec<_>>()
            .join(", "),
        fields
            .iter()
            .filter_map(|f| f.min_items.map(|n| format!("({:?}, {n})", f.wire)))
            .collect::<Vec<_>>()
            .join(", "),
        patterns.join(", "),
        fields
            .iter()
            .filter(|f| f.required)
            .map(|f| format!("{:?}", f.wire))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for f in &fields {
        let _ = writeln!(
            out,
            "{ind}        if let ::std::option::Option::Some(v) = &self.{} {{ map.insert({:?}.into(), crate::requests::json(v)); }}",
            f.rust, f.wire
        );
    }
    let _ = writeln!(out, "{ind}        map\n{ind}    }}\n{ind}}}\n");
    let _ = writeln!(
        out,
        "{ind}/// The builder of an already typed request.\n{ind}impl ::std::convert::From<crate::raw::types::{}> for {name} {{\n{ind}    fn from(typed: crate::raw::types::{}) -> Self {{\n{ind}        let wire = crate::requests::json(&typed);\n{ind}        Self {{",
        t.schema, t.schema
    );
    for f in &fields {
        let _ = writeln!(
            out,
            "{ind}            {}: wire.get({:?}).and_then(|v| ::serde_json::from_value(v.clone()).ok()),",
            f.rust, f.wire
        );
    }
    let _ = writeln!(out, "{ind}        }}\n{ind}    }}\n{ind}}}\n");
    let _ = writeln!(
        out,
        "{ind}/// Checks the request's rules and builds the generated type (what\n{ind}/// [`crate::raw`] takes).\n{ind}impl ::std::convert::TryFrom<{name}> for crate::raw::types::{} {{\n{ind}    type Error = crate::Error;\n{ind}    fn try_from(request: {name}) -> crate::Result<Self> {{\n{ind}        crate::requests::typed(&request)\n{ind}    }}\n{ind}}}\n",
        t.schema
    );
    Ok(out)
}

/// A problem for each pattern in a schema a request body reaches (`roots`
/// and what they name by `$ref`) that no field
/// check covers: generation drops every pattern (`transforms::strip_patterns`),
/// so one the layer does not check would be silently lost.
fn unchecked_patterns(
    schemas: &serde_json::Map<String, Value>,
    roots: &[String],
    checked: &BTreeSet<String>,
) -> Vec<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(Value::as_str)
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    out.push(name.to_string());
                }
                map.values().for_each(|c| refs(c, out));
            }
            Value::Array(items) => items.iter().for_each(|c| refs(c, out)),
            _ => {}
        }
    }
    let mut reached: BTreeSet<String> = BTreeSet::new();
    let mut todo = roots.to_vec();
    while let Some(name) = todo.pop() {
        if let Some(schema) = schemas.get(&name)
            && reached.insert(name)
        {
            refs(schema, &mut todo);
        }
    }
    let mut problems = Vec::new();
    for name in &reached {
        let mut spec = serde_json::json!({ "components": { "schemas": { name.clone(): schemas[name].clone() } } });
        for (at, pattern) in crate::transforms::strip_patterns(&mut spec) {
            if !checked.contains(&at) {
                problems.push(format!(
                    "`{at}`: the pattern `{pattern}` is in a request but not on a field of its \
                     body, its items or a string schema it names, the only places \
                     src/requests.rs checks one (generation drops every pattern)"
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(reference_text: Value, nested: Value) -> Value {
        serde_json::json!({
            "paths": { "/v3/mitid/auth": { "post": {
                "operationId": "mitidAuth",
                "requestBody": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/MitIdAuthRequest" } } } }
            } } },
            "components": { "schemas": {
                "MitIdAuthRequest": { "type": "object", "properties": {
                    "referenceText": reference_text,
                    "options": { "$ref": "#/components/schemas/MitIdOptions" }
                } },
                "MitIdOptions": { "type": "object", "properties": { "note": nested } }
            } }
        })
    }

    fn generate_with(spec: &Value) -> Result<String, Vec<String>> {
        let inputs = Inputs {
            providers: crate::transforms::PROVIDERS,
            replaced: &[],
            pruned: &[],
        };
        generate(spec, &inputs)
    }

    #[test]
    fn a_fields_pattern_becomes_a_check_of_the_layer() {
        let text = serde_json::json!({ "type": "string", "pattern": "^[^%<]*$" });
        let plain = serde_json::json!({ "type": "string" });
        let source = generate_with(&spec(text, plain)).unwrap();
        assert!(
            source.contains(r#"crate::requests::Pattern { field: "referenceText", rule: "must not contain `%` or `<`", each: false, negated: true, ranges: &[('%', '%'), ('<', '<')], non_empty: false }"#),
            "{source}"
        );
    }

    #[test]
    fn a_pattern_the_layer_cannot_check_fails_generation() {
        // Nested in an object the body names: generation would drop it unchecked.
        let plain = serde_json::json!({ "type": "string" });
        let nested = serde_json::json!({ "type": "string", "pattern": "^[a-z]*$" });
        let problems = generate_with(&spec(plain.clone(), nested)).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("/components/schemas/MitIdOptions/properties/note"),
            "{problems:?}"
        );
        // A shape other than a character class.
        let digits = serde_json::json!({ "type": "string", "pattern": "^[0-9]{4}$" });
        let problems = generate_with(&spec(digits, plain)).unwrap_err();
        assert!(
            problems[0].starts_with("MitIdAuthRequest.referenceText: pattern `^[0-9]{4}$`"),
            "{problems:?}"
        );
    }
}
