# shellcheck shell=bash
# Running the fleet's built binaries for the operations tests (scripts/ops-tests/): a
# service or the whole fleet started with only the environment given, on free ports, in
# a temporary root. Needs scripts/lib/bench.sh (bench_workdir sets WORK and PIDS).

# The binaries under test: the workspace's debug build unless BIN_DIR says otherwise.
BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-target}/debug}

# service_start NAME ENV... -- starts $BIN_DIR/NAME with only ENV (plus PATH, a root of
# $WORK and no rate limit), logging to $WORK/NAME.log; its pid is added to PIDS and left
# in LAST_PID.
service_start() {
  local name=$1
  shift
  env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" RATE_LIMIT_MAX=1000000 LOG_LEVEL=warn "$@" \
    "$BIN_DIR/$name" >>"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# fleet_start ENV... -- the fleet launcher on three free ports; sets WORKSPACE_PORT,
# DOCUMENTATION_PORT, PROXY_PORT and FLEET_PID, and waits until all three are ready.
fleet_start() {
  WORKSPACE_PORT=$(bench_free_port)
  DOCUMENTATION_PORT=$(bench_free_port)
  PROXY_PORT=$(bench_free_port)
  service_start fleet WORKSPACE_API_PORT="$WORKSPACE_PORT" DOCUMENTATION_API_PORT="$DOCUMENTATION_PORT" \
    FIRECRAWL_PROXY_PORT="$PROXY_PORT" DOCUMENTATION_HEALTH_CHECK_INTERVAL_S=0 "$@"
  FLEET_PID=$LAST_PID
  local port
  for port in "$WORKSPACE_PORT" "$DOCUMENTATION_PORT" "$PROXY_PORT"; do
    if ! wait_ready "http://127.0.0.1:$port/ready" >/dev/null; then
      echo "the fleet did not become ready on :$port; its log (last 40 lines):" >&2
      tail -n 40 "$WORK/fleet.log" >&2
      return 1
    fi
  done
}

# fleet_stop -- SIGTERM to the fleet, waiting until it has exited.
fleet_stop() {
  kill -TERM "$FLEET_PID" 2>/dev/null || true
  wait "$FLEET_PID" 2>/dev/null || true
}

# The tests' verdicts: ok and not_ok count (a test ends with ops_summary, failing when
# anything failed); fail stops the test at once.
PASSED=0 FAILED=0
ok() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
not_ok() { echo "FAILED: $*"; FAILED=$((FAILED + 1)); }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# ops_summary -- "N passed, M failed"; non-zero when anything failed.
ops_summary() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# refused NAME PATTERN CMD... -- CMD must fail and say PATTERN (extended regex) on stderr
refused() {
  local name=$1 pattern=$2 status=0
  shift 2
  "$@" >"$WORK/refused.out" 2>"$WORK/refused.err" || status=$?
  if [ "$status" -ne 0 ] && grep -Eq "$pattern" "$WORK/refused.err"; then
    ok "$name (exit $status: $(grep -Eo "$pattern" "$WORK/refused.err" | head -n 1 | cut -c1-160))"
  else
    not_ok "$name: expected a failure saying /$pattern/, got exit $status; stdout: $(cat "$WORK/refused.out"); stderr: $(cat "$WORK/refused.err")"
  fi
}

# same_snapshot NAME A B -- the two JSON snapshot files are equal, else the keys that differ
same_snapshot() {
  if python3 - "$2" "$3" <<'EOF'; then ok "$1"; else not_ok "$1"; fi
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
for k in bad:
    print(f"  {k} differs:\n    source:   {json.dumps(a.get(k), ensure_ascii=False)[:1500]}\n    restored: {json.dumps(b.get(k), ensure_ascii=False)[:1500]}")
sys.exit(1 if bad else 0)
EOF
}

# ops_skip NAME REASON -- reports a step that cannot run on this machine, by name.
ops_skip() {
  echo "SKIPPED: $1 ($2)"
}
