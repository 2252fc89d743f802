-- Documentation health: every stored audit run (the built-in audit, run on demand or
-- after a reindex, or an audit document posted to update-metrics) with its findings,
-- and the counters that outlive the runs' retention (runs ever stored, fixes recorded).
-- The service keeps the runs bounded itself: of past UTC days only each day's last run,
-- and nothing older than 365 days. Times are microseconds since the epoch, as in 0001.

CREATE TABLE IF NOT EXISTS documentation_docs_health_runs (
    id           TEXT PRIMARY KEY,
    created_at   INTEGER NOT NULL,
    run_trigger  TEXT NOT NULL CHECK (run_trigger IN ('manual', 'reindex', 'posted')),
    health_score REAL NOT NULL,
    total_files  INTEGER NOT NULL,
    broken_links INTEGER NOT NULL,
    outdated     INTEGER NOT NULL,
    issue_count  INTEGER NOT NULL,
    report       TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS documentation_docs_health_runs_created_idx
    ON documentation_docs_health_runs (created_at DESC);

CREATE TABLE IF NOT EXISTS documentation_docs_health_counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL CHECK (value >= 0)
) STRICT;
