#!/usr/bin/env bash
# Backups and restores on both backends: a fleet on SQLite, and the two APIs on PostgreSQL
# (a schema each, made here), filled through their HTTP APIs (items, a category, a
# system, ideas, binary files with NUL bytes, a published spec version, with updates and
# deletes so both audit logs have rows), backed up with scripts/backup.sh, restored with
# scripts/restore.sh into empty targets, and read back through HTTP: the full listings and
# every file's bytes must equal the source's. Also: restore refuses a damaged backup, a
# non-empty target without --force and a running service; retention keeps the newest N;
# two services sharing one schema get one dump; no password reaches a backup or a log.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
# shellcheck source=scripts/lib/fleet.sh
source scripts/lib/fleet.sh
# shellcheck source=scripts/lib/postgres.sh
source scripts/lib/postgres.sh
# On exit: the test cluster's pg_hba.conf as it was (see roundtrip), then pg_stop, a no-op
# unless pg_start ran here (scripts/test.sh passes its own cluster).
HBA="" HBA_ORIG=""
backup_test_cleanup() {
  if [ -n "$HBA" ]; then
    printf '%s\n' "$HBA_ORIG" >"$HBA"
    "$PG_BIN/psql" -XAtq "$TEST_DATABASE_URL" -c 'SELECT pg_reload_conf()' >/dev/null 2>&1 || true
  fi
  pg_stop
}
bench_workdir tradingsystem-ops-backup backup_test_cleanup
DATA=(python3 "$ROOT/scripts/ops-tests/fleet_data.py")
started=$(date +%s)




if [ -z "${TEST_DATABASE_URL:-}" ]; then pg_start; fi
case "$TEST_DATABASE_URL" in *\?*) SEP='&' ;; *) SEP='?' ;; esac
psql_admin() { PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 "$@"; }

