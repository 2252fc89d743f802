#!/usr/bin/env bash
# scripts/init-database.sh on a PostgreSQL cluster of its own with password authentication
# (so the roles' passwords are really checked), QuestDB played by the sync's fake:
#   - a run, a second run and a dry run, the catalog (tables, grants, policies, rows)
#     the same after each;
#   - each app role reaches its own schema only, and creates nothing;
#   - workspace-api, documentation-api and the sync run as their app roles with
#     migrations off, and work;
#   - TimescaleDB's steps where the server has the extension (reported SKIPPED otherwise).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
source scripts/lib/bench.sh
source scripts/lib/fleet.sh
source scripts/lib/postgres.sh

bench_workdir tradingsystem-init pg_stop
# TimescaleDB, where this PostgreSQL has it installed (CI's has not: those steps are
# reported SKIPPED below).
if [ -f "$("$PG_BIN/pg_config" --sharedir 2>/dev/null)/extension/timescaledb.control" ]; then
  export PG_PRELOAD=timescaledb
fi
PG_SUPERPASS="super-$RANDOM-$$" pg_start >/dev/null
SUPER_URL=$TEST_DATABASE_URL
PSQL="$PG_BIN/psql"

export DATABASE_URL=$SUPER_URL BIN_DIR
export FRONTEND_APPS_DB_PASSWORD="admin pw $RANDOM" APP_WORKSPACE_DB_PASSWORD="ws:pw/$RANDOM"
export APP_DOCUMENTATION_DB_PASSWORD="docs'pw$RANDOM" TIMESCALEDB_PASSWORD="sync@pw$RANDOM"

QUESTDB_PORT=$(bench_free_port)
FAKE_ROWS=50 PORT=$QUESTDB_PORT "$BIN_DIR/examples/fake_questdb" >"$WORK/questdb.log" 2>&1 &
PIDS+=($!)
export QUESTDB_REST_URL="http://127.0.0.1:$QUESTDB_PORT"
wait_ready "$QUESTDB_REST_URL/" >/dev/null || fail "the fake QuestDB did not start"

# catalog -- what a run may change: tables, grants, policies, jobs, row counts.
catalog() {
  "$PSQL" -X -At "$SUPER_URL" <<'EOF'
SELECT 'table', schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE '\_timescaledb%' ORDER BY 2, 3;
SELECT 'grant', grantee, table_schema, table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee LIKE 'app\_%' ORDER BY 2, 3, 4, 5;
SELECT 'role', rolname, rolsuper, rolcreaterole, rolcreatedb, array_to_string(rolconfig, ',') FROM pg_roles WHERE rolname LIKE 'app\_%' OR rolname = 'tradingsystem_admin' ORDER BY 2;
SELECT 'schema', nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname IN ('workspace', 'documentation', 'trading', 'langgraph') ORDER BY 2;
SELECT 'rows', 'trading_signals', count(*) FROM trading.trading_signals;
SELECT 'rows', 'executions', count(*) FROM trading.executions;
SELECT 'rows', 'checkpoint_migrations', count(*) FROM langgraph.checkpoint_migrations;
SELECT 'rows', 'workspace migrations', count(*) FROM workspace._sqlx_migrations;
SELECT 'rows', 'documentation migrations', count(*) FROM documentation._documentation_migrations;
SELECT 'rows', 'workspace categories', count(*) FROM workspace.workspace_categories;
EOF
  if "$PSQL" -X -At "$SUPER_URL" -c "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'" | grep -q 1; then
    "$PSQL" -X -At "$SUPER_URL" -c "SELECT 'job', proc_schema, proc_name, hypertable_schema, hypertable_name, config::text FROM timescaledb_information.jobs WHERE job_id >= 1000 ORDER BY 2, 3, 4, 5"
  fi
}

scripts/init-database.sh --seed >"$WORK/first.log" 2>&1 || { cat "$WORK/first.log"; fail "the first run failed"; }
grep -q "init-database: done" "$WORK/first.log" || fail "the first run did not finish: $(tail -5 "$WORK/first.log")"
catalog >"$WORK/first.catalog"
ok "first run ($(grep -c '^==>' "$WORK/first.log") steps)"

