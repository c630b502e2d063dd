//! Build times of the library with default features, for the record: a cold
//! build (full runs only, into a scratch target directory that is emptied
//! first) and an incremental build after a change in `src/`, which must not
//! re-run the build script (code generation).

use std::path::Path;
use std::process::Command;
use std::time::{Instant, SystemTime};

use serde_json::Value;

use super::{Ctx, Metrics, round};

pub fn run(ctx: &Ctx) -> Result<Metrics, String> {
    let mut metrics = Metrics::new();
    // Quick runs measure the incremental build in the usual target
    // directory; full runs build cold in a scratch one, then incrementally there.
    let dir = if ctx.quick {
        metrics.push(("cold_build_s".into(), Value::Null));
        ctx.target_dir.clone()
    } else {
        let scratch = ctx.target_dir.join("bench").join("cold-build");
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch)
                .map_err(|e| format!("cannot empty {}: {e}", scratch.display()))?;
        }
        let cold = cargo_build(ctx.repo.root(), &scratch)?;
        metrics.push(("cold_build_s".into(), Value::from(cold.seconds)));
        metrics.push(("cold_build_crates".into(), Value::from(cold.compiled)));
        scratch
    };
    // Up to date first (untimed), then a change in src/.
    cargo_build(ctx.repo.root(), &dir)?;
    touch(&ctx.repo.root().join("src").join("lib.rs"))?;
    let incremental = cargo_build(ctx.repo.root(), &dir)?;
    metrics.push((
        "incremental_build_s".into(),
        Value::from(incremental.seconds),
    ));
    metrics.push((
        "incremental_build_reran_codegen".into(),
        Value::from(incremental.ran_build_script),
    ));
    if !ctx.quick {
        // The scratch build is large and the disk is shared.
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(metrics)
}

struct Built {
    seconds: f64,
    compiled: usize,
    ran_build_script: bool,
}

/// `cargo build -p identisure --lib -v` (default features) into `target`.
fn cargo_build(root: &Path, target: &Path) -> Result<Built, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let started = Instant::now();
    let output = Command::new(cargo)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .args(["build", "--package", "identisure", "--lib", "--verbose"])
        .output()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    let seconds = round(started.elapsed(), 1);
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("cargo build failed: {}", build_errors(&log)));
    }
    Ok(Built {
        seconds,
        compiled: compiled_crates(&log),
        ran_build_script: ran_own_build_script(&log),
    })
}

/// The `error` lines of a failed build (the verbose log is long), or its
/// last lines when there are none.
fn build_errors(log: &str) -> String {
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.trim_start().starts_with("error"))
        .take(10)
        .collect();
    if errors.is_empty() {
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    } else {
        errors.join("\n")
    }
}

/// How many `Compiling` lines cargo printed.
fn compiled_crates(log: &str) -> usize {
    log.lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count()
}

/// Whether cargo ran identisure's build script (`-v` prints
/// `Running `…/build/identisure-<hash>/build-script-build``).
fn ran_own_build_script(log: &str) -> bool {
    log.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("Running ")
            && l.contains("build-script-build")
            && l.split(['/', '\\']).any(|part| {
                part.strip_prefix("identisure-")
                    .is_some_and(|hash| hash.chars().all(|c| c.is_ascii_hexdigit()))
            })
    })
}

/// Sets the modification time of `path` to now (content untouched).
fn touch(path: &Path) -> Result<(), String> {
    std::fs::File::options()
        .append(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .map_err(|e| format!("cannot touch {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_a_run_of_our_build_script_only() {
        let ours = "     Running `/t/debug/build/identisure-0f3a9c1d2b4e5f60/build-script-build`";
        let other = "     Running `/t/debug/build/serde-1a2b3c4d5e6f7081/build-script-build`";
        let rustc = "     Running `rustc --crate-name identisure --edition=2024 src/lib.rs`";
        assert!(ran_own_build_script(ours));
        assert!(!ran_own_build_script(other));
        assert!(!ran_own_build_script(rustc));
        assert!(!ran_own_build_script("       Fresh identisure v0.1.0"));
    }

    #[test]
    fn a_failed_build_reports_its_errors() {
        let log = "     Running `rustc --crate-name a`\nerror: failed to write file x: No space left on device\n     Running `rustc b`\n";
        assert_eq!(
            build_errors(log),
            "error: failed to write file x: No space left on device"
        );
        assert_eq!(build_errors("a\nb"), "a\nb");
    }

    #[test]
    fn counts_compiled_crates() {
        let log = "   Compiling serde v1.0.228\n       Fresh libc v0.2\n   Compiling identisure v0.1.0 (/r)\n";
        assert_eq!(compiled_crates(log), 2);
    }
}
