#!/usr/bin/env bash
# Faults, replayed against the release binaries (not a test; run it by hand, it prints
# figures): PostgreSQL stopped, then frozen, under a stream of writes (latency of the
# 503s, time to recover once it is back, acknowledged writes against rows present), slow
# clients (connections still held after the header-read timeout), and the proxy's
# memory under large answers. Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/lib/bench.sh
source scripts/lib/postgres.sh

echo "==> building release binaries"
cargo build --release --quiet --workspace --bins
cargo build --release --quiet -p firecrawl-proxy --example fake_firecrawl
RELEASE=$TARGET_DIR/release
bench_workdir tradingsystem-chaos pg_stop
pg_start >/dev/null

# The test cluster runs without durability; here every acknowledged commit must survive
# an immediate shutdown, so the cluster is restarted durable before the first fault.
pg_restart() {
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300" >/dev/null
}
pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null
pg_restart

PORT=$(bench_free_port)
env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" WORKSPACE_DATABASE_URL="$TEST_DATABASE_URL" \
  WORKSPACE_API_PORT="$PORT" RATE_LIMIT_MAX=1000000 LOG_LEVEL=warn HEADER_READ_TIMEOUT_MS=2000 \
  "$RELEASE/workspace-api" >"$WORK/workspace.log" 2>&1 &
PIDS+=($!)
wait_ready "http://127.0.0.1:$PORT/ready" >/dev/null

# writer OUT: creates items back to back, one line per request: start, status, seconds.
writer() {
  python3 - "$PORT" "$1" <<'PY' &
import json, sys, time, urllib.error, urllib.request
port, out = sys.argv[1], sys.argv[2]
with open(out, "w", buffering=1) as log:
    n = 0
    while True:
        n += 1
        body = json.dumps({"title": f"chaos {n}", "description": "d", "category": "dashboard",
                           "priority": "low"}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/items", body,
                                         {"content-type": "application/json"})
        started = time.time()
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status = answer.status
        except urllib.error.HTTPError as e:
            status = e.code
        except Exception:
            status = 0
        log.write(f"{started:.6f} {status} {time.time() - started:.6f}\n")
PY
  WRITER=$!
}

# report OUT FAULT_AT BACK_AT: the 503s' latency and the recovery, from the writer's log.
report() {
  python3 - "$@" <<'PY'
import statistics, sys
out, fault_at, back_at = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
rows = [tuple(float(x) for x in line.split()) for line in open(out) if line.count(" ") == 2]
during = [(s, st, d) for s, st, d in rows if fault_at <= s < back_at]
refused = [d for _, st, d in during if st == 503]
other = sorted({int(st) for _, st, _ in during if st not in (201, 503)})
first_ok = min((s + d for s, st, d in rows if s >= back_at and st == 201), default=None)
acknowledged = sum(1 for _, st, _ in rows if st == 201)
print(f"  during the fault: {len(during)} writes, {len(refused)} answered 503"
      + (f", other statuses {other}" if other else ""))
if refused:
    print(f"  503 latency: first {refused[0]*1000:.0f} ms, median {statistics.median(refused)*1000:.1f} ms, "
          f"max {max(refused)*1000:.0f} ms")
print(f"  recovery: first 201 {((first_ok - back_at) * 1000):.0f} ms after the database was back"
      if first_ok else "  recovery: none")
print(f"ACKNOWLEDGED {acknowledged}")
PY
}

