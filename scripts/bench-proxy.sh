#!/usr/bin/env bash
# firecrawl-proxy under load (not a test): POST /api/v1/scrape through the release proxy
# versus POST /v1/scrape straight to the fake Firecrawl it forwards to (the crate's
# `fake_firecrawl` example, ~4 KB documents), wrk at 50 connections. Prints req/s,
# p50/p99 of both, the latency the proxy adds, and the proxy's RSS under load; then the
# proxy's peak RSS while 8 clients scrape 20 MiB pages at once, and its RSS after.
# Everything runs on 127.0.0.1; wrk, the proxy and the fake share the machine's cores.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-50}

source scripts/lib/bench.sh
bench_require_wrk

bench_build firecrawl-proxy:fake_firecrawl
RELEASE=$TARGET_DIR/release

bench_workdir firecrawl-proxy-bench

# to_ms "1.23ms" | "456.00us" | "1.02s" -> milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else { printf "%s", v }
  }'
}

cat >"$WORK/scrape.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"url":"https://example.com","formats":["markdown"],"onlyMainContent":true}'
LUA

# The same request at a fixed offered load (bench_pacing): below saturation, the
# difference to the direct run is the time the proxy adds.
cp "$WORK/scrape.lua" "$WORK/paced.lua"
bench_pacing >>"$WORK/paced.lua"

