#!/usr/bin/env bash
# Documentation: rustdoc with every warning an error (broken links, missing
# docs on public items, bad code blocks) and all features, as docs.rs builds
# it. The doc-tests (the crate's quick start runs against the simulator)
# run in .ci/run's `cargo test --workspace --all-features`.
# Cost: about 1-4 min (rustdoc of the crate; dependencies are reused).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features
