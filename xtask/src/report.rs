//! The change report: one change per line, the implied version bump last;
//! and the readable text diffs that `check` and `refresh-spec` print.

use std::fmt::Write as _;

use crate::diff::{Change, Kind};

/// The release a set of changes calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bump {
    /// Nothing in the spec's content changed.
    None,
    /// Compatible: additions, relaxed constraints, docs.
    Compatible,
    /// Something breaks code or behaviour built on the previous spec.
    Breaking,
}

/// The bump a list of changes implies.
pub fn bump(changes: &[Change]) -> Bump {
    if changes.iter().any(Change::is_breaking) {
        Bump::Breaking
    } else if changes.is_empty() {
        Bump::None
    } else {
        Bump::Compatible
    }
}

/// The version after a bump, by the Cargo semver rules: for `0.y.z` a
/// breaking change bumps `y` and anything else bumps `z`; from `1.0.0` on a
/// breaking change bumps the major version, additions the minor one.
pub fn next_version(
    current: &str,
    changes: &[Change],
    bump: Bump,
) -> Option<(String, &'static str)> {
    let mut parts = current.split('.').map(|p| p.parse::<u64>().ok());
    let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
    let added = changes.iter().any(|c| c.kind == Kind::Added);
    Some(match (bump, major) {
        (Bump::None, _) => (current.to_string(), "none"),
        (Bump::Breaking, 0) => (format!("0.{}.0", minor + 1), "minor"),
        (Bump::Breaking, _) => (format!("{}.0.0", major + 1), "major"),
        (Bump::Compatible, 0) => (format!("0.{minor}.{}", patch + 1), "patch"),
        (Bump::Compatible, _) if added => (format!("{major}.{}.0", minor + 1), "minor"),
        (Bump::Compatible, _) => (format!("{major}.{minor}.{}", patch + 1), "patch"),
    })
}

/// The report: the changes, one per line, then what the hand-written layer
/// lost by them (`lost: …`, see `refresh::lost`), then the semver line.
pub fn render(changes: &[Change], lost: &[String], crate_version: Option<&str>) -> String {
    let mut out = String::new();
    if changes.is_empty() {
        out.push_str("no changes to the spec's content\n");
    }
    for c in changes {
        let _ = writeln!(out, "{c}");
    }
    for l in lost {
        let _ = writeln!(out, "lost: {l}");
    }
    let b = bump(changes);
    let why = match b {
        Bump::None => "nothing changed",
        Bump::Compatible => "compatible changes only",
        Bump::Breaking => "breaking changes (marked - or !)",
    };
    match crate_version.and_then(|v| next_version(v, changes, b).map(|n| (v, n))) {
        Some((v, (next, level))) if b != Bump::None => {
            let _ = writeln!(out, "semver: {level} bump, {v} → {next} ({why})");
        }
        Some((v, _)) => {
            let _ = writeln!(out, "semver: no bump, stays {v} ({why})");
        }
        None => {
            let level = match b {
                Bump::None => "no",
                Bump::Compatible => "compatible (patch for 0.x)",
                Bump::Breaking => "breaking (minor for 0.x)",
            };
            let _ = writeln!(out, "semver: {level} bump ({why})");
        }
    }
    out
}

/// A unified diff of two texts, at most `max_lines` lines of it.
pub fn text_diff(old: &str, new: &str, old_name: &str, new_name: &str, max_lines: usize) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let full = diff
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string();
    let lines: Vec<&str> = full.lines().collect();
    if lines.len() <= max_lines {
        return full;
    }
    let mut out = lines[..max_lines].join("\n");
    let _ = write!(out, "\n… {} more lines of diff\n", lines.len() - max_lines);
    out
}

/// The `version` of the `[package]` of a Cargo.toml.
pub fn crate_version(cargo_toml: &str) -> Option<String> {
    let mut in_package = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        if let Some(rest) = line.strip_prefix("version") {
            let value = rest.trim_start().strip_prefix('=')?.trim();
            return Some(value.trim_matches('"').to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: Kind) -> Change {
        Change {
            kind,
            text: "x".into(),
        }
    }

    #[test]
    fn semver_rule_for_0x_and_1x() {
        let breaking = [change(Kind::Compatible), change(Kind::Breaking)];
        let removed = [change(Kind::Removed)];
        let added = [change(Kind::Added)];
        let docs = [change(Kind::Compatible)];
        let v = |cur: &str, c: &[Change]| next_version(cur, c, bump(c)).unwrap();
        assert_eq!(v("0.1.3", &breaking), ("0.2.0".into(), "minor"));
        assert_eq!(v("0.1.3", &removed), ("0.2.0".into(), "minor"));
        assert_eq!(v("0.1.3", &added), ("0.1.4".into(), "patch"));
        assert_eq!(v("0.1.3", &docs), ("0.1.4".into(), "patch"));
        assert_eq!(v("0.1.3", &[]), ("0.1.3".into(), "none"));
        assert_eq!(v("1.4.2", &breaking), ("2.0.0".into(), "major"));
        assert_eq!(v("1.4.2", &added), ("1.5.0".into(), "minor"));
        assert_eq!(v("1.4.2", &docs), ("1.4.3".into(), "patch"));
    }

    #[test]
    fn report_ends_with_the_semver_line() {
        let text = render(&[change(Kind::Breaking)], &[], Some("0.1.0"));
        assert_eq!(
            text,
            "! x\nsemver: minor bump, 0.1.0 → 0.2.0 (breaking changes (marked - or !))\n"
        );
        let lost = render(
            &[change(Kind::Removed)],
            &["a b sessions can no longer be cancelled".into()],
            None,
        );
        assert_eq!(
            lost,
            "- x\nlost: a b sessions can no longer be cancelled\nsemver: breaking (minor for 0.x) bump (breaking changes (marked - or !))\n"
        );
        let none = render(&[], &[], Some("0.1.0"));
        assert_eq!(
            none,
            "no changes to the spec's content\nsemver: no bump, stays 0.1.0 (nothing changed)\n"
        );
    }

    #[test]
    fn reads_the_package_version_only() {
        let toml =
            "[package]\nname = \"a\"\nversion = \"0.3.1\"\n[dependencies]\nversion = \"9\"\n";
        assert_eq!(crate_version(toml).as_deref(), Some("0.3.1"));
        assert_eq!(crate_version("[dependencies]\nversion = \"1\"\n"), None);
    }

    #[test]
    fn long_diffs_are_cut() {
        let old: String = (0..100).map(|i| format!("{i}\n")).collect();
        let new: String = (0..100).map(|i| format!("{}\n", i * 2)).collect();
        let d = text_diff(&old, &new, "a", "b", 10);
        assert_eq!(d.lines().count(), 11);
        assert!(d.ends_with("more lines of diff\n"));
    }
}