# bench LABEL URL [CONNECTIONS] [SCRIPT] -> prints a line, sets P50 and P99 (ms)
bench() {
  local label=$1 url=$2 connections=${3:-$CONNECTIONS} script=${4:-scrape} threads=2 out rps errors
  [ "$connections" -lt 2 ] && threads=1
  out=$(wrk -t"$threads" -c"$connections" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/$script.lua" "$url")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  P50=$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")")
  P99=$(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")
  errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")
  printf '%-28s %10s req/s   p50 %8s ms   p99 %8s ms   %s\n' "$label" "$rps" "$P50" "$P99" \
    "${errors:+non-2xx: $errors}"
}

FAKE_PORT=$(bench_free_port)
FAKE_FIRECRAWL_PORT=$FAKE_PORT "$RELEASE/examples/fake_firecrawl" >"$WORK/fake.log" 2>&1 &
PIDS+=("$!")
wait_ready "http://127.0.0.1:$FAKE_PORT/v0/health/readiness" >/dev/null

PROXY_PORT=$(bench_free_port)
env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" FIRECRAWL_PROXY_PORT="$PROXY_PORT" \
  FIRECRAWL_PROXY_BASE_URL="http://127.0.0.1:$FAKE_PORT" RATE_LIMIT_MAX=1000000 LOG_LEVEL=warn \
  "$RELEASE/firecrawl-proxy" >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
wait_ready "http://127.0.0.1:$PROXY_PORT/ready" >/dev/null || { cat "$WORK/proxy.log"; exit 1; }
curl -fs -o /dev/null -X POST -H 'content-type: application/json' \
  -d '{"url":"https://example.com"}' "http://127.0.0.1:$PROXY_PORT/api/v1/scrape"
IDLE_RSS=$(rss_mib "$PROXY_PID")

echo
echo "== POST scrape, wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s, $(curl -fs -X POST -H 'content-type: application/json' -d '{"url":"https://example.com"}' "http://127.0.0.1:$FAKE_PORT/v1/scrape" | wc -c)-byte upstream answers"
bench "fake Firecrawl directly" "http://127.0.0.1:$FAKE_PORT/v1/scrape"
DIRECT_P50=$P50
DIRECT_P99=$P99

# sample_peak PID: samples PID's RSS in the background until killed, keeping the peak
# (in KiB) in $PEAK_FILE; the sampler's pid is left in SAMPLER.
PEAK_FILE="$WORK/peak"
sample_peak() {
  local pid=$1
  echo 0 >"$PEAK_FILE"
  (
    peak=0
    while kill -0 "$pid" 2>/dev/null; do
      now=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      if [ "${now:-0}" -gt "$peak" ]; then peak=$now; echo "$peak" >"$PEAK_FILE"; fi
      sleep 0.05
    done
  ) &
  SAMPLER=$!
}
sample_peak "$PROXY_PID"
bench "through firecrawl-proxy" "http://127.0.0.1:$PROXY_PORT/api/v1/scrape"
kill "$SAMPLER" 2>/dev/null || true
PROXY_P50=$P50
PROXY_P99=$P99


echo
awk -v a="$DIRECT_P50" -v b="$PROXY_P50" -v c="$DIRECT_P99" -v d="$PROXY_P99" -v n="$CONNECTIONS" \
  'BEGIN { printf "added by the proxy at %d connections, saturated (mostly queueing): p50 %+.3f ms, p99 %+.3f ms\n", n, b - a, d - c }'
echo "proxy RSS: idle ${IDLE_RSS} MiB, peak under load $(awk '{printf "%.1f", $1/1024}' "$PEAK_FILE") MiB, after load $(rss_mib "$PROXY_PID") MiB"

# Saturated (above), wrk, proxy and fake share two cores, so the difference is mostly the
# queue: 50 connections / throughput. One connection shows the proxy's own cost per
# request; the fixed-load run below is the added latency at 50 connections.
echo
echo "== the same, one connection at a time"
bench "fake Firecrawl directly" "http://127.0.0.1:$FAKE_PORT/v1/scrape" 1
DIRECT_P50=$P50
DIRECT_P99=$P99
bench "through firecrawl-proxy" "http://127.0.0.1:$PROXY_PORT/api/v1/scrape" 1
awk -v a="$DIRECT_P50" -v b="$PROXY_P50" -v c="$P50" -v d="$DIRECT_P99" -v e="$P99" \
  'BEGIN { printf "added by the proxy at 1 connection: p50 %+.3f ms, p99 %+.3f ms\n", c - a, e - d }'

echo
echo "== the same at 50 connections and a fixed offered load (0-40 ms think time per request): the target's measure"
bench "fake Firecrawl directly" "http://127.0.0.1:$FAKE_PORT/v1/scrape" "$CONNECTIONS" paced
DIRECT_P50=$P50
DIRECT_P99=$P99
bench "through firecrawl-proxy" "http://127.0.0.1:$PROXY_PORT/api/v1/scrape" "$CONNECTIONS" paced
awk -v a="$DIRECT_P50" -v c="$P50" -v d="$DIRECT_P99" -v e="$P99" -v n="$CONNECTIONS" \
  'BEGIN { printf "added by the proxy at %d connections, fixed load: p50 %+.3f ms (target <= 0.5), p99 %+.3f ms\n", n, c - a, e - d }'

echo
echo "== large answers: 8 concurrent scrapes of a 20 MiB page (a second fake Firecrawl)"
BIG_PORT=$(bench_free_port)
FAKE_FIRECRAWL_PORT=$BIG_PORT FAKE_FIRECRAWL_MARKDOWN_BYTES=$((20 * 1024 * 1024)) \
  "$RELEASE/examples/fake_firecrawl" >"$WORK/fake-big.log" 2>&1 &
PIDS+=("$!")
wait_ready "http://127.0.0.1:$BIG_PORT/v0/health/readiness" >/dev/null

# large_answers LABEL [ENV=VALUE ...]: a fresh proxy with the given environment, its RSS
# idle, at the peak of the burst, and 2 s after it.
large_answers() {
  local label=$1 port pid clients=() i
  shift
  port=$(bench_free_port)
  env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" FIRECRAWL_PROXY_PORT="$port" \
    FIRECRAWL_PROXY_BASE_URL="http://127.0.0.1:$BIG_PORT" RATE_LIMIT_MAX=1000000 LOG_LEVEL=warn "$@" \
    "$RELEASE/firecrawl-proxy" >"$WORK/proxy-big.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_ready "http://127.0.0.1:$port/ready" >/dev/null || { cat "$WORK/proxy-big.log"; exit 1; }
  local idle
  idle=$(rss_mib "$pid")
  sample_peak "$pid"
  for i in $(seq 1 8); do
    curl -s -o /dev/null -w '%{http_code} %{size_download}\n' -X POST \
      -H 'content-type: application/json' -d '{"url":"https://example.com"}' \
      "http://127.0.0.1:$port/api/v1/scrape" >"$WORK/big-$i.status" &
    clients+=($!)
  done
  wait "${clients[@]}"
  sleep 2
  kill "$SAMPLER" 2>/dev/null || true
  printf '%-44s idle %5s MiB, peak %6s MiB, 2 s after %6s MiB   (%s)\n' "$label" "$idle" \
    "$(awk '{printf "%.1f", $1/1024}' "$PEAK_FILE")" "$(rss_mib "$pid")" \
    "$(cat "$WORK"/big-*.status | sort | uniq -c | awk '{printf "%s x HTTP %s, %.1f MiB", $1, $2, $3/1048576}')"
  kill "$pid"
}
large_answers "default allocator settings"
large_answers "MIMALLOC_PURGE_DELAY=0 (as compose runs it)" MIMALLOC_PURGE_DELAY=0
