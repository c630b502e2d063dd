//! The surface listing of the generated client: one line per method of
//! `raw::Client` (its arguments and result), one block per type.
//! Reviewers read its diff (`tests/snapshots/surface__surface.snap`) to see
//! every change of the generated API. Used by `cargo xtask check` and
//! `cargo xtask codegen`, and by the crate's `tests/surface.rs` (which
//! includes this file): one implementation, no dependency of the library.

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
    let mut methods = String::new();
    let mut types = String::new();

    for item in &file.items {
        match item {
            syn::Item::Impl(imp) if type_name(&imp.self_ty) == "Client" && imp.trait_.is_none() => {
                for it in &imp.items {
                    if let syn::ImplItem::Fn(f) = it
                        // The operations; the constructors are not async.
                        && f.sig.asyncness.is_some()
                        && let syn::ReturnType::Type(_, ty) = &f.sig.output
                    {
                        let args: Vec<String> = (f.sig.inputs.iter())
                            .filter_map(|arg| match arg {
                                syn::FnArg::Typed(arg) => Some(format!(
                                    "{}: {}",
                                    tidy(&arg.pat.to_token_stream().to_string()),
                                    tidy(&arg.ty.to_token_stream().to_string())
                                )),
                                syn::FnArg::Receiver(_) => None,
                            })
                            .collect();
                        let result = tidy(&ty.to_token_stream().to_string());
                        let _ =
                            writeln!(methods, "{}({}) -> {result}", f.sig.ident, args.join(", "));
                    }
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
        String::from("# methods of raw::Client (positional: one argument per parameter)\n");
    out.push_str(&methods);
    out.push_str("\n# types\n");
    out.push_str(&types);
    out
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
        .replace(",>", ">")
        .replace("&'a ", "&");
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
