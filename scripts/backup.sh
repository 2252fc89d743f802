#!/usr/bin/env bash
# Backs up each service's data into one timestamped directory with a manifest.json:
# embedded SQLite files by VACUUM INTO (consistent while the service writes), PostgreSQL
# schemas by pg_dump -Fc (one dump per database and schema, however many services share
# it), a database with TimescaleDB whole (its hypertables' rows live outside the
# services' schemas), and documentation-api's published spec versions as a tarball.
# Keeps the newest N.
set -euo pipefail
# shellcheck source=scripts/ops/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/ops/common.sh"

usage() {
  cat <<USAGE
Usage: scripts/backup.sh [--services a,b] [--keep N] [--dir DIR]

Writes DIR/<UTC timestamp>/ with one file per database (and directory) and a
manifest.json (service, kind, file, bytes, sha256, source without its password,
created_at, tool versions), then deletes all but the newest N backups.

  --services a,b  only these services (default: every service with data)
  --keep N        backups to keep (default BACKUP_KEEP, else 14; 0 keeps all)
  --dir DIR       where backups go (default BACKUP_DIR, else data/backups under the root)
  -h, --help      this text

Each service's database comes from its own setting (WORKSPACE_DATABASE_URL,
DOCUMENTATION_DATABASE_URL), read as the services read it: the environment, then .env
files under TRADINGSYSTEM_ROOT, then the default SQLite file.

On plain PostgreSQL, the service's schema (its URL's search_path) is dumped with
pg_dump --schema: manifest kind "postgres". On a database with the timescaledb
extension, the rows of hypertables are in TimescaleDB's own schemas, so the whole
database is dumped instead, once for all the services in it: manifest kind
"postgres-database", with the TimescaleDB version. That needs a role that may read
every table of the database: set BACKUP_DATABASE_URL to such a URL of the same
database (the admin role tradingsystem_admin, or a superuser). Without it the service's
own URL is used, and an app role (app_workspace) is refused with a message naming
BACKUP_DATABASE_URL.

PostgreSQL tools come from
PG_BIN (default /usr/lib/postgresql/15/bin) or PATH; passwords go to them in a temporary
passfile, never on a command line. Exit status: 0 done, 1 a backup failed (nothing is
kept of it), 2 bad arguments.
USAGE
}

selected="" keep=${BACKUP_KEEP:-14} dir=${BACKUP_DIR:-$OPS_ROOT/data/backups}
while [ $# -gt 0 ]; do
  case "$1" in
    --services) selected=${2:?--services needs a list}; shift 2 ;;
    --services=*) selected=${1#*=}; shift ;;
    --keep) keep=${2:?--keep needs a number}; shift 2 ;;
    --keep=*) keep=${1#*=}; shift ;;
    --dir) dir=${2:?--dir needs a directory}; shift 2 ;;
    --dir=*) dir=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$keep" in '' | *[!0-9]*) echo "error: --keep needs a whole number" >&2; exit 2 ;; esac

ops_services "$selected"
# Backups hold every row: readable by their owner only.
umask 077
mkdir -p "$dir"
exec 9>"$dir/.lock"
if ! flock -n 9; then
  echo "error: another backup into $dir is running (it holds $dir/.lock)" >&2
  exit 1
fi

# A backup killed outright leaves its .partial directory; a later run clears it.
find "$dir" -maxdepth 1 -name '.*.partial' -mmin +60 -exec rm -rf {} + 2>/dev/null || true

name=$(date -u +%Y%m%dT%H%M%S.%3NZ)
while [ -e "$dir/$name" ]; do sleep 0.01; name=$(date -u +%Y%m%dT%H%M%S.%3NZ); done
created_at=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
partial="$dir/.$name.partial"
secrets=$(mktemp -d)
cleanup() {
  rm -rf "$secrets"
  if [ -d "$partial" ]; then rm -rf "$partial"; fi
}
trap cleanup EXIT
mkdir "$partial"
entries="$secrets/entries.jsonl"
: >"$entries"
tools=("sqlite=$(opslib sqlite-version)")

