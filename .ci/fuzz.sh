#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer): every target in fuzz/ for a bounded
# time (FUZZ_SECONDS each, default 30). Fails on any crash, panic or timeout.
#
# cargo-fuzz needs nightly compiler flags (-Zsanitizer=address, …). The CI
# toolchain is stable; RUSTC_BOOTSTRAP=1 makes stable rustc accept them.
# Idempotent: installs cargo-fuzz when missing. The first run builds the
# crate and its dependencies with sanitizer instrumentation (several minutes
# on 2 cores); later runs reuse the build.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export RUSTC_BOOTSTRAP=1

SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    export CARGO_TARGET_DIR="$CARGO_TARGET_DIR/fuzz"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install --locked cargo-fuzz
fi

cd fuzz
targets="$(cargo fuzz list)"
echo "==> building fuzz targets: $(echo $targets)"
cargo fuzz build -O
for target in $targets; do
    echo "==> fuzzing $target for ${SECONDS_PER_TARGET}s"
    mkdir -p "corpus/$target"
    # -rss_limit_mb: the crate caps bodies itself; 2 GiB catches runaway
    # allocations. -timeout: one input taking 10 s is a hang.
    cargo fuzz run -O "$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
done
echo "==> fuzzing: no crashes"
