//! `cargo xtask bench --readme`: the README's performance section, written
//! from a run's report (the goals, what was measured, whether each is met,
//! the peers measured beside). Only the text between the two markers is
//! replaced; everything else of the README stays as written.

use std::path::Path;

use serde_json::{Map, Value};

use super::goals::{GOALS, beside};

/// Where the section begins and ends in `README.md`.
pub const BEGIN: &str = "<!-- bench:begin (cargo xtask bench --readme writes this) -->";
pub const END: &str = "<!-- bench:end -->";

/// The section: one line on the run, then a Markdown table of every goal
/// the report has a value for.
pub fn section(report: &Map<String, Value>, date: &str) -> String {
    let mode = report
        .get("bench_mode")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let total = report
        .get("bench_total_s")
        .map(show)
        .unwrap_or_else(|| "?".into());
    let mut out = format!(
        "Measured by `cargo xtask bench` ({mode} run of {date}, {total} s; each figure \
         against a baseline measured in the same run):\n\n\
         | measure | measured | goal | met |\n|---|---|---|---|\n"
    );
    for (key, goal) in GOALS {
        let Some(value) = report.get(*key) else {
            continue;
        };
        let peers: Vec<String> = beside(key)
            .iter()
            .filter_map(|peer| report.get(*peer).map(|v| format!("{peer} {}", show(v))))
            .collect();
        let measured = if peers.is_empty() {
            show(value)
        } else {
            format!("{} ({})", show(value), peers.join(", "))
        };
        let met = match goal.met(value) {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "n/a",
        };
        out.push_str(&format!(
            "| `{key}` | {measured} | {} | {met} |\n",
            goal.describe()
        ));
    }
    out
}

/// `readme` with the text between [`BEGIN`] and [`END`] replaced by
/// `section`.
pub fn replace(readme: &str, section: &str) -> Result<String, String> {
    let missing = || format!("README.md has no `{BEGIN}` … `{END}` section");
    let start = readme.find(BEGIN).ok_or_else(missing)? + BEGIN.len();
    let end = start + readme[start..].find(END).ok_or_else(missing)?;
    Ok(format!(
        "{}\n{}{}",
        &readme[..start],
        section.trim_end_matches('\n').to_string() + "\n",
        &readme[end..]
    ))
}

/// Rewrites the section of the README at `path` from `report`.
pub fn write(path: &Path, report: &Map<String, Value>) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let new = replace(&text, &section(report, &today()))?;
    std::fs::write(path, new).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Today's date (UTC), `YYYY-MM-DD`: the client's own calendar date
/// (`identisure::national_id::Date`, a file without dependencies).
fn today() -> String {
    date::Date::today().to_string()
}

#[allow(dead_code)] // only `today` and `Display` are used here
#[path = "../../../src/national_id/date.rs"]
mod date;

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_section_lists_each_goal_with_its_verdict_and_peers() {
        let report = json!({
            "bench_mode": "full",
            "bench_total_s": 450.2,
            "collect_overhead_ratio": 1.048,
            "qr_svg_us": 15.3,
            "qr_svg_qrcodegen_us": 331.0,
            "qr_svg_fast_qr_us": 196.8,
            "burst_sessions_lost": 0,
            "simulator_collects_per_s": 40000,
        });
        let text = section(report.as_object().unwrap(), "2026-12-05");
        assert!(
            text.starts_with("Measured by `cargo xtask bench` (full run of 2026-12-05, 450.2 s;"),
            "{text}"
        );
        assert!(
            text.contains("| `collect_overhead_ratio` | 1.048 | ≤ 1.03 | **no** |"),
            "{text}"
        );
        assert!(
            text.contains("| `qr_svg_us` | 15.3 (qr_svg_qrcodegen_us 331.0, qr_svg_fast_qr_us 196.8) | ≤ 100 | yes |"),
            "{text}"
        );
        assert!(
            text.contains("| `burst_sessions_lost` | 0 | = 0 | yes |"),
            "{text}"
        );
        // Keys without a goal are the report's, not the README's.
        assert!(!text.contains("simulator_collects_per_s"), "{text}");
        // Goals the run did not measure are left out.
        assert!(!text.contains("dependent_build_ratio"), "{text}");
    }

    #[test]
    fn only_the_section_between_the_markers_is_replaced() {
        let readme = format!("# Title\n\nbefore\n\n{BEGIN}\nold table\n{END}\n\nafter\n");
        let new = replace(&readme, "new table\n").unwrap();
        assert_eq!(
            new,
            format!("# Title\n\nbefore\n\n{BEGIN}\nnew table\n{END}\n\nafter\n")
        );
        // Idempotent.
        assert_eq!(replace(&new, "new table\n").unwrap(), new);
        assert!(
            replace("# no markers\n", "x")
                .unwrap_err()
                .contains("bench:begin")
        );
        assert!(replace(&format!("{BEGIN}\nunended"), "x").is_err());
    }
}
