#!/usr/bin/env bash
# Contract fuzzing: schemathesis (from PyPI, into a local venv) against each running
# service with a fixed seed — workspace-api and documentation-api on fresh SQLite files
# and, when TEST_DATABASE_URL names a PostgreSQL (scripts/test.sh starts one), on fresh
# schemas there too (some inputs only fail on one backend); firecrawl-proxy in front of the
# crate's fake Firecrawl (a stand-in following Firecrawl's v1 wire format).
# Fails on any 5xx, any response that does not match the service's openapi/*.yaml, or a
# status that document does not list.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/lib/bench.sh
source scripts/lib/fleet.sh
SCHEMATHESIS_VERSION=4.32.5
SEED=${FUZZ_SEED:-20261129}
EXAMPLES=${FUZZ_MAX_EXAMPLES:-50}

if [ ! -x .venv/bin/st ] || ! .venv/bin/st --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "==> installing schemathesis $SCHEMATHESIS_VERSION into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# The whole workspace, as the test run built it: a per-package build would unify features
# differently and recompile half the dependencies.
cargo build --quiet --workspace --bins --examples
bench_workdir tradingsystem-fuzz

# fuzz NAME PORT -- runs schemathesis against openapi/NAME.yaml on PORT
fuzz() {
  local name=$1 port=$2 status=0 attempt
  if ! wait_ready "http://127.0.0.1:$port/ready" >/dev/null; then
    echo "$name did not become ready on :$port; its log (last 40 lines):"
    tail -n 40 "$WORK/$name.log" 2>/dev/null || echo "(no log: was it built?)"
    exit 1
  fi
  for attempt in 1 2; do
    echo "==> schemathesis against $name on :$port (seed $SEED)"
    status=0
    .venv/bin/st run "openapi/$name.yaml" \
      --url "http://127.0.0.1:$port" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
      --phases examples,coverage,fuzzing,stateful \
      --seed "$SEED" --max-examples "$EXAMPLES" --workers 2 \
      --generation-database none --no-color --warnings off 2>&1 | tee "$WORK/$name.fuzz" || status=$?
    # Python 3.11's ast module sometimes fails inside Hypothesis while it describes a
    # lambda ("AST constructor recursion depth mismatch"): the fuzzer crashed, the
    # service was never judged. Such a run, with no finding of its own, is run again once.
    if [ "$status" -ne 0 ] && [ "$attempt" -eq 1 ] \
      && grep -q "AST constructor recursion depth mismatch" "$WORK/$name.fuzz" \
      && ! grep -q "^=* FAILURES =*$" "$WORK/$name.fuzz"; then
      echo "==> schemathesis itself crashed (a Python ast bug, no finding): running it again"
      continue
    fi
    break
  done
  if [ "$status" -ne 0 ]; then
    echo "--- $name log (last 40 lines) ---"
    tail -n 40 "$WORK/$name.log"
    exit "$status"
  fi
}

# Health-check rounds off: fuzzed systems point anywhere; a round would only add noise.
# The repository's own docs corpus and specs, so searches and spec routes answer with data
# (spec publications land in $WORK/data/versions, never in openapi/).
DOCS_QUIET=(DOCUMENTATION_HEALTH_CHECK_INTERVAL_S=0 DOCUMENTATION_HEALTH_CHECK_TIMEOUT_MS=500
  DOCS_CONTENT_DIR="$ROOT/docs/content" SPECS_DIR="$ROOT/openapi")

WORKSPACE_PORT=$(bench_free_port)
service_start workspace-api WORKSPACE_DATABASE_URL="sqlite://$WORK/workspace.db" WORKSPACE_API_PORT="$WORKSPACE_PORT"
fuzz workspace-api "$WORKSPACE_PORT"

DOCS_PORT=$(bench_free_port)
service_start documentation-api DOCUMENTATION_DATABASE_URL="sqlite://$WORK/documentation.db" \
  DOCUMENTATION_API_PORT="$DOCS_PORT" "${DOCS_QUIET[@]}"
fuzz documentation-api "$DOCS_PORT"

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  source scripts/lib/postgres.sh
  case "$TEST_DATABASE_URL" in *\?*) SEP='&' ;; *) SEP='?' ;; esac
  # fresh_schema NAME -> a new schema's name in the test cluster
  fresh_schema() {
    local schema
    schema="fuzz_$1_$(date +%s)_$$"
    "$PG_BIN/psql" -q "$TEST_DATABASE_URL" -c "CREATE SCHEMA $schema" >/dev/null
    echo "$schema"
  }
  SCHEMA=$(fresh_schema workspace)
  WORKSPACE_PG_PORT=$(bench_free_port)
  echo "==> workspace-api on PostgreSQL (schema $SCHEMA)"
  service_start workspace-api WORKSPACE_DATABASE_URL="$TEST_DATABASE_URL${SEP}options[search_path]=$SCHEMA" \
    WORKSPACE_API_PORT="$WORKSPACE_PG_PORT"
  fuzz workspace-api "$WORKSPACE_PG_PORT"
  SCHEMA=$(fresh_schema documentation)
  DOCS_PG_PORT=$(bench_free_port)
  echo "==> documentation-api on PostgreSQL (schema $SCHEMA)"
  service_start documentation-api DOCUMENTATION_DATABASE_URL="$TEST_DATABASE_URL${SEP}options[search_path]=$SCHEMA" \
    DOCUMENTATION_API_PORT="$DOCS_PG_PORT" "${DOCS_QUIET[@]}"
  fuzz documentation-api "$DOCS_PG_PORT"
else
  echo "==> TEST_DATABASE_URL unset: the APIs fuzzed on SQLite only (scripts/test.sh sets it)"
fi

FAKE_PORT=$(bench_free_port)
FAKE_FIRECRAWL_PORT=$FAKE_PORT "$TARGET_DIR/debug/examples/fake_firecrawl" >"$WORK/fake.log" 2>&1 &
PIDS+=($!)
PROXY_PORT=$(bench_free_port)
service_start firecrawl-proxy FIRECRAWL_PROXY_PORT="$PROXY_PORT" FIRECRAWL_PROXY_BASE_URL="http://127.0.0.1:$FAKE_PORT"
fuzz firecrawl-proxy "$PROXY_PORT"
