#!/usr/bin/env bash
# Backups and restores on TimescaleDB, laid out as in production: a cluster of its own with
# TimescaleDB preloaded and password authentication, scripts/init-database.sh (admin role,
# app roles, hypertables), workspace-api and documentation-api as their app roles with
# migrations off, filled through HTTP. A dump of a service's schema would hold its
# hypertables without their rows (those live in _timescaledb_internal), so backup.sh dumps
# the whole database: refused for an app role (naming BACKUP_DATABASE_URL), done with the
# admin role. restore.sh refuses a target without TimescaleDB, with another TimescaleDB
# version, a non-superuser and a non-empty target without --force; into an empty database
# with the extension, the services as their app roles find every row and file again.
# SKIPPED where this PostgreSQL has no TimescaleDB (CI).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
# shellcheck source=scripts/lib/fleet.sh
source scripts/lib/fleet.sh
# shellcheck source=scripts/lib/postgres.sh
source scripts/lib/postgres.sh

if [ ! -f "$("$PG_BIN/pg_config" --sharedir 2>/dev/null)/extension/timescaledb.control" ]; then
  ops_skip "backup and restore on TimescaleDB" "TimescaleDB is not installed on this PostgreSQL"
  ops_summary
  exit 0
fi
started=$(date +%s)
# Whatever TEST_DATABASE_URL scripts/test.sh passes is a plain cluster: this test starts
# its own, removed on exit with its processes and WORK.
bench_workdir tradingsystem-ops-backup-ts pg_stop
SUPERPASS="super-$RANDOM-$$"
PG_PRELOAD=timescaledb PG_SUPERPASS=$SUPERPASS pg_start >/dev/null
SUPER_URL=$TEST_DATABASE_URL
CLUSTER=${SUPER_URL%/*}
PSQL=("$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1)
DATA=(python3 "$ROOT/scripts/ops-tests/fleet_data.py")

export BIN_DIR
export FRONTEND_APPS_DB_PASSWORD="admin:pw/$RANDOM" APP_WORKSPACE_DB_PASSWORD="ws:pw/$RANDOM"
export APP_DOCUMENTATION_DB_PASSWORD="docs'pw$RANDOM" TIMESCALEDB_PASSWORD="sync@pw$RANDOM"
QUESTDB_PORT=$(bench_free_port)
FAKE_ROWS=50 PORT=$QUESTDB_PORT "$BIN_DIR/examples/fake_questdb" >"$WORK/questdb.log" 2>&1 &
PIDS+=($!)
QUESTDB_REST_URL="http://127.0.0.1:$QUESTDB_PORT"
wait_ready "$QUESTDB_REST_URL/" >/dev/null || fail "the fake QuestDB did not start"
DATABASE_URL=$SUPER_URL QUESTDB_REST_URL=$QUESTDB_REST_URL scripts/init-database.sh --seed >"$WORK/init.log" 2>&1 \
  || { cat "$WORK/init.log"; fail "scripts/init-database.sh failed"; }
ok "scripts/init-database.sh --seed on TimescaleDB $("${PSQL[@]}" "$SUPER_URL" -c "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")"

# role_url ROLE PASSWORD_VAR DATABASE -> a URL for the role, password encoded (the role's
# search_path, set by init-database.sh, picks its schema)
role_url() {
  PGHOST=127.0.0.1 PGPORT=$PG_PORT PGDATABASE=$3 python3 scripts/lib/pg_init.py url "$1" "$2" x | sed 's/?options.*//'
}
# rows DATABASE -> what is compared between source and restored database: row counts, the
# hypertables, and that workspace_items keeps its rows in chunks (not the number of
# chunks: TimescaleDB's own jobs may add one to the source at any time)
rows() {
  "${PSQL[@]}" "$CLUSTER/$1" <<'SQL'
SELECT 'workspace_items=' || count(*) FROM workspace.workspace_items;
SELECT 'workspace_audit_log=' || count(*) FROM workspace.workspace_audit_log;
SELECT 'documentation_audit_log=' || count(*) FROM documentation.documentation_audit_log;
SELECT 'documentation_files=' || count(*) FROM documentation.documentation_files;
SELECT 'trading_signals=' || count(*) FROM trading.trading_signals;
SELECT 'tp_capital_signals=' || count(*) FROM trading.tp_capital_signals;
SELECT 'hypertables=' || string_agg(hypertable_schema || '.' || hypertable_name, ',' ORDER BY hypertable_schema, hypertable_name) FROM timescaledb_information.hypertables;
SELECT 'workspace_items_in_parent=' || count(*) FROM ONLY workspace.workspace_items;
SELECT 'jobs=' || count(*) FROM timescaledb_information.jobs;
SQL
}
# fleet_on DATABASE -- workspace-api and documentation-api (and the proxy) on DATABASE as
# their app roles, migrations off, as production runs them
fleet_on() {
  fleet_start WORKSPACE_DATABASE_URL="$(role_url app_workspace APP_WORKSPACE_DB_PASSWORD "$1")" \
    DOCUMENTATION_DATABASE_URL="$(role_url app_documentation APP_DOCUMENTATION_DB_PASSWORD "$1")" \
    WORKSPACE_API_RUN_MIGRATIONS=false DOCUMENTATION_API_RUN_MIGRATIONS=false \
    SPECS_DIR="$ROOT/openapi" SPECS_VERSIONS_DIR="$WORK/$1-versions"
}
# ops DATABASE -> the env of backup.sh and restore.sh for the services on DATABASE
ops() {
  echo TRADINGSYSTEM_ROOT="$WORK/ops-root" BACKUP_DIR="$WORK/backups" PG_BIN="$PG_BIN" SPECS_VERSIONS_DIR="$WORK/$1-versions" \
    WORKSPACE_DATABASE_URL="$(role_url app_workspace APP_WORKSPACE_DB_PASSWORD "$1")" \
    DOCUMENTATION_DATABASE_URL="$(role_url app_documentation APP_DOCUMENTATION_DB_PASSWORD "$1")"
}
SRC_DB=tradingsystem_test
read -ra SRC_OPS <<<"$(ops "$SRC_DB")"
ADMIN_URL=$(role_url tradingsystem_admin FRONTEND_APPS_DB_PASSWORD "$SRC_DB")
mkdir -p "$WORK/ops-root"

