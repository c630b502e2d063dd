//! Maintainer tasks for the `identisure` crate, run as `cargo xtask <task>`.
//! The workflow they support is described in MAINTAINING.md.

mod bench;
mod build_cost;
mod check;
mod codegen;
mod diff;
mod lint;
// The spec model and the transforms: the files build.rs generates with.
#[path = "../../build/model.rs"]
mod model;
mod normalize;
mod refresh;
mod repo;
mod report;
// The request builders' generator, for its tests (build.rs runs it).
#[cfg(test)]
#[path = "../../build/requests.rs"]
mod requests;
mod semver;
mod spec;
mod surface;
#[path = "../../build/transforms.rs"]
mod transforms;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use repo::Repo;

/// Maintainer tasks for identisure: refresh the spec from upstream, report
/// what changed, and guard the generated surface against drift.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    /// Root of the identisure repository to work on (default: this workspace).
    #[arg(long, global = true, env = "IDENTISURE_REPO", value_name = "DIR")]
    repo: Option<PathBuf>,
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Fetch the spec (JSON or YAML), check it is OpenAPI 3.0, normalise it,
    /// write openapi.yaml, print the change report, lint and regenerate.
    RefreshSpec {
        /// URL (http:// or https://) or file to read the spec from
        /// (default: the upstream URL configured in xtask/src/spec.rs).
        #[arg(long, value_name = "URL|FILE")]
        from: Option<String>,
        /// Do not lint the new spec nor run build.rs on it afterwards.
        #[arg(long)]
        no_regenerate: bool,
    },
    /// Fail, with a readable diff, when openapi.yaml is not normalised, the
    /// generator cannot take it (the spec lint), an operation is neither
    /// generated nor pruned, or the generated surface differs from the
    /// committed snapshots.
    Check {
        /// Read the generated output from DIR (as written by `codegen --out
        /// DIR`) instead of building the crate.
        #[arg(long, value_name = "DIR")]
        generated: Option<PathBuf>,
    },
    /// Lint the spec, then write the generated code, surface listing and
    /// prune list to a directory.
    Codegen {
        /// Where to write codegen.rs, surface.txt and pruned.txt
        /// (default: <repo>/target/codegen).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Rewrite openapi.yaml in normal form (order and formatting only; the
    /// content is verified to stay the same).
    Normalize,
    /// Run the benchmarks: print a table against the goals and
    /// write <target>/bench/report.json. See xtask/src/bench/mod.rs for how
    /// to add a measurement.
    Bench {
        /// A short run (about two minutes): fewer iterations, no cold build.
        #[arg(long)]
        quick: bool,
        /// Run only these modules (`suite`, `scale`, `build`, `dependents`),
        /// comma-separated.
        #[arg(long, value_delimiter = ',', value_name = "MODULE")]
        only: Vec<String>,
        /// Also rewrite the performance section of README.md from this run
        /// (between its `bench:begin` and `bench:end` markers).
        #[arg(long)]
        readme: bool,
    },
    /// Run cargo-semver-checks against a git revision and print its verdict
    /// beside the bump the spec report suggests.
    Semver {
        /// The git revision to compare with (e.g. the previous release tag).
        #[arg(long, value_name = "REV")]
        baseline: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let repo = Repo::new(cli.repo.unwrap_or_else(Repo::default_root));
    let result = match cli.task {
        Task::RefreshSpec {
            from,
            no_regenerate,
        } => refresh::run(
            &repo,
            &refresh::Options {
                from,
                regenerate: !no_regenerate,
            },
        ),
        Task::Check { generated } => check::run(&repo, generated.as_deref()),
        Task::Codegen { out } => write_codegen(&repo, out),
        Task::Normalize => normalize_spec(&repo),
        Task::Bench {
            quick,
            only,
            readme,
        } => bench::run(
            &repo,
            &bench::Options {
                quick,
                only,
                readme,
            },
        ),
        Task::Semver { baseline } => semver::run(&repo, &baseline),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_codegen(repo: &Repo, out: Option<PathBuf>) -> Result<(), String> {
    let out = out.unwrap_or_else(|| repo.root().join("target").join("codegen"));
    let g = codegen::generate(repo.root()).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let pruned: String = g
        .pruned
        .iter()
        .map(|(id, why)| format!("{id}\t{why}\n"))
        .collect();
    for (name, text) in [
        ("codegen.rs", &g.code),
        ("surface.txt", &g.surface),
        ("pruned.txt", &pruned),
    ] {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("wrote {} ({} lines)", path.display(), text.lines().count());
    }
    if !g.crate_errors.is_empty() {
        eprintln!(
            "note: the crate itself does not compile against this code:\n{}",
            g.crate_errors
        );
    }
    Ok(())
}

fn normalize_spec(repo: &Repo) -> Result<(), String> {
    let path = repo.spec();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc = spec::load_file(&path)?;
    let normal = normalize::to_yaml(&normalize::normalize(&doc))?;
    if normal == text {
        println!("{} is already in normal form", path.display());
        return Ok(());
    }
    // Order and formatting only: the content must read back the same.
    let before: serde_json::Value =
        serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let after: serde_json::Value =
        serde_norway::from_str(&normal).map_err(|e| format!("normal form: {e}"))?;
    if before != after {
        return Err(
            "normalising would change the content of the spec; not writing (a bug in xtask)".into(),
        );
    }
    std::fs::write(&path, normal).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!(
        "{} rewritten in normal form (content unchanged)",
        path.display()
    );
    Ok(())
}
