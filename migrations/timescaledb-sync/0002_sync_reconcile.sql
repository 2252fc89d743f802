-- The last reconcile of each stream, and the last one that succeeded: what `status`
-- shows, beside sync_control's last run.
CREATE TABLE IF NOT EXISTS sync_reconcile (
    stream          TEXT PRIMARY KEY,
    reconciled_at   TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL,
    window_from     TIMESTAMPTZ,
    window_until    TIMESTAMPTZ,
    missing_rows    BIGINT NOT NULL DEFAULT 0,
    last_success_at TIMESTAMPTZ,
    error           TEXT
);
