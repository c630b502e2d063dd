#!/usr/bin/env bash
# Browser test of the web login (the crate identisure-web) in headless Chromium.
# Idempotent: installs Debian's chromium and chromium-driver when missing, then
# runs web/tests/web_login_browser.rs with IDENTISURE_BROWSER_TEST=required, so a
# missing browser fails instead of skipping. Bounded: 10 minutes for the
# install, 15 for the test run (the test itself takes ~20 s once built; it
# reuses the build of `cargo test --workspace --all-features`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n==> %s\n' "$*"; }

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    step "installing chromium and chromium-driver"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 $SUDO apt-get update -qq
    timeout 600 $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver
fi

step "versions"
chromium --version
chromedriver --version

step "browser test (headless Chromium)"
shots_dir="$(mktemp -d)"
# The two-instance test needs redis-server (.ci/redis.sh, run before this
# by .ci/run, installs it): required here, never skipped.
IDENTISURE_REQUIRE_REDIS=1 \
IDENTISURE_BROWSER_TEST=required \
IDENTISURE_SCREENSHOTS="${IDENTISURE_SCREENSHOTS:-$shots_dir}" \
CHROMIUM="$(command -v chromium)" \
CHROMEDRIVER="$(command -v chromedriver)" \
    timeout 900 cargo test -p identisure-web --all-features --test web_login_browser -- --nocapture
echo "screenshots (outside the repository): ${IDENTISURE_SCREENSHOTS:-$shots_dir}"
