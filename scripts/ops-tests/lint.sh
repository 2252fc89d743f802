#!/usr/bin/env bash
# The operator scripts and their tests under shellcheck (installed with apt-get when
# missing), the helper under python3's compiler, the manifest as JSON with every field
# the scripts read.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/fleet.sh
source scripts/lib/fleet.sh

files=(scripts/start-all.sh scripts/stop-all.sh scripts/health-check-all.sh scripts/backup.sh scripts/restore.sh
  scripts/init-database.sh scripts/test.sh scripts/fuzz.sh docker/sync-schedule.sh
  scripts/ops/common.sh scripts/lib/fleet.sh scripts/lib/postgres.sh scripts/lib/bench.sh scripts/bench-*.sh
  scripts/ops-tests/*.sh)
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "==> installing shellcheck"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; } >/dev/null 2>&1 || true
fi
if command -v shellcheck >/dev/null 2>&1; then
  for f in "${files[@]}"; do
    if shellcheck -x "$f" >"/tmp/shellcheck.$$" 2>&1; then ok "shellcheck $f"; else not_ok "shellcheck $f: $(cat "/tmp/shellcheck.$$")"; fi
  done
  rm -f "/tmp/shellcheck.$$"
else
  ops_skip "shellcheck" "not installed and apt-get install shellcheck failed"
fi
for f in scripts/ops/opslib.py scripts/lib/pg_init.py scripts/ops-tests/fleet_data.py; do
  if python3 -c 'import ast,sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f"; then ok "python3 parses $f"; else not_ok "$f"; fi
done
if python3 - config/services-manifest.json <<'PY'; then ok "config/services-manifest.json has every field the scripts read"; else not_ok "services manifest"; fi
import json, sys
m = json.load(open(sys.argv[1]))
assert isinstance(m["version"], int)
ids = [s["id"] for s in m["services"]]
assert ids == ["workspace-api", "documentation-api", "firecrawl-proxy"], ids
for s in m["services"]:
    assert {"id", "binary", "port", "envPrefix", "healthPath", "readyPath", "critical", "database", "directories"} <= set(s), s
    assert s["healthPath"] == "/health" and s["readyPath"] == "/ready" and s["envPrefix"].endswith("_"), s
ports = {s["id"]: s["port"] for s in m["services"]}
assert ports == {"workspace-api": 3200, "documentation-api": 3400, "firecrawl-proxy": 3600}, ports
PY
ops_summary
