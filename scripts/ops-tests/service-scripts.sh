#!/usr/bin/env bash
# scripts/start-all.sh, stop-all.sh and health-check-all.sh against the built binaries
# (BIN_DIR), on free ports, with LOG_DIR and the root in a temporary directory: starting,
# not starting twice, refusing a busy port by naming its holder, a service that dies at
# start-up, every report format and exit status (0 healthy, 1 degraded or a non-critical
# service down, 2 a critical one down or silent), stale PID files, and SIGKILL after the
# grace period.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
# shellcheck source=scripts/lib/fleet.sh
source scripts/lib/fleet.sh
bench_workdir tradingsystem-ops-services
BIN_DIR=$(cd "$BIN_DIR" && pwd)
started=$(date +%s)
# proc_alive PID -> 0 while it runs (a zombie has exited: its parent here just has not reaped it)
proc_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}
# overall_healthy URL -> 0 when the health document's own status (not a check's) is healthy
overall_healthy() {
  curl -fs --max-time 3 "$1" | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin).get("status") != "healthy")' 2>/dev/null
}

WS_PORT=$(bench_free_port) DOC_PORT=$(bench_free_port) PROXY_PORT=$(bench_free_port) FAKE_PORT=$(bench_free_port)
export BIN_DIR LOG_DIR="$WORK/run" TRADINGSYSTEM_ROOT="$WORK/root" LOG_LEVEL=warn RATE_LIMIT_MAX=1000000 \
  WORKSPACE_API_PORT=$WS_PORT DOCUMENTATION_API_PORT=$DOC_PORT FIRECRAWL_PROXY_PORT=$PROXY_PORT \
  DOCUMENTATION_HEALTH_CHECK_INTERVAL_S=0 DOCS_CONTENT_DIR="$ROOT/docs/content" SPECS_DIR="$ROOT/openapi" \
  FIRECRAWL_PROXY_BASE_URL="http://127.0.0.1:$FAKE_PORT"
mkdir -p "$TRADINGSYSTEM_ROOT"
# Whatever happens, the services this test started are stopped before WORK goes.
trap 'scripts/stop-all.sh --grace 5 >/dev/null 2>&1 || true; bench_cleanup' EXIT

# A healthy Firecrawl for the proxy: the crate's stand-in.
FAKE_FIRECRAWL_PORT=$FAKE_PORT "$BIN_DIR/examples/fake_firecrawl" >"$WORK/fake.log" 2>&1 &
PIDS+=($!)
wait_ready "http://127.0.0.1:$FAKE_PORT/v0/health/readiness" >/dev/null

# A socket that listens and never answers: a port someone else holds, and a service that hangs.
SILENT_PORT=$(bench_free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); time.sleep(600)' "$SILENT_PORT" &
SILENT_PID=$!
PIDS+=("$SILENT_PID")
for _ in $(seq 50); do if python3 "$ROOT/scripts/ops/opslib.py" port-holder "$SILENT_PORT" >/dev/null; then break; fi; sleep 0.1; done

# run NAME CMD... -- runs CMD, leaving its exit status in RC and its output in OUT/ERR
run() {
  RC=0
  "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
  OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
}
# expect_rc NAME WANT -- the last run's exit status
expect_rc() {
  if [ "$RC" -eq "$2" ]; then ok "$1 (exit $RC)"; else not_ok "$1: exit $RC, wanted $2; stdout: $OUT; stderr: $ERR"; fi
}
# json_check NAME PYTHON-ASSERTIONS -- on the last run's stdout as `doc`
json_check() {
  if python3 -c "import json,sys; doc=json.loads(sys.stdin.read()); $2" <<<"$OUT" 2>"$WORK/assert"; then
    ok "$1"
  else
    not_ok "$1: $(cat "$WORK/assert"); output: $OUT"
  fi
}

for script in start-all stop-all health-check-all backup restore; do
  run "scripts/$script.sh" --help
  if [ "$RC" -eq 0 ] && grep -q "sage" <<<"$OUT"; then ok "$script.sh --help"; else not_ok "$script.sh --help: exit $RC $OUT $ERR"; fi
done

echo "==> start-all"
run scripts/start-all.sh
expect_rc "start-all starts the three services" 0
declare -A FIRST_PID
for svc in workspace-api documentation-api firecrawl-proxy; do
  pid=$(cat "$LOG_DIR/$svc.pid" 2>/dev/null || true)
  FIRST_PID[$svc]=$pid
  if [ -n "$pid" ] && [ "$(basename "$(readlink "/proc/$pid/exe")")" = "$svc" ]; then
    ok "$svc runs as pid $pid from its PID file"
  else
    not_ok "$svc: PID file $LOG_DIR/$svc.pid names '$pid', not a running $svc"
  fi
done