for table in langgraph_events langgraph_node_metrics langgraph_workflow_metrics; do
  grep -qx "ddl: CREATE TABLE IF NOT EXISTS $table" "$WORK/questdb.log" || fail "QuestDB never got $table: $(cat "$WORK/questdb.log")"
done
ok "QuestDB got its three LangGraph tables through /exec"
grep -q '"target":"created"' "$WORK/first.log" || fail "the sync's target table was not created: $(grep timescaledb-sync -A3 "$WORK/first.log")"
[ "$(grep -c "^table|trading|tp_capital_signals$" "$WORK/first.catalog")" -eq 1 ] || fail "no trading.tp_capital_signals"
[ "$(grep -c "^rows|trading_signals|4$" "$WORK/first.catalog")" -eq 1 ] || fail "the seed did not insert 4 signals: $(grep rows "$WORK/first.catalog")"
[ "$(grep -c "^rows|checkpoint_migrations|10$" "$WORK/first.catalog")" -eq 1 ] || fail "LangGraph's ledger is not 0-9"
for schema in workspace documentation trading langgraph; do
  grep -q "^schema|$schema|tradingsystem_admin$" "$WORK/first.catalog" || fail "schema $schema is not the admin's"
done
ok "core, LangGraph and sync tables in their schemas, owned by the admin"

scripts/init-database.sh --seed >"$WORK/second.log" 2>&1 || { cat "$WORK/second.log"; fail "the second run failed"; }
catalog >"$WORK/second.catalog"
diff "$WORK/first.catalog" "$WORK/second.catalog" || fail "the second run changed the catalog"
grep -q '"target":"exists"' "$WORK/second.log" || fail "the second sync migrate did not find its table"
grep -q '"applied":\[\]' "$WORK/second.log" || fail "the second run applied migrations again"
ok "a second run succeeds and changes nothing"

env -u FRONTEND_APPS_DB_PASSWORD -u APP_WORKSPACE_DB_PASSWORD scripts/init-database.sh --dry-run >"$WORK/dry.log" 2>&1 \
  || { cat "$WORK/dry.log"; fail "the dry run failed"; }
catalog >"$WORK/dry.catalog"
diff "$WORK/first.catalog" "$WORK/dry.catalog" || fail "the dry run changed the catalog"
grep -q "GRANT USAGE ON SCHEMA workspace TO app_workspace" "$WORK/dry.log" || fail "the dry run does not show its statements"
ok "--dry-run prints the statements, needs no passwords, changes nothing"

status=0
env -u TIMESCALEDB_PASSWORD scripts/init-database.sh >"$WORK/missing.log" 2>&1 || status=$?
if [ "$status" -ne 78 ] || ! grep -q "TIMESCALEDB_PASSWORD: missing" "$WORK/missing.log"; then
  fail "a missing password gave status $status: $(cat "$WORK/missing.log")"
fi
ok "a missing password is a configuration error (78) naming the variable"

# --- least privilege ---------------------------------------------------------------
# role_url ROLE PASSWORD_VAR -> a URL for the role, password encoded
role_url() {
  PGHOST=127.0.0.1 PGPORT=$PG_PORT PGDATABASE=tradingsystem_test python3 scripts/lib/pg_init.py url "$1" "$2" x \
    | sed 's/?options.*//'
}
WORKSPACE_URL=$(role_url app_workspace APP_WORKSPACE_DB_PASSWORD)
DOCUMENTATION_URL=$(role_url app_documentation APP_DOCUMENTATION_DB_PASSWORD)
SYNC_URL=$(role_url app_sync TIMESCALEDB_PASSWORD)

