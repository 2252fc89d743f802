#!/usr/bin/env bash
# workspace-api under load (not a test): GET /api/items with 100 items, GET /health, a
# create/update mix, at 50 connections, on SQLite and on PostgreSQL; plus a bare axum
# handler measured in the same run as the ceiling. Prints req/s, p50/p99, RSS, start-to-ready.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/lib/bench.sh
source scripts/lib/postgres.sh
bench_require_wrk

bench_build shared:bare_axum
BIN=$TARGET_DIR/release/workspace-api
bench_workdir tradingsystem-bench pg_stop

cat >"$WORK/mix.lua" <<'LUA'
-- Alternates creating an item and updating the seeded one.
local n = 0
request = function()
  n = n + 1
  if n % 2 == 0 then
    return wrk.format("POST", "/api/items", {["Content-Type"] = "application/json"},
      '{"title":"bench ' .. n .. '","description":"load","category":"dashboard","priority":"low","tags":["bench"]}')
  else
    return wrk.format("PUT", "/api/items/" .. os.getenv("ITEM_ID"), {["Content-Type"] = "application/json"},
      '{"status":"review","title":"updated ' .. n .. '"}')
  end
end
LUA

# ceiling: the bare axum handler
bench_ceiling

# healthz_against_ceiling NAME PID PORT: the service's /healthz and the bare ceiling in
# turns, HEALTHZ_ROUNDS pairs (default 5; the machine's speed drifts between runs, so each
# pair is compared within itself), then the stack's cost as the median over the pairs of
# the share of the ceiling's requests/s that the service loses.
healthz_against_ceiling() {
  local name=$1 pid=$2 port=$3 pairs=()
  for _ in $(seq 1 "${HEALTHZ_ROUNDS:-5}"); do
    cpu_per_request "bare /healthz (ceiling)" "$CEIL_PID" "http://127.0.0.1:$CEIL_PORT/healthz"
    pairs+=("$LAST_RPS")
    cpu_per_request "$name GET /healthz (full stack)" "$pid" "http://127.0.0.1:$port/healthz"
    pairs+=("$LAST_RPS")
  done
  python3 - "${pairs[@]}" <<'PY'
import statistics, sys
runs = [float(x) for x in sys.argv[1:]]
bare, full = runs[0::2], runs[1::2]
costs = sorted(100 * (1 - f / b) for b, f in zip(bare, full))
print(f"/healthz medians: ceiling {statistics.median(bare):,.0f} req/s, full stack "
      f"{statistics.median(full):,.0f} req/s; per pair the stack costs "
      f"{', '.join(f'{c:.1f}' for c in costs)} % -> median {statistics.median(costs):.1f} % of the ceiling")
PY
}

bench_backend() {
  local name=$1 url=$2
  local port
  port=$(bench_free_port)
  local started t0
  t0=$(date +%s%N)
  env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" WORKSPACE_DATABASE_URL="$url" WORKSPACE_API_PORT="$port" \
    RATE_LIMIT_MAX=1000000 "$BIN" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_ready "http://127.0.0.1:$port/ready" >/dev/null
  started=$(( ($(date +%s%N) - t0) / 1000000 ))
  sleep 0.5
  local idle
  idle=$(rss_mib "$pid")
  for i in $(seq 1 100); do
    curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/api/items" -H 'content-type: application/json' \
      -d "{\"title\":\"Item $i of the benchmark board\",\"description\":\"A realistic description of work item number $i, long enough to matter.\",\"category\":\"dashboard\",\"priority\":\"medium\",\"tags\":[\"bench\",\"load\"]}"
  done
  echo
  echo "== $name (start to ready ${started} ms, idle RSS ${idle} MiB, $(curl -fs "http://127.0.0.1:$port/api/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])') items, $(curl -fs "http://127.0.0.1:$port/api/items" | wc -c) bytes per list)"
  run_wrk "$name GET /api/items (100 items)" "http://127.0.0.1:$port/api/items"
  run_wrk "$name GET /health" "http://127.0.0.1:$port/health"
  healthz_against_ceiling "$name" "$pid" "$port"
  local item_id
  item_id=$(curl -fs "http://127.0.0.1:$port/api/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
  ITEM_ID=$item_id run_wrk "$name create/update mix" "http://127.0.0.1:$port" -s "$WORK/mix.lua"
  echo "$name RSS after load: $(rss_mib "$pid") MiB"
  kill "$pid"
}

bench_backend sqlite "sqlite://$WORK/bench.db"
pg_start >/dev/null
bench_backend postgresql "$TEST_DATABASE_URL"
