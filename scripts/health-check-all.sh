#!/usr/bin/env bash
# Checks every service's /health (config/services-manifest.json) and reports as text, JSON
# or Prometheus text. The work is in scripts/ops/opslib.py (`health`); --help lists the
# options and exit statuses.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/ops/opslib.py" health "$@"