# refused_sql URL SQL -- fails unless SQL is refused for lack of privilege
refused_sql() {
  local out
  if out=$("$PSQL" -X -At -v ON_ERROR_STOP=1 "$1" -c "$2" 2>&1); then fail "allowed: $2 ($out)"; fi
  grep -Eq "permission denied|must be owner" <<<"$out" || fail "refused for another reason: $2: $out"
}
allowed() {
  "$PSQL" -X -At -v ON_ERROR_STOP=1 "$1" -c "$2" >/dev/null 2>"$WORK/allowed.err" || fail "refused: $2: $(cat "$WORK/allowed.err")"
}
allowed "$WORKSPACE_URL" "SELECT count(*) FROM workspace_items"
refused_sql "$WORKSPACE_URL" "SELECT count(*) FROM documentation.documentation_ideas"
refused_sql "$WORKSPACE_URL" "INSERT INTO documentation.documentation_audit_log DEFAULT VALUES"
refused_sql "$WORKSPACE_URL" "SELECT count(*) FROM trading.sync_control"
refused_sql "$WORKSPACE_URL" "CREATE TABLE workspace.mine (x int)"
refused_sql "$WORKSPACE_URL" "DROP TABLE workspace_items"
allowed "$DOCUMENTATION_URL" "SELECT count(*) FROM documentation_ideas"
refused_sql "$DOCUMENTATION_URL" "SELECT count(*) FROM workspace.workspace_items"
refused_sql "$DOCUMENTATION_URL" "DELETE FROM workspace.workspace_audit_log"
refused_sql "$DOCUMENTATION_URL" "CREATE TABLE documentation.mine (x int)"
allowed "$SYNC_URL" "SELECT count(*) FROM tp_capital_signals"
refused_sql "$SYNC_URL" "SELECT count(*) FROM workspace.workspace_items"
refused_sql "$SYNC_URL" "SELECT count(*) FROM documentation.documentation_files"
ok "each app role reads and writes its own schema only and cannot change it"
if "$PSQL" -X -At "${WORKSPACE_URL/:$(python3 -c 'import os,urllib.parse;print(urllib.parse.quote(os.environ["APP_WORKSPACE_DB_PASSWORD"],safe=""))')@/:wrong@}" -c "SELECT 1" >/dev/null 2>&1; then
  fail "a wrong password was accepted"
fi
ok "passwords are checked (SCRAM): the right one logs in, a wrong one does not"

# --- the services as their app roles -------------------------------------------------
API_PORT=$(bench_free_port)
service_start workspace-api WORKSPACE_DATABASE_URL="$WORKSPACE_URL" WORKSPACE_API_RUN_MIGRATIONS=false WORKSPACE_API_PORT="$API_PORT"
wait_ready "http://127.0.0.1:$API_PORT/ready" >/dev/null || fail "workspace-api as app_workspace is not ready: $(tail -5 "$WORK/workspace-api.log")"
created=$(curl -fsS -H 'content-type: application/json' -d '{"title":"as app_workspace","description":"least privilege","category":"dashboard","priority":"low"}' "http://127.0.0.1:$API_PORT/api/items") \
  || fail "workspace-api could not create an item as app_workspace"
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])' <<<"$created")
curl -fsS "http://127.0.0.1:$API_PORT/api/items/$id" >/dev/null || fail "the item is not readable"
audit=$(curl -fsS "http://127.0.0.1:$API_PORT/api/audit") || fail "the audit log is not readable"
grep -q "$id" <<<"$audit" || fail "no audit row for the item"
ok "workspace-api serves as app_workspace with migrations off (item $id)"

DOCS_PORT=$(bench_free_port)
service_start documentation-api DOCUMENTATION_DATABASE_URL="$DOCUMENTATION_URL" DOCUMENTATION_API_RUN_MIGRATIONS=false \
  DOCUMENTATION_API_PORT="$DOCS_PORT" DOCUMENTATION_HEALTH_CHECK_INTERVAL_S=0
wait_ready "http://127.0.0.1:$DOCS_PORT/ready" >/dev/null || fail "documentation-api as app_documentation is not ready: $(tail -5 "$WORK/documentation-api.log")"
curl -fsS -H 'content-type: application/json' -d '{"title":"as app_documentation","description":"least privilege","category":"infrastructure"}' \
  "http://127.0.0.1:$DOCS_PORT/api/v1/ideas" >/dev/null || fail "documentation-api could not create an idea"