echo "==> source: the services as their app roles, filled through HTTP; the sync copies 50 rows"
env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" TIMESCALEDB_DSN="$(role_url app_sync TIMESCALEDB_PASSWORD "$SRC_DB")" \
  QUESTDB_REST_URL="$QUESTDB_REST_URL" TIMESCALEDB_SYNC_RUN_MIGRATIONS=false "$BIN_DIR/timescaledb-sync" run \
  >"$WORK/sync.out" 2>&1 || fail "the sync failed: $(cat "$WORK/sync.out")"
fleet_on "$SRC_DB" || fail "the fleet did not start on the source database"
"${DATA[@]}" populate "$WORKSPACE_PORT" "$DOCUMENTATION_PORT" "$WORK/expect.json"
in_parent=$("${PSQL[@]}" "$SUPER_URL" -c "SELECT count(*) FROM ONLY workspace.workspace_items")
in_chunks=$("${PSQL[@]}" "$SUPER_URL" -c "SELECT count(*) FROM workspace.workspace_items")
hyper=$("${PSQL[@]}" "$SUPER_URL" -c "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = 'workspace' AND hypertable_name = 'workspace_items' AND chunk_schema = '_timescaledb_internal'")
if [ "$in_parent" -eq 0 ] && [ "$in_chunks" -gt 0 ] && [ "$hyper" -gt 0 ]; then
  ok "workspace.workspace_items is a hypertable: $in_chunks rows, all in $hyper chunk(s) of _timescaledb_internal, none in the parent"
