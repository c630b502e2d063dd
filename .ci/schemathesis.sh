#!/usr/bin/env bash
# Spec conformance of the simulator: schemathesis against `identisure simulate`
# with openapi.yaml. Fails on any 5xx and on any response that does not match
# its schema (status code, content type, body).
#
# Idempotent: installs schemathesis into a venv under the cargo target dir.
# Bounded: ST_EXAMPLES examples per operation (default 20); the fuzzing and
# stateful phases repeat until ST_MAX_TIME seconds are spent (default 180),
# so the run takes about that long plus the build.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

TARGET="${CARGO_TARGET_DIR:-target}"
VENV="$TARGET/schemathesis-venv"
EXAMPLES="${ST_EXAMPLES:-20}"
MAX_TIME="${ST_MAX_TIME:-180}"
ST_VERSION="${ST_VERSION:-4.32.5}"

if [ ! -x "$VENV/bin/st" ]; then
    echo "==> installing schemathesis $ST_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$ST_VERSION"
fi

echo "==> building the CLI"
cargo build --quiet -p identisure-cli --bin identisure
BIN="$TARGET/debug/identisure"

# A free port on 127.0.0.1.
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
LOG="$(mktemp)"
"$BIN" simulate --addr "127.0.0.1:$PORT" --seed 7 --step-ms 50 --quiet >"$LOG" 2>&1 &
SIM=$!
cleanup() {
    kill "$SIM" 2>/dev/null || true
    wait "$SIM" 2>/dev/null || true
    rm -f "$LOG"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $PORT)))"; then
        break
    fi
    if ! kill -0 "$SIM" 2>/dev/null; then
        echo "the simulator exited:"; cat "$LOG"; exit 1
    fi
    sleep 0.1
done

echo "==> schemathesis against http://127.0.0.1:$PORT ($EXAMPLES examples per operation)"
# --rate-limit auto honours the simulator's 429 Retry-After on collects.
"$VENV/bin/st" run openapi.yaml \
    --url "http://127.0.0.1:$PORT" \
    --auth demo:demo-secret \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$EXAMPLES" \
    --max-time "$MAX_TIME" \
    --seed 1 \
    --generation-database none \
    --request-timeout 10 \
    --no-color
echo "==> schemathesis: no failures"
