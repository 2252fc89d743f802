#!/usr/bin/env bash
# Restores a backup written by scripts/backup.sh into the databases the services are
# configured with now. Everything is checked before anything is written: checksums, that
# the services are stopped, that each target is empty (unless --force), and for a whole
# database with TimescaleDB, that the target has the same TimescaleDB version.
set -euo pipefail
# shellcheck source=scripts/ops/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops/common.sh"

usage() {
  cat <<USAGE
Usage: scripts/restore.sh BACKUP_DIR [--services a,b] [--force]

Restores each file of BACKUP_DIR (a directory written by scripts/backup.sh) into the
database its service is configured with now (WORKSPACE_DATABASE_URL,
DOCUMENTATION_DATABASE_URL, read as the services read them) and documentation-api's
published spec versions into SPECS_VERSIONS_DIR.

Before writing anything it checks, for every selected file, that:
  - its size and SHA-256 match manifest.json (a damaged backup is refused);
  - its service is stopped: no live PID file in LOG_DIR and nothing listening on its port;
  - the target is empty: a SQLite file without tables, a PostgreSQL schema without
    tables, an empty directory. --force restores over existing data instead (SQLite
    files and directories are replaced; PostgreSQL uses pg_restore --clean --if-exists).

A PostgreSQL dump is restored into the schema it was taken from, which must be the
schema of the target URL's search_path (pg_restore cannot rename a schema); the schema
is created when missing. Objects are owned by the role of the target URL (--no-owner
--no-privileges): grants are the job of scripts/init-database.sh.

A whole database (kind postgres-database: a database with TimescaleDB) is restored into
the database the services' URLs name now; they must all name one. The restore runs as
BACKUP_DATABASE_URL when set (a URL of that same database), else as the first service's
URL, and that role must be a superuser: it writes TimescaleDB's catalog and restores
every object with its owner and grants (the roles must exist, as scripts/init-database.sh
makes them). The target must have the timescaledb extension at the backup's version
(CREATE EXTENSION timescaledb VERSION '...'); another version, or none, is refused.
"Empty" means no tables but the extension's own. It runs timescaledb_pre_restore(),
pg_restore --single-transaction --exit-on-error, then timescaledb_post_restore(), even
when pg_restore failed. --force first drops the backup's schemas (workspace,
documentation, ...) with everything in them, then restores with --clean --if-exists.

  --services a,b  only these services' data (default: everything in the backup)
  --force         restore over existing data
  -h, --help      this text

Exit status: 0 restored, 1 refused or failed (the message says why), 2 bad arguments.
USAGE
}

backup="" selected="" force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --services) selected=${2:?--services needs a list}; shift 2 ;;
    --services=*) selected=${1#*=}; shift ;;
    --force) force=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
    *)
      if [ -n "$backup" ]; then echo "error: one backup directory only (see --help)" >&2; exit 2; fi
      backup=$1; shift ;;
  esac
done
if [ -z "$backup" ]; then echo "error: which backup? (see --help)" >&2; exit 2; fi
if [ ! -f "$backup/manifest.json" ]; then
  echo "error: $backup is not a backup: it has no manifest.json" >&2
  exit 1
fi
if [ -n "$selected" ]; then ops_services "$selected"; fi

entries=$(opslib manifest-entries "$backup/manifest.json" --services "$selected") || exit 1
if [ -z "$entries" ]; then echo "error: nothing to restore in $backup" >&2; exit 1; fi
mapfile -t ENTRIES <<<"$entries"
umask 077
secrets=$(mktemp -d)
trap 'rm -rf "$secrets"' EXIT

# 1. The backup is whole: sizes and checksums, before anything else is looked at.
for entry in "${ENTRIES[@]}"; do
  IFS=$'\t' read -r services _kind file bytes sum _rest <<<"$entry"
  if [ ! -f "$backup/$file" ]; then
    echo "error: $backup/$file ($services) is missing; the backup is incomplete, nothing was restored" >&2
    exit 1
  fi
  actual=$(opslib sha256 "$backup/$file")
  size=$(stat -c %s "$backup/$file")
  if [ "$actual" != "$sum" ] || [ "$size" != "$bytes" ]; then
    echo "error: $backup/$file ($services) is damaged: manifest.json says $bytes bytes with SHA-256 $sum," \
      "the file has $size bytes with SHA-256 $actual; nothing was restored" >&2
    exit 1
  fi
done
echo "checksums verified: ${#ENTRIES[@]} file(s) in $backup"