run scripts/start-all.sh
expect_rc "start-all again" 0
if [ "$(grep -c 'already running' <<<"$OUT")" -eq 3 ] \
  && [ "$(cat "$LOG_DIR/workspace-api.pid")" = "${FIRST_PID[workspace-api]}" ]; then
  ok "start-all again reports the three as already running and starts nothing"
else
  not_ok "start-all again: $OUT"
fi

echo "==> health-check-all, everything healthy"
# documentation-api says degraded until its first docs index build is done.
for _ in $(seq 100); do
  if overall_healthy "http://127.0.0.1:$DOC_PORT/health"; then break; fi
  sleep 0.2
done
run scripts/health-check-all.sh
expect_rc "text report, all healthy" 0
if [ "$(grep -cE '^(workspace-api|documentation-api|firecrawl-proxy) +healthy +http 200' <<<"$OUT")" -eq 3 ] \
  && grep -q '^overall: healthy (exit 0)$' <<<"$OUT"; then
  ok "text report: one healthy line per service and the overall line"
else
  not_ok "text report: $OUT"
fi
run scripts/health-check-all.sh --format json
expect_rc "json report, all healthy" 0
json_check "json report: shape and values" '
assert doc["overallHealth"] == "healthy", doc["overallHealth"]
assert doc["timestamp"].endswith("Z")
ids = [s["id"] for s in doc["services"]]
assert ids == ["workspace-api", "documentation-api", "firecrawl-proxy"], ids
for s in doc["services"]:
    assert s["status"] == "healthy" and s["httpStatus"] == 200 and s["responseTimeMs"] >= 0, s
    assert all(c["status"] == "healthy" for c in s["checks"].values()) and s["checks"], s
assert "database" in doc["services"][0]["checks"] and "firecrawl" in doc["services"][2]["checks"]
assert doc["summary"]["total"] == 3 and doc["summary"]["healthy"] == 3 and doc["summary"]["exitCode"] == 0, doc["summary"]'
run scripts/health-check-all.sh --format prometheus --output "$WORK/health.prom"
expect_rc "prometheus report to a textfile, all healthy" 0
OUT=$(cat "$WORK/health.prom")
for svc in workspace-api documentation-api firecrawl-proxy; do
  if grep -qx "tradingsystem_health_check_status{service=\"$svc\",status=\"healthy\"} 1" <<<"$OUT" \
    && grep -qx "tradingsystem_health_check_reachable{service=\"$svc\"} 1" <<<"$OUT"; then
    ok "prometheus: $svc healthy and up"
  else
    not_ok "prometheus: $svc lines missing: $OUT"
  fi
done
if ! command -v promtool >/dev/null 2>&1; then
  echo "==> installing promtool (Debian package prometheus)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; } >/dev/null 2>&1 || true
fi
if command -v promtool >/dev/null 2>&1; then
  if promtool check metrics <"$WORK/health.prom" >"$WORK/promtool" 2>&1; then
    ok "promtool check metrics accepts the textfile"
  else
    not_ok "promtool check metrics: $(cat "$WORK/promtool")"
  fi
else
  ops_skip "promtool check metrics" "promtool is not installed and apt-get install prometheus failed"
fi
run scripts/health-check-all.sh --format json --services workspace-api
json_check "--services picks one service" 'assert [s["id"] for s in doc["services"]] == ["workspace-api"]'
run scripts/health-check-all.sh --services nosuch
expect_rc "an unknown service is a usage error" 2

