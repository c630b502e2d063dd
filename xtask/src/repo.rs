//! The files of the repository the tasks work on. Every task takes the
//! repository root as an argument (`--repo`, default: this workspace), so
//! tests can point them at a temporary copy.

use std::path::{Path, PathBuf};

/// A checkout of identisure.
#[derive(Clone, Debug)]
pub struct Repo {
    root: PathBuf,
}

impl Repo {
    /// The repository at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Repo { root: root.into() }
    }

    /// The workspace this xtask was built in.
    pub fn default_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `openapi.yaml`.
    pub fn spec(&self) -> PathBuf {
        self.root.join("openapi.yaml")
    }

    /// The committed insta snapshot `tests/snapshots/surface__<name>.snap`.
    pub fn snapshot(&self, name: &str) -> PathBuf {
        self.root
            .join("tests")
            .join("snapshots")
            .join(format!("surface__{name}.snap"))
    }

    /// The crate's version from its Cargo.toml, if readable.
    pub fn crate_version(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.root.join("Cargo.toml")).ok()?;
        crate::report::crate_version(&text)
    }
}
