//! The surface listing of the generated client: one line per method of
//! `raw::Client` (its builder setters and result), one block per type.
//! Reviewers read its diff (`tests/snapshots/surface__surface.snap`) to see
//! every change of the generated API. Used by `cargo xtask check` and
//! `cargo xtask codegen`, and by the crate's `tests/surface.rs` (which
//! includes this file): one implementation, no dependency of the library.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quote::ToTokens;

/// The listing of generated code (the text of `codegen.rs`), or why it does
/// not parse.
pub fn listing(code: &str) -> Result<String, String> {
    let file = syn::parse_file(code).map_err(|e| format!("codegen.rs does not parse: {e}"))?;
    Ok(surface(&file))
}

/// Compact, diff-friendly listing of the generated API.
fn surface(file: &syn::File) -> String {
    let mut methods = Vec::new();
    let mut builders: BTreeMap<String, (Vec<String>, String)> = BTreeMap::new();
    let mut types = String::new();

    for item in &file.items {
        match item {
            syn::Item::Impl(imp) if type_name(&imp.self_ty) == "Client" && imp.trait_.is_none() => {
                for it in &imp.items {
                    if let syn::ImplItem::Fn(f) = it
                        && let syn::ReturnType::Type(_, ty) = &f.sig.output
                    {
                        methods.push((f.sig.ident.to_string(), type_name(ty)));
                    }
                }
            }
            syn::Item::Mod(m) if m.ident == "builder" => {
                for it in m.content.iter().flat_map(|(_, items)| items) {
                    collect_builder(it, &mut builders);
                }
            }
            syn::Item::Mod(m) if m.ident == "types" => {
                for it in m.content.iter().flat_map(|(_, items)| items) {
                    describe_type(it, &mut types);
                }
            }
            _ => {}
        }
    }

    let mut out =
        String::from("# methods of raw::Client (builder style; arguments are builder setters)\n");
    for (name, builder) in &methods {
        // Constructors return `Self`; only operations have a builder.
        if let Some((args, result)) = builders.get(builder) {
            let _ = writeln!(out, "{name}({}) -> {result}", args.join(", "));
        }
    }
    out.push_str("\n# types\n");
    out.push_str(&types);
    out
}

fn collect_builder(item: &syn::Item, builders: &mut BTreeMap<String, (Vec<String>, String)>) {
    match item {
        syn::Item::Struct(s) => {
            let args = s
                .fields
                .iter()
                .filter_map(|f| {
                    let name = f.ident.as_ref()?.to_string();
                    if name == "client" {
                        return None;
                    }
                    let ty = tidy(&f.ty.to_token_stream().to_string());
                    let ty = ty
                        .strip_prefix("Result<")
                        .and_then(|t| t.strip_suffix(", String>"))
                        .map(str::to_string)
                        .unwrap_or(ty);
                    Some(format!("{name}: {ty}"))
                })
                .collect();
            builders.entry(s.ident.to_string()).or_default().0 = args;
        }
        syn::Item::Impl(imp) => {
            for it in &imp.items {
                if let syn::ImplItem::Fn(f) = it
                    && f.sig.ident == "send"
                    && let syn::ReturnType::Type(_, ty) = &f.sig.output
                {
                    builders.entry(type_name(&imp.self_ty)).or_default().1 =
                        tidy(&ty.to_token_stream().to_string());
                }
            }
        }
        _ => {}
    }
}

fn describe_type(item: &syn::Item, out: &mut String) {
    match item {
        syn::Item::Struct(s) => {
            let _ = write!(out, "struct {}{}", s.ident, serde_container_attrs(&s.attrs));
            match &s.fields {
                syn::Fields::Named(named) => {
                    out.push_str(" {\n");
                    for f in &named.named {
                        let rename = serde_rename(&f.attrs)
                            .map(|r| format!(" as \"{r}\""))
                            .unwrap_or_default();
                        let _ = writeln!(
                            out,
                            "    {}{rename}: {}",
                            f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default(),
                            tidy(&f.ty.to_token_stream().to_string())
                        );
                    }
                    out.push_str("}\n");
                }
                syn::Fields::Unnamed(fields) => {
                    let tys: Vec<String> = fields
                        .unnamed
                        .iter()
                        .map(|f| tidy(&f.ty.to_token_stream().to_string()))
                        .collect();
                    let _ = writeln!(out, "({})", tys.join(", "));
                }
                syn::Fields::Unit => out.push('\n'),
            }
        }
        syn::Item::Enum(e) => {
            let tagging = serde_container_attrs(&e.attrs);
            let _ = writeln!(out, "enum {}{tagging} {{", e.ident);
            for v in &e.variants {
                let rename = serde_rename(&v.attrs)
                    .map(|r| format!(" as \"{r}\""))
                    .unwrap_or_default();
                let fields = match &v.fields {
                    syn::Fields::Unit => String::new(),
                    other => tidy(&other.to_token_stream().to_string()),
                };
                let _ = writeln!(out, "    {}{fields}{rename}", v.ident);
            }
            out.push_str("}\n");
        }
        _ => {}
    }
}

fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .find_map(|a| {
            let text = a.meta.to_token_stream().to_string();
            let start = text.find("rename = \"")? + "rename = \"".len();
            let end = text[start..].find('"')?;
            Some(text[start..start + end].to_string())
        })
}

fn serde_container_attrs(attrs: &[syn::Attribute]) -> String {
    let mut tags = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let text = tidy(&a.meta.to_token_stream().to_string());
        for key in ["untagged", "tag", "deny_unknown_fields"] {
            if text.contains(key) {
                tags.push(
                    text.trim_start_matches("serde(")
                        .trim_end_matches(')')
                        .to_string(),
                );
                break;
            }
        }
    }
    if tags.is_empty() {
        String::new()
    } else {
        format!(" #[serde({})]", tags.join(", "))
    }
}

fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        other => tidy(&other.to_token_stream().to_string()),
    }
}

/// Token strings come with spaces everywhere; make them read like Rust.
fn tidy(s: &str) -> String {
    let mut t = s
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" <", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace("& ", "&")
        .replace(" (", "(")
        .replace(",>", ">");
    t = t
        .replace("::std::", "")
        .replace("::serde_json::", "serde_json::");
    for prefix in [
        "option::",
        "string::",
        "vec::",
        "num::",
        "collections::",
        "result::",
    ] {
        t = t.replace(prefix, "");
    }
    t = t.replace("super::", "");
    t
}
