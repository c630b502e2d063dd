//! The changelog guard of `cargo xtask check`: the version in Cargo.toml has
//! an entry in CHANGELOG.md, in Keep a Changelog form
//! (`## [0.1.0] - 2026-11-27` followed by at least one `- ` line).

use crate::repo::Repo;

/// Runs the check, printing its result in the style of the other checks;
/// `Err` is the one-line reason it failed.
pub fn run(repo: &Repo) -> Result<(), String> {
    println!("check: CHANGELOG.md has an entry for the crate's version");
    let result = check(repo);
    match &result {
        Ok(version) => println!("  ok: {version}"),
        Err(e) => {
            println!("  FAILED: {e}");
            println!(
                "  fix: add `## [<version>] - <YYYY-MM-DD>` with its changes to CHANGELOG.md \
                 (Keep a Changelog form)"
            );
        }
    }
    result.map(|_| ())
}

/// The version that has an entry, or why there is none.
fn check(repo: &Repo) -> Result<String, String> {
    let version = repo
        .crate_version()
        .ok_or("cannot read the package version from Cargo.toml")?;
    let path = repo.root().join("CHANGELOG.md");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    entry_problem(&text, &version).map_or(Ok(version), Err)
}

/// `None` when `changelog` has a non-empty entry for `version`.
pub fn entry_problem(changelog: &str, version: &str) -> Option<String> {
    let mut lines = changelog.lines();
    let found = lines.by_ref().any(|l| heading_version(l) == Some(version));
    if !found {
        let known: Vec<&str> = changelog.lines().filter_map(heading_version).collect();
        return Some(format!(
            "no `## [{version}]` entry in CHANGELOG.md (entries: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ));
    }
    let has_item = lines
        .take_while(|l| !l.starts_with("## "))
        .any(|l| l.trim_start().starts_with("- "));
    if has_item {
        None
    } else {
        Some(format!(
            "the `## [{version}]` entry of CHANGELOG.md lists no change"
        ))
    }
}

/// The version of a release heading `## [x.y.z]` or `## [x.y.z] - date`.
fn heading_version(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("## [")?;
    let (version, _) = rest.split_once(']')?;
    let version = version.trim();
    (!version.eq_ignore_ascii_case("unreleased")).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2027-01-02\n\n### Changed\n\
                       - a thing\n\n## [0.1.1] - 2026-12-01\n\n## [0.1.0] - 2026-11-27\n\n### Added\n- all\n";

    #[test]
    fn an_entry_with_changes_passes() {
        assert_eq!(entry_problem(LOG, "0.2.0"), None);
        assert_eq!(entry_problem(LOG, "0.1.0"), None);
    }

    #[test]
    fn a_missing_version_fails_and_lists_the_entries() {
        let p = entry_problem(LOG, "0.3.0").unwrap();
        assert!(p.contains("no `## [0.3.0]` entry"), "{p}");
        assert!(p.contains("0.2.0, 0.1.1, 0.1.0"), "{p}");
    }

    #[test]
    fn an_empty_entry_fails() {
        let p = entry_problem(LOG, "0.1.1").unwrap();
        assert!(p.contains("lists no change"), "{p}");
    }

    #[test]
    fn unreleased_is_not_a_version_and_prefixes_do_not_match() {
        assert!(entry_problem(LOG, "Unreleased").is_some());
        assert!(entry_problem(LOG, "0.1").is_some());
        assert!(entry_problem("## [0.1.0]\n- x\n", "0.1.0").is_none());
    }
}