echo "==> refusals"
run env WORKSPACE_API_PORT="$SILENT_PORT" LOG_DIR="$WORK/run2" scripts/start-all.sh --services workspace-api
expect_rc "start-all on a busy port" 1
if grep -Eq "port $SILENT_PORT is already in use by pid $SILENT_PID \([^ ]*python3" <<<"$ERR"; then
  ok "the busy-port refusal names the holder: $(grep -o "in use by pid [0-9]* ([^ ]*" <<<"$ERR")"
else
  not_ok "busy-port message: $ERR"
fi
run env WORKSPACE_DATABASE_URL="mysql://nowhere" WORKSPACE_API_PORT="$(bench_free_port)" LOG_DIR="$WORK/run3" \
  scripts/start-all.sh --services workspace-api --timeout 20
expect_rc "start-all with a service that exits at start-up" 1
if grep -q "exited during start-up" <<<"$ERR" && grep -q "WORKSPACE_DATABASE_URL" <<<"$ERR" && [ ! -e "$WORK/run3/workspace-api.pid" ]; then
  ok "its log tail is shown (the config error) and no PID file is left"
else
  not_ok "start-up failure report: $ERR"
fi

echo "==> degraded and down"
run scripts/stop-all.sh --services firecrawl-proxy
run env FIRECRAWL_PROXY_BASE_URL=http://127.0.0.1:1 scripts/start-all.sh --services firecrawl-proxy
expect_rc "the proxy restarted without a Firecrawl" 0
run scripts/health-check-all.sh --format json
expect_rc "the proxy degraded" 1
json_check "json: proxy degraded, overall degraded" '
s = {x["id"]: x for x in doc["services"]}
assert doc["overallHealth"] == "degraded" and s["firecrawl-proxy"]["status"] == "degraded", doc
assert s["firecrawl-proxy"]["checks"]["firecrawl"]["status"] == "degraded" and s["workspace-api"]["status"] == "healthy"'
run scripts/stop-all.sh --services firecrawl-proxy
run scripts/health-check-all.sh --format json
expect_rc "the proxy (non-critical) down" 1
json_check "json: proxy unreachable, overall degraded" '
s = {x["id"]: x for x in doc["services"]}
assert s["firecrawl-proxy"]["status"] == "unreachable" and s["firecrawl-proxy"]["httpStatus"] is None, s
assert doc["overallHealth"] == "degraded" and doc["summary"]["unreachable"] == 1 and doc["summary"]["criticalFailures"] == 0'
run scripts/stop-all.sh --services workspace-api
run scripts/health-check-all.sh
expect_rc "workspace-api (critical) down" 2
if grep -qE '^workspace-api +unreachable' <<<"$OUT" && grep -q '^overall: critical (exit 2)$' <<<"$OUT"; then
  ok "text: workspace-api unreachable, overall critical"
else
  not_ok "text after stopping workspace-api: $OUT"
fi
run scripts/health-check-all.sh --format prometheus
expect_rc "prometheus with workspace-api down" 2
if grep -qx 'tradingsystem_health_check_reachable{service="workspace-api"} 0' <<<"$OUT" \
  && grep -qx 'tradingsystem_health_check_overall_status 2' <<<"$OUT"; then
  ok "prometheus: workspace-api down, overall 2"
else
  not_ok "prometheus with workspace-api down: $OUT"
fi
t0=$(date +%s%N)
run env DOCUMENTATION_API_PORT="$SILENT_PORT" scripts/health-check-all.sh --services documentation-api --timeout 1
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc "a service that never answers" 2
if grep -q "no answer from .* within 1 s" <<<"$OUT" && [ "$elapsed_ms" -lt 5000 ]; then
  ok "--timeout 1 gives up on a silent service (${elapsed_ms} ms in all)"
else
  not_ok "--timeout: ${elapsed_ms} ms, $OUT"
fi

echo "==> stop-all"
echo "$SILENT_PID" >"$LOG_DIR/workspace-api.pid"
run scripts/stop-all.sh
expect_rc "stop-all" 0
if grep -q "documentation-api: stopped" <<<"$OUT" && grep -q "workspace-api: not running; removed stale PID file" <<<"$OUT" \
  && proc_alive "$SILENT_PID"; then
  ok "stop-all stops what runs, and a PID file naming another program is stale (that program lives on)"
else
  not_ok "stop-all: $OUT $ERR"
fi
left=$(find "$LOG_DIR" -name '*.pid')
alive=0
for svc in workspace-api documentation-api firecrawl-proxy; do
  pid=${FIRST_PID[$svc]}
  if [ -n "$pid" ] && proc_alive "$pid"; then alive=1; fi
done
if [ -z "$left" ] && [ "$alive" = 0 ] && ! python3 scripts/ops/opslib.py port-holder "$DOC_PORT" >/dev/null; then
  ok "no PID file left, no service process left, ports free"
else
  not_ok "after stop-all: PID files '$left', a first-started process alive: $alive"
fi

# A service that ignores SIGTERM: a copy of sleep named as the service, started with
# SIGTERM ignored (inherited across exec).
mkdir -p "$WORK/fakebin"
cp "$(command -v sleep)" "$WORK/fakebin/workspace-api"
(trap '' TERM; exec "$WORK/fakebin/workspace-api" 300) &
STUBBORN=$!
PIDS+=("$STUBBORN")
sleep 0.2
echo "$STUBBORN" >"$LOG_DIR/workspace-api.pid"
t0=$(date +%s)
run scripts/stop-all.sh --services workspace-api --grace 1
sleep 0.2
if [ "$RC" -eq 0 ] && grep -q "still running 1 s after SIGTERM; sending SIGKILL to pid $STUBBORN" <<<"$ERR" \
  && ! proc_alive "$STUBBORN" && [ ! -e "$LOG_DIR/workspace-api.pid" ]; then
  ok "a process that ignores SIGTERM gets SIGKILL after the grace period, with a message ($(($(date +%s) - t0)) s)"
else
  not_ok "SIGKILL path: exit $RC; $OUT; $ERR"
fi

echo "service scripts ops test: $(($(date +%s) - started)) s"
ops_summary
