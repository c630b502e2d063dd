//! Compares two OpenAPI documents and lists what changed, each change
//! classified for a client of the API (the rules are in MAINTAINING.md).
//!
//! Direction matters: a schema reachable from a request body or parameter is a
//! *request* schema (we send it), one reachable from a response is a
//! *response* schema (we parse it); a schema used both ways gets the stricter
//! verdict of the two.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_norway::Value;

use crate::normalize::METHODS;

/// The kind of a change, which decides its marker in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `+`: a new operation.
    Added,
    /// `-`: an operation is gone (breaking).
    Removed,
    /// `!`: breaking for code written against the old spec.
    Breaking,
    /// `~`: compatible (new optional field, relaxed constraint, docs, …).
    Compatible,
}

/// One line of the change report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// What kind of change it is.
    pub kind: Kind,
    /// The line without its marker.
    pub text: String,
}

impl Change {
    /// Whether this change forces a breaking release.
    pub fn is_breaking(&self) -> bool {
        matches!(self.kind, Kind::Removed | Kind::Breaking)
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let marker = match self.kind {
            Kind::Added => '+',
            Kind::Removed => '-',
            Kind::Breaking => '!',
            Kind::Compatible => '~',
        };
        write!(f, "{marker} {}", self.text)
    }
}

/// Which way a schema travels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Dir {
    request: bool,
    response: bool,
}

impl Dir {
    const REQUEST: Dir = Dir {
        request: true,
        response: false,
    };
    const RESPONSE: Dir = Dir {
        request: false,
        response: true,
    };
    const BOTH: Dir = Dir {
        request: true,
        response: true,
    };

    fn field_word(self) -> &'static str {
        match (self.request, self.response) {
            (true, false) => "request field",
            (false, true) => "response field",
            _ => "field",
        }
    }
}

/// Keys that only document; a change to them is reported as a docs change.
const DOC_KEYS: &[&str] = &[
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "externalDocs",
];
/// Upper bounds: smaller (or new) is tighter.
const UPPER_BOUNDS: &[&str] = &["maxLength", "maxItems", "maximum", "maxProperties"];
/// Lower bounds: larger (or new) is tighter.
const LOWER_BOUNDS: &[&str] = &["minLength", "minItems", "minimum", "minProperties"];
/// Schema keys the differ understands; any other changed key is still
/// reported, as a compatible change naming the key.
const SCHEMA_HANDLED: &[&str] = &[
    "$ref",
    "type",
    "format",
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
    "discriminator",
    "deprecated",
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "externalDocs",
];

/// Lists the changes from `old` to `new`: added and removed operations
/// first, then breaking changes, then compatible ones.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut d = Differ {
        out: Vec::new(),
        dirs: directions(old, new),
    };
    d.top_level(old, new);
    d.operations(old, new);
    d.components(old, new);
    if d.out.is_empty() && old != new {
        d.compatible("other changes: see the diff of openapi.yaml".into());
    }
    let mut out = d.out;
    out.sort_by_key(|c| c.kind);
    out
}

struct Differ {
    out: Vec<Change>,
    dirs: BTreeMap<String, Dir>,
}

impl Differ {
    fn push(&mut self, kind: Kind, text: String) {
        self.out.push(Change { kind, text });
    }
    fn breaking(&mut self, text: String) {
        self.push(Kind::Breaking, text);
    }
    fn compatible(&mut self, text: String) {
        self.push(Kind::Compatible, text);
    }

    // ---------------------------------------------------------- top level

    fn top_level(&mut self, old: &Value, new: &Value) {
        for key in union_keys(old, new) {
            let (o, n) = (old.get(key.as_str()), new.get(key.as_str()));
            if o == n {
                continue;
            }
            match key.as_str() {
                "paths" | "components" => {}
                "info" => {
                    for k in union_keys(o.unwrap_or(&Value::Null), n.unwrap_or(&Value::Null)) {
                        let (a, b) = (field(o, &k), field(n, &k));
                        if a == b {
                            continue;
                        }
                        if k == "version" {
                            self.compatible(format!("info.version: {} → {}", show(a), show(b)));
                        } else {
                            self.compatible(format!("info.{k} changed (docs)"));
                        }
                    }
                }
                "openapi" => self.compatible(format!("openapi: {} → {}", show(o), show(n))),
                "security" => self.breaking(
                    "security: the authentication requirements changed (check src/ for the credentials sent)".into(),
                ),
                other => self.compatible(format!("{other} changed")),
            }
        }
    }

    // ---------------------------------------------------------- operations

