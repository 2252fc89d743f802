#!/usr/bin/env bash
# The Prometheus configuration (config/prometheus/) against the real thing:
#  1. promtool: the shipped config with its rules, the rules' unit tests, and the compose
#     layout's target files (a temporary copy of the config pointing at them);
#  2. the fleet's /metrics (with the fake Firecrawl upstream, after some requests)
#     through `promtool check metrics`, which fails on any lint problem;
#  3. a real Prometheus on a copy of the shipped prometheus.yml (only its intervals cut to
#     1s, its target files generated for this run's ports) scraping the fleet, Prometheus
#     itself and node-exporter serving a textfile that timescaledb-sync wrote; it must see
#     every job up, the services' own labels intact, the sync's figures, and its alerts
#     on them evaluated (pending).
# Installs Debian's prometheus and prometheus-node-exporter when missing (needs root).
# BIN_DIR: the binaries under test (scripts/lib/fleet.sh; the workspace's target/debug).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
# shellcheck source=scripts/lib/fleet.sh
source scripts/lib/fleet.sh
CONFIG=config/prometheus
TIMEOUT_S=${MONITORING_TIMEOUT_S:-60}
# Every job of prometheus.yml, each with one file under targets/ of the same name.
JOBS=(workspace-api documentation-api firecrawl-proxy node-exporter prometheus)
API_JOBS=(workspace-api documentation-api firecrawl-proxy)

indent() { sed 's/^/    /'; }

# Debian's packages start their daemons on install; a policy-rc.d answering 101 keeps
# them off (this test runs its own, on free ports). An existing one is left alone.
install_prometheus() {
  if [ "$(id -u)" -ne 0 ]; then
    fail "promtool/prometheus/prometheus-node-exporter missing, and installing them needs root (apt-get install prometheus prometheus-node-exporter)"
  fi
  echo "==> installing Debian's prometheus and prometheus-node-exporter"
  local policy=/usr/sbin/policy-rc.d ours=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    ours=true
  fi
  local status=0
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    prometheus prometheus-node-exporter >/dev/null || status=$?
  if [ "$ours" = true ]; then rm -f "$policy"; fi
  [ "$status" -eq 0 ] || fail "apt-get install prometheus prometheus-node-exporter (exit $status)"
}

NODE_EXPORTER=$(command -v prometheus-node-exporter || command -v node_exporter || true)
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1 || [ -z "$NODE_EXPORTER" ]; then
  install_prometheus
  NODE_EXPORTER=$(command -v prometheus-node-exporter)
fi
echo "==> $(promtool --version 2>&1 | head -n 1)"

bench_workdir tradingsystem-monitoring

# --- 1. static checks ------------------------------------------------------------------

# check_config FILE -- promtool check config (which checks the rule files too); a target
# file it cannot find is only a warning to promtool, here a failure.
check_config() {
  local out
  out=$(promtool check config "$1" 2>&1) || fail "promtool check config $1:"$'\n'"$out"
  if grep -q WARNING <<<"$out"; then fail "promtool check config $1 warns:"$'\n'"$out"; fi
}

