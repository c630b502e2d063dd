//! What a user pays to build us: a fresh binary crate depending on the
//! packaged `identisure` (default features), built cold in its own target
//! directory, beside the same for a crate depending on the official Rust
//! client `identisure-client = "0.1.0"` from crates.io, in the same run.
//!
//! The package is made with `cargo package --no-verify --allow-dirty` (so the
//! working tree's state is measured, as users would get it) and unpacked into
//! a temporary directory; the dependent crate points at the unpacked copy
//! with a path dependency and starts from the package's `Cargo.lock`, so the
//! dependency versions are the ones the package was tested with. Downloads
//! happen before the clock starts (`cargo fetch`); the timed build runs
//! `--offline`, so the figure is compile time only. Both builds run with
//! `CARGO_INCREMENTAL=0`: cargo compiles a path dependency incrementally
//! (saving its query cache, 1.9 s more for our library here) and a
//! crates.io dependency not, and users get us from crates.io.
//!
//! The builds run one after the other, so a change of load between them
//! would skew a single pair: a full run therefore builds in the order ours,
//! anchor, anchor, ours (a drift of load in time hits both sides alike) and
//! reports the means; `--quick` builds each once. Beside the wall-clock
//! seconds, the CPU seconds of each build (user + system of cargo and every
//! compiler it ran) are reported: they barely move with other load on the
//! machine, so their ratio is the steadier evidence.
//!
//! Reported keys:
//! - `dependent_build_s`, `dependent_build_cpu_s`, `dependent_crates_compiled`
//! - `anchor_dependent_build_s`, `anchor_dependent_build_cpu_s`,
//!   `anchor_dependent_crates_compiled`
//! - `dependent_build_ratio` (ours / anchor, wall-clock; the goal is ≤ 1.0)
//!   and `dependent_build_cpu_ratio` (the same in CPU seconds)
//! - `dependent_build_rounds` (builds per side)
//! - `dependent_build_mode` (`build`, or `check` with `quick`)
//! - `dependent_package_bytes` (size of the `.crate` file)
//! - `dependent_timings_html`, `anchor_dependent_timings_html`: the
//!   `cargo build --timings` reports (kept under the system temp directory),
//!   which show what costs what.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};

/// The anchor: the official Rust client, as a user would depend on it.
const ANCHOR_DEPENDENCY: &str = r#"identisure-client = "0.1.0""#;

/// The dependent's `main.rs` for our crate: touches the client, the error and
/// a provider API so nothing is dead-code-eliminated before codegen.
const OUR_MAIN: &str = r#"fn main() {
    let client = identisure::Client::builder()
        .credentials("account", "secret")
        .build()
        .expect("a client");
    let _api = client.bankid_se();
    println!("{}", client.base_url());
}
"#;

/// The anchor's `main.rs`: only names the crate, so it is linked.
const ANCHOR_MAIN: &str = r#"use identisure_client as _;

fn main() {
    println!("built");
}
"#;

