#!/usr/bin/env bash
# The test command: formatting and lints, the whole workspace's tests against embedded
# SQLite and a throwaway PostgreSQL cluster (started here, stopped on exit whatever
# happens), schema-based fuzzing of the running services against their OpenAPI specs, then
# the operations tests (scripts/ops-tests/).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/postgres.sh
source scripts/lib/postgres.sh

# One build from scratch: incremental caches would only add gigabytes to the disk it needs.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
# A cold run's target directory takes about 4 GiB; say so before the build, so a full disk
# is named as the cause rather than found in a compiler error.
free_gib=$(df -Pk "$ROOT" | awk 'NR == 2 { print int($4 / 1048576) }')
echo "==> $free_gib GiB free on the disk of $ROOT (a cold run needs about 5)"
if [ "$free_gib" -lt 5 ]; then
  echo "WARNING: under 5 GiB free; the build may fail with 'No space left on device'"
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

pg_start

echo "==> tests (SQLite and PostgreSQL)"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast --failure-output final
else
  cargo test --workspace --no-fail-fast
fi

echo "==> contract fuzzing (schemathesis)"
scripts/fuzz.sh

# Scripts, configuration and units for operators, run against the binaries just built
# (fuzz.sh built them) and the same PostgreSQL cluster. A step that needs something this
# machine lacks (TimescaleDB, a container engine) says SKIPPED and why.
shopt -s nullglob
for ops_test in scripts/ops-tests/*.sh; do
  echo "==> operations: $ops_test"
  bash "$ops_test"
done