# check_targets DIR -- each job's file is there, and each target is host:port (promtool
# only checks that the file is YAML).
check_targets() {
  local dir=$1 job target n
  for job in "${JOBS[@]}"; do
    [ -f "$dir/$job.yml" ] || fail "$dir/$job.yml missing (job $job reads targets/$job.yml)"
    n=0
    while read -r target; do
      [[ "$target" =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] || fail "$dir/$job.yml: target '$target' is not host:port"
      n=$((n + 1))
    done < <(grep -o '"[^"]*"' "$dir/$job.yml" | tr -d '"')
    [ "$n" -gt 0 ] || fail "$dir/$job.yml names no target"
  done
  for target in "$dir"/*.yml; do
    job=$(basename "$target" .yml)
    [[ " ${JOBS[*]} " == *" $job "* ]] || fail "$target is read by no job"
  done
}

# Every target file the config reads is one of JOBS: a new job needs its files in both
# layouts and here.
while read -r file; do
  job=$(basename "$file" .yml)
  [[ " ${JOBS[*]} " == *" $job "* ]] || fail "prometheus.yml reads $file: add its job to JOBS in $0 and its file to targets-compose/"
done < <(grep -o 'targets/[A-Za-z0-9_-]*\.yml' "$CONFIG/prometheus.yml")

check_config "$CONFIG/prometheus.yml"
check_targets "$CONFIG/targets"
ok "promtool check config $CONFIG/prometheus.yml (host layout, targets/)"

promtool check rules "$CONFIG/alerts.yml" >"$WORK/check-rules.out" 2>&1 \
  || fail "promtool check rules:"$'\n'"$(cat "$WORK/check-rules.out")"
ok "promtool check rules $CONFIG/alerts.yml ($(grep -o '[0-9]* rules found' "$WORK/check-rules.out"))"

promtool test rules "$CONFIG"/tests/*.yml >"$WORK/test-rules.out" 2>&1 \
  || fail "promtool test rules:"$'\n'"$(cat "$WORK/test-rules.out")"
ok "promtool test rules $CONFIG/tests/*.yml ($(grep -c '^  SUCCESS' "$WORK/test-rules.out") files)"

# The compose layout: the config as compose mounts it, with targets-compose/ as targets/.
mkdir -p "$WORK/compose"
cp "$CONFIG/prometheus.yml" "$CONFIG/alerts.yml" "$WORK/compose/"
cp -r "$CONFIG/targets-compose" "$WORK/compose/targets"
check_config "$WORK/compose/prometheus.yml"
check_targets "$WORK/compose/targets"
ok "promtool check config with targets-compose/ mounted as targets/ (compose layout)"

# --- 2. the services' /metrics ----------------------------------------------------------

FAKE_PORT=$(bench_free_port)
FAKE_FIRECRAWL_PORT=$FAKE_PORT "$BIN_DIR/examples/fake_firecrawl" >"$WORK/fake_firecrawl.log" 2>&1 &
PIDS+=("$!")
wait_ready "http://127.0.0.1:$FAKE_PORT/v0/health/readiness" >/dev/null || fail "the fake Firecrawl did not start on :$FAKE_PORT"
# The repository's docs corpus, so documentation-api's searchIndex check is healthy too.
fleet_start FIRECRAWL_PROXY_BASE_URL="http://127.0.0.1:$FAKE_PORT" DOCS_CONTENT_DIR="$ROOT/docs/content"
declare -A PORT_OF=([workspace-api]=$WORKSPACE_PORT [documentation-api]=$DOCUMENTATION_PORT [firecrawl-proxy]=$PROXY_PORT)
# A healthy fleet (documentation-api says degraded while it builds its search index), so
# no health alert is due and the health figures are stable.
for job in "${API_JOBS[@]}"; do
  for _ in $(seq 1 100); do
    health=$(curl -s --max-time 5 "http://127.0.0.1:${PORT_OF[$job]}/health" || true)
    [[ "$health" == '{"status":"healthy"'* ]] && break
    sleep 0.2
  done
  [[ "$health" == '{"status":"healthy"'* ]] || fail "$job is not healthy after 20s: $health"
done
ok "fleet started (workspace-api :$WORKSPACE_PORT, documentation-api :$DOCUMENTATION_PORT, firecrawl-proxy :$PROXY_PORT, fake Firecrawl :$FAKE_PORT)"

# request METHOD URL [BODY] -- a request whose status only needs to be counted.
request() {
  curl -s -o /dev/null --max-time 10 -X "$1" -H 'content-type: application/json' ${3:+--data "$3"} "$2" || true
}
# Requests on every service, so its counters and histograms have series: health, a
# database read, an unknown route (404), and a scrape through the proxy to the fake.
for job in "${API_JOBS[@]}"; do
  request GET "http://127.0.0.1:${PORT_OF[$job]}/health"
  request GET "http://127.0.0.1:${PORT_OF[$job]}/no-such-route"
done
request GET "http://127.0.0.1:$WORKSPACE_PORT/api/items"
request GET "http://127.0.0.1:$DOCUMENTATION_PORT/api/v1/systems"
request POST "http://127.0.0.1:$PROXY_PORT/api/v1/scrape" '{"url":"https://example.com"}'

for job in "${API_JOBS[@]}"; do
  url="http://127.0.0.1:${PORT_OF[$job]}/metrics"
  curl -fsS --max-time 10 -D "$WORK/$job.headers" -o "$WORK/$job.metrics" "$url" || fail "GET $url"
  # Prometheus reads the text format by this content type (and 0.0.4 as the version).
  grep -qi '^content-type: text/plain; version=0.0.4' "$WORK/$job.headers" \
    || fail "$url: content-type is not text/plain; version=0.0.4: $(grep -i '^content-type' "$WORK/$job.headers")"
  grep -q "^tradingsystem_http_requests_total{.*service=\"$job\"" "$WORK/$job.metrics" \
    || fail "$url has no tradingsystem_http_requests_total with service=\"$job\""
  status=0
  lint=$(promtool check metrics <"$WORK/$job.metrics" 2>&1) || status=$?
  if [ "$status" -ne 0 ] || [ -n "$lint" ]; then
    fail "promtool check metrics on $job's /metrics (exit $status):"$'\n'"$lint"
  fi
  ok "promtool check metrics: $job's /metrics ($(grep -c '^# TYPE' "$WORK/$job.metrics") metrics, text/plain; version=0.0.4, no lint problem)"
done

# --- 3. a real Prometheus ----------------------------------------------------------------

# timescaledb-sync's textfile, as cron writes it: a run with both ends unreachable fails
# and still writes its figures (what the sync alerts read).
mkdir -p "$WORK/textfile"
CLOSED_PORT=$(bench_free_port)
SYNC_STATUS=0
env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" TIMESCALEDB_SYNC_TEXTFILE_DIR="$WORK/textfile" \
  QUESTDB_REST_URL="http://127.0.0.1:$CLOSED_PORT" TIMESCALEDB_DSN="postgres://sync@127.0.0.1:$CLOSED_PORT/sync" \
  "$BIN_DIR/timescaledb-sync" run >"$WORK/sync.out" 2>"$WORK/sync.log" || SYNC_STATUS=$?
TEXTFILE=$(find "$WORK/textfile" -name 'timescaledb_sync_*.prom' | head -n 1)
[ -n "$TEXTFILE" ] || fail "timescaledb-sync run (exit $SYNC_STATUS) wrote no textfile; its log: $(cat "$WORK/sync.log")"
case "$SYNC_STATUS" in 0 | 5) fail "timescaledb-sync run with nothing reachable exited $SYNC_STATUS, not a failure" ;; esac
SYNC_STREAM=$(basename "$TEXTFILE" .prom)
SYNC_STREAM=${SYNC_STREAM#timescaledb_sync_}
lint=$(promtool check metrics <"$TEXTFILE" 2>&1) || fail "promtool check metrics on $TEXTFILE:"$'\n'"$lint"
[ -z "$lint" ] || fail "promtool check metrics on $TEXTFILE:"$'\n'"$lint"
ok "timescaledb-sync run wrote $(basename "$TEXTFILE") (exit $SYNC_STATUS, stream $SYNC_STREAM; promtool check metrics clean)"

NODE_PORT=$(bench_free_port)
# Only the textfile collector: host figures are not under test.
"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$NODE_PORT" --collector.disable-defaults \
  --collector.textfile --collector.textfile.directory="$WORK/textfile" >"$WORK/node-exporter.log" 2>&1 &
PIDS+=("$!")
wait_ready "http://127.0.0.1:$NODE_PORT/metrics" >/dev/null \
  || fail "node-exporter did not start on :$NODE_PORT: $(tail -n 20 "$WORK/node-exporter.log")"

# The shipped config, changed only in its two global intervals (15s -> 1s) so this test
# takes seconds; each substitution must happen exactly once.
PROM_PORT=$(bench_free_port)
mkdir -p "$WORK/prometheus/targets"
cp "$CONFIG/prometheus.yml" "$CONFIG/alerts.yml" "$WORK/prometheus/"
sed -i -E 's/^(  (scrape|evaluation)_interval:) 15s$/\1 1s/' "$WORK/prometheus/prometheus.yml"
changed=$(diff "$CONFIG/prometheus.yml" "$WORK/prometheus/prometheus.yml" | grep -c '^>' || true)
[ "$changed" -eq 2 ] || fail "rewriting the global scrape_interval and evaluation_interval (15s) of prometheus.yml to 1s changed $changed lines, not 2"
declare -A TARGET_OF=([workspace-api]=$WORKSPACE_PORT [documentation-api]=$DOCUMENTATION_PORT
  [firecrawl-proxy]=$PROXY_PORT [node-exporter]=$NODE_PORT [prometheus]=$PROM_PORT)
for job in "${JOBS[@]}"; do
  printf -- '- targets: ["127.0.0.1:%s"]\n' "${TARGET_OF[$job]}" >"$WORK/prometheus/targets/$job.yml"
done
check_config "$WORK/prometheus/prometheus.yml"
prometheus --config.file="$WORK/prometheus/prometheus.yml" --storage.tsdb.path="$WORK/prometheus/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PIDS+=("$!")
wait_ready "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null \
  || fail "Prometheus did not become ready on :$PROM_PORT: $(tail -n 20 "$WORK/prometheus.log")"
ok "Prometheus started on :$PROM_PORT with the shipped prometheus.yml and alerts.yml (intervals 1s)"

# query EXPR -- the instant vector, one "label=value,... value" line per series, sorted.
query() {
  curl -fsS --max-time 5 -G "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" \
    | python3 -c '
import json, sys
for s in json.load(sys.stdin)["data"]["result"]:
    labels = ",".join(f"{k}={v}" for k, v in sorted(s["metric"].items()) if k != "__name__")
    print(labels, s["value"][1])' | sort
}
# api PATH PYTHON -- runs PYTHON on the JSON of /api/v1/PATH (as `d`), printing its lines.
api() {
  curl -fsS --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/$1" | python3 -c "import json, sys; d = json.load(sys.stdin)
$2" | sort
}

# What must hold once Prometheus has scraped and evaluated; each a name and a command
# whose output must equal the expected lines.
expect_up=""
for job in "${JOBS[@]}"; do
  expect_up+="instance=127.0.0.1:${TARGET_OF[$job]},job=$job,service=$job 1"$'\n'
done
expect_up=$(sort <<<"${expect_up%$'\n'}")
expect_labels=$(for job in "${API_JOBS[@]}"; do echo "job=$job,service=$job"; done | sort)
expect_sync="instance=127.0.0.1:$NODE_PORT,job=node-exporter,service=node-exporter,stream=$SYNC_STREAM $SYNC_STATUS"
# The sync's failed run: SyncRunFailing and SyncNeverSucceeded have matched the real
# figures (pending: their `for` has not passed); nothing else is pending or firing.
expect_alerts=$(printf '%s\n' "SyncNeverSucceeded stream=$SYNC_STREAM pending" "SyncRunFailing stream=$SYNC_STREAM pending" | sort)

see_up() { query 'up'; }
see_labels() {
  query 'count by (job, service) (tradingsystem_http_requests_total)' | sed 's/ [0-9]*$//'
  # Without honor_labels the services' own label would be renamed.
  query 'count by (job) (tradingsystem_http_requests_total{exported_service!=""})'
}
see_sync() { query 'tradingsystem_sync_last_run_exit_code'; }
see_alerts() {
  api alerts 'for a in d["data"]["alerts"]: print(a["labels"]["alertname"], "stream=" + a["labels"].get("stream", "-"), a["state"])'
}
see_rules() {
  api rules 'for g in d["data"]["groups"]:
    for r in g["rules"]:
        if r.get("health") != "ok" or r.get("lastEvaluation", "").startswith("0001"): print(r["name"], r.get("health"), r.get("lastError", ""))'
}

checks=(up labels sync alerts rules)
declare -A EXPECTED=([up]=$expect_up [labels]=$expect_labels [sync]=$expect_sync [alerts]=$expect_alerts [rules]="")
declare -A DESCRIBE=(
  [up]="up == 1 for every job (${JOBS[*]}), with its service label"
  [labels]="tradingsystem_http_requests_total scraped from each API, its own service label kept (no exported_service)"
  [sync]="node-exporter serves the sync's textfile: tradingsystem_sync_last_run_exit_code{stream=\"$SYNC_STREAM\"} = $SYNC_STATUS, as the binary exited"
  [alerts]="alerts on the real sync figures pending (SyncRunFailing, SyncNeverSucceeded), no other alert"
  [rules]="every rule of alerts.yml evaluated without error"
)
deadline=$((SECONDS + TIMEOUT_S))
while true; do
  pending=()
  for check in "${checks[@]}"; do
    [ "$(see_"$check" 2>/dev/null)" = "${EXPECTED[$check]}" ] || pending+=("$check")
  done
  [ "${#pending[@]}" -eq 0 ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    for check in "${pending[@]}"; do
      echo "FAILED after ${TIMEOUT_S}s: ${DESCRIBE[$check]}" >&2
      echo "  expected:" >&2
      indent <<<"${EXPECTED[$check]:-(nothing)}" >&2
      echo "  Prometheus saw:" >&2
      see_"$check" 2>&1 | indent >&2 || true
    done
    echo "targets as Prometheus saw them:" >&2
    api targets 'for t in d["data"]["activeTargets"]: print(t["labels"].get("job"), t["scrapeUrl"], t["health"], t.get("lastError", ""))' >&2 || true
    echo "Prometheus's log (last 20 lines):" >&2
    tail -n 20 "$WORK/prometheus.log" >&2
    exit 1
  fi
  sleep 1
done
for check in "${checks[@]}"; do ok "Prometheus: ${DESCRIBE[$check]}"; done

# The health-check gauge (tradingsystem_health_check_up), once the binaries export it:
# in Prometheus, 1 for each check that the service's /health called healthy, else 0.
if grep -q '^tradingsystem_health_check_up' "$WORK"/*.metrics; then
  expected=$(for job in "${API_JOBS[@]}"; do
    curl -sS --max-time 10 -o "$WORK/$job.health" "http://127.0.0.1:${PORT_OF[$job]}/health" || true
    python3 -c '
import json, sys
for name, check in json.load(open(sys.argv[1]))["checks"].items():
    print(f"check={name},service={sys.argv[2]}", 1 if check["status"] == "healthy" else 0)' "$WORK/$job.health" "$job"
  done | sort)
  seen=$(query 'max by (service, check) (tradingsystem_health_check_up)')
  if [ "$seen" != "$expected" ]; then
    fail "tradingsystem_health_check_up in Prometheus does not match the services' /health checks:"$'\n'"  from /health:"$'\n'"$(indent <<<"$expected")"$'\n'"  Prometheus saw:"$'\n'"$(indent <<<"$seen")"
  fi
  ok "Prometheus: tradingsystem_health_check_up matches each service's /health checks ($(tr '\n' ';' <<<"$seen"))"
else
  ops_skip "tradingsystem_health_check_up through Prometheus" "the binaries in $BIN_DIR do not export it yet; FirecrawlUnreachable and DatabaseUnhealthy are covered by the unit tests only"
fi

fleet_stop
echo "==> monitoring: all checks passed"
