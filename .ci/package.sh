#!/usr/bin/env bash
# The crate as users get it: `cargo package` with its verification build
# (the unpacked .crate is built on its own, default features), on the clean
# clone CI runs on. Also checks what the package holds.
# Cost: one build of the crate and its dependencies with default features
# (the test steps build with --all-features, so much is rebuilt): about
# 11 min cold on 2 busy cores; less after .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

list=$(cargo package -p identisure --list)
for needed in openapi.yaml build.rs src/lib.rs src/raw.rs README.md CHANGELOG.md \
    LICENSE-MIT LICENSE-APACHE Cargo.toml Cargo.lock; do
    if ! grep -qx "$needed" <<<"$list"; then
        echo "package.sh: the package lacks $needed" >&2
        exit 1
    fi
done
if grep -E '^(tests|examples|xtask|benches|fuzz|\.ci|target)/|^MAINTAINING\.md$|/snapshots/' <<<"$list"; then
    echo "package.sh: the package holds files users do not need (above)" >&2
    exit 1
fi

start=$(date +%s)
cargo package -p identisure
echo "package.sh: cargo package (with verification build) took $(( $(date +%s) - start )) s"
crate=$(ls -1 "${CARGO_TARGET_DIR:-target}"/package/identisure-[0-9]*.crate | tail -n 1)
echo "package.sh: $(basename "$crate"): $(wc -c <"$crate") bytes, $(wc -l <<<"$list") files"
