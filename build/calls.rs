//! The calls of the hand-written layer, each sent by its generated method:
//! for every flow of the operation table, its start (by the schema of the
//! start's answer: `impl Start for types::BankIdSePending`, one arm per
//! start answering it), its collect (by the schema of the collect's answer:
//! `impl Collect for types::BankIdSeSession`) and its cancel (one function
//! for all). Written to `OUT_DIR/calls.rs` and included by
//! `src/transport.rs`, which defines the traits and `call`, the one way a
//! generated method's future is sent (within the call's scope, boxed, its
//! error mapped). Operations pruned before generation have no method: they
//! get no arm (`not_generated` answers for them).

use std::collections::BTreeMap;

use quote::{format_ident, quote};
use serde_json::Value;

use crate::model::Table;

/// The source of `calls.rs`.
pub fn generate(table: &Table, spec: &Value, pruned: &[String]) -> Result<String, Vec<String>> {
    let bodies = bodies(spec);
    let mut problems = Vec::new();
    let answer = |name: &str| {
        table
            .operations
            .iter()
            .find(|o| o.name == name)
            .and_then(|o| o.answer.clone())
    };
    let generated = |name: &str| !pruned.iter().any(|p| p == name);
    // answer schema → the operations answering it
    let mut starts: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut collects: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut cancels: Vec<&str> = Vec::new();
    for flow in &table.flows {
        for (ops, name) in [(&mut starts, &flow.start), (&mut collects, &flow.collect)] {
            if !generated(name) {
                continue;
            }
            let Some(schema) = answer(name) else {
                problems.push(format!("`{name}`: no success answer names a schema"));
                continue;
            };
            let list = ops.entry(schema).or_default();
            if !list.contains(&name.as_str()) {
                list.push(name);
            }
        }
        if let Some(cancel) = flow.cancel.as_deref().filter(|c| generated(c))
            && !cancels.contains(&cancel)
        {
            cancels.push(cancel);
        }
    }
    for op in starts.values().flatten() {
        if let Some(None) = bodies.get(*op) {
            problems.push(format!(
                "start operation `{op}`: its `application/json` body is no \
                 `$ref: '#/components/schemas/…'` (the client decodes a JSON body into that type)"
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    cancels.sort();

    let ty = |schema: &str| {
        use heck::ToUpperCamelCase;
        let ident = format_ident!("{}", schema.to_upper_camel_case());
        quote!(crate::raw::types::#ident)
    };
    let start_impls = starts.iter().map(|(schema, ops)| {
        let answer = ty(schema);
        let arms = ops.iter().map(|op| {
            let method = format_ident!("{op}");
            let send = match bodies.get(*op).cloned().flatten() {
                Some(body) => {
                    let body = body.as_str();
                    let body = ty(body);
                    quote! {
                        match <#body as ::serde::Deserialize>::deserialize(body) {
                            Ok(body) => call(asked, asked.raw.#method().body(body).send()),
                            Err(e) => unsendable(asked, e),
                        }
                    }
                }
                None => quote!({
                    let _ = body;
                    call(asked, asked.raw.#method().send())
                }),
            };
            quote!(#op => #send,)
        });
        quote! {
            impl Start for #answer {
                fn start<'a>(asked: Asked<'a>, body: &::serde_json::Value) -> Call<'a, Self> {
                    match asked.operation.id() {
                        #(#arms)*
                        _ => not_generated(asked),
                    }
                }
            }
        }
    });
    let by_id = |ops: &[&str]| -> Vec<_> {
        ops.iter()
            .map(|op| {
                let method = format_ident!("{op}");
                quote!(#op => call(asked, asked.raw.#method().id(asked.id.unwrap_or_default()).send()),)
            })
            .collect()
    };
    let collect_impls = collects.iter().map(|(schema, ops)| {
        let answer = ty(schema);
        let arms = by_id(ops);
        quote! {
            impl Collect for #answer {
                fn collect(asked: Asked<'_>) -> Call<'_, Self> {
                    match asked.operation.id() {
                        #(#arms)*
                        _ => not_generated(asked),
                    }
                }
            }
        }
    });
    let cancel_arms = by_id(&cancels);
    let file = quote! {
        #(#start_impls)*
        #(#collect_impls)*
        /// Sends the cancel `asked` names.
        pub(crate) fn cancel(asked: Asked<'_>) -> Call<'_, ()> {
            match asked.operation.id() {
                #(#cancel_arms)*
                _ => not_generated(asked),
            }
        }
    };
    let file = syn::parse2(file).map_err(|e| vec![format!("calls.rs does not parse: {e}")])?;
    Ok(format!(
        "// Generated by build.rs from openapi.yaml (build/calls.rs).\n{}",
        prettyplease::unparse(&file)
    ))
}

/// Operation (method name) → the schema its `application/json` body names
/// (`None`: a JSON body that names none).
fn bodies(spec: &Value) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    let paths = spec.get("paths").and_then(Value::as_object);
    for item in paths.into_iter().flat_map(|p| p.values()) {
        for op in item.as_object().into_iter().flat_map(|i| i.values()) {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let Some(json) = op.pointer("/requestBody/content/application~1json") else {
                continue;
            };
            let schema = json
                .pointer("/schema/$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"));
            out.insert(crate::model::method_name(id), schema.map(str::to_string));
        }
    }
    out
}
