#!/usr/bin/env bash
# Prepares a PostgreSQL or TimescaleDB server for the fleet, least privilege included:
#
#   1. roles: the admin role, which owns the schemas and runs every migration, and one
#      login role per service (app_workspace, app_documentation, app_sync);
#   2. one schema per service (workspace, documentation, trading for the sync and the core
#      trading tables, langgraph), each role granted only its own: usage, table and
#      sequence rights, the same for tables created later, and its search_path;
#   3. migrations, as the admin role: each service's through its own binary (`migrate`),
#      so the bookkeeping /ready checks and the TimescaleDB steps are exactly those of a
#      self-migrating start; then the core trading schema (migrations/timescaledb, and its
#      sample rows with --seed), LangGraph's checkpoint tables, and maintenance.sql's
#      compression and retention policies; QuestDB's LangGraph tables through its /exec
#      endpoint when QUESTDB_REST_URL is set.
#
# Safe to run again: what exists is kept, passwords are set again, grants re-applied.
# Afterwards run the services as their app roles with {P}RUN_MIGRATIONS=false.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER="$ROOT/scripts/lib/pg_init.py"

usage() {
  cat <<'EOF'
Usage: scripts/init-database.sh [--dry-run] [--seed] [--help]

  --dry-run  print every step and statement, change nothing (passwords not needed)
  --seed     also insert the core trading schema's sample rows

The server (a superuser's connection; DATABASE_URL wins):
  DATABASE_URL                 postgres://postgres:secret@db.example:5432/tradingsystem
  FRONTEND_APPS_DB_HOST        localhost
  FRONTEND_APPS_DB_PORT        5432
  FRONTEND_APPS_DB_NAME        tradingsystem
  FRONTEND_APPS_DB_SUPERUSER   postgres
  FRONTEND_APPS_DB_SUPERPASS   (none: peer or trust authentication)
Roles and their passwords (required, except with --dry-run):
  FRONTEND_APPS_DB_USER / FRONTEND_APPS_DB_PASSWORD   admin role (tradingsystem_admin)
  APP_WORKSPACE_DB_PASSWORD       app_workspace      (schema workspace)
  APP_DOCUMENTATION_DB_PASSWORD   app_documentation  (schema documentation)
  TIMESCALEDB_PASSWORD            app_sync           (schema trading)
Elsewhere:
  BIN_DIR           the fleet's binaries (target/release)
  QUESTDB_REST_URL  QuestDB's REST API; its LangGraph tables are created when set, and the
                    sync's target tables are created from its columns (http://localhost:9000)
The env files the services read (config/.env.defaults, .env, .env.local) are read too;
the environment wins over them.

Exit status: 0 done, 1 a step failed, 2 usage, 78 configuration (a missing password).
EOF
}

DRY_RUN=0
SEED=0
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) DRY_RUN=1 ;;
    --seed) SEED=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "init-database: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

eval "$(python3 "$HELPER" env-files "$ROOT")"

# The server, as libpq's PG* variables: no password ever appears on a command line.
if [ -n "${DATABASE_URL:-}" ]; then
  eval "$(python3 "$HELPER" libpq "$DATABASE_URL")"
else
  export PGHOST=${FRONTEND_APPS_DB_HOST:-localhost} PGPORT=${FRONTEND_APPS_DB_PORT:-5432}
  export PGDATABASE=${FRONTEND_APPS_DB_NAME:-tradingsystem} PGUSER=${FRONTEND_APPS_DB_SUPERUSER:-postgres}
  if [ -n "${FRONTEND_APPS_DB_SUPERPASS:-}" ]; then export PGPASSWORD=$FRONTEND_APPS_DB_SUPERPASS; fi
fi
PSQL=psql
if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/psql" ]; then PSQL=$PG_BIN/psql; fi
BIN_DIR=${BIN_DIR:-$ROOT/target/release}
# The binaries read the same env files as this script.
export TRADINGSYSTEM_ROOT=${TRADINGSYSTEM_ROOT:-$ROOT}

ADMIN=${FRONTEND_APPS_DB_USER:-tradingsystem_admin}
# role:schema:password variable, one per service.
SERVICES=(
  "app_workspace:workspace:APP_WORKSPACE_DB_PASSWORD"
  "app_documentation:documentation:APP_DOCUMENTATION_DB_PASSWORD"
  "app_sync:trading:TIMESCALEDB_PASSWORD"
)
LANGGRAPH_SCHEMA=langgraph

problems=()
if [ "$ADMIN" = "$PGUSER" ]; then
  problems+=("FRONTEND_APPS_DB_USER: names the superuser $PGUSER; the admin role must be a role of its own (e.g. tradingsystem_admin)")
