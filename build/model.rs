//! The spec as generation sees it, one model for `build.rs` (which writes it
//! out as the operation table) and `cargo xtask` (whose lint and change
//! report read it; included there with `#[path]`): every operation with the
//! name of its generated method, the providers, and the flows.
//!
//! A flow is found by operationId: `<provider>_<flow>_start` starts it, and
//! its sessions are collected by `<provider>_<family>_collect` (required)
//! and cancelled by `<provider>_<family>_cancel` (optional: the API may have
//! no cancel for a flow), where the family is the flow without a `phone_`
//! or `backchannel_` prefix. Ids are read through [`method_name`], so
//! camelCase ids work as progenitor names their methods.

use openapiv3::{OpenAPI, ReferenceOr};

/// A provider, as `build/transforms.rs` declares it: what the spec does not
/// say about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provider {
    /// The first path segment after `/v3/`, e.g. `bankid-se`.
    pub segment: &'static str,
    /// The Rust name of its `Provider` variant.
    pub variant: &'static str,
    /// The name people know it by.
    pub name: &'static str,
    /// The shorter name a login page shows.
    pub label: &'static str,
    /// The `national_id::Country` variant of its people's numbers.
    pub country: &'static str,
    /// Whether its logins send the user to its own page (a `url`), not to
    /// an app by QR code or autostart link.
    pub redirects: bool,
}

impl Provider {
    /// The entry of one provider, in the order of the fields.
    pub const fn new(
        [segment, variant, name, label, country]: [&'static str; 5],
        redirects: bool,
    ) -> Self {
        Provider {
            segment,
            variant,
            name,
            label,
            country,
            redirects,
        }
    }
}

/// The methods of a path item, in the order of the spec's normal form.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of the spec, as written.
pub struct Operation<'a> {
    /// Lowercase, e.g. `post`.
    pub method: &'static str,
    pub path: &'a str,
    pub op: &'a openapiv3::Operation,
}

impl<'a> Operation<'a> {
    /// The operationId as written.
    pub fn id(&self) -> Option<&'a str> {
        self.op.operation_id.as_deref()
    }

    /// `POST /v3/…`, for messages.
    pub fn here(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

/// Every operation, in the order of the spec (`$ref` path items skipped).
pub fn operations(spec: &OpenAPI) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    for (path, item) in spec.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        let ops = [
            &item.get,
            &item.put,
            &item.post,
            &item.delete,
            &item.options,
            &item.head,
            &item.patch,
            &item.trace,
        ];
        for (method, op) in METHODS.into_iter().zip(ops) {
            if let Some(op) = op {
                out.push(Operation { method, path, op });
            }
        }
    }
    out
}

/// The name progenitor 0.15 gives the method of an operationId (its
/// `sanitize(id, Case::Snake)`): `'` dropped, other characters that cannot
/// continue an identifier made `-`, snake_case by heck, `_` before a leading
/// digit, `_` after a keyword. The table's names, the lint and the coverage
/// check of `cargo xtask check` all use this one rule.
pub fn method_name(operation_id: &str) -> String {
    use heck::ToSnakeCase;
    let mut name = match operation_id {
        "+1" => "plus1".to_string(),
        "-1" => "minus1".to_string(),
        id => id
            .replace('\'', "")
            .replace(|c: char| !(c.is_alphanumeric() || c == '_'), "-")
            .to_snake_case(),
    };
    match name.chars().next() {
        None => name = "x".into(),
        Some(c) if c.is_alphabetic() => {}
        Some(_) => name.insert(0, '_'),
    }
    const KEYWORDS: &[&str] = &[
        "_", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
        "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
        "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv",
        "pub", "ref", "return", "Self", "self", "static", "struct", "super", "trait", "true",
        "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
    ];
    if KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// An operation of the table.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// Its method name ([`method_name`]).
    pub name: String,
    /// Lowercase, e.g. `post`.
    pub method: &'static str,
    pub path: String,
    /// The schema (of `components`) its success answer names, e.g.
    /// `BankIdSePending`: the first 2xx with an `application/json` `$ref`.
    pub answer: Option<String>,
}

/// A flow: a start and the operations of its sessions (by method name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub provider: Provider,
    /// e.g. `phone_sign`.
    pub name: String,
    /// The flow its sessions belong to, e.g. `sign`.
    pub family: String,
    pub start: String,
    pub collect: String,
    pub cancel: Option<String>,
}

/// The operation table: every operation, the providers in use, the flows.
#[derive(Debug, Default)]
pub struct Table {
    /// Ordered by name.
    pub operations: Vec<Entry>,
    /// In the order of the providers given to [`table`].
    pub providers: Vec<Provider>,
    /// Ordered by start.
    pub flows: Vec<Flow>,
}

