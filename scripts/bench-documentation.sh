#!/usr/bin/env bash
# documentation-api under load (not a test), on SQLite and on PostgreSQL: lists of 100
# systems and 100 ideas and the kanban at 50 connections; upload and download of a 1 MiB
# file (MiB/s); the process's peak and settled RSS while 8 clients upload 5 MiB files at
# once; how much of an over-limit upload is read before the 413. The bare axum handler
# of bench-workspace.sh is the ceiling, measured in the same run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/lib/bench.sh
source scripts/lib/postgres.sh
bench_require_wrk

bench_build shared:bare_axum
BIN=$TARGET_DIR/release/documentation-api
bench_workdir tradingsystem-bench-docs pg_stop

MIB=$((1024 * 1024))
# Files that pass the content check: PDF magic, then random bytes.
make_pdf() { { printf '%%PDF-1.4\n'; head -c "$(($2 - 9))" /dev/urandom; } >"$1"; }
make_pdf "$WORK/one.pdf" "$MIB"
make_pdf "$WORK/five.pdf" $((5 * MIB))
make_pdf "$WORK/fifty.pdf" $((50 * MIB))

cat >"$WORK/upload.lua" <<'LUA'
-- POSTs one multipart upload of $UPLOAD_FILE, the same body each time.
local f = assert(io.open(os.getenv("UPLOAD_FILE"), "rb"))
local data = f:read("*a")
f:close()
local boundary = "bench-boundary-7d1f"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.pdf\"\r\n"
  .. "Content-Type: application/pdf\r\n\r\n" .. data .. "\r\n--" .. boundary .. "--\r\n"
LUA

bench_ceiling

# ok_rps WRK_OUTPUT -> the successful requests per second (failures do not move bytes)
ok_rps() {
  awk '/requests in/ {n = $1; t = $4 + 0} /Non-2xx or 3xx/ {bad = $5} END { printf "%.2f", (n - bad) / t }' <<<"$1"
}

# mib_per_s LABEL REQUESTS_PER_S MIB_PER_REQUEST
mib_per_s() { awk -v l="$1" -v r="$2" -v m="$3" 'BEGIN { printf "%-34s %10.1f MiB/s\n", l, r * m }'; }

# peak_rss PID SECONDS -> the highest RSS (MiB) seen every 10 ms for SECONDS
peak_rss() {
  local pid=$1 until peak=0 now
  until=$(($(date +%s%N) + $2 * 1000000000))
  while [ "$(date +%s%N)" -lt "$until" ]; do
    now=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.01
  done
  awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }'
}

upload() { # upload PORT FILE -> curl's "<status> <bytes sent>"
  curl -s -o /dev/null -w '%{http_code} %{size_upload}' -F "file=@$2;filename=bench.pdf" \
    "http://127.0.0.1:$1/api/v1/files/upload"
}

bench_backend() {
  local name=$1 url=$2 port pid t0 started idle
  port=$(bench_free_port)
  t0=$(date +%s%N)
  # MIMALLOC_PURGE_DELAY=0 as compose runs it: freed upload buffers go back to the system.
  env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" DOCUMENTATION_DATABASE_URL="$url" DOCUMENTATION_API_PORT="$port" \
    MIMALLOC_PURGE_DELAY=0 \
    DOCUMENTATION_HEALTH_CHECK_INTERVAL_S=0 DOCUMENTATION_MAX_UPLOAD_BYTES=$((10 * MIB)) RATE_LIMIT_MAX=1000000 \
    "$BIN" >"$WORK/$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_ready "http://127.0.0.1:$port/ready" >/dev/null
  started=$(( ($(date +%s%N) - t0) / 1000000 ))
  sleep 0.5
  idle=$(rss_mib "$pid")
  local priorities=(low medium high urgent) statuses=(backlog todo in_progress review "done" cancelled)
  for i in $(seq 1 100); do
    curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/systems" -H 'content-type: application/json' \
      -d "{\"name\":\"System $i\",\"type\":\"api\",\"url\":\"http://127.0.0.1:9/$i\",\"description\":\"Service number $i of the platform\",\"tags\":[\"bench\",\"load\"],\"owner\":\"team-$((i % 5))\"}"
    curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/ideas" -H 'content-type: application/json' \
      -d "{\"title\":\"Idea $i for the board\",\"description\":\"A realistic description of idea number $i.\",\"category\":\"improvement\",\"priority\":\"${priorities[$((i % 4))]}\",\"status\":\"${statuses[$((i % 6))]}\",\"tags\":[\"bench\"]}"
  done
  echo
  echo "== $name (start to ready ${started} ms, idle RSS ${idle} MiB, 100 systems, 100 ideas)"
  run_wrk "$name GET /api/v1/systems" "http://127.0.0.1:$port/api/v1/systems"
  run_wrk "$name GET /api/v1/ideas" "http://127.0.0.1:$port/api/v1/ideas"
  run_wrk "$name GET /api/v1/ideas/kanban" "http://127.0.0.1:$port/api/v1/ideas/kanban"

  local file_id out rps
  file_id=$(curl -fs -F "file=@$WORK/one.pdf;filename=one.pdf" "http://127.0.0.1:$port/api/v1/files/upload" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
  out=$(wrk -t2 -c8 -d"${BENCH_SECONDS:-10}s" "http://127.0.0.1:$port/api/v1/files/$file_id/download")
  mib_per_s "$name download 1 MiB (8 clients)" "$(ok_rps "$out")" 1
  out=$(UPLOAD_FILE="$WORK/one.pdf" wrk -t2 -c8 -d5s -s "$WORK/upload.lua" "http://127.0.0.1:$port/api/v1/files/upload")
  mib_per_s "$name upload 1 MiB (8 clients)" "$(ok_rps "$out")" 1

  local before peak after statuses_seen uploads=()
  before=$(rss_mib "$pid")
  for i in $(seq 1 8); do
    upload "$port" "$WORK/five.pdf" >"$WORK/$name.upload.$i" &
    uploads+=($!)
  done
  peak=$(peak_rss "$pid" 4)
  wait "${uploads[@]}"
  sleep 2
  after=$(rss_mib "$pid")
  statuses_seen=$(awk '{print $1}' "$WORK/$name".upload.* | sort | uniq -c | tr -s ' ' | tr '\n' ',')
  echo "$name 8 x 5 MiB uploads at once: RSS ${before} MiB before, peak ${peak} MiB, ${after} MiB 2 s later (statuses:${statuses_seen%,})"
  out=$(upload "$port" "$WORK/fifty.pdf")
  echo "$name a 50 MiB upload with a 10 MiB limit: status ${out% *}, $(awk -v b="${out#* }" 'BEGIN { printf "%.1f", b / 1048576 }') MiB sent before the answer"
  kill "$pid"
}

bench_backend sqlite "sqlite://$WORK/bench.db"
pg_start >/dev/null
bench_backend postgresql "$TEST_DATABASE_URL"