fi
for name in "$ADMIN" "$PGDATABASE"; do
  [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || problems+=("$name: expected a lower-case SQL identifier ([a-z_][a-z0-9_]*)")
done
if [ "$DRY_RUN" -eq 0 ]; then
  [ -n "${FRONTEND_APPS_DB_PASSWORD:-}" ] || problems+=("FRONTEND_APPS_DB_PASSWORD: missing (the admin role $ADMIN's password)")
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r role _ password_var <<<"$entry"
    [ -n "${!password_var:-}" ] || problems+=("$password_var: missing (the password of role $role)")
  done
  for binary in workspace-api documentation-api timescaledb-sync; do
    [ -x "$BIN_DIR/$binary" ] || problems+=("BIN_DIR: $BIN_DIR/$binary not found (cargo build --release, or set BIN_DIR)")
  done
fi
if [ ${#problems[@]} -gt 0 ]; then
  printf 'init-database: %s\n' "${problems[@]}" >&2
  exit 78
fi

step() { echo "==> $*"; }
# psql's notices (each step's `applied:` / `skipped:` lines), indented under their step.
notices() { sed -e 's/^psql:[^ ]* NOTICE:  /    /' -e 's/^NOTICE:  /    /'; }

# sql DESCRIPTION -- runs stdin through psql as the superuser (or prints it, dry run).
sql() {
  step "$1"
  if [ "$DRY_RUN" -eq 1 ]; then
    sed 's/^/    /'
  else
    "$PSQL" -X -q -v ON_ERROR_STOP=1 --set=admin="$ADMIN" --set=db="$PGDATABASE" -f - 2>&1 \
      | notices
    return "${PIPESTATUS[0]}"
  fi
}

# as_admin SCHEMA DESCRIPTION COMMAND... -- runs COMMAND with the admin's URL for SCHEMA in
# ADMIN_URL (the password inside it travels in the environment, not in argv).
as_admin() {
  local schema=$1 description=$2
  shift 2
  step "$description"
  if [ "$DRY_RUN" -eq 1 ]; then
    echo "    (as $ADMIN, search_path $schema,public) $*"
    return 0
  fi
  ADMIN_URL=$(python3 "$HELPER" url "$ADMIN" FRONTEND_APPS_DB_PASSWORD "$schema") "$@"
}

# psql_file SCHEMA FILE -- one SQL file as the admin in SCHEMA, its notices shown.
psql_file() {
  PGUSER=$ADMIN PGPASSWORD=$FRONTEND_APPS_DB_PASSWORD PGOPTIONS="-c search_path=$1,public" \
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -f "$2" 2>&1 | notices
  return "${PIPESTATUS[0]}"
}

echo "init-database: $PGUSER@$PGHOST:$PGPORT/$PGDATABASE$([ "$DRY_RUN" -eq 1 ] && echo ' (dry run: nothing is changed)')"

# --- 1. roles -----------------------------------------------------------------------
# Passwords are sent as SCRAM verifiers computed here, so the server never sees them.
role_sql() {
  local role=$1 password_var=$2 verifier=''
  if [ "$DRY_RUN" -eq 0 ]; then verifier=$(python3 "$HELPER" scram "$password_var"); fi
  cat <<EOF
SELECT format('CREATE ROLE %I LOGIN', '$role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', '$role', '${verifier:-<SCRAM verifier of \$$password_var>}') \gexec
EOF
}
{
  role_sql "$ADMIN" FRONTEND_APPS_DB_PASSWORD
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r role _ password_var <<<"$entry"
    role_sql "$role" "$password_var"
  done
  # TimescaleDB, where the server has it (the services never create extensions).
  cat <<'EOF'
SELECT 'CREATE EXTENSION IF NOT EXISTS timescaledb' WHERE EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AND EXISTS (SELECT 1 FROM pg_settings WHERE name = 'shared_preload_libraries' AND setting LIKE '%timescaledb%') \gexec
SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN 'TimescaleDB ' || (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') || ', license ' || coalesce(current_setting('timescaledb.license', true), 'unset') ELSE 'TimescaleDB not available: plain PostgreSQL tables, policies skipped' END AS "server" \gset
\echo '    ' :server
EOF
} | sql "roles ($ADMIN, app_workspace, app_documentation, app_sync) and extensions"

# --- 2. schemas and grants ---------------------------------------------------------
# grants_sql ROLE SCHEMA -- ROLE gets its own schema and nothing else; later tables of the
# admin's get the same rights by default.
grants_sql() {
  local role=$1 schema=$2
  cat <<EOF
CREATE SCHEMA IF NOT EXISTS $schema AUTHORIZATION :"admin";
GRANT CONNECT ON DATABASE :"db" TO $role;
GRANT USAGE ON SCHEMA $schema TO $role;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA $schema TO $role;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA $schema TO $role;
ALTER DEFAULT PRIVILEGES FOR ROLE :"admin" IN SCHEMA $schema GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO $role;
ALTER DEFAULT PRIVILEGES FOR ROLE :"admin" IN SCHEMA $schema GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO $role;
ALTER ROLE $role SET search_path = $schema, public;
EOF
}
schemas_sql() {
  echo "GRANT CONNECT, TEMPORARY ON DATABASE :\"db\" TO :\"admin\";"
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r role schema _ <<<"$entry"
    grants_sql "$role" "$schema"
  done
  echo "CREATE SCHEMA IF NOT EXISTS $LANGGRAPH_SCHEMA AUTHORIZATION :\"admin\";"
}
schemas_sql | sql "schemas (workspace, documentation, trading, $LANGGRAPH_SCHEMA) and grants"

# --- 3. migrations, as the admin -------------------------------------------------
# shellcheck disable=SC2016 # ADMIN_URL is expanded by the inner shell, after as_admin set it
as_admin workspace "workspace-api migrate" \
  sh -c 'WORKSPACE_DATABASE_URL=$ADMIN_URL exec "$0" migrate' "$BIN_DIR/workspace-api"
# shellcheck disable=SC2016
as_admin documentation "documentation-api migrate" \
  sh -c 'DOCUMENTATION_DATABASE_URL=$ADMIN_URL exec "$0" migrate' "$BIN_DIR/documentation-api"

step "core trading schema (migrations/timescaledb/schema.sql) in trading"
if [ "$DRY_RUN" -eq 0 ]; then psql_file trading "$ROOT/migrations/timescaledb/schema.sql"; fi
if [ "$SEED" -eq 1 ]; then
  step "sample rows (migrations/timescaledb/seed.sql)"
  if [ "$DRY_RUN" -eq 0 ]; then psql_file trading "$ROOT/migrations/timescaledb/seed.sql"; fi
fi

# The sync creates its target tables from QuestDB's columns: without QuestDB they cannot
# be made yet (status 3), which is reported, not fatal; run this script again later.
sync_status=0
# shellcheck disable=SC2016
as_admin trading "timescaledb-sync migrate (sync_control, target tables from QuestDB's columns)" \
  sh -c 'TIMESCALEDB_DSN=$ADMIN_URL exec "$0" migrate' "$BIN_DIR/timescaledb-sync" || sync_status=$?
case $sync_status in
  0) ;;
  3) echo "    WARNING: QuestDB did not answer; the sync's target tables were not created. Run this script again once QuestDB is up." ;;
  *) echo "init-database: timescaledb-sync migrate failed (status $sync_status)" >&2; exit 1 ;;
esac

step "LangGraph checkpoint tables (migrations/langgraph) in $LANGGRAPH_SCHEMA"
if [ "$DRY_RUN" -eq 0 ]; then
  for file in "$ROOT"/migrations/langgraph/*.sql; do psql_file "$LANGGRAPH_SCHEMA" "$file"; done
fi

# Grants again: they cover the tables the migrations just created in each schema.
schemas_sql | sql "grants on the tables the migrations created"

step "compression and retention (migrations/timescaledb/maintenance.sql)"
if [ "$DRY_RUN" -eq 0 ]; then psql_file trading "$ROOT/migrations/timescaledb/maintenance.sql"; fi

# --- QuestDB ------------------------------------------------------------------------
if [ -n "${QUESTDB_REST_URL:-}" ]; then
  step "QuestDB LangGraph tables (migrations/questdb/langgraph_events.sql) at $QUESTDB_REST_URL"
  # Statements end with a semicolon at the end of a line; comments are dropped.
  python3 - "$ROOT/migrations/questdb/langgraph_events.sql" <<'EOF' | while IFS= read -r -d '' statement; do
import sys
text = "\n".join(l for l in open(sys.argv[1], encoding="utf-8").read().splitlines() if not l.lstrip().startswith("--"))
for statement in text.split(";\n"):
    if statement.strip():
        sys.stdout.write(statement.strip().rstrip(";") + "\0")
EOF
    echo "    ${statement%%(*}"
    if [ "$DRY_RUN" -eq 0 ]; then
      curl -fsS --max-time 30 -G "${QUESTDB_REST_URL%/}/exec" --data-urlencode "query=$statement" >/dev/null \
        || { echo "init-database: QuestDB refused: ${statement%%(*}" >&2; exit 1; }
    fi
  done
else
  step "QuestDB: QUESTDB_REST_URL not set, its LangGraph tables skipped"
fi

echo "init-database: done$([ "$DRY_RUN" -eq 1 ] && echo ' (dry run)')"