else
  not_ok "workspace.workspace_items: $in_parent rows in the parent, $in_chunks in all, $hyper chunks"
fi
rows "$SRC_DB" >"$WORK/src.rows"

# What the per-schema dump of before would have kept: the parent tables, no rows.
"$PG_BIN/pg_dump" --format=custom --schema=workspace --file="$WORK/schema.pgdump" "$(role_url app_workspace APP_WORKSPACE_DB_PASSWORD "$SRC_DB")"
kept=$("$PG_BIN/pg_restore" --data-only --table=workspace_items --file=- "$WORK/schema.pgdump" \
  | awk '/^COPY workspace.workspace_items /{on=1; next} /^\\\.$/{on=0} on' | wc -l)
if [ "$kept" -eq 0 ]; then
  ok "a dump of schema workspace holds 0 of the $in_chunks workspace_items rows: why the whole database is dumped"
else
  not_ok "a dump of schema workspace holds $kept workspace_items rows: is workspace_items no longer a hypertable?"
fi

echo "==> backup while the services run"
refused "backup as the services' app roles is refused, naming BACKUP_DATABASE_URL" \
  "role app_workspace of WORKSPACE_DATABASE_URL of workspace-api may not read [0-9]+ of its tables.*set BACKUP_DATABASE_URL" \
  env "${SRC_OPS[@]}" scripts/backup.sh
if env "${SRC_OPS[@]}" BACKUP_DATABASE_URL="$ADMIN_URL" scripts/backup.sh >"$WORK/backup.log" 2>&1; then
  ok "backup.sh with BACKUP_DATABASE_URL of tradingsystem_admin exit 0"
else
  not_ok "backup.sh failed: $(cat "$WORK/backup.log")"
fi
cat "$WORK/backup.log"
if grep -q "circular foreign-key" "$WORK/backup.log"; then not_ok "pg_dump's circular foreign-key warnings reach the output"; fi
backup=$(find "$WORK/backups" -mindepth 1 -maxdepth 1 -type d -name '2*' | sort | tail -n 1)
if python3 - "$backup/manifest.json" <<'EOF'; then ok "the manifest has one postgres-database entry for both services, with TimescaleDB's version"; else not_ok "manifest: $(cat "$backup/manifest.json")"; fi
import json, sys
m = json.load(open(sys.argv[1]))
db = [e for e in m["entries"] if e["kind"].startswith("postgres")]
assert len(db) == 1, db
e = db[0]
assert e["kind"] == "postgres-database" and e["services"] == ["workspace-api", "documentation-api"], e
assert e["database"] == "tradingsystem_test" and e["timescaledb"] and e["timescaledb"] != "none", e
assert e["source"].startswith("postgres://tradingsystem_admin@"), e
EOF
if grep -rqF -e "$FRONTEND_APPS_DB_PASSWORD" -e "$APP_WORKSPACE_DB_PASSWORD" -e "$SUPERPASS" "$backup/manifest.json" "$WORK/backup.log"; then
  not_ok "a password appears in the manifest or the backup's output"
else
  ok "no password in the manifest or the backup's output"
fi
# The source as backed up: listings first, downloads after (a download writes an audit row).
"${DATA[@]}" snapshot "$WORKSPACE_PORT" "$DOCUMENTATION_PORT" "$WORK/src.json" "$WORK/expect.json"
fleet_stop

echo "==> restore: refusals"
"${PSQL[@]}" "$SUPER_URL" -c "CREATE DATABASE plain_target" -c "CREATE DATABASE ts_target"
# The extension at the backup's version, as restore.sh asks; the roles are cluster-wide.
"${PSQL[@]}" "$CLUSTER/ts_target" -c "CREATE EXTENSION timescaledb" >/dev/null
read -ra PLAIN_OPS <<<"$(ops plain_target)"
read -ra DST_OPS <<<"$(ops ts_target)"
refused "a restore into a database without TimescaleDB is refused" \
  "database plain_target .* has no timescaledb extension; run CREATE EXTENSION timescaledb VERSION '[0-9.]+'" \
  env "${PLAIN_OPS[@]}" BACKUP_DATABASE_URL="$CLUSTER/plain_target" scripts/restore.sh "$backup"