# The database of the current PG* connection, told apart from every other one however
# its URL spells the host: name, OID and the server's start time.
db_identity() {
  pgtool psql -XAtq -v ON_ERROR_STOP=1 \
    -c "SELECT current_database() || '/' || oid || '@' || pg_postmaster_start_time() FROM pg_database WHERE datname = current_database()"
}

# backup_database -- run in a service's subshell, its PG* variables set, when its database
# has TimescaleDB: the rows of hypertables live in chunk tables of _timescaledb_internal
# and their metadata in _timescaledb_catalog, so a dump of the service's schema would hold
# empty tables. The whole database is dumped instead, once however many services use it,
# with BACKUP_DATABASE_URL when set (the service's role may read its own schema only).
backup_database() {
  local ident admin_env admin_ident unreadable count file version role db
  ident=$(db_identity)
  if grep -qxF "$ident" "$secrets/keys" 2>/dev/null; then
    opslib entry "services=$id" "key=$ident" >>"$entries"
    echo "$id: its database ${ident%%/*} (TimescaleDB) is dumped whole already; one dump holds both"
    return 0
  fi
  local src=$DB_SOURCE via="$DB_ENV of $id"
  if admin_env=$(opslib url-env BACKUP_DATABASE_URL "$secrets/$id.admin.pgpass"); then
    eval "$admin_env"
    src=$URL_SOURCE via=BACKUP_DATABASE_URL
    admin_ident=$(db_identity)
    if [ "$admin_ident" != "$ident" ]; then
      echo "error: $id: BACKUP_DATABASE_URL ($URL_SOURCE) is not the database of $DB_ENV ($DB_SOURCE);" \
        "point it at the same server and database" >&2
      exit 1
    fi
  fi
  role=$(pgtool psql -XAtq -c 'SELECT current_user')
  db=$(pgtool psql -XAtq -c 'SELECT current_database()')
  # pg_dump of a whole database needs every table: find the ones this role may not read
  # before it fails half-way (a superuser, or the admin role of init-database.sh, may).
  unreadable=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 <<'SQL'
SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'S', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  AND NOT (has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT'))
ORDER BY n.nspname LIKE '\_%', 1
SQL
  )
  if [ -n "$unreadable" ]; then
    count=$(wc -l <<<"$unreadable")
    echo "error: $id: $DB_SOURCE has TimescaleDB, so its whole database is backed up (the rows of" \
      "hypertables live outside the service's schema), but role $role of $via may not read $count of its" \
      "tables (such as $(head -n 3 <<<"$unreadable" | paste -sd, - | sed 's/,/, /g'));" \
      "set BACKUP_DATABASE_URL to a URL of this database for a role that may read all of it" \
      "(the admin role of scripts/init-database.sh, tradingsystem_admin, or a superuser)" >&2
    exit 1
  fi
  echo "$ident" >>"$secrets/keys"
  touch "$secrets/used-pg"
  file="$id-database.pgdump"
  version=$(pgtool psql -XAtq -c 'SHOW server_version')
  # TimescaleDB's catalog has circular foreign keys; pg_dump warns about them for every
  # dump, but they only matter to a --data-only dump: those warnings are dropped.
  if ! pgtool pg_dump --format=custom --file="$partial/$file" 2>"$secrets/$id.pg_dump.err"; then
    cat "$secrets/$id.pg_dump.err" >&2
    echo "error: $id: pg_dump of database $db ($src) failed" >&2
    exit 1
  fi
  awk '/circular foreign-key constraints on this table/ { skip = 1; next }
    skip && /^pg_dump: (detail|hint): / { next }
    { skip = 0; print }' "$secrets/$id.pg_dump.err" >&2
  opslib entry "services=$id" "key=$ident" kind=postgres-database "file=$file" "bytes=$(stat -c %s "$partial/$file")" \
    "sha256=$(opslib sha256 "$partial/$file")" "source=$src" "database=$db" \
    "server_version=$version" "timescaledb=$timescale" >>"$entries"
  echo "$id: PostgreSQL database $db with TimescaleDB $timescale, whole, as $role ($src) -> $file"
}