any_alive() {
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

rows_present() {
  curl -fs "http://127.0.0.1:$PORT/api/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}

cluster_pids() {
  local postmaster
  postmaster=$(head -1 "$PG_DIR/data/postmaster.pid")
  echo "$postmaster" $(pgrep -P "$postmaster")
}
pg_stop_now() { pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null; }
# The postmaster and every backend: a frozen server accepts connections and answers none.
pg_freeze() { FROZEN=$(cluster_pids); kill -STOP $FROZEN; }
pg_thaw() { kill -CONT $FROZEN; }

# fault LABEL START END: 3 s of START ... END under a stream of writes, then the figures.
fault() {
  local label=$1 start=$2 end=$3 before ack fault_at back_at
  echo
  echo "== PostgreSQL $label for 3 s under a stream of writes"
  before=$(rows_present)
  writer "$WORK/$label.log"
  sleep 1
  fault_at=$(date +%s.%N)
  $start
  sleep 3
  back_at=$(date +%s.%N)
  $end
  sleep 2
  kill "$WRITER"
  wait "$WRITER" 2>/dev/null || true
  report "$WORK/$label.log" "$fault_at" "$back_at" >"$WORK/$label.report"
  grep -v '^ACKNOWLEDGED' "$WORK/$label.report"
  ack=$(awk '/^ACKNOWLEDGED/ {print $2}' "$WORK/$label.report")
  echo "  acknowledged writes: $ack, rows added: $(($(rows_present) - before))"
}
fault stopped pg_stop_now pg_restart
fault frozen pg_freeze pg_thaw

echo
echo "== 500 slow clients (half a request line each) against HEADER_READ_TIMEOUT_MS=2000"
python3 - "$PORT" <<'PY'
import re, socket, sys, time, urllib.request
port = int(sys.argv[1])
def gauge():
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    active = re.search(r'tradingsystem_http_active_connections\{[^}]*\} (\d+)', text)
    closed = re.search(r'tradingsystem_http_connections_limited_total\{reason="header_timeout"[^}]*\} (\d+)', text)
    return int(active.group(1)), int(closed.group(1))
slow = []
for _ in range(500):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /api/ite")
    slow.append(s)
time.sleep(0.5)
active, _ = gauge()
started = time.time()
served = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status
print(f"  with them open: {active} connections held, a new client answered {served} in {(time.time() - started) * 1000:.1f} ms")
time.sleep(2.5)
active, closed = gauge()
print(f"  after the timeout: {active} connections held (the scrape's own included), {closed} closed by the header-read timeout")
PY

echo
echo "== firecrawl-proxy: 8 concurrent scrapes of a 20 MiB page"
BIG_PORT=$(bench_free_port)
FAKE_FIRECRAWL_PORT=$BIG_PORT FAKE_FIRECRAWL_MARKDOWN_BYTES=$((20 * 1024 * 1024)) \
  "$RELEASE/examples/fake_firecrawl" >"$WORK/fake.log" 2>&1 &
PIDS+=($!)
wait_ready "http://127.0.0.1:$BIG_PORT/v0/health/readiness" >/dev/null
for setting in "" "MIMALLOC_PURGE_DELAY=0"; do
  PROXY_PORT=$(bench_free_port)
  # shellcheck disable=SC2086
  env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" FIRECRAWL_PROXY_PORT="$PROXY_PORT" \
    FIRECRAWL_PROXY_BASE_URL="http://127.0.0.1:$BIG_PORT" LOG_LEVEL=warn $setting \
    "$RELEASE/firecrawl-proxy" >"$WORK/proxy.log" 2>&1 &
  PROXY=$!
  PIDS+=($PROXY)
  wait_ready "http://127.0.0.1:$PROXY_PORT/ready" >/dev/null
  IDLE=$(rss_mib "$PROXY")
  PEAK=0
  CLIENTS=()
  for _ in $(seq 1 8); do
    curl -s -o /dev/null -X POST -H 'content-type: application/json' \
      -d '{"url":"https://example.com"}' "http://127.0.0.1:$PROXY_PORT/api/v1/scrape" &
    CLIENTS+=($!)
  done
  while any_alive "${CLIENTS[@]}"; do
    NOW=$(awk '/VmRSS/ {print $2}' "/proc/$PROXY/status")
    [ "$NOW" -gt "$PEAK" ] && PEAK=$NOW
    sleep 0.05
  done
  wait "${CLIENTS[@]}" || true
  sleep 2
  printf '  %-26s idle %s MiB, peak %.1f MiB, 2 s later %s MiB\n' "${setting:-default allocator}" \
    "$IDLE" "$(awk -v p="$PEAK" 'BEGIN {print p / 1024}')" "$(rss_mib "$PROXY")"
  kill "$PROXY"
done
