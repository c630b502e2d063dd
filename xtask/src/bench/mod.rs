//! `cargo xtask bench [--quick]`: runs every measurement module, prints a
//! table against the goals, and writes `<target>/bench/report.json`
//! (`<target>` is `CARGO_TARGET_DIR` when set, else `target/` of the repo).
//!
//! A report is a flat JSON object: report key → JSON value. Figures are
//! measured in this one run (ratios against a baseline taken in the same
//! run where a baseline makes sense); nothing asserts on speed.
//!
//! # Adding a measurement module
//! 1. Write `pub fn run(ctx: &Ctx) -> Result<Metrics, String>` in a new file
//!    of this directory (return `(key, value)` pairs; `ctx.quick` asks for a
//!    short run, `ctx.target_dir` is where scratch builds may go).
//! 2. Add one line to [`MODULES`] and `mod <name>;` below.
//! 3. Give its keys goals in [`goals::GOALS`] (optional; keys without a goal
//!    are shown for the record).
//!
//! Measurements that need the library at run time (sessions, simulator,
//! callbacks) belong in the bench binary instead, `benches/suite/` (see
//! its `MEASUREMENTS` list): the `suite` module runs it in release and
//! merges its keys.

mod build;
mod dependents;
mod goals;
mod readme;
mod scale;
mod suite;
mod web;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::repo::Repo;

/// What one module reports: (key, value) pairs.
pub type Metrics = Vec<(String, Value)>;

/// A measurement module: its name and its function.
pub type Module = (&'static str, fn(&Ctx) -> Result<Metrics, String>);

/// Every module, in the order they run.
pub const MODULES: &[Module] = &[
    ("suite", suite::run),
    ("scale", scale::run),
    ("web", web::run),
    ("build", build::run),
    ("dependents", dependents::run),
];

/// What a module gets to work with.
pub struct Ctx {
    /// The repository.
    pub repo: Repo,
    /// A short run (the whole `--quick` run stays under about two minutes).
    pub quick: bool,
    /// Cargo's target directory (`CARGO_TARGET_DIR` or `<repo>/target`).
    pub target_dir: PathBuf,
}

/// Options of `cargo xtask bench`.
pub struct Options {
    pub quick: bool,
    /// Run only these modules (all when empty).
    pub only: Vec<String>,
    /// Also rewrite the README's performance section from this run.
    pub readme: bool,
}

/// Where the report goes.
pub fn report_path(target_dir: &Path) -> PathBuf {
    target_dir.join("bench").join("report.json")
}

/// The target directory: `CARGO_TARGET_DIR` (relative to the repo when
/// relative) or `<repo>/target`.
pub fn target_dir(repo: &Repo) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => repo.root().join(dir),
        _ => repo.root().join("target"),
    }
}

pub fn run(repo: &Repo, options: &Options) -> Result<(), String> {
    if options.readme && !options.only.is_empty() {
        return Err(
            "--readme needs a run of every module (without --only): the README's table \
                    shows every goal"
                .into(),
        );
    }
    let ctx = Ctx {
        repo: repo.clone(),
        quick: options.quick,
        target_dir: target_dir(repo),
    };
    let for_real = Instant::now();
    let mut report = Map::new();
    report.insert(
        "bench_mode".into(),
        Value::from(if ctx.quick { "quick" } else { "full" }),
    );
    let mut failures = Vec::new();
    for (name, module) in MODULES {
        if !options.only.is_empty() && !options.only.iter().any(|o| o == name) {
            continue;
        }
        eprintln!("==> bench module `{name}`");
        match module(&ctx) {
            Ok(metrics) => {
                for (key, value) in metrics {
                    report.insert(key, value);
                }
            }
            Err(e) => {
                eprintln!("error in bench module `{name}`: {e}");
                report.insert(format!("{name}_error"), Value::from(e.clone()));
                failures.push(name.to_string());
            }
        }
    }
    report.insert(
        "bench_total_s".into(),
        Value::from(round(for_real.elapsed(), 1)),
    );
    println!("{}", goals::table(&report));
    let path = report_path(&ctx.target_dir);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&Value::Object(report.clone()))
        .map_err(|e| format!("cannot serialise the report: {e}"))?;
    std::fs::write(&path, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("report written to {}", path.display());
    if options.readme {
        let readme = repo.root().join("README.md");
        readme::write(&readme, &report)?;
        println!("performance section of {} rewritten", readme.display());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("bench modules failed: {}", failures.join(", ")))
    }
}

/// Seconds with `digits` decimals.
pub fn round(d: Duration, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (d.as_secs_f64() * f).round() / f
}
