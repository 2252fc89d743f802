#!/usr/bin/env bash
# The systemd units and the cron file of deploy/: `systemd-analyze verify` (its warnings
# count as failures: it exits 0 on an unknown key), the timers' calendars, the hardening
# and restart settings each unit must keep, the cron lines' fields and shell syntax, and
# the units' own environment tried for real: each API started with exactly the unit's
# Environment= lines, under a read-only root with only the state directory writable (as
# ProtectSystem=strict + StateDirectory= leave it), must put its SQLite files in the state
# directory, find its read-only assets in the install tree, and be backed up there by the
# backup unit's command.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
# shellcheck source=scripts/lib/fleet.sh
source scripts/lib/fleet.sh
bench_workdir tradingsystem-ops-systemd
BIN_DIR=$(cd "$BIN_DIR" && pwd)
# overall_healthy URL -> 0 when the health document's own status (not a check's) is healthy
overall_healthy() {
  curl -fs --max-time 3 "$1" | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin).get("status") != "healthy")' 2>/dev/null
}
UNITS=deploy/systemd

# The install tree the units name (/opt/tradingsystem) and their state directory
# (/var/lib/tradingsystem), laid out under WORK.
OPT="$WORK/opt" STATE="$WORK/state"
mkdir -p "$OPT/bin" "$STATE" "$WORK/units" "$WORK/logs" "$WORK/tmp"
for b in workspace-api documentation-api firecrawl-proxy timescaledb-sync; do ln -s "$BIN_DIR/$b" "$OPT/bin/$b"; done
for d in scripts config docs openapi; do ln -s "$ROOT/$d" "$OPT/$d"; done
for f in "$UNITS"/*; do
  sed "s|/opt/tradingsystem|$OPT|g; s|/var/lib/tradingsystem|$STATE|g" "$f" >"$WORK/units/$(basename "$f")"
done

echo "==> systemd-analyze verify"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "==> installing systemd-analyze (Debian package systemd)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd; } >/dev/null 2>&1 || true
fi
if command -v systemd-analyze >/dev/null 2>&1; then
  status=0
  systemd-analyze verify --man=no "$WORK"/units/* >"$WORK/verify" 2>&1 || status=$?
  if [ "$status" -eq 0 ] && [ ! -s "$WORK/verify" ]; then
    ok "systemd-analyze verify: $(find "$WORK/units" -type f | wc -l) units, no warning"
  else
    not_ok "systemd-analyze verify (exit $status): $(cat "$WORK/verify")"
  fi
  # Every timer's calendar parses; the sync's fires every 5 minutes.
  for timer in "$UNITS"/*.timer; do
    spec=$(sed -n 's/^OnCalendar=//p' "$timer")
    if systemd-analyze calendar --iterations=2 "$spec" >"$WORK/cal" 2>&1; then
      ok "$(basename "$timer"): OnCalendar=$spec parses"
    else
      not_ok "$(basename "$timer"): OnCalendar=$spec: $(cat "$WORK/cal")"
    fi
  done
  systemd-analyze calendar --iterations=2 "$(sed -n 's/^OnCalendar=//p' "$UNITS/timescaledb-sync.timer")" >"$WORK/cal"
  first=$(sed -n 's/^ *Next elapse: //p' "$WORK/cal") second=$(sed -n 's/^ *Iter\. #2: //p' "$WORK/cal")
  gap=$(($(date -d "$second" +%s) - $(date -d "$first" +%s)))
  if [ "$gap" -eq 300 ]; then ok "timescaledb-sync.timer fires every 300 s"; else not_ok "timescaledb-sync.timer gap $gap s"; fi
else
  ops_skip "systemd-analyze verify" "systemd-analyze is not installed and apt-get install systemd failed"
  # Without it, at least every line must be a section, a comment or Key=value.
  if grep -vnE '^(#.*|\[[A-Za-z]+\]|[A-Za-z]+=.*|)$' "$UNITS"/* >"$WORK/bad"; then
    not_ok "unit lines that do not parse: $(cat "$WORK/bad")"
  else
    ok "every unit line is a section, a comment or Key=value"
  fi
fi

echo "==> settings each unit must keep"
# unit_has UNIT KEY=VALUE... -- each exact line is in the unit
unit_has() {
  local unit=$1 line missing=()
  shift
  for line in "$@"; do grep -qxF "$line" "$UNITS/$unit" || missing+=("$line"); done
  if [ "${#missing[@]}" -eq 0 ]; then ok "$unit: $*"; else not_ok "$unit lacks: ${missing[*]}"; fi
}
for svc in workspace-api documentation-api firecrawl-proxy; do
  unit_has "$svc.service" "ExecStart=/opt/tradingsystem/bin/$svc" User=tradingsystem ProtectSystem=strict \
    NoNewPrivileges=yes PrivateTmp=yes ProtectHome=yes Restart=on-failure KillSignal=SIGTERM \
    StateDirectory=tradingsystem "EnvironmentFile=-/etc/tradingsystem/$svc.env" \
    Environment=TRADINGSYSTEM_ROOT=/var/lib/tradingsystem WantedBy=multi-user.target
  stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$UNITS/$svc.service")
  if [ -n "$stop" ] && [ "$stop" -gt 10 ]; then ok "$svc.service: TimeoutStopSec=${stop}s is above the 10 s drain"; else not_ok "$svc.service: TimeoutStopSec '$stop'"; fi
done
unit_has timescaledb-sync.service Type=oneshot SuccessExitStatus=5 "ExecStart=/opt/tradingsystem/bin/timescaledb-sync run --max-duration 240"
unit_has timescaledb-sync-reconcile.service Type=oneshot SuccessExitStatus=5 "ExecStart=/opt/tradingsystem/bin/timescaledb-sync reconcile"
unit_has tradingsystem-backup.service Type=oneshot User=tradingsystem ExecStart=/opt/tradingsystem/scripts/backup.sh \
  Environment=TRADINGSYSTEM_ROOT=/var/lib/tradingsystem
unit_has timescaledb-sync.timer OnCalendar=*:0/5 Unit=timescaledb-sync.service WantedBy=timers.target
unit_has timescaledb-sync-reconcile.timer Unit=timescaledb-sync-reconcile.service Persistent=true WantedBy=timers.target
unit_has tradingsystem-backup.timer Unit=tradingsystem-backup.service Persistent=true WantedBy=timers.target

echo "==> deploy/cron/tradingsystem.cron"
if python3 - deploy/cron/tradingsystem.cron "$WORK/cron-commands" <<'EOF'; then ok "cron: every job line has 5 time fields, a user and a command"; else not_ok "cron lines"; fi
import re, sys
field = r"(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*"
jobs = []
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#") or re.fullmatch(r"[A-Z_]+=.*", line):
        continue
    parts = line.split(None, 6)
    assert len(parts) == 7, f"line {n}: {line}"
    assert all(re.fullmatch(field, p) for p in parts[:5]), f"line {n}: time fields {parts[:5]}"
    assert parts[5] == "tradingsystem", f"line {n}: user {parts[5]}"
    assert "%" not in parts[6], f"line {n}: a % is a newline to cron"
    jobs.append(parts[6])
assert len(jobs) == 4, jobs
assert any("timescaledb-sync run" in j and j.split()[0] for j in jobs) and any("reconcile" in j for j in jobs)
assert any("scripts/backup.sh" in j for j in jobs) and all(">>/var/log/tradingsystem/" in j or "--output" in j for j in jobs)
open(sys.argv[2], "w").write("\n".join(jobs) + "\n")
EOF
if bash -n "$WORK/cron-commands" 2>"$WORK/bash-n"; then ok "cron: every command is valid bash"; else not_ok "cron commands: $(cat "$WORK/bash-n")"; fi

echo "==> the units' environment, under a read-only root with a writable state directory"
# unit_env UNIT -> the unit's Environment= assignments (paths already moved under WORK)
unit_env() { sed -n 's/^Environment=//p' "$WORK/units/$1"; }
# jailed LOG CMD... -- CMD with / read-only except STATE (ProtectSystem=strict and
# StateDirectory=) and a private TMPDIR (PrivateTmp=), logging to LOG; leaves the pid in
# LAST_PID
JAIL=1
if ! unshare -m --propagation private true 2>/dev/null; then
  JAIL=0
  ops_skip "read-only root for the units' environment" "unshare -m is not permitted here; the services run with a writable root"
fi
jailed() {
  local log=$1
  shift
  if [ "$JAIL" = 1 ]; then
    # shellcheck disable=SC2016 # expanded by the inner bash
    unshare -m --propagation private bash -c 'for d in "$1" "$2" "$3"; do mount --bind "$d" "$d" || exit 1; done; mount -o remount,ro,bind / && shift 3 && exec "$@"' \
      jail "$STATE" "$WORK/logs" "$WORK/tmp" "$@" >>"$log" 2>&1 &
  else
    "$@" >>"$log" 2>&1 &
  fi
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
if [ "$JAIL" = 1 ]; then
  # The jail is real: outside STATE, nothing can be written.
  jailed "$WORK/logs/control.log" touch "$WORK/outside"
  if ! wait "$LAST_PID" && [ ! -e "$WORK/outside" ] && grep -q "Read-only file system" "$WORK/logs/control.log"; then
    ok "in the jail, a write outside the state directory fails (read-only file system)"
  else
    not_ok "the jail let a write through: $(cat "$WORK/logs/control.log")"
  fi
fi
declare -A PORTS=([workspace-api]=WORKSPACE_API_PORT [documentation-api]=DOCUMENTATION_API_PORT) PORT
for svc in workspace-api documentation-api; do
  port=$(bench_free_port)
  mapfile -t envs < <(unit_env "$svc.service")
  jailed "$WORK/logs/$svc.log" env -i PATH="$PATH" TMPDIR="$WORK/tmp" "${envs[@]}" "${PORTS[$svc]}=$port" DOCUMENTATION_HEALTH_CHECK_INTERVAL_S=0 \
    "$OPT/bin/$svc"
  PORT[$svc]=$port
  if wait_ready "http://127.0.0.1:$port/ready" >/dev/null; then
    ok "$svc ready with its unit's environment ($(printf '%s ' "${envs[@]}"))"
  else
    not_ok "$svc with its unit's environment: $(tail -n 20 "$WORK/logs/$svc.log")"
  fi
done
db_files=$(cd "$STATE" && find . -name '*.db' | sort | tr '\n' ' ')
if [ "$db_files" = "./data/documentation.db ./data/workspace.db " ]; then
  ok "the SQLite files are in the state directory: $db_files"
else
  not_ok "SQLite files in the state directory: '$db_files'"
fi
# The docs corpus and specs come from the install tree: documentation-api turns healthy
# only once it has indexed the corpus there.
for _ in $(seq 100); do
  if overall_healthy "http://127.0.0.1:${PORT[documentation-api]}/health"; then break; fi
  sleep 0.2
done
# The spec is read whole before grep looks at it: `curl | grep -q` under pipefail fails
# whenever grep stops reading before curl has written everything.
spec=$(curl -fs "http://127.0.0.1:${PORT[documentation-api]}/spec/workspace-api.yaml" || true)
if overall_healthy "http://127.0.0.1:${PORT[documentation-api]}/health" && grep -q '^openapi:' <<<"$spec"; then
  ok "documentation-api reads its docs corpus and specs from the install tree (healthy, /spec answers)"
else
  not_ok "documentation-api assets: $(curl -s "http://127.0.0.1:${PORT[documentation-api]}/health"); /spec/workspace-api.yaml began: ${spec:0:80}"
fi
mapfile -t envs < <(unit_env tradingsystem-backup.service)
jailed "$WORK/logs/backup.log" env -i PATH="$PATH" TMPDIR="$WORK/tmp" "${envs[@]}" "$OPT/scripts/backup.sh"
if wait "$LAST_PID" && grep -q 'backup written: ' "$WORK/logs/backup.log" \
  && [ "$(find "$STATE/data/backups" -name '*.sqlite3' | wc -l)" -eq 2 ]; then
  ok "the backup unit's command backs up both running services into the state directory"
else
  not_ok "backup with the unit's environment: $(cat "$WORK/logs/backup.log")"
fi

ops_summary
