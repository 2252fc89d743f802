# shellcheck shell=bash
# Shared by the operator scripts (start-all.sh, stop-all.sh, backup.sh, restore.sh): the
# repository root, the manifest as tab-separated lines, and where PID files and logs go.

OPS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The root the services resolve data/ against; the scripts use the same one and pass it on.
OPS_ROOT=${TRADINGSYSTEM_ROOT:-$OPS_REPO}
export TRADINGSYSTEM_ROOT=$OPS_ROOT
# PID files and logs: under data/ (git-ignored, kept across reboots, owned by whoever runs
# the fleet), not /tmp, which a reboot or tmp cleaner empties under a running service.
LOG_DIR=${LOG_DIR:-$OPS_ROOT/data/run}

opslib() {
  python3 "$OPS_REPO/scripts/ops/opslib.py" "$@"
}

# ops_services LIST -> fills SERVICES with "id<TAB>binary<TAB>port<TAB>health<TAB>ready<TAB>critical<TAB>hasdb"
ops_services() {
  local out
  out=$(opslib services --services "$1") || exit 2
  # shellcheck disable=SC2034 # read by the scripts that source this file
  mapfile -t SERVICES <<<"$out"
}

# pid_of ID BINARY -> the live PID from LOG_DIR/ID.pid (status 1 when none)
pid_of() {
  opslib pid-alive "$LOG_DIR/$1.pid" "$2"
}

# pgtool NAME ARGS... -- a PostgreSQL client from PG_BIN (version 15 by default, the
# version the project tests with), else from PATH.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
pgtool() {
  local tool=$1
  shift
  if [ -x "$PG_BIN/$tool" ]; then "$PG_BIN/$tool" "$@"; else "$tool" "$@"; fi
}
