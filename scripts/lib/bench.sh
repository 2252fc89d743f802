# shellcheck shell=bash
# Helpers shared by the benchmark scripts: wrk runs reduced to one line of figures,
# RSS readings, free ports, waiting for readiness.

bench_require_wrk() {
  if ! command -v wrk >/dev/null 2>&1; then
    echo "==> installing wrk"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi
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
  python3 - "$1" <<'PY'
import sys, time, urllib.request
start = time.monotonic()
while time.monotonic() - start < 20:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=1) as r:
            if r.status == 200:
                print(round((time.monotonic() - start) * 1000))
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.002)
print("timeout"); sys.exit(1)
PY
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