cp -a "$backup" "$WORK/other-version"
python3 - "$WORK/other-version/manifest.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
for e in m["entries"]:
    if e["kind"] == "postgres-database":
        e["timescaledb"] = "2.0.0"
json.dump(m, open(sys.argv[1], "w"))
EOF
refused "a restore into another TimescaleDB version is refused" \
  "taken with TimescaleDB 2\.0\.0, but database ts_target .* has TimescaleDB [0-9.]+" \
  env "${DST_OPS[@]}" BACKUP_DATABASE_URL="$CLUSTER/ts_target" scripts/restore.sh "$WORK/other-version"
refused "a restore as a role that is no superuser is refused" \
  "needs a superuser.*role tradingsystem_admin of BACKUP_DATABASE_URL is not one" \
  env "${DST_OPS[@]}" BACKUP_DATABASE_URL="$(role_url tradingsystem_admin FRONTEND_APPS_DB_PASSWORD ts_target)" \
  scripts/restore.sh "$backup"
refused "BACKUP_DATABASE_URL of another database than the services' is refused" \
  "BACKUP_DATABASE_URL .* is not the database the services point at" \
  env "${DST_OPS[@]}" BACKUP_DATABASE_URL="$SUPER_URL" scripts/restore.sh "$backup"
if [ "$("${PSQL[@]}" "$CLUSTER/ts_target" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'workspace'")" -eq 0 ]; then
  ok "the refused restores wrote nothing"
else
  not_ok "a refused restore wrote into ts_target"
fi

echo "==> restore into an empty database with TimescaleDB"
t0=$(date +%s)
if env "${DST_OPS[@]}" BACKUP_DATABASE_URL="$CLUSTER/ts_target" scripts/restore.sh "$backup" >"$WORK/restore.log" 2>&1; then
  ok "restore.sh into an empty database exit 0 ($(($(date +%s) - t0)) s)"
else
  not_ok "restore.sh failed: $(cat "$WORK/restore.log")"
fi
cat "$WORK/restore.log"
rows ts_target >"$WORK/dst.rows"
if diff "$WORK/src.rows" "$WORK/dst.rows" >/dev/null && grep -q "^workspace_items=$in_chunks$" "$WORK/dst.rows"; then
  ok "restored row counts equal the source's: $(paste -sd' ' "$WORK/dst.rows")"
else
  not_ok "row counts: $(diff "$WORK/src.rows" "$WORK/dst.rows")"
fi
if [ "$("${PSQL[@]}" "$CLUSTER/ts_target" -c 'SHOW timescaledb.restoring')" = off ]; then
  ok "timescaledb_post_restore ran: a new session is out of restoring mode"
else
  not_ok "ts_target is left in TimescaleDB's restoring mode"
fi
refused "restore without --force into the restored database is refused" "is not empty \([0-9]+ tables\).*--force" \
  env "${DST_OPS[@]}" BACKUP_DATABASE_URL="$CLUSTER/ts_target" scripts/restore.sh "$backup"

echo "==> the services as their app roles on the restored database"
fleet_on ts_target || fail "the fleet did not start on the restored database"
if "${DATA[@]}" snapshot "$WORKSPACE_PORT" "$DOCUMENTATION_PORT" "$WORK/dst.json" "$WORK/expect.json"; then
  ok "every restored file downloads with the uploaded bytes (sha256)"
  same_snapshot "restored items, categories, audit logs, systems, ideas, files and spec versions equal the source's" \
    "$WORK/src.json" "$WORK/dst.json"
else
  not_ok "reading the restored fleet"
fi
# A new item in a new time range: TimescaleDB's catalog came back whole, so a chunk can be added.
if curl -fsS -o /dev/null -H 'content-type: application/json' \
  -d '{"title":"after restore","description":"new row","category":"dashboard","priority":"low"}' \
  "http://127.0.0.1:$WORKSPACE_PORT/api/items"; then
  ok "workspace-api writes a new item into the restored hypertable"
