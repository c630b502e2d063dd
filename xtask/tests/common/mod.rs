//! Helpers for the end-to-end tests: a temporary repository, a tiny HTTP
//! server on 127.0.0.1, and running the xtask binary.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

/// The base fixture spec (not necessarily in normal form).
pub const BASE: &str = include_str!("../fixtures/base.yaml");

/// The base fixture with text replacements applied (each must match).
pub fn changed(replacements: &[(&str, &str)]) -> String {
    let mut text = BASE.to_string();
    for (from, to) in replacements {
        assert!(text.contains(from), "fixture has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    text
}

/// YAML text as JSON text, keeping the key order.
pub fn to_json(yaml: &str) -> String {
    let v: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
    serde_json::to_string_pretty(&v).unwrap()
}

/// The content of a YAML or JSON text, for comparing meaning, not form.
pub fn content(text: &str) -> serde_json::Value {
    serde_norway::from_str(text).unwrap()
}

/// A temporary repository with a Cargo.toml (version 0.1.0) and the given
/// openapi.yaml.
pub fn temp_repo(spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"identisure\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("openapi.yaml"), spec).unwrap();
    std::fs::write(
        dir.path().join("CHANGELOG.md"),
        "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-11-27\n\n### Added\n- everything\n",
    )
    .unwrap();
    dir
}

/// Runs `xtask --repo <repo> <args>`.
pub fn xtask(repo: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--repo")
        .arg(repo)
        .args(args)
        .env_remove("IDENTISURE_REPO")
        .output()
        .unwrap();
    eprintln!(
        "xtask {args:?}: {}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An HTTP/1.1 server on 127.0.0.1 answering every request with one
/// status and body; it records the request lines it saw.
pub struct Server {
    pub url: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

pub fn serve(status: u16, content_type: &str, body: String) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let content_type = content_type.to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Skip the headers.
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" || line == "\n" => break,
                    Ok(_) => {}
                }
            }
            seen.lock()
                .unwrap()
                .push(request_line.trim_end().to_string());
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    Server { url, requests }
}

/// The target directory of the crate copies these tests build:
/// `target/drill`, beside the workspace's own (…/target/debug/deps/x →
/// …/target/drill). Never the workspace's own: cargo keys a unit by the
/// package's relative paths, so a copy built there (with newer files) made
/// the real crate's units look fresh and stay the copy's.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().join("drill")
}

/// The workspace's crates a drill copies (the client and what is built on
/// it), by directory; xtask and the conformance suites stay out.
pub const CRATES: &[&str] = &[".", "simulator", "web", "cli"];

/// Copies the client and the crates built on it ([`CRATES`]) into `dir` (a
/// workspace of its own), each package renamed `<name>-<drill>` (its library
/// keeps its name, and each dependency on another copied crate names the
/// renamed package). Each drill names its own packages: cargo keys a path
/// package's units by its name and its path relative to the workspace
/// (the same for every copy), so two drills of one name running at once
/// (the tests of one file do) would share units in `target/drill`, and one
/// could take the other's build, older than its own files, as fresh.
pub fn copy_crate(root: &std::path::Path, dir: &std::path::Path, drill: &str) {
    fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_name() == "target" {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                copy_tree(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let package_name = |manifest: &str| -> String {
        let line = manifest
            .lines()
            .find(|l| l.starts_with("name = "))
            .expect("a package name");
        line.trim_start_matches("name = ")
            .trim_matches('"')
            .to_string()
    };
    let names: Vec<String> = CRATES
        .iter()
        .map(|c| package_name(&std::fs::read_to_string(root.join(c).join("Cargo.toml")).unwrap()))
        .collect();
    for (krate, name) in CRATES.iter().zip(&names) {
        let (from, to) = (root.join(krate), dir.join(krate));
        let mut manifest = std::fs::read_to_string(from.join("Cargo.toml")).unwrap();
        if *krate == "." {
            let members = manifest
                .lines()
                .find(|l| l.starts_with("members = "))
                .expect("a workspace members line")
                .to_string();
            let listed: Vec<String> = CRATES.iter().map(|c| format!("{c:?}")).collect();
            manifest = manifest.replace(&members, &format!("members = [{}]", listed.join(", ")));
            for file in ["build.rs", "openapi.yaml", "Cargo.lock", "CHANGELOG.md"] {
                std::fs::copy(root.join(file), dir.join(file)).unwrap();
            }
            // The manifest names examples and benches: they must be there too.
            for tree in ["src", "build", "examples", "benches", "tests/snapshots"] {
                copy_tree(&root.join(tree), &dir.join(tree));
            }
        } else {
            copy_tree(&from, &to);
        }
        std::fs::copy(from.join("README.md"), to.join("README.md")).unwrap();
        manifest = manifest.replacen(
            &format!("name = \"{name}\"\n"),
            &format!("name = \"{name}-{drill}\"\n"),
            1,
        );
        if !manifest.contains("[[bin]]") {
            let lib = name.replace('-', "_");
            manifest = manifest.replacen(
                "\n[",
                &format!("\n[lib]\nname = \"{lib}\"\npath = \"src/lib.rs\"\n\n["),
                1,
            );
        }
        for other in &names {
            manifest = manifest.replace(
                &format!("\n{other} = {{ path"),
                &format!("\n{other} = {{ package = \"{other}-{drill}\", path"),
            );
        }
        std::fs::write(to.join("Cargo.toml"), manifest).unwrap();
    }
}