/// Measures both cold builds. With `quick`, both run `cargo check` instead of
/// `cargo build` (no code generation or linking: faster, same comparison).
///
/// Needs `cargo` and `tar` on `PATH` and access to crates.io (or a warm
/// download cache) for the dependencies.
pub fn measure(quick: bool) -> Result<Vec<(String, Value)>, String> {
    let root = workspace_root();
    let work = WorkDir::new()?;
    let mode = if quick { "check" } else { "build" };

    let (crate_file, unpacked) = package(&root, work.path())?;
    let package_bytes = std::fs::metadata(&crate_file)
        .map_err(|e| format!("cannot read {}: {e}", crate_file.display()))?
        .len();

    let ours_dir = work.path().join("dependent");
    let dependency = format!(
        "identisure = {{ path = {:?} }}",
        unpacked.to_string_lossy().as_ref()
    );
    write_binary_crate(&ours_dir, "dependent", &dependency, OUR_MAIN)?;
    let lock = unpacked.join("Cargo.lock");
    if lock.is_file() {
        copy(&lock, &ours_dir.join("Cargo.lock"))?;
    }
    let anchor_dir = work.path().join("anchor-dependent");
    write_binary_crate(
        &anchor_dir,
        "anchor-dependent",
        ANCHOR_DEPENDENCY,
        ANCHOR_MAIN,
    )?;
    let timings_dir = std::env::temp_dir().join("identisure-build-cost-timings");
    // ours, anchor (, anchor, ours): see the module documentation.
    let order: &[bool] = if quick {
        &[true, false]
    } else {
        &[true, false, false, true]
    };
    let (mut ours_runs, mut anchor_runs) = (Vec::new(), Vec::new());
    for &is_ours in order {
        let (dir, name, runs) = if is_ours {
            (&ours_dir, "dependent", &mut ours_runs)
        } else {
            (&anchor_dir, "anchor-dependent", &mut anchor_runs)
        };
        let build = cold_build(dir, mode)?;
        eprintln!(
            "build-cost: {name}: {:.1} s ({:.1} CPU s), {} crates",
            build.seconds, build.cpu_seconds, build.crates
        );
        keep_timings(&build, &timings_dir, &format!("{name}.html"));
        runs.push(build);
        // Free the disk (and make the next build of this side cold again).
        let _ = std::fs::remove_dir_all(dir.join("target"));
    }
    let ours = Build::mean(&ours_runs);
    let anchor = Build::mean(&anchor_runs);
    let ours_html = Some(timings_dir.join("dependent.html")).filter(|p| p.is_file());
    let anchor_html = Some(timings_dir.join("anchor-dependent.html")).filter(|p| p.is_file());

    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            json!(round3(a / b))
        } else {
            Value::Null
        }
    };
    Ok(vec![
        ("dependent_build_mode".into(), json!(mode)),
        ("dependent_build_rounds".into(), json!(ours_runs.len())),
        ("dependent_build_s".into(), json!(round3(ours.seconds))),
        (
            "dependent_build_cpu_s".into(),
            json!(round3(ours.cpu_seconds)),
        ),
        ("dependent_crates_compiled".into(), json!(ours.crates)),
        (
            "anchor_dependent_build_s".into(),
            json!(round3(anchor.seconds)),
        ),
        (
            "anchor_dependent_build_cpu_s".into(),
            json!(round3(anchor.cpu_seconds)),
        ),
        (
            "anchor_dependent_crates_compiled".into(),
            json!(anchor.crates),
        ),
        (
            "dependent_build_ratio".into(),
            ratio(ours.seconds, anchor.seconds),
        ),
        (
            "dependent_build_cpu_ratio".into(),
            ratio(ours.cpu_seconds, anchor.cpu_seconds),
        ),
        ("dependent_package_bytes".into(), json!(package_bytes)),
        ("dependent_timings_html".into(), path_value(ours_html)),
        (
            "anchor_dependent_timings_html".into(),
            path_value(anchor_html),
        ),
    ])
}

/// One cold build: seconds, crates compiled, where `--timings` wrote its report.
struct Build {
    seconds: f64,
    cpu_seconds: f64,
    crates: usize,
    timings: Option<PathBuf>,
}

impl Build {
    /// The mean of some builds (their timings report is not carried).
    fn mean(builds: &[Build]) -> Build {
        let n = builds.len().max(1) as f64;
        Build {
            seconds: builds.iter().map(|b| b.seconds).sum::<f64>() / n,
            cpu_seconds: builds.iter().map(|b| b.cpu_seconds).sum::<f64>() / n,
            crates: builds.iter().map(|b| b.crates).max().unwrap_or(0),
            timings: None,
        }
    }
}

/// CPU seconds (user + system) of this process's waited-for children and
/// their waited-for descendants (cargo waits for every compiler it runs).
fn children_cpu_seconds() -> f64 {
    // SAFETY: getrusage writes one plain struct that we own.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) != 0 {
            return 0.0;
        }
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// The identisure workspace (the parent of this xtask crate).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `cargo package --no-verify` into `work`, then unpacks the `.crate` there.
/// Returns the `.crate` file and the unpacked directory.
fn package(root: &Path, work: &Path) -> Result<(PathBuf, PathBuf), String> {
    let target = work.join("package-target");
    run(
        cargo()
            .current_dir(root)
            .args([
                "package",
                "-p",
                "identisure",
                "--no-verify",
                "--allow-dirty",
            ])
            .arg("--target-dir")
            .arg(&target),
        "cargo package",
    )?;
    let package_dir = target.join("package");
    let crate_file = std::fs::read_dir(&package_dir)
        .map_err(|e| format!("cannot read {}: {e}", package_dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| {
            p.extension().is_some_and(|x| x == "crate")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("identisure-"))
        })
        .ok_or_else(|| format!("no identisure-*.crate in {}", package_dir.display()))?;
    let unpack_to = work.join("unpacked");
    std::fs::create_dir_all(&unpack_to)
        .map_err(|e| format!("cannot create {}: {e}", unpack_to.display()))?;
    run(
        Command::new("tar")
            .arg("-xzf")
            .arg(&crate_file)
            .arg("-C")
            .arg(&unpack_to),
        "tar -xzf <package>.crate",
    )?;
    let stem = crate_file
        .file_stem()
        .ok_or("the .crate file has no name")?
        .to_owned();
    let unpacked = unpack_to.join(stem);
    if !unpacked.join("Cargo.toml").is_file() {
        return Err(format!(
            "the unpacked package has no Cargo.toml at {}",
            unpacked.display()
        ));
    }
    Ok((crate_file, unpacked))
}

