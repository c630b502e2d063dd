//! The measurements that use the library at run time: builds and runs the
//! bench binary `benches/suite/` in release (`cargo bench --bench suite`)
//! and takes the keys of the `IDENTISURE-BENCH {json}` line it prints.

use std::process::{Command, Stdio};

use serde_json::Value;

use super::{Ctx, Metrics};

/// The marker of the suite's result line.
pub const MARKER: &str = "IDENTISURE-BENCH ";

pub fn run(ctx: &Ctx) -> Result<Metrics, String> {
    run_bench(ctx, "identisure", "suite", "qr")
}

/// Builds and runs one bench binary of a package of the workspace in release
/// and takes the keys of its `IDENTISURE-BENCH {json}` line.
pub fn run_bench(ctx: &Ctx, package: &str, bench: &str, features: &str) -> Result<Metrics, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(ctx.repo.root())
        .args([
            "bench",
            "--package",
            package,
            "--bench",
            bench,
            "--features",
            features,
            "--",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    if ctx.quick {
        command.arg("--quick");
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo bench: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let metrics = parse(&stdout)?;
    if !output.status.success() {
        // Keep what was measured; the failing measurement named its error.
        eprintln!("the bench suite exited with {}", output.status);
    }
    Ok(metrics)
}

/// The keys of the last result line in the suite's output.
pub fn parse(stdout: &str) -> Result<Metrics, String> {
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(MARKER))
        .ok_or("the bench suite printed no result line")?;
    match serde_json::from_str(line) {
        Ok(Value::Object(map)) => Ok(map.into_iter().collect()),
        Ok(_) => Err("the bench suite's result is not a JSON object".into()),
        Err(e) => Err(format!("the bench suite's result is not JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_last_result_line() {
        let out = "noise\nIDENTISURE-BENCH {\"a\":1}\nIDENTISURE-BENCH {\"qr_frame_ns\":512,\"x\":null}\n";
        let metrics = parse(out).unwrap();
        assert_eq!(
            metrics,
            vec![
                ("qr_frame_ns".to_string(), Value::from(512)),
                ("x".to_string(), Value::Null)
            ]
        );
    }

    #[test]
    fn refuses_output_without_result() {
        assert!(
            parse("running 0 tests\n")
                .unwrap_err()
                .contains("no result line")
        );
        assert!(
            parse("IDENTISURE-BENCH [1]\n")
                .unwrap_err()
                .contains("not a JSON object")
        );
        assert!(
            parse("IDENTISURE-BENCH {oops\n")
                .unwrap_err()
                .contains("not JSON")
        );
    }
}
