#!/usr/bin/env bash
# Stops the services that scripts/start-all.sh started, through their PID files: SIGTERM,
# then SIGKILL after a grace period.
set -euo pipefail
# shellcheck source=scripts/ops/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops/common.sh"

usage() {
  cat <<USAGE
Usage: scripts/stop-all.sh [--services a,b] [--grace SECONDS]

Sends SIGTERM to each service named by its PID file in LOG_DIR (default: data/run under
the root), waits up to the grace period for it to exit, then sends SIGKILL and says so.
Stale PID files (no such process, or another program by now) are removed.

  --services a,b    only these services (ids from config/services-manifest.json)
  --grace SECONDS   how long to wait after SIGTERM (default 15: the services drain for
                    SHUTDOWN_GRACE_MS, 10 s by default, before they exit)
  -h, --help        this text

Exit status: 0 when every selected service is stopped, 1 when one survived SIGKILL,
2 for bad arguments.
USAGE
}

selected="" grace=15
while [ $# -gt 0 ]; do
  case "$1" in
    --services) selected=${2:?--services needs a list}; shift 2 ;;
    --services=*) selected=${1#*=}; shift ;;
    --grace) grace=${2:?--grace needs seconds}; shift 2 ;;
    --grace=*) grace=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$grace" in '' | *[!0-9]*) echo "error: --grace needs whole seconds" >&2; exit 2 ;; esac

ops_services "$selected"

# running PID -> 0 while the process exists and is not a zombie (a killed process whose
# parent has not reaped it yet has exited all the same)
running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# gone PID SECONDS -> 0 once the process has exited (polled every 0.1 s)
gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  while running "$pid"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

failed=0
for line in "${SERVICES[@]}"; do
  IFS=$'\t' read -r id binary _rest <<<"$line"
  pidfile="$LOG_DIR/$id.pid"
  if ! pid=$(pid_of "$id" "$binary"); then
    if [ -e "$pidfile" ]; then
      echo "$id: not running; removed stale PID file $pidfile"
      rm -f "$pidfile"
    else
      echo "$id: not running (no PID file in $LOG_DIR)"
    fi
    continue
  fi
  kill -TERM "$pid" 2>/dev/null || true
  if gone "$pid" "$grace"; then
    echo "$id: stopped (pid $pid)"
  else
    echo "$id: still running ${grace} s after SIGTERM; sending SIGKILL to pid $pid" >&2
    kill -KILL "$pid" 2>/dev/null || true
    if ! gone "$pid" 5; then
      echo "error: $id: pid $pid survived SIGKILL" >&2
      failed=1
      continue
    fi
  fi
  rm -f "$pidfile"
done
exit "$failed"