printf 'notes kept by app_documentation\n' >"$WORK/upload.txt"
curl -fsS -F "file=@$WORK/upload.txt;type=text/plain" "http://127.0.0.1:$DOCS_PORT/api/v1/files/upload" >/dev/null \
  || fail "documentation-api could not store a file"
ok "documentation-api serves as app_documentation with migrations off (an idea and a file)"

sync_status=0
env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" TIMESCALEDB_DSN="$SYNC_URL" QUESTDB_REST_URL="$QUESTDB_REST_URL" \
  TIMESCALEDB_SYNC_RUN_MIGRATIONS=false "$BIN_DIR/timescaledb-sync" run >"$WORK/sync.out" 2>"$WORK/sync.err" || sync_status=$?
[ "$sync_status" -eq 0 ] || fail "the sync as app_sync exited $sync_status: $(cat "$WORK/sync.err")"
copied=$("$PSQL" -X -At "$SUPER_URL" -c "SELECT count(*) FROM trading.tp_capital_signals")
[ "$copied" -eq 50 ] || fail "the sync copied $copied rows, not 50"
ok "timescaledb-sync runs as app_sync with migrations off (50 rows copied)"

# --- TimescaleDB ----------------------------------------------------------------------
if "$PSQL" -X -At "$SUPER_URL" -c "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'" | grep -q 1; then
  hypertables=$("$PSQL" -X -At "$SUPER_URL" -c "SELECT string_agg(hypertable_schema || '.' || hypertable_name, ' ' ORDER BY hypertable_schema, hypertable_name) FROM timescaledb_information.hypertables")
  for table in trading.trading_signals trading.executions trading.performance_metrics trading.tp_capital_signals \
    workspace.workspace_items workspace.workspace_audit_log documentation.documentation_audit_log; do
    grep -qw "$table" <<<"$hypertables" || fail "$table is not a hypertable ($hypertables)"
  done
  ok "hypertables: $hypertables"
  if [ "$("$PSQL" -X -At "$SUPER_URL" -c "SELECT current_setting('timescaledb.license', true)")" = timescale ]; then
    policies=$("$PSQL" -X -At "$SUPER_URL" -c "SELECT proc_name || ':' || hypertable_name || ':' || coalesce(config->>'compress_after', config->>'drop_after') FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL ORDER BY 1")
    for expected in "policy_compression:trading_signals:7 days" "policy_retention:trading_signals:90 days" \
      "policy_compression:tp_capital_signals:7 days" "policy_retention:tp_capital_signals:90 days" \
      "policy_compression:executions:7 days" "policy_retention:executions:90 days" \
      "policy_compression:performance_metrics:7 days" "policy_retention:performance_metrics:180 days" \
      "policy_retention:workspace_audit_log:365 days" "policy_retention:documentation_audit_log:365 days"; do
      grep -qx "$expected" <<<"$policies" || fail "missing policy $expected: $policies"
    done
    job=$("$PSQL" -X -At "$SUPER_URL" -c "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'refresh_signal_stats'")
    [ -n "$job" ] || fail "refresh_signal_stats is not scheduled"
    "$PSQL" -X -q "$SUPER_URL" -c "CALL run_job($job)" || fail "refresh_signal_stats failed when run"
    "$PSQL" -X -At "$SUPER_URL" -c "SELECT value FROM trading.performance_metrics WHERE metric = 'signals_count_daily'" | grep -q . \
      || fail "refresh_signal_stats wrote no signals_count_daily"
    ok "compression, retention and the refresh_signal_stats job (run with run_job)"
  else
    ops_skip "init-database TimescaleDB policies" "the server's TimescaleDB is not under the Timescale license"
  fi
else
  ops_skip "init-database TimescaleDB steps (hypertables, compression, retention, refresh_signal_stats job)" \
    "TimescaleDB is not installed on this PostgreSQL; the plain-PostgreSQL path was tested"
  grep -q "skipped: every compression and retention policy (TimescaleDB is not installed)" "$WORK/first.log" \
    || fail "maintenance.sql did not say why it skipped"
fi