# 2. Every service concerned is stopped.
mapfile -t involved < <(printf '%s\n' "${ENTRIES[@]}" | cut -f1 | tr ',' '\n' | sort -u)
ops_services "$(IFS=,; echo "${involved[*]}")"
for line in "${SERVICES[@]}"; do
  IFS=$'\t' read -r id binary port _rest <<<"$line"
  if pid=$(pid_of "$id" "$binary"); then
    echo "error: $id is running (pid $pid, PID file $LOG_DIR/$id.pid): stop it first" \
      "(scripts/stop-all.sh --services $id, or systemctl stop $id); nothing was restored" >&2
    exit 1
  fi
  if holder=$(opslib port-holder "$port"); then
    echo "error: $id's port $port is held by $holder: stop $id first; nothing was restored" >&2
    exit 1
  fi
done

# pg_target SERVICE -> sets TARGET_SCHEMA (the schema the URL's search_path picks, existing
# or not) and TARGET_TABLES; PG* variables of the service's URL are exported.
pg_target() {
  TARGET_SCHEMA=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 -c 'SELECT current_schema()')
  if [ -z "$TARGET_SCHEMA" ]; then
    # No schema of the search path exists yet: its first entry is where the URL points.
    TARGET_SCHEMA=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 \
      -c "SELECT replace(btrim(split_part(current_setting('search_path'), ',', 1)), '\"', '')")
    # shellcheck disable=SC2016 # the literal $user entry of a search_path
    if [ "$TARGET_SCHEMA" = '$user' ]; then TARGET_SCHEMA=$(pgtool psql -XAtq -c 'SELECT current_user'); fi
  fi
  # psql interpolates :'schema' (quoted as a literal) only in what it reads, not in -c.
  TARGET_TABLES=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 -v schema="$TARGET_SCHEMA" \
    <<<"SELECT count(*) FROM pg_tables WHERE schemaname = :'schema'")
}

# db_identity -> the database of the current PG* connection, told apart from every other
# one however its URL spells the host: name, OID and the server's start time.
db_identity() {
  pgtool psql -XAtq -v ON_ERROR_STOP=1 \
    -c "SELECT current_database() || '/' || oid || '@' || pg_postmaster_start_time() FROM pg_database WHERE datname = current_database()"
}

# pg_database_target SERVICES -- for a whole-database dump: every service of SERVICES must
# point at one PostgreSQL database, the target. Exports the PG* variables of the connection
# that restores (BACKUP_DATABASE_URL, else the first service's URL) and sets TARGET_DB,
# TARGET_ROLE, TARGET_VIA and TARGET_SOURCE.
pg_database_target() {
  local services=$1 s ident="" this first="" admin_env
  for s in ${services//,/ }; do
    eval "$(opslib db-env "$s" "$secrets/pgpass")"
    if [ "$DB_KIND" != postgres ]; then
      echo "error: the backup of $services is a PostgreSQL database, but $DB_ENV now points at SQLite ($DB_SOURCE); nothing was restored" >&2
      exit 1
    fi
    this=$(db_identity)
    if [ -z "$ident" ]; then
      ident=$this first="$s ($DB_SOURCE)"
    elif [ "$this" != "$ident" ]; then
      echo "error: the backup holds one database for $services, but $s now points at another one ($DB_SOURCE)" \
        "than $first; point them at one database; nothing was restored" >&2
      exit 1
    fi
  done
  eval "$(opslib db-env "${services%%,*}" "$secrets/pgpass")"
  TARGET_VIA="$DB_ENV of ${services%%,*}" TARGET_SOURCE=$DB_SOURCE
  if admin_env=$(opslib url-env BACKUP_DATABASE_URL "$secrets/admin.pgpass"); then
    eval "$admin_env"
    TARGET_VIA=BACKUP_DATABASE_URL TARGET_SOURCE=$URL_SOURCE
    if [ "$(db_identity)" != "$ident" ]; then
      echo "error: BACKUP_DATABASE_URL ($URL_SOURCE) is not the database the services point at ($first);" \
        "point it at the same server and database; nothing was restored" >&2
      exit 1
    fi
  fi
  TARGET_DB=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 -c 'SELECT current_database()')
  TARGET_ROLE=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 -c 'SELECT current_user')
}

