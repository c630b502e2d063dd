#!/usr/bin/env bash
# Documentation: rustdoc with every warning an error (broken links, missing
# docs on public items, bad code blocks), with all features as docs.rs
# builds it, then with no feature and each feature alone, so that no
# intra-doc link breaks for a dependent that enables only some of them.
# The doc-tests (the crate's quick start runs against the simulator) run in
# .ci/run's `cargo test --workspace --all-features`.
# Cost: about 1-4 min for the first build, seconds for each feature set after.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export RUSTDOCFLAGS="-D warnings"
cargo doc --no-deps --workspace --exclude xtask --exclude conformance --exclude identisure-cli --all-features
features=$(cargo metadata --no-deps --format-version 1 \
    | python3 -c 'import json,sys; m=json.load(sys.stdin); p=[p for p in m["packages"] if p["name"]=="identisure"][0]; print(" ".join(f for f in p["features"] if f != "default"))')
for feature in "" $features; do
    echo "rustdoc: features [${feature}]"
    cargo doc --no-deps -p identisure --no-default-features ${feature:+--features "$feature"}
done
