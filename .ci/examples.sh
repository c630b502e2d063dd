#!/usr/bin/env bash
# Examples: build all of them, then run the BankID SE one to completion
# against the embedded simulator (no IDENTISURE_* variables, so no network).
# Cost: the build is shared with clippy --all-targets; the run takes a few
# seconds (the simulated user approves after about 3 s per session).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
unset IDENTISURE_ACCOUNT_ID IDENTISURE_SECRET_KEY IDENTISURE_ENV IDENTISURE_BASE_URL

cargo build --workspace --examples --all-features
for example in bankid_se; do
    out=$(timeout 300 cargo run --quiet --example "$example" --all-features)
    echo "$out"
    if ! grep -q '^completed: ' <<<"$out"; then
        echo "examples.sh: $example did not complete" >&2
        exit 1
    fi
done

# The web login example refuses an address other machines can reach without
# PUBLIC_URL (its login router would serve this machine only).
if out=$(ADDR=0.0.0.0:0 timeout 60 cargo run --quiet -p identisure-web --example axum_login 2>&1); then
    echo "examples.sh: axum_login started on 0.0.0.0 without PUBLIC_URL" >&2
    exit 1
fi
if ! grep -q 'PUBLIC_URL' <<<"$out"; then
    echo "examples.sh: axum_login did not say why it refused: $out" >&2
    exit 1
fi