    fn operations(&mut self, old: &Value, new: &Value) {
        let old_ops = operations(old);
        let new_ops = operations(new);
        for (key, op) in &new_ops {
            if !old_ops.contains_key(key) {
                self.push(
                    Kind::Added,
                    format!(
                        "{} {} ({})",
                        key.1,
                        key.2,
                        op_id(op).unwrap_or("no operationId")
                    ),
                );
            }
        }
        for key in old_ops.keys() {
            if !new_ops.contains_key(key) {
                self.push(Kind::Removed, format!("{} {}", key.1, key.2));
            }
        }
        for (key, o) in &old_ops {
            let Some(n) = new_ops.get(key) else { continue };
            if o == n {
                continue;
            }
            let label = format!(
                "{} {} ({})",
                key.1,
                key.2,
                op_id(n).or(op_id(o)).unwrap_or("no operationId")
            );
            self.operation(&label, o, n);
        }
    }

    fn operation(&mut self, label: &str, o: &Value, n: &Value) {
        if op_id(o) != op_id(n) {
            self.breaking(format!(
                "{label}: operationId {} → {} (the method is renamed)",
                op_id(o).unwrap_or("none"),
                op_id(n).unwrap_or("none")
            ));
        }
        self.docs(label, o, n);
        self.parameters(label, o.get("parameters"), n.get("parameters"));
        self.request_body(label, o.get("requestBody"), n.get("requestBody"));
        self.responses(label, o.get("responses"), n.get("responses"));
        let handled = ["operationId", "parameters", "requestBody", "responses"];
        for k in union_keys(o, n) {
            if handled.contains(&k.as_str()) || DOC_KEYS.contains(&k.as_str()) {
                continue;
            }
            if o.get(k.as_str()) != n.get(k.as_str()) {
                self.compatible(format!("{label}: {k} changed"));
            }
        }
    }

    fn parameters(&mut self, label: &str, o: Option<&Value>, n: Option<&Value>) {
        let key = |p: &Value| -> String {
            match (p.get("$ref"), p.get("in"), p.get("name")) {
                (Some(r), _, _) => show(Some(r)),
                (_, i, name) => format!(
                    "{} parameter `{}`",
                    i.and_then(Value::as_str).unwrap_or("?"),
                    name.and_then(Value::as_str).unwrap_or("?")
                ),
            }
        };
        let list = |v: Option<&Value>| -> Vec<(String, Value)> {
            seq(v).iter().map(|p| (key(p), p.clone())).collect()
        };
        let (old, new) = (list(o), list(n));
        for (k, p) in &new {
            if !old.iter().any(|(ok, _)| ok == k) {
                if is_true(p.get("required")) {
                    self.breaking(format!("{label}: new required {k}"));
                } else {
                    self.compatible(format!("{label}: new optional {k}"));
                }
            }
        }
        for (k, p) in &old {
            let Some((_, np)) = new.iter().find(|(nk, _)| nk == k) else {
                self.breaking(format!("{label}: {k} removed"));
                continue;
            };
            let at = format!("{label} {k}");
            self.required_flag(&at, p, np, Dir::REQUEST);
            self.docs(&at, p, np);
            if let (Some(a), Some(b)) = (p.get("schema"), np.get("schema")) {
                self.schema(&at, a, b, Dir::REQUEST);
            }
        }
    }

    /// `required: true|false` of a parameter or request body.
    fn required_flag(&mut self, at: &str, o: &Value, n: &Value, dir: Dir) {
        let (a, b) = (is_true(o.get("required")), is_true(n.get("required")));
        if a == b {
            return;
        }
        if b && dir.request {
            self.breaking(format!("{at}: became required"));
        } else {
            self.compatible(format!(
                "{at}: became {}",
                if b { "required" } else { "optional" }
            ));
        }
    }

    fn request_body(&mut self, label: &str, o: Option<&Value>, n: Option<&Value>) {
        let at = format!("{label} request body");
        match (o, n) {
            (None, None) => {}
            (None, Some(b)) if is_true(b.get("required")) => {
                self.breaking(format!("{at}: new, required"));
            }
            (None, Some(_)) => self.compatible(format!("{at}: new, optional")),
            (Some(_), None) => self.breaking(format!("{at}: removed")),
            (Some(a), Some(b)) => {
                self.required_flag(&at, a, b, Dir::REQUEST);
                self.docs(&at, a, b);
                self.content(&at, a.get("content"), b.get("content"), Dir::REQUEST, true);
            }
        }
    }

    fn responses(&mut self, label: &str, o: Option<&Value>, n: Option<&Value>) {
        for code in union_keys(o.unwrap_or(&Value::Null), n.unwrap_or(&Value::Null)) {
            let at = format!("{label} response {code}");
            let success = code.starts_with('2');
            match (field(o, &code), field(n, &code)) {
                (None, Some(_)) => self.compatible(format!("{at}: new")),
                (Some(_), None) if success => self.breaking(format!("{at}: removed")),
                (Some(_), None) => self.compatible(format!("{at}: removed")),
                (Some(a), Some(b)) if a != b => {
                    self.docs(&at, a, b);
                    self.content(
                        &at,
                        a.get("content"),
                        b.get("content"),
                        Dir::RESPONSE,
                        success,
                    );
                    if a.get("headers") != b.get("headers") {
                        self.compatible(format!("{at}: headers changed"));
                    }
                }
                _ => {}
            }
        }
    }

