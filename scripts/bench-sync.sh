#!/usr/bin/env bash
# timescaledb-sync end to end (not a test): 1,000,000 generated tp_capital_signals rows
# from a fake QuestDB (crates/timescaledb-sync/examples/fake_questdb.rs, B.6 paging) into
# a throwaway PostgreSQL, release build. Reports rows/s and peak RSS, then, in the same
# run, a plain COPY of the same rows into an identical table (same columns, same unique
# index) as the ceiling; then a rerun whose overlap is all duplicates, and the peak RSS
# at other batch sizes (memory should follow the batch size, not the row count).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/lib/bench.sh
source scripts/lib/postgres.sh

ROWS=${BENCH_ROWS:-1000000}
if [ ! -x /usr/bin/time ]; then
  echo "==> installing GNU time (peak RSS)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
bench_build timescaledb-sync:fake_questdb
BIN=$TARGET_DIR/release/timescaledb-sync
FAKE=$TARGET_DIR/release/examples/fake_questdb
bench_workdir tradingsystem-bench-sync pg_stop
pg_start >/dev/null
PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1)
BASE=${TEST_DATABASE_URL%/*}

PORT=$(bench_free_port)
FAKE_ROWS=$ROWS PORT=$PORT "$FAKE" >"$WORK/fake.log" 2>&1 &
PIDS+=("$!")
wait_ready "http://127.0.0.1:$PORT/" >/dev/null

# sync_run DB BATCH [args] -> "<summary JSON>\t<peak RSS KiB>"
sync_run() {
  local db=$1 batch=$2
  shift 2
  /usr/bin/time -f '%M' -o "$WORK/time" env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" \
    QUESTDB_REST_URL="http://127.0.0.1:$PORT" TIMESCALEDB_DSN="$BASE/$db" \
    TIMESCALEDB_BATCH_SIZE="$batch" TIMESCALEDB_SYNC_LOG_LEVEL=warn "$BIN" run "$@" >"$WORK/out" 2>"$WORK/err" \
    || { cat "$WORK/err" >&2; return 1; }
  printf '%s\t%s\n' "$(cat "$WORK/out")" "$(tail -n 1 "$WORK/time")"
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

for db in bench bench_small bench_large; do "${PSQL[@]}" "$TEST_DATABASE_URL" -c "CREATE DATABASE $db"; done

echo
echo "== timescaledb-sync: $ROWS rows, batch 5000 (fake QuestDB, sync and PostgreSQL share $(nproc) cores)"
IFS=$'\t' read -r SUMMARY RSS < <(sync_run bench 5000)
MS=$(field "$SUMMARY" duration_ms)
INSERTED=$(field "$SUMMARY" rows_inserted)
SYNC_RATE=$((INSERTED * 1000 / MS))
printf 'sync               %8d rows in %6d ms  %8d rows/s   peak RSS %6s MiB   (%s batches)\n' \
  "$INSERTED" "$MS" "$SYNC_RATE" "$(mib "$RSS")" "$(field "$SUMMARY" batches)"

echo
echo "== ceiling: COPY of the same rows into an identical table"
"$FAKE" --csv "$WORK/rows.csv"
"${PSQL[@]}" "$BASE/bench" -c "CREATE TABLE copy_ceiling (LIKE tp_capital_signals INCLUDING ALL)"
START=$(date +%s%N)
"${PSQL[@]}" "$BASE/bench" -c "\\copy copy_ceiling FROM '$WORK/rows.csv' WITH (FORMAT csv)"
COPY_MS=$((($(date +%s%N) - START) / 1000000))
COPY_RATE=$((ROWS * 1000 / COPY_MS))
printf 'psql \\copy         %8d rows in %6d ms  %8d rows/s\n' "$ROWS" "$COPY_MS" "$COPY_RATE"
printf 'sync / COPY        %d%%\n' $((SYNC_RATE * 100 / COPY_RATE))

echo
echo "== rerun: the 10-minute overlap re-read, every row a duplicate"
IFS=$'\t' read -r SUMMARY RSS < <(sync_run bench 5000)
MS=$(field "$SUMMARY" duration_ms)
READ=$(field "$SUMMARY" rows_read)
printf 'sync (duplicates)  %8d rows in %6d ms  %8d rows/s   peak RSS %6s MiB   (%s inserted)\n' \
  "$READ" "$MS" $((READ * 1000 / (MS > 0 ? MS : 1))) "$(mib "$RSS")" "$(field "$SUMMARY" rows_inserted)"

echo
echo "== peak RSS by batch size (200,000 rows each)"
for spec in bench_small:1000 bench_large:20000; do
  IFS=$'\t' read -r SUMMARY RSS < <(sync_run "${spec%%:*}" "${spec##*:}" --max-rows 200000)
  printf 'batch %6s        peak RSS %6s MiB   %8d rows/s\n' "${spec##*:}" "$(mib "$RSS")" \
    $(($(field "$SUMMARY" rows_inserted) * 1000 / $(field "$SUMMARY" duration_ms)))
done
