//! Runs the real generation — `build.rs` of the `identisure` package, through
//! `cargo build` — and reads what it wrote into its `OUT_DIR`, after the spec
//! lint (`crate::lint`) found nothing the generator cannot take. Nothing here
//! generates code itself, so the transforms build.rs applies (prune list,
//! schema replacements) apply to every spec.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `build.rs` wrote.
#[derive(Debug)]
pub struct Generated {
    /// The build script's `OUT_DIR`.
    pub out_dir: PathBuf,
    /// `codegen.rs`: the generated client.
    pub code: String,
    /// `surface.txt`: one line per method, one block per type.
    pub surface: String,
    /// `pruned.txt`: operations left out of generation, with the reason.
    pub pruned: Vec<(String, String)>,
    /// Compiler errors of the crate itself (the hand-written layer against
    /// the new generated code), empty when it compiles.
    pub crate_errors: String,
}

/// Why generation failed.
#[derive(Debug)]
pub enum Failure {
    /// The lint, or `build.rs` itself, refused the spec; these are the
    /// problem lines.
    Refused(Vec<String>),
    /// Cargo could not be run or did not say where the output is.
    Other(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Refused(problems) => {
                writeln!(f, "the generator cannot take openapi.yaml:")?;
                for p in problems {
                    writeln!(f, "  - {p}")?;
                }
                write!(
                    f,
                    "fix the spec, or list an operation that cannot be generated in \
                     PRUNED_OPERATIONS of build/transforms.rs with its reason and hand-write it"
                )
            }
            Failure::Other(msg) => f.write_str(msg),
        }
    }
}

/// The operation ids listed as methods in `surface.txt`.
pub fn surface_methods(surface: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_methods = false;
    for line in surface.lines() {
        if line.starts_with("# methods") {
            in_methods = true;
            continue;
        }
        if line.starts_with('#') {
            in_methods = false;
        }
        if in_methods && let Some((name, _)) = line.split_once('(') {
            out.push(name.trim().to_string());
        }
    }
    out
}

/// Parses `pruned.txt` (`id<TAB>reason` per line).
pub fn parse_pruned(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.split_once('\t') {
            Some((id, why)) => (id.trim().to_string(), why.trim().to_string()),
            None => (l.trim().to_string(), String::new()),
        })
        .collect()
}

/// Lints the spec of the repository at `root`, then builds it ([`build`]).
pub fn generate(root: &Path) -> Result<Generated, Failure> {
    let problems = crate::lint::repo(root).map_err(Failure::Other)?;
    if !problems.is_empty() {
        return Err(Failure::Refused(problems));
    }
    build(root)
}

/// Builds the `identisure` library of the repository at `root` and reads
/// the files its build script generated. Uses the caller's
/// `CARGO_TARGET_DIR`, so an up-to-date build costs nothing.
pub fn build(root: &Path) -> Result<Generated, Failure> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .arg("build")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        // The manifest's own package (not `-p identisure`: a copy of the
        // crate under another package name is built the same way).
        .args(["--lib", "--message-format=json-render-diagnostics"])
        .output()
        .map_err(|e| Failure::Other(format!("cannot run {}: {e}", cargo.to_string_lossy())))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);

    let out_dir = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "build-script-executed")
        .filter_map(|m| m["out_dir"].as_str().map(PathBuf::from))
        .find(|dir| {
            dir.parent()
                .and_then(Path::file_name)
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("identisure-"))
        });
    let Some(out_dir) = out_dir else {
        let problems = build_script_problems(&stderr);
        if !problems.is_empty() {
            return Err(Failure::Refused(problems));
        }
        return Err(Failure::Other(format!(
            "cargo build of identisure failed before its build script ran:\n{stderr}"
        )));
    };
    let mut g = read_dir(&out_dir)?;
    // build.rs writes no listing: it is made here, from the code.
    g.surface = crate::surface::listing(&g.code).map_err(Failure::Other)?;
    if !output.status.success() {
        g.crate_errors = stderr.into_owned();
    }
    Ok(g)
}

/// Reads generated output from a directory written by `cargo xtask codegen
/// --out DIR` (or the build script's `OUT_DIR`).
pub fn read_dir(dir: &Path) -> Result<Generated, Failure> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| Failure::Other(format!("cannot read {}: {e}", dir.join(name).display())))
    };
    let code = read("codegen.rs")?;
    // `codegen --out` writes the listing beside the code (and the tests give
    // one of their own); without it, it is made from the code.
    let surface = match read("surface.txt") {
        Ok(listing) => listing,
        Err(_) => crate::surface::listing(&code).map_err(Failure::Other)?,
    };
    Ok(Generated {
        code,
        surface,
        pruned: parse_pruned(&read("pruned.txt")?),
        crate_errors: String::new(),
        out_dir: dir.to_path_buf(),
    })
}

/// The `  - <problem>` lines build.rs prints when it cannot generate (a
/// table with problems, a progenitor panic; cargo indents the build
/// script's stderr by two more spaces).
pub fn build_script_problems(stderr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in stderr.lines() {
        if line.contains("openapi.yaml cannot be turned into a client") {
            inside = true;
            continue;
        }
        if inside {
            match line.trim_start().strip_prefix("- ") {
                Some(p) => out.push(p.to_string()),
                None => inside = false,
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_methods_of_the_surface_listing() {
        let surface = "# methods of raw::Client (positional)\n\
                       a_start(body: X) -> R\n\
                       b_get(id: Y) -> R\n\
                       \n# types\nstruct X {\n    a: String\n}\n";
        assert_eq!(surface_methods(surface), ["a_start", "b_get"]);
    }

    #[test]
    fn reads_the_prune_list() {
        let pruned = parse_pruned("document_upload\tmultipart is not supported\nodd\n\n");
        assert_eq!(
            pruned,
            [
                (
                    "document_upload".to_string(),
                    "multipart is not supported".to_string()
                ),
                ("odd".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn picks_the_problem_lines_of_a_refused_spec() {
        let stderr = "   Compiling identisure v0.1.0\n\
error: failed to run custom build command for `identisure v0.1.0`\n\
\n\
Caused by:\n\
  process didn't exit successfully: `build-script-build` (exit status: 1)\n\
  --- stdout\n\
  cargo::warning=openapi.yaml: operation `x_upload`: request body of type `multipart/form-data` cannot be generated\n\
  --- stderr\n\
  error: openapi.yaml cannot be turned into a client:\n\
    - operation `x_upload`: request body of type `multipart/form-data` cannot be generated\n\
    - operation `y`: no description\n\
warning: build failed, waiting for other jobs to finish...\n";
        assert_eq!(
            build_script_problems(stderr),
            [
                "operation `x_upload`: request body of type `multipart/form-data` cannot be generated",
                "operation `y`: no description"
            ]
        );
    }
}