    fn content(&mut self, at: &str, o: Option<&Value>, n: Option<&Value>, dir: Dir, typed: bool) {
        for mime in union_keys(o.unwrap_or(&Value::Null), n.unwrap_or(&Value::Null)) {
            match (field(o, &mime), field(n, &mime)) {
                (Some(_), None) | (None, Some(_)) => {
                    let what = if field(o, &mime).is_some() {
                        "removed"
                    } else {
                        "new"
                    };
                    let text = format!("{at}: content type {mime} {what}");
                    if typed {
                        self.breaking(text);
                    } else {
                        self.compatible(text);
                    }
                }
                (Some(a), Some(b)) => match (a.get("schema"), b.get("schema")) {
                    (Some(x), Some(y)) => self.schema(at, x, y, dir),
                    (None, None) => {}
                    _ => self.breaking(format!("{at}: {mime} schema added or removed")),
                },
                (None, None) => {}
            }
        }
    }

    // ---------------------------------------------------------- components

    fn components(&mut self, old: &Value, new: &Value) {
        let (oc, nc) = (old.get("components"), new.get("components"));
        for section in union_keys(oc.unwrap_or(&Value::Null), nc.unwrap_or(&Value::Null)) {
            let (os, ns) = (field(oc, &section), field(nc, &section));
            for name in union_keys(os.unwrap_or(&Value::Null), ns.unwrap_or(&Value::Null)) {
                let (a, b) = (field(os, &name), field(ns, &name));
                if section == "schemas" {
                    match (a, b) {
                        (None, Some(_)) => self.compatible(format!("{name}: new schema")),
                        (Some(_), None) => self.breaking(format!("{name}: schema removed")),
                        (Some(a), Some(b)) => {
                            let dir = self.dirs.get(&name).copied().unwrap_or(Dir::BOTH);
                            self.schema(&name, a, b, dir);
                        }
                        (None, None) => {}
                    }
                } else if a != b {
                    let what = match (a, b) {
                        (None, _) => "new",
                        (_, None) => "removed",
                        _ => "changed",
                    };
                    let text = format!("components.{section}.{name}: {what}");
                    if section == "securitySchemes" {
                        self.breaking(text);
                    } else {
                        self.compatible(text);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------- schemas

    fn schema(&mut self, at: &str, o: &Value, n: &Value, dir: Dir) {
        if o == n {
            return;
        }
        match (ref_name(o), ref_name(n)) {
            (Some(a), Some(b)) if a == b => {
                // Same target (compared on its own); only sibling docs differ.
                self.docs(at, o, n);
                return;
            }
            (None, None) => {}
            _ => {
                self.breaking(format!(
                    "{at}: type changed {} → {}",
                    type_of(o),
                    type_of(n)
                ));
                return;
            }
        }
        if (o.get("type"), o.get("format")) != (n.get("type"), n.get("format")) {
            self.breaking(format!(
                "{at}: type changed {} → {}",
                type_of(o),
                type_of(n)
            ));
            return;
        }
        self.docs(at, o, n);
        self.nullable(at, o, n, dir);
        self.enumeration(at, o, n, dir);
        self.constraints(at, o, n);
        if o.get("default") != n.get("default") {
            self.compatible(format!(
                "{at}: default {} → {}",
                show(o.get("default")),
                show(n.get("default"))
            ));
        }
        if o.get("deprecated") != n.get("deprecated") {
            self.compatible(format!(
                "{at}: deprecated {} → {}",
                show(o.get("deprecated")),
                show(n.get("deprecated"))
            ));
        }
        self.properties(at, o, n, dir);
        if let (Some(a), Some(b)) = (o.get("items"), n.get("items")) {
            self.schema(&format!("{at}[]"), a, b, dir);
        } else if o.get("items") != n.get("items") {
            self.breaking(format!("{at}: array items added or removed"));
        }
        self.additional_properties(at, o, n, dir);
        for key in ["allOf", "oneOf", "anyOf"] {
            self.composition(at, key, o, n, dir);
        }
        if o.get("discriminator") != n.get("discriminator") {
            self.breaking(format!("{at}: discriminator changed"));
        }
        for k in union_keys(o, n) {
            if !SCHEMA_HANDLED.contains(&k.as_str()) && o.get(k.as_str()) != n.get(k.as_str()) {
                self.compatible(format!("{at}: {k} changed"));
            }
        }
    }

    fn docs(&mut self, at: &str, o: &Value, n: &Value) {
        let changed: Vec<&str> = DOC_KEYS
            .iter()
            .copied()
            .filter(|k| o.get(*k) != n.get(*k))
            .collect();
        if !changed.is_empty() {
            self.compatible(format!("{at}: {} changed (docs)", changed.join(", ")));
        }
    }

    fn nullable(&mut self, at: &str, o: &Value, n: &Value, dir: Dir) {
        let (a, b) = (is_true(o.get("nullable")), is_true(n.get("nullable")));
        if a == b {
            return;
        }
        if b && dir.response {
            self.breaking(format!(
                "{at}: became nullable (responses may now carry null)"
            ));
        } else if !b && dir.request {
            self.breaking(format!("{at}: no longer nullable (null is refused)"));
        } else {
            self.compatible(format!(
                "{at}: {}",
                if b {
                    "became nullable"
                } else {
                    "no longer nullable"
                }
            ));
        }
    }

    fn enumeration(&mut self, at: &str, o: &Value, n: &Value, dir: Dir) {
        let (a, b) = (o.get("enum"), n.get("enum"));
        if a == b {
            return;
        }
        match (a, b) {
            (None, Some(_)) => {
                self.breaking(format!("{at}: enum narrowed: now only {}", show(b)));
                return;
            }
            (Some(_), None) => {
                let text = format!("{at}: enum removed: any value is allowed now");
                if dir.response {
                    self.breaking(text);
                } else {
                    self.compatible(text);
                }
                return;
            }
            _ => {}
        }
        let (a, b) = (seq(a), seq(b));
        let removed: Vec<String> = a
            .iter()
            .filter(|v| !b.contains(v))
            .map(|v| show(Some(v)))
            .collect();
        let added: Vec<String> = b
            .iter()
            .filter(|v| !a.contains(v))
            .map(|v| show(Some(v)))
            .collect();
        if !removed.is_empty() {
            self.breaking(format!(
                "{at}: enum narrowed: {} removed",
                removed.join(", ")
            ));
        }
        if !added.is_empty() {
            if dir.response {
                self.breaking(format!(
                    "{at}: enum widened: {} added (older releases cannot parse it)",
                    added.join(", ")
                ));
            } else {
                self.compatible(format!("{at}: enum widened: {} added", added.join(", ")));
            }
        }
        if removed.is_empty() && added.is_empty() {
            self.compatible(format!("{at}: enum values reordered"));
        }
    }

    fn constraints(&mut self, at: &str, o: &Value, n: &Value) {
        for (keys, upper) in [(UPPER_BOUNDS, true), (LOWER_BOUNDS, false)] {
            for key in keys {
                let (a, b) = (o.get(*key), n.get(*key));
                if a == b {
                    continue;
                }
                let (x, y) = (a.and_then(Value::as_f64), b.and_then(Value::as_f64));
                let count_bound = key.ends_with("Length")
                    || key.ends_with("Items")
                    || key.ends_with("Properties");
                let tighter = match (x, y) {
                    (None, Some(y)) => upper || !(count_bound && y <= 0.0),
                    (Some(_), None) => false,
                    (Some(x), Some(y)) => (upper && y < x) || (!upper && y > x),
                    (None, None) => true,
                };
                self.constraint(at, key, a, b, tighter);
            }
        }
        for key in ["exclusiveMinimum", "exclusiveMaximum", "uniqueItems"] {
            let (a, b) = (o.get(key), n.get(key));
            if is_true(a) != is_true(b) {
                self.constraint(at, key, a, b, is_true(b));
            }
        }
        for key in ["pattern", "multipleOf"] {
            let (a, b) = (o.get(key), n.get(key));
            if a != b {
                // A changed pattern may or may not accept less: assume it does.
                self.constraint(at, key, a, b, b.is_some());
            }
        }
    }

    fn constraint(
        &mut self,
        at: &str,
        key: &str,
        a: Option<&Value>,
        b: Option<&Value>,
        tighter: bool,
    ) {
        let text = format!("{key} {} → {}", show(a), show(b));
        if tighter {
            self.breaking(format!("{at}: tightened constraint {text}"));
        } else {
            self.compatible(format!("{at}: relaxed constraint {text}"));
        }
    }

    fn properties(&mut self, at: &str, o: &Value, n: &Value, dir: Dir) {
        let (op, np) = (props(o), props(n));
        let (oreq, nreq) = (required(o), required(n));
        let removed: Vec<&String> = op.keys().filter(|k| !np.contains_key(*k)).collect();
        let added: Vec<&String> = np.keys().filter(|k| !op.contains_key(*k)).collect();

        // One field gone and one new field of the same shape: a rename.
        let renamed = match (removed.as_slice(), added.as_slice()) {
            ([r], [a]) if strip_docs(op[*r]) == strip_docs(np[*a]) => Some((*r, *a)),
            _ => None,
        };
        if let Some((r, a)) = renamed {
            self.breaking(format!("{at}.{r}: {} renamed to `{a}`", dir.field_word()));
        } else {
            for r in &removed {
                self.breaking(format!("{at}.{r}: {} removed", dir.field_word()));
            }
            for a in &added {
                if nreq.contains(*a) && dir.request {
                    self.breaking(format!("{at}.{a}: new required request field"));
                } else if nreq.contains(*a) {
                    self.compatible(format!("{at}.{a}: new response field"));
                } else {
                    self.compatible(format!("{at}.{a}: new optional field"));
                }
            }
        }
        for (name, a) in &op {
            let Some(b) = np.get(name) else { continue };
            let at = format!("{at}.{name}");
            match (oreq.contains(name), nreq.contains(name)) {
                (false, true) if dir.request => {
                    self.breaking(format!("{at}: request field became required"));
                }
                (true, false) if dir.response => {
                    self.breaking(format!("{at}: response field became optional"));
                }
                (false, true) => self.compatible(format!("{at}: became required")),
                (true, false) => self.compatible(format!("{at}: became optional")),
                _ => {}
            }
            self.schema(&at, a, b, dir);
        }
        // `required` naming a field that is not among the properties.
        for name in nreq.difference(&oreq) {
            if !np.contains_key(name) && dir.request {
                self.breaking(format!("{at}.{name}: became required"));
            }
        }
    }

    fn additional_properties(&mut self, at: &str, o: &Value, n: &Value, dir: Dir) {
        let (a, b) = (o.get("additionalProperties"), n.get("additionalProperties"));
        if a == b {
            return;
        }
        match (a, b) {
            (Some(x @ Value::Mapping(_)), Some(y @ Value::Mapping(_))) => {
                self.schema(&format!("{at}.*"), x, y, dir);
            }
            (_, Some(Value::Bool(false))) => {
                self.breaking(format!(
                    "{at}: tightened constraint additionalProperties → false"
                ));
            }
            _ => self.breaking(format!(
                "{at}: additionalProperties {} → {}",
                show(a),
                show(b)
            )),
        }
    }

    fn composition(&mut self, at: &str, key: &str, o: &Value, n: &Value, dir: Dir) {
        let (a, b) = (seq(o.get(key)), seq(n.get(key)));
        if a == b {
            return;
        }
        let name = |i: usize, v: &Value| ref_name(v).map(str::to_string).unwrap_or(format!("#{i}"));
        let an: Vec<String> = a.iter().enumerate().map(|(i, v)| name(i, v)).collect();
        let bn: Vec<String> = b.iter().enumerate().map(|(i, v)| name(i, v)).collect();
        for (i, k) in an.iter().enumerate() {
            match bn.iter().position(|x| x == k) {
                None => self.breaking(format!("{at}: {key} member {k} removed")),
                Some(j) if ref_name(&a[i]).is_none() => {
                    let sub = if key == "allOf" {
                        at.to_string()
                    } else {
                        format!("{at}.{key}[{i}]")
                    };
                    self.schema(&sub, &a[i], &b[j], dir);
                }
                Some(_) => {}
            }
        }
        for k in bn.iter().filter(|k| !an.contains(k)) {
            if key != "allOf" && !dir.response {
                self.compatible(format!("{at}: {key} member {k} added"));
            } else if key == "allOf" {
                self.breaking(format!("{at}: allOf member {k} added"));
            } else {
                self.breaking(format!(
                    "{at}: {key} member {k} added (older releases cannot parse it)"
                ));
            }
        }
        let common_a: Vec<&String> = an.iter().filter(|k| bn.contains(k)).collect();
        let common_b: Vec<&String> = bn.iter().filter(|k| an.contains(k)).collect();
        if common_a != common_b && key != "allOf" {
            self.breaking(format!(
                "{at}: {key} members reordered (untagged variants are tried in order)"
            ));
        }
    }
}

// -------------------------------------------------------------- helpers

type OpKey = (String, String, String);

/// Operations by (sort path, METHOD, path).
fn operations(doc: &Value) -> BTreeMap<OpKey, Value> {
    let mut out = BTreeMap::new();
    let Some(Value::Mapping(paths)) = doc.get("paths") else {
        return out;
    };
    for (path, item) in paths {
        let Some(path) = path.as_str() else { continue };
        for (i, method) in METHODS.iter().enumerate() {
            if let Some(op) = item.get(*method) {
                let mut op = op.clone();
                // Path-level parameters apply to every operation of the path.
                if let (Some(Value::Sequence(shared)), Value::Mapping(m)) =
                    (item.get("parameters"), &mut op)
                {
                    let mut all = shared.clone();
                    all.extend(seq(m.get("parameters")).iter().cloned());
                    m.insert(Value::String("parameters".into()), Value::Sequence(all));
                }
                out.insert(
                    (
                        format!("{path}\u{0}{i}"),
                        method.to_uppercase(),
                        path.to_string(),
                    ),
                    op,
                );
            }
        }
    }
    out
}

/// Which component schemas are sent, which are received, by either version.
fn directions(old: &Value, new: &Value) -> BTreeMap<String, Dir> {
    let mut dirs: BTreeMap<String, Dir> = BTreeMap::new();
    for doc in [old, new] {
        let schemas = doc.get("components").and_then(|c| c.get("schemas"));
        let mut request = BTreeSet::new();
        let mut response = BTreeSet::new();
        for op in operations(doc).values() {
            refs(op.get("parameters"), &mut request);
            refs(op.get("requestBody"), &mut request);
            refs(op.get("responses"), &mut response);
        }
        for (set, is_request) in [(request, true), (response, false)] {
            let mut todo: Vec<String> = set.into_iter().collect();
            let mut seen = BTreeSet::new();
            while let Some(name) = todo.pop() {
                if !seen.insert(name.clone()) {
                    continue;
                }
                let mut next = BTreeSet::new();
                refs(schemas.and_then(|s| s.get(name.as_str())), &mut next);
                todo.extend(next);
                let d = dirs.entry(name).or_default();
                if is_request {
                    d.request = true;
                } else {
                    d.response = true;
                }
            }
        }
    }
    dirs
}

fn refs(v: Option<&Value>, out: &mut BTreeSet<String>) {
    match v {
        Some(Value::Mapping(m)) => {
            for (k, v) in m {
                if k.as_str() == Some("$ref") {
                    if let Some(name) = v
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    {
                        out.insert(name.to_string());
                    }
                } else {
                    refs(Some(v), out);
                }
            }
        }
        Some(Value::Sequence(items)) => items.iter().for_each(|v| refs(Some(v), out)),
        _ => {}
    }
}

fn op_id(op: &Value) -> Option<&str> {
    op.get("operationId").and_then(Value::as_str)
}

fn ref_name(v: &Value) -> Option<&str> {
    let r = v.get("$ref")?.as_str()?;
    Some(r.strip_prefix("#/components/schemas/").unwrap_or(r))
}

fn type_of(v: &Value) -> String {
    if let Some(r) = ref_name(v) {
        return r.to_string();
    }
    let ty = v.get("type").and_then(Value::as_str);
    let format = v.get("format").and_then(Value::as_str);
    match (ty, format) {
        (Some(t), Some(f)) => format!("{t} ({f})"),
        (Some(t), None) => t.to_string(),
        (None, _) if v.get("oneOf").is_some() => "oneOf".into(),
        (None, _) if v.get("allOf").is_some() => "allOf".into(),
        (None, _) if v.get("anyOf").is_some() => "anyOf".into(),
        (None, _) => "untyped".into(),
    }
}

fn props(v: &Value) -> BTreeMap<String, &Value> {
    v.get("properties")
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
                .collect()
        })
        .unwrap_or_default()
}

fn required(v: &Value) -> BTreeSet<String> {
    seq(v.get("required"))
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn strip_docs(v: &Value) -> Value {
    match v {
        Value::Mapping(m) => Value::Mapping(
            m.iter()
                .filter(|(k, _)| !k.as_str().is_some_and(|k| DOC_KEYS.contains(&k)))
                .map(|(k, v)| (k.clone(), strip_docs(v)))
                .collect(),
        ),
        Value::Sequence(items) => Value::Sequence(items.iter().map(strip_docs).collect()),
        other => other.clone(),
    }
}

fn seq(v: Option<&Value>) -> &[Value] {
    match v {
        Some(Value::Sequence(items)) => items,
        _ => &[],
    }
}

fn is_true(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

fn field<'a>(v: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    v?.get(key)
}

fn union_keys(a: &Value, b: &Value) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for v in [a, b] {
        if let Some(m) = v.as_mapping() {
            for k in m.keys().filter_map(Value::as_str) {
                if !keys.iter().any(|x| x == k) {
                    keys.push(k.to_string());
                }
            }
        }
    }
    keys
}

/// A short rendering of a value for a report line.
fn show(v: Option<&Value>) -> String {
    match v {
        None => "none".into(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(Value::Sequence(items)) => {
            let parts: Vec<String> = items.iter().map(|v| show(Some(v))).collect();
            format!("[{}]", parts.join(", "))
        }
        Some(other) => serde_json::to_string(other).unwrap_or_else(|_| "?".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = include_str!("../tests/fixtures/base.yaml");

    /// The report lines for the base fixture changed by one text replacement.
    fn report(from: &str, to: &str) -> Vec<String> {
        assert!(BASE.contains(from), "fixture has no {from:?}");
        let old: Value = serde_norway::from_str(BASE).unwrap();
        let new: Value = serde_norway::from_str(&BASE.replacen(from, to, 1)).unwrap();
        diff(&old, &new).iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn identical_and_reordered_specs_have_no_changes() {
        let old: Value = serde_norway::from_str(BASE).unwrap();
        assert_eq!(diff(&old, &old), []);
        let reordered = BASE.replacen(
            "      operationId: thing_auth_start\n      summary: Start an authentication\n",
            "      summary: Start an authentication\n      operationId: thing_auth_start\n",
            1,
        );
        assert_ne!(reordered, BASE);
        let new: Value = serde_norway::from_str(&reordered).unwrap();
        assert_eq!(diff(&old, &new), []);
    }

    #[test]
    fn added_operation() {
        let added = "  /v1/thing/sign:\n    post:\n      operationId: thing_sign_start\n      responses:\n        '204':\n          description: Done.\n  /v1/thing/auth/{id}:\n";
        assert_eq!(
            report("  /v1/thing/auth/{id}:\n", added),
            ["+ POST /v1/thing/sign (thing_sign_start)"]
        );
    }

    #[test]
    fn removed_operation() {
        let delete_op = BASE
            .split("    delete:\n")
            .nth(1)
            .and_then(|rest| rest.split("components:\n").next())
            .unwrap();
        assert_eq!(
            report(&format!("    delete:\n{delete_op}"), ""),
            ["- DELETE /v1/thing/auth/{id}"]
        );
    }

    #[test]
    fn removed_response_field() {
        assert_eq!(
            report("        autoStartToken:\n          type: string\n", ""),
            ["! ThingPending.autoStartToken: response field removed"]
        );
    }

    #[test]
    fn renamed_response_field() {
        assert_eq!(
            report("            givenName:\n", "            firstName:\n"),
            ["! ThingCompleted.user.givenName: response field renamed to `firstName`"]
        );
    }

    #[test]
    fn new_required_request_field() {
        assert_eq!(
            report(
                "      - endUserIp\n      properties:\n",
                "      - endUserIp\n      - country\n      properties:\n        country:\n          type: string\n"
            ),
            ["! ThingAuthRequest.country: new required request field"]
        );
    }

    #[test]
    fn narrowed_enum() {
        assert_eq!(
            report(
                "      - substantial\n      - high\n",
                "      - substantial\n"
            ),
            ["! Level: enum narrowed: \"high\" removed"]
        );
    }

    #[test]
    fn widened_enum_is_compatible_in_requests_only() {
        assert_eq!(
            report("      - high\n", "      - high\n      - very-high\n"),
            ["~ Level: enum widened: \"very-high\" added"]
        );
        assert_eq!(
            report(
                "          - PENDING\n",
                "          - PENDING\n          - USER_SIGN\n"
            ),
            [
                "! ThingPending.status: enum widened: \"USER_SIGN\" added (older releases cannot parse it)"
            ]
        );
    }

    #[test]
    fn changed_type() {
        assert_eq!(
            report(
                "          type: integer\n          minimum: 18\n",
                "          type: string\n"
            ),
            ["! ThingAuthRequest.minAge: type changed integer → string"]
        );
        assert_eq!(
            report("          format: date-time\n", "          format: date\n"),
            ["! ThingCompleted.signedAt: type changed string (date-time) → string (date)"]
        );
        assert_eq!(
            report(
                "      - $ref: '#/components/schemas/ThingPending'\n",
                "      - $ref: '#/components/schemas/ErrorResponse'\n"
            ),
            [
                "! ThingSession: oneOf member ThingPending removed",
                "! ThingSession: oneOf member ErrorResponse added (older releases cannot parse it)",
            ]
        );
    }

    #[test]
    fn tightened_constraints() {
        assert_eq!(
            report("          maxLength: 64\n", "          maxLength: 32\n"),
            ["! ThingAuthRequest.refId: tightened constraint maxLength 64 → 32"]
        );
        assert_eq!(
            report("          minLength: 4\n", "          minLength: 6\n"),
            ["! ThingAuthRequest.pin: tightened constraint minLength 4 → 6"]
        );
        assert_eq!(
            report(
                "          maxLength: 8\n",
                "          maxLength: 8\n          pattern: ^[0-9]+$\n"
            ),
            ["! ThingAuthRequest.pin: tightened constraint pattern none → \"^[0-9]+$\""]
        );
        assert_eq!(
            report("          minimum: 18\n", "          minimum: 21\n"),
            ["! ThingAuthRequest.minAge: tightened constraint minimum 18 → 21"]
        );
        assert_eq!(
            report(
                "          description: IP address of the user.\n",
                "          description: IP address of the user.\n          maxLength: 45\n"
            ),
            ["! ThingAuthRequest.endUserIp: tightened constraint maxLength none → 45"]
        );
    }

    #[test]
    fn new_optional_field() {
        assert_eq!(
            report(
                "        refId:\n",
                "        callbackUrl:\n          type: string\n          format: uri\n        refId:\n"
            ),
            ["~ ThingAuthRequest.callbackUrl: new optional field"]
        );
        // A field the server now always sends is compatible for a client.
        assert_eq!(
            report(
                "        autoStartToken:\n",
                "        expiresIn:\n          type: integer\n        autoStartToken:\n"
            ),
            ["~ ThingPending.expiresIn: new optional field"]
        );
    }

    #[test]
    fn relaxed_constraints() {
        assert_eq!(
            report("          maxLength: 64\n", "          maxLength: 128\n"),
            ["~ ThingAuthRequest.refId: relaxed constraint maxLength 64 → 128"]
        );
        assert_eq!(
            report("          minLength: 4\n          maxLength: 8\n", ""),
            [
                "~ ThingAuthRequest.pin: relaxed constraint maxLength 8 → none",
                "~ ThingAuthRequest.pin: relaxed constraint minLength 4 → none",
            ]
        );
    }

    #[test]
    fn docs_only_changes() {
        assert_eq!(
            report("IP address of the user.", "The IP address of the end user."),
            ["~ ThingAuthRequest.endUserIp: description changed (docs)"]
        );
        assert_eq!(
            report(
                "summary: Start an authentication",
                "summary: Starts an authentication"
            ),
            ["~ POST /v1/thing/auth (thing_auth_start): summary changed (docs)"]
        );
        assert_eq!(
            report("  version: 1.0.0\n", "  version: 1.1.0\n"),
            ["~ info.version: \"1.0.0\" → \"1.1.0\""]
        );
    }

    #[test]
    fn request_and_response_requiredness() {
        assert_eq!(
            report("      - endUserIp\n", "      - endUserIp\n      - refId\n"),
            ["! ThingAuthRequest.refId: request field became required"]
        );
        assert_eq!(
            report("      - status\n      - user\n", "      - status\n"),
            ["! ThingCompleted.user: response field became optional"]
        );
    }

    #[test]
    fn renamed_operation_and_new_parameter() {
        assert_eq!(
            report(
                "operationId: thing_auth_cancel",
                "operationId: thing_auth_abort"
            ),
            [
                "! DELETE /v1/thing/auth/{id} (thing_auth_abort): operationId thing_auth_cancel → thing_auth_abort (the method is renamed)"
            ]
        );
        assert_eq!(
            report(
                "    delete:\n      operationId: thing_auth_cancel\n      summary: Cancel an authentication\n      description: Cancels the session.\n      parameters:\n",
                "    delete:\n      operationId: thing_auth_cancel\n      summary: Cancel an authentication\n      description: Cancels the session.\n      parameters:\n      - name: reason\n        in: query\n        required: true\n        schema:\n          type: string\n"
            ),
            [
                "! DELETE /v1/thing/auth/{id} (thing_auth_cancel): new required query parameter `reason`"
            ]
        );
    }

    #[test]
    fn inline_operation_schemas_are_named_after_the_operation() {
        assert_eq!(
            report(
                "      parameters:\n      - name: id\n        in: path\n        required: true\n        schema:\n          type: string\n      responses:\n        '200':",
                "      parameters:\n      - name: id\n        in: path\n        required: true\n        schema:\n          type: string\n          maxLength: 36\n      responses:\n        '200':"
            ),
            [
                "! GET /v1/thing/auth/{id} (thing_auth_collect) path parameter `id`: tightened constraint maxLength none → 36"
            ]
        );
        assert_eq!(
            report(
                "              schema:\n                $ref: '#/components/schemas/ThingSession'\n",
                "              schema:\n                type: object\n"
            ),
            [
                "! GET /v1/thing/auth/{id} (thing_auth_collect) response 200: type changed ThingSession → object"
            ]
        );
        assert_eq!(
            report(
                "        '204':\n          description: Cancelled.\n",
                "        '404':\n          description: Unknown.\n"
            ),
            [
                "! DELETE /v1/thing/auth/{id} (thing_auth_cancel) response 204: removed",
                "~ DELETE /v1/thing/auth/{id} (thing_auth_cancel) response 404: new",
            ]
        );
    }

    #[test]
    fn every_content_change_is_reported() {
        // A key the differ has no rule for still shows up.
        assert_eq!(
            report(
                "    ThingSession:\n",
                "    ThingSession:\n      x-internal: true\n"
            ),
            ["~ ThingSession: x-internal changed"]
        );
    }
}
