# shellcheck shell=bash
# Helpers shared by the benchmark scripts: wrk runs reduced to one line of figures,
# RSS readings, free ports, waiting for readiness.

# Where cargo puts its builds (CARGO_TARGET_DIR when set).
TARGET_DIR=${CARGO_TARGET_DIR:-target}

bench_require_wrk() {
  if ! command -v wrk >/dev/null 2>&1; then
    echo "==> installing wrk"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi
}

# bench_build [PACKAGE:EXAMPLE ...]: the binaries exactly as shipped (docker/Dockerfile
# builds `--bins`, without dev-dependencies), then each example from its own package.
# One `--bins --examples` build would unify dev-dependency features into the measured
# binaries: wiremock turns on hyper's HTTP/2, whose protocol detection the shipped
# services do not run.
bench_build() {
  echo "==> building release binaries (as shipped) and the benchmark's examples"
  cargo build --release --quiet --workspace --bins
  local spec
  for spec in "$@"; do
    cargo build --release --quiet -p "${spec%%:*}" --example "${spec#*:}"
  done
}

bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# rss_mib PID -> resident set size in MiB
rss_mib() {
  awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"
}

# wait_ready URL -> milliseconds until it answered 200 (gives up after 20 s)
wait_ready() {
  local start now
  start=$(date +%s%N)
  while true; do
    if curl -fs -o /dev/null --max-time 1 "$1" 2>/dev/null; then
      now=$(date +%s%N)
      echo $(((now - start) / 1000000))
      return 0
    fi
    now=$(date +%s%N)
    if [ $(((now - start) / 1000000)) -gt 20000 ]; then
      echo timeout
      return 1
    fi
    sleep 0.002
  done
}

# run_wrk LABEL URL [extra wrk args] -> "LABEL  req/s  p50  p99"
run_wrk() {
  local label=$1 url=$2
  shift 2
  local out
  out=$(wrk -t2 -c50 -d"${BENCH_SECONDS:-10}s" --latency "$@" "$url")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")
  printf '%-34s %10s req/s   p50 %-9s p99 %-9s %s\n' "$label" "$rps" "$p50" "$p99" "${errors:+non-2xx: $errors}"
}

# bench_pacing >> FILE.lua: wrk functions for a fixed offered load. Each connection thinks
# 0-40 ms (20 ms on average, drawn per request and per thread, so connections do not fire
# in step) between requests: ~2,400 req/s at 50 connections. Below saturation, latency is
# the time a request takes, not the queue that forms when wrk and the server saturate
# the cores they share (then the mean is connections / throughput, whatever is measured).
bench_pacing() {
  cat <<'LUA'
function setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init(args) math.randomseed(seed) end
function delay() return math.random(0, 40) end
LUA
}

# cpu_per_request LABEL PID URL -> runs wrk against URL and prints the server's CPU time
# (user + system) per request in microseconds, next to the usual figures; leaves the
# requests/s in LAST_RPS.
cpu_per_request() {
  local label=$1 pid=$2 url=$3 before after out requests tck
  tck=$(getconf CLK_TCK)
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$(wrk -t2 -c50 -d"${BENCH_SECONDS:-10}s" --latency "$url")
  after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  # shellcheck disable=SC2034 # read by the caller
  LAST_RPS=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  awk -v l="$label" -v r="$requests" -v b="$before" -v a="$after" -v t="$tck" \
    -v rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    'BEGIN { printf "%-34s %10s req/s   server CPU %.2f us/request\n", l, rps, (a - b) / t * 1e6 / r }'
}

# bench_workdir NAME [CLEANUP_CMD]: sets WORK (a fresh temporary directory) and PIDS (add
# every background process to it); on exit, kills those processes, removes WORK, then
# runs CLEANUP_CMD (e.g. pg_stop).
bench_workdir() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  PIDS=()
  BENCH_CLEANUP=${2:-}
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
  if [ -n "$BENCH_CLEANUP" ]; then $BENCH_CLEANUP; fi
}

# bench_ceiling: starts the bare axum /healthz of the `shared:bare_axum` example (no
# middleware, same runtime and allocator) as the run's ceiling, measures it, and leaves
# its port and pid in CEIL_PORT and CEIL_PID.
bench_ceiling() {
  CEIL_PORT=$(bench_free_port)
  PORT=$CEIL_PORT "$TARGET_DIR/release/examples/bare_axum" >/dev/null 2>&1 &
  CEIL_PID=$!
  PIDS+=("$CEIL_PID")
  wait_ready "http://127.0.0.1:$CEIL_PORT/healthz" >/dev/null
  echo
  echo "== ceiling: the services' own /healthz handler in bare axum (no middleware, same runtime and allocator)"
  cpu_per_request "bare /healthz" "$CEIL_PID" "http://127.0.0.1:$CEIL_PORT/healthz"
}
