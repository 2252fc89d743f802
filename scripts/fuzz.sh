#!/usr/bin/env bash
# Contract fuzzing: schemathesis (from PyPI, into a local venv) against the workspace-api
# binary on a fresh SQLite file, with a fixed seed. Fails on any 5xx, any response that
# does not match openapi/workspace-api.yaml, or a status the spec does not document.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SCHEMATHESIS_VERSION=4.32.5
SEED=${FUZZ_SEED:-20261129}
EXAMPLES=${FUZZ_MAX_EXAMPLES:-30}

if [ ! -x .venv/bin/st ] || ! .venv/bin/st --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "==> installing schemathesis $SCHEMATHESIS_VERSION into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build --quiet -p workspace-api
WORK=$(mktemp -d /tmp/tradingsystem-fuzz.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cleanup() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" WORKSPACE_DATABASE_URL="sqlite://$WORK/workspace.db" \
  WORKSPACE_API_PORT="$PORT" RATE_LIMIT_MAX=1000000 LOG_LEVEL=warn \
  target/debug/workspace-api >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "==> schemathesis against workspace-api on :$PORT (seed $SEED)"
status=0
.venv/bin/st run openapi/workspace-api.yaml \
  --url "http://127.0.0.1:$PORT" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --phases examples,coverage,fuzzing,stateful \
  --seed "$SEED" --max-examples "$EXAMPLES" --workers 2 \
  --generation-database none --no-color --warnings off \
  --report junit --report-junit-path "$WORK/junit.xml" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 40 lines) ---"
  tail -n 40 "$WORK/server.log"
  exit "$status"
fi