for line in "${SERVICES[@]}"; do
  IFS=$'\t' read -r id _binary _port _health _ready _critical hasdb <<<"$line"
  if [ "$hasdb" = 1 ]; then
    # A subshell per service: its PG* variables must not leak into the next one.
    (
      eval "$(opslib db-env "$id" "$secrets/$id.pgpass")"
      case "$DB_KIND" in
        sqlite)
          file="$id.sqlite3"
          opslib sqlite-backup "$DB_PATH" "$partial/$file"
          opslib entry "services=$id" kind=sqlite "file=$file" "bytes=$(stat -c %s "$partial/$file")" \
            "sha256=$(opslib sha256 "$partial/$file")" "source=$DB_SOURCE" "path=$DB_PATH" >>"$entries"
          echo "$id: SQLite $DB_PATH -> $file"
          ;;
        postgres)
          timescale=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 -c "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
          if [ -n "$timescale" ]; then
            backup_database
            exit 0
          fi
          schema=$(pgtool psql -XAtq -v ON_ERROR_STOP=1 -c 'SELECT current_schema()')
          if [ -z "$schema" ]; then
            echo "error: $id: no schema of $DB_ENV's search_path exists in $DB_SOURCE" >&2
            exit 1
          fi
          key="${PGHOST:-local}:${PGPORT:-5432}/${PGDATABASE:-}/$schema"
          if grep -qxF "$key" "$secrets/keys" 2>/dev/null; then
            opslib entry "services=$id" "key=$key" >>"$entries"
            echo "$id: PostgreSQL schema $schema is shared with a service already backed up; one dump holds both"
            exit 0
          fi
          echo "$key" >>"$secrets/keys"
          touch "$secrets/used-pg"
          file="$id.pgdump"
          version=$(pgtool psql -XAtq -c 'SHOW server_version')
          pgtool pg_dump --format=custom --schema="$schema" --file="$partial/$file"
          opslib entry "services=$id" "key=$key" kind=postgres "file=$file" "bytes=$(stat -c %s "$partial/$file")" \
            "sha256=$(opslib sha256 "$partial/$file")" "source=$DB_SOURCE" "schema=$schema" \
            "server_version=$version" "timescaledb=none" >>"$entries"
          echo "$id: PostgreSQL schema $schema of $DB_SOURCE -> $file"
          ;;
      esac
    )
  fi
  while IFS=$'\t' read -r dname dpath; do
    [ -n "$dname" ] || continue
    if [ -d "$dpath" ] && [ -n "$(ls -A "$dpath")" ]; then
      file="$id-$dname.tar.gz"
      tar -C "$dpath" -czf "$partial/$file" .
      opslib entry "services=$id" kind=directory "name=$dname" "file=$file" "bytes=$(stat -c %s "$partial/$file")" \
        "sha256=$(opslib sha256 "$partial/$file")" "source=$dpath" >>"$entries"
      echo "$id: directory $dpath -> $file"
    else
      echo "$id: $dname directory $dpath is missing or empty: nothing to back up there"
    fi
  done < <(opslib dir-setting "$id")
done

if [ -e "$secrets/used-pg" ]; then tools+=("pg_dump=$(pgtool pg_dump --version)"); fi
tools+=("python=$(python3 -c 'import platform; print(platform.python_version())')" "tar=$(tar --version | head -n 1)")
opslib manifest-finish "$entries" "$partial/manifest.json" "$created_at" "${tools[@]}"
mv "$partial" "$dir/$name"
echo "backup written: $dir/$name"

if [ "$keep" -gt 0 ]; then
  mapfile -t all < <(find "$dir" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended \
    -regex '.*/[0-9]{8}T[0-9]{6}\.[0-9]{3}Z' -exec test -f '{}/manifest.json' ';' -print | sort)
  excess=$((${#all[@]} - keep))
  for ((i = 0; i < excess; i++)); do
    rm -rf "${all[$i]}"
    echo "retention (keep $keep): removed ${all[$i]}"
  done
fi
