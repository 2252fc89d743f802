#!/usr/bin/env bash
# Docs search under load (not a test): generated corpora of 1,000, 10,000 and 50,000 pages
# of ~2 KB (Portuguese and English words, front matter with domains, types, statuses and
# tags; see corpus() for the words' distribution). For each: the index build time (start-up and a reindex), RSS with the index
# loaded, and at 50 connections one-word, three-word and filtered searches, facets and
# suggest. The bare axum handler of bench-workspace.sh is the ceiling, measured in the
# same run. BENCH_PAGES="1000 10000" picks the sizes.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/lib/bench.sh
bench_require_wrk

bench_build shared:bare_axum
BIN=$TARGET_DIR/release/documentation-api
bench_workdir tradingsystem-bench-search

# corpus DIR PAGES: PAGES markdown files of ~2 KB, the same for a given size. Words follow
# a Zipf distribution over 5,000 words, as natural text does: the domain's words (in
# Portuguese and English) are among ranks 20 to 400, so each is on a few to a few tens of
# percent of the pages, and "de" is everywhere.
corpus() {
  python3 - "$1" "$2" <<'PY'
import itertools, os, random, sys
root, pages = sys.argv[1], int(sys.argv[2])
rng = random.Random(pages)
domain = ("configuração serviço sincronização migração banco dados índice consulta porta "
          "ambiente variável arquivo registro métrica alerta falha recuperação backup cópia "
          "service database index query port environment variable file record metric alert "
          "failure recovery restore schema table request response header limit proxy crawl "
          "scrape worker schedule checkpoint deploy release container volume network").split()
syllables = ["ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru", "sa", "te", "vi", "xo", "zu", "an", "er", "is", "or", "um"]
filler = set()
while len(filler) < 5000 - len(domain) - 1:
    filler.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
filler = sorted(filler)
rng.shuffle(filler)
ranks = rng.sample(range(20, 400), len(domain))
vocabulary = ["de"] + filler
for rank, word in sorted(zip(ranks, domain)):
    vocabulary.insert(rank, word)
weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(vocabulary))))
def words(n):
    return " ".join(rng.choices(vocabulary, cum_weights=weights, k=n))
domains = ["operations", "services", "architecture", "decisions", "reference"]
types = ["guide", "reference", "runbook", "concept", "overview"]
statuses = ["active"] * 8 + ["draft", "deprecated"]
tags = ["config", "postgres", "sqlite", "metrics", "search", "sync", "proxy", "security", "testing", "http"]
for i in range(pages):
    area = rng.choice(domains)
    directory = os.path.join(root, area, f"part-{i % 50}")
    os.makedirs(directory, exist_ok=True)
    title = words(4).capitalize()
    body = []
    for section in range(3):
        body.append("## " + words(3))
        body.append(words(75) + ".")
    with open(os.path.join(directory, f"page-{i}.md"), "w") as f:
        f.write(f"---\ntitle: {title}\nsummary: {words(12)}\n"
                f"domain: {area}\ntype: {rng.choice(types)}\nstatus: {rng.choice(statuses)}\n"
                f"owner: team-{i % 7}\nlast_review: 2026-{1 + i % 11:02d}-15\n"
                f"tags: [{', '.join(rng.sample(tags, 3))}]\n---\n# {title}\n\n" + "\n\n".join(body) + "\n")
PY
}

bench_ceiling
bench_pacing >"$WORK/paced.lua"

# json_field JSON PYTHON_EXPR -> the value of the expression over the parsed JSON `d`
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($2)" <<<"$1"; }

bench_size() {
  local pages=$1 dir port pid t0 built_ms stats reindex bytes
  dir="$WORK/corpus-$pages"
  corpus "$dir" "$pages"
  bytes=$(find "$dir" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
  port=$(bench_free_port)
  t0=$(date +%s%N)
  env -i PATH="$PATH" TRADINGSYSTEM_ROOT="$WORK" DOCUMENTATION_DATABASE_URL="sqlite://$WORK/bench-$pages.db" \
    DOCUMENTATION_API_PORT="$port" DOCS_CONTENT_DIR="$dir" DOCS_REINDEX_MIN_INTERVAL_S=0 \
    DOCUMENTATION_HEALTH_CHECK_INTERVAL_S=0 RATE_LIMIT_MAX=1000000 MIMALLOC_PURGE_DELAY=0 \
    "$BIN" >"$WORK/docs-$pages.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_ready "http://127.0.0.1:$port/ready" >/dev/null
  until stats=$(curl -fs "http://127.0.0.1:$port/api/v1/docs/stats") &&
    [ "$(json_field "$stats" 'd["stats"]["cacheValid"]')" = True ]; do sleep 0.05; done
  built_ms=$((($(date +%s%N) - t0) / 1000000))
  reindex=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/docs/reindex")
  sleep 1
  echo
  echo "== $pages pages ($(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB of markdown)"
  echo "start-up to index built: ${built_ms} ms; reindex: $(json_field "$reindex" 'd["indexed"]["duration_ms"]') ms" \
    "(scan and index; the audit after it: not counted); RSS with the index loaded: $(rss_mib "$pid") MiB"
  local base="http://127.0.0.1:$port/api/v1/docs" pacing label url
  local -a runs=(
    "search, one word|$base/search?q=configuracao&limit=10"
    "search, three words|$base/search?q=servico%20de%20sincronizacao&limit=10"
    "search, filtered|$base/search?q=backup&domain=operations&status=active&tags=config&limit=10"
    "search-hybrid, one word|$base/search-hybrid?q=checkpoint&limit=10"
    "facets, no query|$base/facets"
    "facets, one word|$base/facets?q=metrica"
    "suggest, prefix|$base/suggest?q=conf"
  )
  for pacing in saturated paced; do
    if [ "$pacing" = saturated ]; then
      echo "-- 50 connections, saturated (requests back to back: latency is mostly the queue)"
    else
      echo "-- 50 connections at a fixed offered load (0-40 ms think time each): the latency targets' measure"
    fi
    for run in "${runs[@]}"; do
      label=${run%%|*} url=${run#*|}
      if [ "$pacing" = saturated ]; then
        run_wrk "$label" "$url"
      else
        run_wrk "$label" "$url" -s "$WORK/paced.lua"
      fi
    done
  done
  cpu_per_request "search, one word (CPU)" "$pid" "$base/search?q=configuracao&limit=10"
  echo "RSS after the load: $(rss_mib "$pid") MiB"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

for pages in ${BENCH_PAGES:-1000 10000 50000}; do
  bench_size "$pages"
done
