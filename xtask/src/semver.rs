//! `cargo xtask semver --baseline REV`: is the version in Cargo.toml a big
//! enough bump since the git revision `REV` (usually the last release tag)?
//!
//! Two opinions, printed side by side:
//! - **cargo-semver-checks** (`cargo semver-checks --baseline-rev REV`) on
//!   the Rust API: the crate is built at `REV` and now, and their public
//!   items compared (removed items, changed signatures, new enum variants …);
//! - **the spec report** of `refresh-spec`: the change report between
//!   `openapi.yaml` at `REV` and now, and the bump it implies for the version
//!   at `REV` (MAINTAINING.md, "Semver rule").
//!
//! Fails when cargo-semver-checks finds the bump too small, when the spec
//! report asks for more than Cargo.toml has, or when cargo-semver-checks is
//! missing (install: `cargo install cargo-semver-checks --locked`).

use std::process::Command;

use crate::diff;
use crate::normalize;
use crate::repo::Repo;
use crate::report::{self, Bump};
use crate::spec;

/// Runs both checks and prints the verdicts; `Err` says which failed.
pub fn run(repo: &Repo, baseline: &str) -> Result<(), String> {
    let current = repo
        .crate_version()
        .ok_or("cannot read the package version from Cargo.toml")?;
    let spec_verdict = spec_bump(repo, baseline, &current);
    let tool_verdict = semver_checks(repo, baseline);

    println!();
    println!("semver: identisure {current} against {baseline}");
    let mut failed = Vec::new();
    match &tool_verdict {
        Ok(summary) => println!("  cargo-semver-checks: ok: {summary}"),
        Err(e) => {
            println!("  cargo-semver-checks: FAILED: {e}");
            failed.push("cargo-semver-checks");
        }
    }
    match &spec_verdict {
        Ok(line) => println!("  spec report (refresh-spec): ok: {line}"),
        Err(e) => {
            println!("  spec report (refresh-spec): FAILED: {e}");
            failed.push("the spec report");
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("semver check failed: {}", failed.join(", ")))
    }
}

/// The spec report between `openapi.yaml` at `baseline` and now, and whether
/// `current` is at least the version it suggests for the baseline's version.
fn spec_bump(repo: &Repo, baseline: &str, current: &str) -> Result<String, String> {
    let old_text = git_show(repo, baseline, "openapi.yaml")?;
    let old_manifest = git_show(repo, baseline, "Cargo.toml")?;
    let old_version = report::crate_version(&old_manifest)
        .ok_or_else(|| format!("cannot read the package version of Cargo.toml at {baseline}"))?;
    let old = normalize::normalize(
        &spec::parse(&old_text).map_err(|e| format!("openapi.yaml at {baseline}: {e}"))?,
    );
    let new = normalize::normalize(&spec::load_file(&repo.spec())?);
    let changes = diff::diff(&old, &new);
    let rendered = report::render(&changes, &[], Some(&old_version));
    for line in rendered.lines() {
        println!("spec: {line}");
    }
    let semver_line = rendered.lines().last().unwrap_or_default().to_string();
    let bump = report::bump(&changes);
    let wanted = report::next_version(&old_version, &changes, bump)
        .map(|(v, _)| v)
        .ok_or_else(|| format!("cannot read the version {old_version} at {baseline}"))?;
    if bump == Bump::None || version_at_least(current, &wanted) {
        Ok(format!("{semver_line}; Cargo.toml has {current}"))
    } else {
        Err(format!(
            "{semver_line}; Cargo.toml has {current}, below {wanted}"
        ))
    }
}

/// Whether `a >= b` for `x.y.z` versions (pre-release tags ignored).
fn version_at_least(a: &str, b: &str) -> bool {
    fn parts(v: &str) -> Option<(u64, u64, u64)> {
        let core = v.split(['-', '+']).next()?;
        let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
        Some((it.next()??, it.next()??, it.next()??))
    }
    matches!((parts(a), parts(b)), (Some(a), Some(b)) if a >= b)
}

/// `git show REV:path` in the repository.
fn git_show(repo: &Repo, rev: &str, path: &str) -> Result<String, String> {
    let out = Command::new("git")
        .current_dir(repo.root())
        .args(["show", &format!("{rev}:{path}")])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        String::from_utf8(out.stdout).map_err(|_| format!("{path} at {rev} is not UTF-8"))
    } else {
        Err(format!(
            "git show {rev}:{path}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Runs cargo-semver-checks, passing its output through; `Ok` is its
/// summary line.
fn semver_checks(repo: &Repo, baseline: &str) -> Result<String, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let probe = Command::new(&cargo)
        .args(["semver-checks", "--version"])
        .output();
    match probe {
        Ok(out) if out.status.success() => {
            eprintln!("semver: {}", String::from_utf8_lossy(&out.stdout).trim());
        }
        _ => {
            return Err(
                "cargo-semver-checks is not installed (cargo install cargo-semver-checks --locked)"
                    .into(),
            );
        }
    }
    let manifest = repo.root().join("Cargo.toml");
    let out = Command::new(&cargo)
        .args(["semver-checks", "check-release", "--package", "identisure"])
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["--baseline-rev", baseline])
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .map_err(|e| format!("cannot run cargo semver-checks: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{text}");
    let summary = summary_line(&text);
    if out.status.success() {
        Ok(summary.unwrap_or_else(|| "passed".into()))
    } else {
        Err(summary.unwrap_or_else(|| format!("exited with {}", out.status)))
    }
}

/// The `Summary …` line of cargo-semver-checks' output, if any.
fn summary_line(output: &str) -> Option<String> {
    output
        .lines()
        .map(str::trim)
        .rfind(|l| l.starts_with("Summary "))
        .map(|l| l.trim_start_matches("Summary ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(version_at_least("0.10.0", "0.9.0"));
        assert!(version_at_least("0.2.0", "0.2.0"));
        assert!(!version_at_least("0.1.9", "0.2.0"));
        assert!(version_at_least("1.0.0", "0.9.9"));
        assert!(!version_at_least("x", "0.1.0"));
    }

    #[test]
    fn the_summary_line_is_found() {
        let out = "     Parsing identisure v0.1.0 (current)\n     \
                   Summary semver requires new minor version: 1 major and 0 minor checks failed\n";
        assert_eq!(
            summary_line(out).as_deref(),
            Some("semver requires new minor version: 1 major and 0 minor checks failed")
        );
        assert_eq!(summary_line("nothing"), None);
    }
}
