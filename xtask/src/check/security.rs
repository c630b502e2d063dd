//! The SECURITY.md guard of `cargo xtask check`: every test the threat model
//! names (the last column of its tables) exists in the tests of a crate of
//! the workspace, and every file it names (`tests/…`, `.ci/…`,
//! `examples/…`, also under a crate's folder: `web/tests/…`) exists, so the
//! page cannot point at evidence that was renamed or removed.

use std::path::Path;

use crate::repo::Repo;

/// Runs the check, printing its result (and each missing name) in the
/// style of the other checks.
pub fn run(repo: &Repo) -> Result<(), ()> {
    println!("check: the tests and files SECURITY.md names exist");
    let result = check(repo.root());
    match &result {
        Ok(n) => println!("  ok: {n} tests and files"),
        Err(missing) => {
            for m in missing {
                println!("  FAILED: SECURITY.md names {m}, which does not exist");
            }
            println!("  fix: rename it in SECURITY.md along with the test or file");
        }
    }
    result.map(|_| ()).map_err(|_| ())
}

/// How many names were found, or the missing ones.
fn check(root: &Path) -> Result<usize, Vec<String>> {
    let path = root.join("SECURITY.md");
    if !path.exists() {
        // A repository without the page has nothing to point at (the
        // fixtures of xtask's own tests); ours is held to it by the test
        // `the_repository_page_names_only_what_exists`.
        return Ok(0);
    }
    let page = std::fs::read_to_string(&path)
        .map_err(|e| vec![format!("(cannot read SECURITY.md: {e})")])?;
    let mut sources = String::new();
    for krate in CRATES {
        collect_rust(&root.join(krate).join("tests"), &mut sources);
    }
    let tests = named_tests(&page);
    let files = named_files(&page);
    let mut missing: Vec<String> = tests
        .iter()
        .filter(|t| !defines_fn(&sources, t))
        .map(|t| format!("the test `{t}`"))
        .collect();
    missing.extend(
        files
            .iter()
            .filter(|f| !root.join(f).is_file())
            .map(|f| format!("the file `{f}`")),
    );
    if missing.is_empty() {
        Ok(tests.len() + files.len())
    } else {
        Err(missing)
    }
}

/// The folders of the workspace's crates whose tests the page may name
/// (the client at the root, then the crates built on it).
const CRATES: [&str; 4] = [".", "simulator", "web", "cli"];

/// Appends the text of every `.rs` file below `dir`.
fn collect_rust(dir: &Path, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rust(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && let Ok(text) = std::fs::read_to_string(&path)
        {
            out.push_str(&text);
            out.push('\n');
        }
    }
}

/// The spans between backticks in `text`.
fn code_spans(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

/// Test function names in the last column of the page's tables.
fn named_tests(page: &str) -> Vec<String> {
    let is_test_name = |s: &str| {
        s.contains('_')
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    let mut names = Vec::new();
    for row in page.lines().filter(|l| l.trim_start().starts_with('|')) {
        let last = row
            .trim()
            .trim_end_matches('|')
            .rsplit('|')
            .next()
            .unwrap_or("");
        for span in code_spans(last).filter(|s| is_test_name(s)) {
            if !names.iter().any(|n| n == span) {
                names.push(span.to_string());
            }
        }
    }
    names
}

/// Repository files the page names in code spans.
fn named_files(page: &str) -> Vec<String> {
    let mut files = Vec::new();
    for span in code_spans(page) {
        let in_crate = CRATES[1..]
            .iter()
            .find_map(|c| span.strip_prefix(c)?.strip_prefix('/'))
            .unwrap_or(span);
        let is_file = ["tests/", ".ci/", "examples/"]
            .iter()
            .any(|d| in_crate.starts_with(d))
            && [".rs", ".sh"].iter().any(|e| span.ends_with(e))
            && !span.contains(char::is_whitespace);
        if is_file && !files.iter().any(|f| f == span) {
            files.push(span.to_string());
        }
    }
    files
}

/// Whether `sources` define a function called `name`.
fn defines_fn(sources: &str, name: &str) -> bool {
    sources
        .match_indices(&format!("fn {name}("))
        .any(|(at, _)| {
            at == 0 || !sources[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "Tested in `tests/redaction.rs` and `Error::Api`.\n\n\
        | attack | defence | test |\n|---|---|---|\n\
        | relay | a `one_time_key` | `a_relay_fails`, `the_hook_runs` (`web/tests/web_login_browser.rs`) |\n\
        | csrf | `Sec-Fetch-Site` | `a_relay_fails`, `.ci/redis.sh` |\n";

    #[test]
    fn tests_come_from_the_last_column_only() {
        assert_eq!(named_tests(PAGE), ["a_relay_fails", "the_hook_runs"]);
    }

    #[test]
    fn files_come_from_anywhere_on_the_page() {
        assert_eq!(
            named_files(PAGE),
            [
                "tests/redaction.rs",
                "web/tests/web_login_browser.rs",
                ".ci/redis.sh"
            ]
        );
    }

    #[test]
    fn a_function_must_be_defined_under_its_whole_name() {
        let src = "async fn a_relay_fails() {}\nfn not_the_hook_runs() {}\n";
        assert!(defines_fn(src, "a_relay_fails"));
        assert!(!defines_fn(src, "the_hook_runs"));
        assert!(!defines_fn(src, "relay_fails"));
    }

    #[test]
    fn the_repository_page_names_only_what_exists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let found = check(&root).unwrap_or_else(|m| panic!("missing: {m:?}"));
        assert!(
            found >= 15,
            "only {found} names found: is the table still read?"
        );
    }
}
