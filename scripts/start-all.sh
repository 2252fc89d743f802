#!/usr/bin/env bash
# Starts the fleet's services from config/services-manifest.json, each as its own
# background process with a PID file and a log under LOG_DIR, and waits for each /ready.
set -euo pipefail
# shellcheck source=scripts/ops/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops/common.sh"

usage() {
  cat <<USAGE
Usage: scripts/start-all.sh [--services a,b] [--timeout SECONDS]

Starts each service's binary in the background and waits until its /ready answers 200.

  --services a,b     only these services (ids from config/services-manifest.json)
  --timeout SECONDS  how long to wait for each /ready (default 30)
  -h, --help         this text

Environment:
  BIN_DIR            where the binaries are (default: target/release)
  LOG_DIR            PID files and logs (default: data/run under the root)
  TRADINGSYSTEM_ROOT the root the services resolve data/ against (default: the repository)
  <PREFIX>PORT       a service's port (e.g. WORKSPACE_API_PORT), else the manifest's
Every other variable of this environment is passed on to the services.

A service whose PID file names a live process is reported and left alone. A port that
another process holds is refused, naming that process. Exit status: 0 when every selected
service is running and ready, 1 when one could not be started or did not become ready,
2 for bad arguments.
USAGE
}

selected="" timeout=30
while [ $# -gt 0 ]; do
  case "$1" in
    --services) selected=${2:?--services needs a list}; shift 2 ;;
    --services=*) selected=${1#*=}; shift ;;
    --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
    --timeout=*) timeout=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$timeout" in '' | *[!0-9]*) echo "error: --timeout needs whole seconds" >&2; exit 2 ;; esac

BIN_DIR=${BIN_DIR:-$OPS_REPO/target/release}
ops_services "$selected"
mkdir -p "$LOG_DIR"

# wait_ready ID PID URL LOG -> 0 when URL answered 200 within the timeout
wait_ready() {
  local id=$1 pid=$2 url=$3 log=$4 deadline=$((SECONDS + timeout))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl -fs -o /dev/null --max-time 2 "$url"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: $id exited during start-up; the last lines of $log:" >&2
      tail -n 40 "$log" >&2
      rm -f "$LOG_DIR/$id.pid"
      return 1
    fi
    sleep 0.2
  done
  echo "error: $id (pid $pid) did not answer 200 on $url within ${timeout} s; it is left running" \
    "(a service waiting for its database becomes ready by itself; scripts/stop-all.sh stops it)." \
    "The last lines of $log:" >&2
  tail -n 40 "$log" >&2
  return 1
}

failed=0
for line in "${SERVICES[@]}"; do
  IFS=$'\t' read -r id binary port _health ready _critical _hasdb <<<"$line"
  pidfile="$LOG_DIR/$id.pid" log="$LOG_DIR/$id.log"
  if pid=$(pid_of "$id" "$binary"); then
    echo "$id: already running (pid $pid, PID file $pidfile); not started again"
    continue
  fi
  if [ -e "$pidfile" ]; then
    echo "$id: removing stale PID file $pidfile"
    rm -f "$pidfile"
  fi
  if [ ! -x "$BIN_DIR/$binary" ]; then
    echo "error: $id: no executable $BIN_DIR/$binary (build with cargo build --release, or set BIN_DIR)" >&2
    failed=1
    continue
  fi
  if holder=$(opslib port-holder "$port"); then
    echo "error: $id: port $port is already in use by $holder; not starting it" \
      "(stop that process, or set its port with the service's <PREFIX>PORT variable)" >&2
    failed=1
    continue
  fi
  # setsid: the service outlives this shell and the terminal it ran in.
  setsid "$BIN_DIR/$binary" </dev/null >>"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$pidfile"
  if wait_ready "$id" "$pid" "http://127.0.0.1:$port$ready" "$log"; then
    echo "$id: started (pid $pid, port $port, log $log)"
  else
    failed=1
  fi
done
exit "$failed"
