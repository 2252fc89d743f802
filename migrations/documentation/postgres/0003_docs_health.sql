-- Documentation health: every stored audit run (the built-in audit, run on demand or
-- after a reindex, or an audit document posted to update-metrics) with its findings,
-- and the counters that outlive the runs' retention (runs ever stored, fixes recorded).
-- The service keeps the runs bounded itself: of past UTC days only each day's last run,
-- and nothing older than 365 days; few rows, so no hypertable.

CREATE TABLE IF NOT EXISTS documentation_docs_health_runs (
    id           UUID PRIMARY KEY,
    created_at   TIMESTAMPTZ NOT NULL,
    run_trigger  TEXT NOT NULL CHECK (run_trigger IN ('manual', 'reindex', 'posted')),
    -- Figures of the report the history and trends read without decoding it.
    health_score DOUBLE PRECISION NOT NULL,
    total_files  BIGINT NOT NULL,
    broken_links BIGINT NOT NULL,
    outdated     BIGINT NOT NULL,
    issue_count  BIGINT NOT NULL,
    report       JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS documentation_docs_health_runs_created_idx
    ON documentation_docs_health_runs (created_at DESC);

CREATE TABLE IF NOT EXISTS documentation_docs_health_counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL CHECK (value >= 0)
);
