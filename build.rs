//! Generates from `openapi.yaml` into `OUT_DIR`: `codegen.rs` (the raw
//! client, by progenitor; `src/raw.rs`), `operations.rs` (the operation table
//! of `build/model.rs` as data for `table!` in `src/operations.rs`,
//! `build/table.rs`), `calls.rs` (each start and cancel of the table sent by
//! its generated method, `build/calls.rs`; `src/transport.rs`), `requests.rs`
//! (the request builders, `build/requests.rs`) and `pruned.txt`.
//! It only loads, prunes, transforms (`build/transforms.rs`), generates and
//! writes: whether the spec suits the generator is the lint of `cargo xtask
//! check`, but a spec it would refuse still fails here with a message, never
//! a panic. Nothing here reads outside the crate directory.

use std::path::{Path, PathBuf};

use openapiv3::OpenAPI;
use quote::quote;

#[path = "build/calls.rs"]
mod calls;
#[path = "build/model.rs"]
mod model;
#[path = "build/requests.rs"]
mod requests;
#[path = "build/table.rs"]
mod table;
#[path = "build/transforms.rs"]
mod transforms;

use transforms::{PROVIDERS, PRUNED_OPERATIONS, REPLACED_SCHEMAS};

fn main() {
    println!("cargo:rerun-if-changed=openapi.yaml");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build");
    let dir = |var: &str| PathBuf::from(std::env::var_os(var).expect("cargo sets it"));
    let spec_path = dir("CARGO_MANIFEST_DIR").join("openapi.yaml");
    if let Err(problems) = run(&spec_path, &dir("OUT_DIR")) {
        eprintln!("error: openapi.yaml cannot be turned into a client:");
        for p in &problems {
            eprintln!("  - {p}");
            println!("cargo::warning=openapi.yaml: {p}");
        }
        eprintln!("`cargo xtask check` names each operation and schema the generator cannot take");
        std::process::exit(1);
    }
}

fn run(spec_path: &Path, out_dir: &Path) -> Result<(), Vec<String>> {
    let text = std::fs::read_to_string(spec_path)
        .map_err(|e| vec![format!("cannot read {}: {e}", spec_path.display())])?;
    let invalid =
        |e: &dyn std::fmt::Display| vec![format!("not a valid OpenAPI 3.0 document: {e}")];
    // YAML is read once, into JSON values; the typed spec is decoded from
    // those (one instantiation of openapiv3's decoders: this build script's
    // own compile is on every dependent's critical path).
    let json: serde_json::Value = serde_norway::from_str(&text).map_err(|e| invalid(&e))?;
    let spec: OpenAPI = serde_json::from_value(json.clone()).map_err(|e| invalid(&e))?;
    let (table, problems) = model::table(&spec, PROVIDERS);
    if !problems.is_empty() {
        return Err(problems);
    }
    let pruned: Vec<&str> = PRUNED_OPERATIONS.iter().map(|(id, _)| *id).collect();
    let inputs = requests::Inputs {
        providers: PROVIDERS,
        replaced: REPLACED_SCHEMAS,
        pruned: &pruned,
    };
    let requests = requests::generate(&json, &inputs)?;
    let not_generated: Vec<String> = pruned.iter().map(|id| model::method_name(id)).collect();
    let calls = calls::generate(&table, &json, &not_generated)?;
    let mut generated = transforms::prune(json, &pruned);
    transforms::answer_ranges(&mut generated);
    transforms::personal_fields(&mut generated);
    // Checked by the layer (`src/requests.rs`), not by the generated types.
    transforms::strip_patterns(&mut generated);
    let spec = serde_json::from_value(generated).map_err(|e| invalid(&e))?;
    let pruned: String = PRUNED_OPERATIONS
        .iter()
        .map(|(id, why)| format!("{id}\t{why}\n"))
        .collect();
    for (name, text) in [
        ("codegen.rs", generate(spec)?),
        ("operations.rs", table::source(&table)),
        ("calls.rs", calls),
        ("requests.rs", requests),
        ("pruned.txt", pruned),
    ] {
        std::fs::write(out_dir.join(name), text)
            .map_err(|e| vec![format!("cannot write {name} in {}: {e}", out_dir.display())])?;
    }
    Ok(())
}

/// The raw client. progenitor panics on some specs it cannot take: the
/// panic becomes a message (the lint of `cargo xtask check` names the cause).
fn generate(spec: OpenAPI) -> Result<String, Vec<String>> {
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        // What the hooks of `src/raw.rs` work with (`src/hooks.rs`): the
        // bound on requests in flight, the cap on answers, how error bodies
        // are read.
        .with_inner_type(quote!(crate::raw::Hooks));
    let display = || [progenitor::TypeImpl::Display].into_iter();
    for (schema, rust_type, _why) in REPLACED_SCHEMAS {
        settings.with_replacement(schema, rust_type, display());
    }
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(move || {
        progenitor::Generator::new(&settings).generate_tokens(&spec)
    });
    std::panic::set_hook(hook);
    let tokens = match result {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err(vec![format!("progenitor refused the spec: {e}")]),
        Err(panic) => {
            let text = (panic.downcast_ref::<String>().map(String::as_str))
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            return Err(vec![format!("progenitor panicked: {text}")]);
        }
    };
    let file =
        syn::parse2(tokens).map_err(|e| vec![format!("generated code does not parse: {e}")])?;
    Ok(prettyplease::unparse(&file))
}