else
  not_ok "workspace-api cannot write into the restored database: $(tail -5 "$WORK/fleet.log")"
fi
fleet_stop
# A row 400 days back lands in a chunk the backup does not have, which --clean alone
# could not drop.
"${PSQL[@]}" "$CLUSTER/ts_target" -c "INSERT INTO workspace.workspace_items (id, title, description, category, priority, status, tags, metadata, version, created_at, updated_at, created_by, updated_by) SELECT gen_random_uuid(), 'old', 'old', category, priority, status, tags, metadata, version, created_at - interval '400 days', updated_at, created_by, updated_by FROM workspace.workspace_items LIMIT 1" \
  || not_ok "an insert into a new chunk of the restored hypertable failed"

echo "==> restore --force over a database with more chunks than the backup"
t0=$(date +%s)
if env "${DST_OPS[@]}" BACKUP_DATABASE_URL="$CLUSTER/ts_target" scripts/restore.sh "$backup" --force >"$WORK/force.log" 2>&1; then
  ok "restore.sh --force exit 0 ($(($(date +%s) - t0)) s)"
else
  not_ok "restore.sh --force failed: $(cat "$WORK/force.log")"
fi
rows ts_target >"$WORK/force.rows"
if diff "$WORK/src.rows" "$WORK/force.rows" >/dev/null; then
  ok "after --force the row counts are the backup's again (the rows and chunk added since are gone)"
else
  not_ok "after --force: $(diff "$WORK/src.rows" "$WORK/force.rows")"
fi
echo "==> a new server's way: scripts/init-database.sh on a new database, then restore --force"
"${PSQL[@]}" "$SUPER_URL" -c "CREATE DATABASE init_target"
DATABASE_URL="$CLUSTER/init_target" QUESTDB_REST_URL=$QUESTDB_REST_URL scripts/init-database.sh >"$WORK/init2.log" 2>&1 \
  || { cat "$WORK/init2.log"; fail "scripts/init-database.sh on init_target failed"; }
read -ra INIT_OPS <<<"$(ops init_target)"
refused "restore into a database prepared by init-database.sh needs --force" "database init_target .* is not empty" \
  env "${INIT_OPS[@]}" BACKUP_DATABASE_URL="$CLUSTER/init_target" scripts/restore.sh "$backup"
if env "${INIT_OPS[@]}" BACKUP_DATABASE_URL="$CLUSTER/init_target" scripts/restore.sh "$backup" --force >"$WORK/init-force.log" 2>&1 \
  && rows init_target >"$WORK/init.rows" && diff "$WORK/src.rows" "$WORK/init.rows" >/dev/null; then
  ok "restore --force over init-database.sh's tables: the backup's rows, hypertables and jobs"
else
  not_ok "restore --force into init_target: $(cat "$WORK/init-force.log"); $(diff "$WORK/src.rows" "$WORK/init.rows" 2>&1)"
fi
fleet_on init_target || fail "the fleet did not start on init_target"
if "${DATA[@]}" snapshot "$WORKSPACE_PORT" "$DOCUMENTATION_PORT" "$WORK/init.json" "$WORK/expect.json" >/dev/null; then
  same_snapshot "the services as their app roles read there the backup's listings and files" "$WORK/src.json" "$WORK/init.json"
else
  not_ok "the services on init_target: $(tail -5 "$WORK/fleet.log")"
fi
fleet_stop

if grep -qF -e "$SUPERPASS" -e "$FRONTEND_APPS_DB_PASSWORD" "$WORK/restore.log" "$WORK/force.log" "$WORK/refused.err"; then
  not_ok "a password appears in restore.sh's output"
else
  ok "no password in restore.sh's output"
fi

echo "backup on TimescaleDB ops test: $(($(date +%s) - started)) s"
ops_summary
