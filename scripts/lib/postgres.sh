# shellcheck shell=bash
# A throwaway PostgreSQL cluster for tests and benchmarks: `pg_start` initialises one in a
# temporary directory on a free loopback port, exports TEST_DATABASE_URL, and registers
# `pg_stop` to run on exit whatever happens. initdb refuses to run as root, so as root
# the cluster belongs to the `postgres` user. With PG_SUPERPASS set, TCP connections need
# passwords (SCRAM), the superuser's being PG_SUPERPASS; the socket stays trusted. With
# PG_PRELOAD set (e.g. timescaledb), the server preloads those libraries.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_install_if_missing() {
  if [ -x "$PG_BIN/initdb" ]; then return 0; fi
  echo "==> installing PostgreSQL (initdb not found in $PG_BIN)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: PostgreSQL is missing and installing it needs root (apt-get install postgresql)" >&2
    return 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  if [ ! -x "$PG_BIN/initdb" ]; then
    PG_BIN=$(dirname "$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  fi
}

pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  pg_install_if_missing
  PG_DIR=$(mktemp -d /tmp/tradingsystem-pg.XXXXXX)
  PG_PORT=$(pg_free_port)
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_DIR"; fi
  local auth=(--auth=trust) credentials=postgres
  if [ -n "${PG_SUPERPASS:-}" ]; then
    printf '%s\n' "$PG_SUPERPASS" >"$PG_DIR/pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_DIR/pwfile"; fi
    auth=(--auth-local=trust --auth-host=scram-sha-256 --pwfile="$PG_DIR/pwfile")
    credentials="postgres:$PG_SUPERPASS"
  fi
  pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres "${auth[@]}" -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  # A caller with its own EXIT trap (the benchmarks) calls pg_stop from it.
  if [ -z "$(trap -p EXIT)" ]; then trap pg_stop EXIT; fi
  # Durability off: this cluster lives for one test run.
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off${PG_PRELOAD:+ -c shared_preload_libraries=$PG_PRELOAD}" >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
  pg_as_owner "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U postgres tradingsystem_test
  export TEST_DATABASE_URL="postgres://$credentials@127.0.0.1:$PG_PORT/tradingsystem_test"
  echo "==> PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

pg_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    echo "==> PostgreSQL stopped"
  fi
  PG_DIR=
}