# 3. Every target is empty, or --force.
for entry in "${ENTRIES[@]}"; do
  IFS=$'\t' read -r services kind file _bytes _sum schema name timescale <<<"$entry"
  id=${services%%,*}
  case "$kind" in
    sqlite)
      eval "$(opslib db-env "$id" "$secrets/pgpass")"
      if [ "$DB_KIND" != sqlite ]; then
        echo "error: the backup of $id is a SQLite file, but $DB_ENV now points at PostgreSQL ($DB_SOURCE); nothing was restored" >&2
        exit 1
      fi
      tables=$(opslib sqlite-tables "$DB_PATH")
      if [ "$tables" -gt 0 ] && [ "$force" = 0 ]; then
        echo "error: $id's database $DB_PATH is not empty ($tables tables); restore over it with --force; nothing was restored" >&2
        exit 1
      fi
      ;;
    postgres)
      (
        eval "$(opslib db-env "$id" "$secrets/pgpass")"
        if [ "$DB_KIND" != postgres ]; then
          echo "error: the backup of $services is a PostgreSQL dump, but $DB_ENV now points at SQLite ($DB_SOURCE); nothing was restored" >&2
          exit 1
        fi
        pg_target
        if [ "$TARGET_SCHEMA" != "$schema" ]; then
          echo "error: the dump of $services holds schema $schema, but $DB_SOURCE uses schema $TARGET_SCHEMA;" \
            "pg_restore cannot rename a schema: point $DB_ENV at schema $schema; nothing was restored" >&2
          exit 1
        fi
        if [ "$TARGET_TABLES" -gt 0 ] && [ "$force" = 0 ]; then
          echo "error: schema $schema of $DB_SOURCE is not empty ($TARGET_TABLES tables); restore over it with --force; nothing was restored" >&2
          exit 1
        fi
        if [ "$timescale" != none ] && [ "$timescale" != - ]; then
          echo "warning: $file was dumped per schema from a database with TimescaleDB $timescale (by an older" \
            "backup.sh): its hypertables come back empty, their rows were never in it" >&2
        fi
      )
      ;;
    postgres-database)
      (
        pg_database_target "$services"
        have=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 -c "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
        if [ -z "$have" ]; then
          offered=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 \
            -c "SELECT string_agg(version, ', ' ORDER BY version) FROM pg_available_extension_versions WHERE name = 'timescaledb'")
          if grep -qwF -- "$timescale" <<<"${offered//, / }"; then
            hint="run CREATE EXTENSION timescaledb VERSION '$timescale'; in database $TARGET_DB first"
          elif [ -n "$offered" ]; then
            hint="this server offers TimescaleDB $offered only: install TimescaleDB $timescale, then run CREATE EXTENSION timescaledb VERSION '$timescale'; in database $TARGET_DB"
          else
            hint="this server has no TimescaleDB: install TimescaleDB $timescale, preload it (shared_preload_libraries = 'timescaledb'), then run CREATE EXTENSION timescaledb VERSION '$timescale'; in database $TARGET_DB"
          fi
          echo "error: the backup of $services is a whole database with TimescaleDB $timescale, but database" \
            "$TARGET_DB ($TARGET_SOURCE) has no timescaledb extension; $hint; nothing was restored" >&2
          exit 1
        fi
        if [ "$have" != "$timescale" ]; then
          echo "error: the backup of $services was taken with TimescaleDB $timescale, but database $TARGET_DB" \
            "($TARGET_SOURCE) has TimescaleDB $have; a TimescaleDB dump restores into the same version only:" \
            "restore into a database with TimescaleDB $timescale, then ALTER EXTENSION timescaledb UPDATE there" \
            "if you want a newer one; nothing was restored" >&2
          exit 1
        fi
        if [ "$(pgtool psql -XAtq -c 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')" != t ]; then
          echo "error: restoring the whole database $TARGET_DB (TimescaleDB) needs a superuser: it writes" \
            "TimescaleDB's catalog and restores every object's owner and grants; role $TARGET_ROLE of" \
            "$TARGET_VIA is not one: set BACKUP_DATABASE_URL to a superuser's URL of database $TARGET_DB;" \
            "nothing was restored" >&2
          exit 1
        fi
        # Tables of the extension's own (its catalog) are there in every database that has it.
        tables=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 <<'SQL'
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
SQL
        )
        if [ "$tables" -gt 0 ] && [ "$force" = 0 ]; then
          echo "error: database $TARGET_DB ($TARGET_SOURCE) is not empty ($tables tables); restore over it with --force; nothing was restored" >&2
          exit 1
        fi
      )
      ;;
    directory)
      target=$(opslib dir-setting "$id" | awk -F'\t' -v n="$name" '$1 == n {print $2}')
      if [ -z "$target" ]; then
        echo "error: $id has no directory $name in config/services-manifest.json; nothing was restored" >&2
        exit 1
      fi
      if [ -d "$target" ] && [ -n "$(ls -A "$target")" ] && [ "$force" = 0 ]; then
        echo "error: $id's $name directory $target is not empty; restore over it with --force; nothing was restored" >&2
        exit 1
      fi
      ;;
    *) echo "error: unknown kind $kind of $file in the manifest" >&2; exit 1 ;;
  esac
done