# roundtrip BACKEND -- the whole cycle on sqlite or postgres
roundtrip() {
  local b=$1 src dst backups
  src="$WORK/$b-src" dst="$WORK/$b-dst" backups="$WORK/$b-backups"
  mkdir -p "$src" "$dst"
  local -a SRC DST OPS
  # The scripts' root is a directory of the test's own, so no .env of this checkout counts.
  OPS=(TRADINGSYSTEM_ROOT="$WORK/$b-root" BACKUP_DIR="$backups" PG_BIN="$PG_BIN")
  if [ "$b" = sqlite ]; then
    SRC=(WORKSPACE_DATABASE_URL="sqlite://$src/workspace.db" DOCUMENTATION_DATABASE_URL="sqlite://$src/documentation.db")
    DST=(WORKSPACE_DATABASE_URL="sqlite://$dst/workspace.db" DOCUMENTATION_DATABASE_URL="sqlite://$dst/documentation.db")
  else
    local tag base restore_db role enc hostport
    tag="ops_$$_$(date +%s)"
    psql_admin "$TEST_DATABASE_URL" -c "CREATE SCHEMA ${tag}_ws" -c "CREATE SCHEMA ${tag}_doc"
    restore_db="${tag}_restore"
    psql_admin "$TEST_DATABASE_URL" -c "CREATE DATABASE $restore_db"
    # The restore target has the documentation schema made beforehand (as
    # scripts/init-database.sh does) and not the workspace one: both paths of restore.sh.
    psql_admin "${TEST_DATABASE_URL%/*}/$restore_db" -c "CREATE SCHEMA ${tag}_doc"
    # The services and the scripts connect as a role of the test's own whose password
    # has URL-special characters and is really checked: pg_hba.conf of the test cluster
    # gets a scram-sha-256 line for that role (removed at the end). So the passfile that
    # backup.sh and restore.sh write must work, and the password must reach no manifest
    # and no log.
    role="${tag}_app" PW="Sup3r:s3cret@ops/%-$$"
    psql_admin "$TEST_DATABASE_URL" -v pw="$PW" <<<"CREATE ROLE $role LOGIN SUPERUSER PASSWORD :'pw'"
    local hba
    hba=$(psql_admin "$TEST_DATABASE_URL" -c 'SHOW hba_file')
    hostport=${TEST_DATABASE_URL#*@} && hostport=${hostport%%/*}
    if [ -w "$hba" ]; then
      HBA_ORIG=$(cat "$hba")
      HBA=$hba
      printf 'host all %s 127.0.0.1/32 scram-sha-256\n%s\n' "$role" "$HBA_ORIG" >"$HBA"
      psql_admin "$TEST_DATABASE_URL" -c 'SELECT pg_reload_conf()' >/dev/null
      if PGPASSWORD=wrong "$PG_BIN/psql" -XAtq "postgres://$role@$hostport/${TEST_DATABASE_URL##*/}" -c 'SELECT 1' >/dev/null 2>&1; then
        not_ok "[$b] the test role logs in with a wrong password: pg_hba.conf was not applied"
      else
        ok "[$b] the test role's password is enforced (scram-sha-256), so the scripts' passfile is exercised"
      fi
    else
      ops_skip "[$b] password authentication" "$hba is not writable here; the password is in the URLs but never checked"
    fi
    enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PW")
    base="postgres://$role:$enc@$hostport/${TEST_DATABASE_URL##*/}"
    SRC=(WORKSPACE_DATABASE_URL="$base${SEP}options[search_path]=${tag}_ws"
      DOCUMENTATION_DATABASE_URL="$base${SEP}options[search_path]=${tag}_doc")
    base=${base%/*}/$restore_db
    DST=(WORKSPACE_DATABASE_URL="$base${SEP}options[search_path]=${tag}_ws"
      DOCUMENTATION_DATABASE_URL="$base${SEP}options[search_path]=${tag}_doc")
  fi
  SRC+=(SPECS_DIR="$ROOT/openapi" SPECS_VERSIONS_DIR="$src/versions")
  DST+=(SPECS_DIR="$ROOT/openapi" SPECS_VERSIONS_DIR="$dst/versions")

  echo "==> [$b] source fleet, filled through HTTP"
  fleet_start "${SRC[@]}"
  "${DATA[@]}" populate "$WORKSPACE_PORT" "$DOCUMENTATION_PORT" "$WORK/$b-expect.json"

  echo "==> [$b] backup while the services run"
  if env "${SRC[@]}" "${OPS[@]}" scripts/backup.sh >"$WORK/$b-backup.log" 2>&1; then
    ok "[$b] backup.sh exit 0"
  else
    not_ok "[$b] backup.sh failed: $(cat "$WORK/$b-backup.log")"
    fleet_stop
    return
  fi
  cat "$WORK/$b-backup.log"
  local backup
  backup=$(find "$backups" -mindepth 1 -maxdepth 1 -type d -name '2*' | sort | tail -n 1)
  if python3 - "$backup/manifest.json" "$b" <<'EOF'; then ok "[$b] manifest lists each service's file with bytes and sha256"; else not_ok "[$b] manifest"; fi
import hashlib, json, os, sys
m = json.load(open(sys.argv[1])); kind = sys.argv[2]; d = os.path.dirname(sys.argv[1])
by = {(tuple(e["services"]), e["kind"]): e for e in m["entries"]}
want = [(("workspace-api",), kind), (("documentation-api",), kind), (("documentation-api",), "directory")]
assert sorted(by) == sorted(want), f"entries {sorted(by)} != {sorted(want)}"
for e in m["entries"]:
    data = open(os.path.join(d, e["file"]), "rb").read()
    assert e["bytes"] == len(data) and e["sha256"] == hashlib.sha256(data).hexdigest(), e
    assert e["source"] and m["created_at"] and m["tools"]["sqlite"], e
if kind == "postgres":
    assert all(e["schema"] for e in m["entries"] if e["kind"] == "postgres")
    assert m["tools"]["pg_dump"].startswith("pg_dump (PostgreSQL) ")
EOF
  if [ "$b" = postgres ]; then
    if grep -rqF -e "$PW" -e "$enc" -e "s3cret" "$backup" "$WORK/$b-backup.log"; then
      not_ok "[$b] the password appears in the backup or its log"
    else
      ok "[$b] no password in the backup directory or the backup's output"
    fi
  fi

  # The source as backed up: listings first, downloads after (a download writes an audit row).
  "${DATA[@]}" snapshot "$WORKSPACE_PORT" "$DOCUMENTATION_PORT" "$WORK/$b-src.json" "$WORK/$b-expect.json"

  refused "[$b] restore refuses while the services run" "is running|port [0-9]+ is held by pid" \
    env "${SRC[@]}" "${OPS[@]}" WORKSPACE_API_PORT="$WORKSPACE_PORT" DOCUMENTATION_API_PORT="$DOCUMENTATION_PORT" \
    scripts/restore.sh "$backup"
  fleet_stop

  echo "==> [$b] a damaged backup is refused before anything is written"
  cp -a "$backup" "$WORK/$b-damaged"
  local victim
  victim=$(find "$WORK/$b-damaged" -name 'documentation-api.*' ! -name '*.tar.gz' | head -n 1)
  python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2] ^= 0xFF; open(p,"wb").write(b)' "$victim"
  refused "[$b] a damaged backup file is refused" "is damaged: manifest.json says .* SHA-256" \
    env "${DST[@]}" "${OPS[@]}" scripts/restore.sh "$WORK/$b-damaged"
  if [ -z "$(ls -A "$dst")" ]; then ok "[$b] the refused restore wrote nothing"; else not_ok "[$b] the refused restore wrote $(ls "$dst")"; fi

  echo "==> [$b] restore into an empty target"
  if env "${DST[@]}" "${OPS[@]}" scripts/restore.sh "$backup" >"$WORK/$b-restore.log" 2>&1; then
    ok "[$b] restore.sh into empty targets exit 0"
  else
    not_ok "[$b] restore.sh failed: $(cat "$WORK/$b-restore.log")"
    return
  fi
  cat "$WORK/$b-restore.log"
  refused "[$b] restore without --force into a non-empty target is refused" "is not empty .*--force" \
    env "${DST[@]}" "${OPS[@]}" scripts/restore.sh "$backup"
  if env "${DST[@]}" "${OPS[@]}" scripts/restore.sh "$backup" --force >"$WORK/$b-force.log" 2>&1; then
    ok "[$b] restore --force over the restored data exit 0"
  else
    not_ok "[$b] restore --force failed: $(cat "$WORK/$b-force.log")"
  fi

  echo "==> [$b] services on the restored data"
  fleet_start "${DST[@]}"
  if "${DATA[@]}" snapshot "$WORKSPACE_PORT" "$DOCUMENTATION_PORT" "$WORK/$b-dst.json" "$WORK/$b-expect.json"; then
    ok "[$b] every restored file downloads with the uploaded bytes (sha256)"
    same_snapshot "[$b] restored items, categories, audit logs, systems, ideas, files and spec versions equal the source's" \
      "$WORK/$b-src.json" "$WORK/$b-dst.json"
  else
    not_ok "[$b] reading the restored fleet"
  fi
  fleet_stop

  if [ "$b" = postgres ]; then
    echo "==> [$b] two services in one schema: one dump"
    local shared=${SRC[0]#*=}
    if env "${SRC[@]}" "${OPS[@]}" DOCUMENTATION_DATABASE_URL="$shared" BACKUP_DIR="$WORK/shared-backups" \
      scripts/backup.sh --services workspace-api,documentation-api >"$WORK/shared.log" 2>&1 \
      && python3 - "$WORK"/shared-backups/2*/manifest.json <<'EOF'; then
import json, sys
pg = [e for e in json.load(open(sys.argv[1]))["entries"] if e["kind"] == "postgres"]
assert len(pg) == 1 and pg[0]["services"] == ["workspace-api", "documentation-api"], pg
EOF
      ok "[$b] a schema shared by both services is dumped once, listing both"
    else
      not_ok "[$b] shared schema: $(cat "$WORK/shared.log")"
    fi
    if grep -qF -e "$PW" -e "$enc" -e "s3cret" "$WORK/$b-restore.log" "$WORK/$b-force.log" "$WORK/refused.err"; then
      not_ok "[$b] the password appears in restore.sh's output"
    else
      ok "[$b] no password in restore.sh's output"
    fi
    # Leave the shared cluster as found.
    if [ -n "$HBA" ]; then
      printf '%s\n' "$HBA_ORIG" >"$HBA"
      HBA=""
      psql_admin "$TEST_DATABASE_URL" -c 'SELECT pg_reload_conf()' >/dev/null
    fi
    psql_admin "$TEST_DATABASE_URL" -c "DROP DATABASE $restore_db" -c "DROP SCHEMA ${tag}_ws CASCADE" \
      -c "DROP SCHEMA ${tag}_doc CASCADE" -c "DROP ROLE $role" || echo "warning: could not drop the test's database, schemas and role"
  fi
}

roundtrip sqlite
roundtrip postgres

echo "==> retention: BACKUP_KEEP=3 over 4 backups"
mkdir -p "$WORK/ret"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("create table t(x)"); c.commit()' "$WORK/ret/w.db"
names=()
for _ in 1 2 3 4; do
  env TRADINGSYSTEM_ROOT="$WORK/ret" WORKSPACE_DATABASE_URL="sqlite://$WORK/ret/w.db" BACKUP_DIR="$WORK/ret/backups" BACKUP_KEEP=3 \
    scripts/backup.sh --services workspace-api >"$WORK/ret.log" 2>&1 || { cat "$WORK/ret.log"; not_ok "retention backup run"; }
  names+=("$(grep -o 'backup written: .*' "$WORK/ret.log" | sed 's/.*\///')")
done
kept=$(find "$WORK/ret/backups" -mindepth 1 -maxdepth 1 -type d | sed 's/.*\///' | sort | tr '\n' ' ')
want=$(printf '%s\n' "${names[@]:1}" | sort | tr '\n' ' ')
if [ "$kept" = "$want" ] && grep -q "retention (keep 3): removed .*${names[0]}" "$WORK/ret.log"; then
  ok "retention kept the newest 3 ($kept) and removed the oldest (${names[0]})"
else
  not_ok "retention: kept '$kept', wanted '$want'; last log: $(cat "$WORK/ret.log")"
fi

echo "==> a failed backup leaves nothing behind"
before=$(find "$WORK/ret/backups" -mindepth 1 -maxdepth 1 | sort)
status=0
env TRADINGSYSTEM_ROOT="$WORK/ret" WORKSPACE_DATABASE_URL="sqlite://$WORK/ret/missing.db" BACKUP_DIR="$WORK/ret/backups" \
  scripts/backup.sh >"$WORK/fail.log" 2>&1 || status=$?
after=$(find "$WORK/ret/backups" -mindepth 1 -maxdepth 1 | sort)
if [ "$status" -ne 0 ] && grep -q "no SQLite database at $WORK/ret/missing.db" "$WORK/fail.log" && [ "$before" = "$after" ]; then
  ok "a backup of a missing database fails (exit $status), says which file, and leaves no directory"
else
  not_ok "failed backup: exit $status; $(cat "$WORK/fail.log"); before '$before' after '$after'"
fi
[ ! -e "$WORK/ret/missing.db" ] || not_ok "the failed backup created $WORK/ret/missing.db"

echo "backup ops test: $(($(date +%s) - started)) s"
ops_summary
