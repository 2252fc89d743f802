#!/bin/sh
# The sync's schedule inside its container, for hosts without cron or systemd timers:
# `run` every SYNC_INTERVAL_S (300) seconds, and `reconcile` once a day at
# SYNC_RECONCILE_HOUR (3, UTC). Exit 5 (another run holds the lock) is normal; any other
# failure is logged and retried at the next tick, never stopping the loop.
set -u
interval=${SYNC_INTERVAL_S:-300}
reconcile_hour=${SYNC_RECONCILE_HOUR:-3}
last_reconcile=""
trap 'exit 0' TERM INT
while true; do
  timescaledb-sync run
  status=$?
  [ "$status" -eq 0 ] || [ "$status" -eq 5 ] || echo "sync-schedule: run exited $status" >&2
  today=$(date -u +%F)
  if [ "$(date -u +%H)" -eq "$reconcile_hour" ] && [ "$last_reconcile" != "$today" ]; then
    timescaledb-sync reconcile
    status=$?
    [ "$status" -eq 0 ] || [ "$status" -eq 5 ] || echo "sync-schedule: reconcile exited $status" >&2
    last_reconcile=$today
  fi
  sleep "$interval" &
  wait $!
done