# 4. Restore.
# keep_owner PATH: as root, give PATH the owner of its directory (the service's user),
# which could not open a root-owned database.
keep_owner() {
  if [ "$(id -u)" -eq 0 ]; then chown -R --reference="$(dirname "$1")" "$1"; fi
}
for entry in "${ENTRIES[@]}"; do
  IFS=$'\t' read -r services kind file _bytes _sum schema name timescale <<<"$entry"
  id=${services%%,*}
  case "$kind" in
    sqlite)
      eval "$(opslib db-env "$id" "$secrets/pgpass")"
      if [ ! -d "$(dirname "$DB_PATH")" ]; then
        mkdir -p "$(dirname "$DB_PATH")"
        # A directory made here by root would keep the service from creating its -wal file.
        keep_owner "$(dirname "$DB_PATH")"
      fi
      cp "$backup/$file" "$DB_PATH.restoring"
      # An old -wal file beside the restored one would be replayed into it.
      rm -f "$DB_PATH" "$DB_PATH-wal" "$DB_PATH-shm" "$DB_PATH-journal"
      mv "$DB_PATH.restoring" "$DB_PATH"
      chmod 0640 "$DB_PATH"
      keep_owner "$DB_PATH"
      echo "$id: restored $file into $DB_PATH"
      ;;
    postgres)
      (
        eval "$(opslib db-env "$id" "$secrets/pgpass")"
        pg_target
        pgtool pg_restore --list "$backup/$file" >"$secrets/toc"
        exists=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 -v schema="$schema" \
          <<<"SELECT count(*) FROM pg_namespace WHERE nspname = :'schema'")
        if [ "$exists" -gt 0 ]; then
          # The schema was made beforehand (scripts/init-database.sh, or an earlier
          # restore): restoring its CREATE SCHEMA would fail, and dropping it under --clean
          # would drop its grants.
          awk -v s="$schema" '{ if ($0 ~ (" SCHEMA - " s " ")) print ";" $0; else print }' "$secrets/toc" >"$secrets/toc.use"
        else
          cp "$secrets/toc" "$secrets/toc.use"
        fi
        args=(--exit-on-error --single-transaction --no-owner --no-privileges --use-list="$secrets/toc.use")
        if [ "$force" = 1 ]; then args+=(--clean --if-exists); fi
        pgtool pg_restore "${args[@]}" --dbname="${PGDATABASE:-${PGUSER:-$(id -un)}}" "$backup/$file"
        echo "$services: restored schema $schema from $file into $DB_SOURCE"
      )
      ;;
    postgres-database)
      (
        pg_database_target "$services"
        ext=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 -c "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'timescaledb'")
        args=(--exit-on-error --single-transaction)
        if [ "$force" = 1 ]; then
          # --clean alone fails on a hypertable with chunks the backup does not have. Its
          # schemas are dropped first, TimescaleDB still active so its catalog follows;
          # pg_restore --clean then replaces the extension (and its catalog) too.
          pgtool pg_restore --list "$backup/$file" | awk '$4 == "SCHEMA" && $5 == "-" {print $6}' >"$secrets/schemas"
          pgtool psql -XAtq -v ON_ERROR_STOP=1 --single-transaction -v list="$(paste -sd, "$secrets/schemas")" \
            <<<"SET client_min_messages = warning;
SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', s) FROM unnest(string_to_array(:'list', ',')) AS s \gexec"
          echo "$services: --force: dropped schemas $(paste -sd' ' "$secrets/schemas") of $TARGET_DB"
          args+=(--clean --if-exists)
        fi
        pgtool psql -XAtq -v ON_ERROR_STOP=1 -c "SELECT $ext.timescaledb_pre_restore()" >/dev/null
        status=0
        pgtool pg_restore "${args[@]}" --dbname="$TARGET_DB" "$backup/$file" || status=$?
        # Whatever pg_restore did: pre_restore left the database in restoring mode (no
        # background jobs, TimescaleDB's hooks off).
        pgtool psql -XAtq -v ON_ERROR_STOP=1 -c "SELECT $ext.timescaledb_post_restore()" >/dev/null
        if [ "$status" -ne 0 ]; then
          echo "error: pg_restore of $file into database $TARGET_DB failed (exit $status); it ran in one" \
            "transaction, so none of it was kept" >&2
          exit 1
        fi
        echo "$services: restored database $TARGET_DB (TimescaleDB $timescale) from $file, as $TARGET_ROLE ($TARGET_SOURCE)"
      )
      ;;
    directory)
      target=$(opslib dir-setting "$id" | awk -F'\t' -v n="$name" '$1 == n {print $2}')
      if [ -d "$target" ]; then find "$target" -mindepth 1 -delete; fi
      mkdir -p "$target"
      tar -C "$target" -xzf "$backup/$file"
      keep_owner "$target"
      echo "$id: restored $file into $target"
      ;;
  esac
done
echo "restore done: start the services (scripts/start-all.sh or systemctl start ...) and check /ready and /health"