/// The schema named by the first 2xx answer (or `2XX`) of `op` with an
/// `application/json` `$ref` to `components`.
fn answer_schema(op: &openapiv3::Operation) -> Option<String> {
    op.responses
        .responses
        .iter()
        .filter(|(code, _)| {
            use openapiv3::StatusCode::{Code, Range};
            matches!(code, Code(200..=299) | Range(2))
        })
        .find_map(|(_, response)| match response {
            ReferenceOr::Item(r) => match r.content.get("application/json")?.schema.as_ref()? {
                ReferenceOr::Reference { reference } => reference
                    .strip_prefix("#/components/schemas/")
                    .map(str::to_string),
                ReferenceOr::Item(_) => None,
            },
            ReferenceOr::Reference { .. } => None,
        })
}

/// The provider segment of a path: `bankid-se` of `/v3/bankid-se/auth`.
pub fn segment(path: &str) -> Option<&str> {
    path.strip_prefix("/v3/").and_then(|p| p.split('/').next())
}

/// The table of a spec, with the problems that kept parts of it out (an
/// operation without an id, two ids for one method name, an unknown
/// provider, a start without a collect …). `build.rs` refuses to write a
/// table with problems; the lint reports them.
pub fn table(spec: &OpenAPI, providers: &[Provider]) -> (Table, Vec<String>) {
    let mut problems = Vec::new();
    let mut t = Table::default();
    let mut seen: Vec<(String, String, String)> = Vec::new();
    for op in operations(spec) {
        let Some(id) = op.id() else {
            problems.push(format!(
                "{}: no operationId (method names come from it)",
                op.here()
            ));
            continue;
        };
        let name = method_name(id);
        if let Some((first_id, _, first)) = seen.iter().find(|(_, n, _)| *n == name) {
            problems.push(if first_id == id {
                format!("{}: operationId `{id}` is already used by {first}", op.here())
            } else {
                format!(
                    "{}: operationId `{id}` gives the method `{name}`, as `{first_id}` of {first} does",
                    op.here()
                )
            });
            continue;
        }
        seen.push((id.to_string(), name.clone(), op.here()));
        t.operations.push(Entry {
            name,
            method: op.method,
            path: op.path.to_string(),
            answer: answer_schema(op.op),
        });
    }
    t.operations.sort();

    for p in providers {
        if t.operations
            .iter()
            .any(|o| segment(&o.path) == Some(p.segment))
        {
            t.providers.push(*p);
        }
    }
    let mut unknown: Vec<&str> = t
        .operations
        .iter()
        .filter_map(|o| segment(&o.path))
        .filter(|s| !providers.iter().any(|p| p.segment == *s))
        .collect();
    unknown.sort();
    unknown.dedup();
    for s in unknown {
        problems.push(format!(
            "paths under `/v3/{s}/` name a provider the table does not know: add it to \
             PROVIDERS in build/transforms.rs with its Rust name"
        ));
    }

    let has = |name: &str| t.operations.iter().any(|o| o.name == name);
    for op in &t.operations {
        let Some(flow) = op.name.strip_suffix("_start") else {
            continue;
        };
        let start = &op.name;
        let Some(provider) =
            segment(&op.path).and_then(|s| t.providers.iter().find(|p| p.segment == s))
        else {
            problems.push(format!(
                "start operation `{start}` is not under /v3/<provider>/"
            ));
            continue;
        };
        let prefix = format!("{}_", provider.segment.replace('-', "_"));
        let Some(name) = flow.strip_prefix(&prefix) else {
            problems.push(format!(
                "start operation `{start}`: its operationId does not begin with `{prefix}`"
            ));
            continue;
        };
        let family = name
            .strip_prefix("phone_")
            .or_else(|| name.strip_prefix("backchannel_"))
            .unwrap_or(name);
        let (collect, cancel) = (
            format!("{prefix}{family}_collect"),
            format!("{prefix}{family}_cancel"),
        );
        if !has(&collect) {
            problems.push(format!(
                "start operation `{start}` has no `{collect}` to follow its sessions"
            ));
            continue;
        }
        // The client sends a start and its collect with their generated
        // methods and decodes their answers as the family's types, which
        // it finds by these schemas' names.
        let answer_of = |name: &str| {
            t.operations
                .iter()
                .find(|o| o.name == name)
                .and_then(|o| o.answer.clone())
        };
        for (what, name) in [("start", start), ("collect", &collect)] {
            if answer_of(name).is_none() {
                problems.push(format!(
                    "{what} operation `{name}`: no success answer names a schema \
                     (`$ref: '#/components/schemas/…'` under a 2xx `application/json`); the \
                     client decodes it as its family's type, found by that name"
                ));
            }
        }
        t.flows.push(Flow {
            provider: *provider,
            name: name.to_string(),
            family: family.to_string(),
            start: start.clone(),
            collect,
            cancel: has(&cancel).then_some(cancel),
        });
    }
    (t, problems)
}
