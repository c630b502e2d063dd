#!/usr/bin/env bash
# Installs redis-server (Debian package) and runs the tests of what is
# shared through Redis with it (the notifier, the web login's logins). The tests start their own
# redis-server processes on free 127.0.0.1 ports (--save '' --appendonly no)
# and stop them; IDENTISURE_REQUIRE_REDIS=1 turns "binary absent, skipped"
# into a failure, so these tests really run here. Idempotent.
# Takes about 10 s once the test binary is built (it shares the build of
# `cargo test --workspace --all-features`); apt-get adds ~30 s the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

if ! command -v redis-server >/dev/null 2>&1; then
    echo "==> installing redis-server"
    export DEBIAN_FRONTEND=noninteractive
    # Do not let the package start a system-wide redis on 6379 (the tests
    # start their own); only when no policy is in place already.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
redis-server --version

echo "==> Redis notifier tests (real redis-server)"
IDENTISURE_REQUIRE_REDIS=1 cargo test --all-features --test redis_notifier

echo "==> web login logins shared through Redis (two instances, real redis-server)"
IDENTISURE_REQUIRE_REDIS=1 cargo test -p identisure-web --all-features --test shared_logins

echo "==> two identisure demo --web processes sharing one Redis (real redis-server)"
IDENTISURE_REQUIRE_REDIS=1 cargo test -p identisure-cli --test cli_web_shared