/// Writes `<dir>/Cargo.toml` (its own workspace) and `<dir>/src/main.rs`.
fn write_binary_crate(dir: &Path, name: &str, dependency: &str, main: &str) -> Result<(), String> {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(|e| format!("cannot create {}: {e}", src.display()))?;
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{dependency}\n\n# not part of any enclosing workspace\n[workspace]\n"
    );
    write(&dir.join("Cargo.toml"), &manifest)?;
    write(&src.join("main.rs"), main)
}

/// Downloads first (not timed), then a timed `cargo <mode> --offline
/// --timings` in a target directory of its own.
fn cold_build(dir: &Path, mode: &str) -> Result<Build, String> {
    let target = dir.join("target");
    run(
        cargo()
            .current_dir(dir)
            .arg("fetch")
            .env("CARGO_TARGET_DIR", &target),
        &format!("cargo fetch in {}", dir.display()),
    )?;
    let cpu_before = children_cpu_seconds();
    let started = Instant::now();
    let out = run(
        cargo()
            .current_dir(dir)
            .args([mode, "--offline", "--timings"])
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_TERM_COLOR", "never")
            .env("CARGO_TERM_PROGRESS_WHEN", "never")
            .env("CARGO_INCREMENTAL", "0"),
        &format!("cargo {mode} in {}", dir.display()),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = children_cpu_seconds() - cpu_before;
    let crates = count_compiled(&String::from_utf8_lossy(&out.stderr));
    let timings = newest_timings(&target.join("cargo-timings"));
    Ok(Build {
        seconds,
        cpu_seconds,
        crates,
        timings,
    })
}

/// The newest `cargo-timing*.html` in `dir` (cargo writes a timestamped
/// report, and in some versions also `cargo-timing.html`).
fn newest_timings(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "html")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("cargo-timing"))
        })
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

/// Crates compiled: cargo prints one `Compiling <name> <version>` (or
/// `Checking …`) line per package it builds, the dependent itself included.
fn count_compiled(stderr: &str) -> usize {
    stderr
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("Compiling ") || l.starts_with("Checking "))
        .count()
}

/// Copies a `--timings` report out of the work directory (deleted at the end).
fn keep_timings(build: &Build, dir: &Path, name: &str) -> Option<PathBuf> {
    let from = build.timings.as_ref()?;
    std::fs::create_dir_all(dir).ok()?;
    let to = dir.join(name);
    std::fs::copy(from, &to).ok()?;
    Some(to)
}

fn path_value(path: Option<PathBuf>) -> Value {
    path.map_or(Value::Null, |p| json!(p.display().to_string()))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// `cargo`, the one that runs us when there is one.
fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // The caller's target directory and build flags belong to the caller's
    // workspace; every build here picks its own.
    cmd.env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    cmd
}

fn run(cmd: &mut Command, what: &str) -> Result<std::process::Output, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!(
            "{what} failed ({}):\n{}",
            out.status,
            tail.join("\n")
        ))
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// A temporary directory removed on drop.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new() -> Result<Self, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "identisure-build-cost-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_compiling_and_checking_lines_only() {
        let stderr = "    Updating crates.io index\n   Compiling serde v1.0.0\n   \
                      Compiling dependent v0.0.0 (/tmp/x)\n    Checking libc v0.2.0\n    \
                      Finished `dev` profile\n";
        assert_eq!(count_compiled(stderr), 3);
    }

    #[test]
    fn the_dependent_crate_is_its_own_workspace() {
        let dir = WorkDir::new().unwrap();
        write_binary_crate(dir.path(), "x", "a = \"1\"", "fn main() {}").unwrap();
        let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
        assert!(manifest.contains("[dependencies]\na = \"1\""));
        assert!(dir.path().join("src/main.rs").is_file());
        let kept = dir.path().to_path_buf();
        drop(dir);
        assert!(!kept.exists());
    }
}
